/*  =========================================================================
    curve - CURVE keys from certificate files and Z85 text

    Certificates are CZMQ's zcert files, so keys made with CZMQ's tools or
    `zown keygen` are interchangeable; zcert and zcertstore read files only
    and start no CZMQ thread.
    =========================================================================
*/
#include "zown_internal.h"
#include "base/curve.h"
#include <sys/stat.h>

int
zown_curve_keygen (const char *base, const char *name, char *public_txt)
{
    if (!base || !*base || strlen (base) > 4000)
        return zown_fail (ZOWN_INVALID);
    char *public_file = zsys_sprintf ("%s.key", base);
    char *secret_file = zsys_sprintf ("%s.secret", base);
    zcert_t *cert = zcert_new ();
    int status = ZOWN_SYSTEM;
    if (public_file && secret_file && cert) {
        struct stat info;
        if (stat (public_file, &info) == 0 || stat (secret_file, &info) == 0)
            status = ZOWN_INVALID;
        else {
            if (name)
                zcert_set_meta (cert, "name", "%s", name);
            //  The secret file first: zcert writes it with mode 0600.
            if (zcert_save_secret (cert, secret_file) == 0
                && zcert_save_public (cert, public_file) == 0)
                status = ZOWN_OK;
            else
                status = errno == ENOENT || errno == ENOTDIR ? ZOWN_INVALID : ZOWN_SYSTEM;
        }
    }
    if (status == ZOWN_OK && public_txt)
        memcpy (public_txt, zcert_public_txt (cert), ZOWN_CURVE_KEY_TEXT + 1);
    zcert_destroy (&cert);
    free (public_file);
    free (secret_file);
    return status == ZOWN_OK ? zown_ok () : zown_fail (status);
}

static bool
s_zero (const uint8_t *key)
{
    uint8_t any = 0;
    for (size_t index = 0; index < ZOWN_CURVE_KEY; index++)
        any |= key [index];
    return any == 0;
}

int
zown_curve_load_pair (const char *file, uint8_t *public_key, uint8_t *secret_key)
{
    zcert_t *cert = file ? zcert_load (file) : NULL;
    //  A public certificate loads too, with a secret key of zeros.
    if (!cert || s_zero (zcert_secret_key (cert))) {
        zcert_destroy (&cert);
        return zown_fail (ZOWN_INVALID);
    }
    memcpy (public_key, zcert_public_key (cert), ZOWN_CURVE_KEY);
    memcpy (secret_key, zcert_secret_key (cert), ZOWN_CURVE_KEY);
    zcert_destroy (&cert);
    return zown_ok ();
}

int
zown_curve_load_public (const char *key_or_file, uint8_t *public_key)
{
    if (!key_or_file)
        return zown_fail (ZOWN_INVALID);
    if (strlen (key_or_file) == ZOWN_CURVE_KEY_TEXT && zmq_z85_decode (public_key, key_or_file))
        return zown_ok ();
    zcert_t *cert = zcert_load (key_or_file);
    if (!cert)
        return zown_fail (ZOWN_INVALID);
    memcpy (public_key, zcert_public_key (cert), ZOWN_CURVE_KEY);
    zcert_destroy (&cert);
    return s_zero (public_key) ? zown_fail (ZOWN_INVALID) : zown_ok ();
}

int
zown_curve_public_key (const char *key_or_file, char *public_txt)
{
    uint8_t key [ZOWN_CURVE_KEY];
    if (!public_txt || zown_curve_load_public (key_or_file, key))
        return zown_fail (ZOWN_INVALID);
    zmq_z85_encode (public_txt, key, ZOWN_CURVE_KEY);
    return zown_ok ();
}
