/*  =========================================================================
    replica - local copies of dicts and values, kept current from the
    change feed (docs/PROTOCOL.md, section 9.1; the Clone pattern)

    State: `seq`, the last change applied. A record numbered seq + 1 is
    applied, a lower one is already in the snapshot, a higher one means
    records were lost: the replica takes a new snapshot. Every object is in
    one snapshot request, so the copies always show one instant of the
    owner, never a mix of two.
    =========================================================================
*/
#include "zown_internal.h"
#include <inttypes.h>
#include <time.h>

//  Between MARKs while waiting for one to come back on the feed (a MARK
//  the owner handles before it has seen the subscription is not sent).
#define S_MARK_RETRY_MS 100
//  Deadline of a request's first try; it doubles at each of the next.
#define S_CALL_PATIENCE_MS 1000
//  How long update lets the feed stay quiet before it asks the owner for
//  a MARK (records lost at the end of a burst show no gap until then).
#define S_IDLE_CHECK_MS 1000

//  What the replica believes an object is; a snapshot checks it.
typedef enum {
    S_MISSING,  //  No such object (yet)
    S_DICT,
    S_VALUE,
    S_OTHER  //  Another type: followed, not copied
} s_kind_t;

typedef struct {
    char *name;
    s_kind_t kind;
    zhashx_t *items;      //  S_DICT: key -> zown_datum_t * (owned)
    zown_datum_t number;  //  S_VALUE: the number (nil: none)
} s_object_t;

struct _zown_replica_t {
    zown_client_t *client;          //  MARK and snapshots
    zown_subscriber_t *subscriber;  //  The whole feed
    unsigned generation;            //  Fork generation it was created in
    int timeout;                    //  Deadline of a round trip, ms (-1: none)
    zhashx_t *objects;              //  name -> s_object_t
    s_object_t **order;             //  Snapshot: the object of each op
    size_t order_capacity;
    zown_request_t *request;  //  Reused for snapshots
    uint64_t seq;             //  Last change applied
    uint64_t received;        //  Seq of the last change record received
    bool live;                //  The subscription has delivered a record
    bool stale;               //  Records were lost: resync before going on
    bool mid_commit;          //  More records of the last one's commit are due
    bool heard;               //  A record came in this update
    int64_t idle_since;       //  Update: when the feed went quiet (0: it is not)
    uint64_t marks;           //  MARKs sent, for their tokens
    size_t lose;              //  Test hook: records still to throw away
    zown_replica_stats_t stats;
};

static bool
s_forked (zown_replica_t *self)
{
    return self->generation != zown_fork_generation ();
}

//  --------------------------------------------------------------------------
//  Keys: byte strings, which may hold zeros, so not C strings

typedef zown_key_t s_key_t;

static void
s_free (void **item)
{
    free (*item);
    *item = NULL;
}

static void
s_value_free (void **item)
{
    if (*item) {
        zown_datum_release ((zown_datum_t *) *item);
        s_free (item);
    }
}

static zhashx_t *
s_items_new (void)
{
    return zown_key_table_new (s_value_free);
}

//  Set key to a copy of value; -1 if out of memory (nothing changed).
static int
s_items_put (zhashx_t *items, zown_datum_t key, zown_datum_t value)
{
    s_key_t lookup = { (const uint8_t *) key.u.b.ptr, key.u.b.len };
    zown_datum_t *copy = (zown_datum_t *) malloc (sizeof (zown_datum_t));
    if (!copy || zown_datum_own (copy, value)) {
        free (copy);
        return -1;
    }
    zown_datum_t *stored = (zown_datum_t *) zhashx_lookup (items, &lookup);
    if (stored) {
        zown_datum_release (stored);
        *stored = *copy;
        free (copy);
        return 0;
    }
    if (zhashx_insert (items, &lookup, copy)) {
        s_value_free ((void **) &copy);
        return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Objects

static void
s_object_clear (s_object_t *object)
{
    zhashx_destroy (&object->items);
    zown_datum_release (&object->number);
}

static void
s_object_free (void **item)
{
    s_object_t *object = (s_object_t *) *item;
    if (object) {
        s_object_clear (object);
        free (object->name);
        s_free (item);
    }
}

//  The kind an owner's type name means.
static s_kind_t
s_kind_of (zown_datum_t type)
{
    return zown_datum_streq (type, "dict") ? S_DICT
        : zown_datum_streq (type, "value") ? S_VALUE
                                           : S_OTHER;
}

//  --------------------------------------------------------------------------
//  Facade

zown_replica_t *
zown_replica_new (const char *owner, const char *feed)
{
    if (!owner || !*owner || (!feed && strstr (owner, "://")))
        return (zown_replica_t *) zown_fail_null (ZOWN_INVALID);
    char *derived = feed ? NULL : zown_owner_feed_endpoint_for (owner);
    if (!feed && !derived)
        return NULL;
    zown_replica_t *self = (zown_replica_t *) calloc (1, sizeof (zown_replica_t));
    int status = ZOWN_NO_MEMORY;
    if (self) {
        self->generation = zown_fork_generation ();
        self->timeout = ZOWN_CLIENT_TIMEOUT_DEFAULT;
        self->objects = zhashx_new ();
        self->request = zown_request_new ();
        if (self->objects && self->request) {
            zhashx_set_destructor (self->objects, s_object_free);
            //  Everything: a subscriber to some objects only could not
            //  tell lost records from records of other objects.
            if ((self->client = zown_client_new (owner))
                && (self->subscriber = zown_subscriber_new (feed ? feed : derived))
                && zown_subscriber_subscribe (self->subscriber, NULL) == 0) {
                free (derived);
                zown_ok ();
                return self;
            }
            status = zown_errno ();
        }
    }
    free (derived);
    zown_replica_destroy (&self);
    return (zown_replica_t *) zown_fail_null (status);
}

void
zown_replica_destroy (zown_replica_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zown_replica_t *self = *self_p;
    zown_subscriber_destroy (&self->subscriber);
    zown_client_destroy (&self->client);
    zown_request_destroy (&self->request);
    zhashx_destroy (&self->objects);
    free (self->order);
    free (self);
    *self_p = NULL;
}

int
zown_replica_set_timeout (zown_replica_t *self, int timeout_ms)
{
    if (!self || timeout_ms == 0 || timeout_ms < ZOWN_FOREVER)
        return zown_fail (ZOWN_INVALID);
    self->timeout = timeout_ms;
    return zown_ok ();
}

//  A request through the replica's client, within deadline; the reply is
//  borrowed until the next call. A replica's requests only read, so one
//  left unanswered (lost with the connection of an owner that restarted,
//  say) is sent again, each time with twice the patience.
static int
s_call (zown_replica_t *self, zown_request_t *request, int64_t deadline, zown_reply_t **reply_p)
{
    int patience = S_CALL_PATIENCE_MS, status = ZOWN_TIMEOUT;
    for (int left = zown_left_ms (deadline); left != 0; left = zown_left_ms (deadline)) {
        if (zown_client_set_timeout (self->client,
                                     left == ZOWN_FOREVER || left > patience ? patience : left))
            return -1;
        if (zown_client_call (self->client, request, reply_p) == 0)
            return 0;
        status = zown_errno ();
        if (status != ZOWN_TIMEOUT && status != ZOWN_UNREACHABLE)
            return -1;
        patience = patience > INT32_MAX / 2 ? INT32_MAX : 2 * patience;
    }
    return zown_fail (status);
}

//  MARK with a token of this replica: *seq_p gets the owner's last change,
//  and a MARK record goes out on the feed after it.
static int
s_mark (zown_replica_t *self, int64_t deadline, uint64_t *seq_p)
{
    char token [64];
    snprintf (token, sizeof (token), "replica %d %" PRIu64, (int) getpid (), ++self->marks);
    zown_datum_t argument = zown_datum_str (token);
    zown_reply_t *reply;
    zown_request_reset (self->request);
    if (zown_request_add (self->request, ZOWN_OP_MARK, NULL, 1, &argument)
        || s_call (self, self->request, deadline, &reply))
        return -1;
    zown_datum_t seq = zown_reply_value (reply, 0, 0);
    if (seq.tag != ZOWN_INT || seq.u.i < 0)
        return zown_fail (ZOWN_PROTOCOL);
    *seq_p = (uint64_t) seq.u.i;
    return 0;
}

//  Until the feed delivers something: any record proves the subscription
//  live, since the owner sends nothing to a subscription it has not seen.
static int
s_go_live (zown_replica_t *self, int64_t deadline)
{
    while (!self->live) {
        uint64_t seq;
        if (s_mark (self, deadline, &seq))
            return -1;
        int left = zown_left_ms (deadline);
        int wait = left == ZOWN_FOREVER || left > S_MARK_RETRY_MS ? S_MARK_RETRY_MS : left;
        zown_feed_record_t record;
        if (zown_subscriber_recv (self->subscriber, &record, wait) == 0
            || zown_errno () == ZOWN_PROTOCOL)
            self->live = true;
        else if (zown_errno () != ZOWN_TIMEOUT)
            return -1;
        else if (zown_left_ms (deadline) == 0)
            return zown_fail (ZOWN_TIMEOUT);
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Snapshots

//  Ops of one object in a snapshot, by what we believe it is: results
//  prove the belief right or the batch fails. A dict: TYPE answers only if
//  it exists, DICT_ITEMS only if it is a dict (or missing). Missing: only
//  a missing object answers both DICT_LEN and LIST_LEN. A value: VALUE_GET
//  answers only for one. Another type: TYPE says which.
static size_t
s_width (s_kind_t kind)
{
    return kind == S_DICT || kind == S_MISSING ? 2 : 1;
}

static int
s_snapshot_ops (zown_replica_t *self, s_object_t *object, size_t *ops_p)
{
    zown_op_t ops [2] = { ZOWN_OP_TYPE, ZOWN_OP_DICT_ITEMS };
    if (object->kind == S_VALUE)
        ops [0] = ZOWN_OP_VALUE_GET;
    else if (object->kind == S_MISSING) {
        ops [0] = ZOWN_OP_DICT_LEN;
        ops [1] = ZOWN_OP_LIST_LEN;
    }
    size_t count = s_width (object->kind);
    if (zown_grow ((void **) &self->order, &self->order_capacity, *ops_p + count,
                   sizeof (s_object_t *)))
        return zown_fail (ZOWN_NO_MEMORY);
    for (size_t index = 0; index < count; index++) {
        if (zown_request_add (self->request, ops [index], object->name, 0, NULL))
            return -1;
        self->order [(*ops_p)++] = object;
    }
    return 0;
}

//  What the owner says object is (TYPE), after the snapshot found it
//  other than believed.
static int
s_discover (zown_replica_t *self, s_object_t *object, int64_t deadline)
{
    zown_reply_t *reply;
    zown_request_reset (self->request);
    if (zown_request_add (self->request, ZOWN_OP_TYPE, object->name, 0, NULL))
        return -1;
    if (s_call (self, self->request, deadline, &reply) == 0)
        object->kind = s_kind_of (zown_reply_value (reply, 0, 0));
    else if (zown_errno () == ZOWN_NOT_FOUND)
        object->kind = S_MISSING;
    else
        return -1;
    return 0;
}

//  A dict's items from its DICT_ITEMS result, in a new table; NULL with a
//  status.
static zhashx_t *
s_items_from (zown_reply_t *reply, size_t op)
{
    size_t count = zown_reply_count (reply, op);
    if (count % 2)
        return (zhashx_t *) zown_fail_null (ZOWN_PROTOCOL);
    zhashx_t *items = s_items_new ();
    for (size_t index = 0; items && index < count; index += 2) {
        zown_datum_t key = zown_reply_value (reply, op, index);
        if (key.tag != ZOWN_BYTES) {
            zhashx_destroy (&items);
            return (zhashx_t *) zown_fail_null (ZOWN_PROTOCOL);
        }
        if (s_items_put (items, key, zown_reply_value (reply, op, index + 1)))
            zhashx_destroy (&items);
    }
    return items ? items : (zhashx_t *) zown_fail_null (ZOWN_NO_MEMORY);
}

//  Installs a snapshot reply of `ops` ops (the last one SEQ), all or
//  nothing. Returns 0, 1 if an object of another type turned out to be a
//  dict or a value (ask again), or -1 with a status.
static int
s_install (zown_replica_t *self, zown_reply_t *reply, size_t ops)
{
    zown_datum_t seq = zown_reply_value (reply, ops - 1, 0);
    if (zown_reply_results (reply) != ops || seq.tag != ZOWN_INT || seq.u.i < 0)
        return zown_fail (ZOWN_PROTOCOL);
    //  New copies first, so that a failure leaves the old ones whole.
    //  Each object's are kept at the index of its first op.
    zhashx_t **tables = (zhashx_t **) calloc (ops, sizeof (zhashx_t *));
    if (!tables)
        return zown_fail (ZOWN_NO_MEMORY);
    int rc = 0;
    for (size_t op = 0; op + 1 < ops && rc == 0; op += s_width (self->order [op]->kind)) {
        s_object_t *object = self->order [op];
        zown_datum_t first = zown_reply_value (reply, op, 0);
        if (object->kind == S_DICT && !(tables [op] = s_items_from (reply, op + 1)))
            rc = -1;
        else if (object->kind == S_VALUE && first.tag != ZOWN_INT && first.tag != ZOWN_DOUBLE)
            rc = zown_fail (ZOWN_PROTOCOL);
        else if (object->kind == S_OTHER && s_kind_of (first) != S_OTHER) {
            object->kind = s_kind_of (first);
            rc = 1;
        }
    }
    for (size_t op = 0; rc == 0 && op + 1 < ops; op += s_width (self->order [op]->kind)) {
        s_object_t *object = self->order [op];
        s_object_clear (object);
        object->items = tables [op];
        tables [op] = NULL;
        if (object->kind == S_VALUE)
            object->number = zown_reply_value (reply, op, 0);
    }
    for (size_t op = 0; op < ops; op++)
        zhashx_destroy (&tables [op]);
    free (tables);
    if (rc == 0) {
        self->seq = (uint64_t) seq.u.i;
        self->stale = false;
        self->stats.snapshots++;
    }
    return rc;
}

//  Throw away the records waiting in the socket: each was published
//  before the snapshot that follows, so the snapshot holds its change.
//  Bounded, for a writer that publishes faster than this reads.
static void
s_discard_waiting (zown_replica_t *self)
{
    zown_feed_record_t record;
    for (size_t count = 0; count < 2 * ZOWN_SUBSCRIBER_HWM; count++)
        if (zown_subscriber_recv (self->subscriber, &record, 0) == 0)
            self->stats.skipped++;
        else if (zown_errno () != ZOWN_PROTOCOL)
            break;
}

//  Snapshot of every object and the owner's seq, in one atomic request.
static int
s_snapshot (zown_replica_t *self, int64_t deadline)
{
    s_discard_waiting (self);
    while (true) {
        size_t ops = 0;
        zown_request_reset (self->request);
        for (s_object_t *object = (s_object_t *) zhashx_first (self->objects); object;
             object = (s_object_t *) zhashx_next (self->objects))
            if (s_snapshot_ops (self, object, &ops))
                return -1;
        if (zown_request_add (self->request, ZOWN_OP_SEQ, NULL, 0, NULL))
            return -1;
        ops++;
        zown_reply_t *reply = NULL;
        if (s_call (self, self->request, deadline, &reply) == 0) {
            int rc = s_install (self, reply, ops);
            if (rc <= 0)
                return rc;
            continue;
        }
        //  An object is not what we believed: dropped, created, or made
        //  anew with another type. Ask what it is now, then read again.
        int status = zown_errno ();
        if (!reply || (status != ZOWN_WRONG_TYPE && status != ZOWN_NOT_FOUND))
            return -1;
        size_t failed = 0;
        while (failed + 1 < ops && zown_reply_result_status (reply, failed) != status)
            failed++;
        if (failed + 1 == ops)
            return zown_fail (ZOWN_PROTOCOL);
        if (s_discover (self, self->order [failed], deadline))
            return -1;
    }
}

//  After lost records: a new snapshot. On failure the replica keeps its
//  state and stays stale, so the next call tries again.
static int
s_resync (zown_replica_t *self)
{
    self->stale = true;
    if (s_snapshot (self, zown_deadline_ms (self->timeout)))
        return -1;
    //  A snapshot is taken between two commits.
    self->mid_commit = false;
    self->stats.resyncs++;
    return 0;
}

int
zown_replica_add (zown_replica_t *self, const char *name)
{
    if (!self || !name || !*name || strlen (name) > ZOWN_OBJECT_NAME_MAX)
        return zown_fail (ZOWN_INVALID);
    if (s_forked (self))
        return zown_fail (ZOWN_FORKED);
    if (zhashx_lookup (self->objects, name))
        return zown_ok ();
    if (zhashx_size (self->objects) == ZOWN_REPLICA_OBJECTS_MAX)
        return zown_fail (ZOWN_INVALID);
    s_object_t *object = (s_object_t *) calloc (1, sizeof (s_object_t));
    if (!object || !(object->name = strdup (name)) || zhashx_insert (self->objects, name, object)) {
        s_object_free ((void **) &object);
        return zown_fail (ZOWN_NO_MEMORY);
    }
    int64_t deadline = zown_deadline_ms (self->timeout);
    if (s_go_live (self, deadline) || s_snapshot (self, deadline)) {
        int status = zown_errno ();
        zhashx_delete (self->objects, name);
        return zown_fail (status);
    }
    return zown_ok ();
}

//  --------------------------------------------------------------------------
//  Change records

//  Applies one change to a replicated object; -1 if out of memory or if
//  the record makes no sense (then only a snapshot can tell).
static int
s_apply (s_object_t *object, const zown_feed_record_t *record)
{
    bool dict_op = (record->op & 0xF0) == 0x10, value_op = (record->op & 0xF0) == 0x20;
    const zown_datum_t *values = record->values;
    switch (record->kind) {
        case ZOWN_CHANGE_SET:
            if (record->count != 2 || !(dict_op || value_op))
                return -1;
            if (value_op) {
                zown_datum_t number;
                if (zown_datum_own (&number, values [1]))
                    return -1;
                s_object_clear (object);
                object->kind = S_VALUE;
                object->number = number;
                return 0;
            }
            if (object->kind != S_DICT) {
                s_object_clear (object);
                object->kind = S_DICT;
            }
            if (!object->items && !(object->items = s_items_new ()))
                return -1;
            return values [0].tag == ZOWN_BYTES
                ? s_items_put (object->items, values [0], values [1])
                : -1;
        case ZOWN_CHANGE_DEL: {
            if (record->count != 1 || values [0].tag != ZOWN_BYTES || !object->items)
                return -1;
            s_key_t key = { (const uint8_t *) values [0].u.b.ptr, values [0].u.b.len };
            zhashx_delete (object->items, &key);
            return 0;
        }
        case ZOWN_CHANGE_CLEAR:
            if (object->items)
                zhashx_purge (object->items);
            return 0;
        case ZOWN_CHANGE_DROP:
            s_object_clear (object);
            object->kind = S_MISSING;
            return 0;
        case ZOWN_CHANGE_OP:
            s_object_clear (object);
            object->kind = S_OTHER;
            return 0;
        default:
            return 0;  //  A kind of a newer owner: not about dicts or values.
    }
}

//  Handles one record; -1 when the replica must resync first.
static int
s_handle (zown_replica_t *self, const zown_feed_record_t *record)
{
    self->mid_commit = record->more;
    if (record->kind == ZOWN_CHANGE_MARK) {
        //  Every change up to its seq was published before it.
        if (record->seq <= self->seq)
            return 0;
        self->stats.gaps++;
        return -1;
    }
    //  One owner numbers its changes upwards: a lower number is another
    //  owner (restarted, perhaps from an older journal).
    bool restarted = record->seq <= self->received;
    self->received = record->seq;
    if (restarted)
        return -1;
    if (record->seq <= self->seq) {
        self->stats.skipped++;
        return 0;
    }
    if (record->seq != self->seq + 1) {
        self->stats.gaps++;
        return -1;
    }
    s_object_t *object = (s_object_t *) zhashx_lookup (self->objects, record->name);
    if (object && s_apply (object, record))
        return -1;
    self->seq = record->seq;
    self->stats.records++;
    return 0;
}

//  Receives and applies records: until `target` is applied (until_target),
//  or else until none is waiting, at most ZOWN_SUBSCRIBER_HWM; never in the
//  middle of a commit, so that reads never see half of a batch. Waits,
//  until deadline, only for a record that is not there yet (for update,
//  only the first); the rest of a commit, published with its first part,
//  is waited for on the replica's own deadline, and resynced from if it
//  never comes. Resyncs after a gap.
static int
s_pump (zown_replica_t *self, uint64_t target, int64_t deadline, bool until_target)
{
    for (size_t count = 0; count < ZOWN_SUBSCRIBER_HWM || until_target || self->mid_commit;
         count++) {
        if (self->stale && s_resync (self))
            return -1;
        if (until_target && self->seq >= target && !self->mid_commit)
            return 0;
        //  The clock is read only when nothing is waiting.
        zown_feed_record_t record;
        int rc = zown_subscriber_recv (self->subscriber, &record, 0);
        if (rc && zown_errno () == ZOWN_TIMEOUT
            && (until_target || count == 0 || self->mid_commit)) {
            int wait =
                zown_left_ms (self->mid_commit ? zown_deadline_ms (self->timeout) : deadline);
            if (wait)
                rc = zown_subscriber_recv (self->subscriber, &record, wait);
        }
        if (rc) {
            int status = zown_errno ();
            if (self->mid_commit && status == ZOWN_TIMEOUT) {
                self->stats.gaps++;  //  The rest of a commit was lost
                self->stale = true;
            } else if (status == ZOWN_PROTOCOL || self->mid_commit)
                self->stale = true;  //  Unreadable: as good as lost.
            else if (status != ZOWN_TIMEOUT || until_target)
                return -1;
            else
                return 0;
        } else if (self->lose && record.kind != ZOWN_CHANGE_MARK) {
            self->lose--;
            self->mid_commit = record.more;
        } else if (s_handle (self, &record))
            self->stale = true;
        self->heard = true;
    }
    return self->stale ? s_resync (self) : 0;
}

//  Asks the owner where it is (MARK): *target_p gets its last change. An
//  answer below the replica's seq comes from an owner that restarted with
//  another history (its feed starts again too): resync.
static int
s_check (zown_replica_t *self, int64_t deadline, uint64_t *target_p)
{
    if (s_mark (self, deadline, target_p))
        return -1;
    if (*target_p >= self->seq)
        return 0;
    self->received = 0;
    return s_resync (self);
}

//  Applies records until `target` is, within deadline. When nothing comes
//  for S_MARK_RETRY_MS it asks for a MARK: records lost at the very end of
//  the stream are followed by nothing that would show the gap, but the
//  MARK record is (and a MARK record lost too is asked for again).
static int
s_catch_up (zown_replica_t *self, uint64_t target, int64_t deadline)
{
    while (true) {
        int left = zown_left_ms (deadline);
        int slice = left == ZOWN_FOREVER || left > S_MARK_RETRY_MS ? S_MARK_RETRY_MS : left;
        if (s_pump (self, target, zown_deadline_ms (slice), true) == 0)
            return 0;
        if (zown_errno () != ZOWN_TIMEOUT)
            return -1;
        if (zown_left_ms (deadline) == 0)
            return zown_fail (ZOWN_TIMEOUT);
        uint64_t owner_seq;
        if (s_check (self, deadline, &owner_seq))
            return -1;
    }
}

int
zown_replica_update (zown_replica_t *self, int timeout_ms)
{
    if (!self || timeout_ms < ZOWN_FOREVER)
        return zown_fail (ZOWN_INVALID);
    if (s_forked (self))
        return zown_fail (ZOWN_FORKED);
    if (!self->stats.snapshots)
        return zown_ok ();  //  Nothing replicated yet.
    self->heard = false;
    if (s_pump (self, 0, zown_deadline_ms (timeout_ms), false))
        return -1;
    if (self->heard) {
        self->idle_since = 0;
        return zown_ok ();
    }
    //  Quiet for a while: perhaps the last records were lost. Ask.
    int64_t now = zown_now_ms ();
    if (!self->idle_since)
        self->idle_since = now;
    else if (now - self->idle_since >= S_IDLE_CHECK_MS) {
        self->idle_since = now;
        int64_t deadline = zown_deadline_ms (self->timeout);
        uint64_t target;
        if (s_check (self, deadline, &target) || s_catch_up (self, target, deadline))
            return -1;
    }
    return zown_ok ();
}

int
zown_replica_wait (zown_replica_t *self, uint64_t seq, int timeout_ms)
{
    if (!self || timeout_ms < ZOWN_FOREVER)
        return zown_fail (ZOWN_INVALID);
    if (s_forked (self))
        return zown_fail (ZOWN_FORKED);
    if (!self->stats.snapshots)
        return zown_fail (ZOWN_INVALID);
    return s_catch_up (self, seq, zown_deadline_ms (timeout_ms)) ? -1 : zown_ok ();
}

int
zown_replica_sync (zown_replica_t *self, int timeout_ms)
{
    if (!self || timeout_ms == 0 || timeout_ms < ZOWN_FOREVER)
        return zown_fail (ZOWN_INVALID);
    if (s_forked (self))
        return zown_fail (ZOWN_FORKED);
    if (!self->stats.snapshots)
        return zown_fail (ZOWN_INVALID);
    int64_t deadline = zown_deadline_ms (timeout_ms);
    uint64_t target;
    if (s_check (self, deadline, &target) || s_catch_up (self, target, deadline))
        return -1;
    return zown_ok ();
}

//  --------------------------------------------------------------------------
//  Reads: local memory only

static s_object_t *
s_object (zown_replica_t *self, const char *name)
{
    if (!self || !name)
        return (s_object_t *) zown_fail_null (ZOWN_INVALID);
    if (s_forked (self))
        return (s_object_t *) zown_fail_null (ZOWN_FORKED);
    s_object_t *object = (s_object_t *) zhashx_lookup (self->objects, name);
    return object ? object : (s_object_t *) zown_fail_null (ZOWN_INVALID);
}

int
zown_replica_dict_get (zown_replica_t *self, const char *name, const char *key,
                       zown_datum_t *value_p)
{
    s_object_t *object = s_object (self, name);
    if (!object)
        return -1;
    if (!key || !value_p)
        return zown_fail (ZOWN_INVALID);
    if (object->kind != S_DICT && object->kind != S_MISSING)
        return zown_fail (ZOWN_WRONG_TYPE);
    s_key_t lookup = { (const uint8_t *) key, strlen (key) };
    zown_datum_t *value =
        object->items ? (zown_datum_t *) zhashx_lookup (object->items, &lookup) : NULL;
    if (!value)
        return zown_fail (ZOWN_NOT_FOUND);
    *value_p = *value;
    return zown_ok ();
}

int
zown_replica_dict_len (zown_replica_t *self, const char *name, size_t *len_p)
{
    s_object_t *object = s_object (self, name);
    if (!object)
        return -1;
    if (!len_p)
        return zown_fail (ZOWN_INVALID);
    if (object->kind != S_DICT && object->kind != S_MISSING)
        return zown_fail (ZOWN_WRONG_TYPE);
    *len_p = object->items ? zhashx_size (object->items) : 0;
    return zown_ok ();
}

//  The number of a value object, of type `tag`; NULL with a status.
static const zown_datum_t *
s_number (zown_replica_t *self, const char *name, zown_tag_t tag)
{
    s_object_t *object = s_object (self, name);
    if (!object)
        return NULL;
    if (object->kind == S_MISSING || (object->kind == S_VALUE && object->number.tag == ZOWN_NIL))
        return (const zown_datum_t *) zown_fail_null (ZOWN_NOT_FOUND);
    if (object->kind != S_VALUE || object->number.tag != tag)
        return (const zown_datum_t *) zown_fail_null (ZOWN_WRONG_TYPE);
    zown_ok ();
    return &object->number;
}

int
zown_replica_value_get (zown_replica_t *self, const char *name, int64_t *value_p)
{
    if (!value_p)
        return zown_fail (ZOWN_INVALID);
    const zown_datum_t *number = s_number (self, name, ZOWN_INT);
    if (!number)
        return -1;
    *value_p = number->u.i;
    return 0;
}

int
zown_replica_value_get_double (zown_replica_t *self, const char *name, double *value_p)
{
    if (!value_p)
        return zown_fail (ZOWN_INVALID);
    const zown_datum_t *number = s_number (self, name, ZOWN_DOUBLE);
    if (!number)
        return -1;
    *value_p = number->u.d;
    return 0;
}

uint64_t
zown_replica_seq (zown_replica_t *self)
{
    return self ? self->seq : 0;
}

void
zown_replica_stats (zown_replica_t *self, zown_replica_stats_t *stats_p)
{
    if (self && stats_p)
        *stats_p = self->stats;
}

void
zown_replica_lose (zown_replica_t *self, size_t records)
{
    self->lose = records;
}
