/*  =========================================================================
    test_lock - mutual exclusion across processes, and what happens when a
    holder or a waiter dies (SIGKILL) or leaves cleanly
    =========================================================================
*/
#include "testutil.h"
#include <pthread.h>

static zown_spawner_t *s_spawner;

static void
test_acquire_release (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *first = testutil_client (zown_owner_inproc (owner));
    zown_client_t *second = testutil_client (zown_owner_inproc (owner));
    zown_lock_t *mine = zown_lock_new (first, "l");
    zown_lock_t *theirs = zown_lock_new (second, "l");
    assert_int_equal (zown_lock_locked (mine), 0);
    assert_int_equal (zown_lock_release (mine), -1);
    assert_int_equal (zown_errno (), ZOWN_NOT_HELD);
    bool died = true;
    assert_int_equal (zown_lock_acquire (mine, 0, &died), 0);
    assert_false (died);
    assert_int_equal (zown_lock_locked (theirs), 1);
    //  Held by another client: no wait, then a bounded one.
    assert_int_equal (zown_lock_acquire (theirs, 0, NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_TIMEOUT);
    assert_int_equal (zown_lock_acquire (theirs, 50, NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_TIMEOUT);
    assert_int_equal (zown_lock_release (theirs), -1);
    assert_int_equal (zown_errno (), ZOWN_NOT_HELD);
    assert_int_equal (zown_lock_release (mine), 0);
    assert_int_equal (zown_lock_acquire (theirs, 0, NULL), 0);
    assert_int_equal (zown_lock_release (theirs), 0);
    //  A lock is never part of a batch.
    zown_request_t *batch = zown_request_new ();
    zown_datum_t no_wait = zown_datum_int (0);
    assert_int_equal (zown_request_add (batch, ZOWN_OP_LOCK_ACQUIRE, "l", 1, &no_wait), 0);
    assert_int_equal (zown_request_add (batch, ZOWN_OP_LOCK_LOCKED, "l", 0, NULL), 0);
    assert_int_equal (zown_client_call (first, batch, NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_BAD_ARGS);
    assert_int_equal (zown_lock_acquire (mine, -5, NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    zown_request_destroy (&batch);
    zown_lock_destroy (&mine);
    zown_lock_destroy (&theirs);
    zown_client_destroy (&first);
    zown_client_destroy (&second);
    zown_owner_destroy (&owner);
}

//  Under the lock, a read-modify-write that is not atomic on its own: any
//  lapse of mutual exclusion loses increments.
static int
s_locked_increments (void *args, const void *endpoint, size_t size)
{
    (void) args, (void) size;
    zown_client_t *client = zown_client_new ((const char *) endpoint);
    zown_lock_t *lock = zown_lock_new (client, "l");
    zown_dict_t *dict = zown_dict_new (client, "shared");
    for (int count = 0; count < 200; count++) {
        zown_datum_t value;
        if (zown_lock_acquire (lock, 10000, NULL)
            || zown_dict_get_or (dict, "n", zown_datum_int (0), &value)
            || zown_dict_set (dict, "n", zown_datum_int (value.u.i + 1), NULL)
            || zown_lock_release (lock))
            return 1;
    }
    zown_dict_destroy (&dict);
    zown_lock_destroy (&lock);
    zown_client_destroy (&client);
    return 0;
}

static void
test_mutual_exclusion_across_processes (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    testutil_run_workers (s_spawner, 4, s_locked_increments, owner);
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_dict_t *dict = zown_dict_new (client, "shared");
    zown_datum_t value;
    assert_int_equal (zown_dict_get (dict, "n", &value, NULL), 0);
    assert_int_equal (value.u.i, 800);
    assert_int_equal (testutil_stat (client, "parked"), 0);
    zown_dict_destroy (&dict);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

typedef struct {
    const char *endpoint;
    int status;        //  0 once acquired, else the failing status
    bool died;         //  What acquire reported
    int64_t returned;  //  When acquire returned (testutil_now_ms)
} waiter_t;

static void *
s_waiter (void *args)
{
    waiter_t *self = (waiter_t *) args;
    zown_client_t *client = zown_client_new (self->endpoint);
    zown_lock_t *lock = zown_lock_new (client, "l");
    self->status = zown_lock_acquire (lock, 10000, &self->died) ? zown_errno () : 0;
    self->returned = testutil_now_ms ();
    zown_lock_destroy (&lock);
    zown_client_destroy (&client);
    return NULL;
}

//  Takes the lock, says it is ready, then holds it until killed.
static int
s_holder (void *args, const void *endpoint, size_t size)
{
    (void) args, (void) size;
    zown_client_t *client = zown_client_new ((const char *) endpoint);
    zown_lock_t *lock = zown_lock_new (client, "l");
    if (zown_lock_acquire (lock, 0, NULL))
        return 1;
    return testutil_hold ();
}

static void
test_holder_killed_lock_passes_on_flagged (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    pid_t holder = testutil_spawn_ipc (s_spawner, s_holder, owner);
    testutil_await_ready ();
    waiter_t waiter = { zown_owner_inproc (owner), -1, false, 0 };
    pthread_t thread;
    testutil_park_thread (client, &thread, s_waiter, &waiter, 1);
    int64_t killed = testutil_now_ms ();
    testutil_kill (s_spawner, holder);
    //  The owner saw the death itself: the waiter gets the lock, flagged.
    pthread_join (thread, NULL);
    assert_int_equal (waiter.status, 0);
    assert_true (waiter.died);
    //  "At once": the owner watches the holder's process and hands over in
    //  milliseconds. 1 s is generous for a loaded machine, yet far below
    //  the waiter's own 10 s deadline and the 10 s after which a silent
    //  peer is given up, so a death noticed any other way fails here.
    int64_t hand_off = waiter.returned - killed;
    if (hand_off > 1000)
        fail_msg ("the lock reached the waiter %lld ms after the kill", (long long) hand_off);
    assert_int_equal (testutil_stat (client, "sessions_died"), 1);
    //  The flag is told once; the waiter's BYE released the lock cleanly.
    zown_lock_t *lock = zown_lock_new (client, "l");
    bool died = true;
    assert_int_equal (zown_lock_acquire (lock, 0, &died), 0);
    assert_false (died);
    assert_int_equal (zown_lock_release (lock), 0);
    zown_lock_destroy (&lock);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

static void
test_clean_exit_releases_unflagged (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_client_t *leaver = testutil_client (zown_owner_inproc (owner));
    zown_lock_t *held = zown_lock_new (leaver, "l");
    assert_int_equal (zown_lock_acquire (held, 0, NULL), 0);
    waiter_t waiter = { zown_owner_inproc (owner), -1, true, 0 };
    pthread_t thread;
    testutil_park_thread (client, &thread, s_waiter, &waiter, 1);
    zown_lock_destroy (&held);
    zown_client_destroy (&leaver);  //  BYE: released, not died
    pthread_join (thread, NULL);
    assert_int_equal (waiter.status, 0);
    assert_false (waiter.died);
    assert_int_equal (testutil_stat (client, "sessions_died"), 0);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

//  Waits for the lock (held by the parent) until killed.
static int
s_doomed_waiter (void *args, const void *endpoint, size_t size)
{
    (void) args, (void) size;
    zown_client_t *client = zown_client_new ((const char *) endpoint);
    zown_lock_t *lock = zown_lock_new (client, "l");
    zown_lock_acquire (lock, ZOWN_FOREVER, NULL);
    return 1;
}

static void
test_killed_waiter_leaves_nothing_parked (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_lock_t *lock = zown_lock_new (client, "l");
    assert_int_equal (zown_lock_acquire (lock, 0, NULL), 0);
    pid_t child = testutil_spawn_ipc (s_spawner, s_doomed_waiter, owner);
    testutil_await_stat (client, "parked", 1);
    testutil_kill (s_spawner, child);
    //  Even a wait without a deadline goes with its client's process.
    testutil_await_stat (client, "parked", 0);
    assert_int_equal (zown_lock_release (lock), 0);
    zown_lock_destroy (&lock);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

static void
test_drop_held_lock (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_lock_t *lock = zown_lock_new (client, "l");
    assert_int_equal (zown_lock_acquire (lock, 0, NULL), 0);
    waiter_t waiter = { zown_owner_inproc (owner), -1, false, 0 };
    pthread_t thread;
    testutil_park_thread (client, &thread, s_waiter, &waiter, 1);
    zown_request_t *drop = zown_request_new ();
    assert_int_equal (zown_request_add (drop, ZOWN_OP_DROP, "l", 0, NULL), 0);
    assert_int_equal (zown_client_call (client, drop, NULL), 0);
    pthread_join (thread, NULL);
    assert_int_equal (waiter.status, ZOWN_NOT_FOUND);
    //  The former holder holds nothing now; releasing says so.
    assert_int_equal (zown_lock_release (lock), -1);
    assert_int_equal (zown_errno (), ZOWN_NOT_HELD);
    zown_request_destroy (&drop);
    zown_lock_destroy (&lock);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

static void
test_rlock_is_reentrant (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *first = testutil_client (zown_owner_inproc (owner));
    zown_client_t *second = testutil_client (zown_owner_inproc (owner));
    zown_rlock_t *mine = zown_rlock_new (first, "r");
    zown_rlock_t *theirs = zown_rlock_new (second, "r");
    assert_int_equal (zown_rlock_acquire (mine, 0, NULL), 0);
    assert_int_equal (zown_rlock_acquire (mine, 0, NULL), 0);
    assert_int_equal (zown_rlock_release (mine), 0);
    //  Still held once: nobody else gets it.
    assert_int_equal (zown_rlock_locked (theirs), 1);
    assert_int_equal (zown_rlock_acquire (theirs, 0, NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_TIMEOUT);
    assert_int_equal (zown_rlock_release (theirs), -1);
    assert_int_equal (zown_errno (), ZOWN_NOT_HELD);
    assert_int_equal (zown_rlock_release (mine), 0);
    assert_int_equal (zown_rlock_release (mine), -1);
    assert_int_equal (zown_errno (), ZOWN_NOT_HELD);
    assert_int_equal (zown_rlock_acquire (theirs, 0, NULL), 0);
    //  A plain lock is not re-entrant: its holder is told so at once,
    //  whatever its timeout, and keeps it.
    zown_lock_t *plain = zown_lock_new (first, "p");
    assert_int_equal (zown_lock_acquire (plain, 0, NULL), 0);
    const int timeouts [] = { 0, 10000, ZOWN_FOREVER };
    for (size_t index = 0; index < 3; index++) {
        int64_t started = testutil_now_ms ();
        assert_int_equal (zown_lock_acquire (plain, timeouts [index], NULL), -1);
        assert_int_equal (zown_errno (), ZOWN_DEADLOCK);
        assert_true (testutil_now_ms () - started < 5000);
    }
    assert_string_equal (zown_status_name (ZOWN_DEADLOCK), "DEADLOCK");
    assert_int_equal (testutil_stat (first, "parked"), 0);
    assert_int_equal (zown_lock_release (plain), 0);
    assert_int_equal (zown_lock_locked (plain), 0);
    //  An rlock name is not a lock.
    zown_lock_t *wrong = zown_lock_new (first, "r");
    assert_int_equal (zown_lock_locked (wrong), -1);
    assert_int_equal (zown_errno (), ZOWN_WRONG_TYPE);
    zown_lock_destroy (&wrong);
    zown_lock_destroy (&plain);
    zown_rlock_destroy (&mine);
    zown_rlock_destroy (&theirs);
    zown_client_destroy (&first);
    zown_client_destroy (&second);
    zown_owner_destroy (&owner);
}

//  Takes the rlock twice, says it is ready, then holds it until killed.
static int
s_deep_holder (void *args, const void *endpoint, size_t size)
{
    (void) args, (void) size;
    zown_client_t *client = zown_client_new ((const char *) endpoint);
    zown_rlock_t *rlock = zown_rlock_new (client, "r");
    if (zown_rlock_acquire (rlock, 0, NULL) || zown_rlock_acquire (rlock, 0, NULL))
        return 1;
    return testutil_hold ();
}

static void
test_rlock_holder_killed_at_depth (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    pid_t holder = testutil_spawn_ipc (s_spawner, s_deep_holder, owner);
    testutil_await_ready ();
    zown_rlock_t *rlock = zown_rlock_new (client, "r");
    testutil_kill (s_spawner, holder);
    bool died = false;
    assert_int_equal (zown_rlock_acquire (rlock, 10000, &died), 0);
    assert_true (died);
    assert_int_equal (zown_rlock_release (rlock), 0);
    assert_int_equal (zown_rlock_locked (rlock), 0);
    zown_rlock_destroy (&rlock);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

//  Takes the lock, then leaves cleanly: destroys its client and exits.
static int
s_clean_leaver (void *args, const void *endpoint, size_t size)
{
    (void) args, (void) size;
    zown_client_t *client = zown_client_new ((const char *) endpoint);
    zown_lock_t *lock = zown_lock_new (client, "l");
    int rc = zown_lock_acquire (lock, 10000, NULL);
    zown_lock_destroy (&lock);
    zown_client_destroy (&client);
    return rc;
}

static void
test_clean_exit_is_not_a_death (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_lock_t *lock = zown_lock_new (client, "l");
    //  The owner sees the process exit at once; the BYE must still win.
    for (int round = 0; round < 20; round++) {
        pid_t child = testutil_spawn_ipc (s_spawner, s_clean_leaver, owner);
        assert_int_equal (testutil_reap (s_spawner, child), 0);
        bool died = true;
        assert_int_equal (zown_lock_acquire (lock, 10000, &died), 0);
        assert_false (died);
        assert_int_equal (zown_lock_release (lock), 0);
    }
    assert_int_equal (testutil_stat (client, "sessions_died"), 0);
    zown_lock_destroy (&lock);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_acquire_release),
        cmocka_unit_test (test_mutual_exclusion_across_processes),
        cmocka_unit_test (test_holder_killed_lock_passes_on_flagged),
        cmocka_unit_test (test_clean_exit_releases_unflagged),
        cmocka_unit_test (test_killed_waiter_leaves_nothing_parked),
        cmocka_unit_test (test_drop_held_lock),
        cmocka_unit_test (test_rlock_is_reentrant),
        cmocka_unit_test (test_rlock_holder_killed_at_depth),
        cmocka_unit_test (test_clean_exit_is_not_a_death),
    };
    return testutil_run_spawned (&s_spawner, tests, sizeof (tests) / sizeof (tests [0]));
}
