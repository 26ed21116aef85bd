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
    assert_int_equal (zown_reply_count (&self->reply, 0), 44);
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
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
