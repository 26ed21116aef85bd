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
//  descriptors, soft and hard: it cannot raise them.
static int
s_owner_process (void *args, const void *payload, size_t size)
{
    (void) args, (void) size;
    struct rlimit limit = { S_LIMIT, S_LIMIT };
    if (setrlimit (RLIMIT_NOFILE, &limit))
        return 1;
    zown_owner_t *owner = zown_owner_new ((const char *) payload);
    if (!owner)
        return 2;
    for (;;)
        pause ();
    return 0;
}

//  A client that connects, says so (its pid in the dict "in") and stays
//  until killed; exits 3 if no owner accepted it.
static int
s_client_process (void *args, const void *payload, size_t size)
{
    (void) args, (void) size;
    zown_client_t *client = zown_client_new ((const char *) payload);
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

    //  Clients come one at a time, each in (its pid in "in") or refused
    //  (it ends, UNREACHABLE) before the next: once the owner has paused,
    //  every new client is refused, and the owner never dies.
    pid_t clients [S_CLIENTS] = { 0 };
    zown_dict_t *in = zown_dict_new (client, "in");
    int refused = 0, paused_at = -1;
    //  Three refused clients after the pause prove it; more would only
    //  take 2 s each.
    for (int index = 0; index < S_CLIENTS && (paused_at < 0 || index <= paused_at + 3); index++) {
        clients [index] =
            zown_spawner_spawn (s_spawner, s_client_process, NULL, name, strlen (name) + 1);
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
    assert_true (refused >= 3);
    assert_int_equal (zown_client_ping (client), 0);  //  Served all along
    assert_true (testutil_stat (client, "connections") <= S_LIMIT / 2);
    zown_dict_destroy (&in);

    //  They leave: the owner accepts again.
    pid_t pid;
    int status;
    for (int index = 0; index < S_CLIENTS; index++)
        if (clients [index]) {
            assert_int_equal (zown_spawner_kill (s_spawner, clients [index], SIGKILL), 0);
            assert_int_equal (zown_spawner_wait (s_spawner, 10000, &pid, &status), 0);
            assert_true (pid != owner);
        }
    testutil_await_stat (client, "connections", 1);
    zown_client_t *late = zown_client_new (name);
    assert_non_null (late);
    assert_int_equal (zown_client_ping (late), 0);
    zown_client_destroy (&late);
    zown_client_destroy (&client);
    assert_int_equal (zown_spawner_kill (s_spawner, owner, SIGKILL), 0);
    assert_int_equal (zown_spawner_wait (s_spawner, 10000, &pid, &status), 0);
    assert_int_equal (pid, owner);
    assert_true (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_owner_survives_its_descriptor_limit),
    };
    return testutil_run_spawned (&s_spawner, tests, sizeof (tests) / sizeof (tests [0]));
}
