/*  =========================================================================
    subscriber - a SUB socket on an owner's change feed, and the decoding
    of its records (docs/PROTOCOL.md, section 9)

    A record is three frames: the topic (object name and a zero octet), the
    21-octet header, then the values. The frames are kept until the next
    receive, so a record's name and byte strings point straight into them.
    =========================================================================
*/
#include "zown_internal.h"

struct _zown_subscriber_t {
    void *socket;          //  SUB in this process's zown context
    unsigned generation;   //  Fork generation it was created in
    int rcvtimeo;          //  ZMQ_RCVTIMEO now set on the socket
    zmq_msg_t frames [3];  //  Topic, header, values of the last record
    zown_datum_t *values;  //  Its values, decoded
    size_t values_capacity;
};

static bool
s_forked (zown_subscriber_t *self)
{
    return self->generation != zown_fork_generation ();
}

zown_subscriber_t *
zown_subscriber_new (const char *feed_endpoint)
{
    if (!feed_endpoint || !strstr (feed_endpoint, "://"))
        return (zown_subscriber_t *) zown_fail_null (ZOWN_INVALID);
    void *ctx = zown_ctx ();
    if (!ctx)
        return NULL;
    zown_subscriber_t *self = (zown_subscriber_t *) calloc (1, sizeof (zown_subscriber_t));
    if (!self)
        return (zown_subscriber_t *) zown_fail_null (ZOWN_NO_MEMORY);
    self->generation = zown_fork_generation ();
    self->rcvtimeo = -1;
    for (int index = 0; index < 3; index++)
        zmq_msg_init (&self->frames [index]);
    int hwm = ZOWN_SUBSCRIBER_HWM, linger = 0, status = ZOWN_SYSTEM;
    self->socket = zmq_socket (ctx, ZMQ_SUB);
    if (self->socket && zmq_setsockopt (self->socket, ZMQ_RCVHWM, &hwm, sizeof (hwm)) == 0
        && zmq_setsockopt (self->socket, ZMQ_LINGER, &linger, sizeof (linger)) == 0) {
        if (zmq_connect (self->socket, feed_endpoint) == 0)
            return self;
        status = errno == EINVAL || errno == EPROTONOSUPPORT || errno == ENOENT ? ZOWN_INVALID
                                                                                : ZOWN_SYSTEM;
    }
    zown_subscriber_destroy (&self);
    return (zown_subscriber_t *) zown_fail_null (status);
}

void
zown_subscriber_destroy (zown_subscriber_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zown_subscriber_t *self = *self_p;
    //  In a forked child the socket belongs to the parent's context.
    if (!s_forked (self)) {
        for (int index = 0; index < 3; index++)
            zmq_msg_close (&self->frames [index]);
        if (self->socket)
            zmq_close (self->socket);
    }
    free (self->values);
    free (self);
    *self_p = NULL;
}

//  Topic of `name`: the name and its zero octet, so that "d" is not a
//  prefix of "d2"; NULL is everything (the empty topic).
static int
s_topic (zown_subscriber_t *self, const char *name, int option)
{
    if (s_forked (self))
        return zown_fail (ZOWN_FORKED);
    size_t size = name ? strlen (name) + 1 : 0;
    if (size > ZOWN_OBJECT_NAME_MAX + 1)
        return zown_fail (ZOWN_INVALID);
    return zmq_setsockopt (self->socket, option, name ? name : "", size) ? zown_fail (ZOWN_SYSTEM)
                                                                         : zown_ok ();
}

int
zown_subscriber_subscribe (zown_subscriber_t *self, const char *name)
{
    return s_topic (self, name, ZMQ_SUBSCRIBE);
}

int
zown_subscriber_unsubscribe (zown_subscriber_t *self, const char *name)
{
    return s_topic (self, name, ZMQ_UNSUBSCRIBE);
}

void *
zown_subscriber_socket (zown_subscriber_t *self)
{
    return self->socket;
}

//  The first frame: without waiting first (records usually wait in the
//  socket), then until the timeout; RCVTIMEO is set only when it changes.
static int
s_recv_first (zown_subscriber_t *self, int timeout_ms)
{
    int flags = ZMQ_DONTWAIT;
    while (zmq_msg_recv (&self->frames [0], self->socket, flags) == -1) {
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN)
            return zown_fail (ZOWN_SYSTEM);
        if (flags == 0 || timeout_ms == 0)
            return zown_fail (ZOWN_TIMEOUT);
        if (self->rcvtimeo != timeout_ms) {
            if (zmq_setsockopt (self->socket, ZMQ_RCVTIMEO, &timeout_ms, sizeof (timeout_ms)))
                return zown_fail (ZOWN_SYSTEM);
            self->rcvtimeo = timeout_ms;
        }
        flags = 0;
    }
    return 0;
}

//  Decodes the three frames just received; -1 if they are not a record.
static int
s_decode (zown_subscriber_t *self, zown_feed_record_t *record)
{
    const uint8_t *topic = (const uint8_t *) zmq_msg_data (&self->frames [0]);
    size_t topic_size = zmq_msg_size (&self->frames [0]);
    //  The topic is the name and its terminating zero, and nothing else.
    if (topic_size == 0 || topic_size > ZOWN_OBJECT_NAME_MAX + 1 || topic [topic_size - 1]
        || memchr (topic, 0, topic_size - 1))
        return -1;
    zown_change_t change;
    if (zown_decode_feed_header (zmq_msg_data (&self->frames [1]), zmq_msg_size (&self->frames [1]),
                                 &change))
        return -1;
    zown_reader_t reader;
    zown_reader_init (&reader, zmq_msg_data (&self->frames [2]), zmq_msg_size (&self->frames [2]));
    uint16_t count;
    if (zown_reader_u16 (&reader, &count)
        || zown_grow ((void **) &self->values, &self->values_capacity, count ? count : 1,
                      sizeof (zown_datum_t)))
        return -1;
    for (size_t index = 0; index < count; index++)
        if (zown_reader_datum (&reader, &self->values [index]))
            return -1;
    if (reader.pos != reader.end)
        return -1;
    *record = (zown_feed_record_t){ .name = (const char *) topic,
                                    .kind = change.kind & ~ZOWN_CHANGE_MORE,
                                    .more = (change.kind & ZOWN_CHANGE_MORE) != 0,
                                    .seq = change.seq,
                                    .version = change.version,
                                    .op = change.op,
                                    .count = count,
                                    .values = self->values };
    return 0;
}

int
zown_subscriber_recv (zown_subscriber_t *self, zown_feed_record_t *record, int timeout_ms)
{
    if (!self || !record || timeout_ms < ZOWN_FOREVER)
        return zown_fail (ZOWN_INVALID);
    if (s_forked (self))
        return zown_fail (ZOWN_FORKED);
    if (s_recv_first (self, timeout_ms))
        return -1;
    //  The other frames of a message arrive with its first: never wait.
    size_t frames = 1;
    bool more = zmq_msg_more (&self->frames [0]);
    while (more) {
        zmq_msg_t *frame = &self->frames [frames < 3 ? frames : 2];
        if (zmq_msg_recv (frame, self->socket, ZMQ_DONTWAIT) == -1)
            return zown_fail (ZOWN_SYSTEM);
        more = zmq_msg_more (frame);
        frames++;
    }
    if (frames != 3 || s_decode (self, record))
        return zown_fail (ZOWN_PROTOCOL);
    return zown_ok ();
}
