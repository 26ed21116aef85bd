/*  =========================================================================
    test_concurrency - exact results under contention: forked processes over
    ipc and threads over inproc, readers that must never see a counter go
    back or a batch half-applied, and pipelined clients that must get every
    reply (a default ROUTER drops replies silently under load)
    =========================================================================
*/
#include "testutil.h"
#include <pthread.h>
#include <stdatomic.h>

static zown_spawner_t *s_spawner;

#define WORKERS 8
#define ADDS    10000

typedef struct {
    const char *endpoint;
    int adds;
    int failures;
} adder_t;

static void *
s_adder (void *args)
{
    adder_t *self = (adder_t *) args;
    zown_client_t *client = zown_client_new (self->endpoint);
    zown_value_t *counter = zown_value_new (client, "counter");
    for (int count = 0; count < self->adds; count++)
        self->failures += zown_value_add (counter, 1, NULL) != 0;
    zown_value_destroy (&counter);
    zown_client_destroy (&client);
    return NULL;
}

static int
s_adder_process (void *args, const void *endpoint, size_t size)
{
    (void) args, (void) size;
    adder_t self = { (const char *) endpoint, ADDS, 0 };
    s_adder (&self);
    return self.failures ? 1 : 0;
}

static int64_t
s_counter (zown_client_t *client)
{
    zown_value_t *counter = zown_value_new (client, "counter");
    int64_t total = -1;
    assert_int_equal (zown_value_get (counter, &total), 0);
    zown_value_destroy (&counter);
    return total;
}

static void
test_processes_over_ipc (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    testutil_run_workers (s_spawner, WORKERS, s_adder_process, owner);
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    assert_int_equal (s_counter (client), WORKERS * ADDS);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

static void
test_threads_over_inproc (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    pthread_t threads [WORKERS];
    adder_t adders [WORKERS];
    for (int index = 0; index < WORKERS; index++) {
        adders [index] = (adder_t){ zown_owner_inproc (owner), ADDS, 0 };
        pthread_create (&threads [index], NULL, s_adder, &adders [index]);
    }
    for (int index = 0; index < WORKERS; index++) {
        pthread_join (threads [index], NULL);
        assert_int_equal (adders [index].failures, 0);
    }
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    assert_int_equal (s_counter (client), WORKERS * ADDS);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

//  --------------------------------------------------------------------------
//  Readers while writers write
//
//  The reads must provably fall among the writes, however the threads and
//  processes are scheduled: each writer stops half-way and waits on the
//  event "overlap" until the reader has seen a value strictly between the
//  first and the last (so writes went before that read and more come after
//  it), and the reader goes on reading until every writer has exited.

#define RACE_WRITERS 4
#define RACE_WRITES  5000  //  Per writer

typedef struct {
    const char *endpoint;
    atomic_bool *done;  //  Set once every writer has finished
    int64_t final;      //  What the watched number ends at
    int64_t reads;
    int64_t overlaps;  //  Reads that saw a value strictly between 0 and final
    int violations;
} reader_t;

//  A read saw `seen` (0: nothing written yet): count it, and release the
//  writers at the first read among the writes.
static void
s_reader_saw (reader_t *self, zown_event_t *overlap, int64_t seen)
{
    self->reads++;
    if (seen > 0 && seen < self->final && self->overlaps++ == 0)
        self->violations += zown_event_set (overlap) != 0;
}

//  Run by a writer half-way through its writes: 0, or 2 (the writer's exit
//  status) when the reader never saw the overlap.
static int
s_await_overlap (zown_client_t *client)
{
    zown_event_t *overlap = zown_event_new (client, "overlap");
    //  The reader needs microseconds; the bound only turns a reader that
    //  never sees the overlap into a failure instead of a hang.
    int rc = zown_event_wait (overlap, 60000);
    zown_event_destroy (&overlap);
    return rc ? 2 : 0;
}

static int
s_counting_writer (void *args, const void *endpoint, size_t size)
{
    (void) args, (void) size;
    zown_client_t *client = zown_client_new ((const char *) endpoint);
    zown_value_t *counter = zown_value_new (client, "counter");
    int failures = 0, overlap = 0;
    for (int count = 0; count < RACE_WRITES; count++) {
        if (count == RACE_WRITES / 2)
            overlap = s_await_overlap (client);
        failures += zown_value_add (counter, 1, NULL) != 0;
    }
    zown_value_destroy (&counter);
    zown_client_destroy (&client);
    return overlap ? overlap : failures ? 1 : 0;
}

static void *
s_monotonic_reader (void *args)
{
    reader_t *self = (reader_t *) args;
    zown_client_t *client = zown_client_new (self->endpoint);
    zown_value_t *counter = zown_value_new (client, "counter");
    zown_event_t *overlap = zown_event_new (client, "overlap");
    int64_t last = 0;
    //  Keep reading until the writers are done, and once more after.
    bool final = false;
    while (!final) {
        final = atomic_load (self->done);
        int64_t now;
        if (zown_value_get (counter, &now) == 0) {
            self->violations += now < last;
            last = now;
            s_reader_saw (self, overlap, now);
        } else if (zown_errno () == ZOWN_NOT_FOUND)
            s_reader_saw (self, overlap, 0);
        else
            self->violations++;
    }
    zown_event_destroy (&overlap);
    zown_value_destroy (&counter);
    zown_client_destroy (&client);
    return NULL;
}

//  Spawns the writers behind the start gate, runs the reader in a thread of
//  this process while they write, and stops it once they have all exited.
static void
s_race (zown_spawn_fn *writer, zown_owner_t *owner, void *(*reader_fn) (void *), reader_t *reader)
{
    testutil_spawn_workers (s_spawner, RACE_WRITERS, writer, owner);
    pthread_t reader_thread;
    pthread_create (&reader_thread, NULL, reader_fn, reader);
    testutil_gate_release ();
    testutil_reap_all (s_spawner);
    atomic_store (reader->done, true);
    pthread_join (reader_thread, NULL);
    assert_int_equal (reader->violations, 0);
    //  The writers finished, so the overlap was seen; a reader that
    //  released them without seeing one would fail here.
    assert_true (reader->overlaps > 0);
    print_message ("%lld reads, %lld of them among the writes\n", (long long) reader->reads,
                   (long long) reader->overlaps);
}

static void
test_reader_never_sees_a_decrease (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    atomic_bool done = false;
    reader_t reader = { zown_owner_inproc (owner), &done, RACE_WRITERS * RACE_WRITES, 0, 0, 0 };
    s_race (s_counting_writer, owner, s_monotonic_reader, &reader);
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    assert_int_equal (s_counter (client), RACE_WRITERS * RACE_WRITES);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

//  A writer moves one unit from a to b in one batch; a + b stays 0.
static int
s_transfer_writer (void *args, const void *endpoint, size_t size)
{
    (void) args, (void) size;
    zown_client_t *client = zown_client_new ((const char *) endpoint);
    zown_request_t *batch = zown_request_new ();
    zown_datum_t debit [] = { ZOWN_STR ("a"), zown_datum_int (-1) };
    zown_datum_t credit [] = { ZOWN_STR ("b"), zown_datum_int (1) };
    zown_request_add (batch, ZOWN_OP_DICT_ADD, "accounts", 2, debit);
    zown_request_add (batch, ZOWN_OP_DICT_ADD, "accounts", 2, credit);
    int failures = 0, overlap = 0;
    for (int count = 0; count < RACE_WRITES; count++) {
        if (count == RACE_WRITES / 2)
            overlap = s_await_overlap (client);
        failures += zown_client_call (client, batch, NULL) != 0;
    }
    zown_request_destroy (&batch);
    zown_client_destroy (&client);
    return overlap ? overlap : failures ? 1 : 0;
}

static void *
s_batch_reader (void *args)
{
    reader_t *self = (reader_t *) args;
    zown_client_t *client = zown_client_new (self->endpoint);
    zown_event_t *overlap = zown_event_new (client, "overlap");
    zown_request_t *batch = zown_request_new ();
    zown_datum_t a = ZOWN_STR ("a"), b = ZOWN_STR ("b"), zero = zown_datum_int (0);
    zown_datum_t get_a [] = { a, zero }, get_b [] = { b, zero };
    zown_request_add (batch, ZOWN_OP_DICT_GET_OR, "accounts", 2, get_a);
    zown_request_add (batch, ZOWN_OP_DICT_GET_OR, "accounts", 2, get_b);
    bool final = false;
    while (!final) {
        final = atomic_load (self->done);
        zown_reply_t *reply;
        if (zown_client_call (client, batch, &reply)) {
            self->violations++;
            continue;
        }
        int64_t credited = zown_reply_value (reply, 1, 0).u.i;
        self->violations += zown_reply_value (reply, 0, 0).u.i + credited != 0;
        s_reader_saw (self, overlap, credited);
    }
    zown_request_destroy (&batch);
    zown_event_destroy (&overlap);
    zown_client_destroy (&client);
    return NULL;
}

static void
test_batches_are_never_seen_half_applied (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    atomic_bool done = false;
    reader_t reader = { zown_owner_inproc (owner), &done, RACE_WRITERS * RACE_WRITES, 0, 0, 0 };
    s_race (s_transfer_writer, owner, s_batch_reader, &reader);
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_dict_t *accounts = zown_dict_new (client, "accounts");
    zown_datum_t value;
    assert_int_equal (zown_dict_get (accounts, "b", &value, NULL), 0);
    assert_int_equal (value.u.i, RACE_WRITERS * RACE_WRITES);
    zown_dict_destroy (&accounts);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

//  --------------------------------------------------------------------------
//  Pipelined clients: every reply arrives

typedef struct {
    const char *endpoint;
    int total;
    int replies;
    int errors;
} pipeliner_t;

static void *
s_pipeliner (void *args)
{
    pipeliner_t *self = (pipeliner_t *) args;
    zown_client_t *client = zown_client_new (self->endpoint);
    zown_client_set_window (client, 100);
    zown_request_t *request = zown_request_new ();
    zown_datum_t one = zown_datum_int (1);
    zown_request_add (request, ZOWN_OP_VALUE_ADD, "counter", 1, &one);
    int sent = 0;
    while (self->replies + self->errors < self->total) {
        while (sent < self->total && zown_client_pending (client) < 100) {
            if (zown_client_send (client, request, NULL)) {
                self->errors++;
                break;
            }
            sent++;
        }
        zown_reply_t *reply;
        if (zown_client_recv (client, &reply) == 0 && zown_reply_status (reply) == ZOWN_OK)
            self->replies++;
        else {
            self->errors++;
            break;
        }
    }
    zown_request_destroy (&request);
    zown_client_destroy (&client);
    return NULL;
}

static void
test_pipelined_clients_lose_no_reply (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    pthread_t threads [WORKERS];
    pipeliner_t pipeliners [WORKERS];
    for (int index = 0; index < WORKERS; index++) {
        pipeliners [index] = (pipeliner_t){ zown_owner_inproc (owner), 20000, 0, 0 };
        pthread_create (&threads [index], NULL, s_pipeliner, &pipeliners [index]);
    }
    for (int index = 0; index < WORKERS; index++) {
        pthread_join (threads [index], NULL);
        assert_int_equal (pipeliners [index].errors, 0);
        assert_int_equal (pipeliners [index].replies, 20000);
    }
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    assert_int_equal (s_counter (client), WORKERS * 20000);
    assert_int_equal (testutil_stat (client, "replies_dropped"), 0);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_processes_over_ipc),
        cmocka_unit_test (test_threads_over_inproc),
        cmocka_unit_test (test_reader_never_sees_a_decrease),
        cmocka_unit_test (test_batches_are_never_seen_half_applied),
        cmocka_unit_test (test_pipelined_clients_lose_no_reply),
    };
    return testutil_run_spawned (&s_spawner, tests, sizeof (tests) / sizeof (tests [0]));
}
