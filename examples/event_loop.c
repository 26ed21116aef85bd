/*  =========================================================================
    event_loop - a zown client inside an application's poll() loop

    The loop watches two things: the client's descriptor (zown_client_fd)
    and a timer of its own (a timerfd ticking every 10 ms), as a program
    that also serves sockets, pipes or a terminal would. It keeps up to 100
    increments of a shared counter in flight (pipelining), collects replies
    with zown_client_step, never blocking, and prints on each tick how far
    it got. The descriptor is edge-triggered (ZeroMQ's ZMQ_FD): after each
    send, and whenever it polls readable, step until nothing is left.

    Usage: event_loop [increments]
    =========================================================================
*/
#define _POSIX_C_SOURCE 200809L
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <zown.h>

#define IN_FLIGHT 100

//  Collects every reply there now; returns how many, or -1 on a failure.
static int
collect (zown_client_t *client, int64_t *last)
{
    zown_reply_t *reply;
    int got = 0, rc;
    while ((rc = zown_client_step (client, &reply)) == 1) {
        if (zown_reply_status (reply) != ZOWN_OK)
            return -1;
        zown_datum_to_int (zown_reply_value (reply, 0, 0), last);
        got++;
    }
    return rc < 0 ? -1 : got;
}

int
main (int argc, char *argv [])
{
    int total = argc > 1 ? atoi (argv [1]) : 10000, sent = 0, done = 0, ticks = 0;
    zown_owner_t *owner = zown_owner_new (NULL);
    zown_client_t *client = zown_client_new (owner ? zown_owner_inproc (owner) : NULL);
    zown_request_t *increment = zown_request_new ();
    int timer = timerfd_create (CLOCK_MONOTONIC, TFD_NONBLOCK);
    struct itimerspec every_10ms = { { 0, 10000000 }, { 0, 10000000 } };
    if (!client || !increment || timer < 0 || timerfd_settime (timer, 0, &every_10ms, NULL)
        || zown_request_add (increment, ZOWN_OP_VALUE_ADD, "counter", 1,
                             (zown_datum_t []){ zown_datum_int (1) })) {
        fprintf (stderr, "event_loop: %s\n", zown_client_error (client, NULL));
        return 1;
    }
    int64_t counter = 0;
    struct pollfd items [2] = { { zown_client_fd (client), POLLIN, 0 }, { timer, POLLIN, 0 } };
    while (done < total) {
        while (sent < total && sent - done < IN_FLIGHT
               && zown_client_send (client, increment, NULL) == 0)
            sent++;
        int got = collect (client, &counter);
        if (got < 0) {
            fprintf (stderr, "event_loop: %s\n", zown_client_error (client, NULL));
            break;
        }
        done += got;
        if (got || done == total)
            continue;
        if (poll (items, 2, -1) < 0)
            break;
        uint64_t expirations;
        if ((items [1].revents & POLLIN) && read (timer, &expirations, sizeof (expirations)) > 0)
            printf ("tick %d: %d of %d increments done\n", ++ticks, done, total);
    }
    printf ("counter = %lld after %d increments, %d in flight at most\n", (long long) counter, done,
            IN_FLIGHT);
    close (timer);
    zown_request_destroy (&increment);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
    return done != total || counter != total;
}
