/*  =========================================================================
    test_capacity - an owner at its descriptor limit keeps serving: it
    stops accepting new clients before libzmq's ipc accept meets EMFILE
    (which would abort the process), and accepts again once clients leave
    =========================================================================
*/
#include "testutil.h"
#include <signal.h>
#include <sys/resource.h>

#define S_LIMIT   256  //  Descriptors of the owner's process
#define S_CLIENTS 80   //  More than that limit can hold

static zown_spawner_t *s_spawner;

//  An owner (its name the payload) in a process that may open S_LIMIT
//  descriptors, soft and hard: it cannot raise them. With args, it serves
//  plain tcp too, and keeps the endpoint in the dict "where" under "tcp".
static int
s_owner_process (void *args, const void *payload, size_t size)
{
    (void) size;
    struct rlimit limit = { S_LIMIT, S_LIMIT };
    if (setrlimit (RLIMIT_NOFILE, &limit))
        return 1;
    zown_owner_options_t options = { .insecure = args != NULL };
    zown_owner_t *owner = zown_owner_new_with ((const char *) payload, &options);
    if (!owner)
        return 2;
    if (args) {
        zown_client_t *client = zown_client_new (zown_owner_inproc (owner));
        zown_dict_t *where = zown_dict_new (client, "where");
        if (zown_owner_bind (owner, "tcp://127.0.0.1:*")
            || zown_dict_set (where, "tcp", zown_datum_str (zown_owner_bound (owner)), NULL))
            return 3;
        zown_dict_destroy (&where);
        zown_client_destroy (&client);
    }
    for (;;)
        pause ();
    return 0;
}

//  A client of the payload's target that connects, says so (its pid in the
//  dict "in") and stays until killed; exits 3 if no owner accepted it.
static int
s_client_process (void *args, const void *payload, size_t size)
{
    (void) args, (void) size;
    zown_client_options_t options = { .insecure = true };
    zown_client_t *client = zown_client_new_with ((const char *) payload, &options);
    if (!client || zown_client_set_timeout (client, 2000))
        return 1;
    zown_dict_t *in = zown_dict_new (client, "in");
    char pid [32];
    snprintf (pid, sizeof (pid), "%d", (int) getpid ());
    if (zown_dict_set (in, pid, zown_datum_int (1), NULL))
        return zown_errno () == ZOWN_UNREACHABLE ? 3 : 2;
    for (;;)
        pause ();
    return 0;
}

//  The owner's accepts_refused once it is above `above` (10 s at most).
static int64_t
s_await_refusal (zown_client_t *client, int64_t above)
{
    int64_t deadline = testutil_now_ms () + 10000;
    int64_t refusals;
    while ((refusals = testutil_stat (client, "accepts_refused")) <= above)
        assert_true (testutil_now_ms () < deadline);
    return refusals;
}

//  Clients of target come one at a time, each in (its pid in "in") or
//  refused (it ends, UNREACHABLE) before the next: once the owner has
//  paused, every new client is refused, and the owner never dies. Three
//  refused clients after the pause prove it; more would only take 2 s
//  each. clients[] gets the pids of those let in. A tcp client cannot be
//  kept out, only shut out: libzmq reports an accepted connection to the
//  owner asynchronously, so a request can come first and be served, but
//  the connection is then shut down (accepts_refused).
static void
s_fill (zown_client_t *client, const char *target, pid_t *clients)
{
    bool tcp = strncmp (target, "tcp://", 6) == 0;
    zown_dict_t *in = zown_dict_new (client, "in");
    int refused = 0, paused_at = -1;
    int64_t refusals = 0;
    for (int index = 0; index < S_CLIENTS && (paused_at < 0 || index <= paused_at + 3); index++) {
        if (tcp && paused_at >= 0) {
            //  Whether it ends or stays, its connection is shut down.
            refusals = testutil_stat (client, "accepts_refused");
            clients [index] =
                zown_spawner_spawn (s_spawner, s_client_process, NULL, target, strlen (target) + 1);
            assert_true (clients [index] > 0);
            s_await_refusal (client, refusals);
            continue;
        }
        clients [index] =
            zown_spawner_spawn (s_spawner, s_client_process, NULL, target, strlen (target) + 1);
        assert_true (clients [index] > 0);
        size_t accepted = 0;
        bool ended = false;
        int64_t deadline = testutil_now_ms () + 30000;
        while (!ended && accepted < (size_t) (index + 1 - refused)
               && testutil_now_ms () < deadline) {
            pid_t pid;
            int status;
            if (zown_spawner_wait (s_spawner, 10, &pid, &status) == 0) {
                assert_int_equal (pid, clients [index]);  //  Not the owner
                assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 3);
                clients [index] = 0;
                refused++;
                ended = true;
            }
            assert_int_equal (zown_dict_len (in, &accepted), 0);
        }
        assert_true (ended || accepted == (size_t) (index + 1 - refused));
        if (paused_at < 0 && testutil_stat (client, "accepts_paused") == 1)
            paused_at = index;
        else if (paused_at >= 0)
            assert_true (ended);
    }
    assert_true (paused_at >= 0 && paused_at < S_CLIENTS - 3);
    assert_true (tcp || refused >= 3);
    assert_int_equal (zown_client_ping (client), 0);  //  Served all along
    assert_true (testutil_stat (client, "connections") <= S_LIMIT / 2);
    zown_dict_destroy (&in);
}

//  Kills every client still running, and reaps it and any that ended
//  unreaped (a tcp client shut out may end), in any order.
static void
s_kill (pid_t *clients)
{
    int reap = 0;
    for (int index = 0; index < S_CLIENTS; index++)
        if (clients [index]) {
            zown_spawner_kill (s_spawner, clients [index], SIGKILL);
            reap++;
        }
    while (reap--) {
        pid_t pid;
        int status;
        assert_int_equal (zown_spawner_wait (s_spawner, 10000, &pid, &status), 0);
        bool ours = false;
        for (int index = 0; index < S_CLIENTS; index++)
            ours = ours || clients [index] == pid;
        assert_true (ours);
    }
}

//  Kills the owner and reaps it; a client that ended meanwhile (a tcp
//  client shut out) is reaped on the way and leaves clients[].
static void
s_kill_owner (pid_t owner, pid_t *clients)
{
    assert_int_equal (zown_spawner_kill (s_spawner, owner, SIGKILL), 0);
    while (true) {
        pid_t pid;
        int status;
        assert_int_equal (zown_spawner_wait (s_spawner, 10000, &pid, &status), 0);
        if (pid == owner) {
            assert_true (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
            return;
        }
        bool ours = false;
        for (int index = 0; index < S_CLIENTS; index++)
            if (clients [index] == pid) {
                clients [index] = 0;
                ours = true;
            }
        assert_true (ours);
    }
}

static void
test_owner_survives_its_descriptor_limit (void **state)
{
    (void) state;
    const char *name = testutil_name ("fds");
    pid_t owner = zown_spawner_spawn (s_spawner, s_owner_process, NULL, name, strlen (name) + 1);
    assert_true (owner > 0);
    zown_client_t *client = zown_client_new (name);
    assert_non_null (client);
    testutil_await_owner (client);
    int64_t most = testutil_stat (client, "clients_max");
    assert_true (most > 0 && most < S_CLIENTS);

    pid_t clients [S_CLIENTS] = { 0 };
    s_fill (client, name, clients);
    //  A refused client is told why.
    zown_client_t *refused = zown_client_new (name);
    assert_int_equal (zown_client_set_timeout (refused, 100), 0);
    assert_int_equal (zown_client_ping (refused), -1);
    assert_int_equal (zown_errno (), ZOWN_UNREACHABLE);
    assert_non_null (strstr (zown_client_message (refused), "descriptor limit"));
    zown_client_destroy (&refused);

    //  They leave: the owner accepts again.
    s_kill (clients);
    testutil_await_stat (client, "connections", 1);
    zown_client_t *late = zown_client_new (name);
    assert_non_null (late);
    assert_int_equal (zown_client_ping (late), 0);
    zown_client_destroy (&late);
    zown_client_destroy (&client);
    s_kill_owner (owner, clients);
}

//  tcp listeners cannot be moved aside: what they accept while the owner
//  is paused is closed at once. An owner that dies paused leaves its
//  socket file aside; the next owner of that name removes it.
static void
test_tcp_clients_are_refused_at_the_limit (void **state)
{
    (void) state;
    const char *name = testutil_name ("fdtcp");
    pid_t owner =
        zown_spawner_spawn (s_spawner, s_owner_process, (void *) 1, name, strlen (name) + 1);
    assert_true (owner > 0);
    zown_client_t *client = zown_client_new (name);
    assert_non_null (client);
    testutil_await_owner (client);
    zown_dict_t *where = zown_dict_new (client, "where");
    zown_datum_t tcp;
    int64_t deadline = testutil_now_ms () + 10000;
    while (zown_dict_get (where, "tcp", &tcp, NULL) == -1) {
        assert_int_equal (zown_errno (), ZOWN_NOT_FOUND);
        assert_true (testutil_now_ms () < deadline);
    }
    char endpoint [256];
    snprintf (endpoint, sizeof (endpoint), "%.*s", (int) tcp.u.b.len, (const char *) tcp.u.b.ptr);
    zown_dict_destroy (&where);

    pid_t clients [S_CLIENTS] = { 0 };
    s_fill (client, endpoint, clients);
    assert_true (testutil_stat (client, "accepts_refused") >= 3);
    zown_client_destroy (&client);

    char *path = zown_owner_endpoint_for (name);
    char aside [4096];
    snprintf (aside, sizeof (aside), "%s.paused", path + 6);
    assert_true (access (aside, F_OK) == 0);
    s_kill_owner (owner, clients);
    s_kill (clients);
    assert_true (access (aside, F_OK) == 0);
    zown_owner_t *next = zown_owner_new (name);
    assert_non_null (next);
    assert_true (access (aside, F_OK) == -1 && errno == ENOENT);
    zown_owner_destroy (&next);
    free (path);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_owner_survives_its_descriptor_limit),
        cmocka_unit_test (test_tcp_clients_are_refused_at_the_limit),
    };
    return testutil_run_spawned (&s_spawner, tests, sizeof (tests) / sizeof (tests [0]));
}
