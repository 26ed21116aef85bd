/*  =========================================================================
    test_semaphore - counting semaphores: every error status, the bound
    under contention across processes, strict arrival order without
    barging, and permits that come back when a holder is killed (SIGKILL)
    or leaves cleanly
    =========================================================================
*/
#include "testutil.h"
#include <pthread.h>

static zown_spawner_t *s_spawner;

//  Await, through the owner, until the semaphore has `count` permits free
//  (what another connection gave back is not ordered with our requests).
static void
s_await_value (zown_semaphore_t *semaphore, int64_t count)
{
    int64_t deadline = testutil_now_ms () + 10000;
    int64_t value = -1;
    while (zown_semaphore_value (semaphore, &value) == 0 && value != count)
        if (testutil_now_ms () > deadline)
            break;
    assert_int_equal (value, count);
}

static int64_t
s_value (zown_semaphore_t *semaphore)
{
    int64_t value = -1;
    assert_int_equal (zown_semaphore_value (semaphore, &value), 0);
    return value;
}

//  One op alone, or two ops in a batch; returns the overall status.
static int
s_raw (zown_client_t *client, zown_op_t op, const char *name, size_t argc, const zown_datum_t *argv,
       zown_op_t second)
{
    zown_request_t *request = zown_request_new ();
    zown_reply_t *reply = NULL;
    assert_int_equal (zown_request_add (request, op, name, argc, argv), 0);
    if (second)
        assert_int_equal (zown_request_add (request, second, name, 0, NULL), 0);
    int status = zown_client_call (client, request, &reply) ? zown_errno () : ZOWN_OK;
    zown_request_destroy (&request);
    return status;
}

static void
test_basics_and_errors (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_semaphore_t *sem = zown_semaphore_new (client, "s");
    zown_semaphore_t *missing = zown_semaphore_new (client, "missing");
    //  Never initialised: NOT_FOUND, and nothing left behind.
    int64_t value = 7;
    assert_int_equal (zown_semaphore_value (missing, &value), -1);
    assert_int_equal (zown_errno (), ZOWN_NOT_FOUND);
    assert_int_equal (zown_semaphore_acquire (missing, 1, 0), -1);
    assert_int_equal (zown_errno (), ZOWN_NOT_FOUND);
    assert_int_equal (zown_semaphore_release (missing, 1), -1);
    assert_int_equal (zown_errno (), ZOWN_NOT_FOUND);
    assert_int_equal (s_raw (client, ZOWN_OP_TYPE, "missing", 0, NULL, 0), ZOWN_NOT_FOUND);

    //  Init, then again with the same or another shape.
    assert_int_equal (zown_semaphore_init (sem, 2, false), 1);
    assert_int_equal (zown_semaphore_init (sem, 2, false), 0);
    assert_int_equal (zown_semaphore_init (sem, 3, false), -1);
    assert_int_equal (zown_errno (), ZOWN_WRONG_TYPE);
    assert_int_equal (zown_semaphore_init (sem, 2, true), -1);
    assert_int_equal (zown_errno (), ZOWN_WRONG_TYPE);
    assert_int_equal (s_value (sem), 2);

    //  Acquire and release; no wait, then a short wait, when none is free.
    assert_int_equal (zown_semaphore_acquire (sem, 1, 0), 0);
    assert_int_equal (s_value (sem), 1);
    assert_int_equal (zown_semaphore_acquire (sem, 2, 0), -1);
    assert_int_equal (zown_errno (), ZOWN_TIMEOUT);
    assert_int_equal (zown_semaphore_acquire (sem, 1, ZOWN_FOREVER), 0);
    assert_int_equal (zown_semaphore_acquire (sem, 1, 0), -1);
    assert_int_equal (zown_errno (), ZOWN_TIMEOUT);
    int64_t start = testutil_now_ms ();
    assert_int_equal (zown_semaphore_acquire (sem, 1, 50), -1);
    assert_int_equal (zown_errno (), ZOWN_TIMEOUT);
    assert_true (testutil_now_ms () - start >= 50);
    assert_int_equal (testutil_stat (client, "parked"), 0);
    assert_int_equal (zown_semaphore_release (sem, 2), 0);
    assert_int_equal (s_value (sem), 2);
    //  Unbounded: anybody may release, even past the initial value.
    assert_int_equal (zown_semaphore_release (sem, 3), 0);
    assert_int_equal (s_value (sem), 5);
    assert_int_equal (zown_semaphore_acquire (sem, 5, 0), 0);
    assert_int_equal (s_value (sem), 0);
    assert_int_equal (zown_semaphore_release (sem, INT32_MAX), 0);
    assert_int_equal (zown_semaphore_release (sem, 1), -1);
    assert_int_equal (zown_errno (), ZOWN_OVERFLOW);
    assert_int_equal (s_value (sem), INT32_MAX);

    //  BAD_ARGS: values out of range, failed inits leave nothing behind.
    zown_semaphore_t *bad = zown_semaphore_new (client, "bad");
    assert_int_equal (zown_semaphore_init (bad, -1, false), -1);
    assert_int_equal (zown_errno (), ZOWN_BAD_ARGS);
    assert_int_equal (zown_semaphore_init (bad, (int64_t) INT32_MAX + 1, true), -1);
    assert_int_equal (zown_errno (), ZOWN_BAD_ARGS);
    zown_datum_t two_two [2] = { zown_datum_int (2), zown_datum_int (2) };
    assert_int_equal (s_raw (client, ZOWN_OP_SEMAPHORE_INIT, "bad", 2, two_two, 0), ZOWN_BAD_ARGS);
    zown_datum_t not_int [2] = { zown_datum_double (2.0), zown_datum_int (0) };
    assert_int_equal (s_raw (client, ZOWN_OP_SEMAPHORE_INIT, "bad", 2, not_int, 0), ZOWN_BAD_ARGS);
    assert_int_equal (s_raw (client, ZOWN_OP_TYPE, "bad", 0, NULL, 0), ZOWN_NOT_FOUND);
    assert_int_equal (zown_semaphore_acquire (sem, 0, 0), -1);
    assert_int_equal (zown_errno (), ZOWN_BAD_ARGS);
    assert_int_equal (zown_semaphore_acquire (sem, -1, 0), -1);
    assert_int_equal (zown_errno (), ZOWN_BAD_ARGS);
    assert_int_equal (zown_semaphore_release (sem, 0), -1);
    assert_int_equal (zown_errno (), ZOWN_BAD_ARGS);
    assert_int_equal (zown_semaphore_release (sem, (int64_t) INT32_MAX + 1), -1);
    assert_int_equal (zown_errno (), ZOWN_BAD_ARGS);

    //  Acquire and release are never part of a batch; init may be, and a
    //  failing batch takes the semaphore it created with it.
    zown_datum_t one_wait [2] = { zown_datum_int (1), zown_datum_int (0) };
    assert_int_equal (
        s_raw (client, ZOWN_OP_SEMAPHORE_ACQUIRE, "s", 2, one_wait, ZOWN_OP_SEMAPHORE_VALUE),
        ZOWN_BAD_ARGS);
    assert_int_equal (
        s_raw (client, ZOWN_OP_SEMAPHORE_RELEASE, "s", 1, one_wait, ZOWN_OP_SEMAPHORE_VALUE),
        ZOWN_BAD_ARGS);
    zown_datum_t minus_one [2] = { zown_datum_int (-1), zown_datum_int (0) };
    assert_int_equal (
        s_raw (client, ZOWN_OP_SEMAPHORE_INIT, "b", 2, minus_one, ZOWN_OP_SEMAPHORE_VALUE),
        ZOWN_BAD_ARGS);
    zown_datum_t three [2] = { zown_datum_int (3), zown_datum_int (1) };
    assert_int_equal (s_raw (client, ZOWN_OP_SEMAPHORE_INIT, "b", 2, three, ZOWN_OP_DROP), ZOWN_OK);
    assert_int_equal (
        s_raw (client, ZOWN_OP_SEMAPHORE_INIT, "b", 2, three, ZOWN_OP_SEMAPHORE_RELEASE),
        ZOWN_BAD_ARGS);
    assert_int_equal (s_raw (client, ZOWN_OP_TYPE, "b", 0, NULL, 0), ZOWN_NOT_FOUND);

    //  Bounded: a release past the initial value is OVERFLOW and changes
    //  nothing; asking for more than it can ever have is BAD_ARGS.
    zown_semaphore_t *bounded = zown_semaphore_new (client, "bounded");
    assert_int_equal (zown_semaphore_init (bounded, 2, true), 1);
    assert_int_equal (zown_semaphore_release (bounded, 1), -1);
    assert_int_equal (zown_errno (), ZOWN_OVERFLOW);
    assert_int_equal (s_value (bounded), 2);
    assert_int_equal (zown_semaphore_acquire (bounded, 3, 0), -1);
    assert_int_equal (zown_errno (), ZOWN_BAD_ARGS);
    assert_int_equal (zown_semaphore_acquire (bounded, 2, 0), 0);
    assert_int_equal (zown_semaphore_release (bounded, 3), -1);
    assert_int_equal (zown_errno (), ZOWN_OVERFLOW);
    assert_int_equal (s_value (bounded), 0);
    assert_int_equal (zown_semaphore_release (bounded, 1), 0);
    assert_int_equal (zown_semaphore_release (bounded, 1), 0);
    assert_int_equal (s_value (bounded), 2);

    //  Another type under that name; the type's own name.
    zown_value_t *number = zown_value_new (client, "number");
    assert_int_equal (zown_value_set (number, 1), 0);
    zown_semaphore_t *wrong = zown_semaphore_new (client, "number");
    assert_int_equal (zown_semaphore_init (wrong, 1, false), -1);
    assert_int_equal (zown_errno (), ZOWN_WRONG_TYPE);
    assert_int_equal (zown_semaphore_value (wrong, NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_WRONG_TYPE);
    assert_int_equal (zown_semaphore_acquire (wrong, 1, 0), -1);
    assert_int_equal (zown_errno (), ZOWN_WRONG_TYPE);
    zown_request_t *type = zown_request_new ();
    zown_reply_t *reply;
    assert_int_equal (zown_request_add (type, ZOWN_OP_TYPE, "s", 0, NULL), 0);
    assert_int_equal (zown_client_call (client, type, &reply), 0);
    assert_true (zown_datum_streq (zown_reply_value (reply, 0, 0), "semaphore"));
    zown_request_destroy (&type);

    //  Invalid calls on the client side.
    assert_null (zown_semaphore_new (NULL, "s"));
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_null (zown_semaphore_new (client, ""));
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_int_equal (zown_semaphore_init (NULL, 1, false), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_int_equal (zown_semaphore_acquire (NULL, 1, 0), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_int_equal (zown_semaphore_acquire (sem, 1, -2), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_int_equal (zown_semaphore_release (NULL, 1), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_int_equal (zown_semaphore_value (NULL, &value), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    zown_semaphore_destroy (&wrong);
    zown_semaphore_destroy (&wrong);  //  Twice is harmless
    zown_semaphore_destroy (NULL);

    zown_value_destroy (&number);
    zown_semaphore_destroy (&bounded);
    zown_semaphore_destroy (&bad);
    zown_semaphore_destroy (&missing);
    zown_semaphore_destroy (&sem);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

//  Enters the semaphore 100 times; inside, counts who else is inside.
static int
s_bounded_worker (void *args, const void *endpoint, size_t size)
{
    (void) args, (void) size;
    zown_client_t *client = zown_client_new ((const char *) endpoint);
    zown_semaphore_t *sem = zown_semaphore_new (client, "s");
    zown_value_t *inside = zown_value_new (client, "inside");
    for (int count = 0; count < 100; count++) {
        int64_t now = 0;
        if (zown_semaphore_acquire (sem, 1, 10000) || zown_value_add (inside, 1, &now))
            return 1;
        if (now > 2)
            return 2;  //  More than two inside at once
        if (zown_value_add (inside, -1, NULL) || zown_semaphore_release (sem, 1))
            return 3;
    }
    zown_value_destroy (&inside);
    zown_semaphore_destroy (&sem);
    zown_client_destroy (&client);
    return 0;
}

static void
test_bound_never_exceeded (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_semaphore_t *sem = zown_semaphore_new (client, "s");
    assert_int_equal (zown_semaphore_init (sem, 2, false), 1);
    testutil_run_workers (s_spawner, 6, s_bounded_worker, owner);
    assert_int_equal (s_value (sem), 2);
    assert_int_equal (testutil_stat (client, "parked"), 0);
    zown_value_t *inside = zown_value_new (client, "inside");
    int64_t now = -1;
    assert_int_equal (zown_value_get (inside, &now), 0);
    assert_int_equal (now, 0);
    zown_value_destroy (&inside);
    zown_semaphore_destroy (&sem);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

typedef struct {
    const char *endpoint;
    int64_t count;   //  Permits to take
    int timeout;     //  Of the acquire
    int status;      //  0 once taken, else the failing status
    int64_t after;   //  Permits free right after taking them
    bool give_back;  //  Release them before leaving
    int hold;        //  If not -1, hold them until a byte can be read here
    int took;        //  If not -1, write a byte here once `after` is read
} waiter_t;

static void *
s_waiter (void *args)
{
    waiter_t *self = (waiter_t *) args;
    zown_client_t *client = zown_client_new (self->endpoint);
    zown_semaphore_t *sem = zown_semaphore_new (client, "s");
    self->status = zown_semaphore_acquire (sem, self->count, self->timeout) ? zown_errno () : 0;
    if (self->status == 0) {
        //  On our own connection, so ordered after the acquire.
        zown_semaphore_value (sem, &self->after);
        if (self->took != -1 && write (self->took, "t", 1) != 1)
            self->status = -1;
        char byte;
        if (self->hold != -1 && read (self->hold, &byte, 1) != 1)
            self->status = -1;
        if (self->give_back)
            zown_semaphore_release (sem, self->count);
    }
    zown_semaphore_destroy (&sem);
    zown_client_destroy (&client);
    return NULL;
}

static void
test_fifo_without_barging (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_semaphore_t *sem = zown_semaphore_new (client, "s");
    assert_int_equal (zown_semaphore_init (sem, 0, false), 1);
    int hold [2], took [2];
    assert_int_equal (pipe (hold), 0);
    assert_int_equal (pipe (took), 0);
    //  A asks for 2, then B for 1; A keeps its permits until told.
    waiter_t first = { zown_owner_inproc (owner), 2, 10000, -1, -1, true, hold [0], took [1] };
    waiter_t second = { zown_owner_inproc (owner), 1, 10000, -1, -1, true, -1, -1 };
    pthread_t first_thread, second_thread;
    testutil_park_thread (client, &first_thread, s_waiter, &first, 1);
    testutil_park_thread (client, &second_thread, s_waiter, &second, 2);
    //  The owner retries waiters before it reads our next request, so what
    //  STATS says right after a release is final.
    assert_int_equal (zown_semaphore_release (sem, 1), 0);
    assert_int_equal (testutil_stat (client, "parked"), 2);
    assert_int_equal (s_value (sem), 1);
    //  Nobody barges in front of A, not even a no-wait acquire.
    assert_int_equal (zown_semaphore_acquire (sem, 1, 0), -1);
    assert_int_equal (zown_errno (), ZOWN_TIMEOUT);
    assert_int_equal (testutil_stat (client, "parked"), 2);
    //  A completes; B still waits: nothing is left.
    assert_int_equal (zown_semaphore_release (sem, 1), 0);
    assert_int_equal (testutil_stat (client, "parked"), 1);
    assert_int_equal (s_value (sem), 0);
    //  A has read what it left before B, once completed, gives one back.
    char byte;
    assert_int_equal (read (took [0], &byte, 1), 1);
    //  B completes.
    assert_int_equal (zown_semaphore_release (sem, 1), 0);
    assert_int_equal (testutil_stat (client, "parked"), 0);
    pthread_join (second_thread, NULL);
    assert_int_equal (second.status, 0);
    assert_int_equal (second.after, 0);
    assert_int_equal (write (hold [1], "g", 1), 1);
    pthread_join (first_thread, NULL);
    assert_int_equal (first.status, 0);
    assert_int_equal (first.after, 0);
    //  Both gave back what they took, on their own connections.
    assert_int_equal (s_value (sem), 3);
    close (hold [0]);
    close (hold [1]);
    close (took [0]);
    close (took [1]);
    zown_semaphore_destroy (&sem);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

//  Takes both permits, says it is ready, then holds them until killed.
static int
s_holder (void *args, const void *endpoint, size_t size)
{
    (void) args, (void) size;
    zown_client_t *client = zown_client_new ((const char *) endpoint);
    zown_semaphore_t *sem = zown_semaphore_new (client, "s");
    if (zown_semaphore_init (sem, 2, true) != 1 || zown_semaphore_acquire (sem, 2, 0))
        return 1;
    return testutil_hold ();
}

static void
test_holder_killed_gives_permits_back (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    pid_t holder = testutil_spawn_ipc (s_spawner, s_holder, owner);
    testutil_await_ready ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_semaphore_t *sem = zown_semaphore_new (client, "s");
    assert_int_equal (s_value (sem), 0);
    waiter_t waiter = { zown_owner_inproc (owner), 1, 10000, -1, -1, true, -1, -1 };
    pthread_t thread;
    testutil_park_thread (client, &thread, s_waiter, &waiter, 1);
    testutil_kill (s_spawner, holder);
    //  The owner saw the death itself: both permits came back, the waiter
    //  took one of them.
    pthread_join (thread, NULL);
    assert_int_equal (waiter.status, 0);
    assert_int_equal (waiter.after, 1);
    assert_int_equal (testutil_stat (client, "sessions_died"), 1);
    assert_int_equal (testutil_stat (client, "parked"), 0);
    //  The waiter gave its permit back itself; the bound still holds.
    assert_int_equal (s_value (sem), 2);
    assert_int_equal (zown_semaphore_release (sem, 1), -1);
    assert_int_equal (zown_errno (), ZOWN_OVERFLOW);
    assert_int_equal (zown_semaphore_acquire (sem, 2, 0), 0);
    assert_int_equal (zown_semaphore_release (sem, 2), 0);
    zown_semaphore_destroy (&sem);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

static void
test_clean_destroy_gives_permits_back (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_client_t *leaver = testutil_client (zown_owner_inproc (owner));
    zown_semaphore_t *sem = zown_semaphore_new (client, "s");
    zown_semaphore_t *theirs = zown_semaphore_new (leaver, "s");
    assert_int_equal (zown_semaphore_init (sem, 3, true), 1);
    //  Taken in two goes, released in part: the session holds 2.
    assert_int_equal (zown_semaphore_acquire (theirs, 2, 0), 0);
    assert_int_equal (zown_semaphore_acquire (theirs, 1, 0), 0);
    assert_int_equal (zown_semaphore_release (theirs, 1), 0);
    assert_int_equal (zown_semaphore_acquire (theirs, 1, 0), 0);
    waiter_t waiter = { zown_owner_inproc (owner), 2, 10000, -1, -1, false, -1, -1 };
    pthread_t thread;
    testutil_park_thread (client, &thread, s_waiter, &waiter, 1);
    zown_semaphore_destroy (&theirs);
    zown_client_destroy (&leaver);  //  BYE: all three permits come back
    pthread_join (thread, NULL);
    assert_int_equal (waiter.status, 0);
    assert_int_equal (waiter.after, 1);
    //  The waiter's own BYE gave its two back as well.
    s_await_value (sem, 3);
    assert_int_equal (testutil_stat (client, "sessions_died"), 0);
    zown_semaphore_destroy (&sem);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

//  The head of the line: wants 2 permits, and waits until killed.
static int
s_greedy_head (void *args, const void *endpoint, size_t size)
{
    (void) args, (void) size;
    zown_client_t *client = zown_client_new ((const char *) endpoint);
    zown_semaphore_t *sem = zown_semaphore_new (client, "s");
    zown_semaphore_acquire (sem, 2, ZOWN_FOREVER);
    return 1;
}

static void
test_line_moves_when_its_head_leaves (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_semaphore_t *sem = zown_semaphore_new (client, "s");
    assert_int_equal (zown_semaphore_init (sem, 1, false), 1);
    //  The head wants 2 of the 1 free; the waiter behind it wants 1, and may
    //  not pass the head (no barging).
    pid_t head = testutil_spawn_ipc (s_spawner, s_greedy_head, owner);
    testutil_await_stat (client, "parked", 1);
    waiter_t behind = { zown_owner_inproc (owner), 1, 10000, -1, -1, true, -1, -1 };
    pthread_t behind_thread;
    testutil_park_thread (client, &behind_thread, s_waiter, &behind, 2);
    assert_int_equal (s_value (sem), 1);
    //  The head's process dies: it leaves the line, which moves on at once.
    testutil_kill (s_spawner, head);
    pthread_join (behind_thread, NULL);
    assert_int_equal (behind.status, 0);
    assert_int_equal (behind.after, 0);
    s_await_value (sem, 1);
    assert_int_equal (testutil_stat (client, "parked"), 0);
    zown_semaphore_destroy (&sem);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

static void
test_drop_with_holders_and_waiters (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_semaphore_t *sem = zown_semaphore_new (client, "s");
    assert_int_equal (zown_semaphore_init (sem, 1, true), 1);
    assert_int_equal (zown_semaphore_acquire (sem, 1, 0), 0);
    waiter_t waiter = { zown_owner_inproc (owner), 1, 10000, -1, -1, true, -1, -1 };
    pthread_t thread;
    testutil_park_thread (client, &thread, s_waiter, &waiter, 1);
    assert_int_equal (s_raw (client, ZOWN_OP_DROP, "s", 0, NULL, 0), ZOWN_OK);
    pthread_join (thread, NULL);
    assert_int_equal (waiter.status, ZOWN_NOT_FOUND);
    //  A new semaphore of that name owes the old holder nothing.
    assert_int_equal (zown_semaphore_init (sem, 1, true), 1);
    assert_int_equal (zown_semaphore_release (sem, 1), -1);
    assert_int_equal (zown_errno (), ZOWN_OVERFLOW);
    zown_semaphore_destroy (&sem);
    zown_client_destroy (&client);  //  BYE: nothing held any more
    zown_owner_destroy (&owner);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_basics_and_errors),
        cmocka_unit_test (test_bound_never_exceeded),
        cmocka_unit_test (test_fifo_without_barging),
        cmocka_unit_test (test_holder_killed_gives_permits_back),
        cmocka_unit_test (test_clean_destroy_gives_permits_back),
        cmocka_unit_test (test_line_moves_when_its_head_leaves),
        cmocka_unit_test (test_drop_with_holders_and_waiters),
    };
    return testutil_run_spawned (&s_spawner, tests, sizeof (tests) / sizeof (tests [0]));
}
