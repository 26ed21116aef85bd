/*  =========================================================================
    cli_owner - the zown commands about an owner rather than its objects:
    serve, stats, watch and keygen (docs/CLI.md)
    =========================================================================
*/
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

//  --------------------------------------------------------------------------
//  stats

static int64_t
s_now_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t) now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

//  The `ops` count in a STATS reply, or -1.
static int64_t
s_ops_of (zown_reply_t *reply)
{
    for (size_t index = 0; index + 1 < zown_reply_count (reply, 0); index += 2)
        if (zown_datum_streq (zown_reply_value (reply, 0, index), "ops")
            && zown_reply_value (reply, 0, index + 1).tag == ZOWN_INT)
            return zown_reply_value (reply, 0, index + 1).u.i;
    return -1;
}

//  Two STATS calls `interval` ms apart: every pair of the second, then the
//  ops applied in between per second, less the first STATS itself.
int
cli_stats (cli_run_t *run)
{
    zown_reply_t *reply;
    int code = cli_call (run, ZOWN_OP_STATS, NULL, 0, NULL, &reply);
    if (code)
        return code;
    int64_t ops_before = s_ops_of (reply), started = s_now_ms ();
    struct timespec pause = { run->interval / 1000, (long) (run->interval % 1000) * 1000000 };
    while (nanosleep (&pause, &pause) == -1 && errno == EINTR)
        ;
    code = cli_call (run, ZOWN_OP_STATS, NULL, 0, NULL, &reply);
    if (code)
        return code;
    int64_t ops_after = s_ops_of (reply), elapsed = s_now_ms () - started;
    //  --json: {"name":value,...}, the same pairs in the same order.
    const char *separator = run->json ? "{" : "";
    for (size_t index = 0; index + 1 < zown_reply_count (reply, 0); index += 2) {
        zown_datum_t name = zown_reply_value (reply, 0, index);
        zown_datum_t value = zown_reply_value (reply, 0, index + 1);
        if (name.tag != ZOWN_BYTES)
            continue;
        fputs (separator, stdout);
        if (run->json) {
            cli_json_string (name.u.b.ptr, name.u.b.len);
            putchar (':');
            cli_json_value (value);
            separator = ",";
        } else {
            fwrite (name.u.b.ptr, 1, name.u.b.len, stdout);
            putchar (' ');
            cli_print_raw (value);
        }
    }
    double rate = 0;
    if (ops_before >= 0 && ops_after > ops_before && elapsed > 0)
        rate = (double) (ops_after - ops_before - 1) * 1000.0 / (double) elapsed;
    if (run->json)
        printf ("%s\"ops_per_sec\":%.1f}\n", separator, rate);
    else
        printf ("ops_per_sec %.1f\n", rate);
    return CLI_OK;
}

//  --------------------------------------------------------------------------
//  watch: one line per change of one object

//  SIGINT and SIGTERM, blocked in this thread, and so in every thread it
//  starts afterwards (ZeroMQ's among them): they are taken only where
//  serve (sigwait) and watch (signalfd) wait for them. -1 if they cannot be.
int
cli_block_stop_signals (sigset_t *signals)
{
    sigemptyset (signals);
    sigaddset (signals, SIGINT);
    sigaddset (signals, SIGTERM);
    if (pthread_sigmask (SIG_BLOCK, signals, NULL) == 0)
        return 0;
    fprintf (stderr, "zown: cannot block SIGINT and SIGTERM\n");
    return -1;
}

//  "SEQ VERSION KIND VALUE...", values as JSON (docs/CLI.md, watch).
static void
s_print_record (const zown_feed_record_t *record)
{
    static const char *kinds [] = { NULL, "set", "del", "clear", "drop", "op" };
    printf ("%llu %llu", (unsigned long long) record->seq, (unsigned long long) record->version);
    size_t first = 0;
    if (record->kind >= ZOWN_CHANGE_SET && record->kind <= ZOWN_CHANGE_OP)
        printf (" %s", kinds [record->kind]);
    else
        printf (" kind %d", record->kind);  //  Of a newer owner
    if (record->kind == ZOWN_CHANGE_OP) {
        const char *op = zown_op_name (record->op);
        if (op)
            printf (" %s", op);
        else
            printf (" 0x%02x", record->op);  //  An op of a newer owner
    }
    //  A value object's SET has a nil key: only the number is shown.
    if (record->kind == ZOWN_CHANGE_SET && record->count == 2 && record->values [0].tag == ZOWN_NIL)
        first = 1;
    for (size_t index = first; index < record->count; index++) {
        putchar (' ');
        cli_json_value (record->values [index]);
    }
    putchar ('\n');
}

//  MARK until one comes back on the feed. NAME was subscribed to before
//  the MARKs ("" topic), on the same connection, so its subscription is
//  live too once a MARK arrives. Sets *from_p to that MARK's seq.
static int
s_watch_live (cli_run_t *run, zown_subscriber_t *subscriber, const char *feed, uint64_t *from_p)
{
    char token [48];
    snprintf (token, sizeof (token), "zown watch %d", (int) getpid ());
    zown_datum_t argument = zown_datum_str (token);
    int64_t deadline = s_now_ms () + run->timeout;
    while (true) {
        zown_reply_t *reply;
        int code = cli_call (run, ZOWN_OP_MARK, NULL, 1, &argument, &reply);
        if (code)
            return code;
        //  A MARK the owner handled before it saw the subscription is not
        //  sent: ask again every 100 ms, until the deadline.
        int64_t left = deadline - s_now_ms ();
        int wait = left < 0 ? 0 : left < 100 ? (int) left : 100;
        zown_feed_record_t record;
        while (zown_subscriber_recv (subscriber, &record, wait) == 0)
            if (record.kind == ZOWN_CHANGE_MARK) {
                *from_p = record.seq;
                return CLI_OK;
            }
        if (zown_errno () != ZOWN_TIMEOUT && zown_errno () != ZOWN_PROTOCOL)
            return cli_fail (run, feed, zown_errno ());
        if (s_now_ms () >= deadline) {
            fprintf (stderr, "zown: no change feed answers at %s\n", feed);
            return CLI_UNREACHABLE;
        }
    }
}

//  Prints each record as it comes until a stop signal is read from
//  signal_fd; CLI_OK then.
static int
s_watch_loop (zown_subscriber_t *subscriber, int signal_fd)
{
    zmq_pollitem_t items [] = { { zown_subscriber_socket (subscriber), 0, ZMQ_POLLIN, 0 },
                                { NULL, signal_fd, ZMQ_POLLIN, 0 } };
    while (true) {
        if (zmq_poll (items, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            fprintf (stderr, "zown: cannot wait for the feed: %s\n", zmq_strerror (errno));
            return CLI_FAILED;
        }
        //  Read, so that the prompt, which unblocks the signals after a
        //  watch, is not stopped by this one.
        struct signalfd_siginfo taken;
        if ((items [1].revents & ZMQ_POLLIN)
            && read (signal_fd, &taken, sizeof (taken)) == (ssize_t) sizeof (taken))
            return CLI_OK;
        zown_feed_record_t record;
        while (true) {
            if (zown_subscriber_recv (subscriber, &record, 0)) {
                if (zown_errno () == ZOWN_PROTOCOL)
                    continue;  //  Not a record of this version: skipped.
                break;
            }
            //  MARKs asked for before the unsubscribe may still come.
            if (record.kind == ZOWN_CHANGE_MARK)
                continue;
            s_print_record (&record);
            if (fflush (stdout)) {
                fprintf (stderr, "zown: cannot write to stdout\n");
                return CLI_FAILED;
            }
        }
    }
}

//  The feed of the owner at --endpoint, as its FEED answer names it: the
//  first endpoint, the one other processes reach.
static int
s_announced_feed (cli_run_t *run, char **feed_p)
{
    zown_reply_t *reply;
    int code = cli_call (run, ZOWN_OP_FEED, NULL, 0, NULL, &reply);
    if (code)
        return code;
    zown_datum_t first =
        zown_reply_count (reply, 0) ? zown_reply_value (reply, 0, 0) : ZOWN_NIL_DATUM;
    if (first.tag != ZOWN_BYTES) {
        fprintf (stderr, "zown: the owner at %s names no change feed: give --feed\n", run->target);
        return CLI_FAILED;
    }
    *feed_p = zown_datum_strdup (first);
    return *feed_p ? CLI_OK : cli_fail (run, "owner", ZOWN_NO_MEMORY);
}

//  SIGINT and SIGTERM were blocked in main, before the client started
//  ZeroMQ's threads: a signalfd polled with the feed takes them.
int
cli_watch (cli_run_t *run)
{
    const char *name = run->args [0];
    char *derived = NULL;
    if (!run->feed && run->endpoint) {
        int code = s_announced_feed (run, &derived);
        if (code)
            return code;
    } else if (!run->feed && !(derived = zown_owner_feed_endpoint_for (run->name)))
        return cli_fail (run, run->name, zown_errno ());
    const char *feed = run->feed ? run->feed : derived;
    zown_subscriber_t *subscriber = zown_subscriber_new (feed);
    int code = CLI_OK;
    if (!subscriber)
        code = zown_errno () == ZOWN_INVALID
            ? cli_usage (run->command, "invalid feed endpoint", feed)
            : cli_fail (run, feed, zown_errno ());
    else if (zown_subscriber_subscribe (subscriber, name)
             || zown_subscriber_subscribe (subscriber, ""))
        code = zown_errno () == ZOWN_INVALID
            ? cli_usage (run->command, "object name too long", name)
            : cli_fail (run, feed, zown_errno ());
    sigset_t signals;
    sigemptyset (&signals);
    sigaddset (&signals, SIGINT);
    sigaddset (&signals, SIGTERM);
    int signal_fd = code ? -1 : signalfd (-1, &signals, SFD_CLOEXEC);
    if (!code && signal_fd == -1) {
        fprintf (stderr, "zown: cannot wait for SIGINT or SIGTERM\n");
        code = CLI_FAILED;
    }
    uint64_t from = 0;
    if (!code)
        code = s_watch_live (run, subscriber, feed, &from);
    if (!code && zown_subscriber_unsubscribe (subscriber, ""))
        code = cli_fail (run, feed, zown_errno ());
    if (!code) {
        //  On stderr: stdout carries only the changes.
        fprintf (stderr, "watching %s from seq %llu\n", name, (unsigned long long) from);
        code = s_watch_loop (subscriber, signal_fd);
    }
    if (signal_fd != -1)
        close (signal_fd);
    zown_subscriber_destroy (&subscriber);
    free (derived);
    return code;
}

//  --------------------------------------------------------------------------
//  serve

//  Binds, prints the endpoints, then waits for SIGINT or SIGTERM. They
//  are blocked before zown_owner_new starts the owner's and ZeroMQ's
//  threads, which inherit the mask, so sigwait here is the only place a
//  stop signal is ever taken.
int
cli_serve (cli_run_t *run)
{
    bool tcp = false;
    for (size_t index = 0; index < run->endpoint_count; index++) {
        const char *endpoint = run->endpoints [index];
        tcp |= strncmp (endpoint, "tcp://", 6) == 0;
        if (strncmp (endpoint, "ipc://", 6) && strncmp (endpoint, "inproc://", 9)
            && strncmp (endpoint, "tcp://", 6))
            return cli_usage (run->command, "only ipc://, inproc:// and tcp:// endpoints",
                              endpoint);
    }
    if (!run->cert != !run->allow)
        return cli_usage (run->command, "--cert and --allow go together", NULL);
    if (tcp && !run->cert && !run->insecure)
        return cli_usage (run->command,
                          "a tcp endpoint needs --cert and --allow (CURVE), or --insecure", NULL);
    zown_owner_options_t options = { .data = run->data,
                                     .fsync = run->fsync,
                                     .cert = run->cert,
                                     .allow = run->allow,
                                     .insecure = run->insecure,
                                     .limits = run->limits };
    sigset_t signals;
    zown_owner_t *owner = NULL;
    int code = CLI_OK;
    if (cli_block_stop_signals (&signals))
        code = CLI_FAILED;
    else if (!(owner = zown_owner_new_with (run->name, &options))) {
        int status = zown_errno ();
        if (status == ZOWN_INVALID && run->data)
            fprintf (stderr, "zown: cannot load the journal %s (see above)\n", run->data);
        else if (status == ZOWN_INVALID && run->cert)
            return cli_usage (run->command, "not a secret certificate (zown keygen writes one)",
                              run->cert);
        else if (status == ZOWN_ADDR_IN_USE)
            fprintf (stderr, "zown: an owner already serves '%s' at %s\n", run->name, run->target);
        else
            fprintf (stderr, "zown: cannot start owner '%s' at %s: %s\n", run->name, run->target,
                     zown_strerror (status));
        code = status == ZOWN_ADDR_IN_USE ? CLI_IN_USE : CLI_FAILED;
    }
    //  Printed as bound: a port given as '*' is a number there.
    char *bound [CLI_ENDPOINTS_MAX] = { NULL };
    for (size_t index = 0; !code && index < run->endpoint_count; index++)
        if (zown_owner_bind (owner, run->endpoints [index])) {
            int status = zown_errno ();
            if (status == ZOWN_INVALID && run->allow && !strncmp (run->endpoints [index], "tcp", 3))
                code = cli_usage (run->command, "invalid tcp endpoint, or --allow not a directory",
                                  run->endpoints [index]);
            else if (status == ZOWN_INVALID)
                code = cli_usage (run->command, "invalid endpoint", run->endpoints [index]);
            else {
                fprintf (stderr, "zown: cannot listen on %s: %s\n", run->endpoints [index],
                         zown_strerror (status));
                code = status == ZOWN_ADDR_IN_USE ? CLI_IN_USE : CLI_FAILED;
            }
        } else if (!(bound [index] = strdup (zown_owner_bound (owner))))
            code = CLI_FAILED;
    if (!code) {
        printf ("%s\n%s\n", zown_owner_ipc (owner), zown_owner_inproc (owner));
        for (size_t index = 0; index < run->endpoint_count; index++)
            printf ("%s\n", bound [index]);
        printf ("%s\n", zown_owner_feed_ipc (owner));
        if (run->cert && tcp)
            fprintf (stderr, "zown: tcp is CURVE; clients pass --server-key %s\n",
                     zown_owner_public_key (owner));
        if (run->data)
            fprintf (stderr, "zown: %s\n", zown_owner_recovery (owner));
        if (fflush (stdout)) {
            fprintf (stderr, "zown: cannot write the endpoints to stdout\n");
            code = CLI_FAILED;
        }
    }
    int received;
    if (!code && sigwait (&signals, &received)) {
        fprintf (stderr, "zown: cannot wait for SIGINT or SIGTERM\n");
        code = CLI_FAILED;
    }
    for (size_t index = 0; index < run->endpoint_count; index++)
        free (bound [index]);
    zown_owner_destroy (&owner);
    return code;
}

//  --------------------------------------------------------------------------
//  keygen

int
cli_keygen (cli_run_t *run)
{
    const char *base = run->args [0];
    const char *slash = strrchr (base, '/');
    char key [ZOWN_CURVE_KEY_TEXT + 1];
    if (zown_curve_keygen (base, slash ? slash + 1 : base, key)) {
        fprintf (stderr, "zown: cannot write %s.key and %s.secret: %s\n", base, base,
                 zown_errno () == ZOWN_INVALID ? "one exists already, or no such directory"
                                               : strerror (errno));
        return CLI_FAILED;
    }
    printf ("%s\n", key);
    return CLI_OK;
}
