/*  =========================================================================
    queue handle - the client side of a shared queue (include/zown_queue.h):
    it builds the ops and reads their replies. The owner side is actors/queue.c.
    =========================================================================
*/
#include "zown_internal.h"

struct _zown_queue_t {
    zown_handle_t handle;
    size_t prefetch;     //  Items leased per round trip; 0 or 1: none kept
    size_t stride;       //  Values per item got: 3 joinable, 1 plain, 0 not known yet
    zown_buf_t frame;    //  Copy of the reply the prefetched items came in
    zown_reply_t items;  //  It, decoded: items point into frame
    size_t count;        //  Items in it
    size_t next;         //  The next one to serve
};

zown_queue_t *
zown_queue_new (zown_client_t *client, const char *name)
{
    zown_queue_t *self = (zown_queue_t *) zown_handle_new (sizeof (zown_queue_t), client, name);
    if (self) {
        zown_buf_init (&self->frame);
        zown_reply_init (&self->items);
    }
    return self;
}

void
zown_queue_destroy (zown_queue_t **self_p)
{
    if (self_p && *self_p) {
        zown_buf_free (&(*self_p)->frame);
        zown_reply_fini (&(*self_p)->items);
    }
    zown_handle_destroy ((void **) self_p);
}

int
zown_queue_set_prefetch (zown_queue_t *self, size_t count)
{
    if (!self || count > ZOWN_ARGS_MAX)
        return zown_fail (ZOWN_INVALID);
    self->prefetch = count;
    return zown_ok ();
}

//  Leases up to `prefetch` items in one round trip, waiting like get for
//  the first, and keeps them. The first refill is a QUEUE_GET, whose reply
//  tells a joinable queue (3 values per item) from a plain one.
static int
s_refill (zown_queue_t *self, int timeout_ms)
{
    zown_datum_t argv [2] = { zown_datum_int ((int64_t) self->prefetch),
                              zown_datum_int (timeout_ms) };
    zown_reply_t *reply;
    int rc = self->stride ? zown_handle_call_wait (&self->handle, ZOWN_OP_QUEUE_GET_MANY, 2, argv,
                                                   1, timeout_ms, &reply)
                          : zown_handle_call_wait (&self->handle, ZOWN_OP_QUEUE_GET, 1, argv + 1, 1,
                                                   timeout_ms, &reply);
    if (rc)
        return -1;
    if (!self->stride)
        self->stride = zown_reply_count (reply, 0) > 1 ? 3 : 1;
    const void *data;
    size_t size;
    zown_client_frame (self->handle.client, &data, &size);
    self->frame.size = 0;
    zown_buf_put_mem (&self->frame, data, size);
    if (self->frame.failed) {
        self->frame.failed = false;
        return zown_fail (ZOWN_NO_MEMORY);
    }
    size_t values = 0;
    if (zown_reply_decode (&self->items, self->frame.data, self->frame.size) == 0)
        values = zown_reply_count (&self->items, 0);
    self->next = 0;
    self->count = values / self->stride;
    return values && values % self->stride == 0 ? 0 : zown_fail (ZOWN_PROTOCOL);
}

//  The next prefetched item, with its lease.
static int
s_serve (zown_queue_t *self, zown_datum_t *item_p, uint64_t *id_p, int64_t *deliveries_p)
{
    size_t first = self->next++ * self->stride;
    int64_t id = 0, deliveries = 0;
    if (self->stride == 3
        && (zown_handle_int (&self->items, first + 1, &id)
            || zown_handle_int (&self->items, first + 2, &deliveries)))
        return -1;
    if (item_p)
        *item_p = zown_reply_value (&self->items, 0, first);
    if (id_p)
        *id_p = (uint64_t) id;
    if (deliveries_p)
        *deliveries_p = deliveries;
    return zown_ok ();
}

int
zown_queue_init (zown_queue_t *self, size_t maxsize)
{
    if (!self || maxsize > INT64_MAX)
        return zown_fail (ZOWN_INVALID);
    zown_datum_t argv [1] = { zown_datum_int ((int64_t) maxsize) };
    zown_reply_t *reply;
    int64_t created;
    if (zown_handle_call (&self->handle, ZOWN_OP_QUEUE_INIT, 1, argv, 1, &reply)
        || zown_handle_int (reply, 0, &created))
        return -1;
    return created != 0;
}

int
zown_queue_init_joinable (zown_queue_t *self, size_t maxsize, int max_deliveries)
{
    if (!self || maxsize > INT64_MAX || max_deliveries < 0
        || strlen (self->handle.name) + strlen (".dead") > ZOWN_OBJECT_NAME_MAX)
        return zown_fail (ZOWN_INVALID);
    zown_datum_t argv [3] = { zown_datum_int ((int64_t) maxsize), zown_datum_int (1),
                              zown_datum_int (max_deliveries) };
    zown_reply_t *reply;
    int64_t created;
    if (zown_handle_call (&self->handle, ZOWN_OP_QUEUE_INIT, max_deliveries ? 3 : 2, argv, 1,
                          &reply)
        || zown_handle_int (reply, 0, &created))
        return -1;
    return created != 0;
}

int
zown_queue_put (zown_queue_t *self, zown_datum_t item, int timeout_ms)
{
    if (!self || timeout_ms < ZOWN_FOREVER)
        return zown_fail (ZOWN_INVALID);
    zown_datum_t argv [2] = { item, zown_datum_int (timeout_ms) };
    return zown_handle_call_wait (&self->handle, ZOWN_OP_QUEUE_PUT, 2, argv, 0, timeout_ms, NULL);
}

//  Item `index` of a put_many, put without waiting.
static int
s_put_item (const void *context, size_t index, zown_datum_t *argv)
{
    argv [0] = ((const zown_datum_t *) context) [index];
    argv [1] = zown_datum_int (0);
    return 0;
}

int
zown_queue_put_many (zown_queue_t *self, size_t n, const zown_datum_t *items)
{
    if (!self || !items)
        return zown_fail (ZOWN_INVALID);
    return zown_handle_call_each (self->handle.client, self->handle.name, ZOWN_OP_QUEUE_PUT, n, 2,
                                  s_put_item, items);
}

int
zown_queue_get (zown_queue_t *self, int timeout_ms, zown_datum_t *item_p)
{
    return zown_queue_get_lease (self, timeout_ms, item_p, NULL, NULL);
}

int
zown_queue_get_lease (zown_queue_t *self, int timeout_ms, zown_datum_t *item_p, uint64_t *id_p,
                      int64_t *deliveries_p)
{
    if (!self || timeout_ms < ZOWN_FOREVER)
        return zown_fail (ZOWN_INVALID);
    if (self->next < self->count || self->prefetch > 1) {
        //  An item kept (even after prefetch was turned off) is served here: still a call on the client, which
        //  reports failures and sends buffered updates past their linger.
        if (self->next < self->count ? zown_client_tick (self->handle.client)
                                     : s_refill (self, timeout_ms))
            return -1;
        return s_serve (self, item_p, id_p, deliveries_p);
    }
    zown_datum_t argv [1] = { zown_datum_int (timeout_ms) };
    zown_reply_t *reply;
    if (zown_handle_call_wait (&self->handle, ZOWN_OP_QUEUE_GET, 1, argv, 1, timeout_ms, &reply))
        return -1;
    //  A joinable queue adds the lease's id and deliveries; a plain one not.
    int64_t id = 0, deliveries = 0;
    if (zown_reply_count (reply, 0) > 1
        && (zown_handle_int (reply, 1, &id) || zown_handle_int (reply, 2, &deliveries)))
        return -1;
    if (item_p)
        *item_p = zown_reply_value (reply, 0, 0);
    if (id_p)
        *id_p = (uint64_t) id;
    if (deliveries_p)
        *deliveries_p = deliveries;
    return 0;
}

int
zown_queue_get_many (zown_queue_t *self, size_t most, int timeout_ms, zown_reply_t **items_p)
{
    if (!self || most == 0 || most > INT64_MAX || timeout_ms < ZOWN_FOREVER)
        return zown_fail (ZOWN_INVALID);
    zown_datum_t argv [2] = { zown_datum_int ((int64_t) most), zown_datum_int (timeout_ms) };
    return zown_handle_call_wait (&self->handle, ZOWN_OP_QUEUE_GET_MANY, 2, argv, 1, timeout_ms,
                                  items_p);
}

//  Size and maxsize in one reply.
static int
s_size_of (zown_queue_t *self, int64_t *size_p, int64_t *maxsize_p)
{
    zown_reply_t *reply;
    if (!self)
        return zown_fail (ZOWN_INVALID);
    if (zown_handle_call (&self->handle, ZOWN_OP_QUEUE_SIZE, 0, NULL, 2, &reply)
        || zown_handle_int (reply, 0, size_p) || zown_handle_int (reply, 1, maxsize_p))
        return -1;
    return 0;
}

int
zown_queue_size (zown_queue_t *self, size_t *size_p)
{
    int64_t size, maxsize;
    if (s_size_of (self, &size, &maxsize))
        return -1;
    if (size_p)
        *size_p = (size_t) size;
    return 0;
}

int
zown_queue_empty (zown_queue_t *self)
{
    int64_t size, maxsize;
    return s_size_of (self, &size, &maxsize) ? -1 : size == 0;
}

int
zown_queue_full (zown_queue_t *self)
{
    int64_t size, maxsize;
    return s_size_of (self, &size, &maxsize) ? -1 : maxsize > 0 && size >= maxsize;
}

int
zown_queue_task_done (zown_queue_t *self)
{
    if (!self)
        return zown_fail (ZOWN_INVALID);
    return zown_handle_call (&self->handle, ZOWN_OP_QUEUE_TASK_DONE, 0, NULL, 0, NULL);
}

int
zown_queue_ack (zown_queue_t *self, uint64_t id)
{
    if (!self || id > INT64_MAX)
        return zown_fail (ZOWN_INVALID);
    zown_datum_t argv [1] = { zown_datum_int ((int64_t) id) };
    return zown_handle_call (&self->handle, ZOWN_OP_QUEUE_ACK, 1, argv, 0, NULL);
}

int
zown_queue_join (zown_queue_t *self, int timeout_ms)
{
    if (!self || timeout_ms < ZOWN_FOREVER)
        return zown_fail (ZOWN_INVALID);
    zown_datum_t argv [1] = { zown_datum_int (timeout_ms) };
    return zown_handle_call_wait (&self->handle, ZOWN_OP_QUEUE_JOIN, 1, argv, 0, timeout_ms, NULL);
}
