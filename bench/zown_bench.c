/*  =========================================================================
    zown_bench - zown against raw libzmq, in one run of one program

    Measures, for W workers as forked processes over ipc and as threads over
    inproc:
      zown value_add / dict_set / dict_get   synchronous calls, one at a time
      zown pipe_add                          VALUE_ADD pipelined, 100 in flight
      zown buf_add / buf_set                 the value_add / dict_set loop on a
                                             buffered client (default buffer
                                             and linger), flushed at the end
      raw-zmq echo_rt                        ROUTER echo, synchronous, same size
      raw-zmq echo_pipe                      ROUTER echo, pipelined, 100 in flight
    and, only when named in --workloads (bench/vs_redis.py's cells):
      zown value_get / queue_rt              synchronous VALUE_GET; QUEUE_PUT
                                             then QUEUE_GET, one item per op
      zown batch_add / batch_set             100-op requests of VALUE_ADDs or
                                             DICT_SETs, --batch-window in flight
      zown fill_dict                         --pipe-ops entries of 16-byte keys
                                             and 16-byte string values, in
                                             100-op requests, kept afterwards
    and prints the ratios zown/raw and pipelined/round-trip, then peak RSS.
    Only ratios within one run mean anything on a noisy machine.

    --soak N runs N pipelined adds from forked workers and reports the owner
    process's VmRSS at 10%, 50% and 100%.

    --endpoint E runs the workers against a running owner at E (zown serve)
    instead of one in this process: forked processes only.

    Usage: zown_bench [--ops N] [--pipe-ops N] [--workers 1,2,5,8]
                      [--transport ipc|inproc|both] [--repeat R] [--json]
                      [--quick] [--soak [N]] [--workloads LIST]
                      [--endpoint E] [--batch-window N]
    =========================================================================
*/
#define _POSIX_C_SOURCE 200809L
#include <zown.h>
#include "benchutil.h"
#include <zmq.h>
#include <errno.h>
#include <pthread.h>
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

#define WINDOW      100  //  Pipelined requests in flight per worker
#define NKEYS       100  //  Keys per dict worker (as mp_baseline.py)
#define MAX_WORKERS 64
#define RAW_HWM     100000  //  As the owner ROUTER's default max_inflight
#define RAW_BURST   256     //  As S_BURST in runtime/owner/owner.c
//  Size of a zown VALUE_ADD request on object "counter": header 14 (sig 2,
//  version, kind, id 8, op count 2) + op 1 + name length 1 + name 7 +
//  argc 2 + int datum 9 (tag + 8) = 34 bytes.
#define RAW_PAYLOAD         34
#define DEFAULT_OPS         4000  //  Round trips per worker
#define DEFAULT_PIPE_FACTOR 10    //  Pipelined ops per worker = factor x ops
#define DEFAULT_SOAK        10000000L
#define BATCH               100     //  Ops per request of the batch workloads
#define BATCH_KEYS          100000  //  batch_set's keys, as redis-benchmark -r 100000

typedef enum {
    WL_VALUE_ADD,
    WL_DICT_SET,
    WL_DICT_GET,
    WL_PIPE_ADD,
    WL_BUF_ADD,
    WL_BUF_SET,
    WL_ECHO_RT,
    WL_ECHO_PIPE,
    WL_VALUE_GET,  //  From here on, run only when named in --workloads
    WL_QUEUE_RT,
    WL_BATCH_ADD,
    WL_BATCH_SET,
    WL_FILL_DICT,
    WL_COUNT
} workload_t;

static const char *s_wl_name [WL_COUNT] = { "value_add", "dict_set", "dict_get",  "pipe_add",
                                            "buf_add",   "buf_set",  "echo_rt",   "echo_pipe",
                                            "value_get", "queue_rt", "batch_add", "batch_set",
                                            "fill_dict" };

typedef enum { TR_IPC, TR_INPROC, TR_COUNT } transport_t;
static const char *s_tr_name [TR_COUNT] = { "ipc", "inproc" };

static bool
s_is_raw (workload_t wl)
{
    return wl == WL_ECHO_RT || wl == WL_ECHO_PIPE;
}

static bool
s_is_batch (workload_t wl)
{
    return wl == WL_BATCH_ADD || wl == WL_BATCH_SET || wl == WL_FILL_DICT;
}

static bool
s_is_buffered (workload_t wl)
{
    return wl == WL_BUF_ADD || wl == WL_BUF_SET;
}

//  No latency per op: pipelined, batched or buffered
static bool
s_is_pipe (workload_t wl)
{
    return wl == WL_PIPE_ADD || wl == WL_ECHO_PIPE || s_is_batch (wl) || s_is_buffered (wl);
}

//  --------------------------------------------------------------------------
//  Small helpers

static void
s_sleep_ms (int ms)
{
    struct timespec pause = { ms / 1000, (long) (ms % 1000) * 1000000L };
    nanosleep (&pause, NULL);
}

static long
s_maxrss_kb (void)
{
    struct rusage usage;
    getrusage (RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
}

static int
s_set_int (void *socket, int option, int value)
{
    return zmq_setsockopt (socket, option, &value, sizeof (value));
}

//  --------------------------------------------------------------------------
//  Global state of the run

typedef struct {
    //  Options
    long ops;       //  Round trips per worker
    long pipe_ops;  //  Pipelined ops per worker
    int workers [MAX_WORKERS];
    int worker_counts;
    bool transports [TR_COUNT];
    int repeat;
    bool json;
    bool quick;
    long soak;  //  0: no soak
    bool workers_given;
    bool only [WL_COUNT];  //  --workloads: run only these
    const char *endpoint;  //  --endpoint: a running owner's, else NULL
    int batch_window;      //  Batch requests in flight per worker
    //  Environment
    char rundir [64];
    zown_owner_t *owner;
    zown_client_t *control;  //  Parent's own client (inproc), never in a child
    //  Raw libzmq echo server
    void *raw_ctx;
    bench_echo_t *raw_echo;
    char raw_inproc [64];
    char raw_ipc [128];
    //  Results: ops/s per [run][transport][worker index][workload]
    double *results;
    long rss_before_inproc_kb;
} bench_t;

static bench_t s_bench;

static double *
s_result (int run, int tr, int wi, int wl)
{
    return &s_bench.results [((run * TR_COUNT + tr) * MAX_WORKERS + wi) * WL_COUNT + wl];
}

static void s_cleanup (void);

#define s_die(...) bench_die ("zown_bench: FAILED", s_cleanup, __VA_ARGS__)

//  --------------------------------------------------------------------------
//  Raw libzmq echo server (benchutil)

static void
s_raw_start (void)
{
    s_bench.raw_ctx = zmq_ctx_new ();
    if (!s_bench.raw_ctx)
        s_die ("zmq_ctx_new: %s", zmq_strerror (errno));
    snprintf (s_bench.raw_inproc, sizeof (s_bench.raw_inproc), "inproc://raw-bench-%d",
              (int) getpid ());
    snprintf (s_bench.raw_ipc, sizeof (s_bench.raw_ipc), "ipc://%s/raw.sock", s_bench.rundir);
    void *router = zmq_socket (s_bench.raw_ctx, ZMQ_ROUTER);
    //  The same options as the owner's ROUTER (runtime/owner/owner.c).
    if (!router || s_set_int (router, ZMQ_LINGER, 0) || s_set_int (router, ZMQ_ROUTER_MANDATORY, 1)
        || s_set_int (router, ZMQ_SNDHWM, RAW_HWM) || s_set_int (router, ZMQ_RCVHWM, RAW_HWM)
        || zmq_bind (router, s_bench.raw_inproc) || zmq_bind (router, s_bench.raw_ipc)
        || !(s_bench.raw_echo = bench_echo_start (s_bench.raw_ctx, router, RAW_BURST))) {
        if (router)
            zmq_close (router);
        s_die ("raw ROUTER: %s", zmq_strerror (errno));
    }
}

static void
s_raw_stop (void)
{
    bench_echo_stop (&s_bench.raw_echo);
    if (s_bench.raw_ctx)
        zmq_ctx_term (s_bench.raw_ctx);
    s_bench.raw_ctx = NULL;
}

//  --------------------------------------------------------------------------
//  Workers

typedef struct {
    pthread_barrier_t ready;  //  Every worker set up (and main)
    pthread_mutex_t mutex;
    pthread_cond_t cond;
    bool go;  //  Set by main after it took t0
} thread_gate_t;

typedef struct {
    workload_t workload;
    const char *endpoint;
    const char *object;  //  Value name for value_add / pipe_add
    int wid;
    long ops;
    void *raw_ctx;  //  Thread mode: the echo server's context
    //  Start gate
    bool process;
    const bench_worker_fds_t *fds;  //  Process mode
    thread_gate_t *gate;            //  Thread mode
    //  Results
    uint32_t *lat;   //  Round trips: one latency (ns) per op
    int64_t end_ns;  //  When the last op completed
    long done;       //  Ops completed
    int failed;
    char error [200];
} job_t;

//  What a child writes back before its latencies.
typedef struct {
    int failed;
    long done;
    int64_t end_ns;
    char error [200];
} child_result_t;

#define s_job_fail(job, ...)                                                                       \
    bench_fail (&(job)->failed, (job)->error, sizeof ((job)->error), __VA_ARGS__)

static void
s_gate_pass (job_t *job)
{
    if (job->process)
        bench_worker_gate (job->fds, !job->failed);
    else {
        pthread_barrier_wait (&job->gate->ready);
        pthread_mutex_lock (&job->gate->mutex);
        while (!job->gate->go)
            pthread_cond_wait (&job->gate->cond, &job->gate->mutex);
        pthread_mutex_unlock (&job->gate->mutex);
    }
}

//  job->ops ops in requests of BATCH, at most `window` requests in flight:
//  batch_add: VALUE_ADDs on job->object; batch_set: DICT_SETs of rolling
//  keys; fill_dict: DICT_SETs of 16-byte keys to 16-byte strings, each key
//  new. Returns the ops whose request came back OK.
static long
s_zown_batches (job_t *job, zown_client_t *client, zown_request_t *request, int window)
{
    zown_datum_t one = zown_datum_int (1);
    long requests = job->ops / BATCH, sent = 0, received = 0;
    long next_key = job->wid * job->ops;
    zown_request_reset (request);
    for (int index = 0; job->workload == WL_BATCH_ADD && index < BATCH; index++)
        if (zown_request_add (request, ZOWN_OP_VALUE_ADD, job->object, 1, &one))
            return 0;
    while (received < requests) {
        if (sent < requests && zown_client_pending (client) < (size_t) window) {
            for (int index = 0; job->workload != WL_BATCH_ADD && index < BATCH;
                 index++, next_key++) {
                char key [24], text [24];
                zown_datum_t args [2];
                if (index == 0)
                    zown_request_reset (request);
                if (job->workload == WL_BATCH_SET) {
                    snprintf (key, sizeof (key), "key:%012ld", next_key % BATCH_KEYS);
                    args [1] = zown_datum_int (next_key);
                } else {
                    snprintf (key, sizeof (key), "k%015ld", next_key);
                    snprintf (text, sizeof (text), "v%015ld", next_key);
                    args [1] = zown_datum_str (text);
                }
                args [0] = zown_datum_str (key);
                if (zown_request_add (request, ZOWN_OP_DICT_SET, job->object, 2, args)) {
                    s_job_fail (job, "worker %d: request: %s", job->wid,
                                zown_strerror (zown_errno ()));
                    return received * BATCH;
                }
            }
            if (zown_client_send (client, request, NULL)) {
                s_job_fail (job, "worker %d: send: %s", job->wid, zown_strerror (zown_errno ()));
                break;
            }
            sent++;
            continue;
        }
        zown_reply_t *reply;
        if (zown_client_recv (client, &reply)) {
            s_job_fail (job, "worker %d: recv: %s", job->wid, zown_strerror (zown_errno ()));
            break;
        }
        if (zown_reply_status (reply) != ZOWN_OK || zown_reply_results (reply) != BATCH) {
            s_job_fail (job, "worker %d: batch %ld: status %s", job->wid, received,
                        zown_status_name (zown_reply_status (reply)));
            break;
        }
        received++;
    }
    return received * BATCH;
}

static void
s_zown_worker (job_t *job)
{
    zown_client_t *client = zown_client_new (job->endpoint);
    zown_value_t *value = client ? zown_value_new (client, job->object) : NULL;
    bool sets = job->workload == WL_DICT_SET || job->workload == WL_BUF_SET;
    zown_dict_t *dict = client ? zown_dict_new (client, sets ? "bench-set" : "bench-get") : NULL;
    zown_queue_t *queue = client ? zown_queue_new (client, "bench-queue") : NULL;
    zown_request_t *request = zown_request_new ();
    zown_datum_t one = zown_datum_int (1);
    char keys [NKEYS][24];
    if (sets)
        for (int index = 0; index < NKEYS; index++)
            snprintf (keys [index], sizeof (keys [index]), "k%d_%d", job->wid, index);
    else
        for (int index = 0; index < NKEYS; index++)
            snprintf (keys [index], sizeof (keys [index]), "k%d", index);
    if (!client || !value || !dict || !queue || !request
        || zown_request_add (request, ZOWN_OP_VALUE_ADD, job->object, 1, &one))
        s_job_fail (job, "worker %d: setup: %s", job->wid, zown_strerror (zown_errno ()));
    else
        //  One round trip before the gate, so connection setup is not timed.
        if (zown_client_ping (client))
            s_job_fail (job, "worker %d: ping: %s", job->wid, zown_strerror (zown_errno ()));
        else if (s_is_pipe (job->workload)
                 && zown_client_set_window (
                     client, s_is_batch (job->workload) ? s_bench.batch_window : WINDOW))
            s_job_fail (job, "worker %d: set_window: %s", job->wid, zown_strerror (zown_errno ()));
        else if (s_is_buffered (job->workload)
                 && zown_client_set_buffered (client, ZOWN_CLIENT_BUFFER_DEFAULT,
                                              ZOWN_CLIENT_LINGER_DEFAULT))
            s_job_fail (job, "worker %d: set_buffered: %s", job->wid,
                        zown_strerror (zown_errno ()));

    s_gate_pass (job);
    if (job->failed)
        goto done;

    long ops = job->ops;
    if (job->workload == WL_PIPE_ADD) {
        char error [160];
        job->done = bench_zown_pipe (client, request, ops, WINDOW, error, sizeof (error));
        if (job->done < ops)
            s_job_fail (job, "worker %d: %s", job->wid, error);
    } else if (s_is_batch (job->workload))
        job->done = s_zown_batches (job, client, request,
                                    job->workload == WL_FILL_DICT ? 1 : s_bench.batch_window);
    else if (s_is_buffered (job->workload)) {
        //  The plain loop; the time includes the flush that applies all.
        long index;
        for (index = 0; index < ops; index++)
            if (job->workload == WL_BUF_ADD
                    ? zown_value_add (value, 1, NULL)
                    : zown_dict_set (dict, keys [index % NKEYS], zown_datum_int (index), NULL))
                break;
        if (index < ops || zown_client_flush (client))
            s_job_fail (job, "worker %d: %s op %ld: %s", job->wid, s_wl_name [job->workload], index,
                        zown_strerror (zown_errno ()));
        job->done = index;
    } else {
        long index;
        for (index = 0; index < ops; index++) {
            int64_t started = bench_now_ns ();
            int rc;
            if (job->workload == WL_VALUE_ADD)
                rc = zown_value_add (value, 1, NULL);
            else if (job->workload == WL_VALUE_GET) {
                int64_t got;
                rc = zown_value_get (value, &got);
            } else if (job->workload == WL_QUEUE_RT && index % 2 == 0)
                rc = zown_queue_put (queue, zown_datum_int (index), ZOWN_FOREVER);
            else if (job->workload == WL_QUEUE_RT) {
                //  Every get follows its worker's put, so one is always there.
                zown_datum_t got;
                rc = zown_queue_get (queue, 5000, &got);
            } else if (job->workload == WL_DICT_SET)
                rc = zown_dict_set (dict, keys [index % NKEYS], zown_datum_int (index), NULL);
            else {
                int key = (int) ((job->wid * 37 + index) % NKEYS);
                zown_datum_t got;
                rc = zown_dict_get (dict, keys [key], &got, NULL);
                if (rc == 0 && (got.tag != ZOWN_INT || got.u.i != key)) {
                    s_job_fail (job, "worker %d: get k%d returned a wrong value", job->wid, key);
                    break;
                }
            }
            int64_t elapsed = bench_now_ns () - started;
            if (rc) {
                s_job_fail (job, "worker %d: %s op %ld: %s", job->wid, s_wl_name [job->workload],
                            index, zown_strerror (zown_errno ()));
                break;
            }
            job->lat [index] = elapsed > UINT32_MAX ? UINT32_MAX : (uint32_t) elapsed;
        }
        job->done = index;
    }
done:
    job->end_ns = bench_now_ns ();
    zown_request_destroy (&request);
    zown_queue_destroy (&queue);
    zown_dict_destroy (&dict);
    zown_value_destroy (&value);
    zown_client_destroy (&client);
}

static void
s_raw_worker (job_t *job)
{
    void *ctx = job->raw_ctx ? job->raw_ctx : zmq_ctx_new ();
    void *dealer = ctx ? bench_dealer_new (ctx, job->endpoint, NULL) : NULL;
    char error [160];
    uint32_t warm;
    if (!dealer)
        s_job_fail (job, "worker %d: raw setup: %s", job->wid, zmq_strerror (errno));
    else if (bench_echo_rt (dealer, RAW_PAYLOAD, 1, &warm, error, sizeof (error)) != 1)
        s_job_fail (job, "worker %d: raw warm-up: %s", job->wid, error);

    s_gate_pass (job);
    if (job->failed)
        goto done;
    if (job->workload == WL_ECHO_PIPE)
        job->done = bench_echo_pipe (dealer, RAW_PAYLOAD, job->ops, WINDOW, error, sizeof (error));
    else
        job->done = bench_echo_rt (dealer, RAW_PAYLOAD, job->ops, job->lat, error, sizeof (error));
    if (job->done < job->ops)
        s_job_fail (job, "worker %d: raw: %s", job->wid, error);
done:
    job->end_ns = bench_now_ns ();
    if (dealer)
        zmq_close (dealer);
    //  A child's own context is left to _exit; the shared one to main.
}

static void
s_run_job (job_t *job)
{
    if (s_is_raw (job->workload))
        s_raw_worker (job);
    else
        s_zown_worker (job);
}

static void *
s_thread_main (void *args)
{
    s_run_job ((job_t *) args);
    return NULL;
}

//  --------------------------------------------------------------------------
//  One cell: W workers of one workload over one transport

typedef struct {
    double seconds;
    double ops_per_s;
    double p50_us, p99_us;
    long total;
} cell_t;

typedef void (monitor_fn) (long total);

//  One job in a forked process: its own client, never the parent's.
static int
s_job_process (int index, void *args, const bench_worker_fds_t *fds)
{
    job_t *job = &((job_t *) args) [index];
    job->process = true;
    job->fds = fds;
    if (!s_is_pipe (job->workload)) {
        job->lat = (uint32_t *) calloc ((size_t) job->ops, sizeof (uint32_t));
        if (!job->lat)
            s_job_fail (job, "worker %d: no memory", job->wid);
        else  //  Fault the pages in before the clock starts
            memset (job->lat, 0xff, (size_t) job->ops * sizeof (uint32_t));
    }
    s_run_job (job);
    child_result_t out = { job->failed, job->done, job->end_ns, { 0 } };
    memcpy (out.error, job->error, sizeof (out.error));
    int rc = bench_write_all (fds->result, &out, sizeof (out));
    if (rc == 0 && job->lat && job->done)
        rc = bench_write_all (fds->result, job->lat, (size_t) job->done * sizeof (uint32_t));
    return rc || job->failed ? 1 : 0;
}

//  Runs W jobs (filled in except for the gate fields) behind a start gate;
//  returns the elapsed time in ns from the gate to the last op. `monitor`
//  runs in the parent while the workers run.
static int64_t
s_run_jobs (job_t *jobs, int count, bool process, monitor_fn *monitor, long total)
{
    int64_t started = 0;
    if (process) {
        bench_fork_t workers;
        started = bench_fork_start (&workers, count, s_job_process, jobs);
        if (started < 0)
            s_die ("could not start the workers");
        if (monitor && workers.ready)
            monitor (total);
        for (int index = 0; index < count; index++) {
            job_t *job = &jobs [index];
            child_result_t in;
            if (bench_read_all (workers.results [index], &in, sizeof (in))) {
                s_job_fail (job, "worker %d died without a result", index);
                job->end_ns = bench_now_ns ();
            } else {
                job->failed = in.failed;
                job->done = in.done;
                job->end_ns = in.end_ns;
                memcpy (job->error, in.error, sizeof (job->error));
                if (job->lat && in.done
                    && bench_read_all (workers.results [index], job->lat,
                                       (size_t) in.done * sizeof (uint32_t)))
                    s_job_fail (job, "worker %d: short latency record", index);
            }
        }
        bench_fork_reap (&workers);
        for (int index = 0; index < count; index++) {
            int status = workers.status [index];
            if (!WIFEXITED (status) || (WEXITSTATUS (status) && !jobs [index].failed))
                s_job_fail (&jobs [index], "worker %d exited with status 0x%x", index, status);
        }
    } else {
        thread_gate_t gate;
        pthread_barrier_init (&gate.ready, NULL, (unsigned) count + 1);
        pthread_mutex_init (&gate.mutex, NULL);
        pthread_cond_init (&gate.cond, NULL);
        gate.go = false;
        pthread_t threads [MAX_WORKERS];
        for (int index = 0; index < count; index++) {
            jobs [index].process = false;
            jobs [index].gate = &gate;
            if (pthread_create (&threads [index], NULL, s_thread_main, &jobs [index]))
                s_die ("pthread_create");
        }
        pthread_barrier_wait (&gate.ready);
        started = bench_now_ns ();
        pthread_mutex_lock (&gate.mutex);
        gate.go = true;
        pthread_cond_broadcast (&gate.cond);
        pthread_mutex_unlock (&gate.mutex);
        if (monitor)
            monitor (total);
        for (int index = 0; index < count; index++)
            pthread_join (threads [index], NULL);
        pthread_barrier_destroy (&gate.ready);
        pthread_mutex_destroy (&gate.mutex);
        pthread_cond_destroy (&gate.cond);
    }
    int64_t ended = started;
    for (int index = 0; index < count; index++) {
        if (jobs [index].failed)
            s_die ("%s", jobs [index].error);
        if (jobs [index].end_ns > ended)
            ended = jobs [index].end_ns;
    }
    return ended - started;
}

static int64_t
s_value_of (const char *name)
{
    zown_value_t *value = zown_value_new (s_bench.control, name);
    int64_t number = -1;
    if (!value || zown_value_get (value, &number))
        s_die ("control: get %s: %s", name, zown_strerror (zown_errno ()));
    zown_value_destroy (&value);
    return number;
}

static void
s_value_reset (const char *name)
{
    zown_value_t *value = zown_value_new (s_bench.control, name);
    if (!value || zown_value_set (value, 0))
        s_die ("control: set %s: %s", name, zown_strerror (zown_errno ()));
    zown_value_destroy (&value);
}

static void
s_dict_check_set (int workers, long ops)
{
    zown_dict_t *dict = zown_dict_new (s_bench.control, "bench-set");
    size_t length = 0;
    if (!dict || zown_dict_len (dict, &length))
        s_die ("control: dict len: %s", zown_strerror (zown_errno ()));
    long per_worker = ops < NKEYS ? ops : NKEYS;
    if ((long) length != workers * per_worker)
        s_die ("dict_set: %zu keys, expected %ld", length, workers * per_worker);
    for (int wid = 0; wid < workers; wid++)
        for (long key = 0; key < per_worker; key++) {
            char name [24];
            snprintf (name, sizeof (name), "k%d_%ld", wid, key);
            //  Last index i < ops with i % NKEYS == key
            long expect = key + ((ops - 1 - key) / NKEYS) * NKEYS;
            zown_datum_t got;
            if (zown_dict_get (dict, name, &got, NULL) || got.tag != ZOWN_INT || got.u.i != expect)
                s_die ("dict_set: key %s does not hold %ld", name, expect);
        }
    zown_dict_destroy (&dict);
}

//  A dict every op of which added a new key: its length.
static void
s_dict_check_len (const char *name, size_t expect)
{
    zown_dict_t *dict = zown_dict_new (s_bench.control, name);
    size_t length = 0;
    if (!dict || zown_dict_len (dict, &length))
        s_die ("control: dict len: %s", zown_strerror (zown_errno ()));
    if (length != expect)
        s_die ("%s: %zu keys, expected %zu", name, length, expect);
    zown_dict_destroy (&dict);
}

static void
s_dict_clear (const char *name)
{
    zown_dict_t *dict = zown_dict_new (s_bench.control, name);
    if (!dict || zown_dict_clear (dict, NULL))
        s_die ("control: dict clear: %s", zown_strerror (zown_errno ()));
    zown_dict_destroy (&dict);
}

static cell_t
s_run_cell (workload_t wl, transport_t tr, int workers, long ops)
{
    job_t jobs [MAX_WORKERS];
    memset (jobs, 0, sizeof (jobs));
    const char *endpoint;
    if (s_is_raw (wl))
        endpoint = tr == TR_IPC ? s_bench.raw_ipc : s_bench.raw_inproc;
    else if (s_bench.endpoint)
        endpoint = s_bench.endpoint;
    else
        endpoint =
            tr == TR_IPC ? zown_owner_ipc (s_bench.owner) : zown_owner_inproc (s_bench.owner);
    bool adds = wl == WL_VALUE_ADD || wl == WL_PIPE_ADD || wl == WL_BATCH_ADD || wl == WL_BUF_ADD;
    bool sets = wl == WL_DICT_SET || wl == WL_BUF_SET;
    const char *object = wl == WL_BATCH_SET ? "bench-batch"
        : wl == WL_FILL_DICT                ? "bench-fill"
        : wl == WL_BUF_ADD                  ? "bcounter"
        : adds && wl != WL_VALUE_ADD        ? "pcounter"
                                            : "counter";
    if (adds || wl == WL_VALUE_GET)
        s_value_reset (object);
    if (sets)
        s_dict_clear ("bench-set");

    uint32_t *lat = NULL;
    if (!s_is_pipe (wl)) {
        lat = (uint32_t *) calloc ((size_t) (workers * ops), sizeof (uint32_t));
        if (!lat)
            s_die ("no memory for latencies");
        memset (lat, 0xff, (size_t) (workers * ops) * sizeof (uint32_t));
    }
    for (int index = 0; index < workers; index++) {
        jobs [index].workload = wl;
        jobs [index].endpoint = endpoint;
        jobs [index].object = object;
        jobs [index].wid = index;
        jobs [index].ops = ops;
        jobs [index].raw_ctx = tr == TR_INPROC ? s_bench.raw_ctx : NULL;
        jobs [index].lat = lat ? lat + index * ops : NULL;
    }
    int64_t elapsed = s_run_jobs (jobs, workers, tr == TR_IPC, NULL, 0);
    long total = workers * ops;
    for (int index = 0; index < workers; index++)
        if (jobs [index].done != ops)
            s_die ("%s: worker %d did %ld of %ld ops", s_wl_name [wl], index, jobs [index].done,
                   ops);

    //  Correctness: every add counted exactly once, every set kept.
    if (adds) {
        int64_t final = s_value_of (object);
        if (final != total)
            s_die ("%s %s W=%d: counter = %lld, expected %ld (lost or duplicated ops)",
                   s_wl_name [wl], s_tr_name [tr], workers, (long long) final, total);
    }
    if (sets)
        s_dict_check_set (workers, ops);
    if (wl == WL_FILL_DICT)
        s_dict_check_len (object, (size_t) total);
    if (bench_echo_refused (s_bench.raw_echo))
        s_die ("raw ROUTER refused %llu echoes",
               (unsigned long long) bench_echo_refused (s_bench.raw_echo));

    cell_t cell = { 0 };
    cell.total = total;
    cell.seconds = (double) elapsed / 1e9;
    cell.ops_per_s = (double) total / cell.seconds;
    if (lat) {
        bench_latency_us (lat, (size_t) total, &cell.p50_us, &cell.p99_us);
        free (lat);
    }
    return cell;
}

//  --------------------------------------------------------------------------
//  Reporting

static void
s_print_cell (workload_t wl, transport_t tr, int workers, int run, long ops, cell_t *cell)
{
    const char *impl = s_is_raw (wl) ? "raw-zmq" : "zown";
    if (s_bench.json) {
        printf ("{\"kind\":\"cell\",\"impl\":\"%s\",\"workload\":\"%s\",\"mode\":\"%s\","
                "\"transport\":\"%s\",\"workers\":%d,\"run\":%d,\"ops\":%ld,"
                "\"ops_per_worker\":%ld,\"seconds\":%.6f,\"ops_per_s\":%.1f,",
                impl, s_wl_name [wl],
                s_is_buffered (wl)   ? "buffered"
                    : s_is_pipe (wl) ? "pipelined"
                                     : "round-trip",
                s_tr_name [tr], workers, run, cell->total, ops, cell->seconds, cell->ops_per_s);
        if (s_is_buffered (wl))
            printf ("\"buffer\":%d,\"linger_ms\":%d,\"p50_us\":null,\"p99_us\":null,",
                    ZOWN_CLIENT_BUFFER_DEFAULT, ZOWN_CLIENT_LINGER_DEFAULT);
        else if (s_is_batch (wl))
            printf ("\"batch\":%d,\"window\":%d,\"p50_us\":null,\"p99_us\":null,", BATCH,
                    wl == WL_FILL_DICT ? 1 : s_bench.batch_window);
        else if (s_is_pipe (wl))
            printf ("\"window\":%d,\"p50_us\":null,\"p99_us\":null,", WINDOW);
        else
            printf ("\"p50_us\":%.2f,\"p99_us\":%.2f,", cell->p50_us, cell->p99_us);
        printf ("\"verified\":true}\n");
    } else {
        printf ("%-8s %-10s %-7s %3d %4d %9ld %9.3f %11.0f", impl, s_wl_name [wl], s_tr_name [tr],
                workers, run, cell->total, cell->seconds, cell->ops_per_s);
        if (s_is_pipe (wl))
            printf ("  %9s %9s\n", "-", "-");
        else
            printf ("  %9.1f %9.1f\n", cell->p50_us, cell->p99_us);
    }
    fflush (stdout);
}

typedef struct {
    const char *name;
    const char *text;
    workload_t num, den;
    double target;
} ratio_def_t;

static const ratio_def_t s_ratios [] = {
    { "rt_vs_raw", "zown value_add / raw echo_rt", WL_VALUE_ADD, WL_ECHO_RT, 0.8 },
    { "pipe_vs_raw", "zown pipe_add / raw echo_pipe", WL_PIPE_ADD, WL_ECHO_PIPE, 0.7 },
    { "pipe_vs_rt", "zown pipe_add / zown value_add", WL_PIPE_ADD, WL_VALUE_ADD, 20 },
    { "buf_vs_rt", "zown buf_add / zown value_add", WL_BUF_ADD, WL_VALUE_ADD, 20 },
    { "bufset_vs_rt", "zown buf_set / zown dict_set", WL_BUF_SET, WL_DICT_SET, 20 },
    { "buf_vs_pipe", "zown buf_add / zown pipe_add", WL_BUF_ADD, WL_PIPE_ADD, 1 },
};

static double
s_median_of (int tr, int wi, int wl)
{
    double values [256];
    int count = 0;
    for (int run = 0; run < s_bench.repeat && count < 256; run++)
        values [count++] = *s_result (run, tr, wi, wl);
    return bench_median (values, count);
}

static void
s_print_ratios (void)
{
    if (!s_bench.json)
        printf ("\nRatios of median ops/s over %d run(s) (target in brackets)\n"
                "%-9s %3s %14s %14s %14s %14s %14s %14s\n",
                s_bench.repeat, "transport", "W", "rt/raw [0.8]", "pipe/raw [0.7]", "pipe/rt [20]",
                "buf/rt [20]", "bufset/rt [20]", "buf/pipe [1]");
    int missed = 0;
    for (int tr = 0; tr < TR_COUNT; tr++) {
        if (!s_bench.transports [tr])
            continue;
        for (int wi = 0; wi < s_bench.worker_counts; wi++) {
            if (!s_bench.json)
                printf ("%-9s %3d", s_tr_name [tr], s_bench.workers [wi]);
            for (size_t index = 0; index < sizeof (s_ratios) / sizeof (s_ratios [0]); index++) {
                const ratio_def_t *def = &s_ratios [index];
                //  A pair left out by --workloads has no ratio, not a miss.
                if (!s_bench.only [def->num] || !s_bench.only [def->den]) {
                    if (!s_bench.json)
                        printf (" %13s ", "-");
                    continue;
                }
                double den = s_median_of (tr, wi, def->den);
                double ratio = den > 0 ? s_median_of (tr, wi, def->num) / den : 0;
                bool met = ratio >= def->target;
                missed += !met;
                if (s_bench.json)
                    printf ("{\"kind\":\"ratio\",\"name\":\"%s\",\"what\":\"%s\","
                            "\"transport\":\"%s\",\"workers\":%d,\"runs\":%d,"
                            "\"value\":%.3f,\"target\":%g,\"met\":%s}\n",
                            def->name, def->text, s_tr_name [tr], s_bench.workers [wi],
                            s_bench.repeat, ratio, def->target, met ? "true" : "false");
                else
                    printf (" %13.2f%s", ratio, met ? " " : "*");
            }
            if (!s_bench.json)
                printf ("\n");
        }
    }
    if (!s_bench.json)
        printf ("(* = below target: %d)\n", missed);
}

//  Owner statistics through the public protocol: requests, replies_dropped.
static void
s_owner_stats (int64_t *requests, int64_t *dropped)
{
    *requests = *dropped = -1;
    zown_request_t *request = zown_request_new ();
    zown_reply_t *reply = NULL;
    if (!request || zown_request_add (request, ZOWN_OP_STATS, NULL, 0, NULL)
        || zown_client_call (s_bench.control, request, &reply))
        s_die ("control: STATS: %s", zown_strerror (zown_errno ()));
    size_t count = zown_reply_count (reply, 0);
    for (size_t index = 0; index + 1 < count; index += 2) {
        zown_datum_t name = zown_reply_value (reply, 0, index);
        zown_datum_t value = zown_reply_value (reply, 0, index + 1);
        if (value.tag != ZOWN_INT)
            continue;
        if (zown_datum_streq (name, "requests"))
            *requests = value.u.i;
        if (zown_datum_streq (name, "replies_dropped"))
            *dropped = value.u.i;
    }
    zown_request_destroy (&request);
}

//  --------------------------------------------------------------------------
//  Soak: N pipelined adds from forked workers; owner-process RSS at 10%,
//  50%, 100%.

static long s_soak_rss [3];
static long s_soak_rss_start;

static void
s_soak_monitor (long total)
{
    long marks [2] = { total / 10, total / 2 };
    int next = 0;
    int64_t last = -1, last_change = bench_now_ns ();
    while (next < 2) {
        int64_t now = s_value_of ("soak");
        if (now != last) {
            last = now;
            last_change = bench_now_ns ();
        } else if (bench_now_ns () - last_change > 10 * 1000000000LL)
            return;  //  Stalled: the workers report why
        while (next < 2 && now >= marks [next])
            s_soak_rss [next++] = bench_proc_status_kb ("VmRSS");
        s_sleep_ms (5);
    }
}

static int
s_soak (void)
{
    int workers = s_bench.workers_given ? s_bench.workers [0] : 2;
    long total = s_bench.soak;
    s_value_reset ("soak");
    s_soak_rss_start = bench_proc_status_kb ("VmRSS");
    job_t jobs [MAX_WORKERS];
    memset (jobs, 0, sizeof (jobs));
    for (int index = 0; index < workers; index++) {
        jobs [index].workload = WL_PIPE_ADD;
        jobs [index].endpoint = zown_owner_ipc (s_bench.owner);
        jobs [index].object = "soak";
        jobs [index].wid = index;
        jobs [index].ops = total / workers + (index == 0 ? total % workers : 0);
    }
    int64_t elapsed = s_run_jobs (jobs, workers, true, s_soak_monitor, total);
    int64_t final = s_value_of ("soak");
    s_soak_rss [2] = bench_proc_status_kb ("VmRSS");
    if (final != total)
        s_die ("soak: counter = %lld, expected %ld", (long long) final, total);
    int64_t requests, dropped;
    s_owner_stats (&requests, &dropped);
    if (dropped != 0)
        s_die ("soak: owner dropped %lld replies", (long long) dropped);
    double seconds = (double) elapsed / 1e9;
    long hwm = bench_proc_status_kb ("VmHWM");
    if (s_bench.json)
        printf ("{\"kind\":\"soak\",\"adds\":%ld,\"workers\":%d,\"transport\":\"ipc\","
                "\"window\":%d,\"seconds\":%.3f,\"ops_per_s\":%.1f,\"rss_kb_start\":%ld,"
                "\"rss_kb_10pct\":%ld,\"rss_kb_50pct\":%ld,\"rss_kb_100pct\":%ld,"
                "\"vm_hwm_kb\":%ld,\"replies_dropped\":%lld,\"verified\":true}\n",
                total, workers, WINDOW, seconds, total / seconds, s_soak_rss_start, s_soak_rss [0],
                s_soak_rss [1], s_soak_rss [2], hwm, (long long) dropped);
    else
        printf ("soak: %ld pipelined adds, %d worker processes over ipc, window %d: "
                "%.1f s, %.0f adds/s, counter verified\n"
                "owner process VmRSS (kB): start %ld, 10%% %ld, 50%% %ld, 100%% %ld; "
                "VmHWM %ld; replies dropped %lld\n",
                total, workers, WINDOW, seconds, total / seconds, s_soak_rss_start, s_soak_rss [0],
                s_soak_rss [1], s_soak_rss [2], hwm, (long long) dropped);
    return 0;
}

//  --------------------------------------------------------------------------
//  Setup, teardown, options

static void
s_cleanup (void)
{
    zown_client_destroy (&s_bench.control);
    zown_owner_destroy (&s_bench.owner);
    s_raw_stop ();
    if (*s_bench.rundir) {
        bench_remove_tree (s_bench.rundir);
        *s_bench.rundir = 0;
    }
    free (s_bench.results);
    s_bench.results = NULL;
}

static void
s_usage (FILE *out)
{
    fprintf (out,
             "usage: zown_bench [options]\n"
             "  --ops N           round trips per worker (default %d)\n"
             "  --pipe-ops N      pipelined ops per worker (default %d x --ops)\n"
             "  --workers LIST    worker counts, e.g. 1,2,5,8 (default)\n"
             "  --transport T     ipc (forked processes), inproc (threads) or both (default)\n"
             "  --repeat R        runs of every cell (default 1)\n"
             "  --json            JSON lines on stdout, one per cell and run\n"
             "  --quick           smoke test: tiny sizes\n"
             "  --workloads LIST  only these of value_add,dict_set,dict_get,pipe_add,\n"
             "                    buf_add,buf_set,echo_rt,echo_pipe (ratios need their\n"
             "                    pairs), and\n"
             "                    value_get,queue_rt,batch_add,batch_set,fill_dict\n"
             "                    (never run unless named)\n"
             "  --soak [N]        only the soak: N pipelined adds (default %ld), owner RSS\n"
             "                    at 10%%, 50%%, 100%% (workers: first of --workers, else 2)\n"
             "  --endpoint E      the owner at E (e.g. zown serve's ipc endpoint), not one\n"
             "                    in this process: ipc workers only, no --soak\n"
             "  --batch-window N  batch requests in flight per worker (default 4)\n",
             DEFAULT_OPS, DEFAULT_PIPE_FACTOR, DEFAULT_SOAK);
}

static long
s_parse_long (const char *text, const char *option)
{
    char *end;
    errno = 0;
    long value = strtol (text ? text : "", &end, 10);
    if (!text || errno || *end || value < 1) {
        fprintf (stderr, "zown_bench: %s needs a positive integer\n", option);
        exit (2);
    }
    return value;
}

static void
s_parse (int argc, char *argv [])
{
    s_bench.ops = 0;
    s_bench.pipe_ops = 0;
    s_bench.repeat = 1;
    s_bench.batch_window = 4;
    int defaults [] = { 1, 2, 5, 8 };
    s_bench.worker_counts = 4;
    memcpy (s_bench.workers, defaults, sizeof (defaults));
    s_bench.transports [TR_IPC] = s_bench.transports [TR_INPROC] = true;
    for (int index = 1; index < argc; index++) {
        const char *arg = argv [index];
        const char *next = index + 1 < argc ? argv [index + 1] : NULL;
        if (!strcmp (arg, "--ops"))
            s_bench.ops = s_parse_long (next, arg), index++;
        else if (!strcmp (arg, "--pipe-ops"))
            s_bench.pipe_ops = s_parse_long (next, arg), index++;
        else if (!strcmp (arg, "--repeat"))
            s_bench.repeat = (int) s_parse_long (next, arg), index++;
        else if (!strcmp (arg, "--json"))
            s_bench.json = true;
        else if (!strcmp (arg, "--endpoint") && next)
            s_bench.endpoint = next, index++;
        else if (!strcmp (arg, "--batch-window"))
            s_bench.batch_window = (int) s_parse_long (next, arg), index++;
        else if (!strcmp (arg, "--quick"))
            s_bench.quick = true;
        else if (!strcmp (arg, "--soak")) {
            if (next && *next != '-')
                s_bench.soak = s_parse_long (next, arg), index++;
            else
                s_bench.soak = DEFAULT_SOAK;
        } else if (!strcmp (arg, "--transport")) {
            index++;
            bool ipc = next && (!strcmp (next, "ipc") || !strcmp (next, "both"));
            bool inproc = next && (!strcmp (next, "inproc") || !strcmp (next, "both"));
            if (!ipc && !inproc) {
                fprintf (stderr, "zown_bench: --transport ipc|inproc|both\n");
                exit (2);
            }
            s_bench.transports [TR_IPC] = ipc;
            s_bench.transports [TR_INPROC] = inproc;
        } else if (!strcmp (arg, "--workers")) {
            index++;
            s_bench.worker_counts = 0;
            s_bench.workers_given = true;
            char *copy = strdup (next ? next : "");
            char *save = NULL;
            for (char *item = strtok_r (copy, ",", &save); item;
                 item = strtok_r (NULL, ",", &save)) {
                long count = s_parse_long (item, "--workers");
                if (count > MAX_WORKERS || s_bench.worker_counts == MAX_WORKERS) {
                    fprintf (stderr, "zown_bench: at most %d workers\n", MAX_WORKERS);
                    exit (2);
                }
                s_bench.workers [s_bench.worker_counts++] = (int) count;
            }
            free (copy);
            if (!s_bench.worker_counts) {
                fprintf (stderr, "zown_bench: --workers needs a list like 1,2,5,8\n");
                exit (2);
            }
        } else if (!strcmp (arg, "--workloads")) {
            index++;
            char *copy = strdup (next ? next : "");
            char *save = NULL;
            for (char *item = strtok_r (copy, ",", &save); item;
                 item = strtok_r (NULL, ",", &save)) {
                int wl;
                for (wl = 0; wl < WL_COUNT; wl++)
                    if (!strcmp (item, s_wl_name [wl]))
                        break;
                if (wl == WL_COUNT) {
                    fprintf (stderr, "zown_bench: unknown workload '%s'\n", item);
                    exit (2);
                }
                s_bench.only [wl] = true;
            }
            free (copy);
        } else if (!strcmp (arg, "--help") || !strcmp (arg, "-h")) {
            s_usage (stdout);
            exit (0);
        } else {
            s_usage (stderr);
            exit (2);
        }
    }
    bool any = false;
    for (int wl = 0; wl < WL_COUNT; wl++)
        any |= s_bench.only [wl];
    if (!any)
        for (int wl = 0; wl < WL_VALUE_GET; wl++)
            s_bench.only [wl] = true;
    if (s_bench.endpoint && s_bench.soak) {
        fprintf (stderr, "zown_bench: --soak measures its own owner: no --endpoint\n");
        exit (2);
    }
    if (s_bench.endpoint)
        s_bench.transports [TR_INPROC] = false;
    if (!s_bench.ops)
        s_bench.ops = s_bench.quick ? 50 : DEFAULT_OPS;
    if (!s_bench.pipe_ops)
        s_bench.pipe_ops = s_bench.ops * DEFAULT_PIPE_FACTOR;
    //  Whole batches; queue_rt ops come in put + get pairs.
    s_bench.pipe_ops = (s_bench.pipe_ops + BATCH - 1) / BATCH * BATCH;
    s_bench.ops += s_bench.ops % 2;
}

int
main (int argc, char *argv [])
{
    s_parse (argc, argv);
    //  A private run directory, so the benchmark never meets a real owner.
    if (bench_rundir (s_bench.rundir, sizeof (s_bench.rundir), "bench"))
        s_die ("mkdtemp: %s", strerror (errno));
    char name [ZOWN_NAME_MAX + 1];
    snprintf (name, sizeof (name), "bench-%d", (int) getpid ());
    if (!s_bench.endpoint && !(s_bench.owner = zown_owner_new (name)))
        s_die ("zown_owner_new: %s", zown_strerror (zown_errno ()));
    s_bench.control =
        zown_client_new (s_bench.endpoint ? s_bench.endpoint : zown_owner_inproc (s_bench.owner));
    if (!s_bench.control || zown_client_ping (s_bench.control))
        s_die ("control client: %s", zown_strerror (zown_errno ()));

    if (s_bench.soak) {
        s_soak ();
        s_cleanup ();
        return 0;
    }

    s_raw_start ();
    s_bench.results = (double *) calloc (
        (size_t) s_bench.repeat * TR_COUNT * MAX_WORKERS * WL_COUNT, sizeof (double));
    if (!s_bench.results)
        s_die ("no memory");

    //  Prefill the dict the get workers read.
    zown_dict_t *dict = zown_dict_new (s_bench.control, "bench-get");
    for (int key = 0; key < NKEYS; key++) {
        char text [24];
        snprintf (text, sizeof (text), "k%d", key);
        if (!dict || zown_dict_set (dict, text, zown_datum_int (key), NULL))
            s_die ("prefill: %s", zown_strerror (zown_errno ()));
    }
    zown_dict_destroy (&dict);

    if (!s_bench.json)
        printf ("zown_bench: round trips %ld/worker, pipelined %ld/worker (window %d), "
                "%d run(s)\n%-8s %-10s %-7s %3s %4s %9s %9s %11s  %9s %9s\n",
                s_bench.ops, s_bench.pipe_ops, WINDOW, s_bench.repeat, "impl", "workload", "trans",
                "W", "run", "ops", "seconds", "ops/s", "p50 us", "p99 us");
    //  Order within a (transport, W): raw and zown side by side, so that
    //  drift of a noisy machine hits both alike.
    static const workload_t order [] = { WL_ECHO_RT,   WL_VALUE_ADD, WL_DICT_SET,  WL_DICT_GET,
                                         WL_ECHO_PIPE, WL_PIPE_ADD,  WL_BUF_ADD,   WL_BUF_SET,
                                         WL_VALUE_GET, WL_QUEUE_RT,  WL_BATCH_ADD, WL_BATCH_SET,
                                         WL_FILL_DICT };
    s_bench.rss_before_inproc_kb = -1;
    for (int run = 0; run < s_bench.repeat; run++)
        for (int tr = 0; tr < TR_COUNT; tr++) {
            if (!s_bench.transports [tr])
                continue;
            if (tr == TR_INPROC && s_bench.rss_before_inproc_kb < 0)
                s_bench.rss_before_inproc_kb = s_maxrss_kb ();
            for (int wi = 0; wi < s_bench.worker_counts; wi++)
                for (size_t index = 0; index < sizeof (order) / sizeof (order [0]); index++) {
                    workload_t wl = order [index];
                    if (!s_bench.only [wl])
                        continue;
                    long ops = s_is_pipe (wl) ? s_bench.pipe_ops : s_bench.ops;
                    cell_t cell = s_run_cell (wl, (transport_t) tr, s_bench.workers [wi], ops);
                    *s_result (run, tr, wi, wl) = cell.ops_per_s;
                    s_print_cell (wl, (transport_t) tr, s_bench.workers [wi], run + 1, ops, &cell);
                }
        }
    s_print_ratios ();

    int64_t requests, dropped;
    s_owner_stats (&requests, &dropped);
    long peak = s_maxrss_kb ();
    long rss = bench_proc_status_kb ("VmRSS");
    if (s_bench.json)
        printf ("{\"kind\":\"memory\",\"peak_rss_kb\":%ld,\"peak_rss_kb_before_inproc\":%ld,"
                "\"vm_rss_kb_end\":%ld,\"owner_requests\":%lld,\"replies_dropped\":%lld,"
                "\"source\":\"getrusage(RUSAGE_SELF).ru_maxrss of the process hosting the "
                "owner (and the raw echo thread; inproc worker threads too after "
                "peak_rss_kb_before_inproc)\"}\n",
                peak, s_bench.rss_before_inproc_kb, rss, (long long) requests, (long long) dropped);
    else
        printf ("\nowner process: peak RSS %ld kB (%ld kB before the inproc cells, "
                "whose worker threads live in it), VmRSS now %ld kB; owner served %lld "
                "requests, dropped %lld replies\n",
                peak, s_bench.rss_before_inproc_kb, rss, (long long) requests, (long long) dropped);
    if (dropped != 0)
        s_die ("owner dropped %lld replies", (long long) dropped);
    s_cleanup ();
    return 0;
}
