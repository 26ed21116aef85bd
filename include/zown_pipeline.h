/*  =========================================================================
    zown_pipeline - ventilator -> N worker processes -> sink, with an end of
    stream that loses nothing

    The application thread pushes items (the ventilator, a PUSH socket over
    ipc); worker processes, forked by a zown_spawner, run a work function on
    each item and emit zero or more outputs; a sink thread of the pipeline, in
    the application's process, runs a sink function on every output. Every
    item completes exactly once, with or after its outputs, so the sink knows
    when all the work is done: zown_pipeline_finish returns once every pushed
    item is accounted for. High-water marks bound the queues: a push blocks
    when they are full. A worker that dies fails the run at once with
    ZOWN_WORKER_DIED (no retry: use a pool when tasks must survive a crash).

    With an owner target, every worker and the sink get a client of their
    own, and the owner holds the values NAME.pushed and NAME.done, updated a
    few times a second. docs/PIPELINE.md says why and how.

    A pipeline is used by the thread that created it.
    =========================================================================
*/
#ifndef ZOWN_PIPELINE_H_INCLUDED
#define ZOWN_PIPELINE_H_INCLUDED

#include "zown_export.h"

#include <stdbool.h>
#include <stddef.h>
#include "zown_client.h"
#include "zown_spawner.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _zown_pipeline_t zown_pipeline_t;

//  A worker's way out to the sink, valid during one call of the work
//  function only.
typedef struct _zown_pipeline_emit_t zown_pipeline_emit_t;

//  What a worker process runs on each item. The worker is forked from the
//  spawner: the function must be in the program (or a library loaded
//  before the spawner was created), and `args`, the config's work_args, is
//  only valid if it points to memory that existed when the spawner was
//  created (a global, say). `item` is borrowed for the call, and may not be aligned
//  for any type (copy it out with memcpy). Returns 0, or non-zero to count
//  the item as failed (it still completes, and its outputs still reach the
//  sink). Per-worker state can live in static variables: each worker is a
//  process of its own.
typedef int (zown_pipeline_work_fn) (void *args, const void *item, size_t size,
                                     zown_pipeline_emit_t *out);

//  What the sink thread runs on each output, in the application's process.
//  `data` is borrowed for the call and may not be aligned for any type.
//  `client` is the sink thread's client to the owner target, or NULL.
//  Returns 0, or non-zero to count a failure. It must not call the
//  pipeline.
typedef int (zown_pipeline_sink_fn) (void *args, const void *data, size_t size,
                                     zown_client_t *client);

typedef struct {
    const char *name;             //  Names the ipc endpoints and the owner's counters
    size_t workers;               //  Worker processes, 1..ZOWN_PIPELINE_WORKERS_MAX
    zown_spawner_t *spawner;      //  Forks the workers; its server must outlive the pipeline
    zown_pipeline_work_fn *work;  //  Runs on every item, in a worker
    void *work_args;              //  Inherited through the spawner's fork (see above)
    zown_pipeline_sink_fn *sink;  //  Runs on every output; NULL: outputs are dropped
    void *sink_args;              //  Any pointer of the application
    const char *owner;            //  Owner name or ipc endpoint for the clients and
                                  //  counters; NULL: none
    int hwm;                      //  Items queued per worker (0: ZOWN_PIPELINE_HWM_DEFAULT)
    int sink_hwm;                 //  Outputs queued per worker (0: ZOWN_PIPELINE_HWM_DEFAULT)
    int push_timeout_ms;          //  Longest block of one push (0: the default below;
                                  //  ZOWN_FOREVER: no limit)
    bool quiet;                   //  No progress line, even when stderr is a terminal
} zown_pipeline_config_t;

//  Most workers of one pipeline.
#define ZOWN_PIPELINE_WORKERS_MAX 256
//  Default high-water marks, in messages.
#define ZOWN_PIPELINE_HWM_DEFAULT 1000
//  Default longest block of zown_pipeline_push, in ms.
#define ZOWN_PIPELINE_PUSH_TIMEOUT 60000
//  Longest wait in zown_pipeline_new for every worker to be ready, in ms.
#define ZOWN_PIPELINE_START_TIMEOUT 10000
//  Longest wait for workers to stop once told to, in ms; then SIGKILL.
#define ZOWN_PIPELINE_STOP_TIMEOUT 5000
//  Period of the owner's counter updates and of the progress line, in ms.
#define ZOWN_PIPELINE_PROGRESS_MS 250

//  Start a pipeline: bind RUNDIR/NAME@vent.sock and RUNDIR/NAME@sink.sock,
//  fork config->workers workers through config->spawner, start the sink
//  thread, and wait until every worker is connected and ready. With an
//  owner, sets NAME.pushed and NAME.done to 0 there. When stderr is a
//  terminal (and not quiet), a run that lasts over a second shows a
//  progress line there. Returns NULL with ZOWN_INVALID (bad config),
//  ZOWN_ADDR_IN_USE (a live pipeline of that name), ZOWN_WORKER_DIED (a
//  worker died while starting), ZOWN_TIMEOUT, ZOWN_UNREACHABLE (spawner or
//  owner), ZOWN_SYSTEM or ZOWN_NO_MEMORY.
ZOWN_EXPORT zown_pipeline_t *zown_pipeline_new (const zown_pipeline_config_t *config);

//  Stop and free the pipeline; accepts NULL and nulls the pointer. Workers
//  still running (no zown_pipeline_finish, or a failed one) are killed
//  (SIGKILL) and their items abandoned. Waits for a sink call in progress.
ZOWN_EXPORT void zown_pipeline_destroy (zown_pipeline_t **self_p);

//  Send one item (copied) to the next worker with room. Blocks while every
//  worker's queue is full (backpressure), at most the config's push
//  timeout. Returns 0, or -1 with ZOWN_TIMEOUT (not pushed; may be
//  retried), ZOWN_WORKER_DIED or the status of another failure of the run
//  (an owner's, for the counters; see zown_pipeline_failure), ZOWN_CLOSED
//  (after zown_pipeline_finish), ZOWN_INVALID, ZOWN_FORKED or ZOWN_SYSTEM.
ZOWN_EXPORT int zown_pipeline_push (zown_pipeline_t *self, const void *item, size_t size);

//  End of stream: no more pushes. Waits up to timeout_ms (ZOWN_FOREVER:
//  no limit) until the sink has accounted for every pushed item, updates
//  the owner's counters a last time, then stops the workers (at most
//  ZOWN_PIPELINE_STOP_TIMEOUT, then SIGKILL). Returns 0 once all that is
//  done: the sink function has run on every output and will not run
//  again. Returns -1 with ZOWN_WORKER_DIED as soon as a worker died (see
//  zown_pipeline_failure), ZOWN_TIMEOUT (call again to wait more),
//  ZOWN_TASK_FAILED (some work or sink call returned non-zero; every item
//  was still accounted for), an owner status if the last counter update
//  failed, ZOWN_INVALID or ZOWN_FORKED. Once it returned 0 it returns 0.
ZOWN_EXPORT int zown_pipeline_finish (zown_pipeline_t *self, int timeout_ms);

//  One line saying why the run failed ("worker 2 (pid 4711) died during
//  the run: signal 9 (Killed)", "3 of 1000 items failed, 0 sink calls
//  failed"), or "" while it has not failed. Borrowed from the pipeline.
ZOWN_EXPORT const char *zown_pipeline_failure (zown_pipeline_t *self);

//  In a work function: send one output (copied) to the sink. Blocks while
//  the sink's queue is full. Returns 0, or -1 with ZOWN_INVALID,
//  ZOWN_NO_MEMORY or ZOWN_SYSTEM.
ZOWN_EXPORT int zown_pipeline_emit (zown_pipeline_emit_t *out, const void *data, size_t size);

//  In a work function: the worker's own client to the owner target, or
//  NULL without one. Borrowed; valid in that worker for its whole life.
ZOWN_EXPORT zown_client_t *zown_pipeline_emit_client (zown_pipeline_emit_t *out);

#ifdef __cplusplus
}
#endif

#endif
