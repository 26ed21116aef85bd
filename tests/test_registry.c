/*  =========================================================================
    test_registry - applying requests without sockets: the command table's
    checks, error replies, and batches that apply all or nothing
    =========================================================================
*/
#include "testutil.h"
#include "zown_internal.h"

typedef struct {
    zown_registry_t *registry;
    zown_request_t *request;
    zown_buf_t out;
    zown_reply_t reply;
} fixture_t;

static int
setup (void **state)
{
    fixture_t *self = (fixture_t *) calloc (1, sizeof (fixture_t));
    self->registry = zown_registry_new ();
    self->request = zown_request_new ();
    zown_buf_init (&self->out);
    zown_reply_init (&self->reply);
    *state = self;
    return 0;
}

static int
teardown (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    zown_registry_destroy (&self->registry);
    zown_registry_destroy (&self->registry);
    zown_request_destroy (&self->request);
    zown_buf_free (&self->out);
    zown_reply_fini (&self->reply);
    free (self);
    return 0;
}

//  Append one op whose arguments follow as zown_datum_t varargs.
static void
s_vadd (fixture_t *self, zown_op_t op, const char *name, size_t argc, va_list args)
{
    zown_datum_t argv [8];
    assert_true (argc <= 8);
    for (size_t index = 0; index < argc; index++)
        argv [index] = va_arg (args, zown_datum_t);
    assert_int_equal (zown_request_add (self->request, op, name, argc, argv), 0);
}

static void
s_add (fixture_t *self, zown_op_t op, const char *name, size_t argc, ...)
{
    va_list args;
    va_start (args, argc);
    s_vadd (self, op, name, argc, args);
    va_end (args);
}

//  Executes the request built so far on a raw frame; returns overall status.
static int
s_execute_frame (fixture_t *self, const void *frame, size_t size)
{
    zown_registry_execute (self->registry, frame, size, &self->out);
    assert_false (self->out.failed);
    assert_int_equal (zown_reply_decode (&self->reply, self->out.data, self->out.size), 0);
    return zown_reply_status (&self->reply);
}

static int
s_execute (fixture_t *self)
{
    zown_request_seal (self->request, 1);
    const zown_buf_t *buf = zown_request_buffer (self->request);
    int status = s_execute_frame (self, buf->data, buf->size);
    assert_int_equal (zown_reply_id (&self->reply), 1);
    zown_request_reset (self->request);
    return status;
}

//  One op on its own.
static int
s_one (fixture_t *self, zown_op_t op, const char *name, size_t argc, ...)
{
    va_list args;
    va_start (args, argc);
    s_vadd (self, op, name, argc, args);
    va_end (args);
    return s_execute (self);
}

//  Replies to parked requests, as the owner's sender would pass them on.
typedef struct {
    size_t count;            //  Replies so far
    int status;              //  The last one's status
    size_t values;           //  How many values its result has
    zown_datum_t value [2];  //  Its first two, if numbers
} s_sent_t;

static void
s_sender (const zown_peer_t *peer, const void *data, size_t size, void *arg)
{
    (void) peer;
    s_sent_t *sent = (s_sent_t *) arg;
    zown_reply_t reply;
    zown_reply_init (&reply);
    assert_int_equal (zown_reply_decode (&reply, data, size), 0);
    sent->count++;
    sent->status = zown_reply_status (&reply);
    sent->values = zown_reply_count (&reply, 0);
    for (size_t index = 0; index < 2; index++) {
        sent->value [index] =
            index < sent->values ? zown_reply_value (&reply, 0, index) : ZOWN_NIL_DATUM;
        if (sent->value [index].tag == ZOWN_BYTES)
            sent->value [index] = ZOWN_NIL_DATUM;  //  Points into the reply
    }
    zown_reply_fini (&reply);
}

//  One op from the client `who` (its connection's identity), which may
//  park: returns ZOWN_PARK when it did, else the reply's status.
static int
s_from (fixture_t *self, const char *who, zown_op_t op, const char *name, size_t argc, ...)
{
    va_list args;
    va_start (args, argc);
    s_vadd (self, op, name, argc, args);
    va_end (args);
    zown_request_seal (self->request, 1);
    const zown_buf_t *buf = zown_request_buffer (self->request);
    zown_peer_t peer = { who, strlen (who), false, -1 };
    bool answered =
        zown_registry_execute_from (self->registry, &peer, buf->data, buf->size, &self->out);
    zown_request_reset (self->request);
    if (!answered)
        return ZOWN_PARK;
    assert_int_equal (zown_reply_decode (&self->reply, self->out.data, self->out.size), 0);
    return zown_reply_status (&self->reply);
}

//  The client `who` ends: its process died.
static void
s_dies (fixture_t *self, const char *who)
{
    zown_session_t *session = zown_session_find (self->registry, who, strlen (who));
    assert_non_null (session);
    zown_session_end (self->registry, session, true);
    zown_registry_run_wakes (self->registry);
}

//  Answer parked requests whose deadline (1 ms) has passed.
static void
s_expire (fixture_t *self)
{
    usleep (3000);
    zown_registry_expire (self->registry);
}

static size_t
s_objects (fixture_t *self)
{
    assert_int_equal (s_one (self, ZOWN_OP_OBJECTS, NULL, 0), ZOWN_OK);
    return zown_reply_count (&self->reply, 0) / 2;
}

static int64_t
s_value_of (fixture_t *self, const char *name)
{
    assert_int_equal (s_one (self, ZOWN_OP_VALUE_GET, name, 0), ZOWN_OK);
    return zown_reply_value (&self->reply, 0, 0).u.i;
}

static size_t
s_dict_len (fixture_t *self, const char *name)
{
    assert_int_equal (s_one (self, ZOWN_OP_DICT_LEN, name, 0), ZOWN_OK);
    return (size_t) zown_reply_value (&self->reply, 0, 0).u.i;
}

static void
test_command_table_checks (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    //  Unknown op code
    assert_int_equal (s_one (self, (zown_op_t) 0xEE, "x", 0), ZOWN_UNKNOWN_OP);
    assert_true (zown_reply_message (&self->reply, 0).u.b.len > 0);
    //  Arity
    assert_int_equal (s_one (self, ZOWN_OP_DICT_SET, "d", 1, ZOWN_STR ("k")), ZOWN_BAD_ARGS);
    assert_int_equal (s_one (self, ZOWN_OP_VALUE_GET, "v", 1, zown_datum_int (1)), ZOWN_BAD_ARGS);
    assert_int_equal (s_one (self, ZOWN_OP_DICT_UPDATE, "d", 3, ZOWN_STR ("a"), zown_datum_int (1),
                             ZOWN_STR ("b")),
                      ZOWN_BAD_ARGS);
    //  Argument types
    assert_int_equal (
        s_one (self, ZOWN_OP_DICT_SET, "d", 2, zown_datum_int (1), zown_datum_int (1)),
        ZOWN_BAD_ARGS);
    assert_int_equal (s_one (self, ZOWN_OP_VALUE_ADD, "v", 1, ZOWN_STR ("1")), ZOWN_BAD_ARGS);
    assert_int_equal (s_one (self, ZOWN_OP_DICT_UPDATE, "d", 4, ZOWN_STR ("a"), zown_datum_int (1),
                             zown_datum_int (2), zown_datum_int (1)),
                      ZOWN_BAD_ARGS);
    //  Names: object ops need one, owner ops take none
    assert_int_equal (s_one (self, ZOWN_OP_VALUE_GET, "", 0), ZOWN_BAD_ARGS);
    assert_int_equal (s_one (self, ZOWN_OP_PING, "x", 0), ZOWN_BAD_ARGS);
    //  None of it created anything.
    assert_int_equal (zown_registry_size (self->registry), 0);
    zown_stats_t *stats = zown_registry_stats (self->registry);
    assert_int_equal (stats->errors, 9);
    assert_int_equal (stats->ops, 0);
}

static void
test_wrong_type_and_not_found (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    assert_int_equal (s_one (self, ZOWN_OP_VALUE_SET, "n", 1, zown_datum_int (3)), ZOWN_OK);
    assert_int_equal (s_one (self, ZOWN_OP_DICT_SET, "n", 2, ZOWN_STR ("k"), zown_datum_int (1)),
                      ZOWN_WRONG_TYPE);
    assert_int_equal (s_one (self, ZOWN_OP_DICT_GET, "n", 1, ZOWN_STR ("k")), ZOWN_WRONG_TYPE);
    assert_int_equal (s_one (self, ZOWN_OP_TYPE, "n", 0), ZOWN_OK);
    assert_true (zown_datum_streq (zown_reply_value (&self->reply, 0, 0), "value"));
    assert_int_equal (s_one (self, ZOWN_OP_TYPE, "missing", 0), ZOWN_NOT_FOUND);
    assert_int_equal (s_one (self, ZOWN_OP_DROP, "missing", 0), ZOWN_NOT_FOUND);
    assert_int_equal (s_one (self, ZOWN_OP_DROP, "n", 0), ZOWN_OK);
    assert_int_equal (s_one (self, ZOWN_OP_VALUE_GET, "n", 0), ZOWN_NOT_FOUND);
    //  A failed creating op leaves no empty object behind.
    assert_int_equal (s_one (self, ZOWN_OP_DICT_CAS, "d", 3, ZOWN_STR ("k"), zown_datum_int (5),
                             zown_datum_int (1)),
                      ZOWN_CONFLICT);
    assert_int_equal (s_one (self, ZOWN_OP_OBJECTS, NULL, 0), ZOWN_OK);
    assert_int_equal (zown_reply_count (&self->reply, 0), 0);
}

static void
test_owner_ops (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    assert_int_equal (s_one (self, ZOWN_OP_PING, NULL, 0), ZOWN_OK);
    assert_int_equal (zown_reply_value (&self->reply, 0, 0).u.i, ZOWN_PROTOCOL_VERSION);
    assert_int_equal (s_one (self, ZOWN_OP_VALUE_SET, "a", 1, zown_datum_int (1)), ZOWN_OK);
    assert_int_equal (s_one (self, ZOWN_OP_DICT_SET, "b", 2, ZOWN_STR ("k"), ZOWN_NIL_DATUM),
                      ZOWN_OK);
    assert_int_equal (s_one (self, ZOWN_OP_OBJECTS, NULL, 0), ZOWN_OK);
    assert_int_equal (zown_reply_count (&self->reply, 0), 4);
    assert_int_equal (s_one (self, ZOWN_OP_STATS, NULL, 0), ZOWN_OK);
    assert_true (zown_datum_streq (zown_reply_value (&self->reply, 0, 0), "objects"));
    assert_int_equal (zown_reply_value (&self->reply, 0, 1).u.i, 2);
    //  Pairs 11 and 12: the owner's process and its resident memory; the
    //  refusal counters follow.
    assert_int_equal (zown_reply_count (&self->reply, 0), 46);
    assert_true (zown_datum_streq (zown_reply_value (&self->reply, 0, 20), "pid"));
    assert_int_equal (zown_reply_value (&self->reply, 0, 21).u.i, getpid ());
    assert_true (zown_datum_streq (zown_reply_value (&self->reply, 0, 22), "rss_kb"));
    assert_true (zown_reply_value (&self->reply, 0, 23).u.i > 0);
    assert_true (zown_datum_streq (zown_reply_value (&self->reply, 0, 36), "auth_refused"));
    assert_int_equal (zown_reply_value (&self->reply, 0, 37).u.i, 0);
    //  Then the owner's descriptors: connections open, clients they allow,
    //  pauses at the limit (a registry alone has no connections).
    assert_true (zown_datum_streq (zown_reply_value (&self->reply, 0, 38), "connections"));
    assert_true (zown_datum_streq (zown_reply_value (&self->reply, 0, 40), "clients_max"));
    assert_true (zown_datum_streq (zown_reply_value (&self->reply, 0, 42), "accepts_paused"));
    assert_true (zown_datum_streq (zown_reply_value (&self->reply, 0, 44), "accepts_refused"));
}

static void
test_malformed_frames_change_nothing (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    assert_int_equal (s_one (self, ZOWN_OP_VALUE_SET, "v", 1, zown_datum_int (7)), ZOWN_OK);
    //  A valid SET, then every truncated copy of it must fail without effect.
    s_add (self, ZOWN_OP_VALUE_SET, "v", 1, zown_datum_int (8));
    zown_request_seal (self->request, 5);
    const zown_buf_t *buf = zown_request_buffer (self->request);
    uint8_t frame [64];
    size_t size = buf->size;
    memcpy (frame, buf->data, size);
    zown_request_reset (self->request);
    for (size_t cut = 0; cut < size; cut++) {
        int status = s_execute_frame (self, frame, cut);
        assert_true (status == ZOWN_BAD_REQUEST);
        assert_int_equal (zown_reply_results (&self->reply), 1);
    }
    frame [2] = 9;
    assert_int_equal (s_execute_frame (self, frame, size), ZOWN_BAD_VERSION);
    assert_int_equal (zown_reply_id (&self->reply), 5);
    assert_int_equal (s_value_of (self, "v"), 7);
    assert_int_equal (zown_registry_stats (self->registry)->malformed, size + 1);
    //  An oversized value
    zown_limits_t limits = { .max_value = 4 };
    assert_int_equal (zown_limits_resolve (&limits), ZOWN_INVALID);
    limits = (zown_limits_t){ .max_value = ZOWN_LIMIT_VALUE_MIN };
    assert_int_equal (zown_limits_resolve (&limits), ZOWN_OK);
    zown_registry_set_limits (self->registry, &limits);
    char text [ZOWN_LIMIT_VALUE_MIN + 2];
    memset (text, 'x', sizeof (text) - 1);
    text [sizeof (text) - 1] = 0;
    assert_int_equal (s_one (self, ZOWN_OP_DICT_SET, "d", 2, ZOWN_STR ("k"), ZOWN_STR (text)),
                      ZOWN_TOO_LARGE);
    assert_int_equal (s_one (self, ZOWN_OP_TYPE, "d", 0), ZOWN_NOT_FOUND);
}

static void
test_batch_applies_all (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    s_add (self, ZOWN_OP_DICT_SET, "d", 2, ZOWN_STR ("a"), zown_datum_int (1));
    s_add (self, ZOWN_OP_DICT_ADD, "d", 2, ZOWN_STR ("a"), zown_datum_int (10));
    s_add (self, ZOWN_OP_VALUE_ADD, "v", 1, zown_datum_int (5));
    s_add (self, ZOWN_OP_DICT_GET, "d", 1, ZOWN_STR ("a"));
    assert_int_equal (s_execute (self), ZOWN_OK);
    assert_int_equal (zown_reply_results (&self->reply), 4);
    assert_int_equal (zown_reply_value (&self->reply, 1, 0).u.i, 11);
    assert_int_equal (zown_reply_value (&self->reply, 2, 0).u.i, 5);
    assert_int_equal (zown_reply_value (&self->reply, 3, 0).u.i, 11);
}

static void
test_batch_invalid_op_applies_nothing (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    s_add (self, ZOWN_OP_VALUE_SET, "v", 1, zown_datum_int (1));
    s_add (self, ZOWN_OP_DICT_SET, "d", 1, ZOWN_STR ("a"));  //  Bad arity
    assert_int_equal (s_execute (self), ZOWN_BAD_ARGS);
    assert_int_equal (zown_reply_result_status (&self->reply, 0), ZOWN_ABORTED);
    assert_int_equal (zown_reply_result_status (&self->reply, 1), ZOWN_BAD_ARGS);
    assert_int_equal (zown_registry_size (self->registry), 0);
}

//  A batch whose last op fails at apply time must undo everything before.
static void
test_batch_rolls_back (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    assert_int_equal (s_one (self, ZOWN_OP_DICT_UPDATE, "d", 6, ZOWN_STR ("a"), zown_datum_int (1),
                             ZOWN_STR ("b"), ZOWN_STR ("two"), ZOWN_STR ("c"),
                             zown_datum_double (3.0)),
                      ZOWN_OK);
    assert_int_equal (s_one (self, ZOWN_OP_VALUE_SET, "v", 1, zown_datum_int (10)), ZOWN_OK);
    assert_int_equal (s_one (self, ZOWN_OP_DICT_GET, "d", 1, ZOWN_STR ("a")), ZOWN_OK);
    int64_t version_a = zown_reply_value (&self->reply, 0, 1).u.i;
    //  "c" was written last, so its version is the dict's write count.
    assert_int_equal (s_one (self, ZOWN_OP_DICT_GET, "d", 1, ZOWN_STR ("c")), ZOWN_OK);
    int64_t dict_version = zown_reply_value (&self->reply, 0, 1).u.i;
    assert_int_equal (dict_version, 3);

    s_add (self, ZOWN_OP_DICT_SET, "d", 2, ZOWN_STR ("a"), zown_datum_int (100));
    s_add (self, ZOWN_OP_DICT_DEL, "d", 1, ZOWN_STR ("b"));
    s_add (self, ZOWN_OP_DICT_SET, "d", 2, ZOWN_STR ("new"), ZOWN_NIL_DATUM);
    s_add (self, ZOWN_OP_DICT_ADD, "d", 2, ZOWN_STR ("c"), zown_datum_int (1));
    s_add (self, ZOWN_OP_VALUE_ADD, "v", 1, zown_datum_int (5));
    s_add (self, ZOWN_OP_VALUE_SET, "created", 1, zown_datum_int (1));
    s_add (self, ZOWN_OP_DICT_UPDATE, "d", 4, ZOWN_STR ("x"), zown_datum_int (1), ZOWN_STR ("a"),
           zown_datum_int (2));
    s_add (self, ZOWN_OP_DICT_CLEAR, "d", 0);
    s_add (self, ZOWN_OP_DICT_SET, "d", 2, ZOWN_STR ("after_clear"), zown_datum_int (1));
    s_add (self, ZOWN_OP_DROP, "v", 0);
    s_add (self, ZOWN_OP_VALUE_SET, "v", 1, zown_datum_double (1.0));  //  Recreated, other type
    s_add (self, ZOWN_OP_DICT_ADD, "d", 2, ZOWN_STR ("after_clear"), zown_datum_int (INT64_MAX));
    assert_int_equal (s_execute (self), ZOWN_OVERFLOW);
    size_t results = zown_reply_results (&self->reply);
    assert_int_equal (results, 12);
    for (size_t index = 0; index < results - 1; index++)
        assert_int_equal (zown_reply_result_status (&self->reply, index), ZOWN_ABORTED);
    assert_int_equal (zown_reply_result_status (&self->reply, results - 1), ZOWN_OVERFLOW);
    assert_int_equal (zown_registry_stats (self->registry)->batches_aborted, 1);

    //  Everything is as before the batch, versions included.
    assert_int_equal (s_one (self, ZOWN_OP_DICT_GET, "d", 1, ZOWN_STR ("a")), ZOWN_OK);
    assert_int_equal (zown_reply_value (&self->reply, 0, 0).u.i, 1);
    assert_int_equal (zown_reply_value (&self->reply, 0, 1).u.i, version_a);
    assert_int_equal (s_one (self, ZOWN_OP_DICT_GET, "d", 1, ZOWN_STR ("b")), ZOWN_OK);
    assert_true (zown_datum_streq (zown_reply_value (&self->reply, 0, 0), "two"));
    assert_int_equal (s_one (self, ZOWN_OP_DICT_GET, "d", 1, ZOWN_STR ("c")), ZOWN_OK);
    assert_int_equal (zown_reply_value (&self->reply, 0, 0).tag, ZOWN_DOUBLE);
    assert_int_equal (s_dict_len (self, "d"), 3);
    assert_int_equal (s_value_of (self, "v"), 10);
    assert_int_equal (s_one (self, ZOWN_OP_TYPE, "created", 0), ZOWN_NOT_FOUND);
    assert_int_equal (zown_registry_size (self->registry), 2);

    //  The rolled-back writes left no gap: the next write is the dict's
    //  next version.
    assert_int_equal (s_one (self, ZOWN_OP_DICT_SET, "d", 2, ZOWN_STR ("a"), zown_datum_int (3)),
                      ZOWN_OK);
    assert_int_equal (zown_reply_value (&self->reply, 0, 0).u.i, dict_version + 1);
}

static void
test_batch_conflict_reports_which_op (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    s_add (self, ZOWN_OP_VALUE_SET, "v", 1, zown_datum_int (1));
    s_add (self, ZOWN_OP_DICT_CAS, "d", 3, ZOWN_STR ("k"), zown_datum_int (3), zown_datum_int (1));
    s_add (self, ZOWN_OP_VALUE_SET, "w", 1, zown_datum_int (1));
    assert_int_equal (s_execute (self), ZOWN_CONFLICT);
    assert_int_equal (zown_reply_result_status (&self->reply, 0), ZOWN_ABORTED);
    assert_int_equal (zown_reply_result_status (&self->reply, 1), ZOWN_CONFLICT);
    assert_int_equal (zown_reply_result_status (&self->reply, 2), ZOWN_ABORTED);
    assert_int_equal (zown_registry_size (self->registry), 0);
}

//  A timeout below -1 is refused (BAD_ARGS, before anything runs), but a
//  journal written when such a timeout waited forever loads as it is.
static void
test_negative_timeouts (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    assert_int_equal (
        s_one (self, ZOWN_OP_QUEUE_PUT, "q", 2, zown_datum_int (7), zown_datum_int (-2)),
        ZOWN_BAD_ARGS);
    assert_int_equal (s_one (self, ZOWN_OP_EVENT_WAIT, "e", 1, zown_datum_int (INT64_MIN)),
                      ZOWN_BAD_ARGS);
    assert_int_equal (zown_registry_size (self->registry), 0);
    zown_datum_t put [2] = { zown_datum_int (7), zown_datum_int (-2) };
    zown_buf_t record;
    zown_buf_init (&record);
    zown_encode_change_datums (&record, "q", ZOWN_CHANGE_OP, 1, ZOWN_OP_QUEUE_PUT, 2, put);
    zown_encode_change_seq (&record, 0, 1);
    assert_int_equal (zown_registry_replay (self->registry, record.data, record.size), 0);
    assert_int_equal (s_one (self, ZOWN_OP_QUEUE_SIZE, "q", 0), ZOWN_OK);
    assert_int_equal (zown_reply_value (&self->reply, 0, 0).u.i, 1);
    zown_buf_free (&record);
}

static int
s_count_record (void *arg, const void *record, size_t size)
{
    (void) record, (void) size;
    (*(size_t *) arg)++;
    return 0;
}

//  Journal: the records of each commit, one after another.
static int
s_journal_add (void *arg, uint64_t seq, const void *records, size_t size)
{
    (void) seq;
    zown_buf_put_mem ((zown_buf_t *) arg, records, size);
    return 0;
}

static int
s_snapshot_add (void *arg, const void *record, size_t size)
{
    zown_buf_put_mem ((zown_buf_t *) arg, record, size);
    return 0;
}

//  Items queued in `name` (a joinable queue's leases are not).
static int64_t
s_queue_size (fixture_t *self, const char *name)
{
    assert_int_equal (s_one (self, ZOWN_OP_QUEUE_SIZE, name, 0), ZOWN_OK);
    return zown_reply_value (&self->reply, 0, 0).u.i;
}

//  Replays `records` on a fresh registry, which then replaces the
//  fixture's.
static void
s_restart (fixture_t *self, const zown_buf_t *records)
{
    assert_false (records->failed);
    zown_registry_destroy (&self->registry);
    self->registry = zown_registry_new ();
    assert_non_null (self->registry);
    assert_int_equal (zown_registry_replay (self->registry, records->data, records->size), 0);
}

//  A bounded queue may hold more than its maxsize: a joinable queue's
//  leases do not count against it, and come back as queued items after a
//  restart; a dead letter goes to NAME.dead whatever its bound. The
//  journal and a snapshot of such a queue load, and the puts they replay
//  do not wait for room.
static void
test_bounded_queue_past_maxsize_replays (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    s_sent_t sent = { 0 };
    zown_buf_t journal, snapshot;
    zown_buf_init (&journal);
    zown_buf_init (&snapshot);
    zown_registry_set_sender (self->registry, s_sender, &sent);
    zown_registry_set_persist (self->registry, s_journal_add, &journal);
    //  A put waits for room, then takes the place of an item leased.
    assert_int_equal (
        s_one (self, ZOWN_OP_QUEUE_INIT, "j", 2, zown_datum_int (1), zown_datum_int (1)), ZOWN_OK);
    assert_int_equal (
        s_from (self, "A", ZOWN_OP_QUEUE_PUT, "j", 2, ZOWN_STR ("b"), zown_datum_int (0)), ZOWN_OK);
    assert_int_equal (
        s_from (self, "A", ZOWN_OP_QUEUE_PUT, "j", 2, ZOWN_STR ("c"), zown_datum_int (-1)),
        ZOWN_PARK);
    assert_int_equal (s_from (self, "B", ZOWN_OP_QUEUE_GET, "j", 1, zown_datum_int (0)), ZOWN_OK);
    assert_int_equal (sent.count, 1);
    assert_int_equal (sent.status, ZOWN_OK);
    assert_int_equal (s_queue_size (self, "j"), 1);
    //  Two dead letters in a NAME.dead of maxsize 1.
    assert_int_equal (s_one (self, ZOWN_OP_QUEUE_INIT, "k.dead", 1, zown_datum_int (1)), ZOWN_OK);
    assert_int_equal (s_one (self, ZOWN_OP_QUEUE_INIT, "k", 3, zown_datum_int (0),
                             zown_datum_int (1), zown_datum_int (1)),
                      ZOWN_OK);
    assert_int_equal (
        s_one (self, ZOWN_OP_QUEUE_PUT, "k", 2, zown_datum_int (1), zown_datum_int (0)), ZOWN_OK);
    assert_int_equal (
        s_one (self, ZOWN_OP_QUEUE_PUT, "k", 2, zown_datum_int (2), zown_datum_int (0)), ZOWN_OK);
    assert_int_equal (
        s_from (self, "C", ZOWN_OP_QUEUE_GET_MANY, "k", 2, zown_datum_int (2), zown_datum_int (0)),
        ZOWN_OK);
    s_dies (self, "C");
    assert_int_equal (s_queue_size (self, "k.dead"), 2);
    //  What the journal replays, and its snapshot, hold the same.
    s_restart (self, &journal);
    assert_int_equal (s_queue_size (self, "j"), 2);
    assert_int_equal (s_queue_size (self, "k"), 0);
    assert_int_equal (s_queue_size (self, "k.dead"), 2);
    assert_int_equal (zown_registry_dump (self->registry, s_snapshot_add, &snapshot), 0);
    s_restart (self, &snapshot);
    assert_int_equal (s_queue_size (self, "j"), 2);
    assert_int_equal (s_queue_size (self, "k.dead"), 2);
    //  A client's put still waits for room.
    assert_int_equal (s_one (self, ZOWN_OP_QUEUE_PUT, "j", 2, ZOWN_STR ("d"), zown_datum_int (0)),
                      ZOWN_TIMEOUT);
    zown_buf_free (&journal);
    zown_buf_free (&snapshot);
}

//  Appends a joinable queue "j" made with that version, and a put of one
//  item, to a journal.
static void
s_joinable_put (zown_buf_t *journal, uint64_t version)
{
    zown_datum_t init [2] = { zown_datum_int (0), zown_datum_int (1) };
    zown_datum_t put [2] = { ZOWN_STR ("a"), zown_datum_int (0) };
    size_t start = journal->size;
    zown_encode_change_datums (journal, "j", ZOWN_CHANGE_OP, version, ZOWN_OP_QUEUE_INIT, 2, init);
    zown_encode_change_seq (journal, start, 1);
    start = journal->size;
    zown_encode_change_datums (journal, "j", ZOWN_CHANGE_OP, version + 1, ZOWN_OP_QUEUE_PUT, 2,
                               put);
    zown_encode_change_seq (journal, start, 2);
    assert_false (journal->failed);
}

//  A joinable queue's item id is above its version, and replies and
//  snapshots carry it as an int64: a journal whose versions leave no such
//  id is refused, rather than loaded into a state its snapshot cannot
//  rebuild.
static void
test_joinable_ids_fit_int64 (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    zown_buf_t journal, snapshot;
    zown_buf_init (&journal);
    zown_buf_init (&snapshot);
    //  The last id there is.
    s_joinable_put (&journal, INT64_MAX - 1);
    s_restart (self, &journal);
    assert_int_equal (zown_registry_dump (self->registry, s_snapshot_add, &snapshot), 0);
    s_restart (self, &snapshot);
    assert_int_equal (s_queue_size (self, "j"), 1);
    assert_int_equal (s_from (self, "A", ZOWN_OP_QUEUE_GET, "j", 1, zown_datum_int (0)), ZOWN_OK);
    assert_int_equal (zown_reply_value (&self->reply, 0, 1).u.i, INT64_MAX);
    assert_int_equal (s_one (self, ZOWN_OP_QUEUE_PUT, "j", 2, ZOWN_STR ("b"), zown_datum_int (0)),
                      ZOWN_OVERFLOW);
    //  None left.
    journal.size = 0;
    s_joinable_put (&journal, UINT64_MAX - 4);
    zown_registry_t *fresh = zown_registry_new ();
    assert_int_equal (zown_registry_replay (fresh, journal.data, journal.size), -1);
    zown_registry_destroy (&fresh);
    zown_buf_free (&journal);
    zown_buf_free (&snapshot);
}

//  A blocking op on a missing object creates it so that it can park; once
//  its last waiter leaves without anything having changed the object (by
//  its deadline, its client's death), the object goes, exactly as when
//  the op could not wait at all (timeout 0).
static void
test_waiting_leaves_no_object (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    s_sent_t sent = { 0 };
    zown_registry_set_sender (self->registry, s_sender, &sent);
    assert_int_equal (s_from (self, "A", ZOWN_OP_EVENT_WAIT, "e", 1, zown_datum_int (0)),
                      ZOWN_TIMEOUT);
    assert_int_equal (s_objects (self), 0);
    //  By its deadline; while it waits, the object is there.
    assert_int_equal (s_from (self, "A", ZOWN_OP_EVENT_WAIT, "e", 1, zown_datum_int (1)),
                      ZOWN_PARK);
    assert_int_equal (s_one (self, ZOWN_OP_TYPE, "e", 0), ZOWN_OK);
    size_t records = 0;
    assert_int_equal (zown_registry_dump (self->registry, s_count_record, &records), 0);
    assert_int_equal (records, 0);
    s_expire (self);
    assert_int_equal (sent.count, 1);
    assert_int_equal (sent.status, ZOWN_TIMEOUT);
    assert_int_equal (s_objects (self), 0);
    //  By death; a second waiter keeps it until it leaves too.
    assert_int_equal (s_from (self, "A", ZOWN_OP_QUEUE_GET, "q", 1, zown_datum_int (-1)),
                      ZOWN_PARK);
    assert_int_equal (s_from (self, "B", ZOWN_OP_QUEUE_GET, "q", 1, zown_datum_int (1)), ZOWN_PARK);
    s_dies (self, "A");
    assert_int_equal (s_one (self, ZOWN_OP_TYPE, "q", 0), ZOWN_OK);
    s_expire (self);
    assert_int_equal (s_objects (self), 0);
    //  A condition over a held lock: the lock stays, the condition goes.
    assert_int_equal (s_from (self, "A", ZOWN_OP_LOCK_ACQUIRE, "m", 1, zown_datum_int (0)),
                      ZOWN_OK);
    assert_int_equal (
        s_from (self, "A", ZOWN_OP_CONDITION_WAIT, "c", 2, ZOWN_STR ("m"), zown_datum_int (1)),
        ZOWN_PARK);
    s_expire (self);
    assert_int_equal (sent.status, ZOWN_TIMEOUT);
    assert_int_equal (s_one (self, ZOWN_OP_TYPE, "c", 0), ZOWN_NOT_FOUND);
    assert_int_equal (s_one (self, ZOWN_OP_TYPE, "m", 0), ZOWN_OK);
    assert_int_equal (zown_registry_stats (self->registry)->parked, 0);
}

//  An object something else made exist, or changed, stays.
static void
test_claimed_objects_stay (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    s_sent_t sent = { 0 };
    zown_registry_set_sender (self->registry, s_sender, &sent);
    //  Claimed by another creating op, though it changed nothing.
    assert_int_equal (s_from (self, "A", ZOWN_OP_EVENT_WAIT, "e", 1, zown_datum_int (-1)),
                      ZOWN_PARK);
    assert_int_equal (s_one (self, ZOWN_OP_EVENT_CLEAR, "e", 0), ZOWN_OK);
    s_dies (self, "A");
    assert_int_equal (s_one (self, ZOWN_OP_TYPE, "e", 0), ZOWN_OK);
    //  A claim that rolls back claims nothing.
    assert_int_equal (s_from (self, "A", ZOWN_OP_EVENT_WAIT, "f", 1, zown_datum_int (-1)),
                      ZOWN_PARK);
    s_add (self, ZOWN_OP_EVENT_CLEAR, "f", 0);
    s_add (self, ZOWN_OP_VALUE_GET, "missing", 0);
    assert_int_equal (s_execute (self), ZOWN_NOT_FOUND);
    s_dies (self, "A");
    assert_int_equal (s_one (self, ZOWN_OP_TYPE, "f", 0), ZOWN_NOT_FOUND);
    //  Changed: the getter got its item, the queue stays.
    assert_int_equal (s_from (self, "A", ZOWN_OP_QUEUE_GET, "q", 1, zown_datum_int (-1)),
                      ZOWN_PARK);
    assert_int_equal (
        s_one (self, ZOWN_OP_QUEUE_PUT, "q", 2, zown_datum_int (5), zown_datum_int (0)), ZOWN_OK);
    assert_int_equal (sent.status, ZOWN_OK);
    assert_int_equal (sent.value [0].u.i, 5);
    assert_int_equal (s_one (self, ZOWN_OP_TYPE, "q", 0), ZOWN_OK);
    //  Dropped while waited on: the waiter hears so, the object is gone.
    assert_int_equal (s_from (self, "A", ZOWN_OP_EVENT_WAIT, "g", 1, zown_datum_int (-1)),
                      ZOWN_PARK);
    assert_int_equal (s_one (self, ZOWN_OP_DROP, "g", 0), ZOWN_OK);
    assert_int_equal (sent.status, ZOWN_NOT_FOUND);
    assert_int_equal (s_objects (self), 2);
}

//  A condition over an rlock: the wait gives it up at any depth and takes
//  it back at that depth, when notified and when its timeout passes (then
//  waiting for the rlock if it is busy); over a lock, a timeout is TIMEOUT.
static void
test_condition_over_rlock (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    s_sent_t sent = { 0 };
    zown_registry_set_sender (self->registry, s_sender, &sent);
    for (int round = 0; round < 2; round++) {
        assert_int_equal (s_from (self, "A", ZOWN_OP_RLOCK_ACQUIRE, "r", 1, zown_datum_int (0)),
                          ZOWN_OK);
        assert_int_equal (s_from (self, "A", ZOWN_OP_RLOCK_ACQUIRE, "r", 1, zown_datum_int (0)),
                          ZOWN_OK);
        int64_t timeout = round ? 1 : -1;
        assert_int_equal (s_from (self, "A", ZOWN_OP_CONDITION_WAIT, "c", 2, ZOWN_STR ("r"),
                                  zown_datum_int (timeout)),
                          ZOWN_PARK);
        assert_int_equal (s_from (self, "B", ZOWN_OP_RLOCK_ACQUIRE, "r", 1, zown_datum_int (0)),
                          ZOWN_OK);
        if (round == 0)
            assert_int_equal (s_from (self, "B", ZOWN_OP_CONDITION_NOTIFY, "c", 2, ZOWN_STR ("r"),
                                      zown_datum_int (1)),
                              ZOWN_OK);
        else
            s_expire (self);
        //  Waiting for the rlock B holds.
        assert_int_equal (sent.count, (size_t) round);
        assert_int_equal (s_from (self, "B", ZOWN_OP_RLOCK_RELEASE, "r", 0), ZOWN_OK);
        assert_int_equal (sent.count, (size_t) round + 1);
        assert_int_equal (sent.status, ZOWN_OK);
        assert_int_equal (sent.values, 2);
        assert_int_equal (sent.value [0].u.i, 0);      //  Nobody died
        assert_int_equal (sent.value [1].u.i, round);  //  Timed out
        //  Back at depth 2.
        assert_int_equal (s_from (self, "A", ZOWN_OP_RLOCK_RELEASE, "r", 0), ZOWN_OK);
        assert_int_equal (s_from (self, "A", ZOWN_OP_RLOCK_RELEASE, "r", 0), ZOWN_OK);
        assert_int_equal (s_from (self, "A", ZOWN_OP_RLOCK_RELEASE, "r", 0), ZOWN_NOT_HELD);
    }
    //  Over a lock, notified: the same two values.
    assert_int_equal (s_from (self, "A", ZOWN_OP_LOCK_ACQUIRE, "m", 1, zown_datum_int (0)),
                      ZOWN_OK);
    assert_int_equal (
        s_from (self, "A", ZOWN_OP_CONDITION_WAIT, "d", 2, ZOWN_STR ("m"), zown_datum_int (-1)),
        ZOWN_PARK);
    assert_int_equal (s_from (self, "B", ZOWN_OP_LOCK_ACQUIRE, "m", 1, zown_datum_int (0)),
                      ZOWN_OK);
    assert_int_equal (
        s_from (self, "B", ZOWN_OP_CONDITION_NOTIFY, "d", 2, ZOWN_STR ("m"), zown_datum_int (-1)),
        ZOWN_OK);
    assert_int_equal (s_from (self, "B", ZOWN_OP_LOCK_RELEASE, "m", 0), ZOWN_OK);
    assert_int_equal (sent.status, ZOWN_OK);
    assert_int_equal (sent.values, 2);
    assert_int_equal (sent.value [1].u.i, 0);
    assert_int_equal (zown_registry_stats (self->registry)->parked, 0);
}

//  HELLO: a boot id is 36 octets; a session's pid is set by its first
//  HELLO, which the same pid again changes nothing and another is refused.
static void
test_hello_once (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    const char *foreign = "00000000-0000-0000-0000-000000000000";
    assert_int_equal (s_from (self, "P", ZOWN_OP_HELLO, "", 2, zown_datum_int (INT32_MAX),
                              zown_datum_bytes (foreign, 35)),
                      ZOWN_BAD_ARGS);
    //  Refused before a session was made for it.
    assert_int_equal (zown_registry_stats (self->registry)->sessions, 0);
    assert_int_equal (
        s_from (self, "P", ZOWN_OP_HELLO, "", 2, zown_datum_int (INT32_MAX), ZOWN_STR (foreign)),
        ZOWN_OK);
    zown_session_t *session = zown_session_find (self->registry, "P", 1);
    assert_non_null (session);
    assert_int_equal (session->pid, INT32_MAX);
    assert_int_equal (s_from (self, "P", ZOWN_OP_HELLO, "", 1, zown_datum_int (INT32_MAX)),
                      ZOWN_OK);
    assert_int_equal (
        s_from (self, "P", ZOWN_OP_HELLO, "", 2, zown_datum_int (7), ZOWN_STR (foreign)),
        ZOWN_BAD_ARGS);
    assert_int_equal (session->pid, INT32_MAX);
    assert_int_equal (session->pidfd, -1);
    //  A session a request made, before any HELLO, takes its first pid.
    assert_int_equal (s_from (self, "Q", ZOWN_OP_LOCK_ACQUIRE, "l", 1, zown_datum_int (0)),
                      ZOWN_OK);
    assert_int_equal (
        s_from (self, "Q", ZOWN_OP_HELLO, "", 2, zown_datum_int (7), ZOWN_STR (foreign)), ZOWN_OK);
    assert_int_equal (zown_session_find (self->registry, "Q", 1)->pid, 7);
    assert_int_equal (zown_registry_stats (self->registry)->sessions, 2);
}

//  docs/PROTOCOL.md, section 6: each worked example's request, as
//  written there, gets exactly the reply written there.
typedef struct {
    const char *request;
    const char *reply;
} s_example_t;

static const s_example_t s_examples [] = {
    //  VALUE_ADD counter 1
    { "5A 4F 01 01 00 00 00 00 00 00 00 01 00 01 22 07 63 6F 75 6E 74 65 72 00 01"
      "01 00 00 00 00 00 00 00 01",
      "5A 4F 01 02 00 00 00 00 00 00 00 01 00 00 01 00 00 00 00 01 01 00 00 00 00 00 00 00 01" },
    //  DICT_GET config "missing"
    { "5A 4F 01 01 00 00 00 00 00 00 00 02 00 01 11 06 63 6F 6E 66 69 67 00 01 03 00 00 00 07"
      "6D 69 73 73 69 6E 67",
      "5A 4F 01 02 00 00 00 00 00 00 00 02 01 00 01 01 00 00 00 01 03 00 00 00 0B"
      "6E 6F 20 73 75 63 68 20 6B 65 79" },
    //  The failed batch
    { "5A 4F 01 01 00 00 00 00 00 00 00 07 00 02 22 07 63 6F 75 6E 74 65 72 00 01"
      "01 00 00 00 00 00 00 00 01 22 07 63 6F 75 6E 74 65 72 00 01 02 3F F0 00 00 00 00 00 00",
      "5A 4F 01 02 00 00 00 00 00 00 00 07 02 00 02 0A 00 00 00 00 02 00 00 00 01 03 00 00 00 21"
      "76 61 6C 75 65 20 68 6F 6C 64 73 20 74 68 65 20 6F 74 68 65 72 20 6E 75 6D 62 65 72 20"
      "74 79 70 65" },
    //  The conflict
    { "5A 4F 01 01 00 00 00 00 00 00 00 08 00 01 23 07 63 6F 75 6E 74 65 72 00 02"
      "01 00 00 00 00 00 00 00 05 01 00 00 00 00 00 00 00 06",
      "5A 4F 01 02 00 00 00 00 00 00 00 08 08 00 01 08 00 00 00 01 01 00 00 00 00 00 00 00 01" },
    //  The independent ops
    { "5A 4F 01 03 00 00 00 00 00 00 00 09 00 02 22 07 63 6F 75 6E 74 65 72 00 01"
      "01 00 00 00 00 00 00 00 01 22 07 63 6F 75 6E 74 65 72 00 01 02 3F F0 00 00 00 00 00 00",
      "5A 4F 01 02 00 00 00 00 00 00 00 09 02 00 02 00 00 00 00 01 01 00 00 00 00 00 00 00 02"
      "02 00 00 00 01 03 00 00 00 21 76 61 6C 75 65 20 68 6F 6C 64 73 20 74 68 65 20 6F 74 68"
      "65 72 20 6E 75 6D 62 65 72 20 74 79 70 65" },
    //  The version mismatch
    { "5A 4F 02 01 00 00 00 00 00 00 00 03 00 01 01 00 00 00",
      "5A 4F 01 02 00 00 00 00 00 00 00 03 04 00 01 04 00 00 00 01 03 00 00 00 31"
      "75 6E 73 75 70 70 6F 72 74 65 64 20 70 72 6F 74 6F 63 6F 6C 20 76 65 72 73 69 6F 6E"
      "3A 20 74 68 69 73 20 6F 77 6E 65 72 20 73 70 65 61 6B 73 20 31" },
};

//  Octets from hex text (pairs of digits, spaces between them ignored).
static size_t
s_hex (const char *text, uint8_t *bytes, size_t most)
{
    size_t size = 0;
    for (const char *at = text; *at; at++) {
        if (*at == ' ')
            continue;
        unsigned octet;
        assert_int_equal (sscanf (at, "%2x", &octet), 1);
        assert_true (size < most);
        bytes [size++] = (uint8_t) octet;
        at++;
    }
    return size;
}

static void
test_worked_examples (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    for (size_t index = 0; index < sizeof (s_examples) / sizeof (s_examples [0]); index++) {
        uint8_t request [256], reply [256];
        size_t request_size = s_hex (s_examples [index].request, request, sizeof (request));
        size_t reply_size = s_hex (s_examples [index].reply, reply, sizeof (reply));
        zown_registry_execute (self->registry, request, request_size, &self->out);
        assert_int_equal (self->out.size, reply_size);
        assert_memory_equal (self->out.data, reply, reply_size);
    }
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_command_table_checks, setup, teardown),
        cmocka_unit_test_setup_teardown (test_wrong_type_and_not_found, setup, teardown),
        cmocka_unit_test_setup_teardown (test_owner_ops, setup, teardown),
        cmocka_unit_test_setup_teardown (test_malformed_frames_change_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown (test_batch_applies_all, setup, teardown),
        cmocka_unit_test_setup_teardown (test_batch_invalid_op_applies_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown (test_batch_rolls_back, setup, teardown),
        cmocka_unit_test_setup_teardown (test_batch_conflict_reports_which_op, setup, teardown),
        cmocka_unit_test_setup_teardown (test_negative_timeouts, setup, teardown),
        cmocka_unit_test_setup_teardown (test_bounded_queue_past_maxsize_replays, setup, teardown),
        cmocka_unit_test_setup_teardown (test_joinable_ids_fit_int64, setup, teardown),
        cmocka_unit_test_setup_teardown (test_waiting_leaves_no_object, setup, teardown),
        cmocka_unit_test_setup_teardown (test_claimed_objects_stay, setup, teardown),
        cmocka_unit_test_setup_teardown (test_condition_over_rlock, setup, teardown),
        cmocka_unit_test_setup_teardown (test_hello_once, setup, teardown),
        cmocka_unit_test_setup_teardown (test_worked_examples, setup, teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
