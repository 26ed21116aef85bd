/*  =========================================================================
    pool_map - count the primes below a limit with a pool of processes

    Python's recipe is `Pool(n).map(count_primes, ranges)`. Here each task
    is one range [start, start + chunk), given as an int64; each worker
    counts the primes in it, returns the count, and also adds it to a
    counter held by an owner, so the total is known to every process while
    the map runs. The map runs twice, with one worker and with N, to show
    the speed-up.

    The fork server starts first, while this process has one thread: every
    worker is forked from it, never from a process running ZeroMQ threads.

    Ctrl-C cancels the map: SIGINT is blocked in every thread (and so in the
    fork server and the workers, which inherit the mask), and a thread of
    its own waits for it and calls zown_pool_cancel. The ranges running
    then finish (or are stopped after the pool's stop timeout), the others
    are cancelled, the map returns, and the program says how far it got.

    Usage: pool_map [--limit N] [--chunk N] [--workers N]
    =========================================================================
*/
#define _POSIX_C_SOURCE 200809L
#include <zown.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

//  Set from the command line before the fork server starts: workers
//  inherit them, as globals of a forked process.
static int64_t limit = 2000000;
static int64_t chunk = 10000;

//  The pool a SIGINT cancels, and whether one came; the signal thread and
//  main share them under the lock.
static pthread_mutex_t interrupt_lock = PTHREAD_MUTEX_INITIALIZER;
static zown_pool_t *interruptible;
static bool interrupted;

//  Waits for SIGINT (blocked in every thread, so it comes here) and
//  cancels the pool mapping at the time. zown_pool_cancel is also safe in
//  a signal handler; a thread lets the program lock around the pool.
static void *
wait_for_interrupt (void *arg)
{
    sigset_t *signals = arg;
    int signal_number;
    while (sigwait (signals, &signal_number) == 0) {
        pthread_mutex_lock (&interrupt_lock);
        interrupted = true;
        zown_pool_cancel (interruptible);
        pthread_mutex_unlock (&interrupt_lock);
    }
    return NULL;
}

//  Make a pool the one SIGINT cancels (NULL: none), at once if one came.
static void
set_interruptible (zown_pool_t *pool)
{
    pthread_mutex_lock (&interrupt_lock);
    interruptible = pool;
    if (interrupted)
        zown_pool_cancel (pool);
    pthread_mutex_unlock (&interrupt_lock);
}

static double
now_seconds (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (double) now.tv_sec + now.tv_nsec / 1e9;
}

static bool
is_prime (int64_t number)
{
    if (number < 2)
        return false;
    if (number % 2 == 0)
        return number == 2;
    for (int64_t divisor = 3; divisor * divisor <= number; divisor += 2)
        if (number % divisor == 0)
            return false;
    return true;
}

//  One task: the primes in [start, start + chunk), below the limit.
static int
count_primes (zown_worker_t *worker, zown_task_t *task)
{
    int64_t start;
    if (zown_task_int64 (task, &start))
        return zown_task_fail (task, "input is not an int64");
    int64_t count = 0;
    for (int64_t number = start; number < start + chunk && number < limit; number++)
        count += is_prime (number);
    zown_value_t *total = zown_value_new (zown_worker_client (worker), "primes");
    int rc = zown_value_add (total, count, NULL);
    zown_value_destroy (&total);
    if (rc)
        return zown_task_fail (task, "owner: %s", zown_strerror (zown_errno ()));
    return zown_task_return_int64 (task, count);
}

//  Add up the counts of a map's futures, and destroy them. Returns the
//  prime count, -1 if a range failed, -2 if the map was cancelled (its
//  futures are then cancelled, or all NULL if it was cancelled before it
//  started: map_status says ZOWN_CLOSED).
static int64_t
tally (zown_future_t **futures, size_t ranges, int map_status)
{
    int64_t primes = 0;
    size_t done = 0, cancelled = 0, failed = 0;
    for (size_t index = 0; index < ranges; index++) {
        int status = futures [index] ? zown_future_status (futures [index]) : map_status;
        int64_t count;
        if (status == ZOWN_OK && zown_future_int64 (futures [index], &count) == 0) {
            primes += count;
            done++;
        } else if (status == ZOWN_CANCELLED || status == ZOWN_CLOSED)
            cancelled++;
        else {
            fprintf (stderr, "pool_map: range %zu: %s\n", index,
                     futures [index] ? zown_future_error (futures [index])
                                     : zown_strerror (status));
            failed++;
        }
        zown_future_destroy (&futures [index]);
    }
    if (cancelled)
        printf ("interrupted: %zu of %zu ranges done, the rest cancelled\n", done, ranges);
    return failed ? -1 : cancelled ? -2 : primes;
}

//  Map over every range with `workers` workers; returns the prime count
//  from the results (-1 on failure, -2 when interrupted) and sets
//  *seconds_p.
static int64_t
run (zown_spawner_t *spawner, zown_owner_t *owner, size_t workers, const int64_t *starts,
     size_t ranges, double *seconds_p)
{
    //  Ranges take milliseconds each, and longer as numbers grow: one at a
    //  time per worker, so the last ones do not queue behind a slow one.
    zown_pool_config_t config = { .workers = workers,
                                  .prefetch = 1,
                                  .task = count_primes,
                                  .owner = zown_owner_ipc (owner),
                                  .spawner = spawner };
    zown_pool_t *pool = zown_pool_new (&config);
    if (!pool) {
        fprintf (stderr, "pool_map: pool: %s\n", zown_strerror (zown_errno ()));
        return -1;
    }
    zown_bytes_t *inputs = calloc (ranges, sizeof (zown_bytes_t));
    zown_future_t **futures = calloc (ranges, sizeof (zown_future_t *));
    int64_t primes = -1;
    if (inputs && futures) {
        for (size_t index = 0; index < ranges; index++)
            inputs [index] = (zown_bytes_t){ &starts [index], sizeof (int64_t) };
        printf ("mapping %zu ranges on %zu worker%s (Ctrl-C cancels)\n", ranges, workers,
                workers == 1 ? "" : "s");
        fflush (stdout);
        set_interruptible (pool);
        double started = now_seconds ();
        int rc = zown_pool_map (pool, inputs, ranges, futures);
        *seconds_p = now_seconds () - started;
        set_interruptible (NULL);
        primes = tally (futures, ranges, rc ? zown_errno () : ZOWN_OK);
    }
    zown_pool_join (pool, ZOWN_FOREVER);
    zown_pool_destroy (&pool);
    free (inputs);
    free (futures);
    return primes;
}

static int
usage (void)
{
    fprintf (stderr, "usage: pool_map [--limit N] [--chunk N] [--workers N]\n");
    return 2;
}

int
main (int argc, char *argv [])
{
    long workers = sysconf (_SC_NPROCESSORS_ONLN);
    //  Options come in pairs: --name value.
    for (int arg = 1; arg < argc; arg += 2) {
        char *end = NULL;
        long long number = arg + 1 < argc ? strtoll (argv [arg + 1], &end, 10) : 0;
        if (!end || *end || number <= 0)
            return usage ();
        if (!strcmp (argv [arg], "--limit"))
            limit = number;
        else if (!strcmp (argv [arg], "--chunk"))
            chunk = number;
        else if (!strcmp (argv [arg], "--workers"))
            workers = number;
        else
            return usage ();
    }
    //  SIGINT blocked before any thread or process starts: all inherit it.
    sigset_t signals;
    sigemptyset (&signals);
    sigaddset (&signals, SIGINT);
    pthread_sigmask (SIG_BLOCK, &signals, NULL);
    //  First, while this process runs one thread.
    zown_spawner_t *spawner = zown_spawner_new ();
    pthread_t waiter;
    if (spawner && pthread_create (&waiter, NULL, wait_for_interrupt, &signals) == 0)
        pthread_detach (waiter);
    zown_owner_t *owner = zown_owner_new ("pool-map");
    zown_client_t *client = owner ? zown_client_new (zown_owner_inproc (owner)) : NULL;
    zown_value_t *total = zown_value_new (client, "primes");
    if (!spawner || !total) {
        fprintf (stderr, "pool_map: %s\n", zown_strerror (zown_errno ()));
        return 1;
    }
    size_t ranges = (size_t) ((limit + chunk - 1) / chunk);
    int64_t *starts = calloc (ranges, sizeof (int64_t));
    for (size_t index = 0; index < ranges; index++)
        starts [index] = (int64_t) index * chunk;

    double one_second = 0, many_seconds = 0;
    int64_t one = run (spawner, owner, 1, starts, ranges, &one_second);
    int64_t many =
        one == -2 ? -2 : run (spawner, owner, (size_t) workers, starts, ranges, &many_seconds);
    int64_t counted = 0;
    zown_value_get (total, &counted);
    int status = 0;
    if (one == -2 || many == -2)
        status = 130;  //  As a shell reports a program ended by SIGINT
    else if (one < 0 || many < 0 || one != many || counted != 2 * one) {
        fprintf (stderr, "pool_map: results differ: %lld, %lld, owner %lld\n", (long long) one,
                 (long long) many, (long long) counted);
        status = 1;
    } else {
        printf ("primes below %lld: %lld (%zu ranges of %lld)\n", (long long) limit,
                (long long) many, ranges, (long long) chunk);
        printf ("owner's running total matches: %lld over both runs\n", (long long) counted);
        printf ("1 worker: %.3f s; %ld workers: %.3f s; speed-up %.2fx\n", one_second, workers,
                many_seconds, one_second / many_seconds);
    }
    free (starts);
    zown_value_destroy (&total);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
    zown_spawner_destroy (&spawner);
    return status;
}
