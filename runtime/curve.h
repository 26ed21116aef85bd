/*  =========================================================================
    curve - CURVE keys from certificate files, and the owner's ZAP handler

    libzmq asks a ZAP handler (RFC 27), on "inproc://zeromq.zap.01" in the
    socket's context, whether a CURVE client may connect. The owner answers
    on its own thread from an allow-list directory of public certificates;
    CZMQ's zauth would do the same on a zactor, which zown never starts
    (docs/FORK.md). A context has one ZAP endpoint, so one owner per
    process serves CURVE tcp endpoints.
    =========================================================================
*/
#ifndef ZOWN_CURVE_INTERNAL_H_INCLUDED
#define ZOWN_CURVE_INTERNAL_H_INCLUDED

#define ZOWN_CURVE_KEY 32  //  Octets of a binary key

typedef struct _zown_zap_t zown_zap_t;

//  Both keys of a secret certificate file. Returns 0, or -1 with
//  ZOWN_INVALID (no such file, or not a secret certificate).
int zown_curve_load_pair (const char *file, uint8_t *public_key, uint8_t *secret_key);

//  A public key from Z85 text or a certificate file. Returns 0, or -1 with
//  ZOWN_INVALID.
int zown_curve_load_public (const char *key_or_file, uint8_t *public_key);

//  Bind a ZAP handler in ctx that accepts the keys of the certificates in
//  the directory `allow` (read again whenever it changes). NULL with a
//  status in *status_p: ZOWN_INVALID (not a directory), ZOWN_ADDR_IN_USE
//  (another handler serves this context), ZOWN_SYSTEM.
zown_zap_t *zown_zap_new (void *ctx, const char *allow, int *status_p);
void zown_zap_destroy (zown_zap_t **self_p);
//  Its socket, for the owner's poll.
void *zown_zap_socket (zown_zap_t *self);
//  Answer every waiting request; each refusal adds one to *refused and is
//  logged (at most one line a second, then a count of those not logged).
void zown_zap_handle (zown_zap_t *self, uint64_t *refused);

#endif
