/*  =========================================================================
    test_rundir - nothing left behind in the run directory: clean stops
    remove what they made, and a start removes the files of processes that
    died without cleaning up, never a live owner's
    =========================================================================
*/
#include "testutil.h"
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>

static zown_spawner_t *s_spawner;
//  Made before the fork server, so that its children inherit it: a child
//  that has started its owner and pool writes a byte to it.
static int s_ready [2];

static int
s_square (zown_worker_t *worker, zown_task_t *task)
{
    (void) worker;
    int64_t input;
    if (zown_task_int64 (task, &input))
        return zown_task_fail (task, "not an int64");
    return zown_task_return_int64 (task, input * input);
}

static int
s_compare (const void *one, const void *two)
{
    return strcmp (*(char *const *) one, *(char *const *) two);
}

//  The names in the run directory, sorted, one per line ("" if none; zown
//  makes the directory when it first needs it).
static char *
s_listing (void)
{
    DIR *dir = opendir (getenv ("ZOWN_RUNDIR"));
    assert_true (dir || errno == ENOENT);
    char *names [64];
    size_t count = 0, size = 1;
    struct dirent *entry;
    while (dir && (entry = readdir (dir)))
        if (entry->d_name [0] != '.' && count < 64) {
            names [count] = strdup (entry->d_name);
            size += strlen (names [count++]) + 1;
        }
    if (dir)
        closedir (dir);
    qsort (names, count, sizeof (char *), s_compare);
    char *listing = calloc (1, size);
    for (size_t index = 0; index < count; index++) {
        strcat (strcat (listing, names [index]), "\n");
        free (names [index]);
    }
    return listing;
}

static void
s_expect_listing (const char *expected)
{
    char *listing = s_listing ();
    if (strcmp (listing, expected))
        fail_msg ("run directory holds:\n%s\nexpected:\n%s", listing, expected);
    free (listing);
}

static zown_pool_t *
s_pool (zown_spawner_t *spawner)
{
    zown_pool_config_t config = { .workers = 2, .task = s_square, .spawner = spawner };
    zown_pool_t *pool = zown_pool_new (&config);
    zown_future_t *future = pool ? zown_pool_submit_int64 (pool, 3) : NULL;
    int64_t value = 0;
    if (zown_future_wait (future, ZOWN_FOREVER) || zown_future_int64 (future, &value)
        || value != 9) {
        zown_future_destroy (&future);
        zown_pool_destroy (&pool);
        return NULL;
    }
    zown_future_destroy (&future);
    return pool;
}

//  Owners and process pools stopped cleanly leave the run directory as
//  they found it, lock files included.
static void
test_clean_stops_leave_nothing (void **state)
{
    (void) state;
    s_expect_listing ("");
    zown_owner_t *owner = testutil_owner ();
    zown_pool_t *pool = s_pool (s_spawner);
    assert_non_null (pool);
    char *listing = s_listing ();
    assert_non_null (strstr (listing, ".sock.lock\n"));
    assert_non_null (strstr (listing, ".feed\n"));
    assert_non_null (strstr (listing, ".run\n"));
    free (listing);
    assert_int_equal (zown_pool_join (pool, ZOWN_FOREVER), 0);
    zown_pool_destroy (&pool);
    zown_owner_destroy (&owner);
    s_expect_listing ("");
}

//  A child of the fork server starts an owner named by the payload and a
//  process pool, says so, and waits to be SIGKILLed.
static int
s_doomed (void *args, const void *payload, size_t size)
{
    (void) args;
    char name [64];
    snprintf (name, sizeof (name), "%.*s", (int) size, (const char *) payload);
    zown_spawner_t *spawner = zown_spawner_new ();
    zown_owner_t *owner = spawner ? zown_owner_new (name) : NULL;
    zown_pool_t *pool = owner ? s_pool (spawner) : NULL;
    if (!pool || write (s_ready [1], "r", 1) != 1)
        return 1;
    while (true)
        pause ();
}

//  Start a child that makes an owner and a pool, SIGKILL it, reap it;
//  returns its pid.
static pid_t
s_kill_doomed (const char *name)
{
    pid_t pid = zown_spawner_spawn (s_spawner, s_doomed, NULL, name, strlen (name));
    assert_true (pid > 0);
    char byte;
    assert_int_equal (read (s_ready [0], &byte, 1), 1);
    assert_int_equal (zown_spawner_kill (s_spawner, pid, SIGKILL), 0);
    pid_t reaped;
    int status;
    assert_int_equal (zown_spawner_wait (s_spawner, ZOWN_FOREVER, &reaped, &status), 0);
    assert_int_equal (reaped, pid);
    assert_true (WIFSIGNALED (status));
    return pid;
}

//  The files a SIGKILLed owner and pool left (from s_kill_doomed), with
//  what a live owner named "live" keeps.
static void
s_expect_stale (const char *name, pid_t pid)
{
    char expected [512];
    snprintf (expected, sizeof (expected),
              "%s.feed\n%s.sock\n%s.sock.lock\nlive.feed\nlive.sock\nlive.sock.lock\n"
              "pool-%d-0.run\npool-%d-0.sock\n",
              name, name, name, (int) pid, (int) pid);
    s_expect_listing (expected);
}

//  What a dead owner or pool left is removed by the next owner's start,
//  or the next pool's; a live owner's files stay, and it still answers.
static void
test_start_removes_stale_files (void **state)
{
    (void) state;
    zown_owner_t *live = zown_owner_new ("live");
    assert_non_null (live);
    pid_t pid = s_kill_doomed ("doomed");
    s_expect_stale ("doomed", pid);
    //  As an owner that died at its descriptor limit leaves it: its socket
    //  file moved aside.
    char sock [4096], aside [4104];
    snprintf (sock, sizeof (sock), "%s/doomed.sock", getenv ("ZOWN_RUNDIR"));
    snprintf (aside, sizeof (aside), "%s.paused", sock);
    assert_int_equal (rename (sock, aside), 0);
    zown_owner_t *owner = zown_owner_new ("fresh");
    assert_non_null (owner);
    s_expect_listing ("fresh.feed\nfresh.sock\nfresh.sock.lock\n"
                      "live.feed\nlive.sock\nlive.sock.lock\n");
    zown_owner_destroy (&owner);

    pid = s_kill_doomed ("doomed-too");
    s_expect_stale ("doomed-too", pid);
    zown_pool_t *pool = s_pool (s_spawner);
    assert_non_null (pool);
    char *listing = s_listing ();
    assert_null (strstr (listing, "doomed"));
    assert_non_null (strstr (listing, "live.sock\n"));
    free (listing);
    zown_pool_destroy (&pool);

    //  The live owner was never touched: a client over its ipc socket.
    zown_client_t *client = testutil_client (zown_owner_ipc (live));
    zown_value_t *value = zown_value_new (client, "still-here");
    assert_int_equal (zown_value_add (value, 1, NULL), 0);
    zown_value_destroy (&value);
    zown_client_destroy (&client);
    zown_owner_destroy (&live);
    s_expect_listing ("");
}

int
main (void)
{
    testutil_private_rundir ();
    if (pipe2 (s_ready, O_CLOEXEC))
        return 1;
    s_spawner = zown_spawner_new ();
    if (!s_spawner) {
        fprintf (stderr, "spawner: %s\n", zown_strerror (zown_errno ()));
        return 1;
    }
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_clean_stops_leave_nothing),
        cmocka_unit_test (test_start_removes_stale_files),
    };
    int failed = cmocka_run_group_tests (tests, NULL, NULL);
    zown_spawner_destroy (&s_spawner);
    return failed;
}
