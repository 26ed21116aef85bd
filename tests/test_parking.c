/*  =========================================================================
    test_parking - the parked requests behind every blocking op, parked by
    an event wait: answered by their deadline or by a DROP; batches that
    cannot park and must not wake; waiters that die; an owner stopped with
    waiters parked
    =========================================================================
*/
#include "testutil.h"
#include <pthread.h>

static zown_spawner_t *s_spawner;

static void
test_wait_times_out_and_leaves_nothing (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_event_t *event = zown_event_new (client, "e");
    int64_t started = testutil_now_ms ();
    assert_int_equal (zown_event_wait (event, 100), -1);
    assert_int_equal (zown_errno (), ZOWN_TIMEOUT);
    //  The owner answers at the deadline, never before it.
    assert_true (testutil_now_ms () - started >= 100);
    assert_int_equal (testutil_stat (client, "parked"), 0);
    zown_event_destroy (&event);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

static void
test_batches_neither_park_nor_wake_on_rollback (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    pthread_t thread;
    testutil_waiter_t waiter = testutil_waiter (zown_owner_inproc (owner), "e", 10000);
    pthread_create (&thread, NULL, testutil_event_waiter, &waiter);
    testutil_await_stat (client, "parked", 1);

    //  A wait inside a batch cannot park: it fails at once, rolling back.
    zown_request_t *batch = zown_request_new ();
    zown_datum_t wait_long = zown_datum_int (10000);
    zown_datum_t one = zown_datum_int (1);
    assert_int_equal (zown_request_add (batch, ZOWN_OP_VALUE_ADD, "n", 1, &one), 0);
    assert_int_equal (zown_request_add (batch, ZOWN_OP_EVENT_WAIT, "e", 1, &wait_long), 0);
    assert_int_equal (zown_client_call (client, batch, NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_TIMEOUT);
    //  A set that rolls back wakes nobody.
    zown_request_reset (batch);
    zown_datum_t out_of_range = zown_datum_int (5);
    assert_int_equal (zown_request_add (batch, ZOWN_OP_EVENT_SET, "e", 0, NULL), 0);
    assert_int_equal (zown_request_add (batch, ZOWN_OP_LIST_GET, "l", 1, &out_of_range), 0);
    assert_int_equal (zown_client_call (client, batch, NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_OUT_OF_RANGE);
    zown_event_t *event = zown_event_new (client, "e");
    assert_int_equal (zown_event_is_set (event), 0);
    assert_int_equal (testutil_stat (client, "parked"), 1);
    //  A set that commits, inside a batch, does.
    zown_request_reset (batch);
    assert_int_equal (zown_request_add (batch, ZOWN_OP_EVENT_SET, "e", 0, NULL), 0);
    assert_int_equal (zown_request_add (batch, ZOWN_OP_VALUE_ADD, "n", 1, &one), 0);
    assert_int_equal (zown_client_call (client, batch, NULL), 0);
    pthread_join (thread, NULL);
    assert_int_equal (waiter.result, 0);
    assert_int_equal (testutil_stat (client, "parked"), 0);
    zown_event_destroy (&event);
    zown_request_destroy (&batch);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

static void
test_drop_answers_waiters (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    pthread_t thread;
    testutil_waiter_t waiter = testutil_waiter (zown_owner_inproc (owner), "e", 10000);
    pthread_create (&thread, NULL, testutil_event_waiter, &waiter);
    testutil_await_stat (client, "parked", 1);
    zown_request_t *drop = zown_request_new ();
    assert_int_equal (zown_request_add (drop, ZOWN_OP_DROP, "e", 0, NULL), 0);
    assert_int_equal (zown_client_call (client, drop, NULL), 0);
    pthread_join (thread, NULL);
    assert_int_equal (waiter.result, ZOWN_NOT_FOUND);
    assert_int_equal (testutil_stat (client, "parked"), 0);
    zown_request_destroy (&drop);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

static void
test_dead_waiter_leaves_no_parked_request (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    //  A wait without a deadline: nothing but the owner noticing the
    //  death can free it.
    testutil_waiter_t child = testutil_waiter (zown_owner_ipc (owner), "e", ZOWN_FOREVER);
    pid_t pid = testutil_spawn (s_spawner, testutil_event_waiter_process, &child, sizeof (child));
    testutil_await_stat (client, "parked", 1);
    testutil_kill (s_spawner, pid);
    testutil_await_stat (client, "parked", 0);
    assert_int_equal (zown_client_ping (client), 0);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

static void
test_stop_with_waiters_parked (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    testutil_waiter_t child = testutil_waiter (zown_owner_ipc (owner), "e", 300);
    pid_t pid = testutil_spawn (s_spawner, testutil_event_waiter_process, &child, sizeof (child));
    testutil_await_stat (client, "parked", 1);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
    //  The waiter is never answered; its own deadline ends the wait.
    int status = testutil_reap (s_spawner, pid);
    assert_true (status == ZOWN_TIMEOUT || status == ZOWN_UNREACHABLE);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_wait_times_out_and_leaves_nothing),
        cmocka_unit_test (test_batches_neither_park_nor_wake_on_rollback),
        cmocka_unit_test (test_drop_answers_waiters),
        cmocka_unit_test (test_dead_waiter_leaves_no_parked_request),
        cmocka_unit_test (test_stop_with_waiters_parked),
    };
    return testutil_run_spawned (&s_spawner, tests, sizeof (tests) / sizeof (tests [0]));
}
