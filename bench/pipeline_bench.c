/*  =========================================================================
    pipeline_bench - items/s through a zown pipeline against a raw libzmq
    PUSH/PULL chain of the same shape, in the same run

    Both shapes: the main thread pushes N small items on a PUSH bound over
    ipc; W worker processes, forked by the same zown_spawner, PULL them and
    PUSH one output per item to a PULL that a second thread of the main
    process reads. High-water marks 1,000 everywhere. The clock starts once
    every worker is connected and ready, and stops:
      raw   when the sink thread has received N messages (it knows N; the
            workers forward each message as it came, zero-copy, and are
            killed afterwards);
      zown  when zown_pipeline_finish returns: every item accounted for
            and the workers stopped (their stop is inside the time). Each
            worker's work function emits the item it got; the sink
            function counts.
    Runs alternate raw and zown for each W, R times; the table gives the
    medians and their ratio. Only ratios within one run mean anything on a
    noisy machine.

    Usage: pipeline_bench [--items N] [--size B] [--workers LIST]
                          [--repeat R] [--quick]
    =========================================================================
*/
#define _GNU_SOURCE
#include <zown.h>
#include <zmq.h>
#include "benchutil.h"
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HWM         1000
#define WORKERS_MAX 16

static struct {
    long items;        //  Items per run
    size_t size;       //  Bytes per item
    int workers [8];   //  Worker counts to measure
    int worker_sets;   //
    int repeat;        //  Runs per cell and shape
    char rundir [64];  //  Private: endpoints of both shapes
    zown_spawner_t *spawner;
} s_bench = { 200000, 16, { 1, 2, 4 }, 3, 5, "", NULL };

#define s_die(...) bench_die ("pipeline_bench", NULL, __VA_ARGS__)

//  ---------------------------------------------------------------------
//  Raw libzmq chain

//  A raw worker: says it is ready, then forwards every item until killed.
static int
s_raw_worker (void *args, const void *payload, size_t size)
{
    (void) args;
    (void) size;
    const char *vent = payload;
    const char *sink = vent + strlen (vent) + 1;
    void *ctx = zmq_ctx_new ();
    void *pull = zmq_socket (ctx, ZMQ_PULL);
    void *push = zmq_socket (ctx, ZMQ_PUSH);
    int hwm = HWM;
    zmq_setsockopt (pull, ZMQ_RCVHWM, &hwm, sizeof (hwm));
    zmq_setsockopt (push, ZMQ_SNDHWM, &hwm, sizeof (hwm));
    if (zmq_connect (pull, vent) || zmq_connect (push, sink) || zmq_send (push, "", 0, 0))
        return 1;
    zmq_msg_t message;
    zmq_msg_init (&message);
    while (zmq_msg_recv (&message, pull, 0) >= 0)
        if (zmq_msg_send (&message, push, 0) < 0)
            break;
    return 1;
}

typedef struct {
    void *pull;
    int workers;
    long items;
    int ready_pipe;  //  Written once every worker said it is ready
    int64_t end_ns;  //  When the last item arrived
    long received;
} s_raw_sink_t;

static void *
s_raw_sink (void *args)
{
    s_raw_sink_t *sink = args;
    zmq_msg_t message;
    zmq_msg_init (&message);
    for (int ready = 0; ready < sink->workers; ready++)
        if (zmq_msg_recv (&message, sink->pull, 0) < 0)
            return NULL;
    if (write (sink->ready_pipe, "R", 1) != 1)
        return NULL;
    while (sink->received < sink->items && zmq_msg_recv (&message, sink->pull, 0) >= 0)
        sink->received++;
    sink->end_ns = bench_now_ns ();
    zmq_msg_close (&message);
    return NULL;
}

static void *
s_raw_socket (void *ctx, int type, int hwm_option, const char *endpoint)
{
    void *socket = zmq_socket (ctx, type);
    int hwm = HWM, linger = 0;
    if (!socket || zmq_setsockopt (socket, hwm_option, &hwm, sizeof (hwm))
        || zmq_setsockopt (socket, ZMQ_LINGER, &linger, sizeof (linger))
        || zmq_bind (socket, endpoint))
        s_die ("raw socket on %s: %s", endpoint, zmq_strerror (errno));
    return socket;
}

static double
s_raw_run (int workers)
{
    char payload [256];
    int vent_size = snprintf (payload, sizeof (payload), "ipc://%s/raw-vent.sock", s_bench.rundir);
    int sink_size = snprintf (payload + vent_size + 1, sizeof (payload) - (size_t) vent_size - 1,
                              "ipc://%s/raw-sink.sock", s_bench.rundir);
    void *ctx = zmq_ctx_new ();
    void *vent = s_raw_socket (ctx, ZMQ_PUSH, ZMQ_SNDHWM, payload);
    s_raw_sink_t sink = { .pull = s_raw_socket (ctx, ZMQ_PULL, ZMQ_RCVHWM, payload + vent_size + 1),
                          .workers = workers,
                          .items = s_bench.items };
    int ready [2];
    if (pipe (ready))
        s_die ("pipe: %s", strerror (errno));
    sink.ready_pipe = ready [1];
    pid_t pids [WORKERS_MAX];
    for (int index = 0; index < workers; index++) {
        pids [index] = zown_spawner_spawn (s_bench.spawner, s_raw_worker, NULL, payload,
                                           (size_t) (vent_size + sink_size + 2));
        if (pids [index] < 0)
            s_die ("spawn: %s", zown_strerror (zown_errno ()));
    }
    pthread_t thread;
    if (pthread_create (&thread, NULL, s_raw_sink, &sink))
        s_die ("pthread_create");
    char byte;
    if (read (ready [0], &byte, 1) != 1)
        s_die ("raw workers never got ready");
    uint8_t *item = calloc (1, s_bench.size);
    int64_t start = bench_now_ns ();
    for (long index = 0; index < s_bench.items; index++) {
        memcpy (item, &index, s_bench.size < sizeof (index) ? s_bench.size : sizeof (index));
        if (zmq_send (vent, item, s_bench.size, 0) != (int) s_bench.size)
            s_die ("raw send: %s", zmq_strerror (errno));
    }
    pthread_join (thread, NULL);
    if (sink.received != s_bench.items)
        s_die ("raw: %ld of %ld items arrived", sink.received, s_bench.items);
    for (int index = 0; index < workers; index++)
        zown_spawner_kill (s_bench.spawner, pids [index], SIGKILL);
    for (int index = 0; index < workers; index++)
        if (zown_spawner_wait (s_bench.spawner, 10000, NULL, NULL))
            s_die ("raw worker exit: %s", zown_strerror (zown_errno ()));
    free (item);
    close (ready [0]);
    close (ready [1]);
    zmq_close (vent);
    zmq_close (sink.pull);
    zmq_ctx_term (ctx);
    return (double) s_bench.items / ((double) (sink.end_ns - start) / 1e9);
}

//  ---------------------------------------------------------------------
//  zown pipeline

static int
s_echo (void *args, const void *item, size_t size, zown_pipeline_emit_t *out)
{
    (void) args;
    return zown_pipeline_emit (out, item, size);
}

static int
s_count (void *args, const void *data, size_t size, zown_client_t *client)
{
    (void) data;
    (void) client;
    *(long *) args += size == s_bench.size;
    return 0;
}

static double
s_zown_run (int workers)
{
    long received = 0;
    zown_pipeline_config_t config = { .name = "bench",
                                      .workers = (size_t) workers,
                                      .spawner = s_bench.spawner,
                                      .work = s_echo,
                                      .sink = s_count,
                                      .sink_args = &received,
                                      .quiet = true };
    zown_pipeline_t *pipeline = zown_pipeline_new (&config);
    if (!pipeline)
        s_die ("zown_pipeline_new: %s", zown_strerror (zown_errno ()));
    uint8_t *item = calloc (1, s_bench.size);
    int64_t start = bench_now_ns ();
    for (long index = 0; index < s_bench.items; index++) {
        memcpy (item, &index, s_bench.size < sizeof (index) ? s_bench.size : sizeof (index));
        if (zown_pipeline_push (pipeline, item, s_bench.size))
            s_die ("push: %s", zown_strerror (zown_errno ()));
    }
    if (zown_pipeline_finish (pipeline, ZOWN_FOREVER))
        s_die ("finish: %s (%s)", zown_strerror (zown_errno ()), zown_pipeline_failure (pipeline));
    int64_t end = bench_now_ns ();
    if (received != s_bench.items)
        s_die ("zown: %ld of %ld items arrived", received, s_bench.items);
    zown_pipeline_destroy (&pipeline);
    free (item);
    return (double) s_bench.items / ((double) (end - start) / 1e9);
}

//  ---------------------------------------------------------------------

static void
s_parse (int argc, char *argv [])
{
    for (int index = 1; index < argc; index++) {
        const char *option = argv [index];
        const char *value = index + 1 < argc ? argv [index + 1] : NULL;
        if (!strcmp (option, "--quick")) {
            s_bench.items = 20000;
            s_bench.repeat = 1;
            continue;
        }
        if (!value)
            s_die ("%s needs a value (see the banner of bench/pipeline_bench.c)", option);
        index++;
        if (!strcmp (option, "--items"))
            s_bench.items = atol (value);
        else if (!strcmp (option, "--size"))
            s_bench.size = (size_t) atol (value);
        else if (!strcmp (option, "--repeat"))
            s_bench.repeat = atoi (value);
        else if (!strcmp (option, "--workers")) {
            s_bench.worker_sets = 0;
            char *list = strdup (value);
            for (char *word = strtok (list, ","); word && s_bench.worker_sets < 8;
                 word = strtok (NULL, ","))
                s_bench.workers [s_bench.worker_sets++] = atoi (word);
            free (list);
        } else
            s_die ("unknown option %s", option);
    }
    if (s_bench.items < 1 || s_bench.size < 1 || s_bench.repeat < 1 || s_bench.worker_sets < 1)
        s_die ("items, size, repeat and workers must be positive");
    for (int set = 0; set < s_bench.worker_sets; set++)
        if (s_bench.workers [set] < 1 || s_bench.workers [set] > WORKERS_MAX)
            s_die ("workers: 1..%d", WORKERS_MAX);
}

static void
s_cleanup (void)
{
    if (*s_bench.rundir)
        bench_remove_tree (s_bench.rundir);
}

int
main (int argc, char *argv [])
{
    //  The fork server first, while this process has one thread.
    s_bench.spawner = zown_spawner_new ();
    if (!s_bench.spawner)
        s_die ("zown_spawner_new: %s", zown_strerror (zown_errno ()));
    s_parse (argc, argv);
    if (bench_rundir (s_bench.rundir, sizeof (s_bench.rundir), "pipeline"))
        s_die ("mkdtemp: %s", strerror (errno));
    atexit (s_cleanup);

    int sets = s_bench.worker_sets, repeat = s_bench.repeat;
    double *raw = calloc ((size_t) (sets * repeat), sizeof (double));
    double *zown = calloc ((size_t) (sets * repeat), sizeof (double));
    fprintf (stderr, "pipeline_bench: %ld items of %zu bytes, %d run(s) per cell\n", s_bench.items,
             s_bench.size, repeat);
    for (int run = 0; run < repeat; run++)
        for (int set = 0; set < sets; set++) {
            int workers = s_bench.workers [set];
            raw [set * repeat + run] = s_raw_run (workers);
            zown [set * repeat + run] = s_zown_run (workers);
            fprintf (stderr, "  run %d, %d workers: raw %.0f items/s, zown %.0f items/s (%.2f)\n",
                     run + 1, workers, raw [set * repeat + run], zown [set * repeat + run],
                     zown [set * repeat + run] / raw [set * repeat + run]);
        }
    printf ("| workers | raw PUSH/PULL items/s | zown pipeline items/s | ratio (target >= 0.7) "
            "| single-run ratios |\n|--:|--:|--:|--:|--:|\n");
    for (int set = 0; set < sets; set++) {
        double ratios [64];
        int count = repeat < 64 ? repeat : 64;
        for (int run = 0; run < count; run++)
            ratios [run] = zown [set * repeat + run] / raw [set * repeat + run];
        qsort (ratios, (size_t) count, sizeof (double), bench_cmp_double);
        double raw_median = bench_median (raw + set * repeat, repeat);
        double zown_median = bench_median (zown + set * repeat, repeat);
        double ratio = zown_median / raw_median;
        printf ("| %d | %.0f | %.0f | %.2f %s | %.2f-%.2f |\n", s_bench.workers [set], raw_median,
                zown_median, ratio, ratio >= 0.7 ? "yes" : "**no**", ratios [0],
                ratios [count - 1]);
    }
    free (raw);
    free (zown);
    zown_spawner_destroy (&s_bench.spawner);
    return 0;
}
