/*  =========================================================================
    zap - the owner's ZAP handler (RFC 27): which CURVE clients may connect

    CZMQ's zauth would do the same on a zactor, which zown never starts
    (docs/FORK.md). A context has one ZAP endpoint, so one owner per
    process serves CURVE tcp endpoints.
    =========================================================================
*/
#ifndef ZOWN_ZAP_H_INCLUDED
#define ZOWN_ZAP_H_INCLUDED

typedef struct _zown_zap_t zown_zap_t;

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
