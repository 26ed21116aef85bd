/*  =========================================================================
    test_buffered - buffered updates (write combining) and the requests of
    independent ops they travel in: read-your-writes, order, failures
    reported by the next call, linger, flush at destroy, a buffered client
    inherited by a forked child; independent ops over the raw wire beside
    an all-or-nothing batch
    =========================================================================
*/
#include "testutil.h"
#include "zown_internal.h"
#include <signal.h>

//  A buffered client whose updates leave only when full or asked to.
static zown_client_t *
s_buffered (const char *endpoint)
{
    zown_client_t *client = testutil_client (endpoint);
    assert_int_equal (zown_client_set_buffered (client, ZOWN_BATCH_MAX, 3600 * 1000), 0);
    return client;
}

static int64_t
s_value (zown_client_t *client, const char *name)
{
    zown_value_t *value = zown_value_new (client, name);
    int64_t now = 0;
    assert_int_equal (zown_value_get (value, &now), 0);
    zown_value_destroy (&value);
    return now;
}

//  Runs one request frame through a registry; decodes its reply.
static int
s_execute (zown_registry_t *registry, zown_request_t *request, zown_buf_t *out, zown_reply_t *reply)
{
    zown_request_seal (request, 7);
    const zown_buf_t *frame = zown_request_buffer (request);
    zown_registry_execute (registry, frame->data, frame->size, out);
    assert_int_equal (zown_reply_decode (reply, out->data, out->size), 0);
    assert_int_equal (zown_reply_id (reply), 7);
    zown_request_reset (request);
    return zown_reply_status (reply);
}

//  The request of ops the tests below send both ways: a good add, a bad
//  argument, a missing key, a good add, a wait that cannot park.
static void
s_mixed_ops (zown_request_t *request)
{
    zown_datum_t one = zown_datum_int (1), two = zown_datum_int (2), text = ZOWN_STR ("x");
    zown_datum_t key = ZOWN_STR ("absent"), wait = zown_datum_int (60000);
    assert_int_equal (zown_request_add (request, ZOWN_OP_VALUE_ADD, "v", 1, &one), 0);
    assert_int_equal (zown_request_add (request, ZOWN_OP_VALUE_ADD, "v", 1, &text), 0);
    assert_int_equal (zown_request_add (request, ZOWN_OP_DICT_DEL, "d", 1, &key), 0);
    assert_int_equal (zown_request_add (request, ZOWN_OP_VALUE_ADD, "v", 1, &two), 0);
    assert_int_equal (zown_request_add (request, ZOWN_OP_QUEUE_GET, "q", 1, &wait), 0);
}

static void
test_independent_ops (void **state)
{
    (void) state;
    zown_registry_t *registry = zown_registry_new ();
    zown_request_t *request = zown_request_new ();
    zown_buf_t out;
    zown_buf_init (&out);
    zown_reply_t reply;
    zown_reply_init (&reply);
    zown_datum_t dict_set [2] = { ZOWN_STR ("k"), zown_datum_int (1) };
    assert_int_equal (zown_request_add (request, ZOWN_OP_DICT_SET, "d", 2, dict_set), 0);
    assert_int_equal (s_execute (registry, request, &out, &reply), ZOWN_OK);

    //  Version 1's batch: all or nothing.
    s_mixed_ops (request);
    assert_int_equal (s_execute (registry, request, &out, &reply), ZOWN_BAD_ARGS);
    assert_int_equal (zown_reply_results (&reply), 5);
    assert_int_equal (zown_reply_result_status (&reply, 0), ZOWN_ABORTED);
    assert_int_equal (zown_reply_result_status (&reply, 1), ZOWN_BAD_ARGS);
    assert_int_equal (zown_registry_lookup (registry, "v"), NULL);

    //  Independent ops: each on its own, one result each.
    zown_request_set_kind (request, ZOWN_KIND_INDEPENDENT);
    s_mixed_ops (request);
    assert_int_equal (s_execute (registry, request, &out, &reply), ZOWN_BAD_ARGS);
    assert_int_equal (zown_reply_results (&reply), 5);
    assert_int_equal (zown_reply_result_status (&reply, 0), ZOWN_OK);
    assert_int_equal (zown_reply_value (&reply, 0, 0).u.i, 1);
    assert_int_equal (zown_reply_result_status (&reply, 1), ZOWN_BAD_ARGS);
    assert_true (zown_reply_message (&reply, 1).u.b.len > 0);
    assert_int_equal (zown_reply_result_status (&reply, 2), ZOWN_NOT_FOUND);
    assert_int_equal (zown_reply_result_status (&reply, 3), ZOWN_OK);
    assert_int_equal (zown_reply_value (&reply, 3, 0).u.i, 3);
    //  A wait in independent ops never parks: it fails at once.
    assert_int_equal (zown_reply_result_status (&reply, 4), ZOWN_TIMEOUT);
    assert_int_equal (zown_registry_stats (registry)->parked, 0);

    //  All succeed: overall OK.
    zown_datum_t one = zown_datum_int (1);
    for (int index = 0; index < 3; index++)
        assert_int_equal (zown_request_add (request, ZOWN_OP_VALUE_ADD, "v", 1, &one), 0);
    assert_int_equal (s_execute (registry, request, &out, &reply), ZOWN_OK);
    assert_int_equal (zown_reply_results (&reply), 3);
    assert_int_equal (zown_reply_value (&reply, 2, 0).u.i, 6);

    zown_reply_fini (&reply);
    zown_buf_free (&out);
    zown_request_destroy (&request);
    zown_registry_destroy (&registry);
}

//  Independent ops over the raw wire, from bytes written by hand as
//  docs/PROTOCOL.md 2.2 lays them out (kind 03).
static void
test_independent_ops_raw_wire (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    static const uint8_t frame [] = {
        0x5A, 0x4F, 0x01, 0x03, 0, 0,    0, 0, 0, 0, 0,   42, 0, 2,  //  header: 2 ops, id 42
        0x22, 1,    'v',  0,    1, 0x01, 0, 0, 0, 0, 0,   0,  0, 5,  //  VALUE_ADD v 5
        0x13, 1,    'd',  0,    1, 0x03, 0, 0, 0, 1, 'k',            //  DICT_DEL d "k"
    };
    size_t size;
    uint8_t *answer = testutil_raw_call (zown_owner_ipc (owner), frame, sizeof (frame), &size);
    assert_non_null (answer);
    zown_reply_t reply;
    zown_reply_init (&reply);
    assert_int_equal (zown_reply_decode (&reply, answer, size), 0);
    assert_int_equal (zown_reply_id (&reply), 42);
    assert_int_equal (zown_reply_status (&reply), ZOWN_NOT_FOUND);
    assert_int_equal (zown_reply_results (&reply), 2);
    assert_int_equal (zown_reply_result_status (&reply, 0), ZOWN_OK);
    assert_int_equal (zown_reply_value (&reply, 0, 0).u.i, 5);
    assert_int_equal (zown_reply_result_status (&reply, 1), ZOWN_NOT_FOUND);
    zown_reply_fini (&reply);
    free (answer);
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    assert_int_equal (s_value (client, "v"), 5);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

static void
test_read_your_writes (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = s_buffered (zown_owner_inproc (owner));
    zown_value_t *value = zown_value_new (client, "v");
    zown_dict_t *dict = zown_dict_new (client, "d");
    assert_int_equal (zown_client_ping (client), 0);
    int64_t requests = testutil_stat (client, "requests");
    for (int index = 0; index < 100; index++) {
        assert_int_equal (zown_value_add (value, 1, NULL), 0);
        assert_int_equal (zown_dict_set (dict, "k", zown_datum_int (index), NULL), 0);
    }
    //  Nothing has left yet; the read sends the buffer ahead of itself.
    int64_t now;
    assert_int_equal (zown_value_get (value, &now), 0);
    assert_int_equal (now, 100);
    zown_datum_t got;
    assert_int_equal (zown_dict_get (dict, "k", &got, NULL), 0);
    assert_int_equal (got.u.i, 99);
    //  200 updates, one message: STATS, the buffer, the two reads.
    assert_int_equal (testutil_stat (client, "requests"), requests + 4);
    //  An update that returns a value is a read too.
    assert_int_equal (zown_value_add (value, 1, NULL), 0);
    assert_int_equal (zown_value_add (value, 1, &now), 0);
    assert_int_equal (now, 102);
    zown_dict_destroy (&dict);
    zown_value_destroy (&value);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

static void
test_order_across_messages (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    assert_int_equal (zown_client_set_buffered (client, 16, 3600 * 1000), 0);
    zown_list_t *list = zown_list_new (client, "l");
    zown_dict_t *dict = zown_dict_new (client, "d");
    zown_event_t *event = zown_event_new (client, "e");
    //  Many messages, several in flight at once.
    for (int index = 0; index < 500; index++) {
        assert_int_equal (zown_list_append (list, zown_datum_int (index), NULL), 0);
        assert_int_equal (zown_dict_set (dict, "k", zown_datum_int (index), NULL), 0);
        if (index % 7 == 0)
            assert_int_equal (zown_dict_delete (dict, "k"), 0);
    }
    assert_int_equal (zown_event_set (event), 0);
    assert_int_equal (zown_event_clear (event), 0);
    assert_int_equal (zown_client_flush (client), 0);
    zown_reply_t *range;
    assert_int_equal (zown_list_range (list, 0, 500, &range), 0);
    assert_int_equal (zown_reply_count (range, 0), 500);
    for (size_t index = 0; index < 500; index++)
        assert_int_equal (zown_reply_value (range, 0, index).u.i, (int64_t) index);
    zown_datum_t got;
    assert_int_equal (zown_dict_get (dict, "k", &got, NULL), 0);
    assert_int_equal (got.u.i, 499);
    assert_int_equal (zown_event_is_set (event), 0);
    zown_event_destroy (&event);
    zown_dict_destroy (&dict);
    zown_list_destroy (&list);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

static void
test_failures_reported (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = s_buffered (zown_owner_inproc (owner));
    zown_value_t *value = zown_value_new (client, "v");
    zown_dict_t *dict = zown_dict_new (client, "d");
    assert_int_equal (zown_client_failures (client, NULL, NULL, NULL, NULL), 0);
    assert_int_equal (zown_value_set (value, 1), 0);                 //  update 1
    assert_int_equal (zown_dict_delete (dict, "absent"), 0);         //  2: NOT_FOUND
    assert_int_equal (zown_value_add_double (value, 1.5, NULL), 0);  //  3: WRONG_TYPE
    assert_int_equal (zown_value_add (value, 1, NULL), 0);           //  4
    assert_int_equal (zown_client_flush (client), -1);
    assert_int_equal (zown_errno (), ZOWN_UPDATES_FAILED);
    uint64_t update;
    zown_op_t op;
    int status;
    const char *message;
    assert_int_equal (zown_client_failures (client, &update, &op, &status, &message), 2);
    assert_int_equal (update, 2);
    assert_int_equal (op, ZOWN_OP_DICT_DEL);
    assert_int_equal (status, ZOWN_NOT_FOUND);
    assert_true (strlen (message) > 0);
    //  Reported once: the client goes on, and the good updates stand.
    assert_int_equal (zown_client_flush (client), 0);
    assert_int_equal (s_value (client, "v"), 2);

    //  A failure seen on the way to a read is reported by the call after
    //  it, which does nothing else.
    assert_int_equal (zown_dict_delete (dict, "absent"), 0);  //  5
    assert_int_equal (s_value (client, "v"), 2);
    assert_int_equal (zown_value_add (value, 10, NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_UPDATES_FAILED);
    assert_int_equal (zown_client_failures (client, &update, &op, &status, NULL), 1);
    assert_int_equal (update, 5);
    assert_int_equal (zown_client_flush (client), 0);
    assert_int_equal (s_value (client, "v"), 2);
    //  The same on an update that the owner answers at once.
    assert_int_equal (zown_dict_delete (dict, "absent"), 0);  //  6
    assert_int_equal (zown_value_add (value, 1, NULL), 0);    //  7
    int64_t now;
    assert_int_equal (zown_value_get (value, &now), 0);
    assert_int_equal (now, 3);
    assert_int_equal (zown_client_ping (client), -1);
    assert_int_equal (zown_errno (), ZOWN_UPDATES_FAILED);
    assert_int_equal (zown_client_ping (client), 0);
    zown_dict_destroy (&dict);
    zown_value_destroy (&value);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

//  The value `name` through another client, 0 while it does not exist.
static int64_t
s_value_or_0 (zown_client_t *client, const char *name)
{
    zown_value_t *value = zown_value_new (client, name);
    int64_t now = 0;
    if (zown_value_get (value, &now))
        assert_int_equal (zown_errno (), ZOWN_NOT_FOUND);
    zown_value_destroy (&value);
    return now;
}

//  Another client polls `name` until it holds `expected` (10 s at most).
static void
s_await_value (zown_client_t *client, const char *name, int64_t expected)
{
    int64_t deadline = testutil_now_ms () + 10000;
    while (s_value_or_0 (client, name) != expected)
        assert_true (testutil_now_ms () < deadline);
}

static void
test_linger (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *writer = testutil_client (zown_owner_inproc (owner));
    zown_client_t *reader = testutil_client (zown_owner_inproc (owner));
    assert_int_equal (zown_client_set_buffered (writer, ZOWN_BATCH_MAX, 1), 0);
    zown_value_t *seen = zown_value_new (writer, "seen");
    zown_value_t *busy = zown_value_new (writer, "busy");
    assert_int_equal (zown_value_add (seen, 1, NULL), 0);
    //  The writer keeps calling: once its oldest update is a linger old,
    //  a call sends the buffer, and the reader sees it.
    int64_t deadline = testutil_now_ms () + 10000;
    while (s_value_or_0 (reader, "seen") != 1) {
        assert_int_equal (zown_value_add (busy, 1, NULL), 0);
        assert_true (testutil_now_ms () < deadline);
    }
    //  A linger of 0 sends each update at once.
    assert_int_equal (zown_client_set_buffered (writer, ZOWN_BATCH_MAX, 0), 0);
    assert_int_equal (zown_value_add (seen, 1, NULL), 0);
    s_await_value (reader, "seen", 2);
    zown_value_destroy (&busy);
    zown_value_destroy (&seen);
    zown_client_destroy (&reader);
    zown_client_destroy (&writer);
    zown_owner_destroy (&owner);
}

static void
test_flush_at_destroy (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *reader = testutil_client (zown_owner_inproc (owner));
    zown_client_t *writer = s_buffered (zown_owner_ipc (owner));
    zown_value_t *value = zown_value_new (writer, "v");
    for (int index = 0; index < 10; index++)
        assert_int_equal (zown_value_add (value, 1, NULL), 0);
    zown_value_destroy (&value);
    zown_client_destroy (&writer);
    assert_int_equal (s_value (reader, "v"), 10);
    //  Turning buffering off flushes too.
    writer = s_buffered (zown_owner_ipc (owner));
    value = zown_value_new (writer, "v");
    assert_int_equal (zown_value_add (value, 5, NULL), 0);
    assert_int_equal (zown_client_set_buffered (writer, 0, 0), 0);
    assert_int_equal (s_value (reader, "v"), 15);
    assert_int_equal (zown_value_add (value, 1, NULL), 0);
    assert_int_equal (s_value (reader, "v"), 16);
    zown_value_destroy (&value);
    zown_client_destroy (&writer);
    zown_client_destroy (&reader);
    zown_owner_destroy (&owner);
}

//  A child with its parent's buffered client: every call on it is
//  refused, its destroy sends nothing, and a client of its own works.
static int
s_child (void *arg)
{
    zown_client_t *inherited = (zown_client_t *) arg;
    if (zown_client_flush (inherited) != -1 || zown_errno () != ZOWN_FORKED)
        return 1;
    zown_value_t *value = zown_value_new (inherited, "v");
    if (zown_value_add (value, 1000, NULL) != -1 || zown_errno () != ZOWN_FORKED)
        return 2;
    zown_value_destroy (&value);
    zown_client_destroy (&inherited);
    zown_client_t *own = zown_client_new (getenv ("ZOWN_TEST_ENDPOINT"));
    if (!own || zown_client_set_buffered (own, 64, 1))
        return 3;
    value = zown_value_new (own, "v");
    for (int index = 0; index < 100; index++)
        if (zown_value_add (value, 1, NULL))
            return 4;
    zown_value_destroy (&value);
    zown_client_destroy (&own);
    return 0;
}

static void
test_forked_child (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    setenv ("ZOWN_TEST_ENDPOINT", zown_owner_ipc (owner), 1);
    zown_client_t *client = s_buffered (zown_owner_ipc (owner));
    zown_value_t *value = zown_value_new (client, "v");
    assert_int_equal (zown_client_ping (client), 0);
    for (int index = 0; index < 5; index++)
        assert_int_equal (zown_value_add (value, 1, NULL), 0);
    pid_t child = testutil_fork (s_child, client);
    assert_int_equal (testutil_wait (child), 0);
    //  The parent's buffer went once: with the parent's next call.
    assert_int_equal (zown_client_flush (client), 0);
    assert_int_equal (s_value (client, "v"), 105);
    zown_value_destroy (&value);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

//  With a journal, each independent op is committed on its own: the good
//  ones survive a restart, the failed one left nothing.
static void
test_journaled (void **state)
{
    (void) state;
    testutil_private_rundir ();
    char journal [512];
    snprintf (journal, sizeof (journal), "%s/buffered.journal", getenv ("ZOWN_RUNDIR"));
    zown_owner_options_t options = { .data = journal, .fsync = ZOWN_FSYNC_ALWAYS };
    for (int life = 0; life < 2; life++) {
        zown_owner_t *owner = zown_owner_new_with ("buffered-journal", &options);
        assert_non_null (owner);
        zown_client_t *client = s_buffered (zown_owner_inproc (owner));
        zown_value_t *value = zown_value_new (client, "v");
        zown_dict_t *dict = zown_dict_new (client, "d");
        if (life == 0) {
            for (int index = 0; index < 50; index++)
                assert_int_equal (zown_value_add (value, 1, NULL), 0);
            assert_int_equal (zown_value_add_double (value, 0.5, NULL), 0);
            assert_int_equal (zown_dict_set (dict, "k", zown_datum_int (7), NULL), 0);
            assert_int_equal (zown_client_flush (client), -1);
            assert_int_equal (zown_client_failures (client, NULL, NULL, NULL, NULL), 1);
        }
        assert_int_equal (s_value (client, "v"), 50);
        zown_datum_t got;
        assert_int_equal (zown_dict_get (dict, "k", &got, NULL), 0);
        assert_int_equal (got.u.i, 7);
        zown_dict_destroy (&dict);
        zown_value_destroy (&value);
        zown_client_destroy (&client);
        zown_owner_destroy (&owner);
    }
}

//  Updates whose owner went away count as failed, outcome unknown.
static void
test_owner_gone (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = s_buffered (zown_owner_ipc (owner));
    assert_int_equal (zown_client_set_timeout (client, 500), 0);
    zown_value_t *value = zown_value_new (client, "v");
    assert_int_equal (zown_value_add (value, 1, NULL), 0);
    assert_int_equal (zown_client_flush (client), 0);
    zown_owner_destroy (&owner);
    for (int index = 0; index < 3; index++)
        assert_int_equal (zown_value_add (value, 1, NULL), 0);
    assert_int_equal (zown_client_flush (client), -1);
    assert_int_equal (zown_errno (), ZOWN_UPDATES_FAILED);
    uint64_t update;
    int status;
    assert_int_equal (zown_client_failures (client, &update, NULL, &status, NULL), 3);
    assert_int_equal (update, 2);
    assert_true (status == ZOWN_UNREACHABLE || status == ZOWN_TIMEOUT);
    zown_value_destroy (&value);
    zown_client_destroy (&client);
}

static void
test_api_checks (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    assert_int_equal (zown_client_set_buffered (client, -1, 1), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_int_equal (zown_client_set_buffered (client, ZOWN_BATCH_MAX + 1, 1), -1);
    assert_int_equal (zown_client_set_buffered (client, 10, -1), -1);
    assert_int_equal (zown_client_set_buffered (NULL, 10, 1), -1);
    assert_int_equal (zown_client_flush (NULL), -1);
    //  Unbuffered: flush has nothing to do.
    assert_int_equal (zown_client_flush (client), 0);
    //  Pipelined requests pending: a buffered update waits for them.
    assert_int_equal (zown_client_set_buffered (client, 10, 1), 0);
    zown_request_t *ping = zown_request_new ();
    assert_int_equal (zown_request_add (ping, ZOWN_OP_PING, NULL, 0, NULL), 0);
    assert_int_equal (zown_client_send (client, ping, NULL), 0);
    zown_value_t *value = zown_value_new (client, "v");
    assert_int_equal (zown_value_add (value, 1, NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_BUSY);
    assert_int_equal (zown_client_flush (client), -1);
    assert_int_equal (zown_errno (), ZOWN_BUSY);
    zown_reply_t *reply;
    assert_int_equal (zown_client_recv (client, &reply), 0);
    assert_int_equal (zown_value_add (value, 1, NULL), 0);
    //  A put that may wait is a blocking call, never buffered.
    zown_queue_t *queue = zown_queue_new (client, "q");
    assert_int_equal (zown_queue_init (queue, 1), 1);
    assert_int_equal (zown_queue_put (queue, zown_datum_int (1), 0), 0);
    assert_int_equal (zown_queue_put (queue, zown_datum_int (2), 10), -1);
    assert_int_equal (zown_errno (), ZOWN_TIMEOUT);
    assert_int_equal (s_value (client, "v"), 1);
    zown_queue_destroy (&queue);
    zown_value_destroy (&value);
    zown_request_destroy (&ping);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_independent_ops),   cmocka_unit_test (test_independent_ops_raw_wire),
        cmocka_unit_test (test_read_your_writes),  cmocka_unit_test (test_order_across_messages),
        cmocka_unit_test (test_failures_reported), cmocka_unit_test (test_linger),
        cmocka_unit_test (test_flush_at_destroy),  cmocka_unit_test (test_forked_child),
        cmocka_unit_test (test_journaled),         cmocka_unit_test (test_owner_gone),
        cmocka_unit_test (test_api_checks),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
