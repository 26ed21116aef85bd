/*  =========================================================================
    lock_recovery - a lock holder is killed; the next holder finds out

    With Python's Manager().Lock(), a holder killed with SIGKILL leaves the
    lock held forever and every other worker hangs. Here a worker takes the
    lock, starts a two-step update of a shared ledger, and is killed between
    the steps. The owner sees the death at once; the waiting worker gets the
    lock with a flag saying the previous holder died holding it, and repairs
    the ledger before going on.
    =========================================================================
*/
#define _POSIX_C_SOURCE 200809L
#include <zown.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double
now_seconds (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (double) now.tv_sec + now.tv_nsec / 1e9;
}

//  The doomed worker: takes the lock, does half an update, says so, waits.
static int
doomed_worker (const char *endpoint, int ready)
{
    zown_client_t *client = zown_client_new (endpoint);
    zown_lock_t *lock = zown_lock_new (client, "ledger-lock");
    zown_dict_t *ledger = zown_dict_new (client, "ledger");
    if (zown_lock_acquire (lock, 5000, NULL))
        return 1;
    //  Step 1 of 2: debit alice. Step 2 (credit bob) never happens.
    zown_dict_add (ledger, "alice", zown_datum_int (-30), NULL);
    zown_dict_set (ledger, "pending", ZOWN_STR ("credit bob 30"), NULL);
    if (write (ready, "x", 1) != 1)
        return 1;
    while (1)
        pause ();
}

int
main (void)
{
    zown_owner_t *owner = zown_owner_new ("lock-recovery-example");
    if (!owner) {
        fprintf (stderr, "lock_recovery: cannot start owner: %s\n", zown_strerror (zown_errno ()));
        return 1;
    }
    zown_client_t *client = zown_client_new (zown_owner_inproc (owner));
    zown_dict_t *ledger = zown_dict_new (client, "ledger");
    const char *keys [] = { "alice", "bob" };
    zown_datum_t values [] = { zown_datum_int (100), zown_datum_int (0) };
    zown_dict_update (ledger, 2, keys, values);

    int ready [2];
    if (pipe (ready)) {
        perror ("lock_recovery: pipe");
        return 1;
    }
    fflush (stdout);
    pid_t doomed = fork ();
    if (doomed == 0)
        _exit (doomed_worker (zown_owner_ipc (owner), ready [1]));
    char byte;
    if (read (ready [0], &byte, 1) != 1) {
        fprintf (stderr, "lock_recovery: the worker did not start\n");
        return 1;
    }
    printf ("worker %d holds the lock, half-way through a transfer\n", (int) doomed);

    //  Kill it, then take the lock as the next worker would.
    double killed = now_seconds ();
    kill (doomed, SIGKILL);
    waitpid (doomed, NULL, 0);
    printf ("worker %d killed (SIGKILL)\n", (int) doomed);
    zown_lock_t *lock = zown_lock_new (client, "ledger-lock");
    bool holder_died = false;
    if (zown_lock_acquire (lock, 5000, &holder_died)) {
        fprintf (stderr, "lock_recovery: acquire: %s\n", zown_strerror (zown_errno ()));
        return 1;
    }
    printf ("lock acquired %.1f ms after the kill; previous holder died holding it: %s\n",
            (now_seconds () - killed) * 1000, holder_died ? "yes" : "no");
    int failed = !holder_died;
    zown_datum_t pending;
    if (holder_died && zown_dict_get (ledger, "pending", &pending, NULL) == 0) {
        //  Repair: finish the recorded half of the transfer.
        zown_dict_add (ledger, "bob", zown_datum_int (30), NULL);
        zown_dict_delete (ledger, "pending");
        printf ("repaired the half-done transfer\n");
    }
    zown_datum_t alice, bob;
    zown_dict_get (ledger, "alice", &alice, NULL);
    zown_dict_get (ledger, "bob", &bob, NULL);
    printf ("ledger: alice=%lld bob=%lld (total %lld)\n", (long long) alice.u.i,
            (long long) bob.u.i, (long long) (alice.u.i + bob.u.i));
    failed |= alice.u.i + bob.u.i != 100;
    zown_lock_release (lock);
    zown_lock_destroy (&lock);
    zown_dict_destroy (&ledger);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
    return failed;
}
