/*  =========================================================================
    curve - CURVE keys from certificate files, and the owner's ZAP handler

    Certificates are CZMQ's zcert files, so keys made with CZMQ's tools or
    `zown keygen` are interchangeable; zcert and zcertstore read files only
    and start no CZMQ thread.
    =========================================================================
*/
#include "zown_internal.h"
#include "curve.h"
#include <inttypes.h>
#include <sys/stat.h>
#include <time.h>

#define S_ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define S_ZAP_FRAMES   7    //  Frames of a CURVE request (RFC 27)
#define S_ZAP_FRAME    256  //  Longest frame kept; longer ones are cut

struct _zown_zap_t {
    void *socket;         //  REP bound to the ZAP endpoint
    char *allow;          //  Allow-list directory
    zcertstore_t *store;  //  Its certificates
    int64_t logged_at;    //  When the last refusal was logged
    uint64_t unlogged;    //  Refusals not logged since then
};

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

//  --------------------------------------------------------------------------
//  ZAP handler

zown_zap_t *
zown_zap_new (void *ctx, const char *allow, int *status_p)
{
    struct stat info;
    if (!allow || stat (allow, &info) || !S_ISDIR (info.st_mode)) {
        *status_p = ZOWN_INVALID;
        return NULL;
    }
    zown_zap_t *self = (zown_zap_t *) calloc (1, sizeof (zown_zap_t));
    *status_p = ZOWN_NO_MEMORY;
    if (!self)
        return NULL;
    self->allow = strdup (allow);
    self->store = self->allow ? zcertstore_new (self->allow) : NULL;
    if (self->store) {
        *status_p = ZOWN_SYSTEM;
        self->socket = zmq_socket (ctx, ZMQ_REP);
        if (self->socket && zown_set_int (self->socket, ZMQ_LINGER, 0) == 0) {
            if (zmq_bind (self->socket, S_ZAP_ENDPOINT) == 0)
                *status_p = ZOWN_OK;
            else if (errno == EADDRINUSE)
                *status_p = ZOWN_ADDR_IN_USE;
        }
    }
    if (*status_p != ZOWN_OK)
        zown_zap_destroy (&self);
    return self;
}

void
zown_zap_destroy (zown_zap_t **self_p)
{
    zown_zap_t *self = *self_p;
    if (!self)
        return;
    if (self->socket) {
        //  Unbound now, not when libzmq's reaper gets to it: the next
        //  owner of this process can take the endpoint at once.
        zmq_unbind (self->socket, S_ZAP_ENDPOINT);
        zmq_close (self->socket);
    }
    zcertstore_destroy (&self->store);
    free (self->allow);
    free (self);
    *self_p = NULL;
}

void *
zown_zap_socket (zown_zap_t *self)
{
    return self->socket;
}

static void
s_log_refusal (zown_zap_t *self, const char *address, const char *key, const char *why)
{
    int64_t now = zown_now_ms ();
    if (self->logged_at && now - self->logged_at < 1000) {
        self->unlogged++;
        return;
    }
    if (self->unlogged)
        fprintf (stderr, "zown: %" PRIu64 " more tcp clients refused\n", self->unlogged);
    fprintf (stderr, "zown: tcp client %s refused: %s%s\n", address, why, key);
    self->logged_at = now;
    self->unlogged = 0;
}

//  Reads one request: its frames, each cut to S_ZAP_FRAME octets.
static int
s_read_request (void *socket, char frames [S_ZAP_FRAMES][S_ZAP_FRAME + 1],
                size_t sizes [S_ZAP_FRAMES])
{
    int count = 0;
    int more = 1;
    while (more) {
        char buffer [S_ZAP_FRAME + 1];
        int size = zmq_recv (socket, buffer, S_ZAP_FRAME, ZMQ_DONTWAIT);
        if (size == -1)
            return count ? count : -1;
        size = size > S_ZAP_FRAME ? S_ZAP_FRAME : size;
        if (count < S_ZAP_FRAMES) {
            memcpy (frames [count], buffer, (size_t) size);
            frames [count][size] = 0;
            sizes [count] = (size_t) size;
        }
        count++;
        size_t more_size = sizeof (more);
        if (zmq_getsockopt (socket, ZMQ_RCVMORE, &more, &more_size))
            more = 0;
    }
    return count;
}

static void
s_reply (void *socket, const char *request_id, size_t id_size, const char *code, const char *text,
         const char *user)
{
    zmq_send (socket, "1.0", 3, ZMQ_SNDMORE);
    zmq_send (socket, request_id, id_size, ZMQ_SNDMORE);
    zmq_send (socket, code, strlen (code), ZMQ_SNDMORE);
    zmq_send (socket, text, strlen (text), ZMQ_SNDMORE);
    zmq_send (socket, user, strlen (user), ZMQ_SNDMORE);
    zmq_send (socket, "", 0, 0);
}

void
zown_zap_handle (zown_zap_t *self, uint64_t *refused)
{
    char frames [S_ZAP_FRAMES][S_ZAP_FRAME + 1];
    size_t sizes [S_ZAP_FRAMES];
    int count;
    //  Frames: version, request id, domain, address, routing id,
    //  mechanism, then the client's public key for CURVE.
    while ((count = s_read_request (self->socket, frames, sizes)) >= 0) {
        if (count < 2) {
            //  Not a ZAP request; a REP must still answer before reading on.
            s_reply (self->socket, "", 0, "500", "bad request", "");
            continue;
        }
        char key [ZOWN_CURVE_KEY_TEXT + 1] = "";
        const char *why = "";
        zcert_t *cert = NULL;
        if (count != S_ZAP_FRAMES || strcmp (frames [5], "CURVE") != 0)
            why = "not a CURVE request";
        else if (sizes [6] != ZOWN_CURVE_KEY)
            why = "no public key";
        else {
            zmq_z85_encode (key, (const uint8_t *) frames [6], ZOWN_CURVE_KEY);
            cert = zcertstore_lookup (self->store, key);
            why = "not in the allow list: ";
        }
        if (cert) {
            const char *name = zcert_meta (cert, "name");
            s_reply (self->socket, frames [1], sizes [1], "200", "OK", name && *name ? name : key);
        } else {
            (*refused)++;
            s_log_refusal (self, count > 3 ? frames [3] : "?", key, why);
            s_reply (self->socket, frames [1], sizes [1], "400", "key not allowed", "");
        }
    }
}
