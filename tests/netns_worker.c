/*  =========================================================================
    netns_worker - a client on another host, for tests/test_netns.sh: it
    talks to an owner over tcp with CURVE from its own network namespace

    Usage:
      netns_worker count ENDPOINT SERVER_KEY CERT ID N
        N increments of the value "total" and N sets "seen"[ID:i] = i; any
        failure ends it (exit 1).
      netns_worker resilient ENDPOINT SERVER_KEY CERT ID STEPS LOG
        Steps i = 1, 2, ...: the value "pos.ID" goes from i-1 to i by
        compare-and-swap, then "acked"[ID:i] = i is set; each call is
        retried until it is acknowledged. A call that fails (1000 ms
        timeout) may still have been applied: the retried CAS finds out
        (CONFLICT with i now held), and the set is idempotent, so nothing
        counts twice. LOG gets "ack I" per acknowledged step, "late I" per
        step whose failed CAS had been applied, "fail STATUS MS" per failed
        call; stdout gets "progress" after STEPS steps, each fail line, and
        "done STEPS FAILS LATE" at the end. Steps go on until stdin ends
        (the script's signal that a cut link is back), then STEPS more.
      netns_worker lock ENDPOINT SERVER_KEY CERT ID TIMEOUT_MS
        Acquires the lock "lock" (waiting at most TIMEOUT_MS), prints
        "held DIED" (DIED 1 if the previous holder died holding it), holds
        it until stdin ends, then releases it.
    Exits 0 when done, 1 on an unexpected error, 2 on a usage error.
    =========================================================================
*/
//  poll and clock_gettime
#define _POSIX_C_SOURCE 200809L
#include <zown.h>
#include <poll.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

//  Deadline of a call in resilient mode: short, so a cut link is felt soon.
#define S_TIMEOUT 1000

typedef struct {
    FILE *log;       //  Resilient mode: one line per ack or failure
    uint64_t fails;  //  Failed calls so far
    uint64_t late;   //  Steps whose failed CAS had been applied
    bool failing;    //  A call of the current step failed
} worker_t;

static int64_t
s_now_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t) now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static int
s_die (const char *what)
{
    fprintf (stderr, "netns_worker: %s: %s\n", what, zown_strerror (zown_errno ()));
    return 1;
}

//  A call that failed after `started`: true if it may be retried (no
//  reply in time, or no connection), after logging it.
static bool
s_retry (worker_t *self, int64_t started)
{
    int status = zown_errno ();
    if (status != ZOWN_TIMEOUT && status != ZOWN_UNREACHABLE)
        return false;
    int64_t took = s_now_ms () - started;
    self->fails++;
    self->failing = true;
    fprintf (self->log, "fail %s %" PRId64 "\n", zown_status_name (status), took);
    fflush (self->log);
    printf ("fail %s %" PRId64 "\n", zown_status_name (status), took);
    fflush (stdout);
    return true;
}

//  One step: pos from step-1 to step, then acked[ID:step] = step.
static int
s_step (worker_t *self, zown_value_t *pos, zown_dict_t *acked, const char *id, int64_t step)
{
    self->failing = false;
    while (true) {
        int64_t started = s_now_ms (), current = 0;
        if (zown_value_cas (pos, step - 1, step, &current) == 0)
            break;
        if (zown_errno () == ZOWN_CONFLICT && current == step && self->failing) {
            //  An attempt that failed had been applied all the same.
            self->late++;
            fprintf (self->log, "late %" PRId64 "\n", step);
            break;
        }
        if (!s_retry (self, started))
            return s_die ("cas");
    }
    char key [64];
    snprintf (key, sizeof (key), "%s:%" PRId64, id, step);
    while (true) {
        int64_t started = s_now_ms ();
        if (zown_dict_set (acked, key, zown_datum_int (step), NULL) == 0)
            break;
        if (!s_retry (self, started))
            return s_die ("set");
    }
    fprintf (self->log, "ack %" PRId64 "\n", step);
    fflush (self->log);
    return 0;
}

//  True once stdin has ended; what comes before its end is ignored.
static bool
s_stdin_ended (void)
{
    struct pollfd in = { .fd = STDIN_FILENO, .events = POLLIN };
    char buffer [256];
    while (poll (&in, 1, 0) == 1)
        if (read (STDIN_FILENO, buffer, sizeof (buffer)) <= 0)
            return true;
    return false;
}

static int
s_resilient (zown_client_t *client, const char *id, int64_t steps, const char *log)
{
    worker_t self = { .log = fopen (log, "w") };
    if (!self.log) {
        perror (log);
        return 1;
    }
    char name [64];
    snprintf (name, sizeof (name), "pos.%s", id);
    zown_value_t *pos = zown_value_new (client, name);
    zown_dict_t *acked = zown_dict_new (client, "acked");
    int rc = zown_client_set_timeout (client, S_TIMEOUT) ? s_die ("timeout") : 0;
    //  Adding 0 creates pos at 0, and changes nothing if an attempt that
    //  failed had done so already.
    while (rc == 0) {
        int64_t started = s_now_ms ();
        if (zown_value_add (pos, 0, NULL) == 0)
            break;
        if (!s_retry (&self, started))
            rc = s_die ("add");
    }
    //  The step at which stdin ended, -1 until then.
    int64_t step = 0, ended = s_stdin_ended () ? 0 : -1;
    while (rc == 0 && (ended < 0 || step < ended + steps)) {
        rc = s_step (&self, pos, acked, id, ++step);
        if (step == steps) {
            printf ("progress\n");
            fflush (stdout);
        }
        if (ended < 0 && s_stdin_ended ())
            ended = step;
    }
    if (rc == 0)
        printf ("done %" PRId64 " %" PRIu64 " %" PRIu64 "\n", step, self.fails, self.late);
    zown_dict_destroy (&acked);
    zown_value_destroy (&pos);
    fclose (self.log);
    return rc;
}

static int
s_count (zown_client_t *client, const char *id, int64_t n)
{
    zown_value_t *total = zown_value_new (client, "total");
    zown_dict_t *seen = zown_dict_new (client, "seen");
    int rc = 0;
    for (int64_t i = 1; i <= n && rc == 0; i++) {
        char key [64];
        snprintf (key, sizeof (key), "%s:%" PRId64, id, i);
        if (zown_value_add (total, 1, NULL))
            rc = s_die ("add");
        else if (zown_dict_set (seen, key, zown_datum_int (i), NULL))
            rc = s_die ("set");
    }
    zown_dict_destroy (&seen);
    zown_value_destroy (&total);
    return rc;
}

static int
s_lock (zown_client_t *client, int64_t timeout_ms)
{
    zown_lock_t *lock = zown_lock_new (client, "lock");
    bool died = false;
    int rc = 0;
    if (zown_client_set_timeout (client, (int) timeout_ms)
        || zown_lock_acquire (lock, (int) timeout_ms, &died))
        rc = s_die ("acquire");
    else {
        printf ("held %d\n", died);
        fflush (stdout);
        char buffer [256];
        while (read (STDIN_FILENO, buffer, sizeof (buffer)) > 0)
            ;
        if (zown_lock_release (lock))
            rc = s_die ("release");
    }
    zown_lock_destroy (&lock);
    return rc;
}

static int
s_usage (void)
{
    fprintf (stderr,
             "usage: netns_worker count ENDPOINT SERVER_KEY CERT ID N\n"
             "       netns_worker resilient ENDPOINT SERVER_KEY CERT ID STEPS LOG\n"
             "       netns_worker lock ENDPOINT SERVER_KEY CERT ID TIMEOUT_MS\n");
    return 2;
}

int
main (int argc, char *argv [])
{
    bool count = argc == 7 && strcmp (argv [1], "count") == 0;
    bool resilient = argc == 8 && strcmp (argv [1], "resilient") == 0;
    bool lock = argc == 7 && strcmp (argv [1], "lock") == 0;
    if (!count && !resilient && !lock)
        return s_usage ();
    char *end;
    int64_t n = strtoll (argv [6], &end, 10);
    if (*end || n < 1 || n > INT32_MAX)
        return s_usage ();
    zown_client_options_t options = { .server_key = argv [3], .cert = argv [4] };
    zown_client_t *client = zown_client_new_with (argv [2], &options);
    if (!client)
        return s_die ("connect");
    int rc = count ? s_count (client, argv [5], n)
        : lock     ? s_lock (client, n)
                   : s_resilient (client, argv [5], n, argv [7]);
    zown_client_destroy (&client);
    return rc;
}
