/*  =========================================================================
    job_queue - a joinable queue of 10,000 jobs and 4 consumer processes,
    one of which is SIGKILLed holding a job

    The producer puts the jobs in one bulk call (zown_queue_put_many splits
    them into requests of 1,024 puts). The queue is joinable: each job got
    is leased to its taker until task_done. Consumer 0 takes job 0, says which (on the queue "held")
    and waits; the producer kills it (SIGKILL). The owner sees the death
    and gives job 0 back to the queue, where another consumer takes it
    and does it: nothing to put again by hand, and join stays exact. Every
    job is done exactly once, which the dict "done" shows. Consumers are
    forked by the fork server, started first while this process has one
    thread, and reach the owner (which has no name of its own) by its ipc
    endpoint. Python's version is examples/python/job_queue.py.

    Usage: job_queue [jobs]
    =========================================================================
*/
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zown.h>

//  Takes jobs until a stop mark (nil), counting each in "done"; the victim
//  stops at its first job.
static int
consumer (void *victim, const void *endpoint, size_t size)
{
    (void) size;
    zown_client_t *client = zown_client_new (endpoint);
    zown_queue_t *jobs = zown_queue_new (client, "jobs");
    int64_t job;
    char key [24];
    while (zown_queue_get_int (jobs, ZOWN_FOREVER, &job) == 0) {
        if (victim && zown_put_int (client, "held", job) == 0)
            pause ();
        snprintf (key, sizeof (key), "%lld", (long long) job);
        if (zown_hincr (client, "done", key, 1, NULL) || zown_queue_task_done (jobs))
            break;
    }
    zown_queue_task_done (jobs);
    zown_queue_destroy (&jobs);
    zown_client_destroy (&client);
    return 0;
}

int
main (int argc, char *argv [])
{
    int total = argc > 1 ? atoi (argv [1]) : 10000;
    zown_spawner_t *spawner = zown_spawner_new ();
    zown_owner_t *owner = zown_owner_new (NULL);
    zown_client_t *client = zown_client_new (owner ? zown_owner_inproc (owner) : NULL);
    zown_queue_t *jobs = zown_queue_new (client, "jobs");
    if (!spawner || zown_queue_init_joinable (jobs, 0, 0) != 1) {
        fprintf (stderr, "job_queue: %s\n", zown_client_error (client, NULL));
        return 1;
    }
    const char *endpoint = zown_owner_ipc (owner);
    pid_t victim =
        zown_spawner_spawn (spawner, consumer, "victim", endpoint, strlen (endpoint) + 1);
    int64_t lost = -1;
    zown_put_int (client, "jobs", 0);
    zown_take_int (client, "held", ZOWN_FOREVER, &lost);
    zown_spawner_kill (spawner, victim, SIGKILL);
    printf ("consumer 0 was killed (SIGKILL) holding job %lld\n", (long long) lost);
    for (int number = 1; number < 4; number++)
        zown_spawner_spawn (spawner, consumer, NULL, endpoint, strlen (endpoint) + 1);
    //  The other jobs in one bulk call (in requests of 1,024 puts).
    zown_datum_t *rest = calloc (total, sizeof (zown_datum_t));
    for (int job = 1; rest && job < total; job++)
        rest [job - 1] = zown_datum_int (job);
    if (total > 1 && zown_queue_put_many (jobs, total - 1, rest))
        fprintf (stderr, "job_queue: %s\n", zown_client_error (client, NULL));
    free (rest);
    zown_queue_join (jobs, ZOWN_FOREVER);
    for (int number = 1; number < 4; number++)
        zown_queue_put (jobs, ZOWN_NIL_DATUM, ZOWN_FOREVER);
    while (zown_spawner_children (spawner))
        zown_spawner_wait (spawner, ZOWN_FOREVER, NULL, NULL);
    zown_items_t *done = zown_hgetall (client, "done");
    int once = 0;
    while (zown_items_next (done))
        once += zown_items_int (done) == 1;
    printf ("%d of %d jobs done, each exactly once: %s\n", once, total,
            once == total ? "yes" : "no");
    zown_items_destroy (&done);
    zown_queue_destroy (&jobs);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
    zown_spawner_destroy (&spawner);
    return once != total;
}
