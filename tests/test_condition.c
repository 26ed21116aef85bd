/*  =========================================================================
    test_condition - waits that give the lock up and take it back, notify
    and notify_all, over a lock and over an rlock at depth, and
    producer/consumer across processes
    =========================================================================
*/
#include "testutil.h"
#include <pthread.h>

static zown_spawner_t *s_spawner;

static void
test_errors_and_timeout (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_lock_t *lock = zown_lock_new (client, "m");
    zown_condition_t *ready = zown_condition_new (client, "ready", "m");
    assert_null (zown_condition_new (client, "ready", NULL));
    assert_int_equal (zown_condition_wait (ready, 0, NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_NOT_HELD);
    assert_int_equal (zown_condition_notify (ready, 1), -1);
    assert_int_equal (zown_errno (), ZOWN_NOT_HELD);
    assert_int_equal (zown_lock_acquire (lock, 0, NULL), 0);
    //  Nobody notifies: the wait times out, and returns holding the lock.
    assert_int_equal (zown_condition_wait (ready, 50, NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_TIMEOUT);
    assert_int_equal (zown_lock_locked (lock), 1);
    assert_int_equal (zown_condition_notify (ready, 1), 0);
    assert_int_equal (zown_condition_notify_all (ready), 0);
    assert_int_equal (zown_lock_release (lock), 0);
    assert_int_equal (testutil_stat (client, "parked"), 0);
    zown_condition_destroy (&ready);
    zown_lock_destroy (&lock);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

typedef struct {
    const char *endpoint;
    int status;
} waiter_t;

//  Takes the lock, waits once, and releases the lock it got back.
static void *
s_waiter (void *args)
{
    waiter_t *self = (waiter_t *) args;
    zown_client_t *client = zown_client_new (self->endpoint);
    zown_lock_t *lock = zown_lock_new (client, "m");
    zown_condition_t *ready = zown_condition_new (client, "ready", "m");
    self->status = zown_lock_acquire (lock, 10000, NULL) || zown_condition_wait (ready, 10000, NULL)
            || zown_lock_release (lock)
        ? zown_errno ()
        : 0;
    zown_condition_destroy (&ready);
    zown_lock_destroy (&lock);
    zown_client_destroy (&client);
    return NULL;
}

static void
test_notify_all_and_the_lock_handoff (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_lock_t *lock = zown_lock_new (client, "m");
    zown_condition_t *ready = zown_condition_new (client, "ready", "m");
    pthread_t threads [3];
    waiter_t waiters [3];
    for (int index = 0; index < 3; index++) {
        waiters [index] = (waiter_t){ zown_owner_inproc (owner), -1 };
        pthread_create (&threads [index], NULL, s_waiter, &waiters [index]);
        //  One at a time: each takes the lock, then gives it up by waiting.
        testutil_await_stat (client, "parked", index + 1);
    }
    assert_int_equal (zown_lock_acquire (lock, 0, NULL), 0);
    assert_int_equal (zown_condition_notify_all (ready), 0);
    //  Notified, they now wait for the lock the notifier still holds.
    testutil_await_stat (client, "parked", 3);
    assert_int_equal (zown_lock_release (lock), 0);
    for (int index = 0; index < 3; index++) {
        pthread_join (threads [index], NULL);
        assert_int_equal (waiters [index].status, 0);
    }
    assert_int_equal (testutil_stat (client, "parked"), 0);
    assert_int_equal (zown_lock_locked (lock), 0);
    zown_condition_destroy (&ready);
    zown_lock_destroy (&lock);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

//  --------------------------------------------------------------------------
//  Over an rlock (Python's default): a wait gives it up whatever its depth,
//  and returns holding it at that depth again, notified or timed out

typedef struct {
    const char *endpoint;
    int timeout;
    int status;    //  Of the wait
    int released;  //  Releases that succeeded afterwards
} rwaiter_t;

//  Takes the rlock twice, waits once, then releases it until refused.
static void *
s_rwaiter (void *args)
{
    rwaiter_t *self = (rwaiter_t *) args;
    zown_client_t *client = zown_client_new (self->endpoint);
    zown_rlock_t *rlock = zown_rlock_new (client, "r");
    zown_condition_t *ready = zown_condition_new (client, "ready", "r");
    self->status = -1;
    if (zown_rlock_acquire (rlock, 10000, NULL) == 0 && zown_rlock_acquire (rlock, 0, NULL) == 0)
        self->status = zown_condition_wait (ready, self->timeout, NULL) ? zown_errno () : 0;
    while (zown_rlock_release (rlock) == 0)
        self->released++;
    zown_condition_destroy (&ready);
    zown_rlock_destroy (&rlock);
    zown_client_destroy (&client);
    return NULL;
}

static void
test_rlock_depth_comes_back (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_rlock_t *rlock = zown_rlock_new (client, "r");
    zown_condition_t *ready = zown_condition_new (client, "ready", "r");
    //  Notified.
    rwaiter_t waiter = { zown_owner_inproc (owner), 10000, -1, 0 };
    pthread_t thread;
    testutil_park_thread (client, &thread, s_rwaiter, &waiter, 1);
    //  Given up whole while it waits.
    assert_int_equal (zown_rlock_locked (rlock), 0);
    assert_int_equal (zown_rlock_acquire (rlock, 0, NULL), 0);
    assert_int_equal (zown_condition_notify (ready, 1), 0);
    assert_int_equal (zown_rlock_release (rlock), 0);
    pthread_join (thread, NULL);
    assert_int_equal (waiter.status, 0);
    assert_int_equal (waiter.released, 2);
    //  Timed out while another client holds the rlock: it waits for it,
    //  and comes back at its depth all the same.
    waiter = (rwaiter_t){ zown_owner_inproc (owner), 50, -1, 0 };
    testutil_park_thread (client, &thread, s_rwaiter, &waiter, 1);
    assert_int_equal (zown_rlock_acquire (rlock, 0, NULL), 0);
    usleep (150 * 1000);
    assert_int_equal (testutil_stat (client, "parked"), 1);
    assert_int_equal (zown_rlock_release (rlock), 0);
    pthread_join (thread, NULL);
    assert_int_equal (waiter.status, ZOWN_TIMEOUT);
    assert_int_equal (waiter.released, 2);
    //  Timed out with the rlock free.
    waiter = (rwaiter_t){ zown_owner_inproc (owner), 50, -1, 0 };
    pthread_create (&thread, NULL, s_rwaiter, &waiter);
    pthread_join (thread, NULL);
    assert_int_equal (waiter.status, ZOWN_TIMEOUT);
    assert_int_equal (waiter.released, 2);
    assert_int_equal (testutil_stat (client, "parked"), 0);
    assert_int_equal (zown_rlock_locked (rlock), 0);
    //  Not held: refused, whatever the lock's kind.
    assert_int_equal (zown_condition_wait (ready, 0, NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_NOT_HELD);
    zown_condition_destroy (&ready);
    zown_rlock_destroy (&rlock);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

//  --------------------------------------------------------------------------
//  Producer / consumer across processes

#define ITEMS     200
#define CONSUMERS 2

static int
s_consumer (void *args, const void *endpoint, size_t size)
{
    (void) args, (void) size;
    zown_client_t *client = zown_client_new ((const char *) endpoint);
    zown_lock_t *lock = zown_lock_new (client, "m");
    zown_condition_t *ready = zown_condition_new (client, "ready", "m");
    zown_list_t *items = zown_list_new (client, "items");
    zown_value_t *sum = zown_value_new (client, "sum");
    zown_value_t *count = zown_value_new (client, "count");
    while (true) {
        if (zown_lock_acquire (lock, 10000, NULL))
            return 1;
        size_t len = 0;
        while (zown_list_len (items, &len) == 0 && len == 0)
            if (zown_condition_wait (ready, 10000, NULL))
                return 2;
        zown_datum_t item;
        if (zown_list_pop (items, 0, &item))
            return 3;
        bool stop = item.tag == ZOWN_NIL;
        int64_t value = stop ? 0 : item.u.i;
        if (zown_lock_release (lock))
            return 4;
        if (stop)
            break;
        if (zown_value_add (sum, value, NULL) || zown_value_add (count, 1, NULL))
            return 5;
    }
    zown_value_destroy (&count);
    zown_value_destroy (&sum);
    zown_list_destroy (&items);
    zown_condition_destroy (&ready);
    zown_lock_destroy (&lock);
    zown_client_destroy (&client);
    return 0;
}

static void
test_producer_consumer_across_processes (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    testutil_spawn_workers (s_spawner, CONSUMERS, s_consumer, owner);
    testutil_gate_release ();
    zown_lock_t *lock = zown_lock_new (client, "m");
    zown_condition_t *ready = zown_condition_new (client, "ready", "m");
    zown_list_t *items = zown_list_new (client, "items");
    for (int index = 0; index < ITEMS + CONSUMERS; index++) {
        zown_datum_t item = index < ITEMS ? zown_datum_int (index + 1) : ZOWN_NIL_DATUM;
        assert_int_equal (zown_lock_acquire (lock, 10000, NULL), 0);
        assert_int_equal (zown_list_append (items, item, NULL), 0);
        assert_int_equal (zown_condition_notify (ready, 1), 0);
        assert_int_equal (zown_lock_release (lock), 0);
    }
    testutil_reap_all (s_spawner);
    zown_value_t *sum = zown_value_new (client, "sum");
    zown_value_t *count = zown_value_new (client, "count");
    int64_t value;
    assert_int_equal (zown_value_get (count, &value), 0);
    assert_int_equal (value, ITEMS);
    assert_int_equal (zown_value_get (sum, &value), 0);
    assert_int_equal (value, ITEMS * (ITEMS + 1) / 2);
    assert_int_equal (testutil_stat (client, "parked"), 0);
    zown_value_destroy (&count);
    zown_value_destroy (&sum);
    zown_list_destroy (&items);
    zown_condition_destroy (&ready);
    zown_lock_destroy (&lock);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_errors_and_timeout),
        cmocka_unit_test (test_notify_all_and_the_lock_handoff),
        cmocka_unit_test (test_rlock_depth_comes_back),
        cmocka_unit_test (test_producer_consumer_across_processes),
    };
    return testutil_run_spawned (&s_spawner, tests, sizeof (tests) / sizeof (tests [0]));
}
