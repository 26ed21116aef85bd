/*  =========================================================================
    fairness_bench - does a client that floods the owner starve another?

    One "polite" client makes --calls synchronous round trips (VALUE_ADD on
    its own value) and records each one's latency: alone, then while 1 and
    then 3 flooding clients pipeline the same op on their own values as fast
    as they can (--window requests in flight each). Every client has its own
    connection: a thread of this process on the owner's inproc endpoint, or
    with --ipc a forked process of its own on the ipc endpoint (as separate
    programs would be: each its own ZeroMQ context and I/O thread). The
    flood is on before the polite client starts and stops after it ends;
    its throughput is counted over the polite client's calls.

    Each of --repeat runs does the three cells in turn; the report gives,
    per cell, the medians over runs of the polite client's median and p99
    latency, their ratios to the same run's alone cell, the flooders'
    ops/s, and the wait in arrival order: how long the flooders' backlog
    (flooders x window requests) takes at that rate, which is what a polite
    request would wait if the owner served requests first come, first
    served. Only ratios within one run mean anything on a noisy machine.

    --flood-nice N runs the flooders at that niceness (1..19): whatever the
    polite client still loses then is the owner's doing, not the CPUs'.

    Usage: fairness_bench [--repeat R] [--calls N] [--window W] [--ipc]
                          [--flood-nice N] [--json]
    =========================================================================
*/
#define _DEFAULT_SOURCE  //  MAP_ANONYMOUS
#define _POSIX_C_SOURCE 200809L
#include <zown.h>
#include "benchutil.h"
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define FLOODERS_MAX    3
#define CELLS           3  //  0, 1 and FLOODERS_MAX flooders
#define RUNS_MAX        64
#define DEFAULT_CALLS   5000
#define DEFAULT_WINDOW  ZOWN_CLIENT_WINDOW_DEFAULT
#define DEFAULT_REPEATS 5

static const int s_flooders [CELLS] = { 0, 1, FLOODERS_MAX };

static struct {
    int repeat;
    long calls, window;
    int flood_nice;
    bool ipc, json;
    char rundir [64];
    zown_owner_t *owner;
    const char *endpoint;
} s_bench;

static void
s_cleanup (void)
{
    zown_owner_destroy (&s_bench.owner);
    if (*s_bench.rundir)
        rmdir (s_bench.rundir);  //  The owner removes its socket files
}

static void s_die (const char *format, ...) __attribute__ ((format (printf, 1, 2)));

static void
s_die (const char *format, ...)
{
    va_list args;
    va_start (args, format);
    fprintf (stderr, "fairness_bench: ");
    vfprintf (stderr, format, args);
    fprintf (stderr, ": %s\n", zown_strerror (zown_errno ()));
    va_end (args);
    s_cleanup ();
    exit (1);
}

static void
s_usage (FILE *out)
{
    fprintf (out,
             "usage: fairness_bench [--repeat R] [--calls N] [--window W] [--ipc]\n"
             "                      [--flood-nice N] [--json]\n");
}

//  A client on the bench's endpoint, and a one-op VALUE_ADD request on `name`.
static zown_client_t *
s_client (const char *name, zown_request_t **request_p)
{
    zown_client_t *client = zown_client_new (s_bench.endpoint);
    zown_request_t *request = zown_request_new ();
    zown_datum_t one = zown_datum_int (1);
    if (!client || !request || zown_request_add (request, ZOWN_OP_VALUE_ADD, name, 1, &one))
        s_die ("client %s", name);
    *request_p = request;
    return client;
}

//  What the workers of a cell share with each other and the parent: in
//  memory mapped before any fork, so it is shared by processes too.
typedef struct {
    atomic_bool stop;                  //  Flooders: stop now
    atomic_llong done [FLOODERS_MAX];  //  Flooders: replies received so far
    atomic_int failed;                 //  Workers that failed
    int flooders;                      //  Flooders of this cell
    int64_t elapsed_ns;                //  Polite: its calls took this long
    long long flood_ops;               //  Flooders' replies meanwhile
    uint32_t latency [];               //  Polite: each call, ns
} s_shared_t;

static s_shared_t *s_shared;

//  --------------------------------------------------------------------------
//  Workers

//  A flooder: pipelined VALUE_ADDs, --window in flight, until told to stop.
static void
s_flood (int index)
{
    //  Before its client exists, so that its ZeroMQ I/O thread (with --ipc)
    //  inherits the niceness.
    if (s_bench.flood_nice && nice (s_bench.flood_nice) == -1)
        atomic_fetch_add (&s_shared->failed, 1);
    char name [32];
    snprintf (name, sizeof (name), "flood-%d", index);
    zown_request_t *request;
    zown_client_t *client = s_client (name, &request);
    zown_reply_t *reply;
    bool failed = zown_client_set_window (client, (int) s_bench.window) != 0;
    long long done = 0;
    while (!failed && !atomic_load_explicit (&s_shared->stop, memory_order_relaxed)) {
        while (!failed && zown_client_pending (client) < (size_t) s_bench.window)
            failed = zown_client_send (client, request, NULL) != 0;
        failed = failed || zown_client_recv (client, &reply) || zown_reply_status (reply);
        atomic_store_explicit (&s_shared->done [index], ++done, memory_order_relaxed);
    }
    while (!failed && zown_client_pending (client))
        failed = zown_client_recv (client, &reply) != 0;
    atomic_fetch_add (&s_shared->failed, failed);
    zown_request_destroy (&request);
    zown_client_destroy (&client);
}

static long long
s_flood_done (void)
{
    long long done = 0;
    for (int index = 0; index < s_shared->flooders; index++)
        done += atomic_load (&s_shared->done [index]);
    return done;
}

//  The polite client: once every flooder has had a window's replies, its
//  round trips, one at a time, each timed.
static void
s_polite (void)
{
    zown_request_t *request;
    zown_client_t *client = s_client ("polite", &request);
    if (zown_client_ping (client))
        s_die ("ping");
    for (int index = 0; index < s_shared->flooders; index++)
        while (atomic_load (&s_shared->done [index]) < s_bench.window
               && !atomic_load (&s_shared->failed))
            sched_yield ();
    long long flood_before = s_flood_done ();
    int64_t start = bench_now_ns ();
    for (long call = 0; call < s_bench.calls; call++) {
        int64_t sent = bench_now_ns ();
        if (zown_client_call (client, request, NULL))
            s_die ("polite call");
        int64_t took = bench_now_ns () - sent;
        s_shared->latency [call] = took > UINT32_MAX ? UINT32_MAX : (uint32_t) took;
    }
    s_shared->elapsed_ns = bench_now_ns () - start;
    s_shared->flood_ops = s_flood_done () - flood_before;
    zown_request_destroy (&request);
    zown_client_destroy (&client);
}

//  Worker 0 is the polite client, the others flood.
static void *
s_worker (void *arg)
{
    int worker = (int) (intptr_t) arg;
    if (worker == 0)
        s_polite ();
    else
        s_flood (worker - 1);
    return NULL;
}

//  --------------------------------------------------------------------------
//  One cell: the polite client's calls while `flooders` flood. Workers are
//  threads of this process, or with --ipc forked processes (each with its
//  own ZeroMQ context and I/O thread, as separate programs would be),
//  forked while the owner is idle and released together (docs/FORK.md).

typedef struct {
    double p50_us, p99_us;  //  Polite client's latency
    double flood_ops_s;     //  All flooders together, over the polite calls
} s_cell_t;

static void
s_run_cell (int flooders, s_cell_t *cell)
{
    memset (s_shared, 0, sizeof (s_shared_t));
    s_shared->flooders = flooders;
    int workers = 1 + flooders;
    pthread_t threads [1 + FLOODERS_MAX];
    pid_t pids [1 + FLOODERS_MAX];
    int gate [2];
    if (s_bench.ipc && pipe (gate))
        s_die ("pipe");
    for (int worker = 0; worker < workers; worker++) {
        if (!s_bench.ipc) {
            if (pthread_create (&threads [worker], NULL, s_worker, (void *) (intptr_t) worker))
                s_die ("pthread_create");
            continue;
        }
        pids [worker] = fork ();
        if (pids [worker] < 0)
            s_die ("fork");
        if (pids [worker] == 0) {
            char byte;
            close (gate [1]);
            while (read (gate [0], &byte, 1) < 0)
                ;  //  End of file: the parent opened the gate.
            s_worker ((void *) (intptr_t) worker);
            _exit (0);
        }
    }
    if (s_bench.ipc) {
        close (gate [0]);
        close (gate [1]);
    }
    //  The polite client first, then stop the flood.
    for (int worker = 0; worker < workers; worker++) {
        if (worker == 1)
            atomic_store (&s_shared->stop, true);
        int status = 0;
        if (!s_bench.ipc)
            pthread_join (threads [worker], NULL);
        else if (waitpid (pids [worker], &status, 0) < 0 || status)
            s_die ("worker %d exited with %d", worker, status);
    }
    if (atomic_load (&s_shared->failed))
        s_die ("a flooder failed");
    qsort (s_shared->latency, (size_t) s_bench.calls, sizeof (uint32_t), bench_cmp_u32);
    cell->p50_us = bench_pct_u32 (s_shared->latency, (size_t) s_bench.calls, 50) / 1e3;
    cell->p99_us = bench_pct_u32 (s_shared->latency, (size_t) s_bench.calls, 99) / 1e3;
    cell->flood_ops_s = (double) s_shared->flood_ops * 1e9 / (double) s_shared->elapsed_ns;
}

//  --------------------------------------------------------------------------
//  Runs and report

int
main (int argc, char *argv [])
{
    s_bench.repeat = DEFAULT_REPEATS;
    s_bench.calls = DEFAULT_CALLS;
    s_bench.window = DEFAULT_WINDOW;
    for (int index = 1; index < argc; index++) {
        const char *arg = argv [index];
        if (strcmp (arg, "--repeat") == 0)
            s_bench.repeat = (int) bench_arg_long (argc, argv, &index, "fairness_bench", s_usage);
        else if (strcmp (arg, "--calls") == 0)
            s_bench.calls = bench_arg_long (argc, argv, &index, "fairness_bench", s_usage);
        else if (strcmp (arg, "--window") == 0)
            s_bench.window = bench_arg_long (argc, argv, &index, "fairness_bench", s_usage);
        else if (strcmp (arg, "--flood-nice") == 0)
            s_bench.flood_nice =
                (int) bench_arg_long (argc, argv, &index, "fairness_bench", s_usage);
        else if (strcmp (arg, "--ipc") == 0)
            s_bench.ipc = true;
        else if (strcmp (arg, "--json") == 0)
            s_bench.json = true;
        else {
            s_usage (strcmp (arg, "--help") ? stderr : stdout);
            return strcmp (arg, "--help") ? 2 : 0;
        }
    }
    if (s_bench.repeat > RUNS_MAX || s_bench.window > ZOWN_CLIENT_WINDOW_MAX) {
        fprintf (stderr, "fairness_bench: at most %d repeats and a window of %d\n", RUNS_MAX,
                 ZOWN_CLIENT_WINDOW_MAX);
        return 2;
    }
    //  A private run directory, so no other owner's name is in the way.
    snprintf (s_bench.rundir, sizeof (s_bench.rundir), "/tmp/zown-fair-XXXXXX");
    if (!mkdtemp (s_bench.rundir)) {
        *s_bench.rundir = 0;
        s_die ("mkdtemp");
    }
    setenv ("ZOWN_RUNDIR", s_bench.rundir, 1);
    size_t shared_size = sizeof (s_shared_t) + (size_t) s_bench.calls * sizeof (uint32_t);
    s_shared = (s_shared_t *) mmap (NULL, shared_size, PROT_READ | PROT_WRITE,
                                    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (s_shared == MAP_FAILED)
        s_die ("mmap");
    s_bench.owner = zown_owner_new ("fairness");
    if (!s_bench.owner)
        s_die ("owner");
    s_bench.endpoint =
        s_bench.ipc ? zown_owner_ipc (s_bench.owner) : zown_owner_inproc (s_bench.owner);

    s_cell_t cells [RUNS_MAX][CELLS];
    for (int run = 0; run < s_bench.repeat; run++)
        for (int cell = 0; cell < CELLS; cell++)
            s_run_cell (s_flooders [cell], &cells [run][cell]);

    long cpus = sysconf (_SC_NPROCESSORS_ONLN);
    if (!s_bench.json)
        printf ("fairness_bench: %ld CPUs, %s, %d runs, %ld polite calls, flood window %ld, "
                "flood nice %d\n\n"
                "| flooders | polite p50 us | polite p99 us | p50 / alone | p99 / alone "
                "| flood ops/s | in-order wait us |\n|---|---|---|---|---|---|---|\n",
                cpus, s_bench.ipc ? "ipc" : "inproc", s_bench.repeat, s_bench.calls, s_bench.window,
                s_bench.flood_nice);
    for (int cell = 0; cell < CELLS; cell++) {
        double p50 [RUNS_MAX], p99 [RUNS_MAX], p50_ratio [RUNS_MAX], p99_ratio [RUNS_MAX],
            ops [RUNS_MAX];
        for (int run = 0; run < s_bench.repeat; run++) {
            p50 [run] = cells [run][cell].p50_us;
            p99 [run] = cells [run][cell].p99_us;
            p50_ratio [run] = p50 [run] / cells [run][0].p50_us;
            p99_ratio [run] = p99 [run] / cells [run][0].p99_us;
            ops [run] = cells [run][cell].flood_ops_s;
        }
        double m50 = bench_median (p50, s_bench.repeat), m99 = bench_median (p99, s_bench.repeat);
        double r50 = bench_median (p50_ratio, s_bench.repeat);
        double r99 = bench_median (p99_ratio, s_bench.repeat);
        double mops = bench_median (ops, s_bench.repeat);
        double backlog_us = mops > 0 ? s_flooders [cell] * s_bench.window * 1e6 / mops : 0;
        if (s_bench.json)
            printf (
                "{\"kind\":\"fairness\",\"transport\":\"%s\",\"cpus\":%ld,\"runs\":%d,"
                "\"calls\":%ld,\"window\":%ld,\"flood_nice\":%d,\"flooders\":%d,\"p50_us\":%.1f,"
                "\"p99_us\":%.1f,\"p50_ratio\":%.2f,\"p99_ratio\":%.2f,\"flood_ops_s\":%.0f,"
                "\"in_order_wait_us\":%.1f}\n",
                s_bench.ipc ? "ipc" : "inproc", cpus, s_bench.repeat, s_bench.calls, s_bench.window,
                s_bench.flood_nice, s_flooders [cell], m50, m99, r50, r99, mops, backlog_us);
        else
            printf ("| %d | %.1f | %.1f | %.2f | %.2f | %.0f | %.0f |\n", s_flooders [cell], m50,
                    m99, r50, r99, mops, backlog_us);
    }
    s_cleanup ();
    return 0;
}
