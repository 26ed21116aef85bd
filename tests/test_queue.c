/*  =========================================================================
    test_queue - FIFO, bounded puts, blocking gets, JoinableQueue, batches,
    every item moved exactly once between processes; joinable queues'
    leases, redeliveries and dead letters, and consumers SIGKILLed at
    random points that lose nothing
    =========================================================================
*/
#include "testutil.h"
#include <pthread.h>
#include <signal.h>
#include <time.h>

static zown_spawner_t *s_spawner;

//  What a child of these tests gets, by value (its payload).
typedef struct {
    char endpoint [256];  //  The owner's ipc endpoint
    char queue [32];      //  The queue it uses
    int number;           //  Which producer or consumer it is
    unsigned seed;        //  Of its random choices
} child_t;

static child_t
s_child (zown_owner_t *owner, const char *queue, int number, unsigned seed)
{
    child_t self = { .number = number, .seed = seed };
    snprintf (self.endpoint, sizeof (self.endpoint), "%s", zown_owner_ipc (owner));
    snprintf (self.queue, sizeof (self.queue), "%s", queue);
    return self;
}

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
s_producer (void *args, const void *payload, size_t size)
{
    (void) args;
    child_t self;
    if (testutil_payload (payload, size, &self, sizeof (self)))
        return 1;
    int64_t first = (int64_t) self.number * PER_PRODUCER;
    zown_client_t *client = zown_client_new (self.endpoint);
    zown_queue_t *queue = zown_queue_new (client, self.queue);
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
s_consumer (void *args, const void *endpoint, size_t size)
{
    (void) args, (void) size;
    zown_client_t *client = zown_client_new ((const char *) endpoint);
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
    pid_t producers [PRODUCERS];
    for (int index = 0; index < PRODUCERS; index++) {
        child_t producer = s_child (owner, "q", index, 0);
        producers [index] =
            testutil_spawn_gated (s_spawner, s_producer, &producer, sizeof (producer));
    }
    testutil_spawn_workers (s_spawner, CONSUMERS, s_consumer, owner);
    testutil_gate_release ();
    for (int index = 0; index < PRODUCERS; index++)
        assert_int_equal (testutil_reap (s_spawner, producers [index]), 0);
    for (int index = 0; index < CONSUMERS; index++)
        assert_int_equal (zown_queue_put (queue, ZOWN_NIL_DATUM, 10000), 0);
    testutil_reap_all (s_spawner);
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
s_doomed_getter (void *args, const void *endpoint, size_t size)
{
    (void) args, (void) size;
    zown_client_t *client = zown_client_new ((const char *) endpoint);
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
    pid_t child = testutil_spawn_ipc (s_spawner, s_doomed_getter, owner);
    testutil_await_stat (client, "parked", 1);
    testutil_kill (s_spawner, child);
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

//  --------------------------------------------------------------------------
//  Joinable queues: leases

//  A raw one-op request on the queue `name`; returns the call's result and
//  leaves the status in zown_errno.
static int
s_call_op (zown_client_t *client, zown_op_t op, const char *name, size_t argc,
           const zown_datum_t *argv)
{
    zown_request_t *request = zown_request_new ();
    assert_int_equal (zown_request_add (request, op, name, argc, argv), 0);
    int rc = zown_client_call (client, request, NULL);
    zown_request_destroy (&request);
    return rc;
}

static void
test_joinable_leases_and_acks (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_client_t *other = testutil_client (zown_owner_inproc (owner));
    zown_queue_t *queue = zown_queue_new (client, "jobs");
    zown_queue_t *theirs = zown_queue_new (other, "jobs");
    assert_int_equal (zown_queue_init_joinable (queue, 0, 0), 1);
    assert_int_equal (zown_queue_init_joinable (queue, 0, ZOWN_QUEUE_MAX_DELIVERIES), 0);
    assert_int_equal (zown_queue_init_joinable (queue, 0, 3), -1);
    assert_int_equal (zown_errno (), ZOWN_WRONG_TYPE);
    assert_int_equal (zown_queue_init (queue, 0), -1);
    assert_int_equal (zown_errno (), ZOWN_WRONG_TYPE);
    for (int index = 0; index < 5; index++)
        assert_int_equal (zown_queue_put (queue, zown_datum_int (index), 0), 0);
    zown_datum_t item;
    uint64_t ids [5];
    int64_t deliveries;
    for (int index = 0; index < 2; index++) {
        assert_int_equal (zown_queue_get_lease (queue, 0, &item, &ids [index], &deliveries), 0);
        assert_int_equal (item.u.i, index);
        assert_int_equal (deliveries, 1);
    }
    assert_true (ids [1] > ids [0]);
    //  Acknowledged out of order, once; task_done takes the oldest lease.
    assert_int_equal (zown_queue_ack (queue, ids [1]), 0);
    assert_int_equal (zown_queue_ack (queue, ids [1]), -1);
    assert_int_equal (zown_errno (), ZOWN_NOT_HELD);
    assert_int_equal (zown_queue_task_done (queue), 0);
    assert_int_equal (zown_queue_ack (queue, ids [0]), -1);
    assert_int_equal (zown_errno (), ZOWN_NOT_HELD);
    assert_int_equal (zown_queue_task_done (queue), -1);
    assert_int_equal (zown_errno (), ZOWN_NOT_HELD);
    //  get_many: item, id, deliveries per item; leased items are not queued
    //  but still unfinished.
    zown_reply_t *reply;
    assert_int_equal (zown_queue_get_many (queue, 2, 0, &reply), 0);
    assert_int_equal (zown_reply_count (reply, 0), 6);
    assert_int_equal (zown_reply_value (reply, 0, 0).u.i, 2);
    assert_int_equal (zown_reply_value (reply, 0, 5).u.i, 1);
    ids [2] = (uint64_t) zown_reply_value (reply, 0, 1).u.i;
    ids [3] = (uint64_t) zown_reply_value (reply, 0, 4).u.i;
    assert_int_equal (zown_queue_join (queue, 0), -1);
    assert_int_equal (zown_errno (), ZOWN_TIMEOUT);
    //  Another client can neither acknowledge these nor task_done them.
    assert_int_equal (zown_queue_ack (theirs, ids [2]), -1);
    assert_int_equal (zown_errno (), ZOWN_NOT_HELD);
    assert_int_equal (zown_queue_task_done (theirs), -1);
    assert_int_equal (zown_errno (), ZOWN_NOT_HELD);
    assert_int_equal (zown_queue_get_lease (theirs, 0, &item, &ids [4], &deliveries), 0);
    assert_int_equal (item.u.i, 4);
    assert_int_equal (zown_queue_ack (queue, ids [3]), 0);
    assert_int_equal (zown_queue_task_done (queue), 0);
    assert_int_equal (zown_queue_task_done (theirs), 0);
    assert_int_equal (zown_queue_join (queue, 0), 0);
    //  Journal forms are refused from clients; ack is for joinable queues.
    zown_datum_t id = zown_datum_int ((int64_t) ids [0]);
    assert_int_equal (s_call_op (client, ZOWN_OP_QUEUE_DELIVERED, "jobs", 1, &id), -1);
    assert_int_equal (zown_errno (), ZOWN_BAD_ARGS);
    zown_queue_t *plain = zown_queue_new (client, "plain");
    assert_int_equal (zown_queue_put (plain, zown_datum_int (1), 0), 0);
    assert_int_equal (zown_queue_get_lease (plain, 0, &item, &ids [0], &deliveries), 0);
    assert_int_equal (ids [0], 0);
    assert_int_equal (deliveries, 0);
    assert_int_equal (zown_queue_ack (plain, 1), -1);
    assert_int_equal (zown_errno (), ZOWN_BAD_ARGS);
    zown_queue_destroy (&plain);
    zown_queue_destroy (&theirs);
    zown_queue_destroy (&queue);
    zown_client_destroy (&other);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

//  Takes the next item of `queue` and checks it and its delivery count.
static uint64_t
s_expect (zown_queue_t *queue, int64_t expected, int64_t expected_deliveries)
{
    zown_datum_t item;
    uint64_t id;
    int64_t deliveries;
    assert_int_equal (zown_queue_get_lease (queue, 10000, &item, &id, &deliveries), 0);
    assert_int_equal (item.u.i, expected);
    assert_int_equal (deliveries, expected_deliveries);
    return id;
}

//  Leases come back when their client says BYE: in their places by id,
//  ahead of the items never delivered, whichever client ends first.
static void
test_bye_returns_leases_in_order (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_client_t *first = testutil_client (zown_owner_inproc (owner));
    zown_client_t *second = testutil_client (zown_owner_inproc (owner));
    zown_queue_t *queue = zown_queue_new (client, "jobs");
    zown_queue_t *by_first = zown_queue_new (first, "jobs");
    zown_queue_t *by_second = zown_queue_new (second, "jobs");
    assert_int_equal (zown_queue_init_joinable (queue, 0, 0), 1);
    for (int index = 0; index < 5; index++)
        assert_int_equal (zown_queue_put (queue, zown_datum_int (index), 0), 0);
    s_expect (by_first, 0, 1);
    s_expect (by_second, 1, 1);
    s_expect (by_first, 2, 1);
    zown_queue_destroy (&by_second);
    zown_client_destroy (&second);
    zown_queue_destroy (&by_first);
    zown_client_destroy (&first);
    size_t size;
    assert_int_equal (zown_queue_size (queue, &size), 0);
    assert_int_equal (size, 5);
    for (int index = 0; index < 5; index++)
        assert_int_equal (zown_queue_ack (queue, s_expect (queue, index, index < 3 ? 2 : 1)), 0);
    assert_int_equal (zown_queue_join (queue, 0), 0);
    zown_queue_destroy (&queue);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

//  A joinable get in a batch that rolls back leases nothing and counts no
//  delivery; an acknowledgement that rolls back keeps its lease.
static void
test_joinable_batches_roll_back (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_queue_t *queue = zown_queue_new (client, "jobs");
    assert_int_equal (zown_queue_init_joinable (queue, 0, 0), 1);
    assert_int_equal (zown_queue_put (queue, zown_datum_int (7), 0), 0);
    zown_request_t *batch = zown_request_new ();
    zown_datum_t no_wait = zown_datum_int (0), five = zown_datum_int (5);
    assert_int_equal (zown_request_add (batch, ZOWN_OP_QUEUE_GET, "jobs", 1, &no_wait), 0);
    assert_int_equal (zown_request_add (batch, ZOWN_OP_LIST_GET, "l", 1, &five), 0);
    assert_int_equal (zown_client_call (client, batch, NULL), -1);
    zown_request_destroy (&batch);
    uint64_t id = s_expect (queue, 7, 1);
    batch = zown_request_new ();
    assert_int_equal (zown_request_add (batch, ZOWN_OP_QUEUE_TASK_DONE, "jobs", 0, NULL), 0);
    assert_int_equal (zown_request_add (batch, ZOWN_OP_LIST_GET, "l", 1, &five), 0);
    assert_int_equal (zown_client_call (client, batch, NULL), -1);
    zown_request_destroy (&batch);
    assert_int_equal (zown_queue_join (queue, 0), -1);
    assert_int_equal (zown_queue_ack (queue, id), 0);
    assert_int_equal (zown_queue_join (queue, 0), 0);
    zown_queue_destroy (&queue);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

//  A consumer in a child: takes one item of its queue, then waits on the
//  event "hold" until it is killed.
static int
s_holder (void *args, const void *payload, size_t size)
{
    (void) args;
    child_t self;
    if (testutil_payload (payload, size, &self, sizeof (self)))
        return 1;
    zown_client_t *client = zown_client_new (self.endpoint);
    zown_queue_t *queue = zown_queue_new (client, self.queue);
    zown_event_t *hold = zown_event_new (client, "hold");
    if (zown_queue_get (queue, 10000, NULL))
        return 1;
    zown_event_wait (hold, ZOWN_FOREVER);
    return 1;
}

//  A forked consumer runs consumer (arg) and is SIGKILLed once it parks;
//  returns once the owner has seen the death.
static void
s_kill_parked (zown_owner_t *owner, zown_client_t *client, zown_spawn_fn *consumer,
               const char *queue)
{
    int64_t died = testutil_stat (client, "sessions_died");
    child_t child_data = s_child (owner, queue, 0, 0);
    pid_t child = testutil_spawn (s_spawner, consumer, &child_data, sizeof (child_data));
    testutil_await_stat (client, "parked", 1);
    testutil_kill (s_spawner, child);
    testutil_await_stat (client, "sessions_died", died + 1);
}

//  A consumer takes queue's next item and is SIGKILLed holding it.
static void
s_kill_holder (zown_owner_t *owner, zown_client_t *client, const char *queue)
{
    s_kill_parked (owner, client, s_holder, queue);
}

static void
test_dead_consumers_item_is_redelivered (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_queue_t *queue = zown_queue_new (client, "jobs");
    assert_int_equal (zown_queue_init_joinable (queue, 0, 0), 1);
    assert_int_equal (zown_queue_put (queue, zown_datum_int (1), 0), 0);
    assert_int_equal (zown_queue_put (queue, zown_datum_int (2), 0), 0);
    s_kill_holder (owner, client, "jobs");
    //  The dead consumer's item came back ahead of the one never delivered.
    assert_int_equal (zown_queue_ack (queue, s_expect (queue, 1, 2)), 0);
    assert_int_equal (zown_queue_ack (queue, s_expect (queue, 2, 1)), 0);
    assert_int_equal (zown_queue_join (queue, 0), 0);
    assert_int_equal (testutil_stat (client, "sessions_died"), 1);
    zown_queue_destroy (&queue);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

//  max_deliveries 2: an item whose second taker ends without acknowledging
//  it (one says BYE, one is killed) goes to jobs.dead, a plain queue, and
//  join counts it as done.
static void
test_poison_item_is_dead_lettered (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_queue_t *queue = zown_queue_new (client, "jobs");
    assert_int_equal (zown_queue_init_joinable (queue, 0, 2), 1);
    assert_int_equal (zown_queue_put (queue, ZOWN_STR ("poison"), 0), 0);
    assert_int_equal (zown_queue_put (queue, ZOWN_STR ("fine"), 0), 0);
    zown_client_t *quitter = testutil_client (zown_owner_inproc (owner));
    zown_queue_t *theirs = zown_queue_new (quitter, "jobs");
    zown_datum_t item;
    assert_int_equal (zown_queue_get (theirs, 0, &item), 0);
    assert_true (zown_datum_streq (item, "poison"));
    zown_queue_destroy (&theirs);
    zown_client_destroy (&quitter);
    s_kill_holder (owner, client, "jobs");
    zown_queue_t *dead = zown_queue_new (client, "jobs.dead");
    uint64_t id;
    int64_t deliveries;
    assert_int_equal (zown_queue_get_lease (dead, 10000, &item, &id, &deliveries), 0);
    assert_true (zown_datum_streq (item, "poison"));
    assert_int_equal (deliveries, 0);
    assert_int_equal (zown_queue_join (queue, 0), -1);
    assert_int_equal (zown_queue_get_lease (queue, 0, &item, &id, &deliveries), 0);
    assert_true (zown_datum_streq (item, "fine"));
    assert_int_equal (deliveries, 1);
    assert_int_equal (zown_queue_task_done (queue), 0);
    assert_int_equal (zown_queue_join (queue, 0), 0);
    assert_int_equal (zown_queue_empty (queue), 1);
    zown_queue_destroy (&dead);
    zown_queue_destroy (&queue);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

//  A plain queue keeps at-most-once gets: the item of a consumer killed
//  holding it is gone, and only a task_done (from anyone) lets join end.
static void
test_plain_queue_is_at_most_once (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_queue_t *queue = zown_queue_new (client, "plain");
    assert_int_equal (zown_queue_put (queue, zown_datum_int (1), 0), 0);
    s_kill_holder (owner, client, "plain");
    assert_int_equal (zown_queue_get (queue, 0, NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_TIMEOUT);
    assert_int_equal (zown_queue_join (queue, 0), -1);
    assert_int_equal (zown_queue_task_done (queue), 0);
    assert_int_equal (zown_queue_join (queue, 0), 0);
    zown_queue_destroy (&queue);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

//  --------------------------------------------------------------------------
//  Killed consumers lose nothing: 100 consumers, each SIGKILLed at a random
//  point of its work while it holds 1..4 jobs of 2,000, then 3 that live

#define KILL_JOBS      2000
#define KILL_VICTIMS   100
#define KILL_MOST      4
#define KILL_HEALTHY   3
#define KILL_MAX_TRIES 3  //  max_deliveries: some jobs end up dead-lettered

static unsigned s_seed;  //  ZOWN_TEST_SEED, or the clock: printed

typedef struct {
    int64_t job;
    uint64_t id;
    int64_t deliveries;
} s_lease_t;

//  The work on a job, recorded as "job.consumer" in the dict "work" (a
//  consumer killed before its acknowledgement leaves it orphaned).
static int
s_work (zown_dict_t *work, int64_t job, int consumer)
{
    char key [32];
    snprintf (key, sizeof (key), "%lld.%d", (long long) job, consumer);
    return zown_dict_add (work, key, zown_datum_int (1), NULL);
}

//  Acknowledge a job (task_done for the oldest lease, else by id) and
//  record it, "job.consumer" = the deliveries it saw in the dict "acks", in
//  one batch: both or neither.
static int
s_ack_recorded (zown_client_t *client, const s_lease_t *lease, int consumer, bool oldest)
{
    char key [32];
    snprintf (key, sizeof (key), "%lld.%d", (long long) lease->job, consumer);
    zown_datum_t record [2] = { zown_datum_str (key), zown_datum_int (lease->deliveries) };
    zown_datum_t id = zown_datum_int ((int64_t) lease->id);
    zown_request_t *batch = zown_request_new ();
    int rc = !batch || zown_request_add (batch, ZOWN_OP_DICT_SET, "acks", 2, record)
        || (oldest ? zown_request_add (batch, ZOWN_OP_QUEUE_TASK_DONE, "jobs", 0, NULL)
                   : zown_request_add (batch, ZOWN_OP_QUEUE_ACK, "jobs", 1, &id))
        || zown_client_call (client, batch, NULL);
    zown_request_destroy (&batch);
    return rc ? -1 : 0;
}

//  Take `want` jobs, in taking order: one get each, or get_many.
static int
s_take (zown_queue_t *queue, size_t want, bool many, s_lease_t *leases)
{
    for (size_t taken = 0; taken < want;) {
        zown_datum_t item;
        if (!many) {
            s_lease_t *lease = &leases [taken++];
            if (zown_queue_get_lease (queue, 10000, &item, &lease->id, &lease->deliveries))
                return -1;
            lease->job = item.u.i;
            continue;
        }
        zown_reply_t *reply;
        if (zown_queue_get_many (queue, want - taken, 10000, &reply))
            return -1;
        for (size_t index = 0; index + 2 < zown_reply_count (reply, 0); index += 3)
            leases [taken++] = (s_lease_t){ zown_reply_value (reply, 0, index).u.i,
                                            (uint64_t) zown_reply_value (reply, 0, index + 1).u.i,
                                            zown_reply_value (reply, 0, index + 2).u.i };
    }
    return 0;
}

//  A consumer killed at a random point: it takes 1..KILL_MOST jobs, then
//  works on and acknowledges them one by one, in taking order (task_done)
//  or shuffled (ack by id), and SIGKILLs itself before step `stop` (step
//  2i works on job i, step 2i + 1 acknowledges it), holding at least one.
static int
s_victim (void *args, const void *payload, size_t size)
{
    (void) args;
    child_t self;
    if (testutil_payload (payload, size, &self, sizeof (self)))
        return 1;
    int number = self.number;
    unsigned seed = self.seed + (unsigned) number;
    size_t want = 1 + (size_t) rand_r (&seed) % KILL_MOST;
    bool many = rand_r (&seed) % 2, oldest = rand_r (&seed) % 3 == 0;
    size_t stop = (size_t) rand_r (&seed) % (2 * want);
    zown_client_t *client = zown_client_new (self.endpoint);
    zown_queue_t *queue = zown_queue_new (client, self.queue);
    zown_dict_t *work = zown_dict_new (client, "work");
    s_lease_t leases [KILL_MOST];
    if (s_take (queue, want, many, leases))
        return 1;
    for (size_t index = want - 1; !oldest && index > 0; index--) {
        size_t other = (size_t) rand_r (&seed) % (index + 1);
        s_lease_t swap = leases [index];
        leases [index] = leases [other];
        leases [other] = swap;
    }
    for (size_t step = 0; step < stop; step++)
        if (step % 2 ? s_ack_recorded (client, &leases [step / 2], number, oldest)
                     : s_work (work, leases [step / 2].job, number))
            return 1;
    raise (SIGKILL);
    return 1;
}

//  A consumer that lives: once the event "drain" is set, it works on and
//  acknowledges each job it gets, until its stop mark (nil).
static int
s_survivor (void *args, const void *payload, size_t size)
{
    (void) args;
    child_t self;
    if (testutil_payload (payload, size, &self, sizeof (self)))
        return 1;
    int number = KILL_VICTIMS + self.number;
    zown_client_t *client = zown_client_new (self.endpoint);
    zown_queue_t *queue = zown_queue_new (client, self.queue);
    zown_dict_t *work = zown_dict_new (client, "work");
    zown_event_t *drain = zown_event_new (client, "drain");
    if (zown_event_wait (drain, 30000))
        return 1;
    while (true) {
        zown_datum_t item;
        s_lease_t lease;
        if (zown_queue_get_lease (queue, 30000, &item, &lease.id, &lease.deliveries))
            return 1;
        if (item.tag == ZOWN_NIL)
            break;
        lease.job = item.u.i;
        if (s_work (work, lease.job, number) || s_ack_recorded (client, &lease, number, false))
            return 1;
    }
    int rc = zown_queue_task_done (queue);
    zown_event_destroy (&drain);
    zown_dict_destroy (&work);
    zown_queue_destroy (&queue);
    zown_client_destroy (&client);
    return rc ? 1 : 0;
}

//  What happened to each job, from the dicts and jobs.dead.
typedef struct {
    int acks;            //  Acknowledgements recorded
    int acker;           //  Who acknowledged it
    int64_t deliveries;  //  The acknowledging consumer's delivery count
    int dead;            //  Times in jobs.dead
    int worked;          //  Work records by its acknowledging consumer
    int orphans;         //  Work records of consumers that never acknowledged it
} s_fate_t;

static void
s_read_fates (zown_client_t *client, s_fate_t *fates, int *orphaned_by_living)
{
    zown_dict_t *acks = zown_dict_new (client, "acks");
    zown_dict_t *work = zown_dict_new (client, "work");
    zown_reply_t *items;
    assert_int_equal (zown_dict_items (acks, &items), 0);
    for (size_t index = 0; index + 1 < zown_reply_count (items, 0); index += 2) {
        zown_datum_t key = zown_reply_value (items, 0, index);
        long long job;
        int consumer;
        assert_int_equal (sscanf ((const char *) key.u.b.ptr, "%lld.%d", &job, &consumer), 2);
        assert_in_range (job, 0, KILL_JOBS - 1);
        fates [job].acks++;
        fates [job].acker = consumer;
        fates [job].deliveries = zown_reply_value (items, 0, index + 1).u.i;
    }
    assert_int_equal (zown_dict_items (work, &items), 0);
    for (size_t index = 0; index + 1 < zown_reply_count (items, 0); index += 2) {
        zown_datum_t key = zown_reply_value (items, 0, index);
        long long job;
        int consumer;
        assert_int_equal (sscanf ((const char *) key.u.b.ptr, "%lld.%d", &job, &consumer), 2);
        assert_int_equal (zown_reply_value (items, 0, index + 1).u.i, 1);
        if (fates [job].acks && fates [job].acker == consumer)
            fates [job].worked++;
        else {
            fates [job].orphans++;
            *orphaned_by_living += consumer >= KILL_VICTIMS;
        }
    }
    zown_queue_t *dead = zown_queue_new (client, "jobs.dead");
    zown_datum_t item;
    while (zown_queue_get (dead, 0, &item) == 0)
        fates [item.u.i].dead++;
    zown_queue_destroy (&dead);
    zown_dict_destroy (&work);
    zown_dict_destroy (&acks);
}

//  Every job acknowledged exactly once, by a consumer that did its work,
//  or dead-lettered; work without an acknowledgement only by consumers
//  killed after it, and the acknowledging consumer saw those deliveries.
static void
s_check_fates (zown_client_t *client)
{
    s_fate_t *fates = (s_fate_t *) calloc (KILL_JOBS, sizeof (s_fate_t));
    int orphaned_by_living = 0, lost = 0, duplicates = 0, redelivered = 0, dead = 0;
    s_read_fates (client, fates, &orphaned_by_living);
    for (int job = 0; job < KILL_JOBS; job++) {
        s_fate_t *fate = &fates [job];
        lost += fate->acks + fate->dead == 0;
        assert_int_equal (fate->acks + fate->dead, 1);
        assert_int_equal (fate->worked, fate->acks);
        if (fate->acks)
            assert_true (fate->deliveries >= 1 + fate->orphans);
        //  Work records past the first: the acknowledging consumer's
        //  comes on top of the orphans; a dead letter has no such one.
        int records = fate->worked + fate->orphans;
        duplicates += records > 1 ? records - 1 : 0;
        redelivered += fate->acks && fate->deliveries > 1;
        dead += fate->dead;
    }
    assert_int_equal (orphaned_by_living, 0);
    printf ("kill test (ZOWN_TEST_SEED=%u): %d consumers killed, %d jobs, %d lost, %d duplicate "
            "runs of a job's work (each by a consumer killed before its ack), %d jobs "
            "redelivered, %d dead-lettered\n",
            s_seed, KILL_VICTIMS, KILL_JOBS, lost, duplicates, redelivered, dead);
    free (fates);
}

static void
test_killed_consumers_lose_nothing (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_queue_t *queue = zown_queue_new (client, "jobs");
    assert_int_equal (zown_queue_init_joinable (queue, 0, KILL_MAX_TRIES), 1);
    s_seed = getenv ("ZOWN_TEST_SEED") ? (unsigned) atoi (getenv ("ZOWN_TEST_SEED"))
                                       : (unsigned) time (NULL);
    //  Every consumer is spawned before any runs, or any job is put
    //  (testutil_spawn_gated).
    pid_t victims [KILL_VICTIMS];
    for (int index = 0; index < KILL_VICTIMS; index++) {
        child_t victim = s_child (owner, "jobs", index, s_seed);
        victims [index] = testutil_spawn_gated (s_spawner, s_victim, &victim, sizeof (victim));
    }
    for (int index = 0; index < KILL_HEALTHY; index++) {
        child_t survivor = s_child (owner, "jobs", index, s_seed);
        testutil_spawn_gated (s_spawner, s_survivor, &survivor, sizeof (survivor));
    }
    zown_datum_t jobs [500];
    for (int first = 0; first < KILL_JOBS; first += 500) {
        for (int index = 0; index < 500; index++)
            jobs [index] = zown_datum_int (first + index);
        assert_int_equal (zown_queue_put_many (queue, 500, jobs), 0);
    }
    testutil_gate_release ();
    for (int index = 0; index < KILL_VICTIMS; index++)
        assert_int_equal (testutil_reap (s_spawner, victims [index]), 128 + SIGKILL);
    zown_event_t *drain = zown_event_new (client, "drain");
    assert_int_equal (zown_event_set (drain), 0);
    assert_int_equal (zown_queue_join (queue, 60000), 0);
    for (int index = 0; index < KILL_HEALTHY; index++)
        assert_int_equal (zown_queue_put (queue, ZOWN_NIL_DATUM, 0), 0);
    testutil_reap_all (s_spawner);
    s_check_fates (client);
    assert_int_equal (zown_queue_join (queue, 0), 0);
    assert_int_equal (testutil_stat (client, "sessions_died"), KILL_VICTIMS);
    zown_event_destroy (&drain);
    zown_queue_destroy (&queue);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

//  A consumer with a buffered client and prefetch 16: the items come in
//  order, each once, in a few round trips, and join sees its task_dones.
static void
test_prefetch_serves_in_order (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_queue_t *queue = zown_queue_new (client, "jobs");
    assert_int_equal (zown_queue_init_joinable (queue, 0, 0), 1);
    zown_client_t *consumer = testutil_client (zown_owner_inproc (owner));
    assert_int_equal (zown_client_set_buffered (consumer, 1024, 3600 * 1000), 0);
    zown_queue_t *theirs = zown_queue_new (consumer, "jobs");
    assert_int_equal (zown_queue_set_prefetch (theirs, 65536), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_int_equal (zown_queue_set_prefetch (theirs, 16), 0);
    for (int index = 0; index < 40; index++)
        assert_int_equal (zown_queue_put (queue, zown_datum_int (index), 0), 0);
    assert_int_equal (zown_client_ping (consumer), 0);
    int64_t requests = testutil_stat (client, "requests");
    uint64_t last_id = 0;
    for (int index = 0; index < 40; index++) {
        zown_datum_t item;
        uint64_t id;
        int64_t deliveries;
        assert_int_equal (zown_queue_get_lease (theirs, 1000, &item, &id, &deliveries), 0);
        assert_int_equal (item.u.i, index);
        assert_true (id > last_id);
        assert_int_equal (deliveries, 1);
        last_id = id;
        assert_int_equal (zown_queue_task_done (theirs), 0);
    }
    //  Gets of 1, 16, 16 and 7 items; the last three each after a message
    //  of the task_dones before it; then the flush of the last 7.
    assert_int_equal (zown_queue_join (queue, 0), -1);
    assert_int_equal (zown_client_flush (consumer), 0);
    assert_int_equal (zown_queue_join (queue, 0), 0);
    assert_int_equal (testutil_stat (client, "requests"), requests + 1 + 7 + 2 + 1);
    //  Items kept when prefetch is turned off are still served first.
    for (int index = 0; index < 3; index++)
        assert_int_equal (zown_queue_put (queue, zown_datum_int (index), 0), 0);
    zown_datum_t item;
    assert_int_equal (zown_queue_get (theirs, 0, &item), 0);
    assert_int_equal (zown_queue_get (theirs, 0, &item), 0);
    assert_int_equal (item.u.i, 1);
    assert_int_equal (zown_queue_set_prefetch (theirs, 0), 0);
    assert_int_equal (zown_queue_get (theirs, 0, &item), 0);
    assert_int_equal (item.u.i, 2);
    assert_int_equal (zown_queue_get (theirs, 0, &item), -1);
    assert_int_equal (zown_errno (), ZOWN_TIMEOUT);
    zown_queue_destroy (&theirs);
    zown_client_destroy (&consumer);
    zown_queue_destroy (&queue);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

//  A forked consumer with prefetch 16: gets two items (the second get
//  leases 16 more), then waits on the event "hold" until it is killed.
static int
s_prefetcher (void *args, const void *payload, size_t size)
{
    (void) args;
    child_t self;
    if (testutil_payload (payload, size, &self, sizeof (self)))
        return 1;
    zown_client_t *client = zown_client_new (self.endpoint);
    zown_client_set_buffered (client, ZOWN_CLIENT_BUFFER_DEFAULT, ZOWN_CLIENT_LINGER_DEFAULT);
    zown_queue_t *queue = zown_queue_new (client, self.queue);
    zown_event_t *hold = zown_event_new (client, "hold");
    zown_queue_set_prefetch (queue, 16);
    if (zown_queue_get (queue, 10000, NULL) || zown_queue_get (queue, 10000, NULL))
        return 1;
    zown_event_wait (hold, ZOWN_FOREVER);
    return 1;
}

static void
test_prefetched_items_come_back (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_queue_t *queue = zown_queue_new (client, "jobs");
    assert_int_equal (zown_queue_init_joinable (queue, 0, 0), 1);
    for (int index = 0; index < 40; index++)
        assert_int_equal (zown_queue_put (queue, zown_datum_int (index), 0), 0);
    s_kill_parked (owner, client, s_prefetcher, "jobs");
    //  The 17 items it held, two served and 15 not, come back first.
    bool seen [40] = { false };
    for (int index = 0; index < 40; index++) {
        zown_datum_t item;
        uint64_t id;
        int64_t deliveries;
        assert_int_equal (zown_queue_get_lease (queue, 0, &item, &id, &deliveries), 0);
        assert_true (item.u.i >= 0 && item.u.i < 40 && !seen [item.u.i]);
        seen [item.u.i] = true;
        assert_int_equal (deliveries, index < 17 ? 2 : 1);
        assert_int_equal (zown_queue_ack (queue, id), 0);
    }
    assert_int_equal (zown_queue_join (queue, 0), 0);
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
        cmocka_unit_test (test_joinable_leases_and_acks),
        cmocka_unit_test (test_bye_returns_leases_in_order),
        cmocka_unit_test (test_joinable_batches_roll_back),
        cmocka_unit_test (test_dead_consumers_item_is_redelivered),
        cmocka_unit_test (test_poison_item_is_dead_lettered),
        cmocka_unit_test (test_plain_queue_is_at_most_once),
        cmocka_unit_test (test_killed_consumers_lose_nothing),
        cmocka_unit_test (test_prefetch_serves_in_order),
        cmocka_unit_test (test_prefetched_items_come_back),
    };
    return testutil_run_spawned (&s_spawner, tests, sizeof (tests) / sizeof (tests [0]));
}
