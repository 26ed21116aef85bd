/*  =========================================================================
    queue_workers - a producer feeds a bounded queue; 4 forked consumers

    The JoinableQueue recipe: the producer puts 1,000 jobs into a queue of
    at most 50; consumers get them, record the result and call task_done;
    the producer's join returns when every job is done. Every job is
    handled exactly once, which the example checks and prints.

    Usage: queue_workers [jobs [consumers]]
    =========================================================================
*/
#define _POSIX_C_SOURCE 200809L
#include <zown.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

//  A consumer: handle jobs until the stop mark (nil).
static int
consumer (const char *endpoint, int number)
{
    zown_client_t *client = zown_client_new (endpoint);
    zown_queue_t *jobs = zown_queue_new (client, "jobs");
    zown_dict_t *results = zown_dict_new (client, "results");
    zown_dict_t *by_worker = zown_dict_new (client, "by_worker");
    char me [32];
    snprintf (me, sizeof (me), "consumer %d", number);
    while (1) {
        zown_datum_t job;
        if (zown_queue_get (jobs, 10000, &job))
            return 1;
        if (job.tag == ZOWN_NIL)
            break;
        int64_t n = job.u.i;
        char key [32];
        snprintf (key, sizeof (key), "job %lld", (long long) n);
        //  set_if_absent: a job handled twice would be caught here.
        if (zown_dict_set_if_absent (results, key, zown_datum_int (n * n)) != 1
            || zown_dict_add (by_worker, me, zown_datum_int (1), NULL)
            || zown_queue_task_done (jobs))
            return 1;
    }
    zown_dict_destroy (&by_worker);
    zown_dict_destroy (&results);
    zown_queue_destroy (&jobs);
    zown_client_destroy (&client);
    return 0;
}

int
main (int argc, char *argv [])
{
    int total = argc > 1 ? atoi (argv [1]) : 1000;
    int consumers = argc > 2 ? atoi (argv [2]) : 4;
    if (total < 1 || consumers < 1) {
        fprintf (stderr, "usage: queue_workers [jobs [consumers]]\n");
        return 2;
    }
    zown_owner_t *owner = zown_owner_new ("queue-workers-example");
    if (!owner) {
        fprintf (stderr, "queue_workers: cannot start owner: %s\n", zown_strerror (zown_errno ()));
        return 1;
    }
    zown_client_t *client = zown_client_new (zown_owner_inproc (owner));
    zown_queue_t *jobs = zown_queue_new (client, "jobs");
    zown_queue_init (jobs, 50);

    //  Consumers are forked first, behind a start gate (docs/FORK.md).
    int gate [2];
    if (pipe (gate)) {
        perror ("queue_workers: pipe");
        return 1;
    }
    fflush (stdout);
    for (int number = 0; number < consumers; number++) {
        pid_t pid = fork ();
        if (pid == 0) {
            char go;
            close (gate [1]);
            if (read (gate [0], &go, 1) != 0)
                _exit (1);
            _exit (consumer (zown_owner_ipc (owner), number));
        }
    }
    close (gate [1]);
    close (gate [0]);

    int failed = 0;
    for (int n = 0; n < total && !failed; n++)
        failed = zown_queue_put (jobs, zown_datum_int (n), 10000) != 0;
    //  join: every job got and marked done, not merely taken off the queue.
    failed |= zown_queue_join (jobs, 60000) != 0;
    for (int number = 0; number < consumers; number++)
        failed |= zown_queue_put (jobs, ZOWN_NIL_DATUM, 10000) != 0;
    for (int number = 0; number < consumers; number++) {
        int status;
        if (wait (&status) < 0 || !WIFEXITED (status) || WEXITSTATUS (status))
            failed = 1;
    }

    zown_dict_t *results = zown_dict_new (client, "results");
    zown_dict_t *by_worker = zown_dict_new (client, "by_worker");
    size_t handled = 0;
    zown_dict_len (results, &handled);
    printf ("%zu of %d jobs handled, each exactly once\n", handled, total);
    zown_reply_t *items;
    if (zown_dict_items (by_worker, &items) == 0)
        for (size_t index = 0; index + 1 < zown_reply_count (items, 0); index += 2) {
            zown_datum_t name = zown_reply_value (items, 0, index);
            printf ("  %.*s: %lld jobs\n", (int) name.u.b.len, (const char *) name.u.b.ptr,
                    (long long) zown_reply_value (items, 0, index + 1).u.i);
        }
    failed |= handled != (size_t) total;
    zown_dict_destroy (&by_worker);
    zown_dict_destroy (&results);
    zown_queue_destroy (&jobs);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
    return failed;
}
