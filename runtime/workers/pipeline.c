/*  =========================================================================
    pipeline - ventilator -> worker processes -> sink thread

    Three parties, three channels:
    - the application thread pushes items on a PUSH bound to NAME@vent.sock
      (the '@' keeps these files apart from owners' NAME.sock);
    - each worker, a child of the spawner, PULLs items, runs the work
      function and PUSHes to a PULL bound to NAME@sink.sock: READY once,
      then outputs and completions;
    - the sink thread reads those, runs the sink function, counts
      completions, hears worker exits on a spawner handle of its own, keeps
      the owner's counters, and talks to the application thread over an
      inproc PAIR: commands one way, wake-ups the other; what they share is
      in atomics.

    End of stream without losing the tail (libzmq 4.3.4 PUSH over ipc can
    lose the tail of its queue at close, even with ZMQ_LINGER -1): an item
    completes in the message that carries its last output, or in one sent
    after it, and one PUSH/PULL connection keeps a worker's messages in
    order; so once the sink has counted every pushed item as completed, it
    has seen every output, and nothing is left in any queue. Only then are
    the workers told to stop: no delivery ever depends on linger.

    Stop requests are SIGTERM sent through the spawner (it signals only
    children it has not reaped). A worker keeps SIGTERM blocked except while
    it waits for an item, where the signal interrupts the wait: it stops
    only while idle, never in the middle of an item, and it waits in a plain
    blocking receive, as cheap as a raw worker's (a zmq_poll on the socket
    and a signalfd cost 15-25% of the throughput of small items, 4 workers).
    =========================================================================
*/
#include "zown_internal.h"
#include "workers/progress.h"
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <time.h>

typedef enum {
    S_READY = 1,   //  The worker is set up and connected
    S_OUTPUT = 2,  //  One output, and completions
    S_DONE = 3     //  Completions only
} s_kind_t;

//  Head of every worker -> sink message, in native byte order (both ends
//  run the same program). 8 bytes, so that an output keeps the alignment
//  of the message's buffer.
typedef struct {
    uint16_t kind;       //  s_kind_t
    uint16_t failed;     //  Of the items completed, how many failed
    uint32_t completed;  //  Items this message completes
} s_header_t;

//  Completions a worker may owe before it sends them alone; they go sooner
//  with its next output, or when it runs out of items.
#define S_DONE_BATCH 256
//  Messages the sink thread handles before it looks at its pipe again.
#define S_SINK_BURST 256
//  A worker that cannot set up, or loses its sockets, exits with this.
#define S_EXIT_BROKEN 1
//  Longest wait of an idle worker before it looks for a stop request
//  again: only a SIGTERM that lands between the look and the wait needs it.
#define S_IDLE_CHECK_MS 100

//  What a worker is spawned with: this, then the ventilator, sink and owner
//  endpoints as NUL-terminated strings (the owner's empty for none).
typedef struct {
    zown_pipeline_work_fn *work;
    void *args;
    int hwm;
    int sink_hwm;
} s_spec_t;

typedef enum {
    S_STARTING,  //  Waiting for every worker's READY
    S_RUNNING,   //  Items flow
    S_STOPPING,  //  Workers told to stop, or killed after a failure
    S_ENDED      //  Every worker gone; the sink thread only awaits "T"
} s_state_t;

struct _zown_pipeline_emit_t {
    void *push;             //  To the sink
    zown_client_t *client;  //  To the owner target, or NULL
    zmq_msg_t pending;      //  Current item's latest output, held back so
    bool has_pending;       //  that the last one carries the completion
    uint32_t owed;          //  Items finished, completion not yet sent
    uint32_t owed_failed;   //  Of those, failed ones
};

struct _zown_pipeline_t {
    //  Set by zown_pipeline_new, read-only afterwards
    char *name;
    char *vent_path;  //  Socket files, set once bound (to be removed)
    char *sink_path;
    char *owner;  //  Owner endpoint, or NULL
    size_t workers;
    pid_t *pids;
    zown_pipeline_sink_fn *sink;
    void *sink_args;
    int push_timeout;     //  ms, or ZOWN_FOREVER
    bool progress;        //  Progress line on stderr
    unsigned generation;  //  Fork generation it belongs to
    //  Application thread
    void *vent;  //  PUSH to the workers
    void *pipe;  //  PAIR to the sink thread
    uint64_t pushed_count;
    bool finishing;  //  zown_pipeline_finish was called
    pthread_t thread;
    bool thread_started;
    //  Sink thread's, from pthread_create until it is joined
    void *pull;               //  From the workers
    void *sink_pipe;          //  PAIR to the application thread
    zown_spawner_t *spawner;  //  Attached handle: spawned every worker
    //  Shared: written by one side, read by the other
    _Atomic int state;        //  s_state_t, by the sink thread
    _Atomic int status;       //  ZOWN_OK until the run failed, by the sink thread
    _Atomic uint64_t pushed;  //  By the application thread
    _Atomic uint64_t target;  //  Items to account for; UINT64_MAX before finish
    _Atomic uint64_t done;    //  Items completed, by the sink thread
    char failure [256];       //  Written before status is published
};

//  ---------------------------------------------------------------------
//  Workers

//  Sends a message whose first bytes are kept for the header, with the
//  completions owed so far; blocks while the sink's queue is full. Closes
//  the message.
static int
s_worker_send (zown_pipeline_emit_t *out, zmq_msg_t *message, s_kind_t kind)
{
    s_header_t header = { (uint16_t) kind, (uint16_t) out->owed_failed, out->owed };
    memcpy (zmq_msg_data (message), &header, sizeof (header));
    int rc;
    while ((rc = zmq_msg_send (message, out->push, 0)) == -1 && errno == EINTR)
        ;
    zmq_msg_close (message);
    if (rc == -1)
        return zown_fail (ZOWN_SYSTEM);
    out->owed = 0;
    out->owed_failed = 0;
    return 0;
}

//  A message with a header and nothing else: READY, or owed completions.
static int
s_worker_send_empty (zown_pipeline_emit_t *out, s_kind_t kind)
{
    zmq_msg_t message;
    if (zmq_msg_init_size (&message, sizeof (s_header_t)))
        return zown_fail (ZOWN_NO_MEMORY);
    return s_worker_send (out, &message, kind);
}

int
zown_pipeline_emit (zown_pipeline_emit_t *out, const void *data, size_t size)
{
    if (!out || (size && !data))
        return zown_fail (ZOWN_INVALID);
    //  The item's previous output goes now (with the completions of earlier
    //  items); this one waits, to carry its item's completion if it is the
    //  last.
    if (out->has_pending) {
        out->has_pending = false;
        if (s_worker_send (out, &out->pending, S_OUTPUT))
            return -1;
    }
    if (zmq_msg_init_size (&out->pending, sizeof (s_header_t) + size))
        return zown_fail (ZOWN_NO_MEMORY);
    if (size)
        memcpy ((char *) zmq_msg_data (&out->pending) + sizeof (s_header_t), data, size);
    out->has_pending = true;
    return zown_ok ();
}

zown_client_t *
zown_pipeline_emit_client (zown_pipeline_emit_t *out)
{
    return out ? out->client : NULL;
}

//  Set by SIGTERM, the stop request.
static volatile sig_atomic_t s_stop_requested;

static void
s_on_term (int signo)
{
    (void) signo;
    s_stop_requested = 1;
}

//  Waits for an item with SIGTERM let in: a pending one is handled at the
//  unblock, one that comes during the wait interrupts it (EINTR), and one
//  that lands between the look and the wait is seen after S_IDLE_CHECK_MS.
static int
s_worker_wait (void *pull, zmq_msg_t *item, const sigset_t *term)
{
    sigprocmask (SIG_UNBLOCK, term, NULL);
    int rc = s_stop_requested ? -1 : zmq_msg_recv (item, pull, 0);
    int error = errno;
    sigprocmask (SIG_BLOCK, term, NULL);
    errno = error;
    return rc;
}

//  Items until told to stop; 0 then, S_EXIT_BROKEN if the sockets fail.
static int
s_worker_loop (const s_spec_t *spec, void *pull, zown_pipeline_emit_t *out, const sigset_t *term)
{
    zmq_msg_t item;
    zmq_msg_init (&item);
    int code = 0;
    while (true) {
        int rc = zmq_msg_recv (&item, pull, ZMQ_DONTWAIT);
        if (rc == -1 && errno == EAGAIN) {
            //  Out of items: report what is owed, then wait.
            if (out->owed && s_worker_send_empty (out, S_DONE)) {
                code = S_EXIT_BROKEN;
                break;
            }
            rc = s_worker_wait (pull, &item, term);
        }
        if (rc == -1) {
            if (s_stop_requested)
                break;
            if (errno == EAGAIN || errno == EINTR)
                continue;
            code = S_EXIT_BROKEN;
            break;
        }
        bool failed = spec->work (spec->args, zmq_msg_data (&item), zmq_msg_size (&item), out) != 0;
        out->owed++;
        out->owed_failed += failed;
        if (out->has_pending) {
            out->has_pending = false;
            rc = s_worker_send (out, &out->pending, S_OUTPUT);
        } else if (out->owed >= S_DONE_BATCH)
            rc = s_worker_send_empty (out, S_DONE);
        if (rc == -1) {
            code = S_EXIT_BROKEN;
            break;
        }
    }
    zmq_msg_close (&item);
    if (out->has_pending)
        zmq_msg_close (&out->pending);
    return code;
}

//  The spawned process: set up, say READY, run the loop, clean up.
static int
s_worker_main (void *unused, const void *payload, size_t size)
{
    (void) unused;
    s_spec_t spec;
    if (size < sizeof (spec))
        return S_EXIT_BROKEN;
    memcpy (&spec, payload, sizeof (spec));
    const char *strings [3];
    const char *at = (const char *) payload + sizeof (spec);
    const char *end = (const char *) payload + size;
    for (int index = 0; index < 3; index++) {
        const char *nul = memchr (at, 0, (size_t) (end - at));
        if (!nul)
            return S_EXIT_BROKEN;
        strings [index] = at;
        at = nul + 1;
    }
    //  SIGTERM stays blocked, in this thread and in those it starts (libzmq's
    //  included), except while the worker waits for an item.
    sigset_t term;
    sigemptyset (&term);
    sigaddset (&term, SIGTERM);
    struct sigaction action = { .sa_handler = s_on_term };  //  No SA_RESTART
    sigemptyset (&action.sa_mask);
    zown_pipeline_emit_t out = { 0 };
    void *pull = NULL;
    int code = S_EXIT_BROKEN;
    if (sigprocmask (SIG_BLOCK, &term, NULL) == 0 && sigaction (SIGTERM, &action, NULL) == 0) {
        void *ctx = zown_ctx ();
        pull = ctx ? zmq_socket (ctx, ZMQ_PULL) : NULL;
        out.push = ctx ? zmq_socket (ctx, ZMQ_PUSH) : NULL;
    }
    //  Linger 0: every message that matters is acknowledged before a stop.
    if (pull && out.push && zown_set_int (pull, ZMQ_LINGER, 0) == 0
        && zown_set_int (pull, ZMQ_RCVHWM, spec.hwm) == 0
        && zown_set_int (pull, ZMQ_RCVTIMEO, S_IDLE_CHECK_MS) == 0
        && zown_set_int (out.push, ZMQ_LINGER, 0) == 0
        && zown_set_int (out.push, ZMQ_SNDHWM, spec.sink_hwm) == 0
        && zmq_connect (pull, strings [0]) == 0 && zmq_connect (out.push, strings [1]) == 0
        && (!*strings [2] || (out.client = zown_client_new (strings [2])))
        && s_worker_send_empty (&out, S_READY) == 0)
        code = s_worker_loop (&spec, pull, &out, &term);
    zown_client_destroy (&out.client);
    if (pull)
        zmq_close (pull);
    if (out.push)
        zmq_close (out.push);
    return code;
}

//  ---------------------------------------------------------------------
//  Sink thread

typedef struct {
    zown_pipeline_t *self;
    zown_client_t *client;    //  To the owner, or NULL
    zown_request_t *request;  //  Counter updates
    zmq_msg_t message;        //  Reused for every message
    uint64_t done;            //  Items completed
    uint64_t failed;          //  Of those, failed in work()
    uint64_t sink_failed;     //  Sink calls that returned non-zero
    uint64_t sent_pushed;     //  Counter values the owner holds
    uint64_t sent_done;       //  (pushed and done)
    bool counters_sent;       //  Sent at least once
    size_t ready;             //  Workers that said READY
    size_t exited;            //  Exits heard
    bool spawner_gone;        //  The spawner's channel closed
    bool killed;              //  SIGKILL sent to every worker
    int64_t started;          //  Start time, ms
    int64_t next_tick;        //  Next counter update or progress line
    int64_t deadline;         //  While stopping: next escalation
    zown_progress_t line;     //  On stderr, when self->progress
    bool terminate;           //  "T" received
} s_sink_t;

static void
s_wake (zown_pipeline_t *self)
{
    //  A full pipe already holds a wake-up.
    zmq_send (self->sink_pipe, "W", 1, ZMQ_DONTWAIT);
}

static void
s_set_state (zown_pipeline_t *self, s_state_t state)
{
    atomic_store (&self->state, state);
    s_wake (self);
}

//  Signals every worker; a reaped one is no longer the spawner's to signal
//  and is skipped there.
static void
s_sink_signal (s_sink_t *sink, int signo)
{
    zown_pipeline_t *self = sink->self;
    for (size_t index = 0; index < self->workers; index++)
        zown_spawner_kill (self->spawner, self->pids [index], signo);
    sink->killed = signo == SIGKILL;
    sink->deadline = zown_now_ms () + ZOWN_PIPELINE_STOP_TIMEOUT;
    if (atomic_load (&self->state) < S_STOPPING)
        s_set_state (self, S_STOPPING);
}

//  The run failed: the first failure is the one reported, and a run that
//  ended keeps its outcome. Workers still running are killed, since
//  nothing they do can count any more.
static void __attribute__ ((format (printf, 3, 4)))
s_sink_fail (s_sink_t *sink, int status, const char *format, ...)
{
    zown_pipeline_t *self = sink->self;
    if (atomic_load (&self->status) == ZOWN_OK && atomic_load (&self->state) != S_ENDED) {
        va_list args;
        va_start (args, format);
        vsnprintf (self->failure, sizeof (self->failure), format, args);
        va_end (args);
        atomic_store (&self->status, status);
        s_wake (self);
    }
    if (atomic_load (&self->state) < S_STOPPING)
        s_sink_signal (sink, SIGKILL);
}

//  The total is what was pushed so far, final once finish set a target.
static zown_progress_counts_t
s_sink_counts (s_sink_t *sink)
{
    return (zown_progress_counts_t){ .done = sink->done,
                                     .total = atomic_load (&sink->self->pushed),
                                     .failed = sink->failed + sink->sink_failed,
                                     .total_final =
                                         atomic_load (&sink->self->target) != UINT64_MAX };
}

//  One request sets both counters, when they changed.
static void
s_sink_update_counters (s_sink_t *sink)
{
    zown_pipeline_t *self = sink->self;
    uint64_t pushed = atomic_load (&self->pushed);
    if (!sink->client || atomic_load (&self->status) != ZOWN_OK
        || (sink->counters_sent && pushed == sink->sent_pushed && sink->done == sink->sent_done))
        return;
    char pushed_name [ZOWN_NAME_MAX + 8], done_name [ZOWN_NAME_MAX + 8];
    snprintf (pushed_name, sizeof (pushed_name), "%s.pushed", self->name);
    snprintf (done_name, sizeof (done_name), "%s.done", self->name);
    zown_datum_t pushed_value = zown_datum_int ((int64_t) pushed);
    zown_datum_t done_value = zown_datum_int ((int64_t) sink->done);
    zown_request_reset (sink->request);
    if (zown_request_add (sink->request, ZOWN_OP_VALUE_SET, pushed_name, 1, &pushed_value)
        || zown_request_add (sink->request, ZOWN_OP_VALUE_SET, done_name, 1, &done_value)
        || zown_client_call (sink->client, sink->request, NULL)) {
        s_sink_fail (sink, zown_errno (), "owner counters: %s", zown_strerror (zown_errno ()));
        return;
    }
    sink->counters_sent = true;
    sink->sent_pushed = pushed;
    sink->sent_done = sink->done;
}

static void
s_sink_tick (s_sink_t *sink, int64_t now)
{
    s_sink_update_counters (sink);
    if (sink->self->progress) {
        zown_progress_counts_t counts = s_sink_counts (sink);
        zown_progress_tick (&sink->line, now, &counts);
    }
    sink->next_tick = now + ZOWN_PIPELINE_PROGRESS_MS;
}

static void
s_sink_line_end (s_sink_t *sink)
{
    zown_progress_counts_t counts = s_sink_counts (sink);
    zown_progress_end (&sink->line, zown_now_ms (), &counts);
}

static void
s_sink_end (s_sink_t *sink)
{
    zown_pipeline_t *self = sink->self;
    if (sink->failed || sink->sink_failed)
        s_sink_fail (sink, ZOWN_TASK_FAILED,
                     "%" PRIu64 " of %" PRIu64 " items failed, %" PRIu64 " sink calls failed",
                     sink->failed, sink->done, sink->sink_failed);
    s_sink_line_end (sink);
    s_set_state (self, S_ENDED);
}

//  Every pushed item accounted for: last counter update, then the workers
//  are told to stop.
static void
s_sink_check_end (s_sink_t *sink)
{
    zown_pipeline_t *self = sink->self;
    if (atomic_load (&self->state) != S_RUNNING || sink->done < atomic_load (&self->target))
        return;
    s_sink_update_counters (sink);
    if (atomic_load (&self->state) == S_RUNNING)
        s_sink_signal (sink, SIGTERM);
}

static void
s_sink_reap (s_sink_t *sink)
{
    zown_pipeline_t *self = sink->self;
    pid_t pid;
    int status;
    while (zown_spawner_wait (self->spawner, 0, &pid, &status) == 0) {
        sink->exited++;
        if (atomic_load (&self->state) < S_STOPPING) {
            size_t index = 0;
            while (index < self->workers && self->pids [index] != pid)
                index++;
            char text [64];
            s_sink_fail (sink, ZOWN_WORKER_DIED, "worker %zu (pid %d) died during the run: %s",
                         index, (int) pid, zown_spawner_describe (status, text, sizeof (text)));
        }
    }
    if (zown_errno () == ZOWN_UNREACHABLE) {
        //  The server is gone, and its children with it.
        sink->spawner_gone = true;
        s_sink_fail (sink, ZOWN_WORKER_DIED, "the fork server is gone, and the workers with it");
        sink->exited = self->workers;
    }
    if (sink->exited == self->workers && atomic_load (&self->state) == S_STOPPING)
        s_sink_end (sink);
}

static void
s_sink_receive (s_sink_t *sink)
{
    zown_pipeline_t *self = sink->self;
    for (int count = 0; count < S_SINK_BURST; count++) {
        if (zmq_msg_recv (&sink->message, self->pull, ZMQ_DONTWAIT) == -1)
            break;
        size_t size = zmq_msg_size (&sink->message);
        const char *data = (const char *) zmq_msg_data (&sink->message);
        s_header_t header;
        if (size < sizeof (header))
            continue;  //  Not from a worker of ours
        memcpy (&header, data, sizeof (header));
        if (header.kind == S_READY) {
            if (++sink->ready == self->workers && atomic_load (&self->state) == S_STARTING)
                s_set_state (self, S_RUNNING);
            continue;
        }
        //  After a failure the sink function is not called again: the
        //  application may already be looking at what it built.
        if (header.kind == S_OUTPUT && self->sink && atomic_load (&self->status) == ZOWN_OK
            && self->sink (self->sink_args, data + sizeof (header), size - sizeof (header),
                           sink->client))
            sink->sink_failed++;
        sink->done += header.completed;
        sink->failed += header.failed;
    }
    atomic_store (&self->done, sink->done);
}

static void
s_sink_commands (s_sink_t *sink)
{
    char command;
    while (zmq_recv (sink->self->sink_pipe, &command, 1, ZMQ_DONTWAIT) == 1)
        if (command == 'T')
            sink->terminate = true;
    //  "F" set a target: it may be reached already.
    s_sink_check_end (sink);
}

//  What comes first: the next tick (while running) or the stop deadline.
static int
s_sink_timeout (s_sink_t *sink)
{
    int state = atomic_load (&sink->self->state);
    int64_t wake = -1;
    if (state == S_STOPPING)
        wake = sink->deadline;
    else if (state != S_ENDED && (sink->client || sink->self->progress))
        wake = sink->next_tick;
    if (wake < 0)
        return -1;
    int64_t left = wake - zown_now_ms ();
    return left < 0 ? 0 : (int) left;
}

static void
s_sink_timers (s_sink_t *sink)
{
    int state = atomic_load (&sink->self->state);
    int64_t now = zown_now_ms ();
    if (state == S_STOPPING && now >= sink->deadline) {
        if (sink->killed || sink->spawner_gone)
            s_sink_end (sink);  //  Not even SIGKILL was heard of: give up on them
        else
            s_sink_signal (sink, SIGKILL);
    } else if (state < S_STOPPING && now >= sink->next_tick)
        s_sink_tick (sink, now);
}

static void *
s_sink_thread (void *args)
{
    s_sink_t sink = { .self = (zown_pipeline_t *) args, .started = zown_now_ms () };
    zown_pipeline_t *self = sink.self;
    sink.next_tick = sink.started + ZOWN_PIPELINE_PROGRESS_MS;
    zown_progress_start (&sink.line, self->name, "items", false, sink.started);
    zmq_msg_init (&sink.message);
    if (self->owner) {
        sink.client = zown_client_new (self->owner);
        sink.request = zown_request_new ();
        if (!sink.client || !sink.request)
            s_sink_fail (&sink, zown_errno (), "owner client: %s", zown_strerror (zown_errno ()));
        else
            s_sink_update_counters (&sink);  //  0 and 0: a fresh run
    }
    //  Exits reported while the workers were being spawned are queued.
    s_sink_reap (&sink);
    while (!sink.terminate) {
        zmq_pollitem_t items [] = { { self->sink_pipe, 0, ZMQ_POLLIN, 0 },
                                    { self->pull, 0, ZMQ_POLLIN, 0 },
                                    { NULL, zown_spawner_fd (self->spawner), ZMQ_POLLIN, 0 } };
        if (zmq_poll (items, sink.spawner_gone ? 2 : 3, s_sink_timeout (&sink)) == -1) {
            if (errno == EINTR)
                continue;
            s_sink_fail (&sink, ZOWN_SYSTEM, "sink poll: %s", strerror (errno));
            break;
        }
        if (items [1].revents & ZMQ_POLLIN) {
            s_sink_receive (&sink);
            s_sink_check_end (&sink);
        }
        if (items [2].revents & ZMQ_POLLIN)
            s_sink_reap (&sink);
        if (items [0].revents & ZMQ_POLLIN)
            s_sink_commands (&sink);
        s_sink_timers (&sink);
    }
    //  Told to terminate before the end: the line as it stands.
    s_sink_line_end (&sink);
    zmq_msg_close (&sink.message);
    zown_request_destroy (&sink.request);
    zown_client_destroy (&sink.client);
    return NULL;
}

//  ---------------------------------------------------------------------
//  Application thread

static void
s_drain (zown_pipeline_t *self)
{
    char token;
    while (zmq_recv (self->pipe, &token, 1, ZMQ_DONTWAIT) == 1)
        ;
}

static bool
s_started (zown_pipeline_t *self)
{
    return atomic_load (&self->state) != S_STARTING || atomic_load (&self->status) != ZOWN_OK;
}

static bool
s_accounted (zown_pipeline_t *self)
{
    return atomic_load (&self->done) >= atomic_load (&self->target)
        || atomic_load (&self->status) != ZOWN_OK;
}

static bool
s_ended (zown_pipeline_t *self)
{
    return atomic_load (&self->state) == S_ENDED || atomic_load (&self->status) != ZOWN_OK;
}

//  Waits until ready (self) holds or the deadline (ms, -1: none) passes.
//  Wake-ups are drained before each look, so none is lost between the
//  look and the wait.
static int
s_await (zown_pipeline_t *self, bool (*ready) (zown_pipeline_t *), int64_t deadline)
{
    zmq_pollitem_t item = { self->pipe, 0, ZMQ_POLLIN, 0 };
    while (true) {
        s_drain (self);
        if (ready (self))
            return 0;
        int timeout = -1;
        if (deadline >= 0) {
            int64_t now = zown_now_ms ();
            if (now >= deadline)
                return zown_fail (ZOWN_TIMEOUT);
            timeout = (int) (deadline - now);
        }
        if (zmq_poll (&item, 1, timeout) == -1 && errno != EINTR)
            return zown_fail (ZOWN_SYSTEM);
    }
}

static bool
s_config_valid (const zown_pipeline_config_t *config)
{
    return config && zown_name_valid (config->name) && config->workers >= 1
        && config->workers <= ZOWN_PIPELINE_WORKERS_MAX && config->spawner && config->work
        && config->hwm >= 0 && config->sink_hwm >= 0
        && config->push_timeout_ms >= ZOWN_FOREVER
        //  Workers are other processes: they reach an owner over ipc only.
        && (!config->owner
            || (*config->owner
                && (!strstr (config->owner, "://") || !strncmp (config->owner, "ipc://", 6))));
}

//  A socket of the given type, linger 0, one high-water mark set, bound to
//  RUNDIR/NAME@suffix.sock; *path_p gets the path once bound.
static int
s_bind (zown_pipeline_t *self, const char *rundir, int type, int hwm_option, int hwm,
        const char *suffix, void **socket_p, char **path_p)
{
    char *path = zsys_sprintf ("%s/%s@%s.sock", rundir, self->name, suffix);
    if (!path)
        return ZOWN_NO_MEMORY;
    int status = ZOWN_SYSTEM;
    *socket_p = zmq_socket (zown_ctx (), type);
    if (*socket_p && zown_set_int (*socket_p, ZMQ_LINGER, 0) == 0
        && zown_set_int (*socket_p, hwm_option, hwm) == 0)
        status = zown_ipc_bind (*socket_p, path);
    if (status == ZOWN_OK)
        *path_p = path;
    else
        free (path);
    return status;
}

//  The sink thread's pipe and ours: an inproc PAIR under a name never
//  reused (a closed socket frees its inproc name only later).
static int
s_pipe (zown_pipeline_t *self)
{
    static atomic_uint pipes;
    char endpoint [64];
    snprintf (endpoint, sizeof (endpoint), "inproc://zown-pipeline-%u",
              atomic_fetch_add (&pipes, 1));
    void *ctx = zown_ctx ();
    self->pipe = zmq_socket (ctx, ZMQ_PAIR);
    self->sink_pipe = zmq_socket (ctx, ZMQ_PAIR);
    return self->pipe && self->sink_pipe && zown_set_int (self->pipe, ZMQ_LINGER, 0) == 0
            && zown_set_int (self->sink_pipe, ZMQ_LINGER, 0) == 0
            && zmq_bind (self->pipe, endpoint) == 0 && zmq_connect (self->sink_pipe, endpoint) == 0
        ? ZOWN_OK
        : ZOWN_SYSTEM;
}

//  Forks every worker through an attached spawner handle (which the sink
//  thread then owns); their spec names the endpoints.
static int
s_spawn (zown_pipeline_t *self, const zown_pipeline_config_t *config)
{
    self->spawner = zown_spawner_attach (config->spawner);
    if (!self->spawner)
        return zown_errno ();
    s_spec_t spec = { config->work, config->work_args,
                      config->hwm ? config->hwm : ZOWN_PIPELINE_HWM_DEFAULT,
                      config->sink_hwm ? config->sink_hwm : ZOWN_PIPELINE_HWM_DEFAULT };
    const char *strings [3] = { self->vent_path, self->sink_path, self->owner ? self->owner : "" };
    size_t size = sizeof (spec);
    for (int index = 0; index < 3; index++)
        size += strlen (strings [index]) + (index < 2 ? strlen ("ipc://") : 0) + 1;
    char *payload = malloc (size);
    if (!payload)
        return ZOWN_NO_MEMORY;
    memcpy (payload, &spec, sizeof (spec));
    char *at = payload + sizeof (spec);
    for (int index = 0; index < 3; index++)
        at += sprintf (at, "%s%s", index < 2 ? "ipc://" : "", strings [index]) + 1;
    int status = ZOWN_OK;
    for (size_t index = 0; index < self->workers && status == ZOWN_OK; index++) {
        self->pids [index] = zown_spawner_spawn (self->spawner, s_worker_main, NULL, payload, size);
        if (self->pids [index] < 0)
            status = zown_errno ();
    }
    free (payload);
    return status;
}

zown_pipeline_t *
zown_pipeline_new (const zown_pipeline_config_t *config)
{
    if (!s_config_valid (config))
        return (zown_pipeline_t *) zown_fail_null (ZOWN_INVALID);
    zown_pipeline_t *self = (zown_pipeline_t *) calloc (1, sizeof (zown_pipeline_t));
    if (!self)
        return (zown_pipeline_t *) zown_fail_null (ZOWN_NO_MEMORY);
    self->generation = zown_fork_generation ();
    self->workers = config->workers;
    self->sink = config->sink;
    self->sink_args = config->sink_args;
    self->push_timeout =
        config->push_timeout_ms ? config->push_timeout_ms : ZOWN_PIPELINE_PUSH_TIMEOUT;
    self->progress = !config->quiet && isatty (STDERR_FILENO);
    atomic_init (&self->state, S_STARTING);
    atomic_init (&self->status, ZOWN_OK);
    atomic_init (&self->pushed, 0);
    atomic_init (&self->target, UINT64_MAX);
    atomic_init (&self->done, 0);
    self->name = strdup (config->name);
    self->pids = (pid_t *) calloc (config->workers, sizeof (pid_t));
    if (config->owner)
        self->owner = strstr (config->owner, "://") ? strdup (config->owner)
                                                    : zown_owner_endpoint_for (config->owner);
    zown_rundir_sweep ();
    char *rundir = zown_rundir ();
    int status = ZOWN_NO_MEMORY;
    if (!rundir || (config->owner && !self->owner))
        status = zown_errno ();
    else if (self->name && self->pids) {
        status = zown_ctx () ? ZOWN_OK : ZOWN_SYSTEM;
        if (status == ZOWN_OK)
            status = s_bind (self, rundir, ZMQ_PUSH, ZMQ_SNDHWM,
                             config->hwm ? config->hwm : ZOWN_PIPELINE_HWM_DEFAULT, "vent",
                             &self->vent, &self->vent_path);
        if (status == ZOWN_OK)
            status = s_bind (self, rundir, ZMQ_PULL, ZMQ_RCVHWM,
                             config->sink_hwm ? config->sink_hwm : ZOWN_PIPELINE_HWM_DEFAULT,
                             "sink", &self->pull, &self->sink_path);
        if (status == ZOWN_OK)
            status = s_pipe (self);
        if (status == ZOWN_OK)
            status = s_spawn (self, config);
        if (status == ZOWN_OK) {
            status = ZOWN_SYSTEM;
            if (pthread_create (&self->thread, NULL, s_sink_thread, self) == 0) {
                self->thread_started = true;
                status = s_await (self, s_started, zown_now_ms () + ZOWN_PIPELINE_START_TIMEOUT)
                    ? zown_errno ()
                    : atomic_load (&self->status);
            }
        }
    }
    free (rundir);
    if (status != ZOWN_OK) {
        zown_pipeline_destroy (&self);
        return (zown_pipeline_t *) zown_fail_null (status);
    }
    zown_ok ();
    return self;
}

void
zown_pipeline_destroy (zown_pipeline_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zown_pipeline_t *self = *self_p;
    *self_p = NULL;
    //  In a forked child the thread, sockets and workers are the parent's.
    if (self->generation == zown_fork_generation ()) {
        if (self->thread_started) {
            zmq_send (self->pipe, "T", 1, 0);
            pthread_join (self->thread, NULL);
        }
        void *sockets [] = { self->vent, self->pull, self->pipe, self->sink_pipe };
        for (size_t index = 0; index < sizeof (sockets) / sizeof (sockets [0]); index++)
            if (sockets [index])
                zmq_close (sockets [index]);
        if (self->vent_path)
            zown_ipc_unlink (self->vent_path);
        if (self->sink_path)
            zown_ipc_unlink (self->sink_path);
    }
    //  Kills the workers still running (in a child, frees memory only).
    zown_spawner_destroy (&self->spawner);
    free (self->name);
    free (self->vent_path);
    free (self->sink_path);
    free (self->owner);
    free (self->pids);
    free (self);
}

int
zown_pipeline_push (zown_pipeline_t *self, const void *item, size_t size)
{
    if (!self || (size && !item))
        return zown_fail (ZOWN_INVALID);
    if (self->generation != zown_fork_generation ())
        return zown_fail (ZOWN_FORKED);
    int status = atomic_load (&self->status);
    if (status != ZOWN_OK)
        return zown_fail (status);
    if (self->finishing)
        return zown_fail (ZOWN_CLOSED);
    int64_t deadline = -1;  //  Set at the first wait
    while (zmq_send (self->vent, item, size, ZMQ_DONTWAIT) == -1) {
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN)
            return zown_fail (ZOWN_SYSTEM);
        //  Every worker's queue is full: wait for room, a failure or the
        //  deadline.
        int timeout = -1;
        if (self->push_timeout != ZOWN_FOREVER) {
            int64_t now = zown_now_ms ();
            if (deadline < 0)
                deadline = now + self->push_timeout;
            else if (now >= deadline)
                return zown_fail (ZOWN_TIMEOUT);
            timeout = (int) (deadline - now);
        }
        zmq_pollitem_t items [] = { { self->vent, 0, ZMQ_POLLOUT, 0 },
                                    { self->pipe, 0, ZMQ_POLLIN, 0 } };
        if (zmq_poll (items, 2, timeout) == -1 && errno != EINTR)
            return zown_fail (ZOWN_SYSTEM);
        s_drain (self);
        status = atomic_load (&self->status);
        if (status != ZOWN_OK)
            return zown_fail (status);
    }
    atomic_store_explicit (&self->pushed, ++self->pushed_count, memory_order_relaxed);
    return zown_ok ();
}

int
zown_pipeline_finish (zown_pipeline_t *self, int timeout_ms)
{
    if (!self || timeout_ms < ZOWN_FOREVER)
        return zown_fail (ZOWN_INVALID);
    if (self->generation != zown_fork_generation ())
        return zown_fail (ZOWN_FORKED);
    if (!self->finishing) {
        self->finishing = true;
        atomic_store (&self->target, self->pushed_count);
        if (zmq_send (self->pipe, "F", 1, 0) != 1)
            return zown_fail (ZOWN_SYSTEM);
    }
    int64_t deadline = timeout_ms == ZOWN_FOREVER ? -1 : zown_now_ms () + timeout_ms;
    //  Then the workers' stop, which the sink thread's deadlines bound.
    if (s_await (self, s_accounted, deadline) || s_await (self, s_ended, -1))
        return -1;
    int status = atomic_load (&self->status);
    return status == ZOWN_OK ? zown_ok () : zown_fail (status);
}

const char *
zown_pipeline_failure (zown_pipeline_t *self)
{
    return self && atomic_load (&self->status) != ZOWN_OK ? self->failure : "";
}
