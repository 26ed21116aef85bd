/*  =========================================================================
    pool_crash - a pool whose tasks crash their workers, and still finishes

    A Python Pool whose worker is killed hangs, or breaks for good. Here 20
    tasks run on 3 worker processes; some crash their worker on purpose
    (segmentation fault, abort, exit), one never ends. Each crashed worker
    is replaced, the task is retried once, then reported failed with the
    cause; the endless task is stopped by its time limit. The run finishes
    and says which tasks failed and why.

    Usage: pool_crash
    =========================================================================
*/
#define _POSIX_C_SOURCE 200809L
#include <zown.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

enum { TASKS = 20 };

//  What task N does.
static const char *
plan (int64_t index)
{
    switch (index) {
        case 3:
            return "segfault";
        case 7:
            return "abort";
        case 11:
            return "exit 3";
        case 15:
            return "loop forever";
        case 18:
            return "refuse";
        default:
            return "square";
    }
}

static int
task (zown_worker_t *worker, zown_task_t *task)
{
    (void) worker;
    int64_t index;
    if (zown_task_int64 (task, &index))
        return zown_task_fail (task, "input is not an int64");
    switch (index) {
        case 3:
            //  The default action: no handler (a sanitizer's, say) intervenes.
            signal (SIGSEGV, SIG_DFL);
            raise (SIGSEGV);
            break;
        case 7:
            signal (SIGABRT, SIG_DFL);
            abort ();
        case 11:
            _exit (3);
        case 15:
            while (true)
                pause ();
        case 18:
            return zown_task_fail (task, "input %lld is not welcome", (long long) index);
        default:
            return zown_task_return_int64 (task, index * index);
    }
    return zown_task_fail (task, "survived its crash");
}

int
main (void)
{
    zown_spawner_t *spawner = zown_spawner_new ();
    zown_pool_config_t config = {
        .workers = 3, .task = task, .spawner = spawner, .retries = 1, .task_timeout_ms = 1000
    };
    zown_pool_t *pool = spawner ? zown_pool_new (&config) : NULL;
    if (!pool) {
        fprintf (stderr, "pool_crash: %s\n", zown_strerror (zown_errno ()));
        return 1;
    }
    int64_t inputs [TASKS];
    zown_bytes_t bytes [TASKS];
    zown_future_t *futures [TASKS];
    for (int index = 0; index < TASKS; index++) {
        inputs [index] = index;
        bytes [index] = (zown_bytes_t){ &inputs [index], sizeof (int64_t) };
    }
    //  Returns -1 here: some tasks fail. Every future is set all the same.
    zown_pool_map (pool, bytes, TASKS, futures);
    int failed = 0;
    for (int index = 0; index < TASKS; index++) {
        int64_t square;
        if (zown_future_int64 (futures [index], &square) == 0)
            printf ("task %2d (%s): %lld\n", index, plan (index), (long long) square);
        else {
            printf ("task %2d (%s): %s: %s\n", index, plan (index),
                    zown_status_name (zown_future_status (futures [index])),
                    zown_future_error (futures [index]));
            failed++;
        }
        zown_future_destroy (&futures [index]);
    }
    zown_pool_stats_t stats;
    zown_pool_stats (pool, &stats);
    printf ("%d tasks: %d succeeded, %d failed; %llu workers died, %llu tasks retried, "
            "%llu timed out\n",
            TASKS, TASKS - failed, failed, (unsigned long long) stats.workers_died,
            (unsigned long long) stats.retried, (unsigned long long) stats.timed_out);
    zown_pool_join (pool, ZOWN_FOREVER);
    zown_pool_destroy (&pool);
    zown_spawner_destroy (&spawner);
    return 0;
}
