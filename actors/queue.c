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
    return zown_call_error (call, ZOWN_NO_MEMORY, "out of memory");
}

int
zown_cmd_queue_init (zown_call_t *call)
{
    s_queue_t *queue = s_queue (call);
    int64_t maxsize = call->argv [0].u.i;
    if (maxsize < 0)
        return zown_call_error (call, ZOWN_BAD_ARGS, "maxsize must not be negative");
    if (queue->sized || queue->size || queue->unfinished) {
        if ((uint64_t) maxsize != queue->maxsize)
            return zown_call_error (call, ZOWN_WRONG_TYPE, "queue exists with another maxsize");
        zown_call_reply_int (call, 0);
        return ZOWN_OK;
    }
    queue->maxsize = (size_t) maxsize;
    queue->sized = true;
    zown_call_bump (call);
    zown_call_reply_int (call, 1);
    return ZOWN_OK;
}

int
zown_cmd_queue_put (zown_call_t *call)
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
    if (call->undo) {
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

int
zown_cmd_queue_get (zown_call_t *call)
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

int
zown_cmd_queue_get_many (zown_call_t *call)
{
    int64_t most = call->argv [0].u.i;
    if (most < 1)
        return zown_call_error (call, ZOWN_BAD_ARGS, "take at least one item");
    s_queue_t *queue = s_queue (call);
    if (queue->size == 0)
        return zown_call_park (call, call->argv [1].u.i);
    //  Only an undoable take can fail (no memory for its undo record), and
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

int
zown_cmd_queue_size (zown_call_t *call)
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

int
zown_cmd_queue_task_done (zown_call_t *call)
{
    s_queue_t *queue = s_queue (call);
    if (queue->unfinished <= 0)
        return zown_call_error (call, ZOWN_BAD_ARGS, "task_done called more times than put");
    if (zown_call_save (call, s_restore_done, NULL, NULL))
        return s_no_memory (call);
    queue->unfinished--;
    zown_call_bump (call);
    if (queue->unfinished == 0)
        zown_call_wake (call);
    return ZOWN_OK;
}

int
zown_cmd_queue_join (zown_call_t *call)
{
    if (!call->object || s_queue (call)->unfinished == 0)
        return ZOWN_OK;
    return zown_call_park (call, call->argv [0].u.i);
}

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
};
