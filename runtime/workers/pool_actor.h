/*  =========================================================================
    pool_actor - the pool thread, as its facade (runtime/workers/pool.c)
    sees it

    The facade (application thread) and the pool thread talk over an inproc
    PAIR pipe, and zown_pool_cancel, from any thread or a signal handler,
    over an eventfd:

      facade -> pool   TASK [T][id uint64], [payload]
                       JOIN [J]   stop the workers once they are idle
                       KILL [K]   fail every task, stop the workers now
                       STATS [Q]
                       TERM [$]   leave the loop (after JOIN or KILL)
      pool -> facade   DONE [R][status uint8][id uint64][pid int32][wait status int32], [data]
                       STOPPED [S], [stats]
                       STATS [Q], [stats]
    =========================================================================
*/
#ifndef ZOWN_POOL_ACTOR_H_INCLUDED
#define ZOWN_POOL_ACTOR_H_INCLUDED

#define ZOWN_POOL_ACTOR_TASK    'T'
#define ZOWN_POOL_ACTOR_JOIN    'J'
#define ZOWN_POOL_ACTOR_KILL    'K'
#define ZOWN_POOL_ACTOR_STATS   'Q'
#define ZOWN_POOL_ACTOR_TERM    '$'
#define ZOWN_POOL_ACTOR_DONE    'R'
#define ZOWN_POOL_ACTOR_STOPPED 'S'

//  Sizes of the first frames of TASK and DONE.
#define ZOWN_POOL_ACTOR_TASK_SIZE 9
#define ZOWN_POOL_ACTOR_DONE_SIZE 18

//  A table keyed by task id: the key is a uint64_t in the item, neither
//  copied nor freed. The facade files its futures in one, the pool thread
//  its tasks.
zhashx_t *zown_pool_id_table (void);

//  Start the pool thread, with its end of the pipe connected to
//  pipe_endpoint (bound by the facade), and start its workers (it does not
//  wait for them). config, checked and with its defaults set, must outlive
//  the thread. Process workers are forked by `spawner` (the thread takes a
//  handle of its own). serial makes the pool's endpoints unique. The
//  thread cancels the pool once cancel_fd (an eventfd the facade keeps)
//  is readable. Returns 0 with the thread in *thread_p, or -1 if it could
//  not start.
int zown_pool_actor_start (const zown_pool_config_t *config, zown_spawner_t *spawner,
                           const char *pipe_endpoint, uint64_t serial, int cancel_fd,
                           pthread_t *thread_p);

#endif
