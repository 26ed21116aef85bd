/*  =========================================================================
    pool - worker pools: the facade the application calls

    The facade keeps the futures, in a table by task id; the pool thread
    (runtime/workers/pool_actor.c) keeps the tasks, the queue and the
    workers. They talk over an inproc PAIR pipe (workers/pool_actor.h).
    =========================================================================
*/
#include "zown_internal.h"
#include "workers/pool.h"
#include "workers/pool_actor.h"
#include "workers/progress.h"
#include <inttypes.h>
#include <stdatomic.h>
#include <sys/eventfd.h>

//  Longest wait of the facade for a command to the pool thread.
#define S_COMMAND_TIMEOUT 30000
//  Messages a map with a progress line receives between looks at the clock.
#define S_LINE_EVERY 64

struct _zown_future_t {
    zown_pool_t *pool;  //  NULL once the pool is gone
    uint64_t id;
    int status;  //  ZOWN_BUSY until completed
    uint8_t *data;
    size_t size;
    char *error;
    pid_t worker;
    int wait_status;
    size_t index;    //  Input index, in a map
    bool orphan;     //  Destroyed by the application while pending
    bool unordered;  //  Handed to the map_unordered callback, then freed
    bool mapped;     //  Input of the map in progress: counted on its line
};

struct _zown_pool_t {
    zown_pool_config_t config;
    void *args_copy;
    zown_spawner_t *spawner;  //  Started by the pool itself, or NULL
    void *pipe;
    char pipe_endpoint [64];
    pthread_t thread;
    bool running;  //  Pool thread started and not yet told to leave
    bool closed;
    atomic_bool cancelled;  //  zown_pool_cancel ran (any thread, or a signal handler)
    int cancel_fd;          //  Its eventfd, read by the pool thread
    bool stopped;           //  Workers stopped (join or terminate)
    zhashx_t *pending;      //  id -> future
    uint64_t next_id;
    zown_pool_stats_t stats;   //  submitted/completed/failed here, the rest from the thread
    bool stats_fresh;          //  A STATS reply came
    zown_result_fn *callback;  //  Of the map_unordered in progress
    void *callback_arg;
    size_t unordered_left;  //  Its tasks not yet completed
    int unordered_status;   //  Its first failure
    zown_progress_mode_t progress;
    zown_progress_counts_t map;  //  Of the map in progress
    bool map_line;               //  It draws a progress line
    zown_progress_t line;
    uint64_t line_received;  //  Messages received while it is drawn
};

static int
s_config_check (zown_pool_config_t *config)
{
    if (!config->task || (config->mode != ZOWN_POOL_PROCESSES && config->mode != ZOWN_POOL_THREADS)
        || config->task_timeout_ms < 0 || config->stop_timeout_ms < 0
        || (config->args_size && !config->args)
        || (config->owner && strlen (config->owner) >= ZOWN_POOL_ENDPOINT_MAX))
        return -1;
    if (config->mode == ZOWN_POOL_PROCESSES
        && config->args_size > ZOWN_SPAWN_PAYLOAD_MAX - sizeof (zown_worker_setup_t))
        return -1;
    if (!config->workers) {
        long online = sysconf (_SC_NPROCESSORS_ONLN);
        config->workers = online > 0 ? (size_t) online : 1;
    }
    if (config->workers > 4096)
        return -1;
    if (!config->prefetch)
        config->prefetch = ZOWN_POOL_PREFETCH_DEFAULT;
    if (!config->max_pending)
        config->max_pending = ZOWN_POOL_MAX_PENDING_DEFAULT;
    if (!config->stop_timeout_ms)
        config->stop_timeout_ms = ZOWN_POOL_STOP_TIMEOUT_DEFAULT;
    return 0;
}

zown_pool_t *
zown_pool_new (const zown_pool_config_t *config)
{
    if (!config)
        return (zown_pool_t *) zown_fail_null (ZOWN_INVALID);
    zown_pool_t *self = calloc (1, sizeof (zown_pool_t));
    if (!self)
        return (zown_pool_t *) zown_fail_null (ZOWN_NO_MEMORY);
    self->config = *config;
    self->cancel_fd = -1;
    if (s_config_check (&self->config)) {
        free (self);
        return (zown_pool_t *) zown_fail_null (ZOWN_INVALID);
    }
    //  The fork server first, while nothing else runs in this process.
    int status = ZOWN_OK;
    if (self->config.mode == ZOWN_POOL_PROCESSES && !self->config.spawner
        && !(self->spawner = zown_spawner_new ()))
        status = zown_errno ();
    if (!status && self->config.args_size && self->config.mode == ZOWN_POOL_THREADS) {
        //  Thread workers share one copy.
        if ((self->args_copy = malloc (self->config.args_size))) {
            memcpy (self->args_copy, self->config.args, self->config.args_size);
            self->config.args = self->args_copy;
        } else
            status = ZOWN_NO_MEMORY;
    }
    self->next_id = 1;
    self->pending = zown_pool_id_table ();
    static atomic_uint_fast64_t pools;
    uint64_t serial = atomic_fetch_add (&pools, 1);
    char *pipe_endpoint = self->pipe_endpoint;
    snprintf (pipe_endpoint, sizeof (self->pipe_endpoint), "inproc://zown-pool-pipe-%" PRIu64,
              serial);
    void *ctx = status ? NULL : zown_ctx ();
    if (!status && !(ctx && self->pending))
        status = ZOWN_SYSTEM;
    if (!status && (self->cancel_fd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
        status = ZOWN_SYSTEM;
    if (!status
        && !((self->pipe = zmq_socket (ctx, ZMQ_PAIR))
             && zown_set_int (self->pipe, ZMQ_LINGER, 0) == 0
             && zown_set_int (self->pipe, ZMQ_SNDHWM, 0) == 0
             && zown_set_int (self->pipe, ZMQ_RCVHWM, 0) == 0
             && zmq_bind (self->pipe, pipe_endpoint) == 0))
        status = ZOWN_SYSTEM;
    if (!status) {
        zown_spawner_t *spawner = self->spawner ? self->spawner : self->config.spawner;
        if (zown_pool_actor_start (&self->config, spawner, pipe_endpoint, serial, self->cancel_fd,
                                   &self->thread))
            status = ZOWN_SYSTEM;
        else
            self->running = true;
    }
    if (status) {
        zown_pool_destroy (&self);
        return (zown_pool_t *) zown_fail_null (status);
    }
    zown_ok ();
    return self;
}

static void
s_future_free (zown_future_t *future)
{
    free (future->data);
    free (future->error);
    free (future);
}

//  Record a completion on its future; free the future if the application
//  no longer holds it, or hand it to the unordered map's callback.
static void
s_future_complete (zown_pool_t *self, zown_future_t *future, int status, pid_t worker,
                   int wait_status, const void *data, size_t size)
{
    zhashx_delete (self->pending, &future->id);
    self->stats.completed++;
    if (status != ZOWN_OK)
        self->stats.failed++;
    if (future->orphan) {
        s_future_free (future);
        return;
    }
    if (future->mapped) {
        self->map.done++;
        self->map.failed += status != ZOWN_OK;
    }
    future->worker = worker;
    future->wait_status = wait_status;
    if (status == ZOWN_OK) {
        if (size && (future->data = malloc (size))) {
            memcpy (future->data, data, size);
            future->size = size;
        } else if (size)
            status = ZOWN_NO_MEMORY;
    } else {
        const char *text = size && ((const char *) data) [size - 1] == '\0' ? data : "";
        future->error =
            zsys_sprintf ("%s%s", status == ZOWN_TASK_FAILED ? "task failed: " : "", text);
    }
    future->status = status;
    if (future->unordered) {
        if (status != ZOWN_OK && self->unordered_status == ZOWN_OK)
            self->unordered_status = status;
        self->unordered_left--;
        self->callback (self->callback_arg, future->index, future);
        s_future_free (future);
    }
}

//  Handle one message from the pool thread, waiting up to timeout_ms.
//  Returns 0, or -1 if none came.
static int
s_receive_one (zown_pool_t *self, int timeout_ms)
{
    zmq_msg_t header, data;
    zmq_msg_init (&header);
    zmq_msg_init (&data);
    //  While completions stream in, one is usually waiting: no poll then.
    if (zmq_msg_recv (&header, self->pipe, ZMQ_DONTWAIT) < 0) {
        zmq_pollitem_t item = { self->pipe, 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, timeout_ms) <= 0 || zmq_msg_recv (&header, self->pipe, 0) < 0) {
            zmq_msg_close (&header);
            return -1;
        }
    }
    if (zmq_msg_more (&header))
        zmq_msg_recv (&data, self->pipe, 0);
    const uint8_t *bytes = zmq_msg_data (&header);
    size_t size = zmq_msg_size (&header);
    if (size == ZOWN_POOL_ACTOR_DONE_SIZE && bytes [0] == ZOWN_POOL_ACTOR_DONE) {
        uint64_t id;
        int32_t pid, wait_status;
        memcpy (&id, bytes + 2, sizeof (id));
        memcpy (&pid, bytes + 10, sizeof (pid));
        memcpy (&wait_status, bytes + 14, sizeof (wait_status));
        zown_future_t *future = zhashx_lookup (self->pending, &id);
        if (future)
            s_future_complete (self, future, bytes [1], pid, wait_status, zmq_msg_data (&data),
                               zmq_msg_size (&data));
    } else if (size == 1
               && (bytes [0] == ZOWN_POOL_ACTOR_STOPPED || bytes [0] == ZOWN_POOL_ACTOR_STATS)) {
        zown_pool_stats_t counted;
        if (zmq_msg_size (&data) == sizeof (counted)) {
            memcpy (&counted, zmq_msg_data (&data), sizeof (counted));
            counted.submitted = self->stats.submitted;
            counted.completed = self->stats.completed;
            counted.failed = self->stats.failed;
            self->stats = counted;
        }
        if (bytes [0] == ZOWN_POOL_ACTOR_STOPPED)
            self->stopped = true;
        else
            self->stats_fresh = true;
    }
    zmq_msg_close (&header);
    zmq_msg_close (&data);
    return 0;
}

//  As s_receive_one; during a map with a progress line, returns when the
//  line is due, and draws it. While completions stream in, one is usually
//  waiting: the clock is read only every S_LINE_EVERY of them, and when
//  this has to wait.
static int
s_receive (zown_pool_t *self, int timeout_ms)
{
    if (!self->map_line)
        return s_receive_one (self, timeout_ms);
    int rc = s_receive_one (self, 0);
    bool waited = rc != 0 && timeout_ms != 0;
    if (waited)
        rc = s_receive_one (self, zown_progress_timeout (&self->line, zown_now_ms (), timeout_ms));
    if (waited || ++self->line_received % S_LINE_EVERY == 0)
        zown_progress_tick (&self->line, zown_now_ms (), &self->map);
    return rc;
}

static zown_future_t *
s_submit (zown_pool_t *self, const void *data, size_t size, bool block)
{
    if (!self || (size && !data) || size > ZOWN_POOL_DATA_MAX)
        return (zown_future_t *) zown_fail_null (ZOWN_INVALID);
    if (self->closed || atomic_load (&self->cancelled))
        return (zown_future_t *) zown_fail_null (ZOWN_CLOSED);
    while (zhashx_size (self->pending) >= self->config.max_pending) {
        if (!block)
            return (zown_future_t *) zown_fail_null (ZOWN_BUSY);
        s_receive (self, -1);
    }
    zown_future_t *future = calloc (1, sizeof (zown_future_t));
    if (!future)
        return (zown_future_t *) zown_fail_null (ZOWN_NO_MEMORY);
    future->pool = self;
    future->id = self->next_id++;
    future->status = ZOWN_BUSY;
    uint8_t header [ZOWN_POOL_ACTOR_TASK_SIZE] = { ZOWN_POOL_ACTOR_TASK };
    memcpy (header + 1, &future->id, sizeof (future->id));
    if (zmq_send (self->pipe, header, sizeof (header), ZMQ_SNDMORE) < 0
        || zmq_send (self->pipe, data, size, 0) < 0) {
        free (future);
        return (zown_future_t *) zown_fail_null (ZOWN_SYSTEM);
    }
    zhashx_insert (self->pending, &future->id, future);
    self->stats.submitted++;
    zown_ok ();
    return future;
}

zown_future_t *
zown_pool_submit (zown_pool_t *self, const void *data, size_t size)
{
    return s_submit (self, data, size, self && !self->config.reject_when_full);
}

zown_future_t *
zown_pool_submit_int64 (zown_pool_t *self, int64_t value)
{
    return zown_pool_submit (self, &value, sizeof (value));
}

zown_future_t *
zown_pool_submit_string (zown_pool_t *self, const char *string)
{
    if (!string)
        return (zown_future_t *) zown_fail_null (ZOWN_INVALID);
    return zown_pool_submit (self, string, strlen (string) + 1);
}

//  A map's input that was not submitted because the pool was cancelled:
//  a future completed here, with ZOWN_CANCELLED.
static zown_future_t *
s_future_cancelled (zown_pool_t *self, size_t index)
{
    zown_future_t *future = calloc (1, sizeof (zown_future_t));
    if (future) {
        future->pool = self;
        future->index = index;
        future->status = ZOWN_CANCELLED;
        future->error = strdup ("pool cancelled");
    }
    return future;
}

//  Submit one input of a map; once the pool is cancelled, the input gets
//  a future already cancelled. NULL with the status if neither can be.
static zown_future_t *
s_map_submit (zown_pool_t *self, const zown_bytes_t *input, size_t index)
{
    zown_future_t *future = s_submit (self, input->data, input->size, true);
    if (future)
        future->mapped = true;
    else if (atomic_load (&self->cancelled)) {
        future = s_future_cancelled (self, index);
        if (!future)
            zown_fail (ZOWN_NO_MEMORY);
        self->map.done += future != NULL;
        self->map.failed += future != NULL;
    }
    return future;
}

//  A map of count inputs starts: its counts, and its line when stderr is
//  a terminal or the line is forced on.
static void
s_map_begin (zown_pool_t *self, size_t count)
{
    self->map = (zown_progress_counts_t){ .total = count, .total_final = true };
    bool always = self->progress == ZOWN_PROGRESS_ON;
    self->map_line = always || (self->progress == ZOWN_PROGRESS_AUTO && isatty (STDERR_FILENO));
    if (self->map_line)
        zown_progress_start (&self->line, "pool", "tasks", always, zown_now_ms ());
}

static void
s_map_end (zown_pool_t *self)
{
    if (self->map_line)
        zown_progress_end (&self->line, zown_now_ms (), &self->map);
    self->map_line = false;
}

static int
s_map_check (zown_pool_t *self, const zown_bytes_t *inputs, size_t count)
{
    if (!self || (count && !inputs))
        return zown_fail (ZOWN_INVALID);
    for (size_t index = 0; index < count; index++)
        if ((inputs [index].size && !inputs [index].data)
            || inputs [index].size > ZOWN_POOL_DATA_MAX)
            return zown_fail (ZOWN_INVALID);
    return self->closed || atomic_load (&self->cancelled) ? zown_fail (ZOWN_CLOSED) : 0;
}

int
zown_pool_map (zown_pool_t *self, const zown_bytes_t *inputs, size_t count, zown_future_t **futures)
{
    if (!futures)
        return zown_fail (ZOWN_INVALID);
    for (size_t index = 0; index < count; index++)
        futures [index] = NULL;
    if (s_map_check (self, inputs, count))
        return -1;
    int first_failure = ZOWN_OK;
    s_map_begin (self, count);
    for (size_t index = 0; index < count; index++) {
        futures [index] = s_map_submit (self, &inputs [index], index);
        if (!futures [index]) {
            //  Out of memory: what was submitted still runs, unobserved.
            int status = zown_errno ();
            for (size_t undo = 0; undo < index; undo++)
                zown_future_destroy (&futures [undo]);
            s_map_end (self);
            return zown_fail (status);
        }
    }
    for (size_t index = 0; index < count; index++)
        if (zown_future_wait (futures [index], ZOWN_FOREVER) && first_failure == ZOWN_OK)
            first_failure = zown_errno ();
    s_map_end (self);
    return first_failure == ZOWN_OK ? zown_ok () : zown_fail (first_failure);
}

int
zown_pool_map_unordered (zown_pool_t *self, const zown_bytes_t *inputs, size_t count,
                         zown_result_fn *callback, void *arg)
{
    if (!callback || (self && self->callback))
        return zown_fail (ZOWN_INVALID);
    if (s_map_check (self, inputs, count))
        return -1;
    self->callback = callback;
    self->callback_arg = arg;
    self->unordered_status = ZOWN_OK;
    int status = ZOWN_OK;
    s_map_begin (self, count);
    for (size_t index = 0; index < count && status == ZOWN_OK; index++) {
        zown_future_t *future = s_map_submit (self, &inputs [index], index);
        if (future && future->status == ZOWN_CANCELLED) {
            if (self->unordered_status == ZOWN_OK)
                self->unordered_status = ZOWN_CANCELLED;
            callback (arg, index, future);
            s_future_free (future);
        } else if (future) {
            future->unordered = true;
            future->index = index;
            self->unordered_left++;
        } else
            status = zown_errno ();
    }
    while (self->unordered_left)
        s_receive (self, -1);
    s_map_end (self);
    self->callback = NULL;
    self->callback_arg = NULL;
    if (status == ZOWN_OK)
        status = self->unordered_status;
    return status == ZOWN_OK ? zown_ok () : zown_fail (status);
}

int
zown_pool_set_progress (zown_pool_t *self, zown_progress_mode_t mode)
{
    if (!self
        || (mode != ZOWN_PROGRESS_AUTO && mode != ZOWN_PROGRESS_OFF && mode != ZOWN_PROGRESS_ON))
        return zown_fail (ZOWN_INVALID);
    self->progress = mode;
    return zown_ok ();
}

void
zown_pool_close (zown_pool_t *self)
{
    if (self)
        self->closed = true;
}

void
zown_pool_cancel (zown_pool_t *self)
{
    if (!self)
        return;
    //  Only a lock-free atomic store and a write(): both are safe in a
    //  signal handler, and errno is left as the interrupted code had it.
    int saved_errno = errno;
    atomic_store (&self->cancelled, true);
    uint64_t one = 1;
    (void) !write (self->cancel_fd, &one, sizeof (one));
    errno = saved_errno;
}

//  Tell the pool thread to stop its workers (JOIN: once idle, KILL: now), and
//  wait for it to say they are gone. Its own deadlines bound the wait.
static void
s_stop_workers (zown_pool_t *self, char kind)
{
    if (!self->running || self->stopped)
        return;
    zmq_send (self->pipe, &kind, 1, 0);
    int64_t deadline = zown_deadline_ms (S_COMMAND_TIMEOUT + self->config.stop_timeout_ms);
    while (!self->stopped && zown_left_ms (deadline) > 0)
        s_receive (self, zown_left_ms (deadline));
    if (!self->stopped) {
        fprintf (stderr, "zown: pool thread did not stop its workers in time\n");
        self->stopped = true;
    }
}

int
zown_pool_join (zown_pool_t *self, int timeout_ms)
{
    if (!self)
        return zown_fail (ZOWN_INVALID);
    self->closed = true;
    int64_t deadline = zown_deadline_ms (timeout_ms);
    while (zhashx_size (self->pending))
        if (deadline >= 0 && zown_left_ms (deadline) == 0)
            return zown_fail (ZOWN_TIMEOUT);
        else
            s_receive (self, zown_left_ms (deadline));
    s_stop_workers (self, ZOWN_POOL_ACTOR_JOIN);
    return zown_ok ();
}

//  Futures the pool thread will never complete (it has stopped, or is
//  gone) complete here, with ZOWN_CLOSED.
static void
s_close_pending (zown_pool_t *self)
{
    zown_future_t *future;
    while ((future = zhashx_first (self->pending)))
        s_future_complete (self, future, ZOWN_CLOSED, 0, 0, "pool stopped",
                           strlen ("pool stopped") + 1);
}

void
zown_pool_terminate (zown_pool_t *self)
{
    if (!self)
        return;
    self->closed = true;
    s_stop_workers (self, ZOWN_POOL_ACTOR_KILL);
    //  Whatever the thread failed reached us before it said STOPPED.
    s_close_pending (self);
}

void
zown_pool_destroy (zown_pool_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zown_pool_t *self = *self_p;
    if (self->running) {
        zown_pool_terminate (self);
        char leave = ZOWN_POOL_ACTOR_TERM;
        zmq_send (self->pipe, &leave, 1, 0);
        //  The pool thread runs no application code and has stopped its
        //  workers: it leaves at once.
        pthread_join (self->thread, NULL);
    }
    if (self->pending) {
        s_close_pending (self);
        zhashx_destroy (&self->pending);
    }
    if (self->pipe) {
        zmq_unbind (self->pipe, self->pipe_endpoint);
        zmq_close (self->pipe);
    }
    zown_spawner_destroy (&self->spawner);
    if (self->cancel_fd >= 0)
        close (self->cancel_fd);
    free (self->args_copy);
    free (self);
    *self_p = NULL;
}

void
zown_pool_stats (zown_pool_t *self, zown_pool_stats_t *stats)
{
    if (!self || !stats)
        return;
    if (self->running && !self->stopped) {
        self->stats_fresh = false;
        char kind = ZOWN_POOL_ACTOR_STATS;
        zmq_send (self->pipe, &kind, 1, 0);
        int64_t deadline = zown_deadline_ms (S_COMMAND_TIMEOUT);
        while (!self->stats_fresh && zown_left_ms (deadline) > 0)
            s_receive (self, zown_left_ms (deadline));
    }
    *stats = self->stats;
}

size_t
zown_pool_size (zown_pool_t *self)
{
    return self ? self->config.workers : 0;
}

//  ---------------------------------------------------------------------
//  Futures

int
zown_future_wait (zown_future_t *self, int timeout_ms)
{
    if (!self)
        return zown_fail (ZOWN_INVALID);
    int64_t deadline = zown_deadline_ms (timeout_ms);
    while (self->status == ZOWN_BUSY) {
        if (deadline >= 0 && zown_left_ms (deadline) == 0)
            return zown_fail (ZOWN_BUSY);
        s_receive (self->pool, zown_left_ms (deadline));
    }
    return self->status == ZOWN_OK ? zown_ok () : zown_fail (self->status);
}

bool
zown_future_done (zown_future_t *self)
{
    return self && self->status != ZOWN_BUSY;
}

int
zown_future_status (zown_future_t *self)
{
    return self ? self->status : ZOWN_INVALID;
}

const void *
zown_future_data (zown_future_t *self, size_t *size_p)
{
    if (size_p)
        *size_p = self && self->status == ZOWN_OK ? self->size : 0;
    return self && self->status == ZOWN_OK ? self->data : NULL;
}

int
zown_future_int64 (zown_future_t *self, int64_t *value_p)
{
    if (!self || self->status != ZOWN_OK || self->size != sizeof (int64_t) || !value_p)
        return zown_fail (ZOWN_INVALID);
    memcpy (value_p, self->data, sizeof (int64_t));
    return zown_ok ();
}

const char *
zown_future_string (zown_future_t *self)
{
    if (!self || self->status != ZOWN_OK || !self->size || self->data [self->size - 1] != '\0')
        return (const char *) zown_fail_null (ZOWN_INVALID);
    return (const char *) self->data;
}

const char *
zown_future_error (zown_future_t *self)
{
    return self && self->error ? self->error : "";
}

int
zown_future_wait_status (zown_future_t *self)
{
    return self && self->status == ZOWN_WORKER_DIED ? self->wait_status : 0;
}

pid_t
zown_future_worker (zown_future_t *self)
{
    return self ? self->worker : 0;
}

void
zown_future_destroy (zown_future_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zown_future_t *self = *self_p;
    *self_p = NULL;
    if (self->status == ZOWN_BUSY && self->pool)
        self->orphan = true;  //  Freed when its result arrives
    else
        s_future_free (self);
}
