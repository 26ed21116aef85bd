/*  =========================================================================
    dict_bench - what one op and one dict entry cost the owner process

    Starts `zown serve` (up to three binaries, in alternation, so that one
    run compares builds) and measures, against it over ipc:
      batch_add   W forked workers, 100-op VALUE_ADD batches, 4 in flight
      batch_set   the same with DICT_SET, each worker on its own 100 keys
      memory      one client sets N keys of 16 bytes to 16-byte values
                  (100-op DICT_SET batches, 4 in flight)
    For the batch cells: ops/s and the serve process's CPU per op (its
    threads' run time from /proc, so libzmq's I/O thread counts too); for
    memory: the serve process's RSS growth per entry. Each serve is stopped
    after its round, so every round starts from a fresh owner.

    Usage: dict_bench --zown PATH [--zown PATH]... [--workers W] [--batches B]
                      [--entries N] [--repeat R] [--cell NAME]
    =========================================================================
*/
#define _POSIX_C_SOURCE 200809L
#include <zown.h>
#include "benchutil.h"
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define BATCH    100  //  Ops per request
#define INFLIGHT 4    //  Requests in flight per client
#define BUILDS   3    //  Most serve binaries compared
#define ROUNDS   64   //  Most rounds

typedef enum { CELL_ADD, CELL_SET, CELL_MEMORY, CELL_COUNT } cell_t;
static const char *s_cell_name [CELL_COUNT] = { "batch_add", "batch_set", "memory" };

static const char *s_program = "dict_bench";
static const char *s_zown [BUILDS];
static int s_builds;
static int s_workers = 5;
static long s_batches = 2000;
static long s_entries = 1000000;
static int s_repeat = 5;
static int s_only = -1;
static char s_rundir [256];

//  A running `zown serve`: its pid and ipc endpoint.
typedef struct {
    pid_t pid;
    char endpoint [512];
} serve_t;

static serve_t s_serve;

static void
s_usage (FILE *out)
{
    fprintf (out,
             "usage: dict_bench --zown PATH [--zown PATH]... [--workers W] [--batches B]\n"
             "                  [--entries N] [--repeat R] [--cell batch_add|batch_set|"
             "memory]\n");
}

static void
s_serve_stop (void)
{
    if (s_serve.pid > 0) {
        kill (s_serve.pid, SIGTERM);
        waitpid (s_serve.pid, NULL, 0);
        s_serve.pid = 0;
    }
}

static void
s_cleanup (void)
{
    s_serve_stop ();
    if (s_rundir [0])
        bench_remove_tree (s_rundir);
}

//  Start `path serve` and read its ipc endpoint, the first line it prints.
static void
s_serve_start (const char *path)
{
    int out [2];
    if (pipe (out))
        bench_die (s_program, s_cleanup, "pipe: %s", strerror (errno));
    pid_t pid = fork ();
    if (pid < 0)
        bench_die (s_program, s_cleanup, "fork: %s", strerror (errno));
    if (pid == 0) {
        dup2 (out [1], STDOUT_FILENO);
        close (out [0]);
        close (out [1]);
        execl (path, path, "serve", "--name", "dictbench", (char *) NULL);
        _exit (127);
    }
    close (out [1]);
    s_serve.pid = pid;
    FILE *lines = fdopen (out [0], "r");
    if (!lines || !fgets (s_serve.endpoint, sizeof (s_serve.endpoint), lines))
        bench_die (s_program, s_cleanup, "%s serve printed no endpoint", path);
    s_serve.endpoint [strcspn (s_serve.endpoint, "\n")] = 0;
    fclose (lines);
}

//  The serve process's CPU time so far, in seconds: the sum of its
//  threads' run time in ns (/proc schedstat), finer than clock ticks.
static double
s_serve_cpu (void)
{
    char path [300];
    snprintf (path, sizeof (path), "/proc/%d/task", (int) s_serve.pid);
    DIR *tasks = opendir (path);
    if (!tasks)
        bench_die (s_program, s_cleanup, "cannot read %s", path);
    double total = 0;
    for (struct dirent *task; (task = readdir (tasks));) {
        if (task->d_name [0] == '.')
            continue;
        snprintf (path, sizeof (path), "/proc/%d/task/%s/schedstat", (int) s_serve.pid,
                  task->d_name);
        FILE *file = fopen (path, "r");
        unsigned long long ns = 0;
        if (file && fscanf (file, "%llu", &ns) == 1)
            total += (double) ns / 1e9;
        if (file)
            fclose (file);
    }
    closedir (tasks);
    return total;
}

//  The serve process's resident set, in kB.
static long
s_serve_rss_kb (void)
{
    char path [64], line [256];
    snprintf (path, sizeof (path), "/proc/%d/status", (int) s_serve.pid);
    FILE *file = fopen (path, "r");
    long rss = -1;
    while (file && fgets (line, sizeof (line), file))
        if (sscanf (line, "VmRSS: %ld", &rss) == 1)
            break;
    if (file)
        fclose (file);
    if (rss < 0)
        bench_die (s_program, s_cleanup, "cannot read %s", path);
    return rss;
}

//  --------------------------------------------------------------------------
//  Clients

//  The 16-byte key or value number `index` of client `wid`.
static void
s_bytes16 (char *target, char kind, int wid, long index)
{
    char text [32];
    snprintf (text, sizeof (text), "%c%02d-%012ld", kind, wid % 100, index);
    memcpy (target, text, 16);
}

//  Fill request with the batch number `batch` of this cell.
static int
s_fill (zown_request_t *request, cell_t cell, int wid, long batch)
{
    zown_request_reset (request);
    char name [32];
    snprintf (name, sizeof (name), cell == CELL_ADD ? "counter-%d" : "dict-%d", wid);
    for (long index = 0; index < BATCH; index++) {
        if (cell == CELL_ADD) {
            zown_datum_t one = zown_datum_int (1);
            if (zown_request_add (request, ZOWN_OP_VALUE_ADD, name, 1, &one))
                return -1;
            continue;
        }
        long item = cell == CELL_MEMORY ? batch * BATCH + index : index;
        char key [16], value [16];
        s_bytes16 (key, 'k', wid, item);
        s_bytes16 (value, 'v', wid, item + batch);
        zown_datum_t args [2] = { zown_datum_bytes (key, 16), zown_datum_bytes (value, 16) };
        if (zown_request_add (request, ZOWN_OP_DICT_SET, name, 2, args))
            return -1;
    }
    return 0;
}

//  Send `batches` batches of the cell, INFLIGHT at a time, and check that
//  every one succeeded. 0, or -1 with a message in error.
static int
s_client_run (zown_client_t *client, cell_t cell, int wid, long batches, char *error, size_t size)
{
    zown_request_t *request = zown_request_new ();
    long sent = 0, received = 0;
    while (request && received < batches) {
        if (sent < batches && zown_client_pending (client) < INFLIGHT) {
            if (s_fill (request, cell, wid, sent) || zown_client_send (client, request, NULL))
                break;
            sent++;
            continue;
        }
        zown_reply_t *reply;
        if (zown_client_recv (client, &reply) || zown_reply_status (reply) != ZOWN_OK
            || zown_reply_results (reply) != BATCH)
            break;
        received++;
    }
    zown_request_destroy (&request);
    if (received < batches)
        snprintf (error, size, "batch %ld: %s", received, zown_strerror (zown_errno ()));
    return received < batches ? -1 : 0;
}

static int
s_worker (int index, void *args, const bench_worker_fds_t *fds)
{
    cell_t cell = *(cell_t *) args;
    char error [200] = "";
    zown_client_t *client = zown_client_new (s_serve.endpoint);
    bool ok = client && zown_client_ping (client) == 0;
    bench_worker_gate (fds, ok);
    int failed = !ok || s_client_run (client, cell, index, s_batches, error, sizeof (error));
    if (failed)
        fprintf (stderr, "%s: worker %d: %s\n", s_program, index, error);
    zown_client_destroy (&client);
    return failed;
}

//  One round of a batch cell: ops/s and the owner's CPU µs per op.
static void
s_batch_round (cell_t cell, double *rate, double *cpu_us)
{
    bench_fork_t fork_set;
    double cpu_before = s_serve_cpu ();
    int64_t started = bench_fork_start (&fork_set, s_workers, s_worker, &cell);
    if (started < 0 || !fork_set.ready)
        bench_die (s_program, s_cleanup, "workers could not start");
    if (bench_fork_reap (&fork_set))
        bench_die (s_program, s_cleanup, "a worker failed");
    double seconds = (double) (bench_now_ns () - started) / 1e9;
    double ops = (double) s_workers * (double) s_batches * BATCH;
    *rate = ops / seconds;
    *cpu_us = (s_serve_cpu () - cpu_before) * 1e6 / ops;
}

//  One round of the memory cell: RSS growth per entry, in bytes.
static double
s_memory_round (void)
{
    zown_client_t *client = zown_client_new (s_serve.endpoint);
    char error [200] = "";
    if (!client || zown_client_ping (client))
        bench_die (s_program, s_cleanup, "cannot reach the owner");
    long before = s_serve_rss_kb ();
    if (s_client_run (client, CELL_MEMORY, 0, s_entries / BATCH, error, sizeof (error)))
        bench_die (s_program, s_cleanup, "memory: %s", error);
    long after = s_serve_rss_kb ();
    zown_client_destroy (&client);
    return (double) (after - before) * 1024.0 / (double) (s_entries / BATCH * BATCH);
}

//  --------------------------------------------------------------------------

static void
s_parse (int argc, char *argv [])
{
    for (int index = 1; index < argc; index++) {
        const char *arg = argv [index];
        if (!strcmp (arg, "--zown") && index + 1 < argc && s_builds < BUILDS)
            s_zown [s_builds++] = argv [++index];
        else if (!strcmp (arg, "--workers"))
            s_workers = (int) bench_arg_long (argc, argv, &index, s_program, s_usage);
        else if (!strcmp (arg, "--batches"))
            s_batches = bench_arg_long (argc, argv, &index, s_program, s_usage);
        else if (!strcmp (arg, "--entries"))
            s_entries = bench_arg_long (argc, argv, &index, s_program, s_usage);
        else if (!strcmp (arg, "--repeat"))
            s_repeat = (int) bench_arg_long (argc, argv, &index, s_program, s_usage);
        else if (!strcmp (arg, "--cell") && index + 1 < argc) {
            index++;
            for (int cell = 0; cell < CELL_COUNT; cell++)
                if (!strcmp (argv [index], s_cell_name [cell]))
                    s_only = cell;
            if (s_only < 0) {
                s_usage (stderr);
                exit (2);
            }
        } else {
            s_usage (stderr);
            exit (2);
        }
    }
    if (!s_builds || s_workers > BENCH_FORK_MAX || s_repeat > ROUNDS || s_entries < BATCH) {
        s_usage (stderr);
        exit (2);
    }
}

int
main (int argc, char *argv [])
{
    s_parse (argc, argv);
    signal (SIGPIPE, SIG_IGN);
    if (bench_rundir (s_rundir, sizeof (s_rundir), "dictbench"))
        bench_die (s_program, NULL, "rundir: %s", strerror (errno));
    //  figures [build][cell][round]; CELL_COUNT more for the CPU per op.
    static double figures [BUILDS][CELL_COUNT * 2][ROUNDS];
    for (int round = 0; round < s_repeat; round++)
        for (int build = 0; build < s_builds; build++) {
            s_serve_start (s_zown [build]);
            for (int cell = 0; cell < CELL_COUNT; cell++) {
                if (s_only >= 0 && cell != s_only)
                    continue;
                if (cell == CELL_MEMORY)
                    figures [build][cell][round] = s_memory_round ();
                else
                    s_batch_round ((cell_t) cell, &figures [build][cell][round],
                                   &figures [build][CELL_COUNT + cell][round]);
            }
            s_serve_stop ();
        }
    printf ("| serve | cell | median | unit | owner CPU µs/op |\n|---|---|--:|---|--:|\n");
    for (int build = 0; build < s_builds; build++)
        for (int cell = 0; cell < CELL_COUNT; cell++) {
            if (s_only >= 0 && cell != s_only)
                continue;
            double value = bench_median (figures [build][cell], s_repeat);
            if (cell == CELL_MEMORY)
                printf ("| %s | memory, %ld entries | %.1f | B/entry | |\n", s_zown [build],
                        s_entries, value);
            else
                printf ("| %s | %s, %d workers | %.0f | ops/s | %.3f |\n", s_zown [build],
                        s_cell_name [cell], s_workers, value,
                        bench_median (figures [build][CELL_COUNT + cell], s_repeat));
        }
    s_cleanup ();
    return 0;
}
