/*  =========================================================================
    pool_actor - the pool thread: hands tasks to workers, collects their
    results, retries tasks and replaces workers

    It keeps the tasks (payload kept for a retry), the queue and the worker
    slots; it hears the facade (runtime/workers/pool.c) on its pipe
    (workers/pool_actor.h) and the workers on its ROUTER (workers/pool.h).
    Only the pool thread touches its ROUTER and its spawner handle.
    =========================================================================
*/
#include "zown_internal.h"
#include "workers/pool.h"
#include "workers/pool_actor.h"
#include "workers/spawner.h"
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>

//  How long a stopping pool waits for the exit reports of workers it has
//  SIGKILLed (they are certain to die; the wait is a safety net).
#define S_KILL_GRACE 2000
//  What one read takes from a process worker's result stream, at least.
#define S_INBOX_SIZE 65536

typedef struct _s_task_t s_task_t;
struct _s_task_t {
    uint64_t id;
    zmq_msg_t payload;
    size_t attempts;  //  Starts on a worker that died running it
};

typedef enum {
    S_EMPTY,     //  No worker (could not start, or the pool stopped)
    S_STARTING,  //  Spawned or started, no HELLO yet
    S_READY,     //  Takes tasks
    S_STOPPING   //  Told to stop, or signalled
} s_slot_state_t;

typedef struct _s_thread_worker_t s_thread_worker_t;

typedef struct {
    s_slot_state_t state;
    uint32_t generation;
    pid_t pid;                  //  Process worker
    s_thread_worker_t *thread;  //  Thread worker
    s_task_t **inflight;        //  FIFO, at most prefetch; [0] is running
    size_t inflight_count;
    size_t given;          //  Tasks given to this generation
    int64_t head_started;  //  When inflight [0] started, in ms
    int results;           //  Process worker: our end of its result stream; -1
    uint8_t *inbox;        //  What came on it and is not a whole result yet
    size_t inbox_size;
    size_t inbox_capacity;
    bool timed_out;    //  SIGKILLed for its task's time; inflight kept until its exit
    uint64_t late_id;  //  That task
} s_slot_t;

//  A thread worker. Owned jointly by the pool thread and the worker thread:
//  whichever lets go last frees it (a timed-out thread is abandoned, and
//  may outlive the pool).
struct _s_thread_worker_t {
    zown_worker_setup_t setup;
    pthread_t thread;
    atomic_bool abandoned;
    atomic_int holders;
    _Atomic uint64_t cancel;  //  Set when the pool is cancelled (setup.cancel)
};

//  A worker that was replaced and has not gone yet.
typedef struct {
    pid_t pid;
    s_thread_worker_t *thread;
    uint32_t slot;
    uint32_t generation;
} s_leaver_t;

typedef struct {
    const zown_pool_config_t *config;
    void *pipe;
    void *router;
    char endpoint [ZOWN_POOL_ENDPOINT_MAX];
    char running_path [ZOWN_POOL_ENDPOINT_MAX];
    _Atomic uint64_t *running_map;  //  Processes: the running-task file
    _Atomic uint64_t *running;      //  Its words of the slots: task each worker runs
    zown_spawner_t *spawner;        //  Processes: this thread's handle
    s_slot_t *slots;
    zlistx_t *queue;    //  s_task_t *, waiting for a worker
    zhashx_t *tasks;    //  id -> s_task_t, every task not completed
    zlistx_t *leavers;  //  s_leaver_t *
    zown_pool_stats_t stats;
    bool stopping;
    bool killing;  //  Terminate: fail tasks, signal workers
    int64_t stop_deadline;
    bool sigkilled;
    bool ever_ready;  //  Some worker said HELLO
    bool leave;       //  TERM received
    bool spawned;     //  Spawned since exit reports were last read
    int cancel_fd;    //  The facade's eventfd: readable once zown_pool_cancel ran
    bool cancelled;
    int64_t cancel_deadline;  //  Running tasks are stopped then
    bool cancel_forced;       //  They were
    zmq_pollitem_t *items;    //  Poll set: pipe, ROUTER, cancel, spawner, result streams
    uint32_t *item_slots;     //  Slot of each result stream in items, from [4]
} s_self_t;

//  Whether an empty slot gets a new worker: not once the pool stops or
//  is cancelled.
static bool
s_refilling (s_self_t *self)
{
    return !self->stopping && !self->cancelled;
}

static size_t
s_id_hash (const void *key)
{
    uint64_t id = *(const uint64_t *) key;
    return (size_t) (id * 0x9E3779B97F4A7C15ull);
}

static int
s_id_compare (const void *one, const void *two)
{
    uint64_t first = *(const uint64_t *) one, second = *(const uint64_t *) two;
    return first < second ? -1 : first > second;
}

zhashx_t *
zown_pool_id_table (void)
{
    zhashx_t *table = zhashx_new ();
    if (table) {
        zhashx_set_key_hasher (table, s_id_hash);
        zhashx_set_key_comparator (table, s_id_compare);
        zhashx_set_key_duplicator (table, NULL);
        zhashx_set_key_destructor (table, NULL);
    }
    return table;
}

static void
s_task_free (s_task_t *task)
{
    zmq_msg_close (&task->payload);
    free (task);
}

//  Tell the facade a task is done.
static void
s_report (s_self_t *self, uint64_t id, uint8_t status, pid_t pid, int wait_status, const void *data,
          size_t size)
{
    uint8_t header [ZOWN_POOL_ACTOR_DONE_SIZE] = { ZOWN_POOL_ACTOR_DONE, status };
    int32_t pid32 = pid, wait32 = wait_status;
    memcpy (header + 2, &id, sizeof (id));
    memcpy (header + 10, &pid32, sizeof (pid32));
    memcpy (header + 14, &wait32, sizeof (wait32));
    zmq_send (self->pipe, header, sizeof (header), ZMQ_SNDMORE);
    zmq_send (self->pipe, data, size, 0);
}

//  Report a task done, and forget it.
static void
s_complete (s_self_t *self, s_task_t *task, uint8_t status, pid_t pid, int wait_status,
            const void *data, size_t size)
{
    s_report (self, task->id, status, pid, wait_status, data, size);
    zhashx_delete (self->tasks, &task->id);
    s_task_free (task);
}

static void
s_fail (s_self_t *self, s_task_t *task, uint8_t status, pid_t pid, int wait_status,
        const char *format, ...)
{
    char message [256];
    va_list arguments;
    va_start (arguments, format);
    vsnprintf (message, sizeof (message), format, arguments);
    va_end (arguments);
    s_complete (self, task, status, pid, wait_status, message, strlen (message) + 1);
}

static void
s_thread_worker_release (void *arg)
{
    s_thread_worker_t *worker = arg;
    if (atomic_fetch_sub (&worker->holders, 1) == 1)
        free (worker);
}

//  The worker thread's hold is let go when the worker ends, even if its
//  thread ends inside a task (zown_worker_run never returns then).
static void *
s_thread_worker_main (void *arg)
{
    s_thread_worker_t *worker = arg;
    zown_worker_run (&worker->setup, &worker->abandoned, s_thread_worker_release, worker);
    return NULL;
}

static int
s_process_worker_main (void *args, const void *payload, size_t size)
{
    (void) args;
    zown_worker_setup_t setup;
    if (size < sizeof (setup))
        return 2;
    memcpy (&setup, payload, sizeof (setup));
    setup.results = zown_spawner_passed_fd ();
    if (setup.results < 0)
        return 2;
    if (setup.args_size)
        setup.args = (const uint8_t *) payload + sizeof (setup);
    return zown_worker_run (&setup, NULL, NULL, NULL);
}

//  Let a thread worker go: it leaves after its current task, unheard.
static void
s_thread_abandon (s_thread_worker_t *worker)
{
    atomic_store (&worker->abandoned, true);
    pthread_detach (worker->thread);
    s_thread_worker_release (worker);
}

static void
s_results_close (s_slot_t *slot)
{
    if (slot->results >= 0)
        close (slot->results);
    slot->results = -1;
    free (slot->inbox);
    slot->inbox = NULL;
    slot->inbox_size = 0;
    slot->inbox_capacity = 0;
}

//  Fork a process worker with the write end of a new result stream.
static pid_t
s_spawn_process (s_self_t *self, s_slot_t *slot, const zown_worker_setup_t *setup)
{
    size_t size = sizeof (*setup) + self->config->args_size;
    uint8_t *payload = malloc (size);
    int pair [2] = { -1, -1 };
    if (!payload || socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair)
        || fcntl (pair [0], F_SETFL, O_NONBLOCK)) {
        free (payload);
        if (pair [0] >= 0) {
            close (pair [0]);
            close (pair [1]);
        }
        return -1;
    }
    memcpy (payload, setup, sizeof (*setup));
    if (self->config->args_size)
        memcpy (payload + sizeof (*setup), self->config->args, self->config->args_size);
    pid_t pid =
        zown_spawner_spawn_fd (self->spawner, s_process_worker_main, NULL, payload, size, pair [1]);
    free (payload);
    close (pair [1]);
    self->spawned = true;
    if (pid <= 0)
        close (pair [0]);
    else
        slot->results = pair [0];
    return pid;
}

//  Start a worker in a slot, as a new generation. The slot stays EMPTY if
//  it cannot be started.
static void
s_slot_start (s_self_t *self, uint32_t index)
{
    s_slot_t *slot = &self->slots [index];
    const zown_pool_config_t *config = self->config;
    zown_worker_setup_t setup = { .task = config->task,
                                  .init = config->init,
                                  .fini = config->fini,
                                  .args = config->args,
                                  .args_size = config->args_size,
                                  .slot = index,
                                  .generation = ++slot->generation,
                                  .results = -1 };
    snprintf (setup.endpoint, sizeof (setup.endpoint), "%s", self->endpoint);
    snprintf (setup.owner, sizeof (setup.owner), "%s", config->owner ? config->owner : "");
    snprintf (setup.running, sizeof (setup.running), "%s", self->running_path);
    if (self->running)
        atomic_store (&self->running [index], 0);
    slot->state = S_EMPTY;
    slot->pid = 0;
    slot->thread = NULL;
    slot->given = 0;
    slot->timed_out = false;
    s_results_close (slot);
    if (config->mode == ZOWN_POOL_PROCESSES) {
        pid_t pid = s_spawn_process (self, slot, &setup);
        if (pid <= 0)
            return;
        slot->pid = pid;
    } else {
        s_thread_worker_t *worker = calloc (1, sizeof (s_thread_worker_t));
        if (!worker)
            return;
        worker->setup = setup;
        worker->setup.cancel = &worker->cancel;
        atomic_init (&worker->cancel, self->cancelled);
        atomic_init (&worker->holders, 2);
        if (pthread_create (&worker->thread, NULL, s_thread_worker_main, worker)) {
            free (worker);
            return;
        }
        slot->thread = worker;
    }
    slot->state = S_STARTING;
    self->stats.workers_started++;
}

//  Move a replaced worker out of its slot, to be heard from once more.
static void
s_slot_leave (s_self_t *self, uint32_t index)
{
    s_slot_t *slot = &self->slots [index];
    s_leaver_t *leaver = malloc (sizeof (s_leaver_t));
    if (leaver) {
        *leaver = (s_leaver_t){ slot->pid, slot->thread, index, slot->generation };
        zlistx_add_end (self->leavers, leaver);
    } else if (slot->thread)
        s_thread_abandon (slot->thread);  //  Cannot track it: let it go
    //  It leaves with nothing in flight: its stream has nothing more.
    s_results_close (slot);
    slot->state = S_EMPTY;
    slot->pid = 0;
    slot->thread = NULL;
}

static void
s_send_worker (s_self_t *self, uint32_t index, const void *header, size_t size, zmq_msg_t *payload)
{
    uint8_t identity [ZOWN_POOL_IDENTITY_SIZE];
    zown_pool_identity (identity, index, self->slots [index].generation);
    zmq_send (self->router, identity, sizeof (identity), ZMQ_SNDMORE);
    if (!payload) {
        zmq_send (self->router, header, size, 0);
        return;
    }
    zmq_send (self->router, header, size, ZMQ_SNDMORE);
    zmq_msg_t copy;
    zmq_msg_init (&copy);
    zmq_msg_copy (&copy, payload);
    if (zmq_msg_send (&copy, self->router, 0) < 0)
        zmq_msg_close (&copy);
}

static void
s_slot_stop (s_self_t *self, uint32_t index)
{
    uint8_t stop = ZOWN_POOL_STOP;
    s_send_worker (self, index, &stop, 1, NULL);
    self->slots [index].state = S_STOPPING;
}

//  Give the tasks a worker held back to the queue, in their order, ahead
//  of the others.
static void
s_requeue (s_self_t *self, s_slot_t *slot, size_t from)
{
    for (size_t index = slot->inflight_count; index > from; index--)
        zlistx_add_start (self->queue, slot->inflight [index - 1]);
    slot->inflight_count = 0;
}

static void
s_dispatch (s_self_t *self)
{
    size_t prefetch = self->config->prefetch;
    size_t workers = self->config->workers;
    int64_t now = 0;
    while (zlistx_size (self->queue)) {
        //  The ready worker holding the fewest tasks takes the next one.
        s_slot_t *best = NULL;
        uint32_t best_index = 0;
        for (uint32_t index = 0; index < workers; index++) {
            s_slot_t *slot = &self->slots [index];
            if (slot->state == S_READY && slot->inflight_count < prefetch
                && (!best || slot->inflight_count < best->inflight_count)) {
                best = slot;
                best_index = index;
            }
        }
        if (!best)
            return;
        s_task_t *task = zlistx_first (self->queue);
        zlistx_delete (self->queue, zlistx_cursor (self->queue));
        uint8_t header [9] = { ZOWN_POOL_TASK };
        memcpy (header + 1, &task->id, sizeof (task->id));
        s_send_worker (self, best_index, header, sizeof (header), &task->payload);
        if (best->inflight_count == 0) {
            if (!now)
                now = zown_now_ms ();
            best->head_started = now;
        }
        best->inflight [best->inflight_count++] = task;
        best->given++;
        //  Recycled: no more tasks for this one; it stops once idle.
        size_t limit = self->config->max_tasks_per_worker;
        if (limit && best->given >= limit)
            best->state = S_STOPPING;
    }
}

//  A recycled worker that has finished its last task is told to stop, and
//  another takes its slot.
static void
s_recycle (s_self_t *self, uint32_t index)
{
    s_slot_t *slot = &self->slots [index];
    size_t limit = self->config->max_tasks_per_worker;
    if (!s_refilling (self) || !limit || slot->given < limit || slot->inflight_count)
        return;
    uint8_t stop = ZOWN_POOL_STOP;
    s_send_worker (self, index, &stop, 1, NULL);
    self->stats.workers_recycled++;
    s_slot_leave (self, index);
    s_slot_start (self, index);
}

static s_leaver_t *
s_find_leaver (s_self_t *self, pid_t pid, uint32_t index, uint32_t generation)
{
    s_leaver_t *leaver = zlistx_first (self->leavers);
    while (leaver) {
        if (pid ? leaver->pid == pid
                : (leaver->slot == index && leaver->generation == generation && leaver->thread))
            return leaver;
        leaver = zlistx_next (self->leavers);
    }
    return NULL;
}

static void
s_forget_leaver (s_self_t *self, s_leaver_t *leaver)
{
    if (leaver->thread) {
        pthread_join (leaver->thread->thread, NULL);
        s_thread_worker_release (leaver->thread);
    }
    void *handle = zlistx_find (self->leavers, leaver);
    if (handle)
        zlistx_delete (self->leavers, handle);
    free (leaver);
}

//  A worker's result for one of the tasks it holds.
static void
s_on_result (s_self_t *self, uint32_t index, uint8_t status, uint64_t id, const void *data,
             size_t size)
{
    s_slot_t *slot = &self->slots [index];
    size_t at = 0;
    while (at < slot->inflight_count && slot->inflight [at]->id != id)
        at++;
    if (at == slot->inflight_count)
        return;
    s_task_t *task = slot->inflight [at];
    memmove (slot->inflight + at, slot->inflight + at + 1,
             (slot->inflight_count - at - 1) * sizeof (s_task_t *));
    slot->inflight_count--;
    if (at == 0)
        slot->head_started = zown_now_ms ();
    pid_t pid = slot->pid ? slot->pid : getpid ();
    if (status == ZOWN_CANCELLED)
        s_fail (self, task, ZOWN_CANCELLED, 0, 0, "pool cancelled");
    else
        s_complete (self, task, status == ZOWN_OK ? ZOWN_OK : ZOWN_TASK_FAILED, pid, 0, data, size);
    s_recycle (self, index);
}

//  Room in a slot's inbox for `wanted` bytes in all; false if there is none.
static bool
s_inbox_room (s_slot_t *slot, size_t wanted)
{
    if (wanted < S_INBOX_SIZE)
        wanted = S_INBOX_SIZE;
    if (slot->inbox_capacity >= wanted)
        return true;
    uint8_t *grown = realloc (slot->inbox, wanted);
    if (!grown)
        return false;
    slot->inbox = grown;
    slot->inbox_capacity = wanted;
    return true;
}

//  Handle every whole result in a slot's inbox. Returns false if the
//  stream is broken (a size over the limit, or no memory for it).
static bool
s_take_results (s_self_t *self, uint32_t index)
{
    s_slot_t *slot = &self->slots [index];
    uint32_t generation = slot->generation;
    size_t used = 0;
    while (slot->inbox_size - used >= ZOWN_POOL_STREAM_HEADER) {
        const uint8_t *header = slot->inbox + used;
        uint64_t id, size;
        memcpy (&id, header + 1, sizeof (id));
        memcpy (&size, header + 9, sizeof (size));
        if (size > ZOWN_POOL_DATA_MAX)
            return false;
        size_t whole = ZOWN_POOL_STREAM_HEADER + (size_t) size;
        if (slot->inbox_size - used < whole)
            break;
        s_on_result (self, index, header [0], id, header + ZOWN_POOL_STREAM_HEADER, size);
        //  A recycled worker's slot has a new generation, and a new inbox.
        if (slot->generation != generation)
            return true;
        used += whole;
    }
    memmove (slot->inbox, slot->inbox + used, slot->inbox_size - used);
    slot->inbox_size -= used;
    if (slot->inbox_size >= ZOWN_POOL_STREAM_HEADER) {
        uint64_t size;
        memcpy (&size, slot->inbox + 9, sizeof (size));
        return s_inbox_room (slot, ZOWN_POOL_STREAM_HEADER + (size_t) size);
    }
    return true;
}

//  Read what a process worker wrote on its result stream, until nothing
//  is waiting. A closed or broken stream is closed here; the worker's exit
//  report says the rest.
static void
s_read_results (s_self_t *self, uint32_t index)
{
    s_slot_t *slot = &self->slots [index];
    uint32_t generation = slot->generation;
    while (slot->results >= 0 && slot->generation == generation) {
        if (!s_inbox_room (slot, slot->inbox_size + 1)) {
            s_results_close (slot);
            return;
        }
        ssize_t got = read (slot->results, slot->inbox + slot->inbox_size,
                            slot->inbox_capacity - slot->inbox_size);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (got <= 0) {
            s_results_close (slot);
            return;
        }
        slot->inbox_size += (size_t) got;
        if (!s_take_results (self, index)) {
            s_results_close (slot);
            return;
        }
    }
}

//  Take a task out of what a slot holds, by id; NULL if it holds none.
static s_task_t *
s_take_inflight (s_slot_t *slot, uint64_t id)
{
    for (size_t at = 0; id && at < slot->inflight_count; at++)
        if (slot->inflight [at]->id == id) {
            s_task_t *task = slot->inflight [at];
            memmove (slot->inflight + at, slot->inflight + at + 1,
                     (slot->inflight_count - at - 1) * sizeof (s_task_t *));
            slot->inflight_count--;
            return task;
        }
    return NULL;
}

//  A task whose worker died running it: retried, or failed once its
//  attempts are spent (or the pool is terminating).
static void
s_charge (s_self_t *self, s_task_t *task, pid_t pid, int status, const char *cause)
{
    if (++task->attempts > self->config->retries || self->killing)
        s_fail (self, task, ZOWN_WORKER_DIED, pid, status, "worker %d died: %s, %zu attempt%s",
                (int) pid, cause, task->attempts, task->attempts == 1 ? "" : "s");
    else {
        self->stats.retried++;
        zlistx_add_start (self->queue, task);
    }
}

//  A thread worker left: told to stop, or its init refused (it never
//  started), or its thread ended inside a task (pthread_exit). Its results
//  came before GONE on the same socket, so the first task it still holds
//  is the one it was running.
static void
s_on_gone (s_self_t *self, uint32_t index)
{
    s_slot_t *slot = &self->slots [index];
    bool started = slot->state != S_STARTING;
    bool asked = self->stopping && slot->state == S_STOPPING;
    if (started && !asked)
        self->stats.workers_died++;
    s_task_t *running =
        slot->inflight_count ? s_take_inflight (slot, slot->inflight [0]->id) : NULL;
    s_requeue (self, slot, 0);
    if (running)
        s_charge (self, running, getpid (), 0, "its thread ended in the task");
    pthread_join (slot->thread->thread, NULL);
    s_thread_worker_release (slot->thread);
    slot->thread = NULL;
    slot->state = S_EMPTY;
    if (started && !asked && s_refilling (self))
        s_slot_start (self, index);
}

//  Handle one message from a worker; false if none was waiting.
static bool
s_on_router (s_self_t *self)
{
    zmq_msg_t identity, header, data;
    zmq_msg_init (&identity);
    zmq_msg_init (&header);
    zmq_msg_init (&data);
    if (zmq_msg_recv (&identity, self->router, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close (&identity);
        return false;
    }
    if (!zmq_msg_more (&identity) || zmq_msg_recv (&header, self->router, 0) < 0)
        goto done;
    if (zmq_msg_more (&header) && zmq_msg_recv (&data, self->router, 0) < 0)
        goto done;
    while (zmq_msg_more (&data)) {  //  Drop anything longer than our messages.
        zmq_msg_close (&data);
        zmq_msg_init (&data);
        zmq_msg_recv (&data, self->router, 0);
    }
    uint32_t index, generation;
    const uint8_t *bytes = zmq_msg_data (&header);
    size_t size = zmq_msg_size (&header);
    if (zmq_msg_size (&identity) != ZOWN_POOL_IDENTITY_SIZE || size == 0)
        goto done;
    memcpy (&index, (uint8_t *) zmq_msg_data (&identity) + 1, sizeof (index));
    memcpy (&generation, (uint8_t *) zmq_msg_data (&identity) + 5, sizeof (generation));
    if (index >= self->config->workers)
        goto done;
    s_slot_t *slot = &self->slots [index];
    if (slot->generation != generation) {
        //  A replaced thread worker says it has gone: join it. Nothing else
        //  of a replaced worker matters: it left holding no task.
        s_leaver_t *leaver =
            bytes [0] == ZOWN_POOL_GONE ? s_find_leaver (self, 0, index, generation) : NULL;
        if (leaver)
            s_forget_leaver (self, leaver);
        goto done;
    }
    if (bytes [0] == ZOWN_POOL_HELLO && slot->state == S_STARTING) {
        self->ever_ready = true;
        slot->state = S_READY;
        if (self->stopping)
            s_slot_stop (self, index);
    } else if (bytes [0] == ZOWN_POOL_RESULT && size == 10) {
        uint64_t id;
        memcpy (&id, bytes + 2, sizeof (id));
        s_on_result (self, index, bytes [1], id, zmq_msg_data (&data), zmq_msg_size (&data));
    } else if (bytes [0] == ZOWN_POOL_GONE && slot->thread)
        s_on_gone (self, index);
done:
    zmq_msg_close (&identity);
    zmq_msg_close (&header);
    zmq_msg_close (&data);
    return true;
}

static size_t
s_live_workers (s_self_t *self)
{
    size_t live = 0;
    for (size_t index = 0; index < self->config->workers; index++)
        if (self->slots [index].state != S_EMPTY)
            live++;
    return live;
}

//  Sort what a dead process worker held, once every result it wrote is in:
//  the tasks still held never finished. The one it was running is charged
//  an attempt (retried, or failed once they are spent); the others never
//  started, and go back to the queue. A worker killed for its task's time:
//  that task fails with ZOWN_TIMEOUT, and one it started since, cut short
//  by the kill, runs again uncharged.
static void
s_settle (s_self_t *self, s_slot_t *slot, pid_t pid, int status, uint64_t running_id)
{
    s_task_t *late = slot->timed_out ? s_take_inflight (slot, slot->late_id) : NULL;
    s_task_t *running = s_take_inflight (slot, running_id);
    s_requeue (self, slot, 0);
    if (late) {
        self->stats.timed_out++;
        s_fail (self, late, ZOWN_TIMEOUT, pid, 0, "task ran over its %d ms",
                self->config->task_timeout_ms);
    }
    if (running && slot->timed_out)
        zlistx_add_start (self->queue, running);
    else if (running) {
        char cause [64];
        zown_spawner_describe (status, cause, sizeof (cause));
        s_charge (self, running, pid, status, cause);
    }
}

//  A process worker died (or stopped). Its result stream is read to the
//  end first: what it wrote before it died is all there.
static void
s_on_exit (s_self_t *self, pid_t pid, int status)
{
    uint32_t index = 0;
    while (index < self->config->workers && self->slots [index].pid != pid)
        index++;
    if (index < self->config->workers)
        s_read_results (self, index);
    //  A recycled worker, perhaps recycled by the last of those results.
    s_leaver_t *leaver = s_find_leaver (self, pid, 0, 0);
    if (leaver) {
        s_forget_leaver (self, leaver);
        return;
    }
    if (index == self->config->workers || self->slots [index].pid != pid)
        return;
    s_slot_t *slot = &self->slots [index];
    s_results_close (slot);
    bool started = slot->state != S_STARTING;
    //  Told to stop, it may leave however it likes: a worker still starting
    //  when the pool stopped gets SIGTERM, and may say HELLO (and be told
    //  STOP) before that kills it.
    bool expected =
        slot->timed_out || ((self->stopping || self->cancel_forced) && slot->state == S_STOPPING);
    if (!expected && started)
        self->stats.workers_died++;
    uint64_t running_id = self->running ? atomic_exchange (&self->running [index], 0) : 0;
    s_settle (self, slot, pid, status, running_id);
    slot->state = S_EMPTY;
    slot->pid = 0;
    //  A worker that died before it said HELLO would die again: its slot
    //  stays empty.
    if (started && s_refilling (self))
        s_slot_start (self, index);
}

//  The fork server is gone, and every process worker with it (each is
//  killed by PR_SET_PDEATHSIG): no exit report will come, so each is
//  settled here as killed. No worker can start again.
static void
s_spawner_lost (s_self_t *self)
{
    zown_spawner_destroy (&self->spawner);
    for (uint32_t index = 0; index < self->config->workers; index++)
        if (self->slots [index].pid > 0)
            s_on_exit (self, self->slots [index].pid, SIGKILL);
    s_leaver_t *leaver;
    while ((leaver = zlistx_first (self->leavers)) && leaver->pid > 0)
        s_forget_leaver (self, leaver);
}

//  Exit reports: when the spawner's socket is readable, and after a spawn
//  (reports that arrived while it waited for its pid are queued).
static void
s_drain_exits (s_self_t *self)
{
    pid_t pid;
    int status;
    self->spawned = false;
    while (zown_spawner_wait (self->spawner, 0, &pid, &status) == 0)
        s_on_exit (self, pid, status);
    if (zown_spawner_lost (self->spawner))
        s_spawner_lost (self);
}

//  With no worker left that could take them, queued tasks fail now rather
//  than wait forever.
static void
s_fail_stranded (s_self_t *self)
{
    if ((s_live_workers (self) && !self->cancelled) || !zlistx_size (self->queue))
        return;
    int status = self->cancelled          ? ZOWN_CANCELLED
        : self->killing || self->stopping ? ZOWN_CLOSED
                                          : ZOWN_WORKER_DIED;
    s_task_t *task;
    while ((task = zlistx_first (self->queue))) {
        zlistx_delete (self->queue, zlistx_cursor (self->queue));
        if (status == ZOWN_CANCELLED)
            s_fail (self, task, ZOWN_CANCELLED, 0, 0, "pool cancelled");
        else if (status == ZOWN_CLOSED)
            s_fail (self, task, ZOWN_CLOSED, 0, 0, "pool stopped");
        else
            s_fail (self, task, ZOWN_WORKER_DIED, 0, 0, "no worker could start%s",
                    self->ever_ready ? " again" : "");
    }
}

//  A process worker over its task's time is SIGKILLed, and keeps what it
//  holds until its exit report says what became of it (s_settle). A
//  thread worker cannot be killed: its task fails now, the others go back
//  to the queue, and the thread is abandoned.
static void
s_check_timeouts (s_self_t *self, int64_t now)
{
    int timeout = self->config->task_timeout_ms;
    if (!timeout)
        return;
    for (uint32_t index = 0; index < self->config->workers; index++) {
        s_slot_t *slot = &self->slots [index];
        if (!slot->inflight_count || slot->state == S_EMPTY || slot->timed_out
            || now - slot->head_started < timeout)
            continue;
        if (slot->pid > 0) {
            //  The task may have finished just now.
            s_read_results (self, index);
            if (!slot->inflight_count || now - slot->head_started < timeout)
                continue;
            slot->timed_out = true;
            slot->late_id = slot->inflight [0]->id;
            slot->state = S_STOPPING;
            zown_spawner_kill (self->spawner, slot->pid, SIGKILL);
            continue;
        }
        s_task_t *late = slot->inflight [0];
        s_requeue (self, slot, 1);
        self->stats.timed_out++;
        s_fail (self, late, ZOWN_TIMEOUT, getpid (), 0, "task ran over its %d ms", timeout);
        s_thread_abandon (slot->thread);
        slot->thread = NULL;
        slot->state = S_EMPTY;
        if (s_refilling (self))
            s_slot_start (self, index);
    }
}

//  If zown_pool_cancel ran: no worker starts a task it holds (they answer
//  ZOWN_CANCELLED), queued tasks are cancelled (s_fail_stranded), running
//  ones have until stop_timeout_ms from now.
static void
s_cancel (s_self_t *self)
{
    uint64_t count;
    if (read (self->cancel_fd, &count, sizeof (count)) < 0 || self->cancelled)
        return;
    self->cancelled = true;
    self->cancel_deadline = zown_now_ms () + self->config->stop_timeout_ms;
    if (self->running_map)
        atomic_store (&self->running_map [0], 1);
    for (uint32_t index = 0; index < self->config->workers; index++)
        if (self->slots [index].thread)
            atomic_store (&self->slots [index].thread->cancel, 1);
}

//  Past the cancel deadline: the tasks still held are cancelled, and the
//  workers running them killed (threads abandoned).
static void
s_cancel_force (s_self_t *self, int64_t now)
{
    if (!self->cancelled || self->cancel_forced || now < self->cancel_deadline)
        return;
    self->cancel_forced = true;
    for (uint32_t index = 0; index < self->config->workers; index++) {
        s_slot_t *slot = &self->slots [index];
        if (!slot->inflight_count)
            continue;
        for (size_t at = 0; at < slot->inflight_count; at++)
            s_fail (self, slot->inflight [at], ZOWN_CANCELLED, 0, 0, "pool cancelled");
        slot->inflight_count = 0;
        if (slot->pid > 0) {
            zown_spawner_kill (self->spawner, slot->pid, SIGKILL);
            slot->state = S_STOPPING;
        } else if (slot->thread) {
            s_thread_abandon (slot->thread);
            slot->thread = NULL;
            slot->state = S_EMPTY;
        }
    }
}

static int64_t
s_next_deadline (s_self_t *self)
{
    int64_t deadline = -1;
    if (self->stopping)
        deadline = self->stop_deadline;
    if (self->cancelled && !self->cancel_forced
        && (deadline < 0 || self->cancel_deadline < deadline))
        deadline = self->cancel_deadline;
    int timeout = self->config->task_timeout_ms;
    if (timeout)
        for (size_t index = 0; index < self->config->workers; index++) {
            s_slot_t *slot = &self->slots [index];
            if (slot->inflight_count && slot->state != S_EMPTY && !slot->timed_out) {
                int64_t due = slot->head_started + timeout;
                if (deadline < 0 || due < deadline)
                    deadline = due;
            }
        }
    return deadline;
}

static void
s_send_stats (s_self_t *self, char kind)
{
    zmq_send (self->pipe, &kind, 1, ZMQ_SNDMORE);
    zmq_send (self->pipe, &self->stats, sizeof (self->stats), 0);
}

static void
s_begin_stop (s_self_t *self, bool kill_now)
{
    self->stopping = true;
    self->killing = self->killing || kill_now;
    self->stop_deadline = zown_now_ms () + self->config->stop_timeout_ms;
    if (kill_now) {
        s_task_t *task;
        while ((task = zlistx_first (self->queue))) {
            zlistx_delete (self->queue, zlistx_cursor (self->queue));
            s_fail (self, task, ZOWN_CLOSED, 0, 0, "pool terminated");
        }
        for (size_t index = 0; index < self->config->workers; index++) {
            s_slot_t *slot = &self->slots [index];
            for (size_t at = 0; at < slot->inflight_count; at++)
                s_fail (self, slot->inflight [at], ZOWN_CLOSED, 0, 0, "pool terminated");
            slot->inflight_count = 0;
        }
    }
    for (uint32_t index = 0; index < self->config->workers; index++) {
        s_slot_t *slot = &self->slots [index];
        if (slot->pid > 0 && (kill_now || slot->state == S_STARTING))
            zown_spawner_kill (self->spawner, slot->pid, SIGTERM);
        if (slot->state == S_READY || (slot->state == S_STOPPING && !slot->inflight_count))
            s_slot_stop (self, index);
    }
}

//  Past the stop deadline: what is left is killed (processes) or
//  abandoned (threads).
static void
s_force_stop (s_self_t *self)
{
    for (uint32_t index = 0; index < self->config->workers; index++) {
        s_slot_t *slot = &self->slots [index];
        if (slot->state == S_EMPTY)
            continue;
        if (slot->pid > 0)
            zown_spawner_kill (self->spawner, slot->pid, SIGKILL);
        else if (slot->thread) {
            s_thread_abandon (slot->thread);
            slot->thread = NULL;
            slot->state = S_EMPTY;
        }
    }
    s_leaver_t *leaver = zlistx_first (self->leavers);
    while (leaver) {
        if (leaver->pid > 0)
            zown_spawner_kill (self->spawner, leaver->pid, SIGKILL);
        else if (leaver->thread) {
            s_thread_abandon (leaver->thread);
            leaver->thread = NULL;
            leaver->pid = -1;  //  Nothing left to wait for
        }
        leaver = zlistx_next (self->leavers);
    }
    self->sigkilled = true;
    self->stop_deadline = zown_now_ms () + S_KILL_GRACE;
}

static bool
s_stop_complete (s_self_t *self)
{
    if (s_live_workers (self))
        return false;
    s_leaver_t *leaver = zlistx_first (self->leavers);
    while (leaver) {
        if (leaver->pid >= 0 || leaver->thread)
            return false;
        leaver = zlistx_next (self->leavers);
    }
    return true;
}

//  Report the stop once every worker is gone; past the deadline, force it;
//  past the grace after that, report it anyway: a stop never hangs.
static bool
s_stop_progress (s_self_t *self, int64_t now)
{
    if (!self->sigkilled && now >= self->stop_deadline && !s_stop_complete (self))
        s_force_stop (self);
    if (s_stop_complete (self) || (self->sigkilled && now >= self->stop_deadline)) {
        s_send_stats (self, ZOWN_POOL_ACTOR_STOPPED);
        return true;
    }
    return false;
}

//  Handle one message from the facade; false if none was waiting.
static bool
s_on_pipe (s_self_t *self)
{
    zmq_msg_t command;
    zmq_msg_init (&command);
    if (zmq_msg_recv (&command, self->pipe, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close (&command);
        return false;
    }
    const uint8_t *bytes = zmq_msg_data (&command);
    size_t size = zmq_msg_size (&command);
    char kind = size ? (char) bytes [0] : 0;
    if (kind == ZOWN_POOL_ACTOR_TASK && size == ZOWN_POOL_ACTOR_TASK_SIZE
        && zmq_msg_more (&command)) {
        s_task_t *task = calloc (1, sizeof (s_task_t));
        zmq_msg_t discard;
        zmq_msg_t *payload = task ? &task->payload : &discard;
        zmq_msg_init (payload);
        zmq_msg_recv (payload, self->pipe, 0);
        uint64_t id;
        memcpy (&id, bytes + 1, sizeof (id));
        bool queued = false;
        if (task) {
            task->id = id;
            if (zhashx_insert (self->tasks, &task->id, task) == 0) {
                queued = zlistx_add_end (self->queue, task) != NULL;
                if (!queued)
                    zhashx_delete (self->tasks, &task->id);
            }
        }
        if (queued)
            s_fail_stranded (self);
        else {
            zmq_msg_close (payload);
            free (task);
            const char *text = "out of memory in the pool thread";
            s_report (self, id, ZOWN_NO_MEMORY, 0, 0, text, strlen (text) + 1);
        }
    } else if (kind == ZOWN_POOL_ACTOR_JOIN || kind == ZOWN_POOL_ACTOR_KILL) {
        s_cancel (self);  //  A cancel made before the command comes first
        s_begin_stop (self, kind == ZOWN_POOL_ACTOR_KILL);
    } else if (kind == ZOWN_POOL_ACTOR_STATS) {
        s_cancel (self);
        s_send_stats (self, ZOWN_POOL_ACTOR_STATS);
    } else if (kind == ZOWN_POOL_ACTOR_TERM)
        self->leave = true;
    zmq_msg_close (&command);
    return true;
}

//  The poll set: the pipe, the ROUTER, then with a spawner its channel and
//  each process worker's result stream. Returns its size.
static int
s_poll_set (s_self_t *self)
{
    zmq_pollitem_t *items = self->items;
    items [0] = (zmq_pollitem_t){ self->pipe, 0, ZMQ_POLLIN, 0 };
    items [1] = (zmq_pollitem_t){ self->router, 0, ZMQ_POLLIN, 0 };
    items [2] = (zmq_pollitem_t){ NULL, self->cancel_fd, ZMQ_POLLIN, 0 };
    if (!self->spawner)
        return 3;
    items [3] = (zmq_pollitem_t){ NULL, zown_spawner_fd (self->spawner), ZMQ_POLLIN, 0 };
    int count = 4;
    for (uint32_t index = 0; index < self->config->workers; index++)
        if (self->slots [index].results >= 0) {
            self->item_slots [count - 4] = index;
            items [count++] = (zmq_pollitem_t){ NULL, self->slots [index].results, ZMQ_POLLIN, 0 };
        }
    return count;
}

static void
s_run (s_self_t *self)
{
    bool reported = false;
    zmq_pollitem_t *items = self->items;
    while (!self->leave) {
        int count = s_poll_set (self);
        int64_t deadline = s_next_deadline (self);
        long timeout = -1;
        if (deadline >= 0) {
            int64_t now = zown_now_ms ();
            timeout = deadline > now ? (long) (deadline - now) : 0;
        }
        if (zmq_poll (items, count, timeout) < 0 && zmq_errno () != EINTR)
            break;
        if (items [2].revents)
            s_cancel (self);
        for (int item = 4; item < count; item++)
            if (items [item].revents)
                s_read_results (self, self->item_slots [item - 4]);
        //  Bursts from both sockets, bounded so that neither starves the
        //  other, before one dispatch.
        for (int burst = 0; burst < 1000 && items [0].revents && s_on_pipe (self); burst++)
            ;
        for (int burst = 0; burst < 1000 && s_on_router (self); burst++)
            ;
        if (self->spawner && ((count > 3 && items [3].revents) || self->spawned))
            s_drain_exits (self);
        int64_t now = zown_now_ms ();
        s_check_timeouts (self, now);
        s_cancel_force (self, now);
        s_fail_stranded (self);
        s_dispatch (self);
        if (self->stopping && !reported)
            reported = s_stop_progress (self, now);
    }
}

static void
s_self_destroy (s_self_t **self_p)
{
    s_self_t *self = *self_p;
    if (!self)
        return;
    if (self->router) {
        if (self->config->mode == ZOWN_POOL_THREADS)
            zmq_unbind (self->router, self->endpoint);
        zmq_close (self->router);
    }
    if (self->config->mode == ZOWN_POOL_PROCESSES && self->endpoint [0])
        unlink (self->endpoint + strlen ("ipc://"));
    if (self->pipe)
        zmq_close (self->pipe);
    zown_spawner_destroy (&self->spawner);
    if (self->running_map)
        munmap (self->running_map, (self->config->workers + 1) * sizeof (uint64_t));
    if (self->running_path [0])
        unlink (self->running_path);
    if (self->tasks) {
        s_task_t *task = zhashx_first (self->tasks);
        while (task) {
            s_task_free (task);
            task = zhashx_next (self->tasks);
        }
        zhashx_destroy (&self->tasks);
    }
    zlistx_destroy (&self->queue);
    if (self->leavers) {
        s_leaver_t *leaver;
        while ((leaver = zlistx_first (self->leavers))) {
            zlistx_delete (self->leavers, zlistx_cursor (self->leavers));
            free (leaver);
        }
        zlistx_destroy (&self->leavers);
    }
    if (self->slots) {
        for (size_t index = 0; index < self->config->workers; index++) {
            free (self->slots [index].inflight);
            s_results_close (&self->slots [index]);
        }
        free (self->slots);
    }
    free (self->items);
    free (self->item_slots);
    free (self);
    *self_p = NULL;
}

static s_self_t *
s_self_new (const zown_pool_config_t *config, zown_spawner_t *spawner, const char *pipe_endpoint,
            uint64_t serial, int cancel_fd)
{
    s_self_t *self = calloc (1, sizeof (s_self_t));
    if (!self)
        return NULL;
    self->config = config;
    self->cancel_fd = cancel_fd;
    void *ctx = zown_ctx ();
    self->slots = calloc (config->workers, sizeof (s_slot_t));
    self->queue = zlistx_new ();
    self->tasks = zown_pool_id_table ();
    self->leavers = zlistx_new ();
    self->items = calloc (4 + config->workers, sizeof (zmq_pollitem_t));
    self->item_slots = calloc (config->workers, sizeof (uint32_t));
    bool ok = ctx && self->slots && self->queue && self->tasks && self->leavers && self->items
        && self->item_slots;
    for (size_t index = 0; self->slots && index < config->workers; index++)
        self->slots [index].results = -1;
    for (size_t index = 0; ok && index < config->workers; index++)
        ok = (self->slots [index].inflight = calloc (config->prefetch, sizeof (s_task_t *)));
    if (ok && config->mode == ZOWN_POOL_PROCESSES) {
        zown_rundir_sweep ();
        char *dir = zown_rundir ();
        ok = dir
            && snprintf (self->endpoint, sizeof (self->endpoint),
                         "ipc://%s/pool-%d-%" PRIu64 ".sock", dir, (int) getpid (), serial)
                < (int) sizeof (self->endpoint)
            && snprintf (self->running_path, sizeof (self->running_path),
                         "%s/pool-%d-%" PRIu64 ".run", dir, (int) getpid (), serial)
                < (int) sizeof (self->running_path);
        free (dir);
        ok = ok
            && (self->running_map =
                    zown_pool_running_map (self->running_path, config->workers, true));
        self->running = ok ? self->running_map + 1 : NULL;
        ok = ok && (self->spawner = zown_spawner_attach (spawner));
    } else if (ok)
        snprintf (self->endpoint, sizeof (self->endpoint), "inproc://zown-pool-%" PRIu64, serial);
    ok = ok && (self->router = zmq_socket (ctx, ZMQ_ROUTER))
        && zown_set_int (self->router, ZMQ_LINGER, 0) == 0
        && zown_set_int (self->router, ZMQ_ROUTER_MANDATORY, 1) == 0
        && zown_set_int (self->router, ZMQ_SNDHWM, 0) == 0
        && zown_set_int (self->router, ZMQ_RCVHWM, 0) == 0
        && zmq_bind (self->router, self->endpoint) == 0 && (self->pipe = zmq_socket (ctx, ZMQ_PAIR))
        && zown_set_int (self->pipe, ZMQ_LINGER, 0) == 0
        && zown_set_int (self->pipe, ZMQ_SNDHWM, 0) == 0
        && zmq_connect (self->pipe, pipe_endpoint) == 0;
    if (!ok)
        s_self_destroy (&self);
    return self;
}

static void *
s_pool_thread (void *arg)
{
    s_self_t *self = arg;
    s_run (self);
    s_self_destroy (&self);
    return NULL;
}

int
zown_pool_actor_start (const zown_pool_config_t *config, zown_spawner_t *spawner,
                       const char *pipe_endpoint, uint64_t serial, int cancel_fd,
                       pthread_t *thread_p)
{
    s_self_t *self = s_self_new (config, spawner, pipe_endpoint, serial, cancel_fd);
    if (!self)
        return -1;
    //  Workers start from the pool thread's side, so every spawn is
    //  made on its spawner handle.
    for (uint32_t index = 0; index < config->workers; index++)
        s_slot_start (self, index);
    if (pthread_create (thread_p, NULL, s_pool_thread, self)) {
        s_self_destroy (&self);
        return -1;
    }
    return 0;
}
