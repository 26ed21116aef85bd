/*  =========================================================================
    test_event - the event type and the parked requests behind every
    blocking op: waits answered by a set, by their deadline, by a DROP;
    batches that cannot park and must not wake; waiters that die
    =========================================================================
*/
#include "testutil.h"
#include <pthread.h>
#include <signal.h>

typedef struct {
    const char *endpoint;
    const char *name;
    int timeout;  //  Of the wait
    int result;   //  0, or the status of the failed wait
} waiter_t;

static void *
s_waiter (void *args)
{
    waiter_t *self = (waiter_t *) args;
    zown_client_t *client = zown_client_new (self->endpoint);
    //  The reply's deadline is the wait's plus this (a stopped owner).
    zown_client_set_timeout (client, 1000);
    zown_event_t *event = zown_event_new (client, self->name);
    self->result = zown_event_wait (event, self->timeout) ? zown_errno () : 0;
    zown_event_destroy (&event);
    zown_client_destroy (&client);
    return NULL;
}

static int
s_waiter_process (void *args)
{
    s_waiter (args);
    return ((waiter_t *) args)->result;
}

static void
test_set_clear_is_set (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_event_t *event = zown_event_new (client, "e");
    assert_int_equal (zown_event_is_set (event), 0);
    assert_int_equal (zown_event_set (event), 0);
    assert_int_equal (zown_event_is_set (event), 1);
    assert_int_equal (zown_event_set (event), 0);
    assert_int_equal (zown_event_wait (event, 0), 0);
    assert_int_equal (zown_event_wait (event, ZOWN_FOREVER), 0);
    assert_int_equal (zown_event_clear (event), 0);
    assert_int_equal (zown_event_is_set (event), 0);
    assert_int_equal (zown_event_wait (event, 0), -1);
    assert_int_equal (zown_errno (), ZOWN_TIMEOUT);
    assert_int_equal (zown_event_wait (event, -7), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_int_equal (zown_event_set (NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    zown_event_destroy (&event);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

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
test_set_wakes_every_waiter (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    //  Forked processes over ipc, with a deadline (forked first, behind the
    //  gate, while this process has no busy thread: docs/FORK.md)...
    waiter_t child = { zown_owner_ipc (owner), "go", 10000, -1 };
    testutil_fork_t children = { 0 };
    testutil_fork_start (&children, 3, s_waiter_process, &child);
    //  ...and threads over inproc, waiting without one.
    pthread_t threads [4];
    waiter_t waiters [4];
    for (int index = 0; index < 4; index++) {
        waiters [index] = (waiter_t){ zown_owner_inproc (owner), "go", ZOWN_FOREVER, -1 };
        pthread_create (&threads [index], NULL, s_waiter, &waiters [index]);
    }
    testutil_gate_release ();
    testutil_await_stat (client, "parked", 7);
    zown_event_t *event = zown_event_new (client, "go");
    assert_int_equal (zown_event_set (event), 0);
    for (int index = 0; index < 4; index++) {
        pthread_join (threads [index], NULL);
        assert_int_equal (waiters [index].result, 0);
    }
    testutil_fork_wait (&children);
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
    waiter_t waiter = { zown_owner_inproc (owner), "e", 10000, -1 };
    pthread_create (&thread, NULL, s_waiter, &waiter);
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
    waiter_t waiter = { zown_owner_inproc (owner), "e", 10000, -1 };
    pthread_create (&thread, NULL, s_waiter, &waiter);
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
    waiter_t child = { zown_owner_ipc (owner), "e", 300, -1 };
    pid_t pid = testutil_fork (s_waiter_process, &child);
    testutil_await_stat (client, "parked", 1);
    kill (pid, SIGKILL);
    assert_int_equal (testutil_wait (pid), 128 + SIGKILL);
    //  Its deadline still frees the owner of it.
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
    waiter_t child = { zown_owner_ipc (owner), "e", 300, -1 };
    pid_t pid = testutil_fork (s_waiter_process, &child);
    testutil_await_stat (client, "parked", 1);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
    //  The waiter is never answered; its own deadline ends the wait.
    int status = testutil_wait (pid);
    assert_true (status == ZOWN_TIMEOUT || status == ZOWN_UNREACHABLE);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_set_clear_is_set),
        cmocka_unit_test (test_wait_times_out_and_leaves_nothing),
        cmocka_unit_test (test_set_wakes_every_waiter),
        cmocka_unit_test (test_batches_neither_park_nor_wake_on_rollback),
        cmocka_unit_test (test_drop_answers_waiters),
        cmocka_unit_test (test_dead_waiter_leaves_no_parked_request),
        cmocka_unit_test (test_stop_with_waiters_parked),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
