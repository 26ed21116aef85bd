/*  =========================================================================
    sync_bench - zown's synchronisation types, in one run of one program

    Every worker is a forked process with its own client over ipc; all of
    them are forked first, behind a start gate (a pipe), while the parent's
    owner thread is idle (docs/FORK.md). Measures:
      lock_pairs        uncontended acquire + release pairs/s, 1 process
      lock_contended    5 processes in acquire/release loops on one lock:
                        total pairs (handoffs) / seconds
      queue_single      1 producer, 4 consumers, zown_queue_put/get:
                        items/s, every item received exactly once
      queue_batch       the same with put_many / get_many of 100
      queue_prefetch    the same in plain code on a joinable queue: one
                        put per item on a buffered client, one get +
                        task_done per item on buffered consumers that
                        prefetch 16 items
      lock_death        a holder is SIGKILLed by the parent while a waiter
                        is parked: time from kill() to the waiter's acquire
                        returning, median over N trials, in microseconds
    then the peak RSS of the owner's process. Only ratios within one run
    mean anything on a noisy machine.

    Usage: sync_bench [--repeat R] [--json] [--quick] [--pairs N]
                      [--contended N] [--items N] [--batch-items N]
                      [--prefetch-items N] [--trials N]
    =========================================================================
*/
#define _POSIX_C_SOURCE 200809L
#include <zown.h>
#include "benchutil.h"
#include <errno.h>
#include <signal.h>
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

#define MAX_PROCS        8
#define CONTENDERS       5       //  Processes on the contended lock
#define CONSUMERS        4       //  Queue consumers (plus one producer)
#define BATCH            100     //  Items per put_many / get_many
#define WAIT_MS          60000   //  Acquire / get timeout: a lost wake-up fails, never hangs
#define SENTINEL         0       //  Items are 1..N; 0 tells a consumer to stop
#define DEFAULT_PAIRS    20000   //  Uncontended pairs
#define DEFAULT_CONTEND  2000    //  Pairs per contending process
#define DEFAULT_ITEMS    20000   //  Items, one per message
#define DEFAULT_BATCHED  400000  //  Items, batched
#define DEFAULT_PREFETCH 200000  //  Items, buffered puts and prefetching consumers
#define PREFETCH         16      //  Items a consumer leases per round trip
#define DEFAULT_TRIALS   20      //  Lock-death trials per run

typedef enum {
    WL_LOCK_PAIRS,
    WL_LOCK_CONTENDED,
    WL_QUEUE_SINGLE,
    WL_QUEUE_BATCH,
    WL_QUEUE_PREFETCH,
    WL_COUNT
} wl_t;
static const char *s_wl_name [WL_COUNT] = { "lock_pairs", "lock_contended", "queue_single",
                                            "queue_batch", "queue_prefetch" };

static struct {
    int repeat;
    bool json, quick;
    long pairs, contend, items, batched, prefetched;
    int trials;
    char rundir [64];
    zown_owner_t *owner;
    zown_client_t *control;  //  The parent's own client, over inproc
    const char *ipc;         //  The owner's ipc endpoint (children read it)
} s_bench;

//  --------------------------------------------------------------------------
//  Small helpers

static void
s_sleep_us (long us)
{
    struct timespec pause = { us / 1000000, (us % 1000000) * 1000L };
    nanosleep (&pause, NULL);
}

static void
s_cleanup (void)
{
    zown_client_destroy (&s_bench.control);
    zown_owner_destroy (&s_bench.owner);
    if (*s_bench.rundir)
        bench_remove_tree (s_bench.rundir);  //  The owner leaves its .lock file
}

#define s_die(...) bench_die ("sync_bench", s_cleanup, __VA_ARGS__)

//  Reads until EOF: the parent closing its end opens the gate.
static void
s_gate_pass (int fd)
{
    char dummy;
    while (read (fd, &dummy, 1) < 0 && errno == EINTR)
        ;
}

//  One owner STATS counter, or -1.
static int64_t
s_stat (const char *name)
{
    zown_request_t *request = zown_request_new ();
    zown_reply_t *reply;
    int64_t value = -1;
    if (request && zown_request_add (request, ZOWN_OP_STATS, NULL, 0, NULL) == 0
        && zown_client_call (s_bench.control, request, &reply) == 0)
        for (size_t index = 0; index + 1 < zown_reply_count (reply, 0); index += 2)
            if (zown_datum_streq (zown_reply_value (reply, 0, index), name))
                value = zown_reply_value (reply, 0, index + 1).u.i;
    zown_request_destroy (&request);
    return value;
}

//  Waits (at most 5 s) until the owner has ended every session but the
//  parent's own, then returns its count of sessions that ended by the
//  death of their process rather than by BYE.
static int64_t s_sessions_base;

static int64_t
s_settled_died (void)
{
    int64_t deadline = bench_now_ns () + 5000000000LL;
    while (s_stat ("sessions") > s_sessions_base && bench_now_ns () < deadline)
        s_sleep_us (1000);
    return s_stat ("sessions_died");
}

//  --------------------------------------------------------------------------
//  Forked workers behind a start gate

typedef enum { ROLE_LOCKER, ROLE_PRODUCER, ROLE_CONSUMER } role_t;

typedef struct {
    role_t role;
    const char *object;  //  Lock or queue name
    long ops;            //  Pairs (locker) or items (producer)
    bool batched;
    bool prefetch;  //  Buffered client; consumers prefetch, get + task_done
    int consumers;  //  Producer: sentinels to put at the end
    //  Result, sent back to the parent
    int failed;
    char error [160];
    int64_t end_ns;
    int64_t count, sum, sum_sq;  //  Consumer: items received
    long lat_count;              //  Latencies (ns, uint32) that follow
} job_t;

static void
s_job_fail (job_t *job, const char *what)
{
    if (!job->failed)
        snprintf (job->error, sizeof (job->error), "%s: %s", what, zown_strerror (zown_errno ()));
    job->failed = 1;
}

static void
s_run_locker (job_t *job, zown_client_t *client, uint32_t *lat)
{
    zown_lock_t *lock = zown_lock_new (client, job->object);
    if (!lock)
        return s_job_fail (job, "zown_lock_new");
    for (long index = 0; index < job->ops; index++) {
        int64_t start = bench_now_ns ();
        bool died = false;
        if (zown_lock_acquire (lock, WAIT_MS, &died) || died) {
            s_job_fail (job, died ? "acquire flagged a dead holder" : "acquire");
            break;
        }
        if (zown_lock_release (lock)) {
            s_job_fail (job, "release");
            break;
        }
        int64_t took = bench_now_ns () - start;
        lat [index] = took > UINT32_MAX ? UINT32_MAX : (uint32_t) took;
        job->lat_count = index + 1;
    }
    job->end_ns = bench_now_ns ();
    zown_lock_destroy (&lock);
}

static void
s_run_producer (job_t *job, zown_client_t *client)
{
    zown_queue_t *queue = zown_queue_new (client, job->object);
    if (!queue)
        return s_job_fail (job, "zown_queue_new");
    //  A buffered put must not wait: the queue is unbounded.
    int wait = job->prefetch ? 0 : WAIT_MS;
    zown_datum_t items [BATCH];
    long next = 1;
    while (next <= job->ops && !job->failed) {
        if (job->batched) {
            size_t n = 0;
            while (n < BATCH && next <= job->ops)
                items [n++] = zown_datum_int (next++);
            if (zown_queue_put_many (queue, n, items))
                s_job_fail (job, "put_many");
        } else if (zown_queue_put (queue, zown_datum_int (next++), wait))
            s_job_fail (job, "put");
    }
    //  One sentinel per consumer, after every item (the queue is FIFO).
    for (int index = 0; index < job->consumers && !job->failed; index++)
        if (zown_queue_put (queue, zown_datum_int (SENTINEL), wait))
            s_job_fail (job, "put sentinel");
    if (!job->failed && zown_client_flush (client))
        s_job_fail (job, "flush");
    job->end_ns = bench_now_ns ();
    zown_queue_destroy (&queue);
}

static void
s_run_consumer (job_t *job, zown_client_t *client)
{
    zown_queue_t *queue = zown_queue_new (client, job->object);
    if (!queue)
        return s_job_fail (job, "zown_queue_new");
    if (job->prefetch)
        zown_queue_set_prefetch (queue, PREFETCH);
    bool done = false;
    while (!done && !job->failed) {
        if (job->batched) {
            zown_reply_t *reply;
            if (zown_queue_get_many (queue, BATCH, WAIT_MS, &reply)) {
                s_job_fail (job, "get_many");
                break;
            }
            size_t count = zown_reply_count (reply, 0), extra = 0;
            for (size_t index = 0; index < count; index++) {
                zown_datum_t item = zown_reply_value (reply, 0, index);
                if (item.tag != ZOWN_INT) {
                    s_job_fail (job, "item not an integer");
                    break;
                }
                if (item.u.i == SENTINEL) {
                    //  Sentinels come last; only one is ours.
                    if (done)
                        extra++;
                    done = true;
                    continue;
                }
                if (done) {
                    snprintf (job->error, sizeof (job->error), "item after a sentinel");
                    job->failed = 1;
                    break;
                }
                job->count++;
                job->sum += item.u.i;
                job->sum_sq += item.u.i * item.u.i;
            }
            //  Give the other consumers' sentinels back (after the reply
            //  has been read: a call on the client ends its life).
            for (size_t index = 0; index < extra && !job->failed; index++)
                if (zown_queue_put (queue, zown_datum_int (SENTINEL), WAIT_MS))
                    s_job_fail (job, "put back sentinel");
        } else {
            zown_datum_t item;
            if (zown_queue_get (queue, WAIT_MS, &item)) {
                s_job_fail (job, "get");
                break;
            }
            if (item.tag != ZOWN_INT) {
                s_job_fail (job, "item not an integer");
                break;
            }
            if (item.u.i == SENTINEL)
                done = true;
            else {
                job->count++;
                job->sum += item.u.i;
                job->sum_sq += item.u.i * item.u.i;
            }
            //  On a joinable queue: the item is done with. Sentinels this
            //  consumer prefetched and never served go back to the queue
            //  for the others when its client says BYE.
            if (job->prefetch && zown_queue_task_done (queue)) {
                s_job_fail (job, "task_done");
                break;
            }
        }
    }
    if (job->prefetch && !job->failed && zown_client_flush (client))
        s_job_fail (job, "flush");
    job->end_ns = bench_now_ns ();
    zown_queue_destroy (&queue);
}

//  One job in a forked process: its own client, never the parent's; one
//  round trip (HELLO and connection set-up) before the gate.
static int
s_job_process (int index, void *args, const bench_worker_fds_t *fds)
{
    job_t *job = &((job_t *) args) [index];
    uint32_t *lat = NULL;
    if (job->role == ROLE_LOCKER) {
        lat = (uint32_t *) calloc ((size_t) job->ops + 1, sizeof (uint32_t));
        if (lat)  //  Fault the pages in before the clock starts
            memset (lat, 0xff, ((size_t) job->ops + 1) * sizeof (uint32_t));
        else
            s_job_fail (job, "no memory");
    }
    zown_client_t *client = zown_client_new (s_bench.ipc);
    if (!client || zown_client_ping (client)
        || (job->prefetch
            && zown_client_set_buffered (client, ZOWN_CLIENT_BUFFER_DEFAULT,
                                         ZOWN_CLIENT_LINGER_DEFAULT)))
        s_job_fail (job, "client");
    //  A failed set-up still passes the gate: its result says why.
    bench_worker_gate (fds, true);
    if (!job->failed) {
        if (job->role == ROLE_LOCKER)
            s_run_locker (job, client, lat);
        else if (job->role == ROLE_PRODUCER)
            s_run_producer (job, client);
        else
            s_run_consumer (job, client);
    }
    zown_client_destroy (&client);
    int rc = bench_write_all (fds->result, job, sizeof (*job));
    if (rc == 0 && job->lat_count)
        rc = bench_write_all (fds->result, lat, (size_t) job->lat_count * sizeof (uint32_t));
    return rc || job->failed ? 1 : 0;
}

//  Runs `count` jobs as forked processes released together; returns the
//  time of the release. Results are written back into jobs; latencies of
//  every job are appended to *lat_p (malloc'ed, *lat_count_p entries).
static int64_t
s_run_jobs (job_t *jobs, int count, uint32_t **lat_p, long *lat_count_p)
{
    bench_fork_t workers;
    int64_t started = bench_fork_start (&workers, count, s_job_process, jobs);
    if (started < 0 || !workers.ready)
        s_die ("a worker died before the start gate");
    uint32_t *lat = NULL;
    long lat_count = 0;
    for (int index = 0; index < count; index++) {
        job_t *job = &jobs [index];
        job_t in;
        if (bench_read_all (workers.results [index], &in, sizeof (in))) {
            job->failed = 1;
            snprintf (job->error, sizeof (job->error), "worker %d died without a result", index);
        } else {
            in.object = job->object;
            *job = in;
            if (in.lat_count > 0) {
                uint32_t *more = (uint32_t *) realloc (
                    lat, (size_t) (lat_count + in.lat_count) * sizeof (uint32_t));
                if (!more)
                    s_die ("no memory");
                lat = more;
                if (bench_read_all (workers.results [index], lat + lat_count,
                                    (size_t) in.lat_count * sizeof (uint32_t)))
                    s_die ("worker %d: short latency record", index);
                lat_count += in.lat_count;
            }
        }
    }
    bench_fork_reap (&workers);
    for (int index = 0; index < count; index++) {
        int status = workers.status [index];
        if ((!WIFEXITED (status) || WEXITSTATUS (status)) && !jobs [index].failed) {
            jobs [index].failed = 1;
            snprintf (jobs [index].error, sizeof (jobs [index].error),
                      "worker %d exited with status 0x%x", index, status);
        }
    }
    if (lat_p) {
        *lat_p = lat;
        *lat_count_p = lat_count;
    } else
        free (lat);
    return started;
}

//  --------------------------------------------------------------------------
//  Cells

typedef struct {
    long ops;
    int procs;
    double seconds, ops_per_s, p50_us, p99_us;  //  p50 < 0: none
    int64_t died;  //  Worker sessions the owner saw end by death, not BYE
} cell_t;

static cell_t
s_run_cell (wl_t wl, int run)
{
    job_t jobs [MAX_PROCS];
    memset (jobs, 0, sizeof (jobs));
    char object [64];
    snprintf (object, sizeof (object), "%s-%d", s_wl_name [wl], run);
    cell_t cell = { 0, 0, 0, 0, -1, -1, 0 };
    int64_t died_before = s_settled_died ();
    if (wl == WL_LOCK_PAIRS || wl == WL_LOCK_CONTENDED) {
        cell.procs = wl == WL_LOCK_PAIRS ? 1 : CONTENDERS;
        long per = wl == WL_LOCK_PAIRS ? s_bench.pairs : s_bench.contend;
        for (int index = 0; index < cell.procs; index++)
            jobs [index] = (job_t){ .role = ROLE_LOCKER, .object = object, .ops = per };
        cell.ops = per * cell.procs;
    } else {
        bool batched = wl == WL_QUEUE_BATCH, prefetch = wl == WL_QUEUE_PREFETCH;
        cell.ops = batched ? s_bench.batched : prefetch ? s_bench.prefetched : s_bench.items;
        cell.procs = 1 + CONSUMERS;
        jobs [0] = (job_t){ .role = ROLE_PRODUCER,
                            .object = object,
                            .ops = cell.ops,
                            .batched = batched,
                            .prefetch = prefetch,
                            .consumers = CONSUMERS };
        for (int index = 1; index <= CONSUMERS; index++)
            jobs [index] = (job_t){
                .role = ROLE_CONSUMER, .object = object, .batched = batched, .prefetch = prefetch
            };
        //  Acknowledged delivery; a sentinel given back by each consumer
        //  that prefetched it is never dead-lettered.
        zown_queue_t *queue = zown_queue_new (s_bench.control, object);
        if (prefetch && (!queue || zown_queue_init_joinable (queue, 0, 1000) != 1))
            s_die ("%s run %d: init_joinable: %s", s_wl_name [wl], run,
                   zown_strerror (zown_errno ()));
        zown_queue_destroy (&queue);
    }
    uint32_t *lat = NULL;
    long lat_count = 0;
    int64_t started = s_run_jobs (jobs, cell.procs, &lat, &lat_count);
    int64_t end = started;
    for (int index = 0; index < cell.procs; index++) {
        if (jobs [index].failed)
            s_die ("%s run %d: worker %d: %s", s_wl_name [wl], run, index, jobs [index].error);
        if (jobs [index].end_ns > end)
            end = jobs [index].end_ns;
    }
    //  Checks
    if (wl == WL_QUEUE_SINGLE || wl == WL_QUEUE_BATCH || wl == WL_QUEUE_PREFETCH) {
        int64_t count = 0, sum = 0, sum_sq = 0;
        for (int index = 1; index <= CONSUMERS; index++) {
            count += jobs [index].count;
            sum += jobs [index].sum;
            sum_sq += jobs [index].sum_sq;
        }
        int64_t n = cell.ops;
        int64_t want_sum = n * (n + 1) / 2, want_sq = n * (n + 1) * (2 * n + 1) / 6;
        if (count != n || sum != want_sum || sum_sq != want_sq)
            s_die ("%s run %d: received %lld items (sum %lld, sum of squares %lld); expected "
                   "%lld (%lld, %lld)",
                   s_wl_name [wl], run, (long long) count, (long long) sum, (long long) sum_sq,
                   (long long) n, (long long) want_sum, (long long) want_sq);
        zown_queue_t *queue = zown_queue_new (s_bench.control, object);
        size_t left = 1;
        if (!queue || zown_queue_size (queue, &left) || left != 0)
            s_die ("%s run %d: %zu items left in the queue", s_wl_name [wl], run, left);
        zown_queue_destroy (&queue);
    } else {
        if (lat_count != cell.ops)
            s_die ("%s run %d: %ld pairs timed, expected %ld", s_wl_name [wl], run, lat_count,
                   cell.ops);
        zown_lock_t *lock = zown_lock_new (s_bench.control, object);
        if (!lock || zown_lock_locked (lock) != 0)
            s_die ("%s run %d: lock still held after the run", s_wl_name [wl], run);
        zown_lock_destroy (&lock);
        bench_latency_us (lat, (size_t) lat_count, &cell.p50_us, &cell.p99_us);
    }
    free (lat);
    cell.died = s_settled_died () - died_before;
    cell.seconds = (double) (end - started) / 1e9;
    cell.ops_per_s = cell.seconds > 0 ? (double) cell.ops / cell.seconds : 0;
    return cell;
}

//  One lock-death trial: a holder process takes the lock and says so; a
//  waiter process parks on it; the parent kills the holder. Returns the ns
//  from kill() to the waiter's acquire returning.
static int64_t
s_death_trial (int run, int trial)
{
    char object [64];
    snprintf (object, sizeof (object), "death-%d-%d", run, trial);
    int ready [2], gate [2], held [2], go [2], done [2];
    if (pipe (ready) || pipe (gate) || pipe (held) || pipe (go) || pipe (done))
        s_die ("pipe: %s", strerror (errno));
    fflush (stdout);
    fflush (stderr);
    pid_t pids [2];
    for (int index = 0; index < 2; index++) {
        pids [index] = fork ();
        if (pids [index] < 0)
            s_die ("fork: %s", strerror (errno));
        if (pids [index] == 0) {
            close (ready [0]);
            close (gate [1]);
            close (held [0]);
            close (go [1]);
            close (done [0]);
            zown_client_t *client = zown_client_new (s_bench.ipc);
            zown_lock_t *lock = client ? zown_lock_new (client, object) : NULL;
            char byte = (lock && zown_client_ping (client) == 0) ? 'r' : 'x';
            bench_write_all (ready [1], &byte, 1);
            close (ready [1]);
            s_gate_pass (gate [0]);
            if (byte != 'r')
                _exit (1);
            if (index == 0) {
                //  The holder: take the lock, say so, wait to be killed.
                byte = zown_lock_acquire (lock, WAIT_MS, NULL) == 0 ? 'h' : 'x';
                bench_write_all (held [1], &byte, 1);
                while (true)
                    pause ();
            }
            //  The waiter: parks once the holder holds the lock.
            s_gate_pass (go [0]);
            bool died = false;
            int rc = zown_lock_acquire (lock, WAIT_MS, &died);
            int64_t out [3] = { bench_now_ns (), rc, died };
            if (rc == 0)
                zown_lock_release (lock);
            zown_lock_destroy (&lock);
            zown_client_destroy (&client);
            _exit (bench_write_all (done [1], out, sizeof (out)) ? 1 : 0);
        }
    }
    close (ready [1]);
    close (gate [0]);
    close (held [1]);
    close (go [0]);
    close (done [1]);
    for (int index = 0; index < 2; index++) {
        char byte = 0;
        if (bench_read_all (ready [0], &byte, 1) || byte != 'r')
            s_die ("lock_death: a worker failed before the start gate");
    }
    close (ready [0]);
    int64_t parked = s_stat ("parked");
    if (parked != 0)
        s_die ("lock_death: %lld requests parked before the trial", (long long) parked);
    close (gate [1]);
    char byte = 0;
    if (bench_read_all (held [0], &byte, 1) || byte != 'h')
        s_die ("lock_death: the holder did not get the lock");
    close (go [1]);  //  The waiter may ask now
    int64_t deadline = bench_now_ns () + 10000000000LL;
    while ((parked = s_stat ("parked")) != 1) {
        if (parked < 0 || bench_now_ns () > deadline)
            s_die ("lock_death: the waiter never parked (parked = %lld)", (long long) parked);
        s_sleep_us (200);
    }
    int64_t killed = bench_now_ns ();
    kill (pids [0], SIGKILL);
    int64_t out [3];
    if (bench_read_all (done [0], out, sizeof (out)))
        s_die ("lock_death: the waiter died without a result");
    close (held [0]);
    close (done [0]);
    int status [2];
    for (int index = 0; index < 2; index++)
        while (waitpid (pids [index], &status [index], 0) < 0 && errno == EINTR)
            ;
    if (out [1] != 0 || !out [2])
        s_die ("lock_death: the waiter's acquire returned %lld, holder_died %lld",
               (long long) out [1], (long long) out [2]);
    if (!WIFSIGNALED (status [0]) || WTERMSIG (status [0]) != SIGKILL)
        s_die ("lock_death: the holder was not killed (status 0x%x)", status [0]);
    if (!WIFEXITED (status [1]) || WEXITSTATUS (status [1]))
        s_die ("lock_death: the waiter exited with status 0x%x", status [1]);
    return out [0] - killed;
}

//  --------------------------------------------------------------------------

static void
s_usage (FILE *file)
{
    fprintf (file,
             "Usage: sync_bench [options]\n"
             "  --repeat R        runs of every cell (default 1)\n"
             "  --json            JSON lines on stdout instead of a table\n"
             "  --quick           smoke test: tiny sizes\n"
             "  --pairs N         uncontended acquire+release pairs (default %d)\n"
             "  --contended N     pairs per process on the contended lock, %d processes "
             "(default %d)\n"
             "  --items N         queue items, one per message (default %d)\n"
             "  --batch-items N   queue items, batches of %d (default %d)\n"
             "  --prefetch-items N  queue items, buffered puts, prefetch %d (default %d)\n"
             "  --trials N        lock-death trials per run (default %d)\n",
             DEFAULT_PAIRS, CONTENDERS, DEFAULT_CONTEND, DEFAULT_ITEMS, BATCH, DEFAULT_BATCHED,
             PREFETCH, DEFAULT_PREFETCH, DEFAULT_TRIALS);
}

static void
s_parse (int argc, char *argv [])
{
    s_bench.repeat = 1;
    for (int index = 1; index < argc; index++) {
        const char *arg = argv [index];
        if (!strcmp (arg, "--repeat"))
            s_bench.repeat = (int) bench_arg_long (argc, argv, &index, "sync_bench", s_usage);
        else if (!strcmp (arg, "--json"))
            s_bench.json = true;
        else if (!strcmp (arg, "--quick"))
            s_bench.quick = true;
        else if (!strcmp (arg, "--pairs"))
            s_bench.pairs = bench_arg_long (argc, argv, &index, "sync_bench", s_usage);
        else if (!strcmp (arg, "--contended"))
            s_bench.contend = bench_arg_long (argc, argv, &index, "sync_bench", s_usage);
        else if (!strcmp (arg, "--items"))
            s_bench.items = bench_arg_long (argc, argv, &index, "sync_bench", s_usage);
        else if (!strcmp (arg, "--batch-items"))
            s_bench.batched = bench_arg_long (argc, argv, &index, "sync_bench", s_usage);
        else if (!strcmp (arg, "--prefetch-items"))
            s_bench.prefetched = bench_arg_long (argc, argv, &index, "sync_bench", s_usage);
        else if (!strcmp (arg, "--trials"))
            s_bench.trials = (int) bench_arg_long (argc, argv, &index, "sync_bench", s_usage);
        else if (!strcmp (arg, "-h") || !strcmp (arg, "--help")) {
            s_usage (stdout);
            exit (0);
        } else {
            fprintf (stderr, "sync_bench: unknown option %s\n", arg);
            s_usage (stderr);
            exit (2);
        }
    }
    if (!s_bench.pairs)
        s_bench.pairs = s_bench.quick ? 200 : DEFAULT_PAIRS;
    if (!s_bench.contend)
        s_bench.contend = s_bench.quick ? 50 : DEFAULT_CONTEND;
    if (!s_bench.items)
        s_bench.items = s_bench.quick ? 200 : DEFAULT_ITEMS;
    if (!s_bench.batched)
        s_bench.batched = s_bench.quick ? 2000 : DEFAULT_BATCHED;
    if (!s_bench.prefetched)
        s_bench.prefetched = s_bench.quick ? 2000 : DEFAULT_PREFETCH;
    if (!s_bench.trials)
        s_bench.trials = s_bench.quick ? 3 : DEFAULT_TRIALS;
    //  Sums of squares stay within int64_t.
    if (s_bench.items > 1000000000L || s_bench.batched > 1000000000L
        || s_bench.prefetched > 1000000000L) {
        fprintf (stderr, "sync_bench: at most 1,000,000,000 items\n");
        exit (2);
    }
}

int
main (int argc, char *argv [])
{
    s_parse (argc, argv);
    //  A private run directory, so the benchmark never meets a real owner.
    if (bench_rundir (s_bench.rundir, sizeof (s_bench.rundir), "sync"))
        s_die ("mkdtemp: %s", strerror (errno));
    char name [ZOWN_NAME_MAX + 1];
    snprintf (name, sizeof (name), "sync-%d", (int) getpid ());
    s_bench.owner = zown_owner_new (name);
    if (!s_bench.owner)
        s_die ("zown_owner_new: %s", zown_strerror (zown_errno ()));
    s_bench.ipc = zown_owner_ipc (s_bench.owner);
    s_bench.control = zown_client_new (zown_owner_inproc (s_bench.owner));
    if (!s_bench.control || zown_client_ping (s_bench.control))
        s_die ("control client: %s", zown_strerror (zown_errno ()));
    s_sessions_base = s_stat ("sessions");

    if (!s_bench.json)
        printf ("sync_bench: pairs %ld, contended %d x %ld, items %ld, batched %ld (batch %d), "
                "%d death trials, %d run(s)\n%-15s %5s %4s %9s %9s %11s %9s %9s %5s\n",
                s_bench.pairs, CONTENDERS, s_bench.contend, s_bench.items, s_bench.batched, BATCH,
                s_bench.trials, s_bench.repeat, "workload", "procs", "run", "ops", "seconds",
                "ops/s", "p50 us", "p99 us", "died");
    double *death = (double *) calloc ((size_t) s_bench.trials, sizeof (double));
    if (!death)
        s_die ("no memory");
    for (int run = 1; run <= s_bench.repeat; run++) {
        for (int wl = 0; wl < WL_COUNT; wl++) {
            cell_t cell = s_run_cell ((wl_t) wl, run);
            if (s_bench.json) {
                printf ("{\"kind\":\"cell\",\"impl\":\"zown\",\"workload\":\"%s\",\"transport\":"
                        "\"ipc\",\"workers\":%d,\"run\":%d,\"ops\":%ld,\"seconds\":%.6f,"
                        "\"ops_per_s\":%.1f,",
                        s_wl_name [wl], cell.procs, run, cell.ops, cell.seconds, cell.ops_per_s);
                if (cell.p50_us >= 0)
                    printf ("\"p50_us\":%.2f,\"p99_us\":%.2f,", cell.p50_us, cell.p99_us);
                else
                    printf ("\"p50_us\":null,\"p99_us\":null,");
                printf ("\"sessions_died\":%lld,\"verified\":true}\n", (long long) cell.died);
            } else {
                char p50 [32] = "-", p99 [32] = "-";
                if (cell.p50_us >= 0) {
                    snprintf (p50, sizeof (p50), "%.1f", cell.p50_us);
                    snprintf (p99, sizeof (p99), "%.1f", cell.p99_us);
                }
                printf ("%-15s %5d %4d %9ld %9.3f %11.0f %9s %9s %5lld\n", s_wl_name [wl],
                        cell.procs, run, cell.ops, cell.seconds, cell.ops_per_s, p50, p99,
                        (long long) cell.died);
            }
            fflush (stdout);
        }
        int64_t died_before = s_settled_died ();
        for (int trial = 0; trial < s_bench.trials; trial++)
            death [trial] = (double) s_death_trial (run, trial) / 1000.0;
        int64_t died = s_settled_died () - died_before;
        qsort (death, (size_t) s_bench.trials, sizeof (double), bench_cmp_double);
        double lo = death [0], hi = death [s_bench.trials - 1];
        double p90 = death [(int) (0.9 * s_bench.trials + 0.5) - 1 < 0
                                ? 0
                                : (int) (0.9 * s_bench.trials + 0.5) - 1];
        double median = bench_median (death, s_bench.trials);
        //  Each trial's holder dies; its waiter ends with BYE.
        if (died < s_bench.trials)
            s_die ("lock_death: owner counted %lld dead sessions in %d trials", (long long) died,
                   s_bench.trials);
        if (s_bench.json)
            printf ("{\"kind\":\"death\",\"impl\":\"zown\",\"workload\":\"lock_death\",\"run\":%d,"
                    "\"trials\":%d,\"median_us\":%.1f,\"min_us\":%.1f,\"p90_us\":%.1f,"
                    "\"max_us\":%.1f,\"sessions_died\":%lld,\"verified\":true}\n",
                    run, s_bench.trials, median, lo, p90, hi, (long long) died);
        else
            printf ("%-15s %5d %4d %9d  kill -> acquire: median %.1f us, min %.1f, p90 %.1f, "
                    "max %.1f; sessions died %lld\n",
                    "lock_death", 2, run, s_bench.trials, median, lo, p90, hi, (long long) died);
        fflush (stdout);
    }
    free (death);

    struct rusage self, children;
    getrusage (RUSAGE_SELF, &self);
    getrusage (RUSAGE_CHILDREN, &children);
    int64_t requests = s_stat ("requests"), dropped = s_stat ("replies_dropped");
    if (s_bench.json)
        printf ("{\"kind\":\"memory\",\"peak_rss_kb\":%ld,\"children_peak_rss_kb\":%ld,"
                "\"owner_requests\":%lld,\"replies_dropped\":%lld,\"source\":\"getrusage "
                "ru_maxrss: RUSAGE_SELF is the process hosting the owner; RUSAGE_CHILDREN the "
                "largest worker\"}\n",
                self.ru_maxrss, children.ru_maxrss, (long long) requests, (long long) dropped);
    else
        printf ("\nowner process: peak RSS %ld kB; largest worker %ld kB; owner served %lld "
                "requests, dropped %lld replies\n",
                self.ru_maxrss, children.ru_maxrss, (long long) requests, (long long) dropped);
    if (dropped != 0)
        s_die ("owner dropped %lld replies", (long long) dropped);
    s_cleanup ();
    return 0;
}
