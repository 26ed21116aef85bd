/*  =========================================================================
    replica_bench - read replicas against round-trip reads, and the change
    feed's delivery rate, in one run of one program

    Every worker is a forked process (its own client and replica, over
    ipc), forked while the parent's owner thread is idle and released
    together by a start gate (docs/FORK.md). Measures:
      rt_get              zown_dict_get on a dict of --keys keys: reads/s,
                          one round trip each
      replica_get         zown_replica_dict_get on a replica of that dict,
                          in the same process: reads/s from local memory
      replica_update_get  zown_replica_update (r, 0), then the read: the
                          cost of taking in the feed before every read
      feed_1, feed_4      one writer pipelines --changes DICT_SETs (100 in
                          flight); 1 or 4 subscriber processes, each a
                          replica of that dict, apply them all: changes/s
                          delivered to each, from the gate to the last
                          change applied
      batched_1, _4       the same changes as DICT_UPDATEs of 100 pairs
                          (one record each): what the feed delivers when
                          the writer is not the limit
    Every read is checked against the value written, every subscriber's
    final copy against the last value. Only ratios within one run mean
    anything on a noisy machine.

    Usage: replica_bench [--repeat R] [--json] [--quick] [--keys N]
                         [--reads N] [--rt-reads N] [--update-reads N]
                         [--changes N]
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
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_SUBSCRIBERS 4
#define WINDOW          100     //  Pipelined requests in flight
#define BATCH           100     //  Pairs per DICT_UPDATE in the batched cells
#define WAIT_MS         120000  //  A subscriber that never catches up fails, never hangs
#define DEFAULT_KEYS    1000
#define DEFAULT_READS   5000000
#define DEFAULT_RT      20000
#define DEFAULT_UPDATES 500000
#define DEFAULT_CHANGES 200000
#define RUNS_MAX        64

static struct {
    int repeat;
    bool json, quick;
    long keys, reads, rt_reads, update_reads, changes;
    char rundir [64];
    char name [ZOWN_NAME_MAX + 1];
    zown_owner_t *owner;
    zown_client_t *control;  //  The parent's own client, over inproc
    char (*key) [24];        //  "k0", "k1", ...: the dict's keys
} s_bench;

static void
s_cleanup (void)
{
    zown_client_destroy (&s_bench.control);
    zown_owner_destroy (&s_bench.owner);
    if (*s_bench.rundir)
        bench_remove_tree (s_bench.rundir);  //  The owner leaves its .lock file
}

#define s_die(...) bench_die ("replica_bench", s_cleanup, __VA_ARGS__)

//  --------------------------------------------------------------------------
//  Workers

typedef enum { ROLE_READER, ROLE_WRITER, ROLE_SUBSCRIBER } role_t;

typedef struct {
    role_t role;
    const char *dict;  //  Object read or written
    int batch;         //  Writer: pairs per request (1: DICT_SET)
    //  Result, sent back to the parent
    int failed;
    char error [160];
    double rt_s, replica_s, update_s;  //  Reader: seconds of each loop
    int64_t end_ns;                    //  Writer, subscriber: when done
    zown_replica_stats_t stats;        //  Subscriber
} job_t;

static void
s_job_fail (job_t *job, const char *what)
{
    if (!job->failed)
        snprintf (job->error, sizeof (job->error), "%s: %s", what, zown_strerror (zown_errno ()));
    job->failed = 1;
}

//  A cheap random key index (the same sequence in every run).
static long
s_next_key (uint64_t *state)
{
    *state = *state * 6364136223846793005ull + 1442695040888963407ull;
    return (long) ((*state >> 33) % (uint64_t) s_bench.keys);
}

//  The dict holds key i = i. Three loops over random keys, each checked.
static void
s_run_reader (job_t *job, zown_client_t *client, zown_replica_t *replica)
{
    zown_dict_t *dict = zown_dict_new (client, job->dict);
    if (!dict)
        return s_job_fail (job, "zown_dict_new");
    uint64_t state = 1;
    zown_datum_t value;
    int64_t start = bench_now_ns ();
    for (long index = 0; index < s_bench.rt_reads && !job->failed; index++) {
        long key = s_next_key (&state);
        if (zown_dict_get (dict, s_bench.key [key], &value, NULL) || value.u.i != key)
            s_job_fail (job, "zown_dict_get");
    }
    job->rt_s = (double) (bench_now_ns () - start) / 1e9;
    zown_dict_destroy (&dict);
    start = bench_now_ns ();
    for (long index = 0; index < s_bench.reads && !job->failed; index++) {
        long key = s_next_key (&state);
        if (zown_replica_dict_get (replica, job->dict, s_bench.key [key], &value)
            || value.u.i != key)
            s_job_fail (job, "zown_replica_dict_get");
    }
    job->replica_s = (double) (bench_now_ns () - start) / 1e9;
    start = bench_now_ns ();
    for (long index = 0; index < s_bench.update_reads && !job->failed; index++) {
        long key = s_next_key (&state);
        if (zown_replica_update (replica, 0))
            s_job_fail (job, "zown_replica_update");
        else if (zown_replica_dict_get (replica, job->dict, s_bench.key [key], &value)
                 || value.u.i != key)
            s_job_fail (job, "zown_replica_dict_get");
    }
    job->update_s = (double) (bench_now_ns () - start) / 1e9;
}

//  Sets key (i % keys) to i, for i in 0..changes-1, pipelined: one
//  DICT_SET per request, or DICT_UPDATEs of job->batch pairs.
static void
s_run_writer (job_t *job, zown_client_t *client)
{
    zown_request_t *request = zown_request_new ();
    if (!request)
        return s_job_fail (job, "zown_request_new");
    zown_datum_t pairs [2 * BATCH];
    long sent = 0, answered = 0;  //  Changes sent, requests answered
    long requests = (s_bench.changes + job->batch - 1) / job->batch;
    while (answered < requests && !job->failed) {
        if (sent < s_bench.changes && zown_client_pending (client) < WINDOW) {
            size_t count = 0;
            for (; count < (size_t) job->batch && sent < s_bench.changes; sent++, count++) {
                pairs [2 * count] = zown_datum_str (s_bench.key [sent % s_bench.keys]);
                pairs [2 * count + 1] = zown_datum_int (sent);
            }
            zown_request_reset (request);
            zown_op_t op = job->batch > 1 ? ZOWN_OP_DICT_UPDATE : ZOWN_OP_DICT_SET;
            if (zown_request_add (request, op, job->dict, 2 * count, pairs)
                || zown_client_send (client, request, NULL))
                s_job_fail (job, "send");
            continue;
        }
        zown_reply_t *reply;
        if (zown_client_recv (client, &reply) || zown_reply_status (reply) != ZOWN_OK)
            s_job_fail (job, "recv");
        answered++;
    }
    job->end_ns = bench_now_ns ();
    zown_request_destroy (&request);
}

//  Applies every change up to `target`, then checks the last one.
static void
s_run_subscriber (job_t *job, zown_replica_t *replica, uint64_t target)
{
    if (zown_replica_wait (replica, target, WAIT_MS))
        return s_job_fail (job, "zown_replica_wait");
    job->end_ns = bench_now_ns ();
    long last = s_bench.changes - 1;
    zown_datum_t value;
    if (zown_replica_dict_get (replica, job->dict, s_bench.key [last % s_bench.keys], &value)
        || value.u.i != last)
        s_job_fail (job, "the last change is not in the replica");
    zown_replica_stats (replica, &job->stats);
}

//  Set-up before the gate: the connections, HELLO, and a replica's
//  snapshot (so a subscriber is live before the writer starts).
static int
s_child (int index, void *args, const bench_worker_fds_t *fds)
{
    job_t *job = &((job_t *) args) [index];
    zown_client_t *client = NULL;
    zown_replica_t *replica = NULL;
    uint64_t target = 0;
    if (job->role != ROLE_SUBSCRIBER) {
        client = zown_client_new (s_bench.name);
        if (!client || zown_client_ping (client))
            s_job_fail (job, "client");
    }
    if (job->role != ROLE_WRITER) {
        replica = zown_replica_new (s_bench.name, NULL);
        if (!replica || zown_replica_add (replica, job->dict))
            s_job_fail (job, "replica");
        target = zown_replica_seq (replica) + (uint64_t) s_bench.changes;
    }
    //  A failed set-up still passes the gate: its result says why.
    bench_worker_gate (fds, true);
    if (!job->failed) {
        if (job->role == ROLE_READER)
            s_run_reader (job, client, replica);
        else if (job->role == ROLE_WRITER)
            s_run_writer (job, client);
        else
            s_run_subscriber (job, replica, target);
    }
    zown_replica_destroy (&replica);
    zown_client_destroy (&client);
    int rc = bench_write_all (fds->result, job, sizeof (*job));
    return rc || job->failed ? 1 : 0;
}

//  Runs `count` jobs as forked processes released together; returns the
//  time of the release. Results are written back into jobs.
static int64_t
s_run_jobs (job_t *jobs, int count)
{
    bench_fork_t workers;
    int64_t started = bench_fork_start (&workers, count, s_child, jobs);
    if (started < 0 || !workers.ready)
        s_die ("a worker died before the start gate");
    for (int index = 0; index < count; index++) {
        const char *dict = jobs [index].dict;
        if (bench_read_all (workers.results [index], &jobs [index], sizeof (job_t)))
            s_die ("worker %d died without a result", index);
        jobs [index].dict = dict;
        if (jobs [index].failed)
            s_die ("worker %d: %s", index, jobs [index].error);
    }
    if (bench_fork_reap (&workers))
        s_die ("a worker exited with an error");
    return started;
}

//  --------------------------------------------------------------------------
//  Cells

//  The dict `name` with key i = i.
static void
s_fill (const char *name)
{
    zown_dict_t *dict = zown_dict_new (s_bench.control, name);
    for (long index = 0; dict && index < s_bench.keys; index++)
        if (zown_dict_set (dict, s_bench.key [index], zown_datum_int (index), NULL))
            s_die ("fill: %s", zown_strerror (zown_errno ()));
    zown_dict_destroy (&dict);
}

typedef struct {
    double rt, replica, update;  //  Reads/s
} reads_t;

static reads_t
s_reads_cell (int run)
{
    char dict [32];
    snprintf (dict, sizeof (dict), "reads-%d", run);
    s_fill (dict);
    job_t job = { .role = ROLE_READER, .dict = dict };
    s_run_jobs (&job, 1);
    return (reads_t){ s_bench.rt_reads / job.rt_s, s_bench.reads / job.replica_s,
                      s_bench.update_reads / job.update_s };
}

typedef struct {
    double writer;                       //  Sets/s of the writer
    double delivered [MAX_SUBSCRIBERS];  //  Changes/s applied, per subscriber
    uint64_t gaps, resyncs;              //  Over all subscribers
} feed_t;

static feed_t
s_feed_cell (int subscribers, int batch, int run)
{
    char dict [48];
    snprintf (dict, sizeof (dict), "feed-%d-%d-%d", subscribers, batch, run);
    job_t jobs [MAX_SUBSCRIBERS + 1];
    memset (jobs, 0, sizeof (jobs));
    jobs [0] = (job_t){ .role = ROLE_WRITER, .dict = dict, .batch = batch };
    for (int index = 1; index <= subscribers; index++)
        jobs [index] = (job_t){ .role = ROLE_SUBSCRIBER, .dict = dict };
    int64_t started = s_run_jobs (jobs, subscribers + 1);
    feed_t feed = { .writer = s_bench.changes / ((jobs [0].end_ns - started) / 1e9) };
    for (int index = 0; index < subscribers; index++) {
        job_t *job = &jobs [index + 1];
        feed.delivered [index] = s_bench.changes / ((job->end_ns - started) / 1e9);
        feed.gaps += job->stats.gaps;
        feed.resyncs += job->stats.resyncs;
    }
    return feed;
}

//  --------------------------------------------------------------------------

static void
s_usage (FILE *out)
{
    fprintf (out,
             "usage: replica_bench [--repeat R] [--json] [--quick] [--keys N] [--reads N]\n"
             "                     [--rt-reads N] [--update-reads N] [--changes N]\n"
             "defaults: 1 run, %d keys, %d replica reads, %d round-trip reads,\n"
             "%d update+reads, %d changes for the feed cells; --quick: tiny sizes\n",
             DEFAULT_KEYS, DEFAULT_READS, DEFAULT_RT, DEFAULT_UPDATES, DEFAULT_CHANGES);
}

static void
s_parse (int argc, char *argv [])
{
    s_bench.repeat = 1;
    for (int index = 1; index < argc; index++) {
        const char *arg = argv [index];
        if (!strcmp (arg, "--repeat"))
            s_bench.repeat = (int) bench_arg_long (argc, argv, &index, "replica_bench", s_usage);
        else if (!strcmp (arg, "--json"))
            s_bench.json = true;
        else if (!strcmp (arg, "--quick"))
            s_bench.quick = true;
        else if (!strcmp (arg, "--keys"))
            s_bench.keys = bench_arg_long (argc, argv, &index, "replica_bench", s_usage);
        else if (!strcmp (arg, "--reads"))
            s_bench.reads = bench_arg_long (argc, argv, &index, "replica_bench", s_usage);
        else if (!strcmp (arg, "--rt-reads"))
            s_bench.rt_reads = bench_arg_long (argc, argv, &index, "replica_bench", s_usage);
        else if (!strcmp (arg, "--update-reads"))
            s_bench.update_reads = bench_arg_long (argc, argv, &index, "replica_bench", s_usage);
        else if (!strcmp (arg, "--changes"))
            s_bench.changes = bench_arg_long (argc, argv, &index, "replica_bench", s_usage);
        else if (!strcmp (arg, "-h") || !strcmp (arg, "--help")) {
            s_usage (stdout);
            exit (0);
        } else {
            fprintf (stderr, "replica_bench: unknown option %s\n", arg);
            s_usage (stderr);
            exit (2);
        }
    }
    if (s_bench.repeat > RUNS_MAX) {
        fprintf (stderr, "replica_bench: at most %d runs\n", RUNS_MAX);
        exit (2);
    }
    if (!s_bench.keys)
        s_bench.keys = s_bench.quick ? 100 : DEFAULT_KEYS;
    if (!s_bench.reads)
        s_bench.reads = s_bench.quick ? 100000 : DEFAULT_READS;
    if (!s_bench.rt_reads)
        s_bench.rt_reads = s_bench.quick ? 500 : DEFAULT_RT;
    if (!s_bench.update_reads)
        s_bench.update_reads = s_bench.quick ? 10000 : DEFAULT_UPDATES;
    if (!s_bench.changes)
        s_bench.changes = s_bench.quick ? 5000 : DEFAULT_CHANGES;
}

int
main (int argc, char *argv [])
{
    s_parse (argc, argv);
    //  A private run directory, so the benchmark never meets a real owner.
    if (bench_rundir (s_bench.rundir, sizeof (s_bench.rundir), "replica"))
        s_die ("mkdtemp: %s", strerror (errno));
    s_bench.key = calloc ((size_t) s_bench.keys, sizeof (*s_bench.key));
    if (!s_bench.key)
        s_die ("no memory");
    for (long index = 0; index < s_bench.keys; index++)
        snprintf (s_bench.key [index], sizeof (s_bench.key [index]), "k%ld", index);
    snprintf (s_bench.name, sizeof (s_bench.name), "replica-%d", (int) getpid ());
    s_bench.owner = zown_owner_new (s_bench.name);
    if (!s_bench.owner)
        s_die ("zown_owner_new: %s", zown_strerror (zown_errno ()));
    s_bench.control = zown_client_new (zown_owner_inproc (s_bench.owner));
    if (!s_bench.control || zown_client_ping (s_bench.control))
        s_die ("control client: %s", zown_strerror (zown_errno ()));

    if (!s_bench.json)
        printf ("replica_bench: %ld keys; %ld round-trip, %ld replica, %ld update+replica reads; "
                "%ld changes; %d run(s)\n",
                s_bench.keys, s_bench.rt_reads, s_bench.reads, s_bench.update_reads,
                s_bench.changes, s_bench.repeat);
    //  Feed cells: (subscribers, pairs per request)
    static const int cells [4][2] = {
        { 1, 1 }, { MAX_SUBSCRIBERS, 1 }, { 1, BATCH }, { MAX_SUBSCRIBERS, BATCH }
    };
    double rt [RUNS_MAX], replica [RUNS_MAX], update [RUNS_MAX], ratio [RUNS_MAX];
    double writer [4][RUNS_MAX], delivered [4][RUNS_MAX * MAX_SUBSCRIBERS];
    int delivered_count [4] = { 0 };
    for (int run = 0; run < s_bench.repeat; run++) {
        reads_t reads = s_reads_cell (run + 1);
        rt [run] = reads.rt;
        replica [run] = reads.replica;
        update [run] = reads.update;
        ratio [run] = reads.replica / reads.rt;
        if (s_bench.json)
            printf ("{\"kind\":\"reads\",\"run\":%d,\"keys\":%ld,\"rt_get_per_s\":%.1f,"
                    "\"replica_get_per_s\":%.1f,\"replica_update_get_per_s\":%.1f,"
                    "\"ratio\":%.1f,\"verified\":true}\n",
                    run + 1, s_bench.keys, reads.rt, reads.replica, reads.update, ratio [run]);
        else
            printf ("run %d reads/s: round trip %.0f, replica %.0f, update+replica %.0f; "
                    "replica / round trip %.0fx\n",
                    run + 1, reads.rt, reads.replica, reads.update, ratio [run]);
        for (int cell = 0; cell < 4; cell++) {
            int subscribers = cells [cell][0], batch = cells [cell][1];
            feed_t feed = s_feed_cell (subscribers, batch, run + 1);
            writer [cell][run] = feed.writer;
            for (int index = 0; index < subscribers; index++)
                delivered [cell][delivered_count [cell]++] = feed.delivered [index];
            if (s_bench.json) {
                printf ("{\"kind\":\"feed\",\"run\":%d,\"subscribers\":%d,\"batch\":%d,"
                        "\"changes\":%ld,\"writer_per_s\":%.1f,\"delivered_per_s\":[",
                        run + 1, subscribers, batch, s_bench.changes, feed.writer);
                for (int index = 0; index < subscribers; index++)
                    printf ("%s%.1f", index ? "," : "", feed.delivered [index]);
                printf ("],\"gaps\":%llu,\"resyncs\":%llu,\"verified\":true}\n",
                        (unsigned long long) feed.gaps, (unsigned long long) feed.resyncs);
            } else {
                printf ("run %d feed, %d subscriber(s), %d change(s) per request: writer %.0f "
                        "changes/s; delivered/s:",
                        run + 1, subscribers, batch, feed.writer);
                for (int index = 0; index < subscribers; index++)
                    printf (" %.0f", feed.delivered [index]);
                printf ("; gaps %llu, resyncs %llu\n", (unsigned long long) feed.gaps,
                        (unsigned long long) feed.resyncs);
            }
        }
        fflush (stdout);
    }
    if (!s_bench.json) {
        printf ("\nmedians of %d run(s): round trip %.0f reads/s, replica %.0f reads/s "
                "(%.0fx; target >= 100x), update+replica %.0f reads/s (%.0fx)\n",
                s_bench.repeat, bench_median (rt, s_bench.repeat),
                bench_median (replica, s_bench.repeat), bench_median (ratio, s_bench.repeat),
                bench_median (update, s_bench.repeat),
                bench_median (update, s_bench.repeat) / bench_median (rt, s_bench.repeat));
        for (int cell = 0; cell < 4; cell++)
            printf ("feed, %d subscriber(s), %d change(s) per request: writer %.0f changes/s, "
                    "each subscriber %.0f changes/s (median)\n",
                    cells [cell][0], cells [cell][1], bench_median (writer [cell], s_bench.repeat),
                    bench_median (delivered [cell], delivered_count [cell]));
    }
    free (s_bench.key);
    s_cleanup ();
    return 0;
}
