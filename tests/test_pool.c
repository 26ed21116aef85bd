/*  =========================================================================
    test_pool - worker pools: map in order, futures, failures, crashed and
    killed workers, timeouts, recycling, backpressure, shutdown
    =========================================================================
*/
#include "testutil.h"
#include "workers/progress.h"
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/pidfd.h>

static zown_spawner_t *s_spawner;
static pid_t s_main_pid;
//  Made before the fork server, so every worker inherits them: a task
//  that blocks writes its pid to `started`, then reads one byte from
//  `release`.
static int s_started [2];
static int s_release [2];
static int s_atexit_pipe [2];
static const char *s_greeting = "inherited";

static void
s_atexit_marker (void)
{
    if (getpid () != s_main_pid)
        (void) !write (s_atexit_pipe [1], "x", 1);
}

//  Tasks take an int64 input; these values ask for a behaviour, any other
//  is squared.
enum {
    S_BLOCK = -1,        //  Report the pid, wait for a release byte
    S_FAIL = -2,         //  Fail with a message
    S_KILL_SELF = -3,    //  SIGKILL itself
    S_SEGFAULT = -4,     //  Die of SIGSEGV
    S_EXIT_7 = -5,       //  exit (7)
    S_CRASH_ONCE = -6,   //  Die the first time only (a marker file)
    S_PID = -7,          //  Return the worker's pid
    S_ADD = -8,          //  Add 1 to the owner's counter "adds"
    S_STATE = -9,        //  Return the worker state set by init
    S_BLOCK_HARD = -10,  //  As S_BLOCK, ignoring SIGTERM, never released
    S_PARENT = -11,      //  Return the worker's parent: its fork server
    S_LOCK_EXIT = -12,   //  Take the owner's lock "held", then pthread_exit
};

//  Chaos tasks take an input of S_CHAOS_BASE + index: they count each run
//  of index in a shared file of counters, then do what s_chaos_plan says.
#define S_CHAOS_BASE  1000000000
#define S_CHAOS_TASKS 1000
typedef enum { S_CHAOS_OK, S_CHAOS_SEGFAULT, S_CHAOS_EXIT, S_CHAOS_HANG } s_chaos_t;
static char s_counters_path [300];

//  Set in main before the fork server starts, so workers see it.
static char s_crash_marker [300];

//  5% segfaults, 2% exits, 1% hangs, spread over the indexes.
static s_chaos_t
s_chaos_plan (int64_t index)
{
    int64_t spread = (index * 37) % 100;
    return spread < 5 ? S_CHAOS_SEGFAULT
        : spread < 7  ? S_CHAOS_EXIT
        : spread < 8  ? S_CHAOS_HANG
                      : S_CHAOS_OK;
}

static _Atomic uint32_t *
s_counters_map (void)
{
    int fd = open (s_counters_path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    void *map =
        mmap (NULL, S_CHAOS_TASKS * sizeof (uint32_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close (fd);
    return map == MAP_FAILED ? NULL : map;
}

static int
s_chaos_task (zown_task_t *task, int64_t index)
{
    //  Mapped once per worker process (each is a fresh fork).
    static _Atomic uint32_t *counters;
    if (!counters && !(counters = s_counters_map ()))
        return zown_task_fail (task, "no counters");
    atomic_fetch_add (&counters [index], 1);
    switch (s_chaos_plan (index)) {
        case S_CHAOS_SEGFAULT:
            signal (SIGSEGV, SIG_DFL);
            raise (SIGSEGV);
            break;
        case S_CHAOS_EXIT:
            _exit (3);
        case S_CHAOS_HANG:
            while (true)
                pause ();
        case S_CHAOS_OK:
            break;
    }
    return zown_task_return_int64 (task, index);
}

static void
s_block_until_released (void)
{
    int32_t pid = getpid ();
    (void) !write (s_started [1], &pid, sizeof (pid));
    char byte;
    while (read (s_release [0], &byte, 1) < 0 && errno == EINTR)
        ;
}

static int
s_task (zown_worker_t *worker, zown_task_t *task)
{
    int64_t input;
    if (zown_task_int64 (task, &input))
        return zown_task_fail (task, "not an int64");
    switch (input) {
        case S_BLOCK:
            s_block_until_released ();
            return zown_task_return_int64 (task, 0);
        case S_BLOCK_HARD:
            signal (SIGTERM, SIG_IGN);
            s_block_until_released ();
            while (true)
                pause ();
        case S_FAIL:
            return zown_task_fail (task, "no good: %d", 42);
        case S_KILL_SELF:
            kill (getpid (), SIGKILL);
            break;
        case S_SEGFAULT:
            signal (SIGSEGV, SIG_DFL);  //  Not a sanitizer's handler
            raise (SIGSEGV);
            break;
        case S_EXIT_7:
            _exit (7);
        case S_CRASH_ONCE: {
            int marker = open (s_crash_marker, O_CREAT | O_EXCL | O_WRONLY, 0600);
            if (marker >= 0)
                kill (getpid (), SIGKILL);
            return zown_task_return_int64 (task, 1);
        }
        case S_PID:
            return zown_task_return_int64 (task, getpid ());
        case S_PARENT:
            return zown_task_return_int64 (task, getppid ());
        case S_ADD: {
            zown_value_t *adds = zown_value_new (zown_worker_client (worker), "adds");
            int rc = zown_value_add (adds, 1, NULL);
            zown_value_destroy (&adds);
            return rc ? zown_task_fail (task, "add: %s", zown_strerror (zown_errno ())) : 0;
        }
        case S_STATE:
            return zown_task_return_string (task, zown_worker_state (worker));
        case S_LOCK_EXIT: {
            //  The handle is only memory: the lock stays held by the session.
            zown_lock_t *lock = zown_lock_new (zown_worker_client (worker), "held");
            int rc = zown_lock_acquire (lock, 0, NULL);
            zown_lock_destroy (&lock);
            if (rc == 0)
                pthread_exit (NULL);
            return zown_task_fail (task, "lock: %s", zown_strerror (zown_errno ()));
        }
        default:
            if (input >= S_CHAOS_BASE && input < S_CHAOS_BASE + S_CHAOS_TASKS)
                return s_chaos_task (task, input - S_CHAOS_BASE);
            return zown_task_return_int64 (task, input * input);
    }
    return zown_task_fail (task, "still alive");
}

static zown_pool_config_t
s_config (zown_pool_mode_t mode, size_t workers)
{
    zown_pool_config_t config = {
        .mode = mode, .workers = workers, .task = s_task, .spawner = s_spawner
    };
    return config;
}

static zown_pool_t *
s_pool (const zown_pool_config_t *config)
{
    zown_pool_t *pool = zown_pool_new (config);
    if (!pool)
        fail_msg ("pool: %s", zown_strerror (zown_errno ()));
    return pool;
}

static int64_t
s_int64 (zown_future_t *future)
{
    int64_t value = 0;
    assert_int_equal (zown_future_int64 (future, &value), 0);
    return value;
}

static zown_future_t *
s_submit (zown_pool_t *pool, int64_t value)
{
    zown_future_t *future = zown_pool_submit_int64 (pool, value);
    assert_non_null (future);
    return future;
}

static pid_t
s_await_started (void)
{
    int32_t pid;
    assert_int_equal (read (s_started [0], &pid, sizeof (pid)), sizeof (pid));
    return pid;
}

static void
s_release_one (void)
{
    assert_int_equal (write (s_release [1], "r", 1), 1);
}

static void
s_map_10000 (zown_pool_mode_t mode)
{
    zown_pool_config_t config = s_config (mode, 3);
    zown_pool_t *pool = s_pool (&config);
    enum { COUNT = 10000 };
    int64_t *values = malloc (COUNT * sizeof (int64_t));
    zown_bytes_t *inputs = malloc (COUNT * sizeof (zown_bytes_t));
    zown_future_t **futures = malloc (COUNT * sizeof (zown_future_t *));
    for (int64_t index = 0; index < COUNT; index++) {
        values [index] = index;
        inputs [index] = (zown_bytes_t){ &values [index], sizeof (int64_t) };
    }
    assert_int_equal (zown_pool_map (pool, inputs, COUNT, futures), 0);
    for (int64_t index = 0; index < COUNT; index++) {
        assert_int_equal (s_int64 (futures [index]), index * index);
        assert_true (zown_future_worker (futures [index]) > 0);
        if (mode == ZOWN_POOL_PROCESSES)
            assert_int_not_equal (zown_future_worker (futures [index]), getpid ());
        zown_future_destroy (&futures [index]);
    }
    zown_pool_stats_t stats;
    zown_pool_stats (pool, &stats);
    assert_int_equal (stats.submitted, COUNT);
    assert_int_equal (stats.completed, COUNT);
    assert_int_equal (stats.failed, 0);
    assert_int_equal (stats.workers_started, 3);
    assert_int_equal (zown_pool_join (pool, ZOWN_FOREVER), 0);
    zown_pool_destroy (&pool);
    assert_null (pool);
    free (values);
    free (inputs);
    free (futures);
}

static void
test_map_10000_processes (void **state)
{
    (void) state;
    s_map_10000 (ZOWN_POOL_PROCESSES);
}

static void
test_map_10000_threads (void **state)
{
    (void) state;
    s_map_10000 (ZOWN_POOL_THREADS);
}

static void
s_collect (void *arg, size_t index, zown_future_t *future)
{
    int64_t *seen = arg;
    seen [index] += 1 + (zown_future_status (future) == ZOWN_OK ? 0 : 100);
}

static void
test_map_unordered_sees_each_once (void **state)
{
    (void) state;
    zown_pool_config_t config = s_config (ZOWN_POOL_THREADS, 2);
    config.max_pending = 16;  //  Callbacks run while inputs are still submitted
    zown_pool_t *pool = s_pool (&config);
    enum { COUNT = 1000 };
    int64_t values [COUNT], seen [COUNT] = { 0 };
    zown_bytes_t inputs [COUNT];
    for (int index = 0; index < COUNT; index++) {
        values [index] = index == 500 ? S_FAIL : index;
        inputs [index] = (zown_bytes_t){ &values [index], sizeof (int64_t) };
    }
    assert_int_equal (zown_pool_map_unordered (pool, inputs, COUNT, s_collect, seen), -1);
    assert_int_equal (zown_errno (), ZOWN_TASK_FAILED);
    for (int index = 0; index < COUNT; index++)
        assert_int_equal (seen [index], index == 500 ? 101 : 1);
    zown_pool_destroy (&pool);
}

static void
test_futures_and_failures (void **state)
{
    (void) state;
    zown_pool_config_t config = s_config (ZOWN_POOL_PROCESSES, 2);
    zown_pool_t *pool = s_pool (&config);
    zown_future_t *square = s_submit (pool, 12);
    zown_future_t *failing = s_submit (pool, S_FAIL);
    zown_future_t *text = zown_pool_submit_string (pool, "a string");
    assert_int_equal (zown_future_wait (square, ZOWN_FOREVER), 0);
    assert_int_equal (s_int64 (square), 144);
    assert_string_equal (zown_future_error (square), "");
    assert_int_equal (zown_future_wait (failing, ZOWN_FOREVER), -1);
    assert_int_equal (zown_errno (), ZOWN_TASK_FAILED);
    assert_int_equal (zown_future_status (failing), ZOWN_TASK_FAILED);
    assert_string_equal (zown_future_error (failing), "task failed: no good: 42");
    assert_null (zown_future_data (failing, NULL));
    assert_int_equal (zown_future_wait (text, ZOWN_FOREVER), -1);
    assert_string_equal (zown_future_error (text), "task failed: not an int64");
    assert_null (zown_pool_submit (pool, NULL, 3));
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    zown_future_destroy (&square);
    zown_future_destroy (&failing);
    zown_future_destroy (&text);
    zown_future_destroy (&text);
    assert_int_equal (zown_pool_join (pool, ZOWN_FOREVER), 0);
    assert_null (zown_pool_submit_int64 (pool, 1));
    assert_int_equal (zown_errno (), ZOWN_CLOSED);
    zown_pool_destroy (&pool);
    zown_pool_destroy (&pool);
}

static void
s_expect_death (zown_future_t *future, int signal_number, int exit_code, const char *text)
{
    assert_int_equal (zown_future_wait (future, ZOWN_FOREVER), -1);
    assert_int_equal (zown_errno (), ZOWN_WORKER_DIED);
    int status = zown_future_wait_status (future);
    if (signal_number) {
        assert_true (WIFSIGNALED (status));
        assert_int_equal (WTERMSIG (status), signal_number);
    } else {
        assert_true (WIFEXITED (status));
        assert_int_equal (WEXITSTATUS (status), exit_code);
    }
    if (!strstr (zown_future_error (future), text))
        fail_msg ("error '%s' lacks '%s'", zown_future_error (future), text);
}

//  Workers die three ways; each death is reported with its cause after
//  every retry, the other tasks complete, and the pool keeps its workers.
static void
test_crashing_tasks_reported (void **state)
{
    (void) state;
    zown_pool_config_t config = s_config (ZOWN_POOL_PROCESSES, 2);
    config.retries = 2;
    zown_pool_t *pool = s_pool (&config);
    zown_future_t *killed = s_submit (pool, S_KILL_SELF);
    zown_future_t *segfault = s_submit (pool, S_SEGFAULT);
    zown_future_t *exited = s_submit (pool, S_EXIT_7);
    zown_future_t *fine [20];
    for (int index = 0; index < 20; index++)
        fine [index] = s_submit (pool, index);
    s_expect_death (killed, SIGKILL, 0, "signal 9 (Killed), 3 attempts");
    s_expect_death (segfault, SIGSEGV, 0, "3 attempts");
    s_expect_death (exited, 0, 7, "exit 7, 3 attempts");
    for (int index = 0; index < 20; index++) {
        assert_int_equal (zown_future_wait (fine [index], ZOWN_FOREVER), 0);
        assert_int_equal (s_int64 (fine [index]), index * index);
        zown_future_destroy (&fine [index]);
    }
    zown_pool_stats_t stats;
    zown_pool_stats (pool, &stats);
    assert_int_equal (stats.workers_died, 9);
    assert_int_equal (stats.retried, 6);
    assert_int_equal (stats.workers_started, 2 + 9);
    assert_int_equal (zown_pool_join (pool, ZOWN_FOREVER), 0);
    zown_future_destroy (&killed);
    zown_future_destroy (&segfault);
    zown_future_destroy (&exited);
    zown_pool_destroy (&pool);
}

static void
test_crash_once_is_retried (void **state)
{
    (void) state;
    zown_pool_config_t config = s_config (ZOWN_POOL_PROCESSES, 1);
    config.retries = 1;
    zown_pool_t *pool = s_pool (&config);
    zown_future_t *future = s_submit (pool, S_CRASH_ONCE);
    assert_int_equal (zown_future_wait (future, ZOWN_FOREVER), 0);
    assert_int_equal (s_int64 (future), 1);
    zown_pool_stats_t stats;
    zown_pool_stats (pool, &stats);
    assert_int_equal (stats.retried, 1);
    assert_int_equal (stats.workers_died, 1);
    zown_future_destroy (&future);
    zown_pool_destroy (&pool);
    unlink (s_crash_marker);
}

//  A worker SIGKILLed from outside while it runs a task: the task is
//  retried on its replacement, then fails with the signal once retries are
//  spent. Tasks queued behind it run elsewhere.
static void
test_worker_killed_mid_task (void **state)
{
    (void) state;
    zown_pool_config_t config = s_config (ZOWN_POOL_PROCESSES, 2);
    config.retries = 1;
    zown_pool_t *pool = s_pool (&config);
    zown_future_t *blocked = s_submit (pool, S_BLOCK);
    pid_t first = s_await_started ();
    assert_int_equal (kill (first, SIGKILL), 0);
    pid_t second = s_await_started ();
    assert_int_not_equal (first, second);
    assert_int_equal (kill (second, SIGKILL), 0);
    s_expect_death (blocked, SIGKILL, 0, "2 attempts");
    zown_future_t *after = s_submit (pool, 9);
    assert_int_equal (zown_future_wait (after, ZOWN_FOREVER), 0);
    assert_int_equal (s_int64 (after), 81);
    zown_future_destroy (&after);
    zown_future_destroy (&blocked);
    assert_int_equal (zown_pool_join (pool, ZOWN_FOREVER), 0);
    zown_pool_destroy (&pool);
}

static void
s_task_timeout (zown_pool_mode_t mode)
{
    zown_pool_config_t config = s_config (mode, 2);
    config.task_timeout_ms = 1000;
    zown_pool_t *pool = s_pool (&config);
    zown_future_t *late = s_submit (pool, S_BLOCK);
    pid_t worker = s_await_started ();
    //  Opened while the worker is certainly alive (blocked in its task), so
    //  that its death is seen whenever it comes.
    int pidfd = -1;
    if (mode == ZOWN_POOL_PROCESSES) {
        pidfd = pidfd_open (worker, 0);
        if (pidfd < 0)
            fail_msg ("pidfd_open (%d): %s", (int) worker, strerror (errno));
    }
    zown_future_t *quick [10];
    for (int index = 0; index < 10; index++)
        quick [index] = s_submit (pool, index);
    assert_int_equal (zown_future_wait (late, ZOWN_FOREVER), -1);
    assert_int_equal (zown_errno (), ZOWN_TIMEOUT);
    assert_string_equal (zown_future_error (late), "task ran over its 1000 ms");
    if (mode == ZOWN_POOL_PROCESSES) {
        //  The worker was killed, not left running. It is killed as its
        //  task fails, so it is gone in milliseconds; the 10 s bound only
        //  turns a worker left running into a failure instead of a hang.
        struct pollfd gone = { .fd = pidfd, .events = POLLIN };
        assert_int_equal (poll (&gone, 1, 10000), 1);
        close (pidfd);
    } else
        s_release_one ();  //  The abandoned thread finishes, and frees itself
    for (int index = 0; index < 10; index++) {
        assert_int_equal (zown_future_wait (quick [index], ZOWN_FOREVER), 0);
        assert_int_equal (s_int64 (quick [index]), index * index);
        zown_future_destroy (&quick [index]);
    }
    zown_pool_stats_t stats;
    zown_pool_stats (pool, &stats);
    assert_int_equal (stats.timed_out, 1);
    assert_int_equal (stats.workers_started, 3);
    zown_future_destroy (&late);
    assert_int_equal (zown_pool_join (pool, ZOWN_FOREVER), 0);
    zown_pool_destroy (&pool);
}

static void
test_task_timeout_processes (void **state)
{
    (void) state;
    s_task_timeout (ZOWN_POOL_PROCESSES);
}

static void
test_task_timeout_threads (void **state)
{
    (void) state;
    s_task_timeout (ZOWN_POOL_THREADS);
}

static void
test_workers_recycled (void **state)
{
    (void) state;
    zown_pool_config_t config = s_config (ZOWN_POOL_PROCESSES, 2);
    config.max_tasks_per_worker = 5;
    zown_pool_t *pool = s_pool (&config);
    enum { COUNT = 50 };
    int64_t pid_input = S_PID;
    zown_bytes_t inputs [COUNT];
    zown_future_t *futures [COUNT];
    for (int index = 0; index < COUNT; index++)
        inputs [index] = (zown_bytes_t){ &pid_input, sizeof (pid_input) };
    assert_int_equal (zown_pool_map (pool, inputs, COUNT, futures), 0);
    //  Every pid ran at most 5 tasks, so at least 10 different ones.
    int64_t pids [COUNT];
    int uses [COUNT] = { 0 }, distinct = 0;
    for (int index = 0; index < COUNT; index++) {
        int64_t pid = s_int64 (futures [index]);
        assert_int_equal (pid, zown_future_worker (futures [index]));
        int at = 0;
        while (at < distinct && pids [at] != pid)
            at++;
        if (at == distinct)
            pids [distinct++] = pid;
        assert_true (++uses [at] <= 5);
        zown_future_destroy (&futures [index]);
    }
    assert_true (distinct >= 10);
    zown_pool_stats_t stats;
    zown_pool_stats (pool, &stats);
    assert_int_equal (stats.workers_died, 0);
    assert_true (stats.workers_recycled >= 8);
    assert_int_equal (zown_pool_join (pool, ZOWN_FOREVER), 0);
    zown_pool_destroy (&pool);
}

static void
test_reject_when_full (void **state)
{
    (void) state;
    zown_pool_config_t config = s_config (ZOWN_POOL_THREADS, 1);
    config.max_pending = 2;
    config.reject_when_full = true;
    zown_pool_t *pool = s_pool (&config);
    zown_future_t *first = s_submit (pool, S_BLOCK);
    zown_future_t *second = s_submit (pool, S_BLOCK);
    assert_null (zown_pool_submit_int64 (pool, 3));
    assert_int_equal (zown_errno (), ZOWN_BUSY);
    assert_int_equal (zown_future_wait (first, 0), -1);
    assert_int_equal (zown_errno (), ZOWN_BUSY);
    s_await_started ();
    s_release_one ();
    s_await_started ();
    s_release_one ();
    assert_int_equal (zown_future_wait (first, ZOWN_FOREVER), 0);
    assert_int_equal (zown_future_wait (second, ZOWN_FOREVER), 0);
    zown_future_t *third = s_submit (pool, 3);
    assert_int_equal (zown_future_wait (third, ZOWN_FOREVER), 0);
    zown_future_destroy (&first);
    zown_future_destroy (&second);
    zown_future_destroy (&third);
    zown_pool_destroy (&pool);
}

static int
s_init (zown_worker_t *worker)
{
    size_t size;
    const char *args = zown_worker_args (worker, &size);
    char *state = malloc (64);
    if (state)
        snprintf (state, 64, "%s/%zu/%zu", args, size, zown_worker_index (worker));
    zown_worker_set_state (worker, state);
    return state ? 0 : -1;
}

static void
s_fini (zown_worker_t *worker)
{
    free (zown_worker_state (worker));
}

static int
s_init_refuses (zown_worker_t *worker)
{
    (void) worker;
    return -1;
}

static void
s_init_args (zown_pool_mode_t mode, const char *args, size_t size, const char *expected)
{
    zown_pool_config_t config = s_config (mode, 1);
    config.init = s_init;
    config.fini = s_fini;
    config.args = args;
    config.args_size = size;
    zown_pool_t *pool = s_pool (&config);
    zown_future_t *future = s_submit (pool, S_STATE);
    assert_int_equal (zown_future_wait (future, ZOWN_FOREVER), 0);
    assert_string_equal (zown_future_string (future), expected);
    zown_future_destroy (&future);
    assert_int_equal (zown_pool_join (pool, ZOWN_FOREVER), 0);
    zown_pool_destroy (&pool);
}

static void
test_init_args_and_state (void **state)
{
    (void) state;
    char copied [] = "copied";
    s_init_args (ZOWN_POOL_PROCESSES, copied, sizeof (copied), "copied/7/0");
    s_init_args (ZOWN_POOL_THREADS, copied, sizeof (copied), "copied/7/0");
    //  Passed as a pointer: it existed before the fork server.
    s_init_args (ZOWN_POOL_PROCESSES, s_greeting, 0, "inherited/0/0");

    zown_pool_config_t config = s_config (ZOWN_POOL_PROCESSES, 2);
    config.init = s_init_refuses;
    zown_pool_t *pool = s_pool (&config);
    zown_future_t *future = s_submit (pool, 1);
    assert_int_equal (zown_future_wait (future, ZOWN_FOREVER), -1);
    assert_int_equal (zown_errno (), ZOWN_WORKER_DIED);
    assert_string_equal (zown_future_error (future), "no worker could start");
    zown_future_destroy (&future);
    assert_int_equal (zown_pool_join (pool, ZOWN_FOREVER), 0);
    zown_pool_destroy (&pool);
}

//  The classic recipe: workers x increments, counted by the owner.
static void
s_shared_counter (zown_pool_mode_t mode)
{
    zown_owner_t *owner = testutil_owner ();
    zown_pool_config_t config = s_config (mode, 5);
    config.owner = mode == ZOWN_POOL_PROCESSES ? zown_owner_ipc (owner) : zown_owner_inproc (owner);
    zown_pool_t *pool = s_pool (&config);
    enum { COUNT = 1000 };
    int64_t add = S_ADD;
    zown_bytes_t inputs [COUNT];
    for (int index = 0; index < COUNT; index++)
        inputs [index] = (zown_bytes_t){ &add, sizeof (add) };
    zown_future_t *futures [COUNT];
    assert_int_equal (zown_pool_map (pool, inputs, COUNT, futures), 0);
    for (int index = 0; index < COUNT; index++)
        zown_future_destroy (&futures [index]);
    assert_int_equal (zown_pool_join (pool, ZOWN_FOREVER), 0);
    zown_pool_destroy (&pool);
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_value_t *adds = zown_value_new (client, "adds");
    int64_t total;
    assert_int_equal (zown_value_get (adds, &total), 0);
    assert_int_equal (total, COUNT);
    zown_value_destroy (&adds);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

static void
test_shared_counter_processes (void **state)
{
    (void) state;
    s_shared_counter (ZOWN_POOL_PROCESSES);
}

static void
test_shared_counter_threads (void **state)
{
    (void) state;
    s_shared_counter (ZOWN_POOL_THREADS);
}

//  How long a stop may take past stop_timeout_ms: the pool's grace for the
//  exit reports of workers it SIGKILLed (S_KILL_GRACE in
//  runtime/workers/pool_actor.c; docs/INTERNALS.md, "Stopping"), after
//  which the stop is reported regardless.
#define S_STOP_GRACE_MS 2000

//  terminate gives a stuck worker stop_timeout_ms, never less, and returns
//  at most the kill grace later.
static void
s_expect_stop_time (int64_t elapsed, int stop_timeout_ms)
{
    if (elapsed < stop_timeout_ms || elapsed > stop_timeout_ms + S_STOP_GRACE_MS)
        fail_msg ("terminate took %lld ms with a stop timeout of %d ms", (long long) elapsed,
                  stop_timeout_ms);
}

//  terminate with a worker that ignores SIGTERM: SIGKILL after the stop
//  deadline, and the call returns.
static void
test_terminate_stuck_worker (void **state)
{
    (void) state;
    zown_pool_config_t config = s_config (ZOWN_POOL_PROCESSES, 1);
    config.stop_timeout_ms = 300;
    zown_pool_t *pool = s_pool (&config);
    zown_future_t *stuck = s_submit (pool, S_BLOCK_HARD);
    zown_future_t *queued = s_submit (pool, 2);
    pid_t worker = s_await_started ();
    s_release_one ();  //  It now pauses for ever, ignoring SIGTERM
    int pidfd = pidfd_open (worker, 0);
    assert_true (pidfd >= 0);
    int64_t started = testutil_now_ms ();
    zown_pool_terminate (pool);
    int64_t elapsed = testutil_now_ms () - started;
    struct pollfd gone = { .fd = pidfd, .events = POLLIN };
    assert_int_equal (poll (&gone, 1, 0), 1);
    close (pidfd);
    assert_int_equal (zown_future_status (stuck), ZOWN_CLOSED);
    assert_int_equal (zown_future_status (queued), ZOWN_CLOSED);
    zown_pool_destroy (&pool);
    assert_int_equal (zown_future_wait (stuck, ZOWN_FOREVER), -1);
    assert_int_equal (zown_errno (), ZOWN_CLOSED);
    zown_future_destroy (&stuck);
    zown_future_destroy (&queued);
    s_expect_stop_time (elapsed, config.stop_timeout_ms);
}

static void
test_terminate_stuck_thread (void **state)
{
    (void) state;
    zown_pool_config_t config = s_config (ZOWN_POOL_THREADS, 1);
    config.stop_timeout_ms = 300;
    zown_pool_t *pool = s_pool (&config);
    zown_future_t *stuck = s_submit (pool, S_BLOCK);
    s_await_started ();
    //  A thread cannot be killed: it is abandoned once stop_timeout_ms has
    //  passed.
    int64_t started = testutil_now_ms ();
    zown_pool_terminate (pool);
    int64_t elapsed = testutil_now_ms () - started;
    zown_pool_destroy (&pool);
    s_release_one ();  //  The abandoned thread finishes on its own
    assert_int_equal (zown_future_status (stuck), ZOWN_CLOSED);
    zown_future_destroy (&stuck);
    //  Last, once nothing is left blocked for the next test to meet.
    s_expect_stop_time (elapsed, config.stop_timeout_ms);
}

static int
s_fd_count (void)
{
    DIR *dir = opendir ("/proc/self/fd");
    assert_non_null (dir);
    int count = 0;
    struct dirent *entry;
    while ((entry = readdir (dir)))
        count += entry->d_name [0] != '.';
    closedir (dir);
    return count - 1;  //  The directory's own
}

//  A closed ZeroMQ socket gives its descriptors back on libzmq's reaper
//  thread, a moment after zmq_close: the count comes down to `expected`
//  within 10 s unless descriptors leaked.
static void
s_await_fds (int expected)
{
    int64_t deadline = testutil_now_ms () + 10000;
    int count;
    while ((count = s_fd_count ()) > expected && testutil_now_ms () < deadline)
        sched_yield ();
    if (count > expected)
        fail_msg ("%d descriptors, %d before", count, expected);
}

//  A thread task that takes a lock and calls pthread_exit: its worker's
//  session ends with the thread (the lock comes back through its BYE, not
//  as a holder that died), its descriptors are closed, the task is
//  charged as a death, and a new thread takes the slot.
static void
test_thread_exit_ends_session (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_lock_t *lock = zown_lock_new (client, "held");
    int before = s_fd_count ();
    zown_pool_config_t config = s_config (ZOWN_POOL_THREADS, 1);
    config.owner = zown_owner_inproc (owner);
    zown_pool_t *pool = s_pool (&config);
    for (int round = 0; round < 5; round++) {
        zown_future_t *future = s_submit (pool, S_LOCK_EXIT);
        assert_int_equal (zown_future_wait (future, ZOWN_FOREVER), -1);
        assert_int_equal (zown_errno (), ZOWN_WORKER_DIED);
        if (!strstr (zown_future_error (future), "its thread ended in the task, 1 attempt"))
            fail_msg ("error '%s'", zown_future_error (future));
        zown_future_destroy (&future);
        //  The BYE came before the pool heard GONE; the wait covers a slow
        //  owner only.
        bool died = true;
        assert_int_equal (zown_lock_acquire (lock, 10000, &died), 0);
        assert_false (died);
        assert_int_equal (zown_lock_release (lock), 0);
    }
    zown_future_t *after = s_submit (pool, 7);
    assert_int_equal (zown_future_wait (after, ZOWN_FOREVER), 0);
    assert_int_equal (s_int64 (after), 49);
    zown_future_destroy (&after);
    zown_pool_stats_t stats;
    zown_pool_stats (pool, &stats);
    assert_int_equal (stats.workers_died, 5);
    assert_int_equal (stats.workers_started, 6);
    assert_int_equal (zown_pool_join (pool, ZOWN_FOREVER), 0);
    zown_pool_destroy (&pool);
    s_await_fds (before);
    zown_lock_destroy (&lock);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

//  Cancel with a task running, 15 held behind it by its worker (prefetch
//  16) and 5 queued: the running one finishes, the others are cancelled,
//  and the pool refuses more.
static void
s_cancel_running_finish (zown_pool_mode_t mode)
{
    zown_pool_config_t config = s_config (mode, 1);
    zown_pool_t *pool = s_pool (&config);
    zown_future_t *blocked = s_submit (pool, S_BLOCK), *quick [20];
    for (int index = 0; index < 20; index++)
        quick [index] = s_submit (pool, index);
    s_await_started ();
    zown_pool_cancel (pool);
    assert_null (zown_pool_submit_int64 (pool, 1));
    assert_int_equal (zown_errno (), ZOWN_CLOSED);
    //  Answered once the pool thread has seen the cancel: only then may
    //  the worker move on to the tasks it holds.
    zown_pool_stats_t stats;
    zown_pool_stats (pool, &stats);
    s_release_one ();
    assert_int_equal (zown_future_wait (blocked, ZOWN_FOREVER), 0);
    zown_future_destroy (&blocked);
    for (int index = 0; index < 20; index++) {
        assert_int_equal (zown_future_wait (quick [index], ZOWN_FOREVER), -1);
        assert_int_equal (zown_errno (), ZOWN_CANCELLED);
        assert_string_equal (zown_future_error (quick [index]), "pool cancelled");
        zown_future_destroy (&quick [index]);
    }
    assert_int_equal (zown_pool_join (pool, ZOWN_FOREVER), 0);
    zown_pool_stats (pool, &stats);
    assert_int_equal (stats.workers_died, 0);
    zown_pool_destroy (&pool);
}

static void
test_cancel_lets_running_finish (void **state)
{
    (void) state;
    s_cancel_running_finish (ZOWN_POOL_PROCESSES);
    s_cancel_running_finish (ZOWN_POOL_THREADS);
}

static zown_pool_t *s_cancel_target;

static void
s_cancel_on_signal (int signal_number)
{
    (void) signal_number;
    zown_pool_cancel (s_cancel_target);
}

//  Raises SIGUSR1 once both workers run their task.
static void *
s_interrupt_when_started (void *arg)
{
    (void) arg;
    s_await_started ();
    s_await_started ();
    kill (getpid (), SIGUSR1);
    return NULL;
}

//  A map cancelled from a signal handler while both workers run tasks
//  that never end: past stop_timeout_ms they are killed, and the map
//  returns with every task cancelled.
static void
test_cancel_map_from_signal_handler (void **state)
{
    (void) state;
    zown_pool_config_t config = s_config (ZOWN_POOL_PROCESSES, 2);
    config.prefetch = 1;
    config.stop_timeout_ms = 300;
    zown_pool_t *pool = s_pool (&config);
    s_cancel_target = pool;
    struct sigaction action = { .sa_handler = s_cancel_on_signal }, saved;
    sigemptyset (&action.sa_mask);
    assert_int_equal (sigaction (SIGUSR1, &action, &saved), 0);
    enum { COUNT = 30 };
    int64_t values [COUNT];
    zown_bytes_t inputs [COUNT];
    zown_future_t *futures [COUNT];
    for (int index = 0; index < COUNT; index++) {
        values [index] = index < 2 ? S_BLOCK : index;
        inputs [index] = (zown_bytes_t){ &values [index], sizeof (int64_t) };
    }
    pthread_t interrupter;
    assert_int_equal (pthread_create (&interrupter, NULL, s_interrupt_when_started, NULL), 0);
    assert_int_equal (zown_pool_map (pool, inputs, COUNT, futures), -1);
    assert_int_equal (zown_errno (), ZOWN_CANCELLED);
    pthread_join (interrupter, NULL);
    for (int index = 0; index < COUNT; index++) {
        assert_int_equal (zown_future_status (futures [index]), ZOWN_CANCELLED);
        zown_future_destroy (&futures [index]);
    }
    assert_int_equal (zown_pool_map (pool, inputs, COUNT, futures), -1);
    assert_int_equal (zown_errno (), ZOWN_CLOSED);
    sigaction (SIGUSR1, &saved, NULL);
    zown_pool_destroy (&pool);
}

//  A stop timeout that terminate must not wait for when workers are gone.
#define S_STOP_TIMEOUT 30000

//  Run in a child of the test's fork server, in a process group of its
//  own: a pool whose fork server and workers get SIGINT, as from Ctrl-C at a
//  terminal (how 0), or whose fork server is SIGKILLed (how 1). terminate
//  then returns without waiting for the stop timeout. Exits 0 if so.
static int
s_interrupted_pool (void *args, const void *payload, size_t size)
{
    (void) args;
    int how;
    if (size != sizeof (how))
        return 10;
    memcpy (&how, payload, sizeof (how));
    setpgid (0, 0);
    zown_spawner_t *spawner = zown_spawner_new ();
    //  As an application that reads SIGINT from a signalfd, blocked once
    //  its fork server has started: the server and workers keep the default.
    sigset_t interrupt;
    sigemptyset (&interrupt);
    sigaddset (&interrupt, SIGINT);
    sigprocmask (SIG_BLOCK, &interrupt, NULL);
    zown_pool_config_t config = {
        .workers = 2, .task = s_task, .spawner = spawner, .stop_timeout_ms = S_STOP_TIMEOUT
    };
    zown_pool_t *pool = spawner ? zown_pool_new (&config) : NULL;
    zown_future_t *future = pool ? zown_pool_submit_int64 (pool, S_PARENT) : NULL;
    int64_t server = 0;
    if (zown_future_wait (future, ZOWN_FOREVER) || zown_future_int64 (future, &server))
        return 11;
    zown_future_destroy (&future);
    kill (how == 0 ? 0 : (pid_t) server, how == 0 ? SIGINT : SIGKILL);
    int64_t started = testutil_now_ms ();
    zown_pool_terminate (pool);
    int64_t took = testutil_now_ms () - started;
    zown_pool_destroy (&pool);
    zown_spawner_destroy (&spawner);
    //  Workers that die at once stop in milliseconds: a tenth of the stop
    //  timeout proves that terminate did not wait for it.
    if (took >= S_STOP_TIMEOUT / 10) {
        fprintf (stderr, "terminate took %d ms\n", (int) took);
        return 12;
    }
    return 0;
}

static void
s_terminate_interrupted (int how)
{
    pid_t child = zown_spawner_spawn (s_spawner, s_interrupted_pool, NULL, &how, sizeof (how));
    assert_true (child > 0);
    pid_t pid;
    int status;
    assert_int_equal (zown_spawner_wait (s_spawner, ZOWN_FOREVER, &pid, &status), 0);
    assert_int_equal (pid, child);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
}

//  Ctrl-C reaches the fork server too: it ignores it, so that the exits of
//  the workers it kills are still reported.
static void
test_terminate_after_sigint (void **state)
{
    (void) state;
    s_terminate_interrupted (0);
}

//  A fork server that dies takes its workers with it and reports nothing:
//  the pool counts them gone.
static void
test_terminate_after_server_killed (void **state)
{
    (void) state;
    s_terminate_interrupted (1);
}

//  join waits for every task, then stops the workers cleanly (fini runs);
//  futures destroyed early are not waited for by the application.
static void
test_join_then_destroy (void **state)
{
    (void) state;
    zown_pool_config_t config = s_config (ZOWN_POOL_PROCESSES, 2);
    zown_pool_t *pool = s_pool (&config);
    for (int index = 0; index < 100; index++) {
        zown_future_t *future = s_submit (pool, index);
        zown_future_destroy (&future);
    }
    zown_future_t *blocked = s_submit (pool, S_BLOCK);
    s_await_started ();
    assert_int_equal (zown_pool_join (pool, 0), -1);
    assert_int_equal (zown_errno (), ZOWN_TIMEOUT);
    s_release_one ();
    assert_int_equal (zown_pool_join (pool, ZOWN_FOREVER), 0);
    assert_int_equal (zown_future_status (blocked), ZOWN_OK);
    zown_pool_stats_t stats;
    zown_pool_stats (pool, &stats);
    assert_int_equal (stats.completed, 101);
    assert_int_equal (stats.workers_died, 0);
    zown_pool_destroy (&pool);
    zown_future_destroy (&blocked);
}

//  Workers that segfault, exit and hang among many tasks, with the default
//  prefetch: every task completes; a task that succeeded ran once, however
//  its neighbours on the same worker died; a crashing one ran at most
//  1 + retries times; a hanging one once.
static void
test_chaos_runs_each_task_once (void **state)
{
    (void) state;
    int fd = open (s_counters_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true (fd >= 0);
    assert_int_equal (ftruncate (fd, S_CHAOS_TASKS * sizeof (uint32_t)), 0);
    close (fd);
    _Atomic uint32_t *counters = s_counters_map ();
    assert_non_null (counters);
    zown_pool_config_t config = s_config (ZOWN_POOL_PROCESSES, 4);
    config.retries = 1;
    //  A hang's limit; the other tasks take microseconds.
    config.task_timeout_ms = 1000;
    zown_pool_t *pool = s_pool (&config);
    int64_t *values = malloc (S_CHAOS_TASKS * sizeof (int64_t));
    zown_bytes_t *inputs = malloc (S_CHAOS_TASKS * sizeof (zown_bytes_t));
    zown_future_t **futures = malloc (S_CHAOS_TASKS * sizeof (zown_future_t *));
    for (int64_t index = 0; index < S_CHAOS_TASKS; index++) {
        values [index] = S_CHAOS_BASE + index;
        inputs [index] = (zown_bytes_t){ &values [index], sizeof (int64_t) };
    }
    assert_int_equal (zown_pool_map (pool, inputs, S_CHAOS_TASKS, futures), -1);
    int crashes = 0, exits = 0, hangs = 0, duplicates = 0;
    for (int64_t index = 0; index < S_CHAOS_TASKS; index++) {
        uint32_t runs = atomic_load (&counters [index]);
        int status = zown_future_status (futures [index]);
        switch (s_chaos_plan (index)) {
            case S_CHAOS_SEGFAULT:
            case S_CHAOS_EXIT:
                crashes += s_chaos_plan (index) == S_CHAOS_SEGFAULT;
                exits += s_chaos_plan (index) == S_CHAOS_EXIT;
                assert_int_equal (status, ZOWN_WORKER_DIED);
                assert_true (runs >= 1 && runs <= 1 + config.retries);
                break;
            case S_CHAOS_HANG:
                hangs++;
                assert_int_equal (status, ZOWN_TIMEOUT);
                assert_int_equal (runs, 1);
                break;
            case S_CHAOS_OK:
                duplicates += runs > 1;
                if (status != ZOWN_OK || runs != 1)
                    fprintf (stderr, "task %d: status %d, %u runs: %s\n", (int) index, status, runs,
                             zown_future_error (futures [index]));
                break;
        }
        zown_future_destroy (&futures [index]);
    }
    fprintf (stderr, "chaos: %d tasks, %d segfaulting, %d exiting, %d hanging, %d run twice\n",
             S_CHAOS_TASKS, crashes, exits, hangs, duplicates);
    assert_int_equal (duplicates, 0);
    for (int64_t index = 0; index < S_CHAOS_TASKS; index++)
        if (s_chaos_plan (index) == S_CHAOS_OK)
            assert_int_equal (atomic_load (&counters [index]), 1);
    zown_pool_destroy (&pool);
    munmap ((void *) counters, S_CHAOS_TASKS * sizeof (uint32_t));
    unlink (s_counters_path);
    free (values);
    free (inputs);
    free (futures);
}

static void
test_progress_line_text (void **state)
{
    (void) state;
    char line [200];
    zown_progress_counts_t counts = {
        .done = 500, .total = 2000, .failed = 2, .total_final = true
    };
    zown_progress_format (line, sizeof (line), "pool", "tasks", &counts, 10000);
    assert_string_equal (line, "pool: 500 of 2000 tasks done, 50 tasks/s, 2 failed, 0:30 left");
    //  Still pushing: no time left to tell.
    counts.total_final = false;
    zown_progress_format (line, sizeof (line), "wc", "items", &counts, 10000);
    assert_string_equal (line, "wc: 500 of 2000 items done, 50 items/s, 2 failed");
    counts = (zown_progress_counts_t){ .done = 7446, .total = 7446, .total_final = true };
    zown_progress_format (line, sizeof (line), "pool", "tasks", &counts, 3723000);
    assert_string_equal (line, "pool: 7446 of 7446 tasks done, 2 tasks/s, 0 failed, took 1:02:03");
    //  Nothing done yet: no pace to tell the time left by.
    counts = (zown_progress_counts_t){ .total = 10, .total_final = true };
    zown_progress_format (line, sizeof (line), "pool", "tasks", &counts, 0);
    assert_string_equal (line, "pool: 0 of 10 tasks done, 0 tasks/s, 0 failed");
    assert_int_equal (zown_progress_format (line, 8, "pool", "tasks", &counts, 0), 7);
    assert_string_equal (line, "pool: 0");
}

//  Runs a map of 10 inputs, one failing, with stderr sent to a file, and
//  returns what was written there (the caller frees it).
static char *
s_map_stderr (zown_progress_mode_t mode, bool unordered)
{
    zown_pool_config_t config = s_config (ZOWN_POOL_THREADS, 2);
    zown_pool_t *pool = s_pool (&config);
    assert_int_equal (zown_pool_set_progress (pool, mode), 0);
    enum { COUNT = 10 };
    int64_t values [COUNT], seen [COUNT] = { 0 };
    zown_bytes_t inputs [COUNT];
    zown_future_t *futures [COUNT];
    for (int index = 0; index < COUNT; index++) {
        values [index] = index == 3 ? S_FAIL : index;
        inputs [index] = (zown_bytes_t){ &values [index], sizeof (int64_t) };
    }
    FILE *file = tmpfile ();
    assert_non_null (file);
    fflush (stderr);
    int saved = dup (STDERR_FILENO);
    assert_true (saved >= 0);
    assert_int_equal (dup2 (fileno (file), STDERR_FILENO), STDERR_FILENO);
    int rc = unordered ? zown_pool_map_unordered (pool, inputs, COUNT, s_collect, seen)
                       : zown_pool_map (pool, inputs, COUNT, futures);
    int status = zown_errno ();
    assert_int_equal (dup2 (saved, STDERR_FILENO), STDERR_FILENO);
    close (saved);
    assert_int_equal (rc, -1);
    assert_int_equal (status, ZOWN_TASK_FAILED);
    for (int index = 0; index < COUNT && !unordered; index++)
        zown_future_destroy (&futures [index]);
    zown_pool_destroy (&pool);
    long size = ftell (file);
    char *text = calloc (1, (size_t) size + 1);
    rewind (file);
    assert_int_equal (fread (text, 1, (size_t) size, file), (size_t) size);
    fclose (file);
    return text;
}

static void
s_expect_last_line (const char *text)
{
    //  Lines redrawn in place, then the last one, ended by a newline.
    const char *last = strrchr (text, '\r');
    assert_non_null (last);
    assert_ptr_equal (strchr (text, '\n'), text + strlen (text) - 1);
    assert_memory_equal (last, "\rpool: 10 of 10 tasks done, ", 28);
    assert_non_null (strstr (last, " tasks/s, 1 failed, took "));
}

static void
test_progress_forced_on (void **state)
{
    (void) state;
    char *text = s_map_stderr (ZOWN_PROGRESS_ON, false);
    s_expect_last_line (text);
    free (text);
    text = s_map_stderr (ZOWN_PROGRESS_ON, true);
    s_expect_last_line (text);
    free (text);
}

static void
test_progress_off_unless_a_terminal (void **state)
{
    (void) state;
    //  stderr is a file here: the default draws nothing.
    char *text = s_map_stderr (ZOWN_PROGRESS_AUTO, false);
    assert_string_equal (text, "");
    free (text);
    text = s_map_stderr (ZOWN_PROGRESS_OFF, true);
    assert_string_equal (text, "");
    free (text);
    zown_pool_config_t config = s_config (ZOWN_POOL_THREADS, 1);
    zown_pool_t *pool = s_pool (&config);
    assert_int_equal (zown_pool_set_progress (pool, (zown_progress_mode_t) 7), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_int_equal (zown_pool_set_progress (NULL, ZOWN_PROGRESS_OFF), -1);
    zown_pool_destroy (&pool);
}

static void
test_bad_config (void **state)
{
    (void) state;
    assert_null (zown_pool_new (NULL));
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    zown_pool_config_t config = s_config (ZOWN_POOL_PROCESSES, 1);
    config.task = NULL;
    assert_null (zown_pool_new (&config));
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    config = s_config (ZOWN_POOL_PROCESSES, 1);
    config.spawner = NULL;  //  The pool would start its own: too late here
    assert_null (zown_pool_new (&config));
    assert_int_equal (zown_errno (), ZOWN_THREADED);
}

int
main (void)
{
    s_main_pid = getpid ();
    if (pipe2 (s_started, O_CLOEXEC) || pipe2 (s_release, O_CLOEXEC)
        || pipe2 (s_atexit_pipe, O_NONBLOCK | O_CLOEXEC))
        return 1;
    atexit (s_atexit_marker);
    testutil_private_rundir ();
    snprintf (s_crash_marker, sizeof (s_crash_marker), "%s/crash-once", getenv ("ZOWN_RUNDIR"));
    snprintf (s_counters_path, sizeof (s_counters_path), "%s/chaos-runs", getenv ("ZOWN_RUNDIR"));
    s_spawner = zown_spawner_new ();
    if (!s_spawner) {
        fprintf (stderr, "spawner: %s\n", zown_strerror (zown_errno ()));
        return 1;
    }
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_map_10000_processes),
        cmocka_unit_test (test_map_10000_threads),
        cmocka_unit_test (test_map_unordered_sees_each_once),
        cmocka_unit_test (test_futures_and_failures),
        cmocka_unit_test (test_crashing_tasks_reported),
        cmocka_unit_test (test_crash_once_is_retried),
        cmocka_unit_test (test_worker_killed_mid_task),
        cmocka_unit_test (test_task_timeout_processes),
        cmocka_unit_test (test_task_timeout_threads),
        cmocka_unit_test (test_workers_recycled),
        cmocka_unit_test (test_reject_when_full),
        cmocka_unit_test (test_init_args_and_state),
        cmocka_unit_test (test_shared_counter_processes),
        cmocka_unit_test (test_shared_counter_threads),
        cmocka_unit_test (test_terminate_stuck_worker),
        cmocka_unit_test (test_terminate_stuck_thread),
        cmocka_unit_test (test_thread_exit_ends_session),
        cmocka_unit_test (test_cancel_lets_running_finish),
        cmocka_unit_test (test_cancel_map_from_signal_handler),
        cmocka_unit_test (test_terminate_after_sigint),
        cmocka_unit_test (test_terminate_after_server_killed),
        cmocka_unit_test (test_join_then_destroy),
        cmocka_unit_test (test_chaos_runs_each_task_once),
        cmocka_unit_test (test_bad_config),
        cmocka_unit_test (test_progress_line_text),
        cmocka_unit_test (test_progress_forced_on),
        cmocka_unit_test (test_progress_off_unless_a_terminal),
    };
    int failed = cmocka_run_group_tests (tests, NULL, NULL);
    zown_spawner_destroy (&s_spawner);
    char marker;
    if (read (s_atexit_pipe [0], &marker, 1) == 1) {
        fprintf (stderr, "an atexit handler ran in a worker\n");
        failed++;
    }
    return failed;
}
