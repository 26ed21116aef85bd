/*  =========================================================================
    test_queue - FIFO, bounded puts, blocking gets, JoinableQueue, batches,
    and every item moved exactly once between processes
    =========================================================================
*/
#include "testutil.h"
#include <pthread.h>
#include <signal.h>

static void
test_fifo_and_bounds (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_queue_t *queue = zown_queue_new (client, "q");
    zown_datum_t item;
    assert_int_equal (zown_queue_empty (queue), 1);
    assert_int_equal (zown_queue_get (queue, 0, &item), -1);
    assert_int_equal (zown_errno (), ZOWN_TIMEOUT);
    assert_int_equal (zown_queue_init (queue, 2), 1);
    assert_int_equal (zown_queue_init (queue, 2), 0);
    assert_int_equal (zown_queue_init (queue, 3), -1);
    assert_int_equal (zown_errno (), ZOWN_WRONG_TYPE);
    assert_int_equal (zown_queue_put (queue, ZOWN_STR ("first"), 0), 0);
    assert_int_equal (zown_queue_put (queue, zown_datum_int (2), 0), 0);
    assert_int_equal (zown_queue_full (queue), 1);
    assert_int_equal (zown_queue_put (queue, zown_datum_int (3), 0), -1);
    assert_int_equal (zown_errno (), ZOWN_TIMEOUT);
    assert_int_equal (zown_queue_put (queue, zown_datum_int (3), 50), -1);
    assert_int_equal (zown_errno (), ZOWN_TIMEOUT);
    size_t size;
    assert_int_equal (zown_queue_size (queue, &size), 0);
    assert_int_equal (size, 2);
    assert_int_equal (zown_queue_get (queue, 0, &item), 0);
    assert_true (zown_datum_streq (item, "first"));
    assert_int_equal (zown_queue_get (queue, 0, &item), 0);
    assert_int_equal (item.u.i, 2);
    //  JoinableQueue accounting
    assert_int_equal (zown_queue_join (queue, 0), -1);
    assert_int_equal (zown_errno (), ZOWN_TIMEOUT);
    assert_int_equal (zown_queue_task_done (queue), 0);
    assert_int_equal (zown_queue_task_done (queue), 0);
    assert_int_equal (zown_queue_task_done (queue), -1);
    assert_int_equal (zown_errno (), ZOWN_BAD_ARGS);
    assert_int_equal (zown_queue_join (queue, 0), 0);
    assert_int_equal (testutil_stat (client, "parked"), 0);
    zown_queue_destroy (&queue);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

static void
test_many_and_batches (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_queue_t *queue = zown_queue_new (client, "q");
    assert_int_equal (zown_queue_init (queue, 10), 1);
    zown_datum_t items [12];
    for (int index = 0; index < 12; index++)
        items [index] = zown_datum_int (index);
    //  More than fits: all or none.
    assert_int_equal (zown_queue_put_many (queue, 12, items), -1);
    assert_int_equal (zown_errno (), ZOWN_TIMEOUT);
    assert_int_equal (zown_queue_empty (queue), 1);
    assert_int_equal (zown_queue_put_many (queue, 10, items), 0);
    zown_reply_t *reply;
    assert_int_equal (zown_queue_get_many (queue, 4, 0, &reply), 0);
    assert_int_equal (zown_reply_count (reply, 0), 4);
    for (size_t index = 0; index < 4; index++)
        assert_int_equal (zown_reply_value (reply, 0, index).u.i, (int64_t) index);
    assert_int_equal (zown_queue_get_many (queue, 100, 0, &reply), 0);
    assert_int_equal (zown_reply_count (reply, 0), 6);
    assert_int_equal (zown_reply_value (reply, 0, 5).u.i, 9);
    assert_int_equal (zown_queue_get_many (queue, 1, 0, &reply), -1);
    assert_int_equal (zown_errno (), ZOWN_TIMEOUT);
    //  A get that rolls back puts its item back in front.
    assert_int_equal (zown_queue_put_many (queue, 2, items), 0);
    zown_request_t *batch = zown_request_new ();
    zown_datum_t no_wait = zown_datum_int (0), five = zown_datum_int (5);
    assert_int_equal (zown_request_add (batch, ZOWN_OP_QUEUE_GET, "q", 1, &no_wait), 0);
    assert_int_equal (zown_request_add (batch, ZOWN_OP_LIST_GET, "l", 1, &five), 0);
    assert_int_equal (zown_client_call (client, batch, NULL), -1);
    zown_datum_t item;
    assert_int_equal (zown_queue_get (queue, 0, &item), 0);
    assert_int_equal (item.u.i, 0);
    zown_request_destroy (&batch);
    zown_queue_destroy (&queue);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

typedef struct {
    const char *endpoint;
    int status;
    int64_t got;
} getter_t;

static void *
s_getter (void *args)
{
    getter_t *self = (getter_t *) args;
    zown_client_t *client = zown_client_new (self->endpoint);
    zown_queue_t *queue = zown_queue_new (client, "q");
    zown_datum_t item;
    self->status = zown_queue_get (queue, 10000, &item) ? zown_errno () : 0;
    self->got = self->status ? -1 : item.u.i;
    zown_queue_destroy (&queue);
    zown_client_destroy (&client);
    return NULL;
}

static void *
s_putter (void *args)
{
    getter_t *self = (getter_t *) args;
    zown_client_t *client = zown_client_new (self->endpoint);
    zown_queue_t *queue = zown_queue_new (client, "q");
    self->status = zown_queue_put (queue, zown_datum_int (self->got), 10000) ? zown_errno () : 0;
    zown_queue_destroy (&queue);
    zown_client_destroy (&client);
    return NULL;
}

static void
test_blocking_get_and_put (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_queue_t *queue = zown_queue_new (client, "q");
    assert_int_equal (zown_queue_init (queue, 1), 1);
    //  Two getters wait; two puts serve them oldest first.
    getter_t first = { zown_owner_inproc (owner), -1, -1 };
    getter_t second = { zown_owner_inproc (owner), -1, -1 };
    pthread_t threads [2];
    pthread_create (&threads [0], NULL, s_getter, &first);
    testutil_await_stat (client, "parked", 1);
    pthread_create (&threads [1], NULL, s_getter, &second);
    testutil_await_stat (client, "parked", 2);
    assert_int_equal (zown_queue_put (queue, zown_datum_int (1), 0), 0);
    assert_int_equal (zown_queue_put (queue, zown_datum_int (2), 1000), 0);
    pthread_join (threads [0], NULL);
    pthread_join (threads [1], NULL);
    assert_int_equal (first.status, 0);
    assert_int_equal (first.got, 1);
    assert_int_equal (second.status, 0);
    assert_int_equal (second.got, 2);
    //  A put on a full queue waits for a get.
    assert_int_equal (zown_queue_put (queue, zown_datum_int (3), 0), 0);
    getter_t putter = { zown_owner_inproc (owner), -1, 4 };
    pthread_create (&threads [0], NULL, s_putter, &putter);
    testutil_await_stat (client, "parked", 1);
    zown_datum_t item;
    assert_int_equal (zown_queue_get (queue, 0, &item), 0);
    assert_int_equal (item.u.i, 3);
    pthread_join (threads [0], NULL);
    assert_int_equal (putter.status, 0);
    assert_int_equal (zown_queue_get (queue, 0, &item), 0);
    assert_int_equal (item.u.i, 4);
    zown_queue_destroy (&queue);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

//  --------------------------------------------------------------------------
//  Exactly once: 2 producers x 50,000 items, 4 consumers, 100,000 in all

#define PRODUCERS    2
#define CONSUMERS    4
#define PER_PRODUCER 50000

static int
s_producer (void *arg)
{
    int64_t first = *(const int *) arg * PER_PRODUCER;
    zown_client_t *client = zown_client_new (getenv ("ZOWN_TEST_ENDPOINT"));
    zown_queue_t *queue = zown_queue_new (client, "q");
    zown_datum_t items [500];
    for (int64_t start = 0; start < PER_PRODUCER; start += 500) {
        for (int index = 0; index < 500; index++)
            items [index] = zown_datum_int (first + start + index);
        //  A full queue refuses the batch: try again once consumers made room.
        while (zown_queue_put_many (queue, 500, items))
            if (zown_errno () != ZOWN_TIMEOUT)
                return 1;
    }
    zown_queue_destroy (&queue);
    zown_client_destroy (&client);
    return 0;
}

static int
s_consumer (void *arg)
{
    (void) arg;
    zown_client_t *client = zown_client_new (getenv ("ZOWN_TEST_ENDPOINT"));
    zown_queue_t *queue = zown_queue_new (client, "q");
    int64_t count = 0, sum = 0, squares = 0;
    bool done = false;
    while (!done) {
        zown_reply_t *reply;
        if (zown_queue_get_many (queue, 200, 10000, &reply))
            return 1;
        size_t got = zown_reply_count (reply, 0);
        size_t extra_stops = 0;
        for (size_t index = 0; index < got; index++) {
            zown_datum_t item = zown_reply_value (reply, 0, index);
            if (item.tag == ZOWN_NIL) {
                //  A stop mark: ours is the first; others go back for the rest.
                extra_stops += done;
                done = true;
                continue;
            }
            count++;
            sum += item.u.i;
            squares += item.u.i * item.u.i;
        }
        for (size_t index = 0; index < extra_stops; index++)
            if (zown_queue_put (queue, ZOWN_NIL_DATUM, 10000))
                return 1;
    }
    zown_value_t *total = zown_value_new (client, "count");
    zown_value_t *sums = zown_value_new (client, "sum");
    zown_value_t *square_sums = zown_value_new (client, "squares");
    int rc = zown_value_add (total, count, NULL) || zown_value_add (sums, sum, NULL)
        || zown_value_add (square_sums, squares, NULL);
    zown_value_destroy (&total);
    zown_value_destroy (&sums);
    zown_value_destroy (&square_sums);
    zown_queue_destroy (&queue);
    zown_client_destroy (&client);
    return rc;
}

static void
test_every_item_exactly_once (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_queue_t *queue = zown_queue_new (client, "q");
    assert_int_equal (zown_queue_init (queue, 5000), 1);
    setenv ("ZOWN_TEST_ENDPOINT", zown_owner_ipc (owner), 1);
    static const int numbers [PRODUCERS] = { 0, 1 };
    testutil_fork_t producers = { 0 }, consumers = { 0 };
    for (int index = 0; index < PRODUCERS; index++)
        testutil_fork_start (&producers, 1, s_producer, (void *) &numbers [index]);
    testutil_fork_start (&consumers, CONSUMERS, s_consumer, NULL);
    testutil_gate_release ();
    testutil_fork_wait (&producers);
    for (int index = 0; index < CONSUMERS; index++)
        assert_int_equal (zown_queue_put (queue, ZOWN_NIL_DATUM, 10000), 0);
    testutil_fork_wait (&consumers);
    int64_t n = PRODUCERS * PER_PRODUCER, value;
    zown_value_t *total = zown_value_new (client, "count");
    zown_value_t *sums = zown_value_new (client, "sum");
    zown_value_t *square_sums = zown_value_new (client, "squares");
    assert_int_equal (zown_value_get (total, &value), 0);
    assert_int_equal (value, n);
    assert_int_equal (zown_value_get (sums, &value), 0);
    assert_int_equal (value, n * (n - 1) / 2);
    assert_int_equal (zown_value_get (square_sums, &value), 0);
    assert_int_equal (value, (n - 1) * n * (2 * n - 1) / 6);
    assert_int_equal (zown_queue_empty (queue), 1);
    assert_int_equal (testutil_stat (client, "parked"), 0);
    zown_value_destroy (&total);
    zown_value_destroy (&sums);
    zown_value_destroy (&square_sums);
    zown_queue_destroy (&queue);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

static void *
s_worker (void *args)
{
    getter_t *self = (getter_t *) args;
    zown_client_t *client = zown_client_new (self->endpoint);
    zown_queue_t *queue = zown_queue_new (client, "jobs");
    zown_datum_t item;
    self->status = 0;
    for (int count = 0; count < 20 && self->status == 0; count++)
        if (zown_queue_get (queue, 10000, &item) || zown_queue_task_done (queue))
            self->status = zown_errno ();
    zown_queue_destroy (&queue);
    zown_client_destroy (&client);
    return NULL;
}

static void
test_join_waits_for_task_done (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_queue_t *jobs = zown_queue_new (client, "jobs");
    for (int index = 0; index < 20; index++)
        assert_int_equal (zown_queue_put (jobs, zown_datum_int (index), 0), 0);
    getter_t worker = { zown_owner_inproc (owner), -1, 0 };
    pthread_t thread;
    pthread_create (&thread, NULL, s_worker, &worker);
    assert_int_equal (zown_queue_join (jobs, 10000), 0);
    pthread_join (thread, NULL);
    assert_int_equal (worker.status, 0);
    assert_int_equal (zown_queue_empty (jobs), 1);
    zown_queue_destroy (&jobs);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

static int
s_doomed_getter (void *arg)
{
    zown_client_t *client = zown_client_new ((const char *) arg);
    zown_queue_t *queue = zown_queue_new (client, "q");
    zown_queue_get (queue, ZOWN_FOREVER, NULL);
    return 1;
}

static void
test_dead_getter_takes_nothing (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    pid_t child = testutil_fork (s_doomed_getter, (void *) zown_owner_ipc (owner));
    testutil_await_stat (client, "parked", 1);
    kill (child, SIGKILL);
    assert_int_equal (testutil_wait (child), 128 + SIGKILL);
    testutil_await_stat (client, "parked", 0);
    //  The item put afterwards is not lost to the dead getter.
    zown_queue_t *queue = zown_queue_new (client, "q");
    assert_int_equal (zown_queue_put (queue, zown_datum_int (7), 0), 0);
    zown_datum_t item;
    assert_int_equal (zown_queue_get (queue, 0, &item), 0);
    assert_int_equal (item.u.i, 7);
    zown_queue_destroy (&queue);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_fifo_and_bounds),
        cmocka_unit_test (test_many_and_batches),
        cmocka_unit_test (test_blocking_get_and_put),
        cmocka_unit_test (test_every_item_exactly_once),
        cmocka_unit_test (test_join_waits_for_task_done),
        cmocka_unit_test (test_dead_getter_takes_nothing),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
