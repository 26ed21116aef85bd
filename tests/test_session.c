/*  =========================================================================
    test_session - sessions end exactly when their clients do: nothing is
    granted to a dead process, a request still on its way from one never
    opens a session, clients that exit without a word or never say HELLO
    leave nothing behind, and a client of an owner that restarted is
    watched again
    =========================================================================
*/
#include "testutil.h"
#include "zown_internal.h"
#include <signal.h>
#include <sys/stat.h>

static zown_spawner_t *s_spawner;

//  --------------------------------------------------------------------------
//  The owner core alone: requests from named peers, deaths handled by hand

//  The last reply sent to a parked request, by the registry's sender.
typedef struct {
    char to [64];
    int status;
    int64_t value;  //  Its first value, if an int
    int count;      //  Parked replies sent so far
} s_sent_t;

static void
s_sender (const zown_peer_t *peer, const void *data, size_t size, void *arg)
{
    s_sent_t *sent = (s_sent_t *) arg;
    zown_reply_t reply;
    zown_reply_init (&reply);
    assert_int_equal (zown_reply_decode (&reply, data, size), 0);
    snprintf (sent->to, sizeof (sent->to), "%.*s", (int) peer->identity_size,
              (const char *) peer->identity);
    sent->status = zown_reply_status (&reply);
    zown_datum_t first = zown_reply_value (&reply, 0, 0);
    sent->value = first.tag == ZOWN_INT ? first.u.i : -1;
    sent->count++;
    zown_reply_fini (&reply);
}

//  One op from the peer with routing id `who`; returns its status, or
//  ZOWN_PARK when it was parked. *value_p (may be NULL) gets its first
//  int value.
static int
s_op (zown_registry_t *registry, const char *who, zown_op_t op, const char *name, size_t argc,
      const zown_datum_t *argv, int64_t *value_p)
{
    zown_request_t *request = zown_request_new ();
    assert_int_equal (zown_request_add (request, op, name, argc, argv), 0);
    zown_request_seal (request, 1);
    const zown_buf_t *frame = zown_request_buffer (request);
    zown_peer_t peer = { who, strlen (who), false, -1 };
    zown_buf_t out;
    zown_buf_init (&out);
    int status = ZOWN_PARK;
    if (zown_registry_execute_from (registry, &peer, frame->data, frame->size, &out)) {
        zown_reply_t reply;
        zown_reply_init (&reply);
        assert_int_equal (zown_reply_decode (&reply, out.data, out.size), 0);
        status = zown_reply_status (&reply);
        zown_datum_t first = zown_reply_value (&reply, 0, 0);
        if (value_p && first.tag == ZOWN_INT)
            *value_p = first.u.i;
        zown_reply_fini (&reply);
    }
    zown_buf_free (&out);
    zown_request_destroy (&request);
    return status;
}

//  HELLO from `who` with pid, this host's boot id.
static int
s_hello (zown_registry_t *registry, const char *who, pid_t pid)
{
    char boot [ZOWN_BOOT_ID_SIZE];
    zown_datum_t argv [2] = { zown_datum_int (pid), zown_datum_bytes (boot, zown_boot_id (boot)) };
    return s_op (registry, who, ZOWN_OP_HELLO, "", 2, argv, NULL);
}

static int
s_pause (void *args, const void *payload, size_t size)
{
    (void) args, (void) payload, (void) size;
    for (;;)
        pause ();
    return 0;
}

//  A child that runs until killed, and its pid.
static pid_t
s_sleeper (void)
{
    pid_t pid = zown_spawner_spawn (s_spawner, s_pause, NULL, NULL, 0);
    assert_true (pid > 0);
    return pid;
}

//  Kill a child and reap it: its pidfd is readable from now on.
static void
s_kill (pid_t pid)
{
    assert_int_equal (zown_spawner_kill (s_spawner, pid, SIGKILL), 0);
    pid_t reaped;
    int status;
    assert_int_equal (zown_spawner_wait (s_spawner, 10000, &reaped, &status), 0);
    assert_int_equal (reaped, pid);
}

//  A lock released while dead waiters stand first in its line goes past
//  them, unflagged, to the first live one: the owner has not handled their
//  deaths yet, but nothing is granted to a process known to be dead.
static void
test_dead_waiters_are_passed_over (void **state)
{
    (void) state;
    zown_registry_t *registry = zown_registry_new ();
    s_sent_t sent = { .count = 0 };
    zown_registry_set_sender (registry, s_sender, &sent);
    zown_datum_t forever = zown_datum_int (-1);
    int64_t died = -1;
    assert_int_equal (s_op (registry, "holder", ZOWN_OP_LOCK_ACQUIRE, "l", 1, &forever, &died),
                      ZOWN_OK);
    pid_t pids [3];
    char who [3][16];
    for (int index = 0; index < 3; index++) {
        pids [index] = s_sleeper ();
        snprintf (who [index], sizeof (who [index]), "ZSdead%d", index);
        assert_int_equal (s_hello (registry, who [index], pids [index]), ZOWN_OK);
        assert_int_equal (
            s_op (registry, who [index], ZOWN_OP_LOCK_ACQUIRE, "l", 1, &forever, NULL), ZOWN_PARK);
    }
    pid_t live = s_sleeper ();
    assert_int_equal (s_hello (registry, "ZSlive", live), ZOWN_OK);
    assert_int_equal (s_op (registry, "ZSlive", ZOWN_OP_LOCK_ACQUIRE, "l", 1, &forever, NULL),
                      ZOWN_PARK);
    for (int index = 0; index < 3; index++)
        s_kill (pids [index]);
    assert_int_equal (s_op (registry, "holder", ZOWN_OP_LOCK_RELEASE, "l", 0, NULL, NULL), ZOWN_OK);
    assert_int_equal (sent.count, 1);
    assert_string_equal (sent.to, "ZSlive");
    assert_int_equal (sent.status, ZOWN_OK);
    assert_int_equal (sent.value, 0);  //  Released cleanly: no death to report
    //  The dead are dropped when their sessions end, and told nothing.
    zown_session_t **sessions;
    size_t watched = zown_session_watched (registry, &sessions);
    for (size_t index = 0; index < watched; index++)
        if (zown_session_gone (sessions [index]))
            zown_session_end (registry, sessions [index], true);
    zown_registry_run_wakes (registry);
    assert_int_equal (sent.count, 1);
    assert_int_equal (zown_registry_stats (registry)->parked, 0);
    assert_int_equal (zown_registry_stats (registry)->sessions, 2);
    s_kill (live);
    zown_registry_destroy (&registry);
}

//  A request still on its way from a client whose session ended by its
//  death never opens a session: a ZS client must say HELLO first.
static void
test_late_request_of_the_dead_opens_nothing (void **state)
{
    (void) state;
    zown_registry_t *registry = zown_registry_new ();
    zown_datum_t now = zown_datum_int (0);
    pid_t pid = s_sleeper ();
    assert_int_equal (s_hello (registry, "ZSgone", pid), ZOWN_OK);
    assert_int_equal (zown_registry_stats (registry)->sessions, 1);
    s_kill (pid);
    //  Not ended yet, but known dead: nothing is granted.
    assert_int_equal (s_op (registry, "ZSgone", ZOWN_OP_LOCK_ACQUIRE, "l", 1, &now, NULL),
                      ZOWN_NO_SESSION);
    zown_session_t *session = zown_session_find (registry, "ZSgone", 6);
    assert_non_null (session);
    zown_session_end (registry, session, true);
    assert_int_equal (s_op (registry, "ZSgone", ZOWN_OP_LOCK_ACQUIRE, "l", 1, &now, NULL),
                      ZOWN_NO_SESSION);
    zown_datum_t forever = zown_datum_int (-1);
    assert_int_equal (s_op (registry, "ZSgone", ZOWN_OP_EVENT_WAIT, "e", 1, &forever, NULL),
                      ZOWN_NO_SESSION);
    assert_int_equal (zown_registry_stats (registry)->sessions, 0);
    int64_t locked = -1;
    assert_int_equal (s_op (registry, "any", ZOWN_OP_LOCK_LOCKED, "l", 0, NULL, &locked), ZOWN_OK);
    assert_int_equal (locked, 0);
    //  Ops that need no session still apply: they were sent before the
    //  death, like any write in flight.
    zown_datum_t one = zown_datum_int (1);
    assert_int_equal (s_op (registry, "ZSgone", ZOWN_OP_VALUE_ADD, "v", 1, &one, NULL), ZOWN_OK);
    //  A client whose routing id does not start with ZS may skip HELLO.
    assert_int_equal (s_op (registry, "raw", ZOWN_OP_LOCK_ACQUIRE, "l", 1, &now, NULL), ZOWN_OK);
    assert_int_equal (zown_registry_stats (registry)->sessions, 1);
    zown_registry_destroy (&registry);
}

//  A HELLO whose process is already gone (reaped) ends its session at
//  once: whatever followed it finds none.
static void
test_hello_of_the_dead_ends_its_session (void **state)
{
    (void) state;
    zown_registry_t *registry = zown_registry_new ();
    pid_t pid = s_sleeper ();
    s_kill (pid);
    assert_int_equal (s_hello (registry, "ZSlate", pid), ZOWN_OK);
    assert_int_equal (zown_registry_stats (registry)->sessions, 0);
    assert_int_equal (zown_registry_stats (registry)->sessions_died, 1);
    zown_datum_t now = zown_datum_int (0);
    assert_int_equal (s_op (registry, "ZSlate", ZOWN_OP_LOCK_ACQUIRE, "l", 1, &now, NULL),
                      ZOWN_NO_SESSION);
    zown_registry_destroy (&registry);
}

//  --------------------------------------------------------------------------
//  A live owner and client processes

//  Child: take the lock (its name and the owner's endpoint in the
//  payload) and exit at once, without a word to the owner.
static int
s_acquire_and_exit (void *args, const void *payload, size_t size)
{
    (void) args, (void) size;
    zown_client_t *client = zown_client_new ((const char *) payload);
    zown_lock_t *lock = zown_lock_new (client, "held");
    int rc = client && lock && zown_lock_acquire (lock, 10000, NULL) == 0 ? 0 : 1;
    _exit (rc);
}

//  `rounds` clients each take the lock and exit at once: every time the
//  lock comes back, flagged as left by a death.
static void
s_acquire_and_exit_rounds (zown_owner_t *owner, zown_client_t *client, int rounds)
{
    zown_lock_t *lock = zown_lock_new (client, "held");
    const char *endpoint = zown_owner_ipc (owner);
    for (int round = 0; round < rounds; round++) {
        pid_t pid = zown_spawner_spawn (s_spawner, s_acquire_and_exit, NULL, endpoint,
                                        strlen (endpoint) + 1);
        assert_true (pid > 0);
        pid_t reaped;
        int status;
        assert_int_equal (zown_spawner_wait (s_spawner, 30000, &reaped, &status), 0);
        assert_int_equal (reaped, pid);
        assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
        //  At once in fact; the bound only ends a test whose lock never
        //  comes back.
        bool died = false;
        assert_int_equal (zown_lock_acquire (lock, 10000, &died), 0);
        assert_true (died);
        assert_int_equal (zown_lock_release (lock), 0);
    }
    zown_lock_destroy (&lock);
}

static void
test_acquire_then_exit_releases (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    s_acquire_and_exit_rounds (owner, client, 150);
    pid_t load [3];
    for (int index = 0; index < 3; index++)
        load [index] = testutil_spin (s_spawner);
    s_acquire_and_exit_rounds (owner, client, 150);
    for (int index = 0; index < 3; index++)
        testutil_unspin (s_spawner, load [index]);
    testutil_await_stat (client, "sessions", 1);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

//  Child: one write (so its client says HELLO), then exit without a word.
static int
s_write_and_exit (void *args, const void *payload, size_t size)
{
    (void) args, (void) size;
    zown_client_t *client = zown_client_new ((const char *) payload);
    zown_value_t *value = zown_value_new (client, "writes");
    _exit (client && value && zown_value_add (value, 1, NULL) == 0 ? 0 : 1);
}

static void
test_exited_clients_leave_no_session (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    const char *endpoint = zown_owner_ipc (owner);
    const int total = 1050, wave = 50;
    for (int done = 0; done < total; done += wave) {
        for (int index = 0; index < wave; index++)
            assert_true (zown_spawner_spawn (s_spawner, s_write_and_exit, NULL, endpoint,
                                             strlen (endpoint) + 1)
                         > 0);
        for (int index = 0; index < wave; index++) {
            int status;
            assert_int_equal (zown_spawner_wait (s_spawner, 30000, NULL, &status), 0);
            assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
        }
    }
    zown_value_t *value = zown_value_new (client, "writes");
    int64_t writes = 0;
    assert_int_equal (zown_value_get (value, &writes), 0);
    assert_int_equal (writes, total);
    testutil_await_stat (client, "sessions", 1);
    assert_int_equal (testutil_stat (client, "sessions_died"), total);
    zown_value_destroy (&value);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

//  A client that never says HELLO parks a request and goes away: its
//  session and its parked request go with its connection.
static void
test_connection_end_ends_a_session (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    void *ctx = zmq_ctx_new ();
    void *raw = zmq_socket (ctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt (raw, ZMQ_LINGER, &linger, sizeof (linger));
    assert_int_equal (zmq_connect (raw, zown_owner_ipc (owner)), 0);
    zown_request_t *request = zown_request_new ();
    zown_datum_t forever = zown_datum_int (-1);
    assert_int_equal (zown_request_add (request, ZOWN_OP_QUEUE_GET, "q", 1, &forever), 0);
    zown_request_seal (request, 7);
    const zown_buf_t *frame = zown_request_buffer (request);
    assert_int_equal (zmq_send (raw, frame->data, frame->size, 0), (int) frame->size);
    testutil_await_stat (client, "parked", 1);
    assert_int_equal (testutil_stat (client, "sessions"), 2);
    zmq_close (raw);
    testutil_await_stat (client, "parked", 0);
    testutil_await_stat (client, "sessions", 1);
    zown_request_destroy (&request);
    zmq_ctx_term (ctx);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

//  Await, through the owner, a child's word: the value `name` set to
//  `expected` (fails the test after 10 s).
static void
s_await_value (zown_client_t *client, const char *name, int64_t expected)
{
    zown_value_t *value = zown_value_new (client, name);
    int64_t deadline = testutil_now_ms () + 10000;
    int64_t now = 0;
    while ((zown_value_get (value, &now) || now != expected) && testutil_now_ms () < deadline)
        ;
    assert_int_equal (now, expected);
    zown_value_destroy (&value);
}

//  Child: hello the owner, wait for the word (a byte on a FIFO) that it
//  restarted, then take the lock, say so, and wait to be killed.
static int
s_hold_after_restart (void *args, const void *payload, size_t size)
{
    (void) args, (void) size;
    const char *endpoint = (const char *) payload;
    const char *fifo = endpoint + strlen (endpoint) + 1;
    zown_client_t *client = zown_client_new (endpoint);
    zown_value_t *ready = zown_value_new (client, "ready");
    if (!client)
        return 1;
    //  Its reply may never come: the test stops the owner as soon as it
    //  sees "ready", and must then find this child at the FIFO.
    zown_value_set (ready, 1);
    FILE *word = fopen (fifo, "r");
    if (!word || fgetc (word) == EOF)
        return 2;
    zown_lock_t *lock = zown_lock_new (client, "after");
    zown_value_t *held = zown_value_new (client, "held");
    //  A request sent before this client saw the old owner's connection
    //  close is lost with it: try again, as an application would. DEADLOCK
    //  says an earlier try took it, whose answer came after its deadline.
    zown_client_set_timeout (client, 1000);
    int tries = 0;
    while (zown_lock_acquire (lock, 0, NULL) && zown_errno () != ZOWN_DEADLOCK && tries++ < 30)
        if (zown_errno () != ZOWN_TIMEOUT && zown_errno () != ZOWN_UNREACHABLE)
            return 3;
    if (tries > 30 || zown_value_set (held, 1))
        return 4;
    for (;;)
        pause ();
    return 0;
}

//  A client that talked to an owner before it restarted is watched by the
//  new one: the lock it takes afterwards comes back when it dies.
static void
test_restarted_owner_watches_old_clients (void **state)
{
    (void) state;
    const char *name = testutil_name ("restart");
    zown_owner_t *owner = zown_owner_new (name);
    assert_non_null (owner);
    char payload [1024];
    const char *endpoint = zown_owner_ipc (owner);
    size_t length = strlen (endpoint) + 1;
    memcpy (payload, endpoint, length);
    snprintf (payload + length, sizeof (payload) - length, "%s/restart.fifo",
              getenv ("ZOWN_RUNDIR"));
    assert_int_equal (mkfifo (payload + length, 0600), 0);
    pid_t pid = zown_spawner_spawn (s_spawner, s_hold_after_restart, NULL, payload,
                                    length + strlen (payload + length) + 1);
    assert_true (pid > 0);
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    s_await_value (client, "ready", 1);  //  It said HELLO, and is at the FIFO
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);

    owner = zown_owner_new (name);
    assert_non_null (owner);
    client = testutil_client (zown_owner_inproc (owner));
    FILE *word = fopen (payload + length, "w");
    assert_non_null (word);
    assert_int_equal (fputc ('!', word), '!');
    fclose (word);
    s_await_value (client, "held", 1);
    assert_int_equal (zown_spawner_kill (s_spawner, pid, SIGKILL), 0);
    int status;
    assert_int_equal (zown_spawner_wait (s_spawner, 10000, NULL, &status), 0);
    zown_lock_t *lock = zown_lock_new (client, "after");
    bool died = false;
    assert_int_equal (zown_lock_acquire (lock, 10000, &died), 0);
    assert_true (died);
    zown_lock_destroy (&lock);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_dead_waiters_are_passed_over),
        cmocka_unit_test (test_late_request_of_the_dead_opens_nothing),
        cmocka_unit_test (test_hello_of_the_dead_ends_its_session),
        cmocka_unit_test (test_acquire_then_exit_releases),
        cmocka_unit_test (test_exited_clients_leave_no_session),
        cmocka_unit_test (test_connection_end_ends_a_session),
        cmocka_unit_test (test_restarted_owner_watches_old_clients),
    };
    return testutil_run_spawned (&s_spawner, tests, sizeof (tests) / sizeof (tests [0]));
}
