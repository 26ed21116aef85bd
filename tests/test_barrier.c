/*  =========================================================================
    test_barrier - parties in lockstep across processes, arrival indices,
    and a barrier broken by abort, reset, a timeout or a party's death
    =========================================================================
*/
#include "testutil.h"
#include <pthread.h>

static zown_spawner_t *s_spawner;

#define PARTIES 3
#define PHASES  5

typedef struct {
    const char *endpoint;
    int timeout;
    int status;
    size_t index;
} waiter_t;

//  A wait on the barrier `name` through a client of its own.
static void
s_wait_on (waiter_t *self, const char *name)
{
    zown_client_t *client = zown_client_new (self->endpoint);
    zown_barrier_t *barrier = zown_barrier_new (client, name);
    self->status = zown_barrier_wait (barrier, self->timeout, &self->index) ? zown_errno () : 0;
    zown_barrier_destroy (&barrier);
    zown_client_destroy (&client);
}

static void *
s_waiter (void *args)
{
    s_wait_on ((waiter_t *) args, "b");
    return NULL;
}

static void *
s_waiter_b3 (void *args)
{
    s_wait_on ((waiter_t *) args, "b3");
    return NULL;
}

//  A waiter in a child, without a deadline.
static int
s_waiter_process (void *args, const void *endpoint, size_t size)
{
    (void) args, (void) size;
    waiter_t self = { (const char *) endpoint, ZOWN_FOREVER, -1, 0 };
    s_waiter (&self);
    return self.status;
}

//  BARRIER_STATE says what the next wait will meet.
static void
s_expect_state (zown_barrier_t *barrier, size_t parties, size_t waiting, bool broken)
{
    size_t got_parties = 0, got_waiting = 0;
    bool got_broken = !broken;
    assert_int_equal (zown_barrier_state (barrier, &got_parties, &got_waiting, &got_broken), 0);
    assert_int_equal (got_parties, parties);
    assert_int_equal (got_waiting, waiting);
    assert_int_equal (got_broken, broken);
}

static void
test_init_and_state (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_barrier_t *barrier = zown_barrier_new (client, "b");
    assert_int_equal (zown_barrier_wait (barrier, 0, NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_NOT_FOUND);
    assert_int_equal (zown_barrier_init (barrier, 0), -1);
    assert_int_equal (zown_errno (), ZOWN_BAD_ARGS);
    assert_int_equal (zown_barrier_init (barrier, 1), 1);
    assert_int_equal (zown_barrier_init (barrier, 1), 0);
    assert_int_equal (zown_barrier_init (barrier, 2), -1);
    assert_int_equal (zown_errno (), ZOWN_WRONG_TYPE);
    size_t index = 9, parties, waiting;
    bool broken = true;
    //  A barrier of one: every wait passes at once, index 0.
    assert_int_equal (zown_barrier_wait (barrier, 0, &index), 0);
    assert_int_equal (index, 0);
    assert_int_equal (zown_barrier_state (barrier, &parties, &waiting, &broken), 0);
    assert_int_equal (parties, 1);
    assert_int_equal (waiting, 0);
    assert_false (broken);
    zown_barrier_destroy (&barrier);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

//  A party: before each phase's barrier, count itself in; after it, every
//  party must have been counted (nobody passed early). Indices are summed.
static int
s_party (void *args, const void *endpoint, size_t size)
{
    (void) args, (void) size;
    zown_client_t *client = zown_client_new ((const char *) endpoint);
    zown_barrier_t *barrier = zown_barrier_new (client, "b");
    zown_dict_t *phases = zown_dict_new (client, "phases");
    for (int phase = 0; phase < PHASES; phase++) {
        char arrived [32], indices [32];
        snprintf (arrived, sizeof (arrived), "arrived %d", phase);
        snprintf (indices, sizeof (indices), "indices %d", phase);
        size_t index;
        zown_datum_t count;
        if (zown_dict_add (phases, arrived, zown_datum_int (1), NULL)
            || zown_barrier_wait (barrier, 10000, &index)
            || zown_dict_get (phases, arrived, &count, NULL) || count.u.i != PARTIES
            || zown_dict_add (phases, indices, zown_datum_int ((int64_t) index), NULL))
            return 1;
    }
    zown_dict_destroy (&phases);
    zown_barrier_destroy (&barrier);
    zown_client_destroy (&client);
    return 0;
}

static void
test_parties_in_lockstep (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_barrier_t *barrier = zown_barrier_new (client, "b");
    assert_int_equal (zown_barrier_init (barrier, PARTIES), 1);
    testutil_run_workers (s_spawner, PARTIES, s_party, owner);
    //  Each phase handed out the indices 0, 1, 2 once each.
    zown_dict_t *phases = zown_dict_new (client, "phases");
    for (int phase = 0; phase < PHASES; phase++) {
        char indices [32];
        snprintf (indices, sizeof (indices), "indices %d", phase);
        zown_datum_t sum;
        assert_int_equal (zown_dict_get (phases, indices, &sum, NULL), 0);
        assert_int_equal (sum.u.i, 0 + 1 + 2);
    }
    assert_int_equal (testutil_stat (client, "parked"), 0);
    zown_dict_destroy (&phases);
    zown_barrier_destroy (&barrier);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

static void
test_abort_and_reset (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_barrier_t *barrier = zown_barrier_new (client, "b");
    assert_int_equal (zown_barrier_init (barrier, 2), 1);
    waiter_t waiter = { zown_owner_inproc (owner), 10000, -1, 0 };
    pthread_t thread;
    testutil_park_thread (client, &thread, s_waiter, &waiter, 1);
    s_expect_state (barrier, 2, 1, false);
    //  Abort releases the only waiter: nobody waits, and it is broken.
    assert_int_equal (zown_barrier_abort (barrier), 0);
    s_expect_state (barrier, 2, 0, true);
    pthread_join (thread, NULL);
    assert_int_equal (waiter.status, ZOWN_BROKEN);
    assert_int_equal (zown_barrier_wait (barrier, 0, NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_BROKEN);
    s_expect_state (barrier, 2, 0, true);
    //  Reset mends it; whoever waits then is told it broke.
    assert_int_equal (zown_barrier_reset (barrier), 0);
    s_expect_state (barrier, 2, 0, false);
    testutil_park_thread (client, &thread, s_waiter, &waiter, 1);
    assert_int_equal (zown_barrier_reset (barrier), 0);
    s_expect_state (barrier, 2, 0, false);
    pthread_join (thread, NULL);
    assert_int_equal (waiter.status, ZOWN_BROKEN);
    //  And a full round works again.
    testutil_park_thread (client, &thread, s_waiter, &waiter, 1);
    size_t index = 9;
    assert_int_equal (zown_barrier_wait (barrier, 0, &index), 0);
    assert_int_equal (index, 1);
    s_expect_state (barrier, 2, 0, false);
    pthread_join (thread, NULL);
    assert_int_equal (waiter.status, 0);
    assert_int_equal (waiter.index, 0);
    zown_barrier_destroy (&barrier);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

static void
test_timeout_breaks_it (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_barrier_t *barrier = zown_barrier_new (client, "b");
    assert_int_equal (zown_barrier_init (barrier, 2), 1);
    //  A wait that cannot park never arrived: it breaks nothing.
    assert_int_equal (zown_barrier_wait (barrier, 0, NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_TIMEOUT);
    s_expect_state (barrier, 2, 0, false);
    assert_int_equal (zown_barrier_wait (barrier, 50, NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_TIMEOUT);
    //  The party that gave up broke the round for whoever comes next, and
    //  the state says so before anybody tries.
    s_expect_state (barrier, 2, 0, true);
    assert_int_equal (zown_barrier_wait (barrier, 0, NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_BROKEN);
    //  Of three parties, one waits on while another gives up.
    zown_barrier_t *three = zown_barrier_new (client, "b3");
    assert_int_equal (zown_barrier_init (three, 3), 1);
    waiter_t waiter = { zown_owner_inproc (owner), 10000, -1, 0 };
    pthread_t thread;
    testutil_park_thread (client, &thread, s_waiter_b3, &waiter, 1);
    s_expect_state (three, 3, 1, false);
    assert_int_equal (zown_barrier_wait (three, 50, NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_TIMEOUT);
    pthread_join (thread, NULL);
    assert_int_equal (waiter.status, ZOWN_BROKEN);
    s_expect_state (three, 3, 0, true);
    assert_int_equal (testutil_stat (client, "parked"), 0);
    zown_barrier_destroy (&three);
    zown_barrier_destroy (&barrier);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

static void
test_dead_party_breaks_it (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_barrier_t *barrier = zown_barrier_new (client, "b");
    assert_int_equal (zown_barrier_init (barrier, 3), 1);
    pid_t child = testutil_spawn_ipc (s_spawner, s_waiter_process, owner);
    testutil_await_stat (client, "parked", 1);
    waiter_t survivor = { zown_owner_inproc (owner), 10000, -1, 0 };
    pthread_t thread;
    testutil_park_thread (client, &thread, s_waiter, &survivor, 2);
    testutil_kill (s_spawner, child);
    pthread_join (thread, NULL);
    assert_int_equal (survivor.status, ZOWN_BROKEN);
    assert_int_equal (testutil_stat (client, "parked"), 0);
    s_expect_state (barrier, 3, 0, true);
    zown_barrier_destroy (&barrier);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_init_and_state),       cmocka_unit_test (test_parties_in_lockstep),
        cmocka_unit_test (test_abort_and_reset),      cmocka_unit_test (test_timeout_breaks_it),
        cmocka_unit_test (test_dead_party_breaks_it),
    };
    return testutil_run_spawned (&s_spawner, tests, sizeof (tests) / sizeof (tests [0]));
}
