/*  =========================================================================
    benchutil - helpers shared by the benchmark programs
    =========================================================================
*/
#define _XOPEN_SOURCE 700  //  nftw
#include "benchutil.h"
#include <zmq.h>
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ECHO_TIMEOUT_MS 5000   //  A lost echo fails, never hangs
#define DEALER_HWM      20000  //  As 2 * ZOWN_CLIENT_WINDOW_MAX (client.c)

int64_t
bench_now_ns (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t) now.tv_sec * 1000000000 + now.tv_nsec;
}

int
bench_write_all (int fd, const void *data, size_t size)
{
    const char *at = (const char *) data;
    while (size) {
        ssize_t rc = write (fd, at, size);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc <= 0)
            return -1;
        at += rc;
        size -= (size_t) rc;
    }
    return 0;
}

int
bench_read_all (int fd, void *data, size_t size)
{
    char *at = (char *) data;
    while (size) {
        ssize_t rc = read (fd, at, size);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc <= 0)
            return -1;
        at += rc;
        size -= (size_t) rc;
    }
    return 0;
}

void
bench_die (const char *program, void (*cleanup) (void), const char *format, ...)
{
    va_list args;
    va_start (args, format);
    fprintf (stderr, "%s: ", program);
    vfprintf (stderr, format, args);
    fprintf (stderr, "\n");
    va_end (args);
    if (cleanup)
        cleanup ();
    exit (1);
}

void
bench_fail (int *failed, char *error, size_t size, const char *format, ...)
{
    if ((*failed)++)
        return;
    va_list args;
    va_start (args, format);
    vsnprintf (error, size, format, args);
    va_end (args);
}

int
bench_cmp_double (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

double
bench_median (double *values, int count)
{
    if (count <= 0)
        return 0;
    qsort (values, (size_t) count, sizeof (double), bench_cmp_double);
    return count % 2 ? values [count / 2] : (values [count / 2 - 1] + values [count / 2]) / 2;
}

int
bench_cmp_u32 (const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;
    return x < y ? -1 : x > y;
}

double
bench_pct_u32 (const uint32_t *sorted, size_t count, double p)
{
    if (!count)
        return 0;
    long k = (long) (p / 100.0 * (double) count + 0.5) - 1;
    if (k < 0)
        k = 0;
    if (k > (long) count - 1)
        k = (long) count - 1;
    return sorted [k];
}

void
bench_latency_us (uint32_t *lat, size_t count, double *p50_us, double *p99_us)
{
    qsort (lat, count, sizeof (uint32_t), bench_cmp_u32);
    *p50_us = bench_pct_u32 (lat, count, 50) / 1000.0;
    *p99_us = bench_pct_u32 (lat, count, 99) / 1000.0;
}

long
bench_arg_long (int argc, char *argv [], int *index, const char *program, void (*usage) (FILE *out))
{
    if (*index + 1 >= argc) {
        usage (stderr);
        exit (2);
    }
    char *end;
    long value = strtol (argv [++*index], &end, 10);
    if (*end || value < 1) {
        fprintf (stderr, "%s: %s needs a positive integer\n", program, argv [*index - 1]);
        exit (2);
    }
    return value;
}

long
bench_proc_status_kb (const char *field)
{
    FILE *file = fopen ("/proc/self/status", "r");
    if (!file)
        return -1;
    char line [256];
    long value = -1;
    size_t length = strlen (field);
    while (fgets (line, sizeof (line), file))
        if (strncmp (line, field, length) == 0 && line [length] == ':') {
            value = strtol (line + length + 1, NULL, 10);
            break;
        }
    fclose (file);
    return value;
}

int
bench_hwm_reset (void)
{
    FILE *file = fopen ("/proc/self/clear_refs", "w");
    if (!file)
        return -1;
    int rc = fputs ("5", file) < 0;
    return fclose (file) || rc ? -1 : 0;
}

int
bench_rundir (char *dir, size_t size, const char *name)
{
    snprintf (dir, size, "/tmp/zown-%s-XXXXXX", name);
    if (mkdtemp (dir) && setenv ("ZOWN_RUNDIR", dir, 1) == 0)
        return 0;
    int error = errno;
    *dir = 0;
    errno = error;
    return -1;
}

static int
s_remove (const char *path, const struct stat *info, int flag, struct FTW *walk)
{
    (void) info;
    (void) flag;
    (void) walk;
    return remove (path);
}

int
bench_remove_tree (const char *path)
{
    return nftw (path, s_remove, 8, FTW_DEPTH | FTW_PHYS);
}

//  --------------------------------------------------------------------------
//  Forked workers

void
bench_worker_gate (const bench_worker_fds_t *fds, bool ok)
{
    char byte = ok ? 'r' : 'e';
    bench_write_all (fds->ready, &byte, 1);
    close (fds->ready);
    //  End of file: the parent closed the gate.
    while (read (fds->gate, &byte, 1) < 0 && errno == EINTR)
        ;
    close (fds->gate);
}

int64_t
bench_fork_start (bench_fork_t *self, int count, bench_worker_fn *fn, void *args)
{
    int ready [2], gate [2];
    self->count = 0;
    if (count > BENCH_FORK_MAX || pipe (ready) || pipe (gate)) {
        perror ("bench_fork_start");
        return -1;
    }
    fflush (stdout);
    fflush (stderr);
    for (int index = 0; index < count; index++) {
        int result [2];
        pid_t pid = -1;
        if (pipe (result) || (pid = fork ()) < 0) {
            perror ("bench_fork_start");
            break;
        }
        if (pid == 0) {
            close (ready [0]);
            close (gate [1]);
            close (result [0]);
            bench_worker_fds_t fds = { ready [1], gate [0], result [1] };
            _exit (fn (index, args, &fds));
        }
        close (result [1]);
        self->pids [index] = pid;
        self->results [index] = result [0];
        self->count++;
    }
    close (ready [1]);
    close (gate [0]);
    //  One byte from each worker, or end of file once all have died.
    self->ready = true;
    for (int index = 0; index < self->count; index++) {
        char byte = 0;
        if (bench_read_all (ready [0], &byte, 1) || byte != 'r') {
            self->ready = false;
            break;
        }
    }
    close (ready [0]);
    int64_t started = bench_now_ns ();
    close (gate [1]);
    return self->count == count ? started : -1;
}

int
bench_fork_reap (bench_fork_t *self)
{
    int failed = 0;
    for (int index = 0; index < self->count; index++) {
        close (self->results [index]);
        int *status = &self->status [index];
        while (waitpid (self->pids [index], status, 0) < 0 && errno == EINTR)
            ;
        failed |= !WIFEXITED (*status) || WEXITSTATUS (*status);
    }
    self->count = 0;
    return failed ? -1 : 0;
}

//  --------------------------------------------------------------------------
//  Raw libzmq echo

struct _bench_echo_t {
    void *router;
    void *control;       //  Main thread's end of the control pair
    void *control_peer;  //  The echo thread's end
    int burst;
    pthread_t thread;
    volatile uint64_t refused;
};

static void *
s_echo_thread (void *args)
{
    bench_echo_t *self = (bench_echo_t *) args;
    zmq_msg_t identity, payload;
    zmq_msg_init (&identity);
    zmq_msg_init (&payload);
    zmq_pollitem_t items [] = {
        { self->control_peer, 0, ZMQ_POLLIN, 0 },
        { self->router, 0, ZMQ_POLLIN, 0 },
    };
    while (true) {
        if (zmq_poll (items, 2, -1) == -1) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (items [0].revents & ZMQ_POLLIN)
            break;
        if (!(items [1].revents & ZMQ_POLLIN))
            continue;
        for (int count = 0; count < self->burst; count++) {
            if (zmq_msg_recv (&identity, self->router, ZMQ_DONTWAIT) == -1)
                break;
            if (!zmq_msg_more (&identity)
                || zmq_msg_recv (&payload, self->router, ZMQ_DONTWAIT) == -1)
                continue;
            if (zmq_msg_send (&identity, self->router, ZMQ_SNDMORE | ZMQ_DONTWAIT) == -1
                || zmq_msg_send (&payload, self->router, ZMQ_DONTWAIT) == -1)
                self->refused++;
        }
    }
    zmq_msg_close (&identity);
    zmq_msg_close (&payload);
    return NULL;
}

static int
s_set_int (void *socket, int option, int value)
{
    return zmq_setsockopt (socket, option, &value, sizeof (value));
}

bench_echo_t *
bench_echo_start (void *ctx, void *router, int burst)
{
    bench_echo_t *self = (bench_echo_t *) calloc (1, sizeof (bench_echo_t));
    if (!self)
        return NULL;
    self->router = router;
    self->burst = burst;
    char endpoint [64];
    snprintf (endpoint, sizeof (endpoint), "inproc://bench-echo-%p", (void *) self);
    self->control = zmq_socket (ctx, ZMQ_PAIR);
    self->control_peer = zmq_socket (ctx, ZMQ_PAIR);
    if (self->control && self->control_peer && s_set_int (self->control, ZMQ_LINGER, 0) == 0
        && s_set_int (self->control_peer, ZMQ_LINGER, 0) == 0
        && zmq_bind (self->control, endpoint) == 0
        && zmq_connect (self->control_peer, endpoint) == 0
        && pthread_create (&self->thread, NULL, s_echo_thread, self) == 0)
        return self;
    int error = errno;
    if (self->control)
        zmq_close (self->control);
    if (self->control_peer)
        zmq_close (self->control_peer);
    free (self);
    errno = error;
    return NULL;
}

uint64_t
bench_echo_refused (bench_echo_t *self)
{
    return self->refused;
}

void
bench_echo_stop (bench_echo_t **self_p)
{
    bench_echo_t *self = *self_p;
    if (!self)
        return;
    zmq_send (self->control, "$TERM", 5, 0);
    pthread_join (self->thread, NULL);
    zmq_close (self->router);
    zmq_close (self->control);
    zmq_close (self->control_peer);
    free (self);
    *self_p = NULL;
}

void *
bench_dealer_new (void *ctx, const char *endpoint, const char *const *curve_keys)
{
    void *dealer = zmq_socket (ctx, ZMQ_DEALER);
    if (!dealer)
        return NULL;
    //  Z85 keys are set with their NUL (41 bytes), as libzmq expects text.
    bool ok = s_set_int (dealer, ZMQ_LINGER, 0) == 0 && s_set_int (dealer, ZMQ_IMMEDIATE, 1) == 0
        && s_set_int (dealer, ZMQ_SNDHWM, DEALER_HWM) == 0
        && s_set_int (dealer, ZMQ_RCVHWM, DEALER_HWM) == 0
        && s_set_int (dealer, ZMQ_SNDTIMEO, ECHO_TIMEOUT_MS) == 0
        && s_set_int (dealer, ZMQ_RCVTIMEO, ECHO_TIMEOUT_MS) == 0
        && (!curve_keys
            || (zmq_setsockopt (dealer, ZMQ_CURVE_SERVERKEY, curve_keys [0], 41) == 0
                && zmq_setsockopt (dealer, ZMQ_CURVE_PUBLICKEY, curve_keys [1], 41) == 0
                && zmq_setsockopt (dealer, ZMQ_CURVE_SECRETKEY, curve_keys [2], 41) == 0))
        && zmq_connect (dealer, endpoint) == 0;
    if (ok)
        return dealer;
    int error = errno;
    zmq_close (dealer);
    errno = error;
    return NULL;
}

//  Receive the echo of sequence number seq; 0, or -1 with error set.
static int
s_echo_recv (void *dealer, size_t size, long seq, char *error, size_t error_size)
{
    uint8_t echo [80];
    int got = zmq_recv (dealer, echo, sizeof (echo), 0);
    long echoed = -1;
    if (got >= (int) sizeof (echoed))
        memcpy (&echoed, echo, sizeof (echoed));
    if (got == (int) size && echoed == seq)
        return 0;
    snprintf (error, error_size, "echo %ld: %s", seq,
              got < 0 ? zmq_strerror (errno) : "wrong echo");
    return -1;
}

static int
s_echo_send (void *dealer, uint8_t *payload, size_t size, long seq, char *error, size_t error_size)
{
    memcpy (payload, &seq, sizeof (seq));
    if (zmq_send (dealer, payload, size, 0) == (int) size)
        return 0;
    snprintf (error, error_size, "send %ld: %s", seq, zmq_strerror (errno));
    return -1;
}

long
bench_echo_rt (void *dealer, size_t size, long ops, uint32_t *lat, char *error, size_t error_size)
{
    uint8_t payload [64];
    memset (payload, 'z', sizeof (payload));
    long index;
    for (index = 0; index < ops; index++) {
        int64_t started = bench_now_ns ();
        if (s_echo_send (dealer, payload, size, index, error, error_size)
            || s_echo_recv (dealer, size, index, error, error_size))
            break;
        int64_t elapsed = bench_now_ns () - started;
        lat [index] = elapsed > UINT32_MAX ? UINT32_MAX : (uint32_t) elapsed;
    }
    return index;
}

long
bench_echo_pipe (void *dealer, size_t size, long ops, int window, char *error, size_t error_size)
{
    uint8_t payload [64];
    memset (payload, 'z', sizeof (payload));
    long sent = 0, received = 0;
    while (received < ops) {
        if (sent < ops && sent - received < window) {
            if (s_echo_send (dealer, payload, size, sent, error, error_size))
                break;
            sent++;
        } else if (s_echo_recv (dealer, size, received, error, error_size))
            break;
        else
            received++;
    }
    return received;
}

long
bench_zown_pipe (zown_client_t *client, zown_request_t *request, long ops, int window, char *error,
                 size_t error_size)
{
    long sent = 0, received = 0;
    while (received < ops) {
        if (sent < ops && zown_client_pending (client) < (size_t) window) {
            if (zown_client_send (client, request, NULL)) {
                snprintf (error, error_size, "send %ld: %s", sent, zown_strerror (zown_errno ()));
                break;
            }
            sent++;
            continue;
        }
        zown_reply_t *reply;
        if (zown_client_recv (client, &reply)) {
            snprintf (error, error_size, "recv %ld (sent %ld): %s", received, sent,
                      zown_strerror (zown_errno ()));
            break;
        }
        if (zown_reply_status (reply) != ZOWN_OK || zown_reply_results (reply) != 1
            || zown_reply_value (reply, 0, 0).tag != ZOWN_INT) {
            snprintf (error, error_size, "reply %ld: status %s", received,
                      zown_status_name (zown_reply_status (reply)));
            break;
        }
        received++;
    }
    return received;
}
