/*  =========================================================================
    feed - the owner's change feed: an XPUB socket that publishes every
    committed change (docs/PROTOCOL.md, section 9)
    =========================================================================
*/
#ifndef ZOWN_FEED_H_INCLUDED
#define ZOWN_FEED_H_INCLUDED

typedef struct _zown_feed_t zown_feed_t;

//  Bind an XPUB socket to `inproc` and to the ipc socket file `path`
//  (replaced if stale: the caller owns the name). NULL with a status in
//  *status_p.
zown_feed_t *zown_feed_new (void *ctx, const char *inproc, const char *path, int *status_p);
//  Close it and remove its socket file; accepts NULL, nulls the pointer.
void zown_feed_destroy (zown_feed_t **self_p);
//  Its socket, for the owner's poll.
void *zown_feed_socket (zown_feed_t *self);
//  Read the subscriptions waiting on the socket; tells the registry
//  whether anyone subscribes now.
void zown_feed_handle (zown_feed_t *self, zown_registry_t *registry);
//  Publish change records (zown_decode_change), each as one message (a
//  zown_publish_fn).
void zown_feed_publish (void *self, const void *records, size_t size);

#endif
