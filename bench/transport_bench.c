/*  =========================================================================
    transport_bench - the cost of each transport, and of CURVE, in one run

    One client process (forked) talks to an owner in this process over
    ipc, plain tcp on loopback, and tcp with CURVE on loopback:
      rt    synchronous zown_value_add calls: ops/s, p50 and p99 latency
      pipe  VALUE_ADD through zown_client_send/recv, --window in flight;
            also with each of --clients pipelining clients at once
    and the same two loads as a raw libzmq DEALER/ROUTER echo over the same
    three transports (an echo thread in this process, shaped like the
    owner's loop; its CURVE listener has no ZAP handler, which libzmq
    allows), so the owner's cost over each transport is a ratio too.

    Two owners: the CURVE one (owner key and one allowed client key, made
    in a private temporary directory that is removed at the end) and an
    insecure one for ipc and plain tcp; an owner's tcp is either.
    Every repeat runs every cell once, the three transports side by side
    (ipc, tcp, CURVE, then again for the next load), so that drift of a
    noisy machine hits them alike. Ratios are medians of the per-repeat
    ratios. Memory: VmHWM of this process (owners, echo thread) and of
    each client, reset before every cell (Linux clear_refs).

    Usage: transport_bench [--repeat R] [--ops N] [--pipe-ops N]
                           [--clients LIST] [--window N] [--json] [--quick]
                           [--transports LIST]
    =========================================================================
*/
#define _POSIX_C_SOURCE 200809L
#include <zown.h>
#include "benchutil.h"
#include <zmq.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RUNS_MAX         64
#define CLIENT_SETS_MAX  4
#define CELLS_MAX        ((1 + CLIENT_SETS_MAX) * IMPL_COUNT * TR_COUNT)
#define RAW_HWM          100000  //  As the owner ROUTER's default max_inflight
#define RAW_BURST        256     //  As S_BURST in runtime/owner/owner.c
#define RAW_PAYLOAD      34      //  Size of a VALUE_ADD request on "counter" (zown_bench.c)
#define DEFAULT_OPS      5000    //  Round trips per cell
#define DEFAULT_PIPE_OPS 200000  //  Pipelined ops per cell, over all its clients
#define DEFAULT_WINDOW   ZOWN_CLIENT_WINDOW_DEFAULT

typedef enum { TR_IPC, TR_TCP, TR_CURVE, TR_COUNT } transport_t;
static const char *s_tr_name [TR_COUNT] = { "ipc", "tcp", "curve" };

typedef enum { IMPL_RAW, IMPL_ZOWN, IMPL_COUNT } impl_t;
static const char *s_impl_name [IMPL_COUNT] = { "raw-zmq", "zown" };

//  One cell: a load over one transport; clients 0 means one synchronous
//  client (rt), else that many pipelining clients.
typedef struct {
    impl_t impl;
    int clients;
    transport_t tr;
} cell_def_t;

typedef struct {
    double ops_per_s, p50_us, p99_us;
    double connect_us;   //  Median over the cell's clients: connect and first round trip
    long owner_hwm_kb;   //  This process's VmHWM over the cell
    long client_hwm_kb;  //  Largest client's VmHWM
} cell_t;

static struct {
    int repeat, window;
    long ops, pipe_ops;
    int clients [CLIENT_SETS_MAX];
    int client_sets;
    bool json, quick, hwm_reset;
    bool transports [TR_COUNT];  //  --transports: run only these
    char dir [64];               //  Keys, the allow list, every socket file
    char client_secret [128];
    zown_owner_t *plain, *curve;
    zown_client_t *plain_control, *curve_control;  //  Over inproc, in this process
    char server_key [ZOWN_CURVE_KEY_TEXT + 1];
    char zown_endpoint [TR_COUNT][160];
    //  Raw echo: one ROUTER, bound three times, as the owner's
    void *raw_ctx;
    bench_echo_t *raw_echo;
    char raw_endpoint [TR_COUNT][160];
    char raw_keys [4][41];  //  Server public, server secret, client public, client secret
    cell_def_t cells [CELLS_MAX];
    int cell_count;
    cell_t results [RUNS_MAX][CELLS_MAX];
} s_bench;

static void
s_cleanup (void)
{
    zown_client_destroy (&s_bench.plain_control);
    zown_client_destroy (&s_bench.curve_control);
    zown_owner_destroy (&s_bench.plain);
    zown_owner_destroy (&s_bench.curve);
    bench_echo_stop (&s_bench.raw_echo);
    if (s_bench.raw_ctx)
        zmq_ctx_term (s_bench.raw_ctx);
    s_bench.raw_ctx = NULL;
    if (*s_bench.dir)
        bench_remove_tree (s_bench.dir);
    *s_bench.dir = 0;
}

#define s_die(...) bench_die ("transport_bench", s_cleanup, __VA_ARGS__)

//  --------------------------------------------------------------------------
//  Client processes

typedef struct {
    const cell_def_t *cell;
    long ops;  //  Per client
} job_t;

//  What a client sends back, before its latencies (rt only).
typedef struct {
    int failed;
    long done;
    int64_t end_ns, connect_ns;
    long hwm_kb;
    char error [200];
} result_t;

#define s_fail(result, ...)                                                                        \
    bench_fail (&(result)->failed, (result)->error, sizeof ((result)->error), __VA_ARGS__)

//  Set-up (timed as connect_ns: the connection, CURVE's handshake, the
//  first round trip), the gate, then the timed loop. Returns the ops done.
static long
s_zown_client (const job_t *job, const bench_worker_fds_t *fds, uint32_t *lat, result_t *result)
{
    transport_t tr = job->cell->tr;
    zown_client_options_t plain = { .insecure = true };
    zown_client_options_t curve = { .server_key = s_bench.server_key,
                                    .cert = s_bench.client_secret };
    int64_t started = bench_now_ns ();
    zown_client_t *client = zown_client_new_with (s_bench.zown_endpoint [tr],
                                                  tr == TR_IPC       ? NULL
                                                      : tr == TR_TCP ? &plain
                                                                     : &curve);
    if (!client || zown_client_ping (client))
        s_fail (result, "client: %s", zown_strerror (zown_errno ()));
    result->connect_ns = bench_now_ns () - started;
    zown_value_t *value = client ? zown_value_new (client, "counter") : NULL;
    zown_request_t *request = zown_request_new ();
    zown_datum_t one = zown_datum_int (1);
    if (!result->failed
        && (!value || !request || zown_request_add (request, ZOWN_OP_VALUE_ADD, "counter", 1, &one)
            || zown_client_set_window (client, s_bench.window)))
        s_fail (result, "set-up: %s", zown_strerror (zown_errno ()));
    bench_worker_gate (fds, !result->failed);
    long done = 0;
    if (!result->failed && job->cell->clients) {
        char error [160];
        done = bench_zown_pipe (client, request, job->ops, s_bench.window, error, sizeof (error));
        if (done < job->ops)
            s_fail (result, "%s", error);
    } else if (!result->failed)
        for (; done < job->ops; done++) {
            int64_t sent = bench_now_ns ();
            if (zown_value_add (value, 1, NULL)) {
                s_fail (result, "add %ld: %s", done, zown_strerror (zown_errno ()));
                break;
            }
            int64_t elapsed = bench_now_ns () - sent;
            lat [done] = elapsed > UINT32_MAX ? UINT32_MAX : (uint32_t) elapsed;
        }
    result->end_ns = bench_now_ns ();
    zown_request_destroy (&request);
    zown_value_destroy (&value);
    zown_client_destroy (&client);
    return done;
}

static long
s_raw_client (const job_t *job, const bench_worker_fds_t *fds, uint32_t *lat, result_t *result)
{
    transport_t tr = job->cell->tr;
    const char *keys [3] = { s_bench.raw_keys [0], s_bench.raw_keys [2], s_bench.raw_keys [3] };
    char error [160] = "";
    uint32_t warm;
    int64_t started = bench_now_ns ();
    void *ctx = zmq_ctx_new ();
    void *dealer = ctx
        ? bench_dealer_new (ctx, s_bench.raw_endpoint [tr], tr == TR_CURVE ? keys : NULL)
        : NULL;
    if (!dealer || bench_echo_rt (dealer, RAW_PAYLOAD, 1, &warm, error, sizeof (error)) != 1)
        s_fail (result, "raw set-up: %s", *error ? error : zmq_strerror (errno));
    result->connect_ns = bench_now_ns () - started;
    bench_worker_gate (fds, !result->failed);
    long done = 0;
    if (!result->failed) {
        if (job->cell->clients)
            done = bench_echo_pipe (dealer, RAW_PAYLOAD, job->ops, s_bench.window, error,
                                    sizeof (error));
        else
            done = bench_echo_rt (dealer, RAW_PAYLOAD, job->ops, lat, error, sizeof (error));
        if (done < job->ops)
            s_fail (result, "raw: %s", error);
    }
    result->end_ns = bench_now_ns ();
    if (dealer)
        zmq_close (dealer);
    //  The context is left to _exit, as a forked child's should be.
    return done;
}

static int
s_client_main (int index, void *args, const bench_worker_fds_t *fds)
{
    (void) index;
    const job_t *job = (const job_t *) args;
    result_t result = { 0 };
    uint32_t *lat = NULL;
    if (!job->cell->clients) {
        lat = (uint32_t *) malloc ((size_t) job->ops * sizeof (uint32_t));
        if (!lat)
            s_fail (&result, "no memory");
        else  //  Fault the pages in before the clock starts
            memset (lat, 0xff, (size_t) job->ops * sizeof (uint32_t));
    }
    if (job->cell->impl == IMPL_ZOWN)
        result.done = s_zown_client (job, fds, lat, &result);
    else
        result.done = s_raw_client (job, fds, lat, &result);
    result.hwm_kb = bench_proc_status_kb ("VmHWM");
    int rc = bench_write_all (fds->result, &result, sizeof (result));
    if (rc == 0 && lat && result.done)
        rc = bench_write_all (fds->result, lat, (size_t) result.done * sizeof (uint32_t));
    return rc || result.failed ? 1 : 0;
}

//  --------------------------------------------------------------------------
//  Cells

static zown_client_t *
s_control (transport_t tr)
{
    return tr == TR_CURVE ? s_bench.curve_control : s_bench.plain_control;
}

static int64_t
s_counter (transport_t tr, bool reset)
{
    zown_value_t *value = zown_value_new (s_control (tr), "counter");
    int64_t number = 0;
    if (!value || (reset ? zown_value_set (value, 0) : zown_value_get (value, &number)))
        s_die ("control: counter: %s", zown_strerror (zown_errno ()));
    zown_value_destroy (&value);
    return number;
}

static cell_t
s_run_cell (const cell_def_t *def)
{
    int clients = def->clients ? def->clients : 1;
    long total = def->clients ? s_bench.pipe_ops : s_bench.ops;
    job_t job = { def, total / clients };
    total = job.ops * clients;
    if (def->impl == IMPL_ZOWN)
        s_counter (def->tr, true);
    uint32_t *lat = def->clients ? NULL : (uint32_t *) malloc ((size_t) total * sizeof (uint32_t));
    if (!def->clients && !lat)
        s_die ("no memory for latencies");

    bench_hwm_reset ();
    bench_fork_t workers;
    int64_t started = bench_fork_start (&workers, clients, s_client_main, &job);
    if (started < 0)
        s_die ("could not start the clients");
    int64_t ended = started;
    double connect [BENCH_FORK_MAX];
    cell_t cell = { 0 };
    for (int index = 0; index < clients; index++) {
        result_t result;
        if (bench_read_all (workers.results [index], &result, sizeof (result)))
            s_die ("%s %s: client %d died without a result", s_impl_name [def->impl],
                   s_tr_name [def->tr], index);
        if (result.failed || result.done != job.ops)
            s_die ("%s %s: client %d: %s", s_impl_name [def->impl], s_tr_name [def->tr], index,
                   result.error);
        if (lat
            && bench_read_all (workers.results [index], lat + index * job.ops,
                               (size_t) job.ops * sizeof (uint32_t)))
            s_die ("short latency record");
        if (result.end_ns > ended)
            ended = result.end_ns;
        connect [index] = result.connect_ns / 1e3;
        if (result.hwm_kb > cell.client_hwm_kb)
            cell.client_hwm_kb = result.hwm_kb;
    }
    if (bench_fork_reap (&workers))
        s_die ("a client exited with an error");
    cell.owner_hwm_kb = bench_proc_status_kb ("VmHWM");

    //  Every add counted exactly once; every echo answered.
    if (def->impl == IMPL_ZOWN && s_counter (def->tr, false) != total)
        s_die ("%s: counter = %lld, expected %ld", s_tr_name [def->tr],
               (long long) s_counter (def->tr, false), total);
    if (bench_echo_refused (s_bench.raw_echo))
        s_die ("raw ROUTER refused %llu echoes",
               (unsigned long long) bench_echo_refused (s_bench.raw_echo));

    cell.ops_per_s = (double) total / ((double) (ended - started) / 1e9);
    cell.connect_us = bench_median (connect, clients);
    if (lat) {
        bench_latency_us (lat, (size_t) total, &cell.p50_us, &cell.p99_us);
        free (lat);
    }
    return cell;
}

static void
s_print_cell (const cell_def_t *def, int run, const cell_t *cell)
{
    const char *load = def->clients ? "pipe" : "rt";
    int clients = def->clients ? def->clients : 1;
    if (s_bench.json) {
        printf ("{\"kind\":\"cell\",\"impl\":\"%s\",\"workload\":\"%s\",\"transport\":\"%s\","
                "\"clients\":%d,\"run\":%d,\"ops\":%ld,\"window\":%d,\"ops_per_s\":%.1f,",
                s_impl_name [def->impl], load, s_tr_name [def->tr], clients, run,
                def->clients ? s_bench.pipe_ops : s_bench.ops, def->clients ? s_bench.window : 1,
                cell->ops_per_s);
        if (def->clients)
            printf ("\"p50_us\":null,\"p99_us\":null,");
        else
            printf ("\"p50_us\":%.2f,\"p99_us\":%.2f,", cell->p50_us, cell->p99_us);
        printf ("\"connect_us\":%.1f,\"owner_hwm_kb\":%ld,\"client_hwm_kb\":%ld,"
                "\"hwm_reset\":%s,\"verified\":true}\n",
                cell->connect_us, cell->owner_hwm_kb, cell->client_hwm_kb,
                s_bench.hwm_reset ? "true" : "false");
    } else {
        printf ("%-8s %-4s %-5s %2d %4d %11.0f", s_impl_name [def->impl], load, s_tr_name [def->tr],
                clients, run, cell->ops_per_s);
        if (def->clients)
            printf (" %8s %8s", "-", "-");
        else
            printf (" %8.1f %8.1f", cell->p50_us, cell->p99_us);
        printf (" %10.0f %9ld %9ld\n", cell->connect_us, cell->owner_hwm_kb, cell->client_hwm_kb);
    }
    fflush (stdout);
}

//  --------------------------------------------------------------------------
//  Summary: medians over the runs, ratios as medians of same-run ratios

static int
s_cell_index (impl_t impl, int clients, transport_t tr)
{
    for (int index = 0; index < s_bench.cell_count; index++) {
        const cell_def_t *def = &s_bench.cells [index];
        if (def->impl == impl && def->clients == clients && def->tr == tr)
            return index;
    }
    return -1;
}

//  Median over the runs of a field (an offset into cell_t).
static double
s_median (int cell, size_t field)
{
    double values [RUNS_MAX];
    for (int run = 0; run < s_bench.repeat; run++)
        values [run] = *(const double *) ((const char *) &s_bench.results [run][cell] + field);
    return bench_median (values, s_bench.repeat);
}

//  Print the median over the runs of ops/s of cell a / ops/s of cell b,
//  and the range of those same-run ratios.
static void
s_print_ratio (int a, int b)
{
    double values [RUNS_MAX];
    for (int run = 0; run < s_bench.repeat; run++)
        values [run] = s_bench.results [run][a].ops_per_s / s_bench.results [run][b].ops_per_s;
    double median = bench_median (values, s_bench.repeat);  //  Sorts them
    printf ("  %4.2f %4.2f-%4.2f", median, values [0], values [s_bench.repeat - 1]);
}

static void
s_print_summary (void)
{
    printf ("\nMedians of %d run(s), ops/s (totals over the clients). Ratios: median of the "
            "same-run ratios, then their range\n"
            "%-16s %9s %9s %9s %16s %16s\n",
            s_bench.repeat, "load", "ipc", "tcp", "curve", "tcp/ipc", "curve/tcp");
    int sets [1 + CLIENT_SETS_MAX] = { 0 };
    memcpy (sets + 1, s_bench.clients, sizeof (s_bench.clients));
    for (int set = 0; set <= s_bench.client_sets; set++)
        for (int impl = 0; impl < IMPL_COUNT; impl++) {
            int cells [TR_COUNT];
            for (int tr = 0; tr < TR_COUNT; tr++)
                cells [tr] = s_cell_index ((impl_t) impl, sets [set], (transport_t) tr);
            char label [40];
            if (sets [set])
                snprintf (label, sizeof (label), "%s pipe x%d", s_impl_name [impl], sets [set]);
            else
                snprintf (label, sizeof (label), "%s rt", s_impl_name [impl]);
            printf ("%-16s", label);
            for (int tr = 0; tr < TR_COUNT; tr++)
                printf (" %9.0f", s_median (cells [tr], offsetof (cell_t, ops_per_s)));
            s_print_ratio (cells [TR_TCP], cells [TR_IPC]);
            s_print_ratio (cells [TR_CURVE], cells [TR_TCP]);
            printf ("\n");
        }
    printf ("\n%-16s %16s %16s %16s\n", "zown / raw-zmq", "ipc", "tcp", "curve");
    for (int set = 0; set <= s_bench.client_sets; set++) {
        char label [40];
        if (sets [set])
            snprintf (label, sizeof (label), "pipe x%d", sets [set]);
        else
            snprintf (label, sizeof (label), "rt");
        printf ("%-16s", label);
        for (int tr = 0; tr < TR_COUNT; tr++)
            s_print_ratio (s_cell_index (IMPL_ZOWN, sets [set], (transport_t) tr),
                           s_cell_index (IMPL_RAW, sets [set], (transport_t) tr));
        printf ("\n");
    }
    printf ("\nRound trips, medians (us): p50 / p99 latency; connect = new client to first reply\n"
            "%-22s %18s %18s %18s %8s %8s %8s\n",
            "load", "ipc", "tcp", "curve", "conn ipc", "tcp", "curve");
    for (int impl = 0; impl < IMPL_COUNT; impl++) {
        printf ("%-22s", s_impl_name [impl]);
        for (int tr = 0; tr < TR_COUNT; tr++) {
            int cell = s_cell_index ((impl_t) impl, 0, (transport_t) tr);
            printf (" %8.1f / %7.1f", s_median (cell, offsetof (cell_t, p50_us)),
                    s_median (cell, offsetof (cell_t, p99_us)));
        }
        for (int tr = 0; tr < TR_COUNT; tr++)
            printf (" %8.0f",
                    s_median (s_cell_index ((impl_t) impl, 0, (transport_t) tr),
                              offsetof (cell_t, connect_us)));
        printf ("\n");
    }
}

//  Per run: the largest VmHWM of this process and of a client over its
//  cells, and per transport over all runs.
static void
s_print_memory (void)
{
    long by_tr [TR_COUNT] = { 0 }, clients_by_tr [TR_COUNT] = { 0 };
    if (!s_bench.json)
        printf ("\nPeak memory (VmHWM%s), kB: this process (both owners, the echo thread) and "
                "the largest client\n",
                s_bench.hwm_reset ? ", reset before each cell" : " since start: no clear_refs");
    for (int run = 0; run < s_bench.repeat; run++) {
        long owner = 0, client = 0;
        for (int cell = 0; cell < s_bench.cell_count; cell++) {
            const cell_t *result = &s_bench.results [run][cell];
            transport_t tr = s_bench.cells [cell].tr;
            owner = result->owner_hwm_kb > owner ? result->owner_hwm_kb : owner;
            client = result->client_hwm_kb > client ? result->client_hwm_kb : client;
            by_tr [tr] = result->owner_hwm_kb > by_tr [tr] ? result->owner_hwm_kb : by_tr [tr];
            clients_by_tr [tr] = result->client_hwm_kb > clients_by_tr [tr] ? result->client_hwm_kb
                                                                            : clients_by_tr [tr];
        }
        if (s_bench.json)
            printf ("{\"kind\":\"memory\",\"run\":%d,\"owner_process_hwm_kb\":%ld,"
                    "\"client_hwm_kb\":%ld,\"hwm_reset\":%s}\n",
                    run + 1, owner, client, s_bench.hwm_reset ? "true" : "false");
        else
            printf ("  run %d: %ld, client %ld\n", run + 1, owner, client);
    }
    if (!s_bench.json)
        for (int tr = 0; tr < TR_COUNT; tr++)
            if (s_bench.transports [tr])
                printf ("  largest in a %s cell: %ld, client %ld\n", s_tr_name [tr], by_tr [tr],
                        clients_by_tr [tr]);
}

//  --------------------------------------------------------------------------
//  Set-up

static void
s_keys (void)
{
    char base [96], owner_secret [128], allow [96], from [128], to [160];
    snprintf (allow, sizeof (allow), "%s/allow", s_bench.dir);
    snprintf (base, sizeof (base), "%s/owner", s_bench.dir);
    snprintf (owner_secret, sizeof (owner_secret), "%s.secret", base);
    if (mkdir (allow, 0700) || zown_curve_keygen (base, "owner", NULL))
        s_die ("owner key: %s", zown_strerror (zown_errno ()));
    snprintf (base, sizeof (base), "%s/client", s_bench.dir);
    snprintf (s_bench.client_secret, sizeof (s_bench.client_secret), "%s.secret", base);
    snprintf (from, sizeof (from), "%s.key", base);
    snprintf (to, sizeof (to), "%s/client.key", allow);
    if (zown_curve_keygen (base, "client", NULL) || rename (from, to))
        s_die ("client key: %s", zown_strerror (zown_errno ()));

    zown_owner_options_t plain = { .insecure = true };
    zown_owner_options_t curve = { .cert = owner_secret, .allow = allow };
    s_bench.plain = zown_owner_new_with ("transport-plain", &plain);
    s_bench.curve = zown_owner_new_with ("transport-curve", &curve);
    if (!s_bench.plain || !s_bench.curve)
        s_die ("zown_owner_new_with: %s", zown_strerror (zown_errno ()));
    snprintf (s_bench.zown_endpoint [TR_IPC], sizeof (s_bench.zown_endpoint [0]), "%s",
              zown_owner_ipc (s_bench.plain));
    //  The plain owner warns on stderr that its tcp endpoint is plain.
    if (zown_owner_bind (s_bench.plain, "tcp://127.0.0.1:*"))
        s_die ("bind plain tcp: %s", zown_strerror (zown_errno ()));
    snprintf (s_bench.zown_endpoint [TR_TCP], sizeof (s_bench.zown_endpoint [0]), "%s",
              zown_owner_bound (s_bench.plain));
    if (zown_owner_bind (s_bench.curve, "tcp://127.0.0.1:*"))
        s_die ("bind CURVE tcp: %s", zown_strerror (zown_errno ()));
    snprintf (s_bench.zown_endpoint [TR_CURVE], sizeof (s_bench.zown_endpoint [0]), "%s",
              zown_owner_bound (s_bench.curve));
    snprintf (s_bench.server_key, sizeof (s_bench.server_key), "%s",
              zown_owner_public_key (s_bench.curve));
    s_bench.plain_control = zown_client_new (zown_owner_inproc (s_bench.plain));
    s_bench.curve_control = zown_client_new (zown_owner_inproc (s_bench.curve));
    if (!s_bench.plain_control || !s_bench.curve_control || zown_client_ping (s_bench.plain_control)
        || zown_client_ping (s_bench.curve_control))
        s_die ("control clients: %s", zown_strerror (zown_errno ()));
}

static int
s_set_int (void *socket, int option, int value)
{
    return zmq_setsockopt (socket, option, &value, sizeof (value));
}

//  The raw ROUTER: ipc, plain tcp, then CURVE tcp (the option holds for
//  the binds after it, as in the owner's s_bind_curve).
static void
s_raw_start (void)
{
    if (zmq_curve_keypair (s_bench.raw_keys [0], s_bench.raw_keys [1])
        || zmq_curve_keypair (s_bench.raw_keys [2], s_bench.raw_keys [3]))
        s_die ("zmq_curve_keypair: %s", zmq_strerror (errno));
    s_bench.raw_ctx = zmq_ctx_new ();
    void *router = s_bench.raw_ctx ? zmq_socket (s_bench.raw_ctx, ZMQ_ROUTER) : NULL;
    char ipc [128];
    snprintf (ipc, sizeof (ipc), "ipc://%s/raw.sock", s_bench.dir);
    bool ok = router && s_set_int (router, ZMQ_LINGER, 0) == 0
        && s_set_int (router, ZMQ_ROUTER_MANDATORY, 1) == 0
        && s_set_int (router, ZMQ_SNDHWM, RAW_HWM) == 0
        && s_set_int (router, ZMQ_RCVHWM, RAW_HWM) == 0;
    for (int tr = 0; ok && tr < TR_COUNT; tr++) {
        if (tr == TR_CURVE)
            ok = s_set_int (router, ZMQ_CURVE_SERVER, 1) == 0
                && zmq_setsockopt (router, ZMQ_CURVE_SECRETKEY, s_bench.raw_keys [1], 41) == 0;
        size_t size = sizeof (s_bench.raw_endpoint [tr]);
        ok = ok && zmq_bind (router, tr == TR_IPC ? ipc : "tcp://127.0.0.1:*") == 0
            && zmq_getsockopt (router, ZMQ_LAST_ENDPOINT, s_bench.raw_endpoint [tr], &size) == 0;
    }
    if (!ok || !(s_bench.raw_echo = bench_echo_start (s_bench.raw_ctx, router, RAW_BURST))) {
        if (router)
            zmq_close (router);
        s_die ("raw ROUTER: %s", zmq_strerror (errno));
    }
}

static void
s_usage (FILE *out)
{
    fprintf (out,
             "usage: transport_bench [options]\n"
             "  --repeat R      runs of every cell (default 5)\n"
             "  --ops N         round trips per cell (default %d)\n"
             "  --pipe-ops N    pipelined ops per cell, over its clients (default %d)\n"
             "  --clients LIST  pipelining clients at once, e.g. 1,4 (default 1,4; at most %d)\n"
             "  --window N      pipelined requests in flight per client (default %d, at most %d)\n"
             "  --json          JSON lines on stdout, one per cell and run\n"
             "  --quick         smoke test: tiny sizes, one run\n"
             "  --transports L  only these of ipc,tcp,curve (to profile one; no summary)\n",
             DEFAULT_OPS, DEFAULT_PIPE_OPS, CLIENT_SETS_MAX, DEFAULT_WINDOW,
             ZOWN_CLIENT_WINDOW_MAX);
}

static void
s_parse (int argc, char *argv [])
{
    s_bench.repeat = 5;
    s_bench.window = DEFAULT_WINDOW;
    s_bench.clients [0] = 1;
    s_bench.clients [1] = 4;
    s_bench.client_sets = 2;
    for (int tr = 0; tr < TR_COUNT; tr++)
        s_bench.transports [tr] = true;
    for (int index = 1; index < argc; index++) {
        const char *arg = argv [index];
        if (!strcmp (arg, "--repeat"))
            s_bench.repeat = (int) bench_arg_long (argc, argv, &index, "transport_bench", s_usage);
        else if (!strcmp (arg, "--ops"))
            s_bench.ops = bench_arg_long (argc, argv, &index, "transport_bench", s_usage);
        else if (!strcmp (arg, "--pipe-ops"))
            s_bench.pipe_ops = bench_arg_long (argc, argv, &index, "transport_bench", s_usage);
        else if (!strcmp (arg, "--window"))
            s_bench.window = (int) bench_arg_long (argc, argv, &index, "transport_bench", s_usage);
        else if (!strcmp (arg, "--json"))
            s_bench.json = true;
        else if (!strcmp (arg, "--quick"))
            s_bench.quick = true;
        else if (!strcmp (arg, "--transports") && index + 1 < argc) {
            const char *list = argv [++index];
            for (int tr = 0; tr < TR_COUNT; tr++) {
                const char *at = strstr (list, s_tr_name [tr]);
                size_t length = strlen (s_tr_name [tr]);
                s_bench.transports [tr] =
                    at && (at == list || at [-1] == ',') && (at [length] == ',' || !at [length]);
            }
        } else if (!strcmp (arg, "--clients") && index + 1 < argc) {
            s_bench.client_sets = 0;
            char *copy = strdup (argv [++index]), *save = NULL;
            for (char *item = strtok_r (copy, ",", &save); item;
                 item = strtok_r (NULL, ",", &save)) {
                long count = strtol (item, NULL, 10);
                if (count < 1 || count > BENCH_FORK_MAX || s_bench.client_sets == CLIENT_SETS_MAX)
                    s_die ("--clients: up to %d counts of 1..%d", CLIENT_SETS_MAX, BENCH_FORK_MAX);
                s_bench.clients [s_bench.client_sets++] = (int) count;
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
    if (s_bench.repeat > RUNS_MAX || s_bench.window > ZOWN_CLIENT_WINDOW_MAX)
        s_die ("at most %d runs and a window of %d", RUNS_MAX, ZOWN_CLIENT_WINDOW_MAX);
    if (!s_bench.ops)
        s_bench.ops = s_bench.quick ? 200 : DEFAULT_OPS;
    if (!s_bench.pipe_ops)
        s_bench.pipe_ops = s_bench.quick ? 4000 : DEFAULT_PIPE_OPS;
    if (s_bench.quick)
        s_bench.repeat = 1;
    if (!s_bench.transports [TR_IPC] && !s_bench.transports [TR_TCP]
        && !s_bench.transports [TR_CURVE])
        s_die ("--transports: a list of ipc, tcp, curve");
    //  The order of a run: each load on each implementation, the three
    //  transports side by side.
    for (int set = -1; set < s_bench.client_sets; set++)
        for (int impl = 0; impl < IMPL_COUNT; impl++)
            for (int tr = 0; tr < TR_COUNT; tr++)
                if (s_bench.transports [tr])
                    s_bench.cells [s_bench.cell_count++] =
                        (cell_def_t){ (impl_t) impl, set < 0 ? 0 : s_bench.clients [set],
                                      (transport_t) tr };
}

int
main (int argc, char *argv [])
{
    s_parse (argc, argv);
    if (bench_rundir (s_bench.dir, sizeof (s_bench.dir), "transport"))
        s_die ("mkdtemp: %s", strerror (errno));
    s_keys ();
    s_raw_start ();
    s_bench.hwm_reset = bench_hwm_reset () == 0;

    if (!s_bench.json)
        printf ("transport_bench: %ld round trips, %ld pipelined ops per cell (window %d), "
                "%d run(s)\n%-8s %-4s %-5s %2s %4s %11s %8s %8s %10s %9s %9s\n",
                s_bench.ops, s_bench.pipe_ops, s_bench.window, s_bench.repeat, "impl", "load",
                "trans", "W", "run", "ops/s", "p50 us", "p99 us", "connect us", "self kB",
                "client kB");
    for (int run = 0; run < s_bench.repeat; run++)
        for (int cell = 0; cell < s_bench.cell_count; cell++) {
            s_bench.results [run][cell] = s_run_cell (&s_bench.cells [cell]);
            s_print_cell (&s_bench.cells [cell], run + 1, &s_bench.results [run][cell]);
        }
    if (!s_bench.json && s_bench.cell_count == (1 + s_bench.client_sets) * IMPL_COUNT * TR_COUNT)
        s_print_summary ();
    s_print_memory ();
    s_cleanup ();
    return 0;
}
