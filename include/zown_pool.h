/*  =========================================================================
    zown_pool - a worker pool that survives crashed workers

    What multiprocessing.Pool gives, on ZeroMQ: N workers (forked processes
    or threads) run a task function over byte payloads; the application
    submits tasks and gets futures, or maps over an array. A pool thread
    hands tasks to workers that have room (each worker holds at most
    `prefetch` tasks, so a slow worker is not given more than it can take)
    and collects results.

    A worker that dies is replaced; the task it was running is retried up
    to `retries` times, then failed with ZOWN_WORKER_DIED and the cause (the
    other tasks it held go back to the queue, unpenalised). A task runs at
    least once; one that finished never runs again because its process
    worker died later: a process worker's result is recorded with the pool
    before its next task starts. A task over its time is failed with
    ZOWN_TIMEOUT and its worker replaced. Nothing waits without a deadline
    unless asked to: close, join and terminate return.

    Process workers are forked by a fork server (zown_spawner, started
    while the application is single-threaded): they never inherit a ZeroMQ
    context. Each worker has its own client to the owner (ipc for processes,
    inproc for threads) when the pool is given an owner target.

    A pool and its futures are used by one application thread.
    =========================================================================
*/
#ifndef ZOWN_POOL_H_INCLUDED
#define ZOWN_POOL_H_INCLUDED

#include "zown_export.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "zown_client.h"
#include "zown_spawner.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _zown_pool_t zown_pool_t;
typedef struct _zown_future_t zown_future_t;
//  A worker, as its own functions see it.
typedef struct _zown_worker_t zown_worker_t;
//  A task, as the task function sees it.
typedef struct _zown_task_t zown_task_t;

//  Runs once in each worker before its first task. Returns 0, or non-zero
//  to refuse to start (the worker exits; see `workers` below).
typedef int (zown_worker_init_fn) (zown_worker_t *worker);
//  Runs a task: read it with zown_task_data and friends, set the result
//  with zown_task_return*, return 0. A non-zero return (after
//  zown_task_fail, to say why) fails the task with ZOWN_TASK_FAILED.
typedef int (zown_task_fn) (zown_worker_t *worker, zown_task_t *task);
//  Runs when a worker stops cleanly (recycled, or at close).
typedef void (zown_worker_fini_fn) (zown_worker_t *worker);

//  Thread workers share the application's process. A task that calls
//  exit() ends the application; one that crashes (a segfault, abort())
//  kills it; one that never returns keeps its thread for ever (at its
//  task_timeout_ms it is abandoned, never killed). A thread that ends in a
//  task through pthread_exit() ends its worker: its owner session ends
//  (locks it held come back), its descriptors are closed, the task is
//  charged as a death and a new thread takes the slot. Code that may
//  crash, exit or hang belongs in process workers, which survive all three.
typedef enum {
    ZOWN_POOL_PROCESSES = 0,  //  Forked worker processes (the default)
    ZOWN_POOL_THREADS = 1     //  Worker threads in this process
} zown_pool_mode_t;

//  Defaults, for fields left 0.
#define ZOWN_POOL_PREFETCH_DEFAULT     16
#define ZOWN_POOL_MAX_PENDING_DEFAULT  4096
#define ZOWN_POOL_STOP_TIMEOUT_DEFAULT 2000
//  Largest task payload and result, in bytes.
#define ZOWN_POOL_DATA_MAX (64 * 1024 * 1024)

typedef struct {
    zown_pool_mode_t mode;
    //  Number of workers; 0: one per online CPU.
    size_t workers;
    //  Required.
    zown_task_fn *task;
    //  Optional.
    zown_worker_init_fn *init;
    zown_worker_fini_fn *fini;
    //  Read-only arguments for init and task (zown_worker_args). With
    //  args_size 0 the pointer is passed as it is: for processes it must
    //  point to memory that existed when the spawner was created (a global,
    //  or data set up before). With args_size > 0 (processes: at most
    //  ZOWN_SPAWN_PAYLOAD_MAX less 1 KiB), each process worker gets a copy
    //  through its fork server, never through the owner.
    const void *args;
    size_t args_size;
    //  Owner target for each worker's client (a name, or an endpoint:
    //  ipc:// for processes, inproc:// or ipc:// for threads); NULL: none.
    const char *owner;
    //  Processes: the fork server to fork workers from. NULL: the pool
    //  starts its own, which requires zown_pool_new to be called while
    //  the process is single-threaded (else ZOWN_THREADED).
    zown_spawner_t *spawner;
    //  Tasks held by one worker at a time (its own queue); default 16.
    //  Deep enough that short tasks never wait for a round trip to the
    //  pool thread (docs/PERFORMANCE.md: 2 gives a fifth to a sixth of the
    //  throughput of 16 for empty tasks); for long tasks of uneven length,
    //  1 or 2 keeps the last tasks of a map from queueing behind a slow one.
    size_t prefetch;
    //  Tasks submitted and not yet completed; beyond it, submit blocks or
    //  fails with ZOWN_BUSY (`reject_when_full`). Default 4096.
    size_t max_pending;
    bool reject_when_full;
    //  A worker is replaced after this many tasks (0: never).
    size_t max_tasks_per_worker;
    //  A task running longer than this fails with ZOWN_TIMEOUT and its
    //  worker is replaced (0: no limit). Thread workers cannot be killed:
    //  a timed-out thread is abandoned (left to finish, its result
    //  dropped) and a new one started.
    int task_timeout_ms;
    //  Times a task is retried after its worker died while running it.
    size_t retries;
    //  How long close/terminate let workers stop before SIGKILL (default
    //  ZOWN_POOL_STOP_TIMEOUT_DEFAULT).
    int stop_timeout_ms;
} zown_pool_config_t;

//  What the pool has done so far.
typedef struct {
    uint64_t submitted;
    uint64_t completed;  //  With any outcome
    uint64_t failed;     //  Completed with a status other than ZOWN_OK
    uint64_t retried;
    uint64_t timed_out;
    uint64_t workers_started;
    uint64_t workers_died;      //  Died without being asked to stop
    uint64_t workers_recycled;  //  Replaced after max_tasks_per_worker
} zown_pool_stats_t;

//  Start a pool and its workers (it does not wait for them to be ready).
//  Returns NULL with ZOWN_INVALID (bad config), ZOWN_THREADED (no spawner
//  given, process not single-threaded), ZOWN_SYSTEM, ZOWN_NO_MEMORY.
ZOWN_EXPORT zown_pool_t *zown_pool_new (const zown_pool_config_t *config);

//  Terminate the pool unless it was joined, and free it; accepts NULL and
//  nulls the pointer. Futures not yet completed complete with ZOWN_CLOSED.
ZOWN_EXPORT void zown_pool_destroy (zown_pool_t **self_p);

//  Submit a task (the bytes are copied). Returns a future the caller
//  destroys, or NULL with ZOWN_CLOSED, ZOWN_BUSY (full, reject_when_full),
//  ZOWN_INVALID (over ZOWN_POOL_DATA_MAX), ZOWN_NO_MEMORY.
ZOWN_EXPORT zown_future_t *zown_pool_submit (zown_pool_t *self, const void *data, size_t size);
ZOWN_EXPORT zown_future_t *zown_pool_submit_int64 (zown_pool_t *self, int64_t value);
//  The string is sent with its terminating NUL.
ZOWN_EXPORT zown_future_t *zown_pool_submit_string (zown_pool_t *self, const char *string);

//  One input of a map.
typedef struct {
    const void *data;
    size_t size;
} zown_bytes_t;

//  Run every input and wait for all: futures [i] is the completed future
//  of inputs [i] (the caller destroys each). Returns 0 if every task
//  succeeded, else -1 with the status of the first failed input (every
//  future is still set), or with ZOWN_CLOSED / ZOWN_INVALID (futures then
//  all NULL).
ZOWN_EXPORT int zown_pool_map (zown_pool_t *self, const zown_bytes_t *inputs, size_t count,
                               zown_future_t **futures);

//  zown_pool_map over C strings, each sent with its NUL (zown_task_string
//  reads it): Pool.map over file names, say. Returns 0 when every task
//  succeeded: futures [i] is then the future of strings [i] (the caller
//  destroys each). Else -1 with the status of the first input that failed,
//  and no future kept (all NULL); zown_client_error (NULL, NULL) says
//  which input and why ("the task function reported a failure: /x:
//  cannot open /x"). futures may be NULL: only the outcome is wanted.
ZOWN_EXPORT int zown_pool_map_strings (zown_pool_t *self, const char *const *strings, size_t count,
                                       zown_future_t **futures);

//  Called by zown_pool_map_unordered as each result arrives, with the
//  input's index; the future is borrowed for the call.
typedef void (zown_result_fn) (void *arg, size_t index, zown_future_t *future);

//  Run every input; call `callback` for each completed task, in completion
//  order. Returns as zown_pool_map.
ZOWN_EXPORT int zown_pool_map_unordered (zown_pool_t *self, const zown_bytes_t *inputs,
                                         size_t count, zown_result_fn *callback, void *arg);

//  When a map draws a progress line on stderr, as a pipeline does:
//  "pool: 3993 of 4994 tasks done, 2282 tasks/s, 2 failed, 0:01 left",
//  redrawn in place every 250 ms, and a last line ("..., took 0:03").
typedef enum {
    ZOWN_PROGRESS_AUTO = 0,  //  Maps that last over a second, when stderr is a terminal (default)
    ZOWN_PROGRESS_OFF = 1,   //  Never
    ZOWN_PROGRESS_ON = 2     //  Every map from its start, whatever stderr is
} zown_progress_mode_t;

//  Set when maps draw their progress line. Returns 0, or -1 with
//  ZOWN_INVALID.
ZOWN_EXPORT int zown_pool_set_progress (zown_pool_t *self, zown_progress_mode_t mode);

//  Refuse further tasks (ZOWN_CLOSED); queued tasks still run.
ZOWN_EXPORT void zown_pool_close (zown_pool_t *self);

//  Cancel every task not completed, as on Ctrl-C. Safe from any thread,
//  from a thread that reads signals (sigwait, a signalfd loop) and from a
//  signal handler itself: it only sets an atomic flag and writes to an
//  eventfd (async-signal-safe; errno is kept). The pool refuses further
//  tasks (ZOWN_CLOSED). Queued tasks, and tasks a worker holds but has not
//  started, complete with ZOWN_CANCELLED; running tasks may finish within
//  stop_timeout_ms of the call, then they complete with ZOWN_CANCELLED and
//  their workers are killed (thread workers abandoned). A map in progress
//  then returns -1 with ZOWN_CANCELLED (or the status of an earlier failed
//  input), every future set; inputs it had not submitted get cancelled
//  futures. Join, terminate or destroy the pool afterwards as usual; the
//  pool must not be destroyed while another thread may still call this.
//  Accepts NULL.
ZOWN_EXPORT void zown_pool_cancel (zown_pool_t *self);

//  Close, wait up to timeout_ms (ZOWN_FOREVER: no limit) for every task
//  submitted to complete, then stop the workers (SIGKILL after
//  stop_timeout_ms). Returns 0, or -1 with ZOWN_TIMEOUT (tasks still
//  running: the pool keeps going; call again or terminate).
ZOWN_EXPORT int zown_pool_join (zown_pool_t *self, int timeout_ms);

//  Stop the workers now (SIGTERM, SIGKILL after stop_timeout_ms); tasks
//  not completed complete with ZOWN_CLOSED. Returns as soon as the workers
//  are gone (threads still stuck in a task are abandoned), also when they
//  or the fork server died of a signal before (Ctrl-C reaches the whole
//  process group).
ZOWN_EXPORT void zown_pool_terminate (zown_pool_t *self);

ZOWN_EXPORT void zown_pool_stats (zown_pool_t *self, zown_pool_stats_t *stats);

//  Number of workers.
ZOWN_EXPORT size_t zown_pool_size (zown_pool_t *self);

//  ---------------------------------------------------------------------
//  Futures

//  Wait up to timeout_ms (0: do not wait; ZOWN_FOREVER) for the task.
//  Returns 0 if it succeeded; -1 with its status (ZOWN_TASK_FAILED,
//  ZOWN_WORKER_DIED, ZOWN_TIMEOUT for a task over its time, ZOWN_CLOSED,
//  ZOWN_CANCELLED), or with ZOWN_BUSY when it has not completed within
//  timeout_ms.
ZOWN_EXPORT int zown_future_wait (zown_future_t *self, int timeout_ms);

ZOWN_EXPORT bool zown_future_done (zown_future_t *self);

//  Status of a completed task; ZOWN_BUSY while it is not.
ZOWN_EXPORT int zown_future_status (zown_future_t *self);

//  Result bytes of a succeeded task (borrowed; NULL if none).
ZOWN_EXPORT const void *zown_future_data (zown_future_t *self, size_t *size_p);
//  The result as set by zown_task_return_int64 / _string; -1 with
//  ZOWN_INVALID if it is not one.
ZOWN_EXPORT int zown_future_int64 (zown_future_t *self, int64_t *value_p);
ZOWN_EXPORT const char *zown_future_string (zown_future_t *self);

//  Why a task failed, in one line ("task failed: ...", "worker 1234
//  died: signal 9 (Killed), 2 attempts"); "" for a task that succeeded.
ZOWN_EXPORT const char *zown_future_error (zown_future_t *self);

//  For ZOWN_WORKER_DIED: the dead worker's wait status (WIFSIGNALED,
//  WTERMSIG, WEXITSTATUS apply); 0 otherwise.
ZOWN_EXPORT int zown_future_wait_status (zown_future_t *self);

//  Process id of the worker that completed the task (for threads: this
//  process); 0 if no worker did.
ZOWN_EXPORT pid_t zown_future_worker (zown_future_t *self);

//  Accepts NULL; nulls the pointer. A task still running is not stopped;
//  its result is dropped.
ZOWN_EXPORT void zown_future_destroy (zown_future_t **self_p);

//  ---------------------------------------------------------------------
//  Inside a worker

//  The pool's args, and their size (0 if passed as a pointer).
ZOWN_EXPORT const void *zown_worker_args (zown_worker_t *self, size_t *size_p);
//  Worker slot, 0..workers-1 (a replacement takes the slot it replaces).
ZOWN_EXPORT size_t zown_worker_index (zown_worker_t *self);
//  Client to the pool's owner; NULL if the pool has none.
ZOWN_EXPORT zown_client_t *zown_worker_client (zown_worker_t *self);
//  Per-worker state for init, task and fini.
ZOWN_EXPORT void zown_worker_set_state (zown_worker_t *self, void *state);
ZOWN_EXPORT void *zown_worker_state (zown_worker_t *self);

//  Task input (borrowed).
ZOWN_EXPORT const void *zown_task_data (zown_task_t *self, size_t *size_p);
//  Input sent by zown_pool_submit_int64; -1 with ZOWN_INVALID otherwise.
ZOWN_EXPORT int zown_task_int64 (zown_task_t *self, int64_t *value_p);
//  Input sent by zown_pool_submit_string; NULL otherwise.
ZOWN_EXPORT const char *zown_task_string (zown_task_t *self);

//  Set the result (copied); the last call wins. -1 with ZOWN_INVALID
//  (over ZOWN_POOL_DATA_MAX) or ZOWN_NO_MEMORY.
ZOWN_EXPORT int zown_task_return (zown_task_t *self, const void *data, size_t size);
ZOWN_EXPORT int zown_task_return_int64 (zown_task_t *self, int64_t value);
ZOWN_EXPORT int zown_task_return_string (zown_task_t *self, const char *string);
//  Say why the task fails (printf format); the task function then
//  returns non-zero. Returns -1, for `return zown_task_fail (...)`.
ZOWN_EXPORT int zown_task_fail (zown_task_t *self, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

#ifdef __cplusplus
}
#endif

#endif
