/*  =========================================================================
    barrier_phases - forked workers step through phases in lockstep

    Each of 3 workers does 4 phases of work; a barrier keeps them together,
    so no worker starts phase p+1 before every worker has finished phase p.
    Each logs (phase, worker) in a shared list as it finishes a phase; the
    parent prints the log and checks that the phases never interleave.

    Usage: barrier_phases [workers [phases]]
    =========================================================================
*/
#define _POSIX_C_SOURCE 200809L
#include <zown.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static int
worker (const char *endpoint, int number, int phases)
{
    zown_client_t *client = zown_client_new (endpoint);
    zown_barrier_t *barrier = zown_barrier_new (client, "step");
    zown_list_t *log = zown_list_new (client, "log");
    for (int phase = 0; phase < phases; phase++) {
        //  The phase's work would go here; then log it, and wait for the rest.
        if (zown_list_append (log, zown_datum_int ((int64_t) phase * 1000 + number), NULL)
            || zown_barrier_wait (barrier, 10000, NULL)) {
            fprintf (stderr, "barrier_phases: worker %d, phase %d: %s\n", number, phase,
                     zown_strerror (zown_errno ()));
            return 1;
        }
    }
    zown_list_destroy (&log);
    zown_barrier_destroy (&barrier);
    zown_client_destroy (&client);
    return 0;
}

int
main (int argc, char *argv [])
{
    int workers = argc > 1 ? atoi (argv [1]) : 3;
    int phases = argc > 2 ? atoi (argv [2]) : 4;
    if (workers < 1 || phases < 1) {
        fprintf (stderr, "usage: barrier_phases [workers [phases]]\n");
        return 2;
    }
    zown_owner_t *owner = zown_owner_new ("barrier-phases-example");
    if (!owner) {
        fprintf (stderr, "barrier_phases: cannot start owner: %s\n", zown_strerror (zown_errno ()));
        return 1;
    }
    zown_client_t *client = zown_client_new (zown_owner_inproc (owner));
    zown_barrier_t *barrier = zown_barrier_new (client, "step");
    zown_barrier_init (barrier, (size_t) workers);

    //  Workers are forked first, behind a start gate (docs/FORK.md).
    int gate [2];
    if (pipe (gate)) {
        perror ("barrier_phases: pipe");
        return 1;
    }
    fflush (stdout);
    for (int number = 0; number < workers; number++)
        if (fork () == 0) {
            char go;
            close (gate [1]);
            if (read (gate [0], &go, 1) != 0)
                _exit (1);
            _exit (worker (zown_owner_ipc (owner), number, phases));
        }
    close (gate [1]);
    close (gate [0]);
    int failed = 0;
    for (int number = 0; number < workers; number++) {
        int status;
        if (wait (&status) < 0 || !WIFEXITED (status) || WEXITSTATUS (status))
            failed = 1;
    }

    zown_list_t *log = zown_list_new (client, "log");
    zown_reply_t *entries;
    if (zown_list_range (log, 0, INT64_MAX, &entries)) {
        fprintf (stderr, "barrier_phases: %s\n", zown_strerror (zown_errno ()));
        return 1;
    }
    size_t count = zown_reply_count (entries, 0);
    int64_t last_phase = 0;
    for (size_t index = 0; index < count; index++) {
        int64_t entry = zown_reply_value (entries, 0, index).u.i;
        printf ("  phase %lld done by worker %lld\n", (long long) (entry / 1000),
                (long long) (entry % 1000));
        //  Lockstep: the log never goes back to an earlier phase.
        failed |= entry / 1000 < last_phase;
        last_phase = entry / 1000;
    }
    failed |= count != (size_t) workers * (size_t) phases;
    printf ("%zu steps by %d workers over %d phases, %s\n", count, workers, phases,
            failed ? "NOT in lockstep" : "in lockstep");
    zown_list_destroy (&log);
    zown_barrier_destroy (&barrier);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
    return failed;
}
