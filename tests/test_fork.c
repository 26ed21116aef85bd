/*  =========================================================================
    test_fork - what a forked child may and may not do (docs/FORK.md)

    The first two tests fork this process itself, after it started an owner
    and clients: a child of a process that uses zown is what they test.
    Their children use zown first thing, and are all forked before any of
    them runs (testutil_fork_start), so that no fork copies a thread busy
    with their requests. Other children come from the fork server.
    =========================================================================
*/
#include "testutil.h"

static zown_spawner_t *s_spawner;
static zown_owner_t *s_owner;
static zown_client_t *s_parent_client;

//  In the child: the parent's client refuses to work, without touching its
//  socket; a client made in the child works; exit() runs atexit handlers
//  (CZMQ's included) and must not disturb the parent.
static int
s_child_uses_clients (void *arg)
{
    (void) arg;
    zown_value_t *inherited = zown_value_new (s_parent_client, "n");
    if (zown_value_add (inherited, 1, NULL) != -1 || zown_errno () != ZOWN_FORKED)
        return 10;
    if (zown_client_ping (s_parent_client) != -1 || zown_errno () != ZOWN_FORKED)
        return 11;
    zown_value_destroy (&inherited);
    zown_client_destroy (&s_parent_client);  //  Frees memory only.

    zown_client_t *own = zown_client_new (zown_owner_ipc (s_owner));
    zown_value_t *counter = zown_value_new (own, "n");
    for (int count = 0; count < 100; count++)
        if (zown_value_add (counter, 1, NULL)) {
            fprintf (stderr, "child add: %s\n", zown_status_name (zown_errno ()));
            return 12;
        }
    zown_value_destroy (&counter);
    zown_client_destroy (&own);
    exit (0);
}

static void
test_child_makes_its_own_client (void **state)
{
    (void) state;
    s_owner = testutil_owner ();
    s_parent_client = testutil_client (zown_owner_inproc (s_owner));
    assert_int_equal (zown_client_ping (s_parent_client), 0);
    testutil_fork_t children = { 0 };
    testutil_fork_start (&children, 4, s_child_uses_clients, NULL);
    testutil_gate_release ();
    testutil_fork_wait (&children);
    //  The parent's client, context and owner are untouched by the children.
    zown_value_t *counter = zown_value_new (s_parent_client, "n");
    int64_t total;
    assert_int_equal (zown_value_get (counter, &total), 0);
    assert_int_equal (total, 400);
    zown_value_destroy (&counter);
    zown_client_destroy (&s_parent_client);
    zown_owner_destroy (&s_owner);
}

//  A child can run an owner of its own: zown's context is made anew in
//  the child, and no CZMQ global state was inherited.
static int
s_child_runs_owner (void *arg)
{
    (void) arg;
    zown_owner_t *owner = zown_owner_new ("child-owner");
    if (!owner)
        return 1;
    zown_client_t *client = zown_client_new (zown_owner_inproc (owner));
    zown_value_t *counter = zown_value_new (client, "n");
    int64_t total = 0;
    int rc = zown_value_add (counter, 5, &total) || total != 5;
    zown_value_destroy (&counter);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
    exit (rc);
}

static void
test_child_runs_its_own_owner (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    assert_int_equal (testutil_wait (testutil_fork (s_child_runs_owner, NULL)), 0);
    assert_int_equal (zown_client_ping (client), 0);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

//  A child killed in the middle of a request does not disturb the owner.
static int
s_child_adds_forever (void *args, const void *endpoint, size_t size)
{
    (void) args, (void) size;
    zown_client_t *client = zown_client_new ((const char *) endpoint);
    zown_value_t *counter = zown_value_new (client, "busy");
    while (zown_value_add (counter, 1, NULL) == 0)
        ;
    return 1;
}

static void
test_killed_child_leaves_owner_serving (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_value_t *counter = zown_value_new (client, "busy");
    pid_t child = testutil_spawn_ipc (s_spawner, s_child_adds_forever, owner);
    //  Await progress through the owner itself, then kill mid-stream.
    int64_t seen = 0;
    while (seen < 1000)
        if (zown_value_get (counter, &seen) && zown_errno () != ZOWN_NOT_FOUND)
            fail_msg ("get: %s", zown_strerror (zown_errno ()));
    testutil_kill (s_spawner, child);
    int64_t before, after;
    assert_int_equal (zown_value_get (counter, &before), 0);
    for (int count = 0; count < 1000; count++)
        assert_int_equal (zown_value_add (counter, 1, NULL), 0);
    assert_int_equal (zown_value_get (counter, &after), 0);
    assert_int_equal (after, before + 1000);
    zown_value_destroy (&counter);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_child_makes_its_own_client),
        cmocka_unit_test (test_child_runs_its_own_owner),
        cmocka_unit_test (test_killed_child_leaves_owner_serving),
    };
    return testutil_run_spawned (&s_spawner, tests, sizeof (tests) / sizeof (tests [0]));
}
