/*  =========================================================================
    pool_bench - zown_pool_map throughput, for comparison with Python's
    multiprocessing Pool.map (bench/mp_baseline.py --pool)

    Workloads, each over N int64 inputs 0..N-1:
      empty      the task returns its input
      sleep1ms   the task sleeps 1 ms (clock_nanosleep to an absolute
                 CLOCK_MONOTONIC deadline, as Python's time.sleep does on
                 Linux), then returns its input
    with W workers, as forked processes (through the pool's fork server)
    and optionally as threads, at one or more prefetch depths (default:
    the pool's default, 16).

    Each cell run is a fresh process forked from this single-threaded
    main: it starts the pool, warms it (maps of 4 x W tasks until every
    worker has run one; at most 10 s), then times one zown_pool_map of N
    inputs, from the call to its return, and checks every result. Worker
    start-up is not timed, as in the Python baseline (startup_ms is the
    time from zown_pool_new to the end of the warm-up). Its peak RSS
    figures are
    getrusage ru_maxrss of that process after the pool is destroyed:
    RUSAGE_SELF is the process that calls the pool (application thread,
    pool thread, libzmq I/O threads; thread workers too), RUSAGE_CHILDREN
    the largest of the fork server and the worker processes (the server
    reaps the workers, this process reaps the server).

    Usage: pool_bench [--workers 1,2,4] [--workloads empty,sleep1ms]
                      [--mode processes,threads] [--prefetch LIST]
                      [--tasks N] [--sleep-tasks N] [--repeat R]
                      [--first-run K] [--json] [--quick]
    =========================================================================
*/
#define _POSIX_C_SOURCE 200809L
#include <zown.h>
#include "benchutil.h"
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_LIST            16  //  Entries of a --workers or --prefetch list
#define MAX_WORKERS         64
#define DEFAULT_TASKS       20000
#define DEFAULT_SLEEP_TASKS 2000
#define WARM_FACTOR         4  //  Warm-up maps have WARM_FACTOR x W tasks
//  A worker that has run no task this long after the pool started fails
//  the cell. Generous: on a loaded machine a start can take a while.
#define WARM_TIMEOUT_MS 10000
#define JOIN_TIMEOUT_MS 10000

typedef enum { WL_EMPTY, WL_SLEEP1MS, WL_COUNT } workload_t;
static const char *s_wl_name [WL_COUNT] = { "empty", "sleep1ms" };

static const char *s_mode_name [] = { "processes", "threads" };

typedef struct {
    int workers [MAX_LIST];
    int worker_counts;
    int prefetch [MAX_LIST];
    int prefetch_counts;
    bool workloads [WL_COUNT];
    bool modes [2];
    long tasks [WL_COUNT];
    int repeat;
    int first_run;
    bool json;
    bool quick;
    char rundir [64];
} options_t;

static options_t s_opt;

//  What a cell runner sends back to main.
typedef struct {
    int failed;
    char error [256];
    double seconds;
    int warm_rounds;
    double startup_ms;  //  From zown_pool_new to the end of the warm-up
    long rss_self_kb;
    long rss_children_kb;
} cell_result_t;

//  --------------------------------------------------------------------------
//  Tasks. A negative input is a warm-up task: it does the same work and
//  returns the worker's slot, so the runner can see every worker has run.

static void
s_sleep_1ms (void)
{
    struct timespec deadline;
    clock_gettime (CLOCK_MONOTONIC, &deadline);
    deadline.tv_nsec += 1000000;
    if (deadline.tv_nsec >= 1000000000) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000;
    }
    while (clock_nanosleep (CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL) == EINTR)
        ;
}

static int
s_finish (zown_worker_t *worker, zown_task_t *task, int64_t input)
{
    if (input < 0)
        return zown_task_return_int64 (task, (int64_t) zown_worker_index (worker));
    return zown_task_return_int64 (task, input);
}

static int
s_task_empty (zown_worker_t *worker, zown_task_t *task)
{
    int64_t input;
    if (zown_task_int64 (task, &input))
        return zown_task_fail (task, "not an int64");
    return s_finish (worker, task, input);
}

static int
s_task_sleep1ms (zown_worker_t *worker, zown_task_t *task)
{
    int64_t input;
    if (zown_task_int64 (task, &input))
        return zown_task_fail (task, "not an int64");
    s_sleep_1ms ();
    return s_finish (worker, task, input);
}

//  --------------------------------------------------------------------------
//  One cell run, in a forked runner process

#define s_cell_fail(result, ...)                                                                   \
    bench_fail (&(result)->failed, (result)->error, sizeof ((result)->error), __VA_ARGS__)

//  Warm-up maps until every worker has run a task; returns the rounds.
static int
s_warm (zown_pool_t *pool, int workers, cell_result_t *result)
{
    size_t count = (size_t) (WARM_FACTOR * workers);
    int64_t warm = -1;
    int64_t deadline = bench_now_ns () + (int64_t) WARM_TIMEOUT_MS * 1000000;
    zown_bytes_t inputs [WARM_FACTOR * MAX_WORKERS];
    zown_future_t *futures [WARM_FACTOR * MAX_WORKERS];
    bool seen [MAX_WORKERS] = { false };
    int seen_count = 0;
    for (size_t index = 0; index < count; index++)
        inputs [index] = (zown_bytes_t){ &warm, sizeof (warm) };
    int round;
    for (round = 1; seen_count < workers && bench_now_ns () < deadline; round++) {
        if (zown_pool_map (pool, inputs, count, futures))
            s_cell_fail (result, "warm-up map: %s", zown_strerror (zown_errno ()));
        for (size_t index = 0; index < count; index++) {
            int64_t slot = -1;
            zown_future_int64 (futures [index], &slot);
            if (slot >= 0 && slot < workers && !seen [slot]) {
                seen [slot] = true;
                seen_count++;
            }
            zown_future_destroy (&futures [index]);
        }
        if (result->failed)
            return round;
    }
    if (seen_count < workers)
        s_cell_fail (result, "warm-up: %d of %d workers ran a task in %d ms (%d maps)", seen_count,
                     workers, WARM_TIMEOUT_MS, round - 1);
    return round - 1;
}

static void
s_run_cell (zown_pool_mode_t mode, int workers, workload_t wl, int prefetch, cell_result_t *result)
{
    size_t count = (size_t) s_opt.tasks [wl];
    int64_t *values = malloc (count * sizeof (int64_t));
    zown_bytes_t *inputs = malloc (count * sizeof (zown_bytes_t));
    zown_future_t **futures = calloc (count, sizeof (zown_future_t *));
    //  No spawner given: the pool starts its own fork server, which is
    //  allowed because this runner is still single-threaded here.
    zown_pool_config_t config = { .mode = mode,
                                  .workers = (size_t) workers,
                                  .task = wl == WL_EMPTY ? s_task_empty : s_task_sleep1ms,
                                  .prefetch = (size_t) prefetch };
    zown_pool_t *pool = NULL;
    int64_t created = bench_now_ns ();
    if (!values || !inputs || !futures)
        s_cell_fail (result, "no memory for %zu inputs", count);
    else if (!(pool = zown_pool_new (&config)))
        s_cell_fail (result, "pool: %s", zown_strerror (zown_errno ()));
    else
        result->warm_rounds = s_warm (pool, workers, result);
    result->startup_ms = (double) (bench_now_ns () - created) / 1e6;
    if (!result->failed) {
        //  The inputs are laid out before the clock starts, as Python's
        //  range() is made before its map is called.
        for (size_t index = 0; index < count; index++) {
            values [index] = (int64_t) index;
            inputs [index] = (zown_bytes_t){ &values [index], sizeof (int64_t) };
        }
        int64_t started = bench_now_ns ();
        int rc = zown_pool_map (pool, inputs, count, futures);
        result->seconds = (double) (bench_now_ns () - started) / 1e9;
        if (rc)
            s_cell_fail (result, "map: %s", zown_strerror (zown_errno ()));
        for (size_t index = 0; index < count; index++) {
            int64_t value = -1;
            if (zown_future_int64 (futures [index], &value) || value != (int64_t) index)
                s_cell_fail (result, "input %zu: result %lld, %s", index, (long long) value,
                             zown_future_error (futures [index]));
            zown_future_destroy (&futures [index]);
        }
        zown_pool_stats_t stats;
        zown_pool_stats (pool, &stats);
        if (stats.failed || stats.workers_died || stats.retried || stats.timed_out)
            s_cell_fail (result,
                         "pool stats: %llu failed, %llu workers died, %llu retried, %llu timed out",
                         (unsigned long long) stats.failed, (unsigned long long) stats.workers_died,
                         (unsigned long long) stats.retried, (unsigned long long) stats.timed_out);
        if (zown_pool_join (pool, JOIN_TIMEOUT_MS))
            s_cell_fail (result, "join: %s", zown_strerror (zown_errno ()));
    }
    //  Destroying the pool stops its fork server and waits for it, so the
    //  workers' peaks reach RUSAGE_CHILDREN.
    zown_pool_destroy (&pool);
    free (values);
    free (inputs);
    free (futures);
    struct rusage self, children;
    getrusage (RUSAGE_SELF, &self);
    getrusage (RUSAGE_CHILDREN, &children);
    result->rss_self_kb = self.ru_maxrss;
    result->rss_children_kb = children.ru_maxrss;
}

//  Forks a runner for one cell run and waits for its result.
static cell_result_t
s_fork_cell (zown_pool_mode_t mode, int workers, workload_t wl, int prefetch)
{
    cell_result_t result = { 0 };
    int channel [2];
    if (pipe (channel)) {
        s_cell_fail (&result, "pipe: %s", strerror (errno));
        return result;
    }
    fflush (stdout);
    fflush (stderr);
    pid_t pid = fork ();
    if (pid < 0) {
        s_cell_fail (&result, "fork: %s", strerror (errno));
        close (channel [0]);
        close (channel [1]);
        return result;
    }
    if (pid == 0) {
        close (channel [0]);
        s_run_cell (mode, workers, wl, prefetch, &result);
        _exit (bench_write_all (channel [1], &result, sizeof (result)) ? 1 : 0);
    }
    close (channel [1]);
    if (bench_read_all (channel [0], &result, sizeof (result)))
        s_cell_fail (&result, "cell runner died without a result");
    close (channel [0]);
    int status;
    while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED (status) || WEXITSTATUS (status))
        s_cell_fail (&result, "cell runner exited with status 0x%x", status);
    return result;
}

//  --------------------------------------------------------------------------
//  Options

static void
s_usage (FILE *out)
{
    fprintf (out,
             "usage: pool_bench [options]\n"
             "  --workers LIST    worker counts (default 1,2,4)\n"
             "  --workloads LIST  of empty,sleep1ms (default both)\n"
             "  --mode LIST       of processes,threads (default both)\n"
             "  --prefetch LIST   tasks held per worker (default: the pool's default, 16)\n"
             "  --tasks N         inputs of an empty map (default %d)\n"
             "  --sleep-tasks N   inputs of a sleep1ms map (default %d)\n"
             "  --repeat R        runs of every cell (default 1)\n"
             "  --first-run K     number the runs from K (for callers that interleave\n"
             "                    rounds of this and the Python baseline; default 1)\n"
             "  --json            JSON lines on stdout, one per cell and run\n"
             "  --quick           smoke test: 200 and 20 inputs\n",
             DEFAULT_TASKS, DEFAULT_SLEEP_TASKS);
}

static long
s_parse_long (const char *text, const char *option, long max)
{
    char *end;
    errno = 0;
    long value = strtol (text ? text : "", &end, 10);
    if (!text || errno || *end || value < 1 || value > max) {
        fprintf (stderr, "pool_bench: %s needs an integer from 1 to %ld\n", option, max);
        exit (2);
    }
    return value;
}

//  A comma-separated list of positive integers up to max; returns its size.
static int
s_parse_list (const char *text, const char *option, long max, int *list)
{
    char *copy = strdup (text ? text : "");
    char *save = NULL;
    int count = 0;
    for (char *item = strtok_r (copy, ",", &save); item; item = strtok_r (NULL, ",", &save)) {
        if (count == MAX_LIST) {
            fprintf (stderr, "pool_bench: %s takes at most %d values\n", option, MAX_LIST);
            exit (2);
        }
        list [count++] = (int) s_parse_long (item, option, max);
    }
    free (copy);
    if (!count) {
        fprintf (stderr, "pool_bench: %s needs a list like 1,2,4\n", option);
        exit (2);
    }
    return count;
}

//  A comma-separated list of names, each one of `count` choices.
static void
s_parse_names (const char *text, const char *option, const char **names, int count, bool *chosen)
{
    char *copy = strdup (text ? text : "");
    char *save = NULL;
    for (int index = 0; index < count; index++)
        chosen [index] = false;
    for (char *item = strtok_r (copy, ",", &save); item; item = strtok_r (NULL, ",", &save)) {
        int index = 0;
        while (index < count && strcmp (item, names [index]))
            index++;
        if (index == count) {
            fprintf (stderr, "pool_bench: %s: unknown '%s'\n", option, item);
            exit (2);
        }
        chosen [index] = true;
    }
    free (copy);
}

static void
s_parse (int argc, char *argv [])
{
    s_opt.worker_counts = s_parse_list ("1,2,4", "--workers", MAX_WORKERS, s_opt.workers);
    s_opt.prefetch_counts = 1;
    s_opt.prefetch [0] = ZOWN_POOL_PREFETCH_DEFAULT;
    s_opt.workloads [WL_EMPTY] = s_opt.workloads [WL_SLEEP1MS] = true;
    s_opt.modes [ZOWN_POOL_PROCESSES] = s_opt.modes [ZOWN_POOL_THREADS] = true;
    s_opt.repeat = 1;
    s_opt.first_run = 1;
    long tasks = 0, sleep_tasks = 0;
    for (int index = 1; index < argc; index++) {
        const char *arg = argv [index];
        const char *next = index + 1 < argc ? argv [index + 1] : NULL;
        if (!strcmp (arg, "--workers"))
            s_opt.worker_counts = s_parse_list (next, arg, MAX_WORKERS, s_opt.workers), index++;
        else if (!strcmp (arg, "--prefetch"))
            s_opt.prefetch_counts = s_parse_list (next, arg, 4096, s_opt.prefetch), index++;
        else if (!strcmp (arg, "--workloads"))
            s_parse_names (next, arg, s_wl_name, WL_COUNT, s_opt.workloads), index++;
        else if (!strcmp (arg, "--mode"))
            s_parse_names (next, arg, s_mode_name, 2, s_opt.modes), index++;
        else if (!strcmp (arg, "--tasks"))
            tasks = s_parse_long (next, arg, 100000000), index++;
        else if (!strcmp (arg, "--sleep-tasks"))
            sleep_tasks = s_parse_long (next, arg, 100000000), index++;
        else if (!strcmp (arg, "--repeat"))
            s_opt.repeat = (int) s_parse_long (next, arg, 1000), index++;
        else if (!strcmp (arg, "--first-run"))
            s_opt.first_run = (int) s_parse_long (next, arg, 1000000), index++;
        else if (!strcmp (arg, "--json"))
            s_opt.json = true;
        else if (!strcmp (arg, "--quick"))
            s_opt.quick = true;
        else if (!strcmp (arg, "--help") || !strcmp (arg, "-h")) {
            s_usage (stdout);
            exit (0);
        } else {
            s_usage (stderr);
            exit (2);
        }
    }
    s_opt.tasks [WL_EMPTY] = tasks ? tasks : s_opt.quick ? 200 : DEFAULT_TASKS;
    s_opt.tasks [WL_SLEEP1MS] = sleep_tasks ? sleep_tasks : s_opt.quick ? 20 : DEFAULT_SLEEP_TASKS;
}

//  --------------------------------------------------------------------------
//  Reporting

static void
s_print_run (zown_pool_mode_t mode, int workers, workload_t wl, int prefetch, int run,
             const cell_result_t *result)
{
    long tasks = s_opt.tasks [wl];
    double rate = (double) tasks / result->seconds;
    if (s_opt.json)
        printf ("{\"kind\":\"cell\",\"impl\":\"zown\",\"workload\":\"%s\",\"mode\":\"%s\","
                "\"workers\":%d,\"prefetch\":%d,\"run\":%d,\"ops\":%ld,\"seconds\":%.6f,"
                "\"ops_per_s\":%.1f,\"warm_rounds\":%d,\"startup_ms\":%.1f,\"peak_rss_kb\":%ld,"
                "\"children_peak_rss_kb\":%ld,\"rss_source\":\"getrusage ru_maxrss in a "
                "per-cell runner after the pool is destroyed: RUSAGE_SELF = the process that "
                "calls the pool (plus thread workers); RUSAGE_CHILDREN = the largest of the "
                "fork server and the worker processes\",\"verified\":true}\n",
                s_wl_name [wl], s_mode_name [mode], workers, prefetch, run, tasks, result->seconds,
                rate, result->warm_rounds, result->startup_ms, result->rss_self_kb,
                result->rss_children_kb);
    else
        printf ("%-9s %3d %8s %8d %4d %9ld %9.3f %11.0f %9ld %9ld\n", s_mode_name [mode], workers,
                s_wl_name [wl], prefetch, run, tasks, result->seconds, rate, result->rss_self_kb,
                result->rss_children_kb);
    fflush (stdout);
}

//  Tasks/s of each run, for the text summary's medians.
static double *s_rates;

static double *
s_rates_of (int mode, int wi, int wl, int pi)
{
    return s_rates + (((mode * MAX_LIST + wi) * WL_COUNT + wl) * MAX_LIST + pi) * s_opt.repeat;
}

int
main (int argc, char *argv [])
{
    s_parse (argc, argv);
    //  A private run directory for the pools' ipc sockets.
    if (bench_rundir (s_opt.rundir, sizeof (s_opt.rundir), "pool-bench")) {
        fprintf (stderr, "pool_bench: mkdtemp: %s\n", strerror (errno));
        return 1;
    }
    if (!s_opt.json)
        printf ("pool_bench: zown_pool_map of %ld empty / %ld sleep1ms tasks, %d run(s); "
                "rss in KiB\n%-9s %3s %8s %8s %4s %9s %9s %11s %9s %9s\n",
                s_opt.tasks [WL_EMPTY], s_opt.tasks [WL_SLEEP1MS], s_opt.repeat, "mode", "W",
                "workload", "prefetch", "run", "tasks", "seconds", "tasks/s", "self", "children");
    s_rates = calloc ((size_t) 2 * MAX_LIST * WL_COUNT * MAX_LIST * (size_t) s_opt.repeat,
                      sizeof (double));
    if (!s_rates) {
        fprintf (stderr, "pool_bench: no memory\n");
        return 1;
    }
    int failed = 0;
    //  Modes and workloads side by side within a run, so that drift of a
    //  noisy machine hits them alike.
    for (int run = 0; run < s_opt.repeat && !failed; run++)
        for (int wi = 0; wi < s_opt.worker_counts && !failed; wi++)
            for (int wl = 0; wl < WL_COUNT && !failed; wl++)
                for (int mode = 0; mode < 2 && !failed; mode++)
                    for (int pi = 0; pi < s_opt.prefetch_counts && !failed; pi++) {
                        if (!s_opt.workloads [wl] || !s_opt.modes [mode])
                            continue;
                        cell_result_t result =
                            s_fork_cell ((zown_pool_mode_t) mode, s_opt.workers [wi],
                                         (workload_t) wl, s_opt.prefetch [pi]);
                        if (result.failed) {
                            fprintf (stderr, "pool_bench: FAILED: %s W=%d %s prefetch %d: %s\n",
                                     s_mode_name [mode], s_opt.workers [wi], s_wl_name [wl],
                                     s_opt.prefetch [pi], result.error);
                            failed = 1;
                            break;
                        }
                        s_print_run ((zown_pool_mode_t) mode, s_opt.workers [wi], (workload_t) wl,
                                     s_opt.prefetch [pi], s_opt.first_run + run, &result);
                        s_rates_of (mode, wi, wl, pi) [run] =
                            (double) s_opt.tasks [wl] / result.seconds;
                    }
    if (!s_opt.json && !failed) {
        printf ("\nMedian tasks/s over %d run(s)\n%-9s %3s %8s %8s %11s\n", s_opt.repeat, "mode",
                "W", "workload", "prefetch", "tasks/s");
        for (int mode = 0; mode < 2; mode++)
            for (int wi = 0; wi < s_opt.worker_counts; wi++)
                for (int wl = 0; wl < WL_COUNT; wl++)
                    for (int pi = 0; pi < s_opt.prefetch_counts; pi++)
                        if (s_opt.workloads [wl] && s_opt.modes [mode])
                            printf ("%-9s %3d %8s %8d %11.0f\n", s_mode_name [mode],
                                    s_opt.workers [wi], s_wl_name [wl], s_opt.prefetch [pi],
                                    bench_median (s_rates_of (mode, wi, wl, pi), s_opt.repeat));
    }
    free (s_rates);
    bench_remove_tree (s_opt.rundir);
    return failed;
}
