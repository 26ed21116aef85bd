/*  =========================================================================
    durable_bench - write cost of an owner with a journal, per fsync mode,
    beside the same owner without one, in the same run

    Worker processes (forked, each with its own client, released together
    by a start gate) make VALUE_ADD writes over ipc to an owner in this
    process: 1 worker with one request in flight, 5 workers with one in
    flight each, and 5 workers pipelining with --window in flight each.
    Every (mode, pattern) cell runs --repeat times; rounds interleave the
    cells, and the table reports medians, the cost per request and the
    ratio to no persistence. The journal lives in --dir (default: a fresh
    directory under /tmp, on this machine's disk).

    Usage: durable_bench [--repeat R] [--ops N] [--pipelined N]
                         [--window W] [--dir DIR] [--quick]
    =========================================================================
*/
#define _GNU_SOURCE
#include <zown.h>
#include "benchutil.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define MODES    4
#define PATTERNS 3
#define WORKERS  5

static const char *s_mode_names [MODES] = { "none", "always", "everysec", "no" };
static const char *s_pattern_names [PATTERNS] = { "1 client", "5 clients", "5 clients pipelined" };

//  What every worker of a cell does.
typedef struct {
    const char *endpoint;
    long ops;    //  Writes per worker
    int window;  //  In flight per worker (1: round trips)
} s_job_t;

//  A worker's report.
typedef struct {
    long done;
    int64_t end_ns;
    char error [128];
} s_result_t;

//  One worker: its own client, never the parent's.
static int
s_worker (int index, void *args, const bench_worker_fds_t *fds)
{
    (void) index;
    const s_job_t *job = (const s_job_t *) args;
    s_result_t result = { 0, 0, "" };
    zown_client_t *client = zown_client_new (job->endpoint);
    zown_request_t *request = zown_request_new ();
    zown_datum_t one = zown_datum_int (1);
    bool ok = client && request && zown_client_set_window (client, 1000) == 0
        && zown_client_ping (client) == 0
        && zown_request_add (request, ZOWN_OP_VALUE_ADD, "counter", 1, &one) == 0;
    bench_worker_gate (fds, ok);
    if (!ok)
        snprintf (result.error, sizeof (result.error), "set-up: %s", zown_strerror (zown_errno ()));
    else if (job->window > 1)
        result.done = bench_zown_pipe (client, request, job->ops, job->window, result.error,
                                       sizeof (result.error));
    else
        for (; result.done < job->ops; result.done++)
            if (zown_client_call (client, request, NULL)) {
                snprintf (result.error, sizeof (result.error), "write %ld: %s", result.done,
                          zown_strerror (zown_errno ()));
                break;
            }
    result.end_ns = bench_now_ns ();
    zown_request_destroy (&request);
    zown_client_destroy (&client);
    return bench_write_all (fds->result, &result, sizeof (result)) || result.done < job->ops;
}

//  CPU time of this process (the owner thread, its libzmq I/O thread and
//  the journal's syncer: the workers are other processes), in us.
static double
s_cpu_us (void)
{
    struct rusage usage;
    getrusage (RUSAGE_SELF, &usage);
    return (double) (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e6
        + (double) (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

//  Writes per second of one cell, and the owner's CPU per write in
//  *cpu_p; -1 on failure.
static double
s_cell (const char *dir, int mode, int pattern, long ops, long pipelined_ops, int window,
        double *cpu_p)
{
    char journal [600];
    snprintf (journal, sizeof (journal), "%s/bench-%d-%d.log", dir, mode, pattern);
    zown_owner_options_t options = { .data = mode ? journal : NULL,
                                     .fsync = (zown_fsync_t) (mode ? mode - 1 : 0) };
    char name [64];
    snprintf (name, sizeof (name), "durable-bench-%d", (int) getpid ());
    zown_owner_t *owner = zown_owner_new_with (name, &options);
    if (!owner) {
        fprintf (stderr, "durable_bench: owner: %s\n", zown_strerror (zown_errno ()));
        return -1;
    }
    s_job_t job = { zown_owner_ipc (owner), pattern == 2 ? pipelined_ops : ops,
                    pattern == 2 ? window : 1 };
    int count = pattern ? WORKERS : 1;
    bench_fork_t workers;
    int64_t started = bench_fork_start (&workers, count, s_worker, &job);
    double cpu = s_cpu_us ();
    double rate = -1;
    if (started >= 0) {
        int64_t ended = started;
        long done = 0;
        for (int index = 0; index < count; index++) {
            s_result_t result;
            if (bench_read_all (workers.results [index], &result, sizeof (result)))
                continue;
            if (result.error [0])
                fprintf (stderr, "durable_bench: worker %d: %s\n", index, result.error);
            done += result.done;
            ended = result.end_ns > ended ? result.end_ns : ended;
        }
        *cpu_p = (s_cpu_us () - cpu) / (double) (done ? done : 1);
        if (bench_fork_reap (&workers) == 0 && workers.ready && done == count * job.ops)
            rate = (double) done / ((double) (ended - started) / 1e9);
    }
    zown_owner_destroy (&owner);
    char other [700];
    unlink (journal);
    snprintf (other, sizeof (other), "%s.snap", journal);
    unlink (other);
    snprintf (other, sizeof (other), "%s.lock", journal);
    unlink (other);
    return rate;
}

//  The median of a cell's values, and the median of its ratios to the
//  base cell's values of the same rounds.
static void
s_summary (const double *cell, const double *base, int repeat, double *median_p, double *ratio_p)
{
    double sorted [100], ratios [100];  //  bench_median sorts; repeat <= 100
    for (int round = 0; round < repeat; round++) {
        sorted [round] = cell [round];
        ratios [round] = cell [round] / base [round];
    }
    *median_p = bench_median (sorted, repeat);
    *ratio_p = bench_median (ratios, repeat);
}

static void
s_usage (FILE *out)
{
    fprintf (out,
             "usage: durable_bench [--repeat R] [--ops N] [--pipelined N] [--window W] "
             "[--dir DIR] [--quick]\n");
}

int
main (int argc, char *argv [])
{
    long repeat = 5, ops = 2000, pipelined_ops = 40000, window = 100;
    const char *dir = NULL;
    for (int arg = 1; arg < argc; arg++) {
        if (!strcmp (argv [arg], "--repeat"))
            repeat = bench_arg_long (argc, argv, &arg, "durable_bench", s_usage);
        else if (!strcmp (argv [arg], "--ops"))
            ops = bench_arg_long (argc, argv, &arg, "durable_bench", s_usage);
        else if (!strcmp (argv [arg], "--pipelined"))
            pipelined_ops = bench_arg_long (argc, argv, &arg, "durable_bench", s_usage);
        else if (!strcmp (argv [arg], "--window"))
            window = bench_arg_long (argc, argv, &arg, "durable_bench", s_usage);
        else if (!strcmp (argv [arg], "--dir") && arg + 1 < argc)
            dir = argv [++arg];
        else if (!strcmp (argv [arg], "--quick")) {
            repeat = 1;
            ops = 100;
            pipelined_ops = 2000;
        } else {
            s_usage (stderr);
            return 2;
        }
    }
    if (repeat > 100 || window > 500)
        return 2;
    char made [] = "/tmp/zown-durable-bench-XXXXXX";
    if (!dir && !(dir = mkdtemp (made))) {
        perror ("durable_bench: mkdtemp");
        return 1;
    }
    char rundir [512];
    if (bench_rundir (rundir, sizeof (rundir), "durable")) {
        perror ("durable_bench: run directory");
        return 1;
    }
    double *rates = calloc ((size_t) (MODES * PATTERNS * repeat), sizeof (double));
    double *cpus = calloc ((size_t) (MODES * PATTERNS * repeat), sizeof (double));
    //  Rounds interleave the cells, so that a noisy moment hits them all.
    for (int round = 0; round < repeat; round++)
        for (int pattern = 0; pattern < PATTERNS; pattern++)
            for (int mode = 0; mode < MODES; mode++) {
                size_t at = (size_t) ((mode * PATTERNS + pattern) * repeat + round);
                double rate =
                    s_cell (dir, mode, pattern, ops, pipelined_ops, (int) window, &cpus [at]);
                if (rate < 0)
                    return 1;
                rates [at] = rate;
                printf ("{\"bench\":\"durable\",\"fsync\":\"%s\",\"pattern\":\"%s\","
                        "\"ops_per_s\":%.1f,\"owner_cpu_us\":%.3f}\n",
                        s_mode_names [mode], s_pattern_names [pattern], rate, cpus [at]);
            }
    //  Ratios are taken inside each round, where the cells ran back to back,
    //  then their median: the machine's load changes less within a round.
    printf ("\n| pattern | fsync | writes/s | ratio to none | owner CPU us per write | ratio to "
            "none |\n|---|---|--:|--:|--:|--:|\n");
    for (int pattern = 0; pattern < PATTERNS; pattern++)
        for (int mode = 0; mode < MODES; mode++) {
            size_t base = (size_t) (pattern * repeat);
            size_t cell = (size_t) ((mode * PATTERNS + pattern) * repeat);
            double rate, rate_ratio, cpu, cpu_ratio;
            s_summary (rates + cell, rates + base, (int) repeat, &rate, &rate_ratio);
            s_summary (cpus + cell, cpus + base, (int) repeat, &cpu, &cpu_ratio);
            printf ("| %s | %s | %.0f | %.3f | %.2f | %.3f |\n", s_pattern_names [pattern],
                    s_mode_names [mode], rate, rate_ratio, cpu, cpu_ratio);
        }
    struct rusage usage;
    getrusage (RUSAGE_SELF, &usage);
    printf ("\nmedians of %ld interleaved runs; per worker %ld round trips or %ld pipelined "
            "writes (window %ld); journal in %s; peak RSS of the owner's process %ld KiB\n",
            repeat, ops, pipelined_ops, window, dir, usage.ru_maxrss);
    free (rates);
    free (cpus);
    if (dir == made)
        rmdir (made);
    bench_remove_tree (rundir);
    return 0;
}
