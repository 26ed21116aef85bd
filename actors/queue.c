/*  =========================================================================
    queue - a shared FIFO queue, the counterpart of Python's Manager().Queue()
    and JoinableQueue, whose joinable kind survives its consumers' deaths

    A get on an empty queue and a put on a full one park in the owner until
    an item or a place is there, or their timeout passes; waiters are served
    oldest first. QUEUE_GET_MANY takes up to n items in one reply, and puts
    can be batched, which is where the throughput is.

    A plain queue hands each item out once (at most once); task_done and
    join count the items put and not yet marked done, as JoinableQueue does,
    and an item whose taker dies is gone. A joinable queue (QUEUE_INIT with
    joinable 1) leases each item it hands out to the taker's session until
    that session acknowledges it (QUEUE_ACK by id, or task_done for its
    oldest lease). When the session ends first (death, lost connection,
    BYE), its items go back to their places and are delivered again (at
    least once), until one has been delivered max_deliveries times: then it
    goes to the plain queue NAME.dead instead, and counts as done.

    What a journal keeps of a joinable queue is its unacknowledged items in
    id order (put order), leased or not, with their delivery counts; no
    session survives a restart, so every lease comes back as a queued item.
    Leases are session state, never journaled: a get is journaled as the
    deliveries it counted (QUEUE_DELIVERED), a task_done as the QUEUE_ACK of
    the item it acknowledged, and a snapshot lists the items as
    QUEUE_RESTOREs. A returned item goes back to its place by id, which
    changes nothing in that view; a dead letter is journaled when its
    session ends (QUEUE_ACK here, QUEUE_PUT on NAME.dead).
    =========================================================================
*/
#include "zown_internal.h"

//  Deliveries of a joinable queue's item before it is dead-lettered, when
//  QUEUE_INIT does not say (ZOWN_QUEUE_MAX_DELIVERIES in zown_queue.h).
#define S_MAX_DELIVERIES 5
#define S_DEAD_SUFFIX    ".dead"

typedef struct {
    zown_datum_t item;   //  Byte strings own their copy
    uint64_t id;         //  Joinable: the queue's version just after its put
    int64_t deliveries;  //  Joinable: times it was handed out
} s_entry_t;

//  What one session holds of a joinable queue, from its first get until
//  it ends.
typedef struct {
    zown_session_t *session;  //  The taker
    void *held;               //  Its entry in session->held
    s_entry_t *leases;        //  Items it holds, in taking order
    size_t count;             //  Items in leases
    size_t capacity;          //  Never shrinks: an undone ack finds its slot
} s_holder_t;

typedef struct {
    s_entry_t *items;        //  Ring buffer; joinable: in id order
    size_t capacity;         //  Slots: at least size + leased
    size_t head;             //  Oldest item
    size_t size;             //  Items queued
    size_t maxsize;          //  0: unbounded
    bool sized;              //  QUEUE_INIT fixed maxsize
    bool joinable;           //  Items are leased until acknowledged
    int64_t max_deliveries;  //  Joinable: deliveries before NAME.dead
    int64_t unfinished;      //  Items put and not yet marked done
    size_t leased;           //  Items leased now, in all holders
    s_holder_t *holders;     //  Sessions that took items (joinable)
    size_t holder_count;     //  Entries in holders
    size_t holder_capacity;  //  Room in holders
} s_queue_t;

static void *
s_create (void)
{
    return calloc (1, sizeof (s_queue_t));
}

static s_entry_t *
s_at (s_queue_t *queue, size_t index)
{
    return &queue->items [(queue->head + index) % queue->capacity];
}

static void
s_destroy (void *impl)
{
    s_queue_t *queue = (s_queue_t *) impl;
    for (size_t index = 0; index < queue->size; index++)
        zown_datum_release (&s_at (queue, index)->item);
    for (size_t index = 0; index < queue->holder_count; index++) {
        s_holder_t *holder = &queue->holders [index];
        for (size_t lease = 0; lease < holder->count; lease++)
            zown_datum_release (&holder->leases [lease].item);
        zown_session_unhold (holder->session, holder->held);
        free (holder->leases);
    }
    free (queue->holders);
    free (queue->items);
    free (queue);
}

//  Room for one more item; -1 if out of memory (queue unchanged). Leased
//  items keep a slot, so that a session's end can always put them back.
static int
s_reserve (s_queue_t *queue)
{
    if (queue->size + queue->leased < queue->capacity)
        return 0;
    size_t capacity = queue->capacity ? queue->capacity * 2 : 16;
    s_entry_t *items = (s_entry_t *) malloc (capacity * sizeof (s_entry_t));
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
s_push_back (s_queue_t *queue, s_entry_t entry)
{
    queue->size++;
    *s_at (queue, queue->size - 1) = entry;
}

//  Insert at `index`, moving the items before it one slot towards the
//  front (a free slot is there: s_reserve).
static void
s_insert_at (s_queue_t *queue, size_t index, s_entry_t entry)
{
    queue->head = (queue->head + queue->capacity - 1) % queue->capacity;
    queue->size++;
    for (size_t at = 0; at < index; at++)
        *s_at (queue, at) = *s_at (queue, at + 1);
    *s_at (queue, index) = entry;
}

//  A returned item goes back to its place by id: behind the older items
//  returned before it, ahead of every item never delivered.
static void
s_insert (s_queue_t *queue, s_entry_t entry)
{
    size_t index = 0;
    while (index < queue->size && s_at (queue, index)->id < entry.id)
        index++;
    s_insert_at (queue, index, entry);
}

static s_entry_t
s_remove_at (s_queue_t *queue, size_t index)
{
    s_entry_t entry = *s_at (queue, index);
    for (size_t at = index; at > 0; at--)
        *s_at (queue, at) = *s_at (queue, at - 1);
    queue->head = (queue->head + 1) % queue->capacity;
    queue->size--;
    return entry;
}

//  Index of the queued item with that id (joinable: the ring is in id
//  order), or SIZE_MAX.
static size_t
s_find (s_queue_t *queue, uint64_t id)
{
    size_t low = 0, high = queue->size;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (s_at (queue, middle)->id < id)
            low = middle + 1;
        else
            high = middle;
    }
    return low < queue->size && s_at (queue, low)->id == id ? low : SIZE_MAX;
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

static int
s_no_memory (zown_call_t *call)
{
    return zown_call_error (call, ZOWN_NO_MEMORY, "out of memory");
}

//  --------------------------------------------------------------------------
//  Holders: the leases of each session

static s_holder_t *
s_holder (s_queue_t *queue, zown_session_t *session)
{
    for (size_t index = 0; index < queue->holder_count; index++)
        if (queue->holders [index].session == session)
            return &queue->holders [index];
    return NULL;
}

//  The caller's holder, NULL if it never took an item of this queue.
static s_holder_t *
s_caller (zown_call_t *call)
{
    zown_session_t *session = call->peer
        ? zown_session_find (call->registry, call->peer->identity, call->peer->identity_size)
        : NULL;
    return session ? s_holder (s_queue (call), session) : NULL;
}

//  The session's holder, made on its first get, with room for `more`
//  leases; NULL if out of memory. An empty holder changes nothing anyone
//  sees: it stays until its session ends.
static s_holder_t *
s_holder_ready (zown_call_t *call, zown_session_t *session, size_t more)
{
    s_queue_t *queue = s_queue (call);
    s_holder_t *holder = s_holder (queue, session);
    if (!holder) {
        if (zown_grow ((void **) &queue->holders, &queue->holder_capacity, queue->holder_count + 1,
                       sizeof (s_holder_t)))
            return NULL;
        void *held = zown_call_hold (call, session);
        if (!held)
            return NULL;
        holder = &queue->holders [queue->holder_count++];
        *holder = (s_holder_t){ .session = session, .held = held };
    }
    if (zown_grow ((void **) &holder->leases, &holder->capacity, holder->count + more,
                   sizeof (s_entry_t)))
        return NULL;
    return holder;
}

//  Forget a holder whose session ended (its leases already moved).
static void
s_holder_drop (s_queue_t *queue, s_holder_t *holder)
{
    zown_session_unhold (holder->session, holder->held);
    free (holder->leases);
    size_t index = (size_t) (holder - queue->holders);
    memmove (holder, holder + 1, (queue->holder_count - index - 1) * sizeof (s_holder_t));
    queue->holder_count--;
}

static size_t
s_lease_index (const s_holder_t *holder, uint64_t id)
{
    for (size_t index = 0; index < holder->count; index++)
        if (holder->leases [index].id == id)
            return index;
    return SIZE_MAX;
}

//  The unacknowledged item with that id, queued or leased; NULL if none.
static s_entry_t *
s_entry (s_queue_t *queue, uint64_t id)
{
    size_t index = s_find (queue, id);
    if (index != SIZE_MAX)
        return s_at (queue, index);
    for (size_t holder = 0; holder < queue->holder_count; holder++) {
        s_holder_t *leases = &queue->holders [holder];
        index = s_lease_index (leases, id);
        if (index != SIZE_MAX)
            return &leases->leases [index];
    }
    return NULL;
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
    zown_datum_release (&s_at (queue, queue->size)->item);
    queue->unfinished--;
}

//  Undo a get: the item (owned by the record) goes back in front. The ring
//  kept its slot, so this cannot fail.
static void
s_restore_get (zown_object_t *object, void *saved)
{
    s_insert_at ((s_queue_t *) object->impl, 0, *(s_entry_t *) saved);
    free (saved);
}

static void
s_discard_get (void *saved)
{
    zown_datum_release (&((s_entry_t *) saved)->item);
    free (saved);
}

//  A joinable get: the session's newest `count` leases go back in front.
typedef struct {
    zown_session_t *session;
    size_t count;
} s_lease_undo_t;

static void
s_restore_lease (zown_object_t *object, void *saved)
{
    s_queue_t *queue = (s_queue_t *) object->impl;
    s_lease_undo_t *undo = (s_lease_undo_t *) saved;
    s_holder_t *holder = s_holder (queue, undo->session);
    for (size_t index = 0; index < undo->count; index++) {
        s_entry_t entry = holder->leases [--holder->count];
        entry.deliveries--;
        s_insert_at (queue, 0, entry);
    }
    queue->leased -= undo->count;
    free (saved);
}

//  An acknowledgement: the item goes back where it was, to its session's
//  leases (their array never shrinks) or, from no session, to the ring.
typedef struct {
    zown_session_t *session;  //  NULL: it was queued
    size_t index;
    s_entry_t entry;
} s_ack_undo_t;

static void
s_restore_ack (zown_object_t *object, void *saved)
{
    s_queue_t *queue = (s_queue_t *) object->impl;
    s_ack_undo_t *undo = (s_ack_undo_t *) saved;
    s_holder_t *holder = undo->session ? s_holder (queue, undo->session) : NULL;
    if (holder) {
        memmove (&holder->leases [undo->index + 1], &holder->leases [undo->index],
                 (holder->count - undo->index) * sizeof (s_entry_t));
        holder->leases [undo->index] = undo->entry;
        holder->count++;
        queue->leased++;
    } else
        s_insert_at (queue, undo->index, undo->entry);
    queue->unfinished++;
    free (saved);
}

static void
s_discard_ack (void *saved)
{
    zown_datum_release (&((s_ack_undo_t *) saved)->entry.item);
    free (saved);
}

//  QUEUE_INIT on a queue that was neither sized nor used: what it was.
typedef struct {
    size_t maxsize;
    bool sized;
    bool joinable;
    int64_t max_deliveries;
} s_init_undo_t;

static void
s_restore_init (zown_object_t *object, void *saved)
{
    s_queue_t *queue = (s_queue_t *) object->impl;
    s_init_undo_t *undo = (s_init_undo_t *) saved;
    queue->maxsize = undo->maxsize;
    queue->sized = undo->sized;
    queue->joinable = undo->joinable;
    queue->max_deliveries = undo->max_deliveries;
    free (saved);
}

//  Deliveries counted by QUEUE_DELIVERED (its ids, copied) are taken back.
typedef struct {
    size_t count;
    uint64_t ids [];
} s_delivered_undo_t;

static void
s_restore_delivered (zown_object_t *object, void *saved)
{
    s_delivered_undo_t *undo = (s_delivered_undo_t *) saved;
    for (size_t index = 0; index < undo->count; index++)
        s_entry ((s_queue_t *) object->impl, undo->ids [index])->deliveries--;
    free (saved);
}

//  --------------------------------------------------------------------------
//  Handlers

int
zown_cmd_queue_init (zown_call_t *call)
{
    s_queue_t *queue = s_queue (call);
    int64_t maxsize = call->argv [0].u.i;
    int64_t joinable = call->argc > 1 ? call->argv [1].u.i : 0;
    int64_t most = call->argc > 2 ? call->argv [2].u.i : S_MAX_DELIVERIES;
    if (maxsize < 0 || (joinable != 0 && joinable != 1) || most < 1 || most > INT32_MAX
        || (joinable == 0 && call->argc > 2))
        return zown_call_error (call, ZOWN_BAD_ARGS,
                                "maxsize >= 0, joinable 0 or 1, max deliveries 1..2^31-1");
    if (joinable && strlen (call->name) + strlen (S_DEAD_SUFFIX) > ZOWN_OBJECT_NAME_MAX)
        return zown_call_error (call, ZOWN_BAD_ARGS, "no room for the name's .dead suffix");
    if (queue->sized || queue->size || queue->unfinished) {
        if ((uint64_t) maxsize != queue->maxsize || queue->joinable != (joinable == 1)
            || (joinable && most != queue->max_deliveries))
            return zown_call_error (call, ZOWN_WRONG_TYPE,
                                    "queue exists with another maxsize or kind");
        zown_call_reply_int (call, 0);
        return ZOWN_OK;
    }
    s_init_undo_t *undo = NULL;
    if (call->undo) {
        undo = (s_init_undo_t *) malloc (sizeof (s_init_undo_t));
        if (!undo || zown_call_save (call, s_restore_init, free, undo)) {
            free (undo);
            return s_no_memory (call);
        }
        *undo =
            (s_init_undo_t){ queue->maxsize, queue->sized, queue->joinable, queue->max_deliveries };
    }
    queue->maxsize = (size_t) maxsize;
    queue->sized = true;
    queue->joinable = joinable == 1;
    queue->max_deliveries = joinable ? most : 0;
    zown_call_bump (call);
    zown_call_reply_int (call, 1);
    return ZOWN_OK;
}

//  The id of a joinable queue's next item (0 for a plain queue): its
//  version after the put (above every id, as versions only grow), or, if a
//  journal with versions out of order left higher ids, above those. -1 if
//  that id would not fit the int64 that replies and snapshots carry ids
//  in: only a journal with versions near 2^64 gets there.
static int
s_next_id (zown_object_t *object, uint64_t *id)
{
    s_queue_t *queue = (s_queue_t *) object->impl;
    *id = 0;
    if (!queue->joinable)
        return 0;
    uint64_t last = queue->size ? s_at (queue, queue->size - 1)->id : 0;
    uint64_t above = object->version > last ? object->version : last;
    if (above >= INT64_MAX)
        return -1;
    *id = above + 1;
    return 0;
}

//  Append an item (a copy of `item`) with that id and delivery count.
static int
s_append (zown_call_t *call, zown_datum_t item, uint64_t id, int64_t deliveries)
{
    s_queue_t *queue = s_queue (call);
    int status = zown_call_room (call, queue->size, 1);
    if (status != ZOWN_OK)
        return status;
    s_entry_t entry = { .id = id, .deliveries = deliveries };
    if (s_reserve (queue) || zown_datum_own (&entry.item, item))
        return s_no_memory (call);
    if (zown_call_save (call, s_restore_put, NULL, NULL)) {
        zown_datum_release (&entry.item);
        return s_no_memory (call);
    }
    s_push_back (queue, entry);
    queue->unfinished++;
    zown_call_bump (call);
    zown_call_wake (call);
    return ZOWN_OK;
}

//  A replayed put never waits: the owner may have held more than maxsize,
//  as a joinable queue's leases come back as queued items after a restart
//  and a dead letter goes to NAME.dead whatever its bound.
int
zown_cmd_queue_put (zown_call_t *call)
{
    s_queue_t *queue = s_queue (call);
    if (s_full (queue) && !zown_call_replaying (call))
        return zown_call_park (call, call->argv [1].u.i);
    uint64_t id;
    if (s_next_id (call->object, &id))
        return zown_call_error (call, ZOWN_OVERFLOW, "no item id left");
    return s_append (call, call->argv [0], id, 0);
}

//  Takes the oldest item of a plain queue into the reply; the journal keeps
//  it for undo.
static int
s_take (zown_call_t *call)
{
    s_queue_t *queue = s_queue (call);
    s_entry_t *saved = NULL;
    if (call->undo) {
        saved = (s_entry_t *) malloc (sizeof (s_entry_t));
        if (!saved || zown_call_save (call, s_restore_get, s_discard_get, saved)) {
            free (saved);
            return s_no_memory (call);
        }
    }
    s_entry_t entry = s_remove_at (queue, 0);
    zown_call_reply (call, entry.item);
    if (saved)
        *saved = entry;
    else
        zown_datum_release (&entry.item);
    return ZOWN_OK;
}

//  Lease the oldest `count` items of a joinable queue to the caller: each
//  replies item, id and deliveries, and the deliveries are journaled by id.
static int
s_lease (zown_call_t *call, size_t count)
{
    s_queue_t *queue = s_queue (call);
    zown_session_t *session;
    int status = zown_call_session (call, &session);
    if (status != ZOWN_OK)
        return status;
    s_holder_t *holder = s_holder_ready (call, session, count);
    zown_datum_t *ids = (zown_datum_t *) malloc (count * sizeof (zown_datum_t));
    s_lease_undo_t *undo = call->undo ? (s_lease_undo_t *) malloc (sizeof (s_lease_undo_t)) : NULL;
    if (!holder || !ids || (call->undo && !undo)
        || zown_call_save (call, s_restore_lease, free, undo)) {
        free (ids);
        free (undo);
        return s_no_memory (call);
    }
    if (undo)
        *undo = (s_lease_undo_t){ session, count };
    for (size_t index = 0; index < count; index++) {
        s_entry_t entry = s_remove_at (queue, 0);
        entry.deliveries++;
        holder->leases [holder->count++] = entry;
        ids [index] = zown_datum_int ((int64_t) entry.id);
        zown_call_reply (call, entry.item);
        zown_call_reply_int (call, (int64_t) entry.id);
        zown_call_reply_int (call, entry.deliveries);
    }
    queue->leased += count;
    zown_call_bump (call);
    zown_call_changed_as (call, ZOWN_OP_QUEUE_DELIVERED, count, ids);
    free (ids);
    zown_call_wake (call);
    return ZOWN_OK;
}

int
zown_cmd_queue_get (zown_call_t *call)
{
    s_queue_t *queue = s_queue (call);
    if (queue->size == 0)
        return zown_call_park (call, call->argv [0].u.i);
    if (queue->joinable)
        return s_lease (call, 1);
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
    if (queue->joinable) {
        //  As many as one QUEUE_DELIVERED record can name.
        size_t count = queue->size < ZOWN_ARGS_MAX ? queue->size : ZOWN_ARGS_MAX;
        return s_lease (call, (uint64_t) most < count ? (size_t) most : count);
    }
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

//  One item is done with: count it, and let joiners go at the last.
static void
s_done (zown_call_t *call)
{
    s_queue_t *queue = s_queue (call);
    queue->unfinished--;
    zown_call_bump (call);
    if (queue->unfinished == 0)
        zown_call_wake (call);
}

//  Acknowledge a holder's lease `index` (holder NULL: the queued item at
//  ring index `index`, as only a journal replay asks).
static int
s_ack (zown_call_t *call, s_holder_t *holder, size_t index)
{
    s_queue_t *queue = s_queue (call);
    s_ack_undo_t *undo = NULL;
    if (call->undo) {
        undo = (s_ack_undo_t *) malloc (sizeof (s_ack_undo_t));
        if (!undo || zown_call_save (call, s_restore_ack, s_discard_ack, undo)) {
            free (undo);
            return s_no_memory (call);
        }
    }
    s_entry_t entry;
    if (holder) {
        entry = holder->leases [index];
        memmove (&holder->leases [index], &holder->leases [index + 1],
                 (holder->count - index - 1) * sizeof (s_entry_t));
        holder->count--;
        queue->leased--;
    } else
        entry = s_remove_at (queue, index);
    if (undo)
        *undo = (s_ack_undo_t){ holder ? holder->session : NULL, index, entry };
    else
        zown_datum_release (&entry.item);
    s_done (call);
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
    if (queue->joinable) {
        //  The caller's oldest lease, as Python's contract says; journaled
        //  by its id, which a replay could not find from a session.
        s_holder_t *holder = s_caller (call);
        if (!holder || holder->count == 0)
            return zown_call_error (call, ZOWN_NOT_HELD, "this client holds no item of the queue");
        zown_datum_t id = zown_datum_int ((int64_t) holder->leases [0].id);
        int status = s_ack (call, holder, 0);
        if (status == ZOWN_OK)
            zown_call_changed_as (call, ZOWN_OP_QUEUE_ACK, 1, &id);
        return status;
    }
    if (queue->unfinished <= 0)
        return zown_call_error (call, ZOWN_BAD_ARGS, "task_done called more times than put");
    if (zown_call_save (call, s_restore_done, NULL, NULL))
        return s_no_memory (call);
    s_done (call);
    return ZOWN_OK;
}

int
zown_cmd_queue_ack (zown_call_t *call)
{
    if (!call->object)
        return zown_call_error (call, ZOWN_NOT_HELD, "no such queue");
    s_queue_t *queue = s_queue (call);
    if (!queue->joinable)
        return zown_call_error (call, ZOWN_BAD_ARGS, "the queue is not joinable");
    uint64_t id = (uint64_t) call->argv [0].u.i;
    if (call->peer) {
        s_holder_t *holder = s_caller (call);
        size_t index = holder ? s_lease_index (holder, id) : SIZE_MAX;
        if (index == SIZE_MAX)
            return zown_call_error (call, ZOWN_NOT_HELD, "this client holds no item with that id");
        return s_ack (call, holder, index);
    }
    //  From no client (a journal replay): the item wherever it is.
    size_t index = s_find (queue, id);
    if (index != SIZE_MAX)
        return s_ack (call, NULL, index);
    for (size_t holder = 0; holder < queue->holder_count; holder++) {
        index = s_lease_index (&queue->holders [holder], id);
        if (index != SIZE_MAX)
            return s_ack (call, &queue->holders [holder], index);
    }
    return zown_call_error (call, ZOWN_NOT_HELD, "no unacknowledged item with that id");
}

int
zown_cmd_queue_join (zown_call_t *call)
{
    if (!call->object || s_queue (call)->unfinished == 0)
        return ZOWN_OK;
    return zown_call_park (call, call->argv [0].u.i);
}

//  Journal form of a joinable get: one more delivery of each item named.
int
zown_cmd_queue_delivered (zown_call_t *call)
{
    s_queue_t *queue = call->object ? s_queue (call) : NULL;
    if (!queue || !queue->joinable)
        return zown_call_error (call, ZOWN_NOT_FOUND, "no joinable queue");
    for (size_t index = 0; index < call->argc; index++)
        if (!s_entry (queue, (uint64_t) call->argv [index].u.i))
            return zown_call_error (call, ZOWN_NOT_FOUND, "no unacknowledged item with that id");
    s_delivered_undo_t *undo = NULL;
    if (call->undo) {
        undo = (s_delivered_undo_t *) malloc (sizeof (s_delivered_undo_t)
                                              + call->argc * sizeof (uint64_t));
        if (!undo || zown_call_save (call, s_restore_delivered, free, undo)) {
            free (undo);
            return s_no_memory (call);
        }
        undo->count = call->argc;
    }
    for (size_t index = 0; index < call->argc; index++) {
        uint64_t id = (uint64_t) call->argv [index].u.i;
        s_entry (queue, id)->deliveries++;
        if (undo)
            undo->ids [index] = id;
    }
    zown_call_bump (call);
    return ZOWN_OK;
}

//  Snapshot form of a joinable queue's item: id, deliveries, item. Items
//  come in id order, which the queue keeps.
int
zown_cmd_queue_restore (zown_call_t *call)
{
    s_queue_t *queue = call->object ? s_queue (call) : NULL;
    if (!queue || !queue->joinable)
        return zown_call_error (call, ZOWN_NOT_FOUND, "no joinable queue");
    int64_t id = call->argv [0].u.i, deliveries = call->argv [1].u.i;
    uint64_t last = queue->size ? s_at (queue, queue->size - 1)->id : 0;
    if (id < 1 || (uint64_t) id <= last || deliveries < 0)
        return zown_call_error (call, ZOWN_BAD_ARGS, "ids must grow, deliveries >= 0");
    return s_append (call, call->argv [2], (uint64_t) id, deliveries);
}

//  --------------------------------------------------------------------------
//  Sessions that end, and snapshots

//  Move an item out of the queue into NAME.dead, a plain queue unless
//  somebody made it otherwise, whatever its bound: journaled as QUEUE_ACK
//  here and QUEUE_PUT there. -1 if that queue cannot be had (another type,
//  no memory): the item stays in this one.
static int
s_dead_letter (zown_object_t *object, s_entry_t entry)
{
    char name [ZOWN_OBJECT_NAME_MAX + 1];
    snprintf (name, sizeof (name), "%s%s", object->name, S_DEAD_SUFFIX);
    zown_object_t *dead = zown_registry_ensure (object->registry, name, &zown_queue_type);
    s_queue_t *target = dead ? (s_queue_t *) dead->impl : NULL;
    uint64_t id;
    if (!target || s_next_id (dead, &id) || s_reserve (target))
        return -1;
    ((s_queue_t *) object->impl)->unfinished--;
    object->version++;
    zown_datum_t acked = zown_datum_int ((int64_t) entry.id);
    zown_object_changed_as (object, ZOWN_OP_QUEUE_ACK, 1, &acked);
    s_push_back (target, (s_entry_t){ entry.item, id, 0 });
    target->unfinished++;
    dead->version++;
    zown_datum_t put [2] = { entry.item, zown_datum_int (0) };
    zown_object_changed_as (dead, ZOWN_OP_QUEUE_PUT, 2, put);
    zown_object_wake (dead);
    return 0;
}

//  A session ended: each item it still holds goes back to its place for
//  another delivery or, delivered max_deliveries times, to NAME.dead.
static void
s_release_hook (zown_object_t *object, zown_session_t *session, bool died)
{
    (void) died;
    s_queue_t *queue = (s_queue_t *) object->impl;
    s_holder_t *holder = s_holder (queue, session);
    if (!holder)
        return;
    for (size_t index = 0; index < holder->count; index++) {
        s_entry_t entry = holder->leases [index];
        queue->leased--;
        if (entry.deliveries < queue->max_deliveries || s_dead_letter (object, entry))
            s_insert (queue, entry);
    }
    s_holder_drop (queue, holder);
    zown_object_wake (object);
}

static int
s_by_id (const void *item1, const void *item2)
{
    uint64_t a = (*(const s_entry_t *const *) item1)->id;
    uint64_t b = (*(const s_entry_t *const *) item2)->id;
    return a < b ? -1 : a > b;
}

//  A joinable queue's snapshot: its settings, then every unacknowledged
//  item in id order, leased or not, as QUEUE_RESTORE: after a restart
//  nobody holds them.
static int
s_dump_joinable (zown_object_t *object, zown_dump_t *dump)
{
    s_queue_t *queue = (s_queue_t *) object->impl;
    zown_datum_t values [3] = { zown_datum_int ((int64_t) queue->maxsize), zown_datum_int (1),
                                zown_datum_int (queue->max_deliveries) };
    if (zown_dump_change (dump, ZOWN_CHANGE_OP, ZOWN_OP_QUEUE_INIT, 3, values, object->version))
        return -1;
    const s_entry_t **leases =
        (const s_entry_t **) malloc ((queue->leased + 1) * sizeof (s_entry_t *));
    if (!leases)
        return -1;
    size_t count = 0;
    for (size_t holder = 0; holder < queue->holder_count; holder++)
        for (size_t index = 0; index < queue->holders [holder].count; index++)
            leases [count++] = &queue->holders [holder].leases [index];
    qsort (leases, count, sizeof (s_entry_t *), s_by_id);
    size_t next = 0, index = 0;
    int rc = 0;
    while (rc == 0 && (next < count || index < queue->size)) {
        const s_entry_t *entry =
            index < queue->size && (next == count || s_at (queue, index)->id < leases [next]->id)
            ? s_at (queue, index++)
            : leases [next++];
        values [0] = zown_datum_int ((int64_t) entry->id);
        values [1] = zown_datum_int (entry->deliveries);
        values [2] = entry->item;
        rc = zown_dump_change (dump, ZOWN_CHANGE_OP, ZOWN_OP_QUEUE_RESTORE, 3, values,
                               object->version);
    }
    free (leases);
    return rc;
}

//  A plain queue's snapshot: its bound, then its items in order. Items
//  taken and not yet marked done are not kept: their takers are gone after
//  a restart.
static int
s_dump (zown_object_t *object, zown_dump_t *dump)
{
    s_queue_t *queue = (s_queue_t *) object->impl;
    if (queue->joinable)
        return s_dump_joinable (object, dump);
    zown_datum_t values [2] = { zown_datum_int ((int64_t) queue->maxsize), zown_datum_int (0) };
    if (queue->sized
        && zown_dump_change (dump, ZOWN_CHANGE_OP, ZOWN_OP_QUEUE_INIT, 1, values, object->version))
        return -1;
    for (size_t index = 0; index < queue->size; index++) {
        values [0] = s_at (queue, index)->item;
        if (zown_dump_change (dump, ZOWN_CHANGE_OP, ZOWN_OP_QUEUE_PUT, 2, values, object->version))
            return -1;
    }
    return 0;
}

const zown_type_def_t zown_queue_type = {
    .name = "queue",
    .create = s_create,
    .destroy = s_destroy,
    .release = s_release_hook,
    .dump = s_dump,
};
