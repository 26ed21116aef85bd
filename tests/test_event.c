/*  =========================================================================
    test_event - the event type: set, clear and is_set; a set wakes every
    waiter, forked or threaded (parking as such: test_parking)
    =========================================================================
*/
#include "testutil.h"
#include <pthread.h>

static zown_spawner_t *s_spawner;

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
test_set_wakes_every_waiter (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    //  Processes over ipc, with a deadline...
    testutil_waiter_t child = testutil_waiter (zown_owner_ipc (owner), "go", 10000);
    for (int index = 0; index < 3; index++)
        testutil_spawn_gated (s_spawner, testutil_event_waiter_process, &child, sizeof (child));
    //  ...and threads over inproc, waiting without one.
    pthread_t threads [4];
    testutil_waiter_t waiters [4];
    for (int index = 0; index < 4; index++) {
        waiters [index] = testutil_waiter (zown_owner_inproc (owner), "go", ZOWN_FOREVER);
        pthread_create (&threads [index], NULL, testutil_event_waiter, &waiters [index]);
    }
    testutil_gate_release ();
    testutil_await_stat (client, "parked", 7);
    zown_event_t *event = zown_event_new (client, "go");
    assert_int_equal (zown_event_set (event), 0);
    for (int index = 0; index < 4; index++) {
        pthread_join (threads [index], NULL);
        assert_int_equal (waiters [index].result, 0);
    }
    testutil_reap_all (s_spawner);
    assert_int_equal (testutil_stat (client, "parked"), 0);
    zown_event_destroy (&event);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_set_clear_is_set),
        cmocka_unit_test (test_set_wakes_every_waiter),
    };
    return testutil_run_spawned (&s_spawner, tests, sizeof (tests) / sizeof (tests [0]));
}
