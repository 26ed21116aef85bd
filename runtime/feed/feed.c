/*  =========================================================================
    feed - the owner's change feed

    An XPUB rather than a PUB: the owner reads the subscriptions, so that
    with no subscriber at all it does not even build the records (the hot
    path stays as it was). A subscriber that falls behind its high-water
    mark loses messages; it sees the gap in sequence numbers and resyncs.
    =========================================================================
*/
#include "zown_internal.h"
#include "feed/feed.h"
#include <sys/stat.h>

//  Changes a subscriber may lag behind before it loses some.
#define S_FEED_HWM 100000

struct _zown_feed_t {
    void *socket;
    char *inproc;
    char *path;
    size_t topics;  //  Topics subscribed to by anyone (XPUB reports each once)
};

zown_feed_t *
zown_feed_new (void *ctx, const char *inproc, const char *path, int *status_p)
{
    zown_feed_t *self = (zown_feed_t *) calloc (1, sizeof (zown_feed_t));
    char *endpoint = path ? zsys_sprintf ("ipc://%s", path) : NULL;
    int hwm = S_FEED_HWM, linger = 0;
    *status_p = ZOWN_NO_MEMORY;
    if (self && endpoint && (self->inproc = strdup (inproc))) {
        *status_p = ZOWN_SYSTEM;
        //  The owner holds its name (lock file and probe of NAME.sock):
        //  a feed file left by a dead owner of that name is stale.
        unlink (path);
        if ((self->socket = zmq_socket (ctx, ZMQ_XPUB))
            && zmq_setsockopt (self->socket, ZMQ_SNDHWM, &hwm, sizeof (hwm)) == 0
            && zmq_setsockopt (self->socket, ZMQ_LINGER, &linger, sizeof (linger)) == 0
            && zmq_bind (self->socket, inproc) == 0 && zmq_bind (self->socket, endpoint) == 0
            && (self->path = strdup (path)) && chmod (path, 0600) == 0)
            *status_p = ZOWN_OK;
    }
    free (endpoint);
    if (*status_p != ZOWN_OK)
        zown_feed_destroy (&self);
    return self;
}

void
zown_feed_destroy (zown_feed_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zown_feed_t *self = *self_p;
    if (self->socket) {
        //  Unbound now, so that a new owner can take the name at once.
        if (self->inproc)
            zmq_unbind (self->socket, self->inproc);
        zmq_close (self->socket);
    }
    if (self->path)
        unlink (self->path);
    free (self->inproc);
    free (self->path);
    free (self);
    *self_p = NULL;
}

void *
zown_feed_socket (zown_feed_t *self)
{
    return self->socket;
}

void
zown_feed_handle (zown_feed_t *self, zown_registry_t *registry)
{
    uint8_t message [ZOWN_OBJECT_NAME_MAX + 2];
    int size;
    while ((size = zmq_recv (self->socket, message, sizeof (message), ZMQ_DONTWAIT)) >= 1) {
        if (message [0] == 1)
            self->topics++;
        else if (message [0] == 0 && self->topics)
            self->topics--;
    }
    zown_registry_set_feed_active (registry, self->topics > 0);
}

//  One change as its three frames: topic, header, values.
static void
s_publish (zown_feed_t *self, const zown_change_t *change)
{
    uint8_t topic [ZOWN_OBJECT_NAME_MAX + 1];
    memcpy (topic, change->name, change->name_size);
    topic [change->name_size] = 0;
    uint8_t header [ZOWN_FEED_HEADER];
    zown_encode_feed_header (header, change);
    uint8_t count [2];
    zown_store_be (count, change->count, 2);
    zmq_msg_t values;
    if (zmq_msg_init_size (&values, 2 + change->values_size))
        return;
    memcpy (zmq_msg_data (&values), count, 2);
    memcpy ((uint8_t *) zmq_msg_data (&values) + 2, change->values, change->values_size);
    if (zmq_send (self->socket, topic, change->name_size + 1, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0
        || zmq_send (self->socket, header, sizeof (header), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0
        || zmq_msg_send (&values, self->socket, ZMQ_DONTWAIT) < 0)
        zmq_msg_close (&values);
}

void
zown_feed_publish (void *arg, const void *records, size_t size)
{
    zown_reader_t reader;
    zown_reader_init (&reader, records, size);
    zown_change_t change;
    while (reader.pos < reader.end && zown_decode_change (&reader, &change) == 0)
        s_publish ((zown_feed_t *) arg, &change);
}
