/*  =========================================================================
    benchutil - what the benchmark programs share: a clock, whole reads and
    writes on pipes to forked workers, workers released by a start gate,
    medians, memory figures, and the raw libzmq echo baseline
    =========================================================================
*/
#ifndef ZOWN_BENCHUTIL_H_INCLUDED
#define ZOWN_BENCHUTIL_H_INCLUDED

#include <zown.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/types.h>

//  Monotonic clock in nanoseconds.
int64_t bench_now_ns (void);

//  Write / read exactly size bytes (retrying on EINTR); 0, or -1 on error
//  or end of file.
int bench_write_all (int fd, const void *data, size_t size);
int bench_read_all (int fd, void *data, size_t size);

//  The positive integer after argv [*index] (which it steps over), for
//  options such as --repeat N. A missing value prints usage to stderr, a bad
//  one says so: both exit 2.
long bench_arg_long (int argc, char *argv [], int *index, const char *program,
                     void (*usage) (FILE *out));

//  Print "program: message" on stderr, run cleanup (may be NULL), exit 1.
void bench_die (const char *program, void (*cleanup) (void), const char *format, ...)
    __attribute__ ((format (printf, 3, 4), noreturn));

//  Record a worker's failure: the first one's message goes into error
//  (size bytes); later ones only count in *failed.
void bench_fail (int *failed, char *error, size_t size, const char *format, ...)
    __attribute__ ((format (printf, 4, 5)));

//  qsort comparator for doubles, ascending.
int bench_cmp_double (const void *a, const void *b);

//  qsort comparator for uint32_t, ascending.
int bench_cmp_u32 (const void *a, const void *b);

//  The p-th percentile (0..100) of count sorted values, nearest rank (as
//  bench/mp_baseline.py computes it); 0 for none.
double bench_pct_u32 (const uint32_t *sorted, size_t count, double p);

//  Sort count latencies in ns and give their p50 and p99 in us.
void bench_latency_us (uint32_t *lat, size_t count, double *p50_us, double *p99_us);

//  Median of count values (sorts them in place); 0 for none.
double bench_median (double *values, int count);

//  A /proc/self/status field in kB ("VmRSS", "VmHWM"), or -1.
long bench_proc_status_kb (const char *field);

//  Reset this process's VmHWM to its VmRSS (Linux clear_refs), so that a
//  later VmHWM is the peak of what ran in between. 0, or -1 if the kernel
//  refused (VmHWM is then the peak since the process started).
int bench_hwm_reset (void);

//  A private (0700) directory /tmp/zown-NAME-XXXXXX in dir (size bytes),
//  made ZOWN_RUNDIR, so that a benchmark never meets a real owner. 0, or
//  -1 with errno and dir "".
int bench_rundir (char *dir, size_t size, const char *name);

//  Remove the directory `path` and everything below it; 0 or -1.
int bench_remove_tree (const char *path);

//  --------------------------------------------------------------------------
//  Forked workers released together: each writes one byte on `ready` when
//  set up, then waits until the parent closes `gate`; it sends its result
//  on `result`, which the parent reads from results [index].

#define BENCH_FORK_MAX 64

typedef struct {
    int ready, gate, result;
} bench_worker_fds_t;

//  What a worker process runs; its return value is its exit status.
typedef int (bench_worker_fn) (int index, void *args, const bench_worker_fds_t *fds);

typedef struct {
    int count;
    pid_t pids [BENCH_FORK_MAX];
    int results [BENCH_FORK_MAX];
    bool ready;                   //  Every worker reported its set-up done
    int status [BENCH_FORK_MAX];  //  Wait statuses, once reaped
} bench_fork_t;

//  In a worker: report set-up done (ok or not), then wait for the gate.
void bench_worker_gate (const bench_worker_fds_t *fds, bool ok);

//  Fork count (<= BENCH_FORK_MAX) workers running fn (index, args, fds),
//  wait until each has reported its set-up (or died), then open the gate;
//  `ready` says whether every set-up succeeded. Returns the time the gate
//  opened (bench_now_ns), or -1 (perror'd) if a pipe or fork failed.
int64_t bench_fork_start (bench_fork_t *self, int count, bench_worker_fn *fn, void *args);

//  Close the result pipes and reap every worker (wait statuses in
//  `status`); 0 if each exited 0.
int bench_fork_reap (bench_fork_t *self);

//  --------------------------------------------------------------------------
//  The raw libzmq baseline, shaped like zown: a ROUTER echo thread that
//  polls a control socket and its ROUTER, then answers up to `burst`
//  messages per wake-up (as the owner's loop), and DEALER clients with a
//  zown client's socket options.

typedef struct _bench_echo_t bench_echo_t;

//  Start echoing [identity, payload] messages on `router` (of context
//  ctx, bound and set up by the caller; the thread owns it from now on).
//  NULL with errno.
bench_echo_t *bench_echo_start (void *ctx, void *router, int burst);

//  Echoes the ROUTER could not send (a full pipe under ROUTER_MANDATORY).
uint64_t bench_echo_refused (bench_echo_t *self);

//  Stop the thread and close its sockets; accepts NULL, nulls the pointer.
void bench_echo_stop (bench_echo_t **self_p);

//  A DEALER with a zown client's options (runtime/client/client.c: linger 0,
//  immediate, HWM 20,000) and 5 s send and receive timeouts, so that a
//  lost echo fails and never hangs, connected to endpoint. curve_keys:
//  NULL, or the server's public, this client's public and secret keys in
//  Z85 text. NULL with errno.
void *bench_dealer_new (void *ctx, const char *endpoint, const char *const *curve_keys);

//  ops synchronous echoes of a size-byte payload (8 <= size <= 64), each
//  one's latency in ns into lat [i]; or ops echoes pipelined with at most
//  window in flight. Each echo carries its sequence number, which is
//  checked. Return the echoes completed; short of ops, error says why.
long bench_echo_rt (void *dealer, size_t size, long ops, uint32_t *lat, char *error,
                    size_t error_size);
long bench_echo_pipe (void *dealer, size_t size, long ops, int window, char *error,
                      size_t error_size);

//  ops copies of request pipelined through client with at most window in
//  flight, each reply checked (status OK, one int result). Returns the
//  replies received; short of ops, error says why.
long bench_zown_pipe (zown_client_t *client, zown_request_t *request, long ops, int window,
                      char *error, size_t error_size);

#endif
