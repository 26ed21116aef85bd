/*  =========================================================================
    zown_curve - CURVE key pairs for tcp endpoints (docs/SECURITY.md)

    An owner that binds tcp:// authenticates and encrypts every connection
    with ZeroMQ's CURVE: it has a key pair, and accepts only the clients
    whose public keys are in its allow-list directory. Keys are stored as
    CZMQ certificate files (zcert): a public one, to hand out, and a secret
    one (mode 0600), which never leaves its host.
    =========================================================================
*/
#ifndef ZOWN_CURVE_H_INCLUDED
#define ZOWN_CURVE_H_INCLUDED

#include "zown_export.h"

#ifdef __cplusplus
extern "C" {
#endif

//  Length of a key in Z85 text, without its NUL.
#define ZOWN_CURVE_KEY_TEXT 40

//  Make a new key pair and write it to `base`.key (public certificate) and
//  `base`.secret (both keys, mode 0600); `name` (may be NULL) goes in their
//  metadata and names the client in the owner's log. If public_txt is not
//  NULL, it gets the public key as Z85 text (ZOWN_CURVE_KEY_TEXT + 1
//  bytes). Refuses to replace an existing file. Returns 0, or -1 with
//  ZOWN_INVALID (bad base, or a file exists) or ZOWN_SYSTEM.
ZOWN_EXPORT int zown_curve_keygen (const char *base, const char *name, char *public_txt);

//  The public key of a certificate file (public or secret), or of Z85 text
//  given directly, into public_txt (ZOWN_CURVE_KEY_TEXT + 1 bytes).
//  Returns 0, or -1 with ZOWN_INVALID.
ZOWN_EXPORT int zown_curve_public_key (const char *key_or_file, char *public_txt);

#ifdef __cplusplus
}
#endif

#endif
