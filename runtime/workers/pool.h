/*  =========================================================================
    pool - what the pool thread and its workers share
    (runtime/workers/pool_actor.c, runtime/workers/pool_worker.c)

    Pool <-> worker messages go over ROUTER (pool) / DEALER (worker), one
    worker one identity: 'w', then slot and generation (native order, both
    ends are this program). The first frame's first byte says what it is:

      worker -> pool  HELLO   [H][pid int32]                 ready for tasks
                      RESULT  [R][status uint8][id uint64]   then [data]
                      GONE    [G]                            thread worker left
      pool -> worker  TASK    [T][id uint64]                 then [payload]
                      STOP    [S]                            finish and leave

    A RESULT's status is ZOWN_OK, ZOWN_TASK_FAILED, or ZOWN_CANCELLED for a
    task not started because the pool was cancelled.

    A process worker writes its results on a stream socket of its own
    instead (a socket pair, its end passed through the fork server), each
    as [status uint8][id uint64][size uint64][data]. A write returns once
    the bytes are in the pool's receive queue, where they outlive the
    worker: a result is recorded before the next task starts, and once the
    worker's exit is reported, all it wrote is there to read. A RESULT on
    ZeroMQ could still be queued inside a worker that died.
    =========================================================================
*/
#ifndef ZOWN_POOL_INTERNAL_H_INCLUDED
#define ZOWN_POOL_INTERNAL_H_INCLUDED

#include <stdatomic.h>

#define ZOWN_POOL_HELLO  'H'
#define ZOWN_POOL_RESULT 'R'
#define ZOWN_POOL_GONE   'G'
#define ZOWN_POOL_TASK   'T'
#define ZOWN_POOL_STOP   'S'

#define ZOWN_POOL_IDENTITY_SIZE 9
//  A result on a process worker's stream: status, id, size, then the data.
#define ZOWN_POOL_STREAM_HEADER 17
#define ZOWN_POOL_ENDPOINT_MAX  256

//  Everything a worker needs to start, copied into each process worker
//  through its fork server (followed there by args_size bytes of args).
typedef struct {
    zown_task_fn *task;
    zown_worker_init_fn *init;
    zown_worker_fini_fn *fini;
    const void *args;  //  With args_size > 0, set by the worker to its copy
    size_t args_size;
    uint32_t slot;
    uint32_t generation;
    char endpoint [ZOWN_POOL_ENDPOINT_MAX];  //  The pool's ROUTER
    char owner [ZOWN_POOL_ENDPOINT_MAX];     //  Owner target; "" for none
    //  Process workers: the pool's running-task file, shared with it
    //  (zown_pool_running_map).
    char running [ZOWN_POOL_ENDPOINT_MAX];
    //  Thread workers: set once the pool is cancelled (process workers
    //  read the running-task file's cancel word).
    _Atomic uint64_t *cancel;
    //  Process workers: the stream results are written to (set in the
    //  worker); -1: results go on the DEALER.
    int results;
} zown_worker_setup_t;

//  A worker's identity on the pool's ROUTER.
void zown_pool_identity (uint8_t identity [ZOWN_POOL_IDENTITY_SIZE], uint32_t slot,
                         uint32_t generation);

//  Map the running-task file of a pool, up to slot `slots` - 1; NULL on
//  failure. Word 0 is set once the pool is cancelled (a worker then starts
//  no task it holds); word 1 + slot holds the id of the task that slot's
//  worker is running (0: none), which says, when a worker dies, which
//  task it was running.
_Atomic uint64_t *zown_pool_running_map (const char *path, size_t slots, bool create);

//  Runs last when a worker ends, with its argument.
typedef void (zown_worker_left_fn) (void *arg);

//  Run a worker until the pool says STOP, or, for a thread worker (given
//  `abandoned`), until *abandoned is set (checked between tasks). A thread
//  worker also ends, its session and sockets with it, when its thread ends
//  inside the application's code (pthread_exit); the thread then never
//  returns here. Either way `left (left_arg)` runs last, if given. Returns
//  0 after a clean stop, else a process exit code: 2 could not connect, 3
//  init refused.
int zown_worker_run (const zown_worker_setup_t *setup, atomic_bool *abandoned,
                     zown_worker_left_fn *left, void *left_arg);

#endif
