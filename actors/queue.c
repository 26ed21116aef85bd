/*  =========================================================================
    queue - a shared FIFO queue, the counterpart of Python's Manager().Queue()
    and JoinableQueue

    A get on an empty queue and a put on a full one park in the owner until
    an item or a place is there, or their timeout passes; waiters are served
    oldest first. QUEUE_GET_MANY takes up to n items in one reply, and puts
    can be batched, which is where the throughput is. task_done and join
    work as in JoinableQueue: join waits until every item put has been
    marked done.
    =========================================================================
*/
#include "zown_internal.h"

typedef struct {
    zown_datum_t *items;  //  Ring buffer; byte strings own their copy
    size_t capacity;      //  Slots allocated
    size_t head;          //  Oldest item
    size_t size;          //  Items queued
    size_t maxsize;       //  0: unbounded
    bool sized;           //  QUEUE_INIT fixed maxsize
    int64_t unfinished;   //  Items put and not yet marked done
} s_queue_t;

static void *
s_create (void)
{
    return calloc (1, sizeof (s_queue_t));
}

static zown_datum_t *
s_at (s_queue_t *queue, size_t index)
{
    return &queue->items [(queue->head + index) % queue->capacity];
}

static void
s_destroy (void *impl)
{
    s_queue_t *queue = (s_queue_t *) impl;
    for (size_t index = 0; index < queue->size; index++)
        zown_datum_release (s_at (queue, index));
    free (queue->items);
    free (queue);
}

//  Room for one more item; -1 if out of memory (queue unchanged).
static int
s_reserve (s_queue_t *queue)
{
    if (queue->size < queue->capacity)
        return 0;
    size_t capacity = queue->capacity ? queue->capacity * 2 : 16;
    zown_datum_t *items = (zown_datum_t *) malloc (capacity * sizeof (zown_datum_t));
    if (!items)
        return -1;
    for (size_t index = 0; index < queue->size; index++)
        items [index] = *s_at (queue, index);
    free (queue->items);
    queue->items = items;
    queue->capacity = capacity;
    queue->head = 0;
    return 0;
}

static void
s_push_back (s_queue_t *queue, zown_datum_t item)
{
    queue->size++;
    *s_at (queue, queue->size - 1) = item;
}

static void
s_push_front (s_queue_t *queue, zown_datum_t item)
{
    queue->head = (queue->head + queue->capacity - 1) % queue->capacity;
    queue->size++;
    *s_at (queue, 0) = item;
}

static zown_datum_t
s_pop_front (s_queue_t *queue)
{
    zown_datum_t item = *s_at (queue, 0);
    queue->head = (queue->head + 1) % queue->capacity;
    queue->size--;
    return item;
}

static s_queue_t *
s_queue (zown_call_t *call)
{
    return (s_queue_t *) call->object->impl;
}

static bool
s_full (s_queue_t *queue)
{
    return queue->maxsize && queue->size >= queue->maxsize;
}

//  --------------------------------------------------------------------------
//  Undo records for batches

//  Undo a put: drop the newest item.
static void
s_restore_put (zown_object_t *object, void *saved)
{
    (void) saved;
    s_queue_t *queue = (s_queue_t *) object->impl;
    queue->size--;
    zown_datum_release (s_at (queue, queue->size));
    queue->unfinished--;
}

//  Undo a get: the item (owned by the record) goes back in front. The ring
//  kept its slot, so this cannot fail.
static void
s_restore_get (zown_object_t *object, void *saved)
{
    s_push_front ((s_queue_t *) object->impl, *(zown_datum_t *) saved);
    free (saved);
}

static void
s_discard_get (void *saved)
{
    zown_datum_release ((zown_datum_t *) saved);
    free (saved);
}

//  --------------------------------------------------------------------------
//  Handlers

static int
s_no_memory (zown_call_t *call)
{
    return zown_call_fail (call, ZOWN_NO_MEMORY, "out of memory");
}

static int
s_init (zown_call_t *call)
{
    s_queue_t *queue = s_queue (call);
    int64_t maxsize = call->argv [0].u.i;
    if (maxsize < 0)
        return zown_call_fail (call, ZOWN_BAD_ARGS, "maxsize must not be negative");
    if (queue->sized || queue->size || queue->unfinished) {
        if ((uint64_t) maxsize != queue->maxsize)
            return zown_call_fail (call, ZOWN_WRONG_TYPE, "queue exists with another maxsize");
        zown_call_reply_int (call, 0);
        return ZOWN_OK;
    }
    queue->maxsize = (size_t) maxsize;
    queue->sized = true;
    zown_call_bump (call);
    zown_call_reply_int (call, 1);
    return ZOWN_OK;
}

static int
s_put (zown_call_t *call)
{
    s_queue_t *queue = s_queue (call);
    if (s_full (queue))
        return zown_call_park (call, call->argv [1].u.i);
    int status = zown_call_room (call, queue->size, 1);
    if (status != ZOWN_OK)
        return status;
    zown_datum_t item;
    if (s_reserve (queue) || zown_datum_own (&item, call->argv [0]))
        return s_no_memory (call);
    if (zown_call_save (call, s_restore_put, NULL, NULL)) {
        zown_datum_release (&item);
        return s_no_memory (call);
    }
    s_push_back (queue, item);
    queue->unfinished++;
    zown_call_bump (call);
    zown_call_wake (call);
    return ZOWN_OK;
}

//  Takes the oldest item into the reply; the journal keeps it for undo.
static int
s_take (zown_call_t *call)
{
    s_queue_t *queue = s_queue (call);
    zown_datum_t *saved = NULL;
    if (call->journal) {
        saved = (zown_datum_t *) malloc (sizeof (zown_datum_t));
        if (!saved || zown_call_save (call, s_restore_get, s_discard_get, saved)) {
            free (saved);
            return s_no_memory (call);
        }
    }
    zown_datum_t item = s_pop_front (queue);
    zown_call_reply (call, item);
    if (saved)
        *saved = item;
    else
        zown_datum_release (&item);
    return ZOWN_OK;
}

static int
s_get (zown_call_t *call)
{
    if (s_queue (call)->size == 0)
        return zown_call_park (call, call->argv [0].u.i);
    int status = s_take (call);
    if (status == ZOWN_OK) {
        zown_call_bump (call);
        zown_call_wake (call);
    }
    return status;
}

static int
s_get_many (zown_call_t *call)
{
    int64_t most = call->argv [0].u.i;
    if (most < 1)
        return zown_call_fail (call, ZOWN_BAD_ARGS, "take at least one item");
    s_queue_t *queue = s_queue (call);
    if (queue->size == 0)
        return zown_call_park (call, call->argv [1].u.i);
    //  Only a journaled take can fail (no memory for its undo record), and
    //  then the batch's rollback puts back what was taken.
    for (int64_t count = 0; count < most && queue->size; count++) {
        int status = s_take (call);
        if (status != ZOWN_OK)
            return status;
    }
    zown_call_bump (call);
    zown_call_wake (call);
    return ZOWN_OK;
}

static int
s_size (zown_call_t *call)
{
    s_queue_t *queue = call->object ? s_queue (call) : NULL;
    zown_call_reply_int (call, queue ? (int64_t) queue->size : 0);
    zown_call_reply_int (call, queue ? (int64_t) queue->maxsize : 0);
    return ZOWN_OK;
}

static void
s_restore_done (zown_object_t *object, void *saved)
{
    (void) saved;
    ((s_queue_t *) object->impl)->unfinished++;
}

static int
s_task_done (zown_call_t *call)
{
    s_queue_t *queue = s_queue (call);
    if (queue->unfinished <= 0)
        return zown_call_fail (call, ZOWN_BAD_ARGS, "task_done called more times than put");
    if (zown_call_save (call, s_restore_done, NULL, NULL))
        return s_no_memory (call);
    queue->unfinished--;
    zown_call_bump (call);
    if (queue->unfinished == 0)
        zown_call_wake (call);
    return ZOWN_OK;
}

static int
s_join (zown_call_t *call)
{
    if (!call->object || s_queue (call)->unfinished == 0)
        return ZOWN_OK;
    return zown_call_park (call, call->argv [0].u.i);
}

#define INT ZOWN_ARG_INT
#define W   (ZOWN_CMD_WRITE | ZOWN_CMD_CREATE)

static const zown_command_t s_commands [] = {
    { ZOWN_OP_QUEUE_INIT, "QUEUE_INIT", 1, 1, W, { INT }, s_init },
    { ZOWN_OP_QUEUE_PUT, "QUEUE_PUT", 2, 2, W, { ZOWN_ARG_ANY, INT }, s_put },
    { ZOWN_OP_QUEUE_GET, "QUEUE_GET", 1, 1, W, { INT }, s_get },
    { ZOWN_OP_QUEUE_GET_MANY, "QUEUE_GET_MANY", 2, 2, W, { INT, INT }, s_get_many },
    { ZOWN_OP_QUEUE_SIZE, "QUEUE_SIZE", 0, 0, ZOWN_CMD_READ, { 0 }, s_size },
    { ZOWN_OP_QUEUE_TASK_DONE, "QUEUE_TASK_DONE", 0, 0, W, { 0 }, s_task_done },
    { ZOWN_OP_QUEUE_JOIN, "QUEUE_JOIN", 1, 1, ZOWN_CMD_READ, { INT }, s_join },
};

//  A snapshot of a queue: its bound, then its items in order. Items taken
//  and not yet marked done are not kept: their takers are gone after a
//  restart.
static int
s_dump (zown_object_t *object, zown_dump_t *dump)
{
    s_queue_t *queue = (s_queue_t *) object->impl;
    zown_datum_t values [2] = { zown_datum_int ((int64_t) queue->maxsize), zown_datum_int (0) };
    if (queue->sized
        && zown_dump_change (dump, ZOWN_CHANGE_OP, ZOWN_OP_QUEUE_INIT, 1, values, object->version))
        return -1;
    for (size_t index = 0; index < queue->size; index++) {
        values [0] = queue->items [(queue->head + index) % queue->capacity];
        if (zown_dump_change (dump, ZOWN_CHANGE_OP, ZOWN_OP_QUEUE_PUT, 2, values, object->version))
            return -1;
    }
    return 0;
}

const zown_type_def_t zown_queue_type = {
    .name = "queue",
    .create = s_create,
    .destroy = s_destroy,
    .dump = s_dump,
    .commands = s_commands,
    .command_count = sizeof (s_commands) / sizeof (s_commands [0]),
};

//  --------------------------------------------------------------------------
//  Client handle (include/zown_queue.h)

struct _zown_queue_t {
    zown_handle_t handle;
};

zown_queue_t *
zown_queue_new (zown_client_t *client, const char *name)
{
    return (zown_queue_t *) zown_handle_new (sizeof (zown_queue_t), client, name);
}

void
zown_queue_destroy (zown_queue_t **self_p)
{
    zown_handle_destroy ((void **) self_p);
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
zown_queue_put (zown_queue_t *self, zown_datum_t item, int timeout_ms)
{
    if (!self || timeout_ms < ZOWN_FOREVER)
        return zown_fail (ZOWN_INVALID);
    zown_datum_t argv [2] = { item, zown_datum_int (timeout_ms) };
    return zown_handle_call_wait (&self->handle, ZOWN_OP_QUEUE_PUT, 2, argv, 0, timeout_ms, NULL);
}

int
zown_queue_put_many (zown_queue_t *self, size_t n, const zown_datum_t *items)
{
    if (!self || n == 0 || n > ZOWN_BATCH_MAX || !items)
        return zown_fail (ZOWN_INVALID);
    zown_request_t *batch = zown_request_new ();
    if (!batch)
        return -1;
    int rc = 0;
    for (size_t index = 0; index < n && rc == 0; index++) {
        zown_datum_t argv [2] = { items [index], zown_datum_int (0) };
        rc = zown_request_add (batch, ZOWN_OP_QUEUE_PUT, self->handle.name, 2, argv);
    }
    if (rc == 0)
        rc = zown_client_call (self->handle.client, batch, NULL);
    zown_request_destroy (&batch);
    return rc;
}

int
zown_queue_get (zown_queue_t *self, int timeout_ms, zown_datum_t *item_p)
{
    if (!self || timeout_ms < ZOWN_FOREVER)
        return zown_fail (ZOWN_INVALID);
    zown_datum_t argv [1] = { zown_datum_int (timeout_ms) };
    zown_reply_t *reply;
    if (zown_handle_call_wait (&self->handle, ZOWN_OP_QUEUE_GET, 1, argv, 1, timeout_ms, &reply))
        return -1;
    if (item_p)
        *item_p = zown_reply_value (reply, 0, 0);
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
zown_queue_join (zown_queue_t *self, int timeout_ms)
{
    if (!self || timeout_ms < ZOWN_FOREVER)
        return zown_fail (ZOWN_INVALID);
    zown_datum_t argv [1] = { zown_datum_int (timeout_ms) };
    return zown_handle_call_wait (&self->handle, ZOWN_OP_QUEUE_JOIN, 1, argv, 0, timeout_ms, NULL);
}
