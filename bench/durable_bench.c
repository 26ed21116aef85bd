/*  =========================================================================
    durable_bench - write throughput of an owner with a journal, per fsync
    mode, beside the same owner without one, in the same run

    One client (this process, another thread than the owner) makes VALUE_ADD
    writes over ipc: round trips (one in flight) and pipelined (a window of
    1000). Each (mode, pattern) cell runs --repeat times, interleaved, and
    the table reports medians and the ratio to no persistence. The journal
    lives in --dir (default: a fresh directory under /tmp, on this machine's
    disk), and peak RSS is this process's (the owner runs in it).

    Usage: durable_bench [--repeat R] [--ops N] [--pipelined N] [--dir DIR]
                         [--quick]
    =========================================================================
*/
#define _GNU_SOURCE
#include <zown.h>
#include "benchutil.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define WINDOW 1000
#define MODES  4

static const char *s_mode_names [MODES] = { "none", "always", "everysec", "no" };

//  Ops per second of `ops` adds, round trips or pipelined; -1 on failure.
static double
s_run (zown_client_t *client, long ops, bool pipelined)
{
    zown_request_t *request = zown_request_new ();
    zown_datum_t one = zown_datum_int (1);
    zown_request_add (request, ZOWN_OP_VALUE_ADD, "counter", 1, &one);
    zown_reply_t *reply;
    int64_t started = bench_now_ns ();
    long sent = 0, received = 0;
    while (received < ops) {
        if (!pipelined) {
            if (zown_client_call (client, request, &reply))
                break;
            received++;
        } else if (sent < ops && zown_client_pending (client) < WINDOW) {
            if (zown_client_send (client, request, NULL))
                break;
            sent++;
        } else {
            if (zown_client_recv (client, &reply) || zown_reply_status (reply) != ZOWN_OK)
                break;
            received++;
        }
    }
    double seconds = (double) (bench_now_ns () - started) / 1e9;
    zown_request_destroy (&request);
    if (received < ops) {
        fprintf (stderr, "durable_bench: write %ld failed: %s\n", received,
                 zown_strerror (zown_errno ()));
        return -1;
    }
    return (double) ops / seconds;
}

static double
s_cell (const char *dir, int mode, long ops, bool pipelined, int round)
{
    char journal [600];
    snprintf (journal, sizeof (journal), "%s/bench-%d-%d-%d.log", dir, mode, pipelined, round);
    zown_owner_options_t options = { .data = mode ? journal : NULL,
                                     .fsync = (zown_fsync_t) (mode ? mode - 1 : 0) };
    char name [64];
    snprintf (name, sizeof (name), "durable-bench-%d", (int) getpid ());
    zown_owner_t *owner = zown_owner_new_with (name, &options);
    zown_client_t *client = owner ? zown_client_new (zown_owner_ipc (owner)) : NULL;
    double rate = -1;
    if (client && zown_client_set_window (client, WINDOW) == 0 && zown_client_ping (client) == 0)
        rate = s_run (client, ops, pipelined);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
    char other [700];
    snprintf (other, sizeof (other), "%s.snap", journal);
    unlink (journal);
    unlink (other);
    snprintf (other, sizeof (other), "%s.lock", journal);
    unlink (other);
    return rate;
}

int
main (int argc, char *argv [])
{
    int repeat = 5;
    long ops = 2000, pipelined_ops = 200000;
    const char *dir = NULL;
    for (int arg = 1; arg < argc; arg++) {
        bool has_value = arg + 1 < argc;
        if (!strcmp (argv [arg], "--repeat") && has_value)
            repeat = atoi (argv [++arg]);
        else if (!strcmp (argv [arg], "--ops") && has_value)
            ops = atol (argv [++arg]);
        else if (!strcmp (argv [arg], "--pipelined") && has_value)
            pipelined_ops = atol (argv [++arg]);
        else if (!strcmp (argv [arg], "--dir") && has_value)
            dir = argv [++arg];
        else if (!strcmp (argv [arg], "--quick")) {
            repeat = 1;
            ops = 100;
            pipelined_ops = 2000;
        } else {
            fprintf (stderr,
                     "usage: durable_bench [--repeat R] [--ops N] [--pipelined N] "
                     "[--dir DIR] [--quick]\n");
            return 2;
        }
    }
    char made [] = "/tmp/zown-durable-bench-XXXXXX";
    if (!dir && !(dir = mkdtemp (made))) {
        perror ("durable_bench: mkdtemp");
        return 1;
    }
    if (repeat < 1 || repeat > 100 || ops < 1 || pipelined_ops < 1)
        return 2;
    double *rates = calloc ((size_t) (MODES * 2 * repeat), sizeof (double));
    //  Rounds interleave the modes, so that a noisy moment hits them all.
    for (int round = 0; round < repeat; round++)
        for (int mode = 0; mode < MODES; mode++)
            for (int pipelined = 0; pipelined < 2; pipelined++) {
                double rate = s_cell (dir, mode, pipelined ? pipelined_ops : ops, pipelined, round);
                if (rate < 0)
                    return 1;
                rates [(mode * 2 + pipelined) * repeat + round] = rate;
                printf ("{\"bench\":\"durable\",\"fsync\":\"%s\",\"pattern\":\"%s\",\"ops\":%ld,"
                        "\"ops_per_s\":%.1f}\n",
                        s_mode_names [mode], pipelined ? "pipelined" : "round_trip",
                        pipelined ? pipelined_ops : ops, rate);
            }
    struct rusage usage;
    getrusage (RUSAGE_SELF, &usage);
    printf ("\n| fsync | round trip ops/s | ratio to none | pipelined ops/s (window %d) | ratio "
            "to none |\n|---|---|---|---|---|\n",
            WINDOW);
    double base [2] = { 0, 0 };
    for (int mode = 0; mode < MODES; mode++) {
        double median [2];
        for (int pipelined = 0; pipelined < 2; pipelined++) {
            median [pipelined] = bench_median (rates + (mode * 2 + pipelined) * repeat, repeat);
            if (mode == 0)
                base [pipelined] = median [pipelined];
        }
        printf ("| %s | %.0f | %.3f | %.0f | %.3f |\n", s_mode_names [mode], median [0],
                median [0] / base [0], median [1], median [1] / base [1]);
    }
    printf ("\nmedians of %d runs; %ld round trips, %ld pipelined writes per run; journal in "
            "%s; peak RSS %ld KiB\n",
            repeat, ops, pipelined_ops, dir, usage.ru_maxrss);
    free (rates);
    if (dir == made)
        rmdir (made);
    return 0;
}
