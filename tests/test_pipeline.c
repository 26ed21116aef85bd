/*  =========================================================================
    test_pipeline - every item exactly once from ventilator to sink, outputs
    per item accounted, failed items counted, backpressure, finish timing
    out, a worker that dies fails the run at once, destroy never hangs, the
    owner's counters
    =========================================================================
*/
#include "testutil.h"
#include <poll.h>
#include <signal.h>
#include <sys/pidfd.h>

#define S_ITEMS 100000

//  Made first in main, while the test process has one thread.
static zown_spawner_t *s_spawner;

//  Items are a 4-byte index; outputs are the index, a number within the
//  item, and the worker's pid.
typedef struct {
    uint32_t index;
    uint32_t number;
    int32_t pid;
} s_output_t;

static uint32_t
s_index (const void *item, size_t size)
{
    uint32_t index = UINT32_MAX;
    if (size == sizeof (index))
        memcpy (&index, item, sizeof (index));
    return index;
}

static int
s_emit (zown_pipeline_emit_t *out, uint32_t index, uint32_t number)
{
    s_output_t output = { index, number, (int32_t) getpid () };
    return zown_pipeline_emit (out, &output, sizeof (output));
}

//  ---------------------------------------------------------------------
//  What the sink saw, read by the test once finish has returned.

typedef struct {
    uint8_t seen [S_ITEMS];  //  Per item: bit n set when output n arrived
    uint64_t outputs;
    uint64_t duplicates;  //  Outputs seen twice, or malformed
    pid_t pids [8];       //  Distinct workers that sent outputs
    size_t pid_count;
    uint32_t refuse_every;  //  Sink fails on outputs whose index is a multiple (0: never)
} s_sink_state_t;

static int
s_record (void *args, const void *data, size_t size, zown_client_t *client)
{
    (void) client;
    s_sink_state_t *state = args;
    s_output_t output;
    if (size != sizeof (output)) {
        state->duplicates++;
        return 0;
    }
    memcpy (&output, data, sizeof (output));
    if (output.index >= S_ITEMS || output.number >= 8
        || (state->seen [output.index] & (1u << output.number)))
        state->duplicates++;
    else
        state->seen [output.index] |= (uint8_t) (1u << output.number);
    state->outputs++;
    size_t known = 0;
    while (known < state->pid_count && state->pids [known] != output.pid)
        known++;
    if (known == state->pid_count && known < 8)
        state->pids [state->pid_count++] = output.pid;
    return state->refuse_every && output.index % state->refuse_every == 0;
}

//  ---------------------------------------------------------------------
//  Work functions (run in the workers)

static int
s_echo (void *args, const void *item, size_t size, zown_pipeline_emit_t *out)
{
    (void) args;
    return s_emit (out, s_index (item, size), 0);
}

//  Item i emits i % 3 outputs: 0, 1 or 2.
static int
s_fan_out (void *args, const void *item, size_t size, zown_pipeline_emit_t *out)
{
    (void) args;
    uint32_t index = s_index (item, size);
    for (uint32_t number = 0; number < index % 3; number++)
        if (s_emit (out, index, number))
            return -1;
    return 0;
}

//  Emits, then fails every 1000th item.
static int
s_fail_some (void *args, const void *item, size_t size, zown_pipeline_emit_t *out)
{
    (void) args;
    uint32_t index = s_index (item, size);
    if (s_emit (out, index, 0))
        return -1;
    return index % 1000 == 0 ? -1 : 0;
}

#define S_KILLER_ITEM 5000

//  The worker given S_KILLER_ITEM dies of it; items after it are never
//  done (a worker pauses in one until it is killed). So once the killer
//  is pushed, only the queues take more items: pushes block, and only the
//  death, seen, can end them.
static int
s_die_on_one (void *args, const void *item, size_t size, zown_pipeline_emit_t *out)
{
    (void) args;
    uint32_t index = s_index (item, size);
    if (index == S_KILLER_ITEM)
        kill (getpid (), SIGKILL);
    while (index > S_KILLER_ITEM)
        pause ();
    return s_emit (out, index, 0);
}

//  Each worker, on its first item, records its pid in the owner's list
//  "blocked-pids" and releases one permit of "blocked", then every item waits
//  for the event "go".
static int
s_wait_for_go (void *args, const void *item, size_t size, zown_pipeline_emit_t *out)
{
    (void) args;
    static bool announced;
    zown_client_t *client = zown_pipeline_emit_client (out);
    if (!announced) {
        announced = true;
        zown_list_t *pids = zown_list_new (client, "blocked-pids");
        zown_semaphore_t *blocked = zown_semaphore_new (client, "blocked");
        int rc = zown_list_append (pids, zown_datum_int (getpid ()), NULL)
            || zown_semaphore_release (blocked, 1);
        zown_semaphore_destroy (&blocked);
        zown_list_destroy (&pids);
        if (rc)
            return -1;
    }
    zown_event_t *go = zown_event_new (client, "go");
    int rc = zown_event_wait (go, 60000);
    zown_event_destroy (&go);
    if (rc)
        return -1;
    //  The index of a 4 KiB item is in its first bytes.
    uint32_t index;
    memcpy (&index, item, sizeof (index));
    (void) size;
    return s_emit (out, index, 0);
}

//  ---------------------------------------------------------------------

static zown_pipeline_config_t
s_config (zown_pipeline_work_fn *work, s_sink_state_t *state, const char *owner)
{
    zown_pipeline_config_t config = { .name = testutil_name ("pipe"),
                                      .workers = 4,
                                      .spawner = s_spawner,
                                      .work = work,
                                      .sink = s_record,
                                      .sink_args = state,
                                      .owner = owner };
    return config;
}

static int
s_push_items (zown_pipeline_t *pipeline, uint32_t count)
{
    for (uint32_t index = 0; index < count; index++)
        if (zown_pipeline_push (pipeline, &index, sizeof (index)))
            return -1;
    return 0;
}

static int64_t
s_value (zown_client_t *client, const char *pipeline, const char *counter)
{
    char name [128];
    snprintf (name, sizeof (name), "%s.%s", pipeline, counter);
    zown_value_t *value = zown_value_new (client, name);
    int64_t number = -1;
    assert_int_equal (zown_value_get (value, &number), 0);
    zown_value_destroy (&value);
    return number;
}

static void
test_invalid_config (void **state)
{
    (void) state;
    zown_pipeline_config_t good = s_config (s_echo, NULL, NULL);
    zown_pipeline_config_t bad [8];
    for (int index = 0; index < 8; index++)
        bad [index] = good;
    bad [0].name = "bad/name";
    bad [1].workers = 0;
    bad [2].workers = ZOWN_PIPELINE_WORKERS_MAX + 1;
    bad [3].spawner = NULL;
    bad [4].work = NULL;
    bad [5].owner = "inproc://zown-anything";  //  Workers could never reach it
    bad [6].hwm = -1;
    bad [7].push_timeout_ms = -2;
    for (int index = 0; index < 8; index++) {
        assert_null (zown_pipeline_new (&bad [index]));
        assert_int_equal (zown_errno (), ZOWN_INVALID);
    }
    assert_null (zown_pipeline_new (NULL));
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_int_equal (zown_pipeline_push (NULL, "x", 1), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_int_equal (zown_pipeline_finish (NULL, 0), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_string_equal (zown_pipeline_failure (NULL), "");
    zown_pipeline_destroy (NULL);
}

//  100,000 items, each pushed once, each seen exactly once at the sink,
//  spread over every worker; the owner's counters end at the item count.
static void
test_every_item_exactly_once (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    s_sink_state_t *seen = calloc (1, sizeof (s_sink_state_t));
    zown_pipeline_config_t config = s_config (s_echo, seen, zown_owner_name (owner));
    char name [64];
    snprintf (name, sizeof (name), "%s", config.name);
    zown_pipeline_t *pipeline = zown_pipeline_new (&config);
    assert_non_null (pipeline);
    assert_int_equal (s_push_items (pipeline, S_ITEMS), 0);
    assert_int_equal (zown_pipeline_finish (pipeline, 60000), 0);
    assert_string_equal (zown_pipeline_failure (pipeline), "");
    assert_int_equal (seen->outputs, S_ITEMS);
    assert_int_equal (seen->duplicates, 0);
    for (uint32_t index = 0; index < S_ITEMS; index++)
        if (seen->seen [index] != 1)
            fail_msg ("item %u seen %u times", index, seen->seen [index]);
    assert_int_equal (seen->pid_count, config.workers);

    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    assert_int_equal (s_value (client, name, "pushed"), S_ITEMS);
    assert_int_equal (s_value (client, name, "done"), S_ITEMS);
    //  End of stream given once for all: no more pushes; finish again is 0.
    assert_int_equal (zown_pipeline_push (pipeline, "x", 1), -1);
    assert_int_equal (zown_errno (), ZOWN_CLOSED);
    assert_int_equal (zown_pipeline_finish (pipeline, 0), 0);
    zown_pipeline_destroy (&pipeline);
    assert_null (pipeline);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
    free (seen);
}

//  Items with 0, 1 and 2 outputs: every output arrives once, and every
//  item completes (finish returns) whatever its output count. No owner.
static void
test_outputs_per_item (void **state)
{
    (void) state;
    s_sink_state_t *seen = calloc (1, sizeof (s_sink_state_t));
    zown_pipeline_config_t config = s_config (s_fan_out, seen, NULL);
    config.workers = 3;
    zown_pipeline_t *pipeline = zown_pipeline_new (&config);
    assert_non_null (pipeline);
    assert_int_equal (s_push_items (pipeline, S_ITEMS), 0);
    assert_int_equal (zown_pipeline_finish (pipeline, 60000), 0);
    uint64_t expected = 0;
    for (uint32_t index = 0; index < S_ITEMS; index++) {
        uint8_t all = (uint8_t) ((1u << (index % 3)) - 1);
        if (seen->seen [index] != all)
            fail_msg ("item %u: outputs 0x%x, expected 0x%x", index, seen->seen [index], all);
        expected += index % 3;
    }
    assert_int_equal (seen->outputs, expected);
    assert_int_equal (seen->duplicates, 0);
    zown_pipeline_destroy (&pipeline);
    free (seen);
}

//  No items at all: finish at once, counters at 0.
static void
test_empty_stream (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_pipeline_config_t config = s_config (s_echo, NULL, zown_owner_ipc (owner));
    config.sink = NULL;
    char name [64];
    snprintf (name, sizeof (name), "%s", config.name);
    zown_pipeline_t *pipeline = zown_pipeline_new (&config);
    assert_non_null (pipeline);
    assert_int_equal (zown_pipeline_finish (pipeline, 10000), 0);
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    assert_int_equal (s_value (client, name, "pushed"), 0);
    assert_int_equal (s_value (client, name, "done"), 0);
    zown_client_destroy (&client);
    zown_pipeline_destroy (&pipeline);
    zown_owner_destroy (&owner);
}

//  Failed work and sink calls are counted; every item still completes, and
//  finish says how many failed.
static void
test_failed_items (void **state)
{
    (void) state;
    s_sink_state_t *seen = calloc (1, sizeof (s_sink_state_t));
    seen->refuse_every = 2000;
    zown_pipeline_config_t config = s_config (s_fail_some, seen, NULL);
    zown_pipeline_t *pipeline = zown_pipeline_new (&config);
    assert_non_null (pipeline);
    assert_int_equal (s_push_items (pipeline, 10000), 0);
    assert_int_equal (zown_pipeline_finish (pipeline, 60000), -1);
    assert_int_equal (zown_errno (), ZOWN_TASK_FAILED);
    assert_string_equal (zown_pipeline_failure (pipeline),
                         "10 of 10000 items failed, 5 sink calls failed");
    assert_int_equal (seen->outputs, 10000);
    assert_int_equal (seen->duplicates, 0);
    assert_int_equal (zown_pipeline_finish (pipeline, 0), -1);
    assert_int_equal (zown_errno (), ZOWN_TASK_FAILED);
    zown_pipeline_destroy (&pipeline);
    free (seen);
}

//  A worker killed mid-run: pushing on fails with WORKER_DIED (once the
//  queues are full only the death can end a push), then finish and every
//  later push fail so at once, naming the worker's fate; nothing waits for
//  the lost items.
static void
test_worker_death (void **state)
{
    (void) state;
    s_sink_state_t *seen = calloc (1, sizeof (s_sink_state_t));
    zown_pipeline_config_t config = s_config (s_die_on_one, seen, NULL);
    //  A push the death never ends fails with TIMEOUT after this: the death
    //  is seen in milliseconds, and 10 s is only a bound on a failure.
    config.push_timeout_ms = 10000;
    zown_pipeline_t *pipeline = zown_pipeline_new (&config);
    assert_non_null (pipeline);
    //  Push until a push fails: the queues are finite and nothing empties
    //  them once the killer is in, so one does, and with WORKER_DIED.
    uint32_t pushed = 0;
    while (zown_pipeline_push (pipeline, &pushed, sizeof (pushed)) == 0)
        pushed++;
    assert_int_equal (zown_errno (), ZOWN_WORKER_DIED);
    assert_true (pushed > S_KILLER_ITEM);
    int64_t start = testutil_now_ms ();
    assert_int_equal (zown_pipeline_finish (pipeline, 60000), -1);
    assert_int_equal (zown_errno (), ZOWN_WORKER_DIED);
    int64_t elapsed = testutil_now_ms () - start;
    if (elapsed > 5000)
        fail_msg ("finish took %lld ms to see the death", (long long) elapsed);
    const char *failure = zown_pipeline_failure (pipeline);
    if (!strstr (failure, "died during the run: signal 9 (Killed)"))
        fail_msg ("failure: '%s'", failure);
    assert_int_equal (zown_pipeline_push (pipeline, "x", 1), -1);
    assert_int_equal (zown_errno (), ZOWN_WORKER_DIED);
    //  Only items before the killer were done, each at most once.
    assert_true (seen->outputs <= S_KILLER_ITEM);
    assert_int_equal (seen->duplicates, 0);
    zown_pipeline_destroy (&pipeline);
    free (seen);
}

//  Starts a pipeline whose workers block on their first item until the
//  owner's event "go" is set; pushes 4 KiB items until a push times out.
//  Returns the pipeline; *pushed_p gets the items pushed.
static zown_pipeline_t *
s_blocked_pipeline (zown_owner_t *owner, s_sink_state_t *seen, uint32_t *pushed_p)
{
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_semaphore_t *blocked = zown_semaphore_new (client, "blocked");
    assert_int_equal (zown_semaphore_init (blocked, 0, false), 1);
    zown_pipeline_config_t config = s_config (s_wait_for_go, seen, zown_owner_ipc (owner));
    config.workers = 2;
    config.hwm = 10;
    config.sink_hwm = 10;
    config.push_timeout_ms = 200;
    zown_pipeline_t *pipeline = zown_pipeline_new (&config);
    assert_non_null (pipeline);
    static uint8_t item [4096];
    uint32_t pushed = 0;
    while (pushed < S_ITEMS) {
        memcpy (item, &pushed, sizeof (pushed));
        if (zown_pipeline_push (pipeline, item, sizeof (item)))
            break;
        pushed++;
    }
    assert_int_equal (zown_errno (), ZOWN_TIMEOUT);
    //  ZeroMQ's queues on both sides plus the kernel's socket buffers: a
    //  few dozen 4 KiB items per worker, far from all of them.
    if (pushed < 2 || pushed > 1000)
        fail_msg ("pushed %u items before the high-water marks held", pushed);
    //  Await every worker inside its first item.
    assert_int_equal (zown_semaphore_acquire (blocked, 2, 10000), 0);
    zown_semaphore_destroy (&blocked);
    zown_client_destroy (&client);
    *pushed_p = pushed;
    return pipeline;
}

//  A push blocks while the queues are full, times out without losing the
//  item, and goes on once the workers do.
static void
test_backpressure (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    s_sink_state_t *seen = calloc (1, sizeof (s_sink_state_t));
    uint32_t pushed;
    zown_pipeline_t *pipeline = s_blocked_pipeline (owner, seen, &pushed);
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_event_t *go = zown_event_new (client, "go");
    assert_int_equal (zown_event_set (go), 0);
    static uint8_t item [4096];
    for (uint32_t index = pushed; index < pushed + 1000; index++) {
        memcpy (item, &index, sizeof (index));
        assert_int_equal (zown_pipeline_push (pipeline, item, sizeof (item)), 0);
    }
    assert_int_equal (zown_pipeline_finish (pipeline, 60000), 0);
    assert_int_equal (seen->outputs, pushed + 1000);
    assert_int_equal (seen->duplicates, 0);
    for (uint32_t index = 0; index < pushed + 1000; index++)
        assert_int_equal (seen->seen [index], 1);
    zown_event_destroy (&go);
    zown_client_destroy (&client);
    zown_pipeline_destroy (&pipeline);
    zown_owner_destroy (&owner);
    free (seen);
}

//  A finish that times out changes nothing but the end of the stream: call
//  it again to wait more.
static void
test_finish_timeout (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    s_sink_state_t *seen = calloc (1, sizeof (s_sink_state_t));
    uint32_t pushed;
    zown_pipeline_t *pipeline = s_blocked_pipeline (owner, seen, &pushed);
    assert_int_equal (zown_pipeline_finish (pipeline, 200), -1);
    assert_int_equal (zown_errno (), ZOWN_TIMEOUT);
    assert_string_equal (zown_pipeline_failure (pipeline), "");
    assert_int_equal (zown_pipeline_push (pipeline, "x", 1), -1);
    assert_int_equal (zown_errno (), ZOWN_CLOSED);
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_event_t *go = zown_event_new (client, "go");
    assert_int_equal (zown_event_set (go), 0);
    assert_int_equal (zown_pipeline_finish (pipeline, 60000), 0);
    assert_int_equal (seen->outputs, pushed);
    assert_int_equal (seen->duplicates, 0);
    zown_event_destroy (&go);
    zown_client_destroy (&client);
    zown_pipeline_destroy (&pipeline);
    zown_owner_destroy (&owner);
    free (seen);
}

//  Destroy with workers busy and queues full, without finish: returns
//  promptly and the workers are gone.
static void
test_destroy_without_finish (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    s_sink_state_t *seen = calloc (1, sizeof (s_sink_state_t));
    uint32_t pushed;
    zown_pipeline_t *pipeline = s_blocked_pipeline (owner, seen, &pushed);
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_list_t *pids = zown_list_new (client, "blocked-pids");
    int pidfds [2];
    for (int index = 0; index < 2; index++) {
        zown_datum_t pid;
        assert_int_equal (zown_list_get (pids, index, &pid), 0);
        pidfds [index] = pidfd_open ((pid_t) pid.u.i, 0);
        assert_true (pidfds [index] >= 0);
    }
    int64_t start = testutil_now_ms ();
    zown_pipeline_destroy (&pipeline);
    assert_null (pipeline);
    int64_t elapsed = testutil_now_ms () - start;
    if (elapsed > 5000)
        fail_msg ("destroy took %lld ms", (long long) elapsed);
    for (int index = 0; index < 2; index++) {
        struct pollfd gone = { .fd = pidfds [index], .events = POLLIN };
        assert_int_equal (poll (&gone, 1, 10000), 1);
        close (pidfds [index]);
    }
    zown_list_destroy (&pids);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
    free (seen);
}

//  A live pipeline's endpoints are not taken over; once it is gone, its
//  name is free again.
static void
test_name_in_use (void **state)
{
    (void) state;
    zown_pipeline_config_t config = s_config (s_echo, NULL, NULL);
    config.workers = 1;
    zown_pipeline_t *first = zown_pipeline_new (&config);
    assert_non_null (first);
    assert_null (zown_pipeline_new (&config));
    assert_int_equal (zown_errno (), ZOWN_ADDR_IN_USE);
    zown_pipeline_destroy (&first);
    zown_pipeline_t *again = zown_pipeline_new (&config);
    assert_non_null (again);
    assert_int_equal (zown_pipeline_finish (again, 10000), 0);
    zown_pipeline_destroy (&again);
}

int
main (void)
{
    s_spawner = zown_spawner_new ();
    if (!s_spawner) {
        fprintf (stderr, "spawner: %s\n", zown_strerror (zown_errno ()));
        return 1;
    }
    testutil_private_rundir ();
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_invalid_config),
        cmocka_unit_test (test_every_item_exactly_once),
        cmocka_unit_test (test_outputs_per_item),
        cmocka_unit_test (test_empty_stream),
        cmocka_unit_test (test_failed_items),
        cmocka_unit_test (test_worker_death),
        cmocka_unit_test (test_backpressure),
        cmocka_unit_test (test_finish_timeout),
        cmocka_unit_test (test_destroy_without_finish),
        cmocka_unit_test (test_name_in_use),
    };
    int failed = cmocka_run_group_tests (tests, NULL, NULL);
    zown_spawner_destroy (&s_spawner);
    return failed;
}
