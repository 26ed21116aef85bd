/*  =========================================================================
    test_replica - local copies kept current from the change feed: snapshot
    then stream, types that change under the replica, read-your-writes,
    readers that never go back nor see a batch half-applied while forked
    writers write, lost records (thrown away on purpose, and real ones past
    the high-water mark), and an owner that restarts
    =========================================================================
*/
#include "testutil.h"
#include "zown_internal.h"

#define WRITERS      3
#define WRITER_LOOPS 1000

static zown_spawner_t *s_spawner;

static void
s_call (zown_client_t *client, zown_op_t op, const char *name, size_t argc,
        const zown_datum_t *argv)
{
    if (zown_client_call_op (client, op, name, argc, argv, NULL))
        fail_msg ("%s: %s", name, zown_strerror (zown_errno ()));
}

static void
s_dict_set (zown_client_t *client, const char *name, const char *key, zown_datum_t value)
{
    zown_datum_t pair [] = { zown_datum_str (key), value };
    s_call (client, ZOWN_OP_DICT_SET, name, 2, pair);
}

static void
s_value_set (zown_client_t *client, const char *name, int64_t number)
{
    zown_datum_t argument = zown_datum_int (number);
    s_call (client, ZOWN_OP_VALUE_SET, name, 1, &argument);
}

static uint64_t
s_owner_seq (zown_client_t *client)
{
    zown_reply_t *reply;
    assert_int_equal (zown_client_call_op (client, ZOWN_OP_SEQ, NULL, 0, NULL, &reply), 0);
    return (uint64_t) zown_reply_value (reply, 0, 0).u.i;
}

static zown_replica_t *
s_replica (const char *owner, const char *feed)
{
    zown_replica_t *replica = zown_replica_new (owner, feed);
    if (!replica)
        fail_msg ("replica: %s", zown_strerror (zown_errno ()));
    assert_int_equal (zown_replica_set_timeout (replica, 10000), 0);
    return replica;
}

static void
s_add (zown_replica_t *replica, const char *name)
{
    if (zown_replica_add (replica, name))
        fail_msg ("add %s: %s", name, zown_strerror (zown_errno ()));
}

static void
s_sync (zown_replica_t *replica)
{
    if (zown_replica_sync (replica, 10000))
        fail_msg ("sync: %s", zown_strerror (zown_errno ()));
}

static void
s_expect_int (zown_replica_t *replica, const char *name, const char *key, int64_t expected)
{
    zown_datum_t value;
    assert_int_equal (zown_replica_dict_get (replica, name, key, &value), 0);
    assert_int_equal (value.tag, ZOWN_INT);
    assert_int_equal (value.u.i, expected);
}

static void
s_expect_status (int rc, int status)
{
    assert_int_equal (rc, -1);
    assert_int_equal (zown_errno (), status);
}

//  The replica's copy of the dict equals the owner's, key for key.
static void
s_expect_same_dict (zown_replica_t *replica, zown_client_t *client, const char *name)
{
    zown_reply_t *items;
    assert_int_equal (zown_client_call_op (client, ZOWN_OP_DICT_ITEMS, name, 0, NULL, &items), 0);
    size_t count = zown_reply_count (items, 0);
    size_t len;
    assert_int_equal (zown_replica_dict_len (replica, name, &len), 0);
    assert_int_equal (len, count / 2);
    for (size_t index = 0; index < count; index += 2) {
        zown_datum_t key_datum = zown_reply_value (items, 0, index);
        if (key_datum.u.b.len && memchr (key_datum.u.b.ptr, 0, key_datum.u.b.len))
            continue;  //  A C string cannot name it; the length counted it.
        char *key = zown_datum_strdup (key_datum);
        zown_datum_t value;
        assert_int_equal (zown_replica_dict_get (replica, name, key, &value), 0);
        assert_true (zown_datum_eq (value, zown_reply_value (items, 0, index + 1)));
        free (key);
    }
}

//  --------------------------------------------------------------------------

static void
test_snapshot_then_stream (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    s_dict_set (client, "d", "a", zown_datum_int (1));
    s_dict_set (client, "d", "b", ZOWN_STR ("two"));
    zown_datum_t odd [] = { zown_datum_bytes ("x\0y", 3), zown_datum_int (3) };
    s_call (client, ZOWN_OP_DICT_SET, "d", 2, odd);
    s_value_set (client, "n", 5);
    zown_datum_t half = zown_datum_double (1.5);
    s_call (client, ZOWN_OP_VALUE_SET, "f", 1, &half);
    zown_datum_t item = zown_datum_int (1);
    s_call (client, ZOWN_OP_LIST_APPEND, "l", 1, &item);

    //  By owner name: its ipc endpoint and feed.
    zown_replica_t *replica = s_replica (zown_owner_name (owner), NULL);
    assert_int_equal (zown_replica_seq (replica), 0);
    const char *names [] = { "d", "n", "f", "l", "later" };
    for (size_t index = 0; index < 5; index++)
        s_add (replica, names [index]);
    s_add (replica, "d");  //  Already there: nothing happens.
    assert_int_equal (zown_replica_seq (replica), s_owner_seq (client));

    zown_datum_t value;
    int64_t number;
    double real;
    size_t len;
    s_expect_int (replica, "d", "a", 1);
    assert_int_equal (zown_replica_dict_get (replica, "d", "b", &value), 0);
    assert_true (zown_datum_streq (value, "two"));
    s_expect_status (zown_replica_dict_get (replica, "d", "none", &value), ZOWN_NOT_FOUND);
    assert_int_equal (zown_replica_dict_len (replica, "d", &len), 0);
    assert_int_equal (len, 3);  //  "x\0y" counts, though a C string cannot name it
    assert_int_equal (zown_replica_value_get (replica, "n", &number), 0);
    assert_int_equal (number, 5);
    s_expect_status (zown_replica_value_get_double (replica, "n", &real), ZOWN_WRONG_TYPE);
    assert_int_equal (zown_replica_value_get_double (replica, "f", &real), 0);
    assert_true (real == 1.5);
    s_expect_status (zown_replica_value_get (replica, "f", &number), ZOWN_WRONG_TYPE);
    s_expect_status (zown_replica_dict_get (replica, "l", "a", &value), ZOWN_WRONG_TYPE);
    s_expect_status (zown_replica_dict_len (replica, "l", &len), ZOWN_WRONG_TYPE);
    s_expect_status (zown_replica_value_get (replica, "l", &number), ZOWN_WRONG_TYPE);
    s_expect_status (zown_replica_dict_get (replica, "n", "a", &value), ZOWN_WRONG_TYPE);
    s_expect_status (zown_replica_value_get (replica, "d", &number), ZOWN_WRONG_TYPE);
    s_expect_status (zown_replica_dict_get (replica, "later", "a", &value), ZOWN_NOT_FOUND);
    s_expect_status (zown_replica_value_get (replica, "later", &number), ZOWN_NOT_FOUND);
    assert_int_equal (zown_replica_dict_len (replica, "later", &len), 0);
    assert_int_equal (len, 0);
    s_expect_status (zown_replica_dict_get (replica, "other", "a", &value), ZOWN_INVALID);

    //  Changes stream in: every kind of record.
    s_dict_set (client, "d", "a", zown_datum_int (10));
    zown_datum_t key_b = ZOWN_STR ("b");
    s_call (client, ZOWN_OP_DICT_DEL, "d", 1, &key_b);
    zown_datum_t one = zown_datum_int (1);
    s_call (client, ZOWN_OP_VALUE_ADD, "n", 1, &one);
    s_value_set (client, "later", 7);
    s_call (client, ZOWN_OP_DROP, "l", 0, NULL);
    s_dict_set (client, "l", "k", ZOWN_STR ("v"));
    s_sync (replica);
    s_expect_int (replica, "d", "a", 10);
    s_expect_status (zown_replica_dict_get (replica, "d", "b", &value), ZOWN_NOT_FOUND);
    assert_int_equal (zown_replica_value_get (replica, "n", &number), 0);
    assert_int_equal (number, 6);
    assert_int_equal (zown_replica_value_get (replica, "later", &number), 0);
    assert_int_equal (number, 7);
    assert_int_equal (zown_replica_dict_get (replica, "l", "k", &value), 0);
    assert_true (zown_datum_streq (value, "v"));
    s_expect_same_dict (replica, client, "d");
    s_call (client, ZOWN_OP_DICT_CLEAR, "d", 0, NULL);
    s_sync (replica);
    assert_int_equal (zown_replica_dict_len (replica, "d", &len), 0);
    assert_int_equal (len, 0);
    //  Dropped, it reads as missing; made again as a value, it is one.
    s_call (client, ZOWN_OP_DROP, "d", 0, NULL);
    s_sync (replica);
    s_expect_status (zown_replica_value_get (replica, "d", &number), ZOWN_NOT_FOUND);
    s_call (client, ZOWN_OP_VALUE_ADD, "d", 1, &one);
    s_sync (replica);
    assert_int_equal (zown_replica_value_get (replica, "d", &number), 0);
    assert_int_equal (number, 1);
    assert_int_equal (zown_replica_seq (replica), s_owner_seq (client));

    zown_replica_stats_t stats;
    zown_replica_stats (replica, &stats);
    assert_int_equal (stats.snapshots, 5);
    assert_int_equal (stats.gaps, 0);
    assert_int_equal (stats.resyncs, 0);
    assert_true (stats.records >= 9);
    zown_replica_destroy (&replica);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

//  Objects that changed type while the replica did not look: the next
//  snapshot (here, that of another add) finds out and reads them right.
static void
test_snapshot_follows_type_changes (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_replica_t *replica = s_replica (zown_owner_inproc (owner), zown_owner_feed_inproc (owner));
    zown_datum_t item = zown_datum_int (1);
    s_dict_set (client, "b", "k", item);
    s_call (client, ZOWN_OP_LIST_APPEND, "c", 1, &item);
    s_dict_set (client, "e", "k", item);
    const char *names [] = { "a", "b", "c", "e" };
    for (size_t index = 0; index < 4; index++)
        s_add (replica, names [index]);
    //  a: missing -> value; b: dict -> list; c: list -> dict; e: dict -> gone
    s_value_set (client, "a", 42);
    s_call (client, ZOWN_OP_DROP, "b", 0, NULL);
    s_call (client, ZOWN_OP_LIST_APPEND, "b", 1, &item);
    s_call (client, ZOWN_OP_DROP, "c", 0, NULL);
    s_dict_set (client, "c", "k", zown_datum_int (9));
    s_call (client, ZOWN_OP_DROP, "e", 0, NULL);
    s_add (replica, "z");
    int64_t number;
    zown_datum_t value;
    assert_int_equal (zown_replica_value_get (replica, "a", &number), 0);
    assert_int_equal (number, 42);
    s_expect_status (zown_replica_dict_get (replica, "b", "k", &value), ZOWN_WRONG_TYPE);
    s_expect_int (replica, "c", "k", 9);
    s_expect_status (zown_replica_value_get (replica, "e", &number), ZOWN_NOT_FOUND);
    s_expect_status (zown_replica_dict_get (replica, "e", "k", &value), ZOWN_NOT_FOUND);
    assert_int_equal (zown_replica_seq (replica), s_owner_seq (client));
    //  And the stream goes on from there.
    s_dict_set (client, "e", "k", zown_datum_int (5));
    s_sync (replica);
    s_expect_int (replica, "e", "k", 5);
    zown_replica_destroy (&replica);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

static void
test_read_your_writes (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_ipc (owner));
    zown_replica_t *replica = s_replica (zown_owner_ipc (owner), zown_owner_feed_ipc (owner));
    s_add (replica, "d");
    s_add (replica, "n");
    zown_dict_t *dict = zown_dict_new (client, "d");
    zown_value_t *counter = zown_value_new (client, "n");
    for (int64_t index = 1; index <= 200; index++) {
        assert_int_equal (zown_dict_set (dict, "k", zown_datum_int (index), NULL), 0);
        int64_t now;
        assert_int_equal (zown_value_add (counter, 1, &now), 0);
        s_sync (replica);
        s_expect_int (replica, "d", "k", index);
        int64_t copy;
        assert_int_equal (zown_replica_value_get (replica, "n", &copy), 0);
        assert_int_equal (copy, now);
    }
    //  wait: for a seq obtained elsewhere (here: SEQ after a write)
    assert_int_equal (zown_dict_set (dict, "k", zown_datum_int (-1), NULL), 0);
    uint64_t seq = s_owner_seq (client);
    assert_int_equal (zown_replica_wait (replica, seq, 10000), 0);
    assert_true (zown_replica_seq (replica) >= seq);
    s_expect_int (replica, "d", "k", -1);
    //  A seq the owner never reaches: the wait times out.
    s_expect_status (zown_replica_wait (replica, seq + 1000, 50), ZOWN_TIMEOUT);
    zown_dict_destroy (&dict);
    zown_value_destroy (&counter);
    zown_replica_destroy (&replica);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

//  --------------------------------------------------------------------------
//  Writers in processes of their own, the reader in this one

//  A writer's payload.
typedef struct {
    char endpoint [256];  //  The owner's ipc endpoint
    int writer;           //  Which writer, 0 to WRITERS - 1
} writer_t;

static int
s_writer (void *args, const void *payload, size_t size)
{
    (void) args;
    writer_t self;
    if (testutil_payload (payload, size, &self, sizeof (self)))
        return 125;
    int writer = self.writer;
    zown_client_t *client = zown_client_new (self.endpoint);
    if (!client || zown_client_set_timeout (client, 10000))
        return 1;
    zown_value_t *counter = zown_value_new (client, "counter");
    zown_dict_t *counts = zown_dict_new (client, "counts");
    char mine [16];
    snprintf (mine, sizeof (mine), "w%d", writer);
    int failures = 0;
    for (int64_t loop = 1; loop <= WRITER_LOOPS; loop++) {
        failures += zown_value_add (counter, 1, NULL) != 0;
        failures += zown_dict_add (counts, "all", zown_datum_int (1), NULL) != 0;
        if (loop % 10)
            failures += zown_dict_set (counts, mine, zown_datum_int (loop), NULL) != 0;
        else {
            //  Several records from one request
            const char *keys [] = { mine, "last" };
            zown_datum_t values [] = { zown_datum_int (loop), zown_datum_int (writer) };
            failures += zown_dict_update (counts, 2, keys, values) != 0;
        }
    }
    zown_dict_destroy (&counts);
    zown_value_destroy (&counter);
    zown_client_destroy (&client);
    return failures ? 1 : 0;
}

//  The copies of counter, counts.all and each writer's key, which only
//  ever grow.
typedef struct {
    int64_t counter, all, mine [WRITERS];
    uint64_t seq;
} reading_t;

static void
s_read (zown_replica_t *replica, reading_t *reading)
{
    reading->seq = zown_replica_seq (replica);
    if (zown_replica_value_get (replica, "counter", &reading->counter)) {
        assert_int_equal (zown_errno (), ZOWN_NOT_FOUND);
        reading->counter = 0;  //  Not written yet
    }
    zown_datum_t value;
    reading->all = zown_replica_dict_get (replica, "counts", "all", &value) ? 0 : value.u.i;
    for (int writer = 0; writer < WRITERS; writer++) {
        char mine [16];
        snprintf (mine, sizeof (mine), "w%d", writer);
        reading->mine [writer] =
            zown_replica_dict_get (replica, "counts", mine, &value) ? 0 : value.u.i;
    }
}

static void
test_writers_never_seen_going_back (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    //  Every writer waits at the gate until the replica is made.
    for (int writer = 0; writer < WRITERS; writer++) {
        writer_t payload = { .writer = writer };
        snprintf (payload.endpoint, sizeof (payload.endpoint), "%s", zown_owner_ipc (owner));
        testutil_spawn_gated (s_spawner, s_writer, &payload, sizeof (payload));
    }
    zown_replica_t *replica = s_replica (zown_owner_name (owner), NULL);
    s_add (replica, "counter");
    s_add (replica, "counts");
    testutil_gate_release ();
    reading_t last = { 0 }, now;
    int64_t reads = 0;
    do {
        //  Blocks until records arrive (or 10 ms pass): no busy loop.
        assert_int_equal (zown_replica_update (replica, 10), 0);
        s_read (replica, &now);
        reads++;
        assert_true (now.seq >= last.seq);
        assert_true (now.counter >= last.counter);
        assert_true (now.all >= last.all);
        for (int writer = 0; writer < WRITERS; writer++)
            assert_true (now.mine [writer] >= last.mine [writer]);
        last = now;
    } while (testutil_running (s_spawner));
    s_sync (replica);
    s_read (replica, &now);
    assert_int_equal (now.counter, WRITERS * WRITER_LOOPS);
    assert_int_equal (now.all, WRITERS * WRITER_LOOPS);
    for (int writer = 0; writer < WRITERS; writer++)
        assert_int_equal (now.mine [writer], WRITER_LOOPS);
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    s_expect_same_dict (replica, client, "counts");
    assert_int_equal (zown_replica_seq (replica), s_owner_seq (client));
    zown_replica_stats_t stats;
    zown_replica_stats (replica, &stats);
    assert_true (stats.records > 0);
    print_message ("%lld reads while %d writers wrote; %llu records applied, %llu gaps\n",
                   (long long) reads, WRITERS, (unsigned long long) stats.records,
                   (unsigned long long) stats.gaps);
    zown_client_destroy (&client);
    zown_replica_destroy (&replica);
    zown_owner_destroy (&owner);
}

//  A writer moves one unit from a to b of the dict "accounts" in one batch,
//  so that a + b == 0 in every state of the owner. Half-way it waits on the
//  event "overlap" until the reader has seen a state strictly between the
//  first and the last: updates then provably reach the replica while
//  writes go on, however the processes are scheduled.
static int
s_transfer_writer (void *args, const void *endpoint, size_t size)
{
    (void) args, (void) size;
    zown_client_t *client = zown_client_new ((const char *) endpoint);
    if (!client || zown_client_set_timeout (client, 10000))
        return 1;
    zown_request_t *batch = zown_request_new ();
    zown_datum_t debit [] = { ZOWN_STR ("a"), zown_datum_int (-1) };
    zown_datum_t credit [] = { ZOWN_STR ("b"), zown_datum_int (1) };
    zown_request_add (batch, ZOWN_OP_DICT_ADD, "accounts", 2, debit);
    zown_request_add (batch, ZOWN_OP_DICT_ADD, "accounts", 2, credit);
    zown_event_t *overlap = zown_event_new (client, "overlap");
    int failures = 0, overlap_failed = 0;
    for (int loop = 0; loop < WRITER_LOOPS; loop++) {
        //  The reader needs milliseconds; the bound only turns a reader
        //  that never sees the overlap into a failure (exit 2) instead of
        //  a hang.
        if (loop == WRITER_LOOPS / 2)
            overlap_failed = zown_event_wait (overlap, 60000) != 0;
        failures += zown_client_call (client, batch, NULL) != 0;
    }
    zown_event_destroy (&overlap);
    zown_request_destroy (&batch);
    zown_client_destroy (&client);
    return overlap_failed ? 2 : failures ? 1 : 0;
}

//  One key of "accounts" in the replica; 0 while it is missing.
static int64_t
s_account (zown_replica_t *replica, const char *key)
{
    zown_datum_t value;
    if (zown_replica_dict_get (replica, "accounts", key, &value)) {
        assert_int_equal (zown_errno (), ZOWN_NOT_FOUND);
        return 0;
    }
    assert_int_equal (value.tag, ZOWN_INT);
    return value.u.i;
}

//  A batch is one change of the owner, and a replica shows one instant of
//  it: a read never sees one key of a batch updated and not the other.
static void
test_batches_never_seen_half_applied (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    testutil_spawn_workers (s_spawner, WRITERS, s_transfer_writer, owner);
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_event_t *overlap = zown_event_new (client, "overlap");
    zown_replica_t *replica = s_replica (zown_owner_name (owner), NULL);
    s_add (replica, "accounts");
    testutil_gate_release ();
    const int64_t final = WRITERS * WRITER_LOOPS;
    int64_t reads = 0, overlaps = 0, states = 0, broken = 0;
    char first_broken [128] = "";
    uint64_t last_seq = 0;
    do {
        //  Blocks until records arrive (or 10 ms pass): no busy loop.
        assert_int_equal (zown_replica_update (replica, 10), 0);
        int64_t a = s_account (replica, "a"), b = s_account (replica, "b");
        uint64_t seq = zown_replica_seq (replica);
        reads++;
        //  Counted, not failed at once: the writers still wait for the
        //  overlap, and are reaped before the test fails.
        if (a + b != 0 && broken++ == 0)
            snprintf (first_broken, sizeof (first_broken), "seq %llu: a = %lld, b = %lld",
                      (unsigned long long) seq, (long long) a, (long long) b);
        states += seq != last_seq;
        last_seq = seq;
        if (b > 0 && b < final && overlaps++ == 0)
            assert_int_equal (zown_event_set (overlap), 0);
    } while (testutil_running (s_spawner));
    if (broken)
        fail_msg ("%lld of %lld reads saw a batch half-applied, first at %s", (long long) broken,
                  (long long) reads, first_broken);
    //  The writers could only finish once the reader had seen them half-way.
    assert_true (overlaps > 0);
    s_sync (replica);
    assert_int_equal (s_account (replica, "a"), -final);
    assert_int_equal (s_account (replica, "b"), final);
    assert_int_equal (zown_replica_seq (replica), s_owner_seq (client));
    print_message ("%lld reads of %lld states while %d writers wrote, %lld among the writes\n",
                   (long long) reads, (long long) states, WRITERS, (long long) overlaps);
    zown_replica_destroy (&replica);
    zown_event_destroy (&overlap);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

//  --------------------------------------------------------------------------
//  Lost records

//  The test hook throws records away as the feed would lose them: in the
//  middle of the stream (the next record shows the gap) and at its end
//  (only the MARK of sync shows it).
static void
test_lost_records_are_resynced (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_replica_t *replica = s_replica (zown_owner_inproc (owner), zown_owner_feed_inproc (owner));
    s_add (replica, "d");
    zown_replica_lose (replica, 3);
    char key [16];
    for (int index = 1; index <= 5; index++) {
        snprintf (key, sizeof (key), "k%d", index);
        s_dict_set (client, "d", key, zown_datum_int (index));
    }
    s_sync (replica);
    zown_replica_stats_t stats;
    zown_replica_stats (replica, &stats);
    assert_int_equal (stats.gaps, 1);
    assert_int_equal (stats.resyncs, 1);
    assert_int_equal (stats.snapshots, 2);
    s_expect_same_dict (replica, client, "d");
    s_expect_int (replica, "d", "k1", 1);
    //  Lost at the end: nothing follows but the MARK that sync asks for.
    zown_replica_lose (replica, 2);
    s_dict_set (client, "d", "k1", zown_datum_int (100));
    s_dict_set (client, "d", "k6", zown_datum_int (6));
    s_sync (replica);
    zown_replica_stats (replica, &stats);
    assert_int_equal (stats.gaps, 2);
    assert_int_equal (stats.resyncs, 2);
    s_expect_int (replica, "d", "k1", 100);
    s_expect_int (replica, "d", "k6", 6);
    s_expect_same_dict (replica, client, "d");
    assert_int_equal (zown_replica_seq (replica), s_owner_seq (client));
    //  The same, for a reader that only ever calls update: once the feed
    //  has been quiet for a second, update asks the owner.
    zown_replica_lose (replica, 1);
    s_dict_set (client, "d", "k7", zown_datum_int (7));
    uint64_t target = s_owner_seq (client);
    int64_t deadline = testutil_now_ms () + 10000;
    while (zown_replica_seq (replica) < target && testutil_now_ms () < deadline)
        assert_int_equal (zown_replica_update (replica, 100), 0);
    s_expect_int (replica, "d", "k7", 7);
    zown_replica_stats (replica, &stats);
    assert_int_equal (stats.gaps, 3);
    zown_replica_destroy (&replica);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

//  A replica that reads nothing while far more records are published than
//  the feed holds (the owner's send and the replica's receive high-water
//  marks): libzmq drops the rest, and the replica finds out.
static void
test_overflow_is_resynced (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_replica_t *replica = s_replica (zown_owner_inproc (owner), zown_owner_feed_inproc (owner));
    s_add (replica, "d");
    enum { KEYS = 10000, ROUNDS = 3 * ZOWN_SUBSCRIBER_HWM / KEYS };
    char (*keys) [16] = calloc (KEYS, 16);
    const char **key_list = calloc (KEYS, sizeof (char *));
    zown_datum_t *values = calloc (KEYS, sizeof (zown_datum_t));
    for (int index = 0; index < KEYS; index++) {
        snprintf (keys [index], 16, "k%d", index);
        key_list [index] = keys [index];
    }
    zown_dict_t *dict = zown_dict_new (client, "d");
    for (int round = 0; round < ROUNDS; round++) {
        for (int index = 0; index < KEYS; index++)
            values [index] = zown_datum_int (round * KEYS + index);
        assert_int_equal (zown_dict_update (dict, KEYS, key_list, values), 0);
    }
    s_sync (replica);
    zown_replica_stats_t stats;
    zown_replica_stats (replica, &stats);
    assert_true (stats.gaps >= 1);
    assert_true (stats.resyncs >= 1);
    assert_true (stats.records < (uint64_t) ROUNDS * KEYS);
    s_expect_int (replica, "d", "k0", (ROUNDS - 1) * KEYS);
    s_expect_int (replica, "d", "k9999", (ROUNDS - 1) * KEYS + 9999);
    s_expect_same_dict (replica, client, "d");
    assert_int_equal (zown_replica_seq (replica), s_owner_seq (client));
    zown_dict_destroy (&dict);
    free (values);
    free (key_list);
    free (keys);
    zown_replica_destroy (&replica);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

//  The owner stops and another starts under the same name, with a history
//  of its own (numbered from 1 again): sync sees the owner is behind the
//  replica, and the replica starts over from the new owner.
static void
test_owner_restart (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    char name [ZOWN_NAME_MAX + 1];
    snprintf (name, sizeof (name), "%s", zown_owner_name (owner));
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_replica_t *replica = s_replica (name, NULL);
    s_add (replica, "d");
    for (int index = 0; index < 10; index++)
        s_dict_set (client, "d", "old", zown_datum_int (index));
    s_sync (replica);
    s_expect_int (replica, "d", "old", 9);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);

    owner = zown_owner_new (name);
    assert_non_null (owner);
    client = testutil_client (zown_owner_inproc (owner));
    s_dict_set (client, "d", "new", zown_datum_int (1));
    s_sync (replica);
    zown_datum_t value;
    s_expect_status (zown_replica_dict_get (replica, "d", "old", &value), ZOWN_NOT_FOUND);
    s_expect_int (replica, "d", "new", 1);
    assert_int_equal (zown_replica_seq (replica), 1);
    //  It follows the new owner's feed from there.
    s_dict_set (client, "d", "new", zown_datum_int (2));
    s_sync (replica);
    s_expect_int (replica, "d", "new", 2);
    zown_replica_stats_t stats;
    zown_replica_stats (replica, &stats);
    assert_true (stats.resyncs >= 1);
    zown_replica_destroy (&replica);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

//  --------------------------------------------------------------------------

static int
s_child_uses_inherited (void *args)
{
    zown_replica_t *replica = (zown_replica_t *) args;
    int64_t number;
    int failures = zown_replica_update (replica, 0) != -1 || zown_errno () != ZOWN_FORKED;
    failures +=
        zown_replica_value_get (replica, "n", &number) != -1 || zown_errno () != ZOWN_FORKED;
    failures += zown_replica_sync (replica, 100) != -1 || zown_errno () != ZOWN_FORKED;
    zown_replica_destroy (&replica);  //  Frees memory only: the sockets are the parent's.
    return failures;
}

static void
test_misuse_and_fork (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    assert_null (zown_replica_new (NULL, NULL));
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_null (zown_replica_new (zown_owner_ipc (owner), NULL));
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_null (zown_replica_new ("bad/name", NULL));
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_null (zown_replica_new (zown_owner_ipc (owner), "nonsense://x"));
    assert_int_equal (zown_errno (), ZOWN_INVALID);

    zown_replica_t *replica = s_replica (zown_owner_name (owner), NULL);
    //  Nothing replicated yet: nothing to update, nothing to wait for.
    assert_int_equal (zown_replica_update (replica, 0), 0);
    s_expect_status (zown_replica_wait (replica, 1, 10), ZOWN_INVALID);
    s_expect_status (zown_replica_sync (replica, 10), ZOWN_INVALID);
    s_expect_status (zown_replica_add (replica, NULL), ZOWN_INVALID);
    s_expect_status (zown_replica_add (replica, ""), ZOWN_INVALID);
    char long_name [300];
    memset (long_name, 'n', sizeof (long_name) - 1);
    long_name [sizeof (long_name) - 1] = 0;
    s_expect_status (zown_replica_add (replica, long_name), ZOWN_INVALID);
    s_expect_status (zown_replica_set_timeout (replica, 0), ZOWN_INVALID);
    s_expect_status (zown_replica_update (replica, -2), ZOWN_INVALID);
    s_add (replica, "n");
    zown_datum_t value;
    size_t len;
    s_expect_status (zown_replica_dict_get (replica, "n", NULL, &value), ZOWN_INVALID);
    s_expect_status (zown_replica_dict_get (replica, "n", "k", NULL), ZOWN_INVALID);
    s_expect_status (zown_replica_dict_len (replica, NULL, &len), ZOWN_INVALID);
    s_expect_status (zown_replica_value_get (replica, "n", NULL), ZOWN_INVALID);
    s_expect_status (zown_replica_sync (replica, 0), ZOWN_INVALID);

    //  In a forked child the replica is the parent's: every call refuses.
    //  Forked from this process, not spawned: a child of a process that
    //  uses zown is the point. It calls zown first thing.
    pid_t child = testutil_fork (s_child_uses_inherited, replica);
    assert_int_equal (testutil_wait (child), 0);
    s_sync (replica);  //  The parent's is untouched.

    //  An owner that is not there: add fails and changes nothing.
    zown_replica_t *lonely = s_replica ("nobody-here", NULL);
    assert_int_equal (zown_replica_set_timeout (lonely, 200), 0);
    assert_int_equal (zown_replica_add (lonely, "x"), -1);
    assert_true (zown_errno () == ZOWN_UNREACHABLE || zown_errno () == ZOWN_TIMEOUT);
    s_expect_status (zown_replica_dict_get (lonely, "x", "k", &value), ZOWN_INVALID);
    zown_replica_destroy (&lonely);

    //  One request reads every object: there is a most.
    zown_replica_t *many = s_replica (zown_owner_inproc (owner), zown_owner_feed_inproc (owner));
    char name [16];
    for (int index = 0; index < ZOWN_REPLICA_OBJECTS_MAX; index++) {
        snprintf (name, sizeof (name), "o%d", index);
        s_add (many, name);
    }
    s_expect_status (zown_replica_add (many, "one-more"), ZOWN_INVALID);
    s_add (many, "o0");  //  Already there
    zown_replica_destroy (&many);

    zown_replica_destroy (&replica);
    zown_replica_destroy (&replica);
    assert_null (replica);
    zown_owner_destroy (&owner);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_snapshot_then_stream),
        cmocka_unit_test (test_snapshot_follows_type_changes),
        cmocka_unit_test (test_read_your_writes),
        cmocka_unit_test (test_writers_never_seen_going_back),
        cmocka_unit_test (test_batches_never_seen_half_applied),
        cmocka_unit_test (test_lost_records_are_resynced),
        cmocka_unit_test (test_overflow_is_resynced),
        cmocka_unit_test (test_owner_restart),
        cmocka_unit_test (test_misuse_and_fork),
    };
    return testutil_run_spawned (&s_spawner, tests, sizeof (tests) / sizeof (tests [0]));
}
