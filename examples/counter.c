/*  =========================================================================
    counter - 5 workers x 1000 increments == 5000, with no lock

    Python's recipe needs Value + Lock, and forgets the lock at its peril.
    Here an increment is one message to the owner, which applies it
    atomically. Run twice: forked processes over ipc, then threads over
    inproc.

    Usage: counter [workers [increments]]
    =========================================================================
*/
#define _POSIX_C_SOURCE 200809L
#include <zown.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    const char *endpoint;  //  Owner endpoint to connect to
    int increments;        //  Adds to make
    int failures;          //  Adds that failed
} worker_t;

static double
now_seconds (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (double) now.tv_sec + now.tv_nsec / 1e9;
}

//  One worker: its own client (never one inherited through fork), then
//  `increments` atomic adds.
static void *
worker (void *args)
{
    worker_t *self = (worker_t *) args;
    zown_client_t *client = zown_client_new (self->endpoint);
    zown_value_t *counter = zown_value_new (client, "counter");
    for (int count = 0; count < self->increments; count++)
        if (zown_value_add (counter, 1, NULL))
            self->failures++;
    if (!client || !counter)
        self->failures = self->increments;
    zown_value_destroy (&counter);
    zown_client_destroy (&client);
    return NULL;
}

static int
report (zown_client_t *client, const char *how, int expected, double started)
{
    zown_value_t *counter = zown_value_new (client, "counter");
    int64_t total = -1;
    if (zown_value_get (counter, &total))
        fprintf (stderr, "counter: get failed: %s\n", zown_strerror (zown_errno ()));
    printf ("%-28s counter = %lld (expected %d) in %.3f s\n", how, (long long) total, expected,
            now_seconds () - started);
    zown_value_set (counter, 0);
    zown_value_destroy (&counter);
    return total == expected ? 0 : 1;
}

int
main (int argc, char *argv [])
{
    int workers = argc > 1 ? atoi (argv [1]) : 5;
    int increments = argc > 2 ? atoi (argv [2]) : 1000;
    if (workers < 1 || increments < 1) {
        fprintf (stderr, "usage: counter [workers [increments]]\n");
        return 2;
    }
    //  Forked processes over ipc. The workers are forked first, before this
    //  process starts any thread (the cleanest fork point, docs/FORK.md), and
    //  wait at a start gate (a pipe) until the owner runs; they find it by
    //  its endpoint, known before it starts.
    char *endpoint = zown_owner_endpoint_for ("counter-example");
    if (!endpoint) {
        fprintf (stderr, "counter: %s\n", zown_strerror (zown_errno ()));
        return 1;
    }
    int failed = 0;
    int gate [2];
    if (pipe (gate)) {
        perror ("counter: pipe");
        return 1;
    }
    fflush (stdout);
    for (int index = 0; index < workers; index++) {
        pid_t pid = fork ();
        if (pid == 0) {
            char go;
            close (gate [1]);
            if (read (gate [0], &go, 1) != 0)  //  0: the parent closed the gate
                _exit (1);
            worker_t self = { endpoint, increments, 0 };
            worker (&self);
            _exit (self.failures ? 1 : 0);
        }
        if (pid < 0)
            failed = 1;
    }
    zown_owner_t *owner = zown_owner_new ("counter-example");
    if (!owner)
        fprintf (stderr, "counter: cannot start owner: %s\n", zown_strerror (zown_errno ()));
    zown_client_t *client = owner ? zown_client_new (zown_owner_inproc (owner)) : NULL;
    double started = now_seconds ();
    close (gate [1]);  //  Go
    close (gate [0]);
    for (int index = 0; index < workers; index++) {
        int status;
        if (wait (&status) < 0 || !WIFEXITED (status) || WEXITSTATUS (status))
            failed = 1;
    }
    free (endpoint);
    if (!owner)
        return 1;
    char how [64];
    snprintf (how, sizeof (how), "%d processes x %d (ipc):", workers, increments);
    failed |= report (client, how, workers * increments, started);

    //  Threads over inproc
    started = now_seconds ();
    pthread_t threads [workers];
    worker_t states [workers];
    for (int index = 0; index < workers; index++) {
        states [index] = (worker_t){ zown_owner_inproc (owner), increments, 0 };
        pthread_create (&threads [index], NULL, worker, &states [index]);
    }
    for (int index = 0; index < workers; index++) {
        pthread_join (threads [index], NULL);
        failed |= states [index].failures != 0;
    }
    snprintf (how, sizeof (how), "%d threads x %d (inproc):", workers, increments);
    failed |= report (client, how, workers * increments, started);

    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
    return failed;
}
