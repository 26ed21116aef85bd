/*  =========================================================================
    fuzz_registry - arbitrary requests against a live owner state

    An input is a sequence of steps, each `u16 length, u8 who, length
    octets of request frame` (a short last step takes what is left). The
    top bit of the first length is a flag, not length: set, the owner runs
    under tight limits (S_TIGHT), so that refusals, and the rollbacks they
    cause in batches, are fuzzed as often as successes.

        who & 0x03  the client: 0 none (zown_registry_execute: nothing can
                    park or hold a session), 1..3 one of three connections
        who & 0x04  that client uses a REQ envelope
        who & 0x08  the frame came with more frames after it: the owner
                    rejects it unread (zown_registry_reject)
        who & 0x10  (first step only) the owner has no journal: changes
                    are recorded for nobody, and there is no mirror
        who & 0x20  nobody subscribes to the feed during this frame
        who & 0x40  after the frame, parked requests whose deadline has
                    passed are answered (zown_registry_expire)
        who & 0x80  after the frame, that client's process dies: its
                    session ends as the owner ends it on a closed pidfd

    The frames go to one registry, as the owner thread applies them, with
    a sender for replies to parked requests, the change feed on and a
    journal callback. The checks are the protocol's promises: every reply
    decodes, echoes its request's id, has one result per op (one for a
    frame that does not decode), and a failed request reports one failure,
    every other op ABORTED with no values, while a request of independent
    ops has each op's own result, its status the first failure's
    (PROTOCOL 2.3, 3.2, 3.6); the feed numbers changes with no gap (9);
    every durable change the journal is handed replays on a mirror
    registry, which holds what the owner holds
    after every step (so a later change cannot hide a wrong rollback);
    and at the end a registry reloaded from a snapshot holds it too.

    Then the same bytes are a journal for a fresh registry: replay must
    apply them or return -1, and what it applied must survive a snapshot.

    Each input gets fresh registries, destroyed at its end. One costs
    about 18 us under ASan, and an input makes up to four, against some
    800 us for a whole input; in return a crash never depends on earlier
    inputs (libFuzzer reproduces it from its one input), memory is bounded
    by one input, and leak checks cover everything made. Only 0x40 reads
    the clock: a request parked for a few milliseconds may or may not have
    expired by then, so inputs that use it can be flaky.
    =========================================================================
*/
#include "zown_internal.h"
#include "fuzz.h"

#define S_CLIENTS 0x03
#define S_REQ     0x04
#define S_REJECT  0x08
#define S_NO_LOG  0x10
#define S_QUIET   0x20
#define S_EXPIRE  0x40
#define S_DIES    0x80

//  An array of up to 16 Mi elements is legal (max_items, by default) and
//  fills 128 MiB; a 4 KiB input could ask for a hundred. Longer arrays than
//  this are skipped, so that the fuzzer measures the code and not the
//  allocator; lengths past the owner's limit still run (LIMIT).
#define S_ARRAY_MAX   4096
#define S_ARRAY_LIMIT ZOWN_ARRAY_LENGTH_MAX

#define S_TIGHT_FLAG 0x80  //  In the first octet of an input
static const zown_limits_t S_TIGHT = { .max_message = ZOWN_LIMIT_MESSAGE_MIN,
                                       .max_key = 8,
                                       .max_value = ZOWN_LIMIT_VALUE_MIN,
                                       .max_objects = 4,
                                       .max_items = 4,
                                       .max_parked_client = 2,
                                       .max_parked = 3 };

typedef struct {
    zown_registry_t *owner;   //  The live owner state
    zown_registry_t *mirror;  //  Replays each commit's durable changes
    zown_decoded_t decoded;   //  The harness's own reading of a frame
    zown_buf_t out;           //  Reply to the frame being executed
    uint64_t seq;             //  Last sequence number seen on the feed
    bool journal;             //  The owner has a journal, which the mirror follows
    zown_limits_t limits;     //  The owner's limits, resolved
} s_fuzz_t;

//  One record of a snapshot, for comparing two snapshots.
typedef struct {
    uint8_t *data;  //  A copy, in journal form, its seq zeroed
    size_t size;
    uint8_t kind;      //  ZOWN_CHANGE_*
    uint64_t version;  //  The object's version it carries
    size_t rank;       //  Its place among its object's records
} s_record_t;

typedef struct {
    s_record_t *records;
    size_t count;
    size_t capacity;
} s_dump_t;

static bool
s_array_too_long (uint8_t op, const zown_datum_t *length)
{
    return op == ZOWN_OP_ARRAY_CREATE && length->tag == ZOWN_INT && length->u.i > S_ARRAY_MAX
        && length->u.i <= S_ARRAY_LIMIT;
}

//  --------------------------------------------------------------------------
//  Replies

//  Results of a request of independent ops (PROTOCOL 3.2): each op's own,
//  as the reply to that op alone would have (never ABORTED, a failure with
//  at most a message or a CONFLICT's value); the overall status is the
//  first failure's.
static void
s_check_independent (const zown_reply_t *reply)
{
    int first = ZOWN_OK;
    for (size_t op = 0; op < zown_reply_results (reply); op++) {
        int result = zown_reply_result_status (reply, op);
        ZOWN_FUZZ_CHECK (result != ZOWN_ABORTED);
        if (result != ZOWN_OK) {
            ZOWN_FUZZ_CHECK (zown_reply_count (reply, op) <= 1);
            if (first == ZOWN_OK)
                first = result;
        }
    }
    ZOWN_FUZZ_CHECK (zown_reply_status (reply) == first);
}

//  Results against PROTOCOL 3.2: all OK, or one failure and the rest
//  ABORTED with no values; a failure carries at most a message (or, alone,
//  the current value of a CONFLICT). Independent ops: each its own.
static void
s_check_results (const zown_reply_t *reply, bool independent)
{
    int status = zown_reply_status (reply);
    size_t results = zown_reply_results (reply);
    size_t failures = 0;
    ZOWN_FUZZ_CHECK (status < 64);
    ZOWN_FUZZ_CHECK (results >= 1);
    if (independent) {
        s_check_independent (reply);
        return;
    }
    for (size_t op = 0; op < results; op++) {
        int result = zown_reply_result_status (reply, op);
        size_t count = zown_reply_count (reply, op);
        if (status == ZOWN_OK)
            ZOWN_FUZZ_CHECK (result == ZOWN_OK);
        else if (result == ZOWN_ABORTED)
            ZOWN_FUZZ_CHECK (count == 0);
        else {
            failures++;
            ZOWN_FUZZ_CHECK (result == status);
            ZOWN_FUZZ_CHECK (count <= 1);
            if (results > 1 && count)
                ZOWN_FUZZ_CHECK (zown_reply_value (reply, op, 0).tag == ZOWN_BYTES);
        }
    }
    ZOWN_FUZZ_CHECK (status == ZOWN_OK || failures == 1);
}

//  The reply to a frame answered at once. decode_status is what the
//  harness read in the frame.
static void
s_check_reply (s_fuzz_t *self, const uint8_t *frame, size_t size, int decode_status)
{
    ZOWN_FUZZ_CHECK (!self->out.failed);
    zown_reply_t reply;
    zown_reply_init (&reply);
    ZOWN_FUZZ_CHECK (zown_reply_decode (&reply, self->out.data, self->out.size) == 0);
    ZOWN_FUZZ_CHECK (zown_reply_id (&reply) == zown_peek_id (frame, size));
    if (decode_status == ZOWN_OK)
        ZOWN_FUZZ_CHECK (zown_reply_results (&reply) == self->decoded.op_count);
    else {
        ZOWN_FUZZ_CHECK (zown_reply_results (&reply) == 1);
        ZOWN_FUZZ_CHECK (zown_reply_status (&reply) == decode_status);
    }
    s_check_results (&reply, decode_status == ZOWN_OK && self->decoded.independent);
    zown_reply_fini (&reply);
}

//  A reply to a parked request (woken, or its object dropped); a request
//  that can park has one op.
static void
s_send (const zown_peer_t *peer, const void *data, size_t size, void *arg)
{
    (void) arg;
    ZOWN_FUZZ_CHECK (peer->identity_size > 0);
    zown_reply_t reply;
    zown_reply_init (&reply);
    ZOWN_FUZZ_CHECK (zown_reply_decode (&reply, data, size) == 0);
    ZOWN_FUZZ_CHECK (zown_reply_results (&reply) == 1);
    s_check_results (&reply, false);
    zown_reply_fini (&reply);
}

//  The feed: every committed change has the next sequence number; a MARK
//  carries the last one (PROTOCOL 9).
static void
s_publish (void *arg, const void *records, size_t size)
{
    s_fuzz_t *self = (s_fuzz_t *) arg;
    zown_reader_t reader;
    zown_reader_init (&reader, records, size);
    zown_change_t change;
    while (reader.pos < reader.end) {
        ZOWN_FUZZ_CHECK (zown_decode_change (&reader, &change) == 0);
        //  Every record but a commit's last says more follow.
        ZOWN_FUZZ_CHECK (((change.kind & ZOWN_CHANGE_MORE) != 0) == (reader.pos < reader.end));
        if ((change.kind & ~ZOWN_CHANGE_MORE) == ZOWN_CHANGE_MARK)
            ZOWN_FUZZ_CHECK (change.seq == self->seq);
        else
            ZOWN_FUZZ_CHECK (change.seq == ++self->seq);
    }
}

//  The journal: what it is handed must apply on a registry that applied
//  everything before, as it will when the owner restarts.
static int
s_persist (void *arg, uint64_t seq, const void *records, size_t size)
{
    s_fuzz_t *self = (s_fuzz_t *) arg;
    (void) seq;
    ZOWN_FUZZ_CHECK (zown_registry_replay (self->mirror, records, size) == 0);
    return 0;
}

//  --------------------------------------------------------------------------
//  Snapshots, compared

//  Whether two records are about the same object (a dump gives each
//  object's records one after another).
static bool
s_same_object (const s_record_t *a, const s_record_t *b)
{
    return a->data [0] == b->data [0] && memcmp (a->data + 1, b->data + 1, a->data [0]) == 0;
}

static int
s_dump_add (void *arg, const void *record, size_t size)
{
    s_dump_t *dump = (s_dump_t *) arg;
    if (dump->count == dump->capacity) {
        dump->capacity = dump->capacity ? dump->capacity * 2 : 16;
        dump->records =
            (s_record_t *) realloc (dump->records, dump->capacity * sizeof (s_record_t));
        ZOWN_FUZZ_CHECK (dump->records);
    }
    //  Each record is one whole change in journal form.
    zown_reader_t reader;
    zown_change_t change;
    zown_reader_init (&reader, record, size);
    ZOWN_FUZZ_CHECK (zown_decode_change (&reader, &change) == 0 && reader.pos == reader.end);
    s_record_t *entry = &dump->records [dump->count];
    entry->data = (uint8_t *) malloc (size);
    ZOWN_FUZZ_CHECK (entry->data);
    memcpy (entry->data, record, size);
    //  Registries count changes of ephemeral objects too, so their seqs
    //  differ: compare without it.
    memset (entry->data + 1 + change.name_size + 1, 0, 8);
    entry->size = size;
    entry->kind = change.kind;
    entry->version = change.version;
    entry->rank = dump->count && s_same_object (entry - 1, entry) ? entry [-1].rank + 1 : 0;
    dump->count++;
    return 0;
}

static void
s_dump_free (s_dump_t *dump)
{
    for (size_t index = 0; index < dump->count; index++)
        free (dump->records [index].data);
    free (dump->records);
}

static int
s_bytes_compare (const s_record_t *a, const s_record_t *b)
{
    int order = memcmp (a->data, b->data, a->size < b->size ? a->size : b->size);
    return order ? order : (a->size > b->size) - (a->size < b->size);
}

//  Objects come in hash order, and so do a dict's keys (SET records): they
//  are sorted. Every other record keeps its place in its object (a
//  queue's items, a list's or an array's runs).
static int
s_record_compare (const void *item1, const void *item2)
{
    const s_record_t *a = (const s_record_t *) item1;
    const s_record_t *b = (const s_record_t *) item2;
    size_t name = a->data [0] < b->data [0] ? a->data [0] : b->data [0];
    int order = memcmp (a->data + 1, b->data + 1, name);
    if (order || a->data [0] != b->data [0])
        return order ? order : a->data [0] < b->data [0] ? -1 : 1;
    bool a_set = a->kind == ZOWN_CHANGE_SET, b_set = b->kind == ZOWN_CHANGE_SET;
    if (a_set != b_set)
        return a_set ? -1 : 1;
    if (a_set)
        return s_bytes_compare (a, b);
    return (a->rank > b->rank) - (a->rank < b->rank);
}

//  A registry's snapshot, in a canonical order. An object never changed
//  (version 0, nothing in it) is left out: it exists only so that a wait
//  could park on it, writes no change record, and so is not in the
//  journal either.
static void
s_dump (zown_registry_t *registry, s_dump_t *dump)
{
    memset (dump, 0, sizeof (*dump));
    ZOWN_FUZZ_CHECK (zown_registry_dump (registry, s_dump_add, dump) == 0);
    size_t kept = 0;
    for (size_t index = 0; index < dump->count; index++) {
        s_record_t *record = &dump->records [index];
        bool alone =
            record->rank == 0 && (index + 1 == dump->count || !s_same_object (record + 1, record));
        if (alone && record->kind == ZOWN_CHANGE_VERSION && record->version == 0)
            free (record->data);
        else
            dump->records [kept++] = *record;
    }
    dump->count = kept;
    if (kept)  //  qsort's array must not be NULL, even when empty
        qsort (dump->records, dump->count, sizeof (s_record_t), s_record_compare);
}

static void
s_check_same_state (zown_registry_t *a, zown_registry_t *b)
{
    s_dump_t dump_a, dump_b;
    s_dump (a, &dump_a);
    s_dump (b, &dump_b);
    ZOWN_FUZZ_CHECK (dump_a.count == dump_b.count);
    for (size_t index = 0; index < dump_a.count; index++)
        ZOWN_FUZZ_CHECK (s_bytes_compare (&dump_a.records [index], &dump_b.records [index]) == 0);
    s_dump_free (&dump_a);
    s_dump_free (&dump_b);
}

static int
s_snapshot_add (void *arg, const void *record, size_t size)
{
    zown_buf_put_mem ((zown_buf_t *) arg, record, size);
    return 0;
}

//  A snapshot of the registry, reloaded on a fresh one, holds the same.
static void
s_check_snapshot (zown_registry_t *registry)
{
    zown_buf_t snapshot;
    zown_buf_init (&snapshot);
    ZOWN_FUZZ_CHECK (zown_registry_dump (registry, s_snapshot_add, &snapshot) == 0);
    ZOWN_FUZZ_CHECK (!snapshot.failed);
    zown_registry_t *restored = zown_registry_new ();
    ZOWN_FUZZ_CHECK (restored);
    ZOWN_FUZZ_CHECK (zown_registry_replay (restored, snapshot.data, snapshot.size) == 0);
    s_check_same_state (registry, restored);
    zown_registry_destroy (&restored);
    zown_buf_free (&snapshot);
}

//  --------------------------------------------------------------------------
//  The live owner

//  One step: the frame from `who`.
static void
s_step (s_fuzz_t *self, uint8_t who, const uint8_t *frame, size_t size)
{
    //  What the owner must answer: a frame over max_message is refused
    //  unread, else the first problem in decoding order (a value over
    //  max_value may come before a malformed part).
    int status = size > self->limits.max_message
        ? ZOWN_TOO_LARGE
        : zown_decode_request (&self->decoded, frame, size, self->limits.max_value);
    for (size_t index = 0; status == ZOWN_OK && index < self->decoded.op_count; index++) {
        const zown_op_view_t *op = &self->decoded.ops [index];
        if (op->argc && s_array_too_long (op->code, &self->decoded.args [op->argv_offset]))
            return;
    }
    uint8_t identity [2] = { 'c', (uint8_t) ('0' + (who & S_CLIENTS)) };
    zown_peer_t peer = { identity, sizeof (identity), (who & S_REQ) != 0, -1 };
    if (who & S_QUIET)
        zown_registry_set_feed_active (self->owner, false);
    bool answered = true;
    if (who & S_REJECT) {
        zown_registry_reject (self->owner, frame, size, "a request is one frame", &self->out);
        status = ZOWN_BAD_REQUEST;
    } else if (who & S_CLIENTS)
        answered = zown_registry_execute_from (self->owner, &peer, frame, size, &self->out);
    else
        zown_registry_execute (self->owner, frame, size, &self->out);
    if (answered)
        s_check_reply (self, frame, size, status);
    if (who & S_EXPIRE)
        zown_registry_expire (self->owner);
    if ((who & S_CLIENTS) && (who & S_DIES)) {
        zown_session_t *session = zown_session_find (self->owner, identity, sizeof (identity));
        if (session) {
            zown_session_end (self->owner, session, true);
            zown_registry_run_wakes (self->owner);
        }
    }
    if (who & S_QUIET) {
        //  A subscriber back now sees a gap, and resyncs (PROTOCOL 9.1).
        zown_registry_set_feed_active (self->owner, true);
        self->seq = zown_registry_seq (self->owner);
    }
    if (self->journal)
        s_check_same_state (self->owner, self->mirror);
}

static void
s_owner (const uint8_t *data, size_t size)
{
    s_fuzz_t self = { .owner = zown_registry_new (), .mirror = zown_registry_new () };
    ZOWN_FUZZ_CHECK (self.owner && self.mirror);
    zown_decoded_init (&self.decoded);
    zown_buf_init (&self.out);
    zown_registry_set_sender (self.owner, s_send, NULL);
    zown_registry_set_publish (self.owner, s_publish, &self);
    zown_registry_set_feed_active (self.owner, true);
    self.journal = size < 3 || !(data [2] & S_NO_LOG);
    if (self.journal)
        zown_registry_set_persist (self.owner, s_persist, &self);
    if (size >= 1 && (data [0] & S_TIGHT_FLAG))
        self.limits = S_TIGHT;
    ZOWN_FUZZ_CHECK (zown_limits_resolve (&self.limits) == ZOWN_OK);
    zown_registry_set_limits (self.owner, &self.limits);
    while (size >= 3) {
        size_t length = (size_t) zown_load_be (data, 2) & 0x7FFF;
        uint8_t who = data [2];
        data += 3;
        size -= 3;
        if (length > size)
            length = size;
        s_step (&self, who, data, length);
        data += length;
        size -= length;
    }
    s_check_snapshot (self.owner);
    zown_registry_destroy (&self.owner);
    zown_registry_destroy (&self.mirror);
    zown_decoded_free (&self.decoded);
    zown_buf_free (&self.out);
}

//  --------------------------------------------------------------------------
//  The bytes as a journal

static void
s_journal (const uint8_t *data, size_t size)
{
    zown_reader_t reader;
    zown_reader_init (&reader, data, size);
    zown_change_t change;
    while (reader.pos < reader.end && zown_decode_change (&reader, &change) == 0) {
        zown_reader_t values;
        zown_reader_init (&values, change.values, change.values_size);
        zown_datum_t length;
        if (change.kind == ZOWN_CHANGE_OP && change.count
            && zown_reader_datum (&values, &length) == 0 && s_array_too_long (change.op, &length))
            return;
    }
    zown_registry_t *registry = zown_registry_new ();
    ZOWN_FUZZ_CHECK (registry);
    int rc = zown_registry_replay (registry, data, size);
    ZOWN_FUZZ_CHECK (rc == 0 || rc == -1);
    if (rc == 0)
        s_check_snapshot (registry);
    zown_registry_destroy (&registry);
}

int
zown_fuzz_registry (const uint8_t *data, size_t size)
{
    s_owner (data, size);
    s_journal (data, size);
    return 0;
}
