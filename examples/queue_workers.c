/*  =========================================================================
    queue_workers - a producer feeds a bounded joinable queue; 4 forked
    consumers, one of which is killed holding a job

    The JoinableQueue recipe, with a consumer that dies: the producer puts
    1,000 jobs into a joinable queue of at most 50; consumers get them,
    record the result and call task_done; the producer's join returns when
    every job is done. Consumer 0 starts first, takes job 0 and is
    SIGKILLed holding it, before it has recorded anything: the owner sees
    the death and job 0 goes back to the queue, where another consumer gets
    it, told by its delivery count that it is a second delivery. Every job
    is handled exactly once, which the example checks and prints.

    Usage: queue_workers [jobs [consumers]]
    =========================================================================
*/
#define _POSIX_C_SOURCE 200809L
#include <zown.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

//  Consumer 0 takes a job, tells the producer which (on `report`), and
//  waits to be killed.
static int
victim (const char *endpoint, int report)
{
    zown_client_t *client = zown_client_new (endpoint);
    zown_queue_t *jobs = zown_queue_new (client, "jobs");
    zown_datum_t job;
    if (zown_queue_get (jobs, 10000, &job))
        return 1;
    if (write (report, &job.u.i, sizeof (job.u.i)) != sizeof (job.u.i))
        return 1;
    while (1)
        pause ();
}

//  A consumer: handle jobs until the stop mark (nil).
static int
consumer (const char *endpoint, int number)
{
    zown_client_t *client = zown_client_new (endpoint);
    zown_queue_t *jobs = zown_queue_new (client, "jobs");
    zown_dict_t *results = zown_dict_new (client, "results");
    zown_dict_t *by_worker = zown_dict_new (client, "by_worker");
    zown_dict_t *redone = zown_dict_new (client, "redone");
    char me [32];
    snprintf (me, sizeof (me), "consumer %d", number);
    while (1) {
        zown_datum_t job;
        int64_t deliveries;
        if (zown_queue_get_lease (jobs, 10000, &job, NULL, &deliveries))
            return 1;
        if (job.tag == ZOWN_NIL) {
            zown_queue_task_done (jobs);
            break;
        }
        int64_t n = job.u.i;
        char key [32], note [64];
        snprintf (key, sizeof (key), "job %lld", (long long) n);
        //  A second delivery: whoever had it first ended without task_done.
        snprintf (note, sizeof (note), "%s (delivery %lld)", me, (long long) deliveries);
        if (deliveries > 1 && zown_dict_set (redone, key, zown_datum_str (note), NULL))
            return 1;
        //  set_if_absent: a job handled twice would be caught here.
        if (zown_dict_set_if_absent (results, key, zown_datum_int (n * n)) != 1
            || zown_dict_add (by_worker, me, zown_datum_int (1), NULL)
            || zown_queue_task_done (jobs))
            return 1;
    }
    zown_dict_destroy (&redone);
    zown_dict_destroy (&by_worker);
    zown_dict_destroy (&results);
    zown_queue_destroy (&jobs);
    zown_client_destroy (&client);
    return 0;
}

//  Prints a dict's pairs, "  key: value", each value a string or a number.
static void
print_dict (zown_client_t *client, const char *name, const char *separator)
{
    zown_dict_t *dict = zown_dict_new (client, name);
    zown_reply_t *items;
    if (zown_dict_items (dict, &items) == 0)
        for (size_t index = 0; index + 1 < zown_reply_count (items, 0); index += 2) {
            zown_datum_t key = zown_reply_value (items, 0, index);
            zown_datum_t value = zown_reply_value (items, 0, index + 1);
            printf ("  %.*s%s", (int) key.u.b.len, (const char *) key.u.b.ptr, separator);
            if (value.tag == ZOWN_BYTES)
                printf ("%.*s\n", (int) value.u.b.len, (const char *) value.u.b.ptr);
            else
                printf ("%lld jobs\n", (long long) value.u.i);
        }
    zown_dict_destroy (&dict);
}

//  Forks consumer `number` (0: the victim) to wait at its start gate
//  (docs/FORK.md): the victim's is gates [0], the others' gates [1]. The
//  producer opens a gate by closing its write end (a byte there sends the
//  consumer away instead). Only the victim keeps the write end of
//  `report`, so that the producer reads its end of file if the victim
//  fails.
static pid_t
spawn (const char *endpoint, int number, int gates [2][2], int report [2])
{
    fflush (stdout);
    pid_t pid = fork ();
    if (pid == 0) {
        char go;
        close (gates [0][1]);
        close (gates [1][1]);
        close (report [0]);
        if (number)
            close (report [1]);
        if (read (gates [number > 0][0], &go, 1) != 0)
            _exit (1);
        _exit (number ? consumer (endpoint, number) : victim (endpoint, report [1]));
    }
    return pid;
}

//  Reads which job the victim holds, kills it, and reaps it.
static int
kill_victim (pid_t victim, int report)
{
    int64_t job;
    int status;
    if (read (report, &job, sizeof (job)) != sizeof (job) || kill (victim, SIGKILL)
        || waitpid (victim, &status, 0) != victim || !WIFSIGNALED (status))
        return 1;
    printf ("consumer 0 was killed (SIGKILL) holding job %lld\n", (long long) job);
    return 0;
}

//  The producer: job 0 for the victim alone, which is killed holding it;
//  then the other consumers and jobs, a join, and a stop mark for each
//  consumer. 0 if all went as planned.
static int
produce (zown_queue_t *jobs, int total, int consumers, pid_t victim_pid, int gates [2][2],
         int report)
{
    close (gates [0][1]);
    int failed =
        zown_queue_put (jobs, zown_datum_int (0), 10000) != 0 || kill_victim (victim_pid, report);
    close (gates [1][1]);
    for (int n = 1; n < total && !failed; n++)
        failed = zown_queue_put (jobs, zown_datum_int (n), 10000) != 0;
    //  join: every job got and marked done, not merely taken off the queue.
    failed |= zown_queue_join (jobs, 60000) != 0;
    for (int number = 1; number < consumers; number++)
        failed |= zown_queue_put (jobs, ZOWN_NIL_DATUM, 10000) != 0;
    for (int number = 1; number < consumers; number++) {
        int status;
        if (wait (&status) < 0 || !WIFEXITED (status) || WEXITSTATUS (status))
            failed = 1;
    }
    return failed;
}

//  Prints what the consumers recorded: 0 if every job was handled once
//  and exactly one was redone.
static int
report_results (zown_client_t *client, int total)
{
    zown_dict_t *results = zown_dict_new (client, "results");
    zown_dict_t *redone = zown_dict_new (client, "redone");
    size_t handled = 0, redeliveries = 0;
    zown_dict_len (results, &handled);
    zown_dict_len (redone, &redeliveries);
    printf ("its job came back to the queue and was redone:\n");
    print_dict (client, "redone", " by ");
    printf ("%zu of %d jobs handled, each exactly once\n", handled, total);
    print_dict (client, "by_worker", ": ");
    zown_dict_destroy (&redone);
    zown_dict_destroy (&results);
    return handled != (size_t) total || redeliveries != 1;
}

int
main (int argc, char *argv [])
{
    int total = argc > 1 ? atoi (argv [1]) : 1000;
    int consumers = argc > 2 ? atoi (argv [2]) : 4;
    if (total < 1 || consumers < 2) {
        fprintf (stderr, "usage: queue_workers [jobs [consumers (at least 2)]]\n");
        return 2;
    }
    //  Consumers are forked first, before this process runs any thread
    //  (docs/FORK.md); they find the owner by its endpoint.
    char *endpoint = zown_owner_endpoint_for ("queue-workers-example");
    int gates [2][2], report [2];
    if (!endpoint || pipe (gates [0]) || pipe (gates [1]) || pipe (report)) {
        perror ("queue_workers: pipe");
        return 1;
    }
    pid_t victim_pid = spawn (endpoint, 0, gates, report);
    for (int number = 1; number < consumers; number++)
        spawn (endpoint, number, gates, report);
    close (report [1]);
    close (gates [0][0]);
    close (gates [1][0]);
    zown_owner_t *owner = zown_owner_new ("queue-workers-example");
    if (!owner) {
        fprintf (stderr, "queue_workers: cannot start owner: %s\n", zown_strerror (zown_errno ()));
        for (int number = 0; number < consumers; number++)
            if (write (gates [number > 0][1], "x", 1) != 1)
                break;
        return 1;
    }
    zown_client_t *client = zown_client_new (zown_owner_inproc (owner));
    zown_queue_t *jobs = zown_queue_new (client, "jobs");
    int failed = zown_queue_init_joinable (jobs, 50, 0) != 1
        || produce (jobs, total, consumers, victim_pid, gates, report [0]);
    failed |= report_results (client, total);
    zown_queue_destroy (&jobs);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
    free (endpoint);
    return failed;
}
