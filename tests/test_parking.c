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

//  A thread of this process waiting 10 s on the event "e", parked.
static void
s_park_thread (testutil_fixture_t *self, pthread_t *thread, testutil_waiter_t *waiter)
{
    *waiter = testutil_waiter (zown_owner_inproc (self->owner), "e", 10000);
    testutil_park_thread (self->client, thread, testutil_event_waiter, waiter, 1);
}

//  A child waiting `timeout` on the event "e", parked; returns its pid.
static pid_t
s_park_child (testutil_fixture_t *self, int timeout)
{
    testutil_waiter_t waiter = testutil_waiter (zown_owner_ipc (self->owner), "e", timeout);
    pid_t pid = testutil_spawn (s_spawner, testutil_event_waiter_process, &waiter, sizeof (waiter));
    testutil_await_stat (self->client, "parked", 1);
    return pid;
}

static void
test_wait_times_out_and_leaves_nothing (void **state)
{
    zown_client_t *client = ((testutil_fixture_t *) *state)->client;
    zown_event_t *event = zown_event_new (client, "e");
    int64_t started = testutil_now_ms ();
    assert_int_equal (zown_event_wait (event, 100), -1);
    assert_int_equal (zown_errno (), ZOWN_TIMEOUT);
    //  The owner answers at the deadline, never before it.
    assert_true (testutil_now_ms () - started >= 100);
    assert_int_equal (testutil_stat (client, "parked"), 0);
    zown_event_destroy (&event);
}

static void
test_batches_neither_park_nor_wake_on_rollback (void **state)
{
    zown_client_t *client = ((testutil_fixture_t *) *state)->client;
    pthread_t thread;
    testutil_waiter_t waiter;
    s_park_thread (*state, &thread, &waiter);

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
}

static void
test_drop_answers_waiters (void **state)
{
    zown_client_t *client = ((testutil_fixture_t *) *state)->client;
    pthread_t thread;
    testutil_waiter_t waiter;
    s_park_thread (*state, &thread, &waiter);
    zown_request_t *drop = zown_request_new ();
    assert_int_equal (zown_request_add (drop, ZOWN_OP_DROP, "e", 0, NULL), 0);
    assert_int_equal (zown_client_call (client, drop, NULL), 0);
    pthread_join (thread, NULL);
    assert_int_equal (waiter.result, ZOWN_NOT_FOUND);
    assert_int_equal (testutil_stat (client, "parked"), 0);
    zown_request_destroy (&drop);
}

static void
test_dead_waiter_leaves_no_parked_request (void **state)
{
    zown_client_t *client = ((testutil_fixture_t *) *state)->client;
    //  A wait without a deadline: nothing but the owner noticing the
    //  death can free it.
    testutil_kill (s_spawner, s_park_child (*state, ZOWN_FOREVER));
    testutil_await_stat (client, "parked", 0);
    assert_int_equal (zown_client_ping (client), 0);
}

static void
test_stop_with_waiters_parked (void **state)
{
    testutil_fixture_t *self = (testutil_fixture_t *) *state;
    pid_t pid = s_park_child (self, 300);
    zown_client_destroy (&self->client);
    zown_owner_destroy (&self->owner);
    //  The waiter is never answered; its own deadline ends the wait.
    int status = testutil_reap (s_spawner, pid);
    assert_true (status == ZOWN_TIMEOUT || status == ZOWN_UNREACHABLE);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        testutil_fixture_test (test_wait_times_out_and_leaves_nothing),
        testutil_fixture_test (test_batches_neither_park_nor_wake_on_rollback),
        testutil_fixture_test (test_drop_answers_waiters),
        testutil_fixture_test (test_dead_waiter_leaves_no_parked_request),
        testutil_fixture_test (test_stop_with_waiters_parked),
    };
    return testutil_run_spawned (&s_spawner, tests, sizeof (tests) / sizeof (tests [0]));
}
