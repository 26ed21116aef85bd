/*  =========================================================================
    test_curve - tcp endpoints: CURVE keys, the allow list, refusals that
    leave the state untouched, plain tcp only when asked for, and sessions
    of processes on other hosts
    =========================================================================
*/
#include "testutil.h"
#include "zown_internal.h"
#include <sys/stat.h>

//  Made first in main, while the test process has one thread.
static zown_spawner_t *s_spawner;
//  Keys of this program: the owner's, one client in the allow list, one not.
static char s_dir [200];
static char s_allow [256];
static char s_owner_secret [320];
static char s_client_secret [320];
static char s_stranger_secret [320];

static void
s_keygen (const char *name, char *secret, size_t size)
{
    char base [280];
    snprintf (base, sizeof (base), "%s/%s", s_dir, name);
    assert_int_equal (zown_curve_keygen (base, name, NULL), 0);
    snprintf (secret, size, "%s.secret", base);
}

//  Moves NAME.key into the allow list.
static void
s_allow_key (const char *name)
{
    char from [400], to [400];
    snprintf (from, sizeof (from), "%s/%s.key", s_dir, name);
    snprintf (to, sizeof (to), "%s/%s.key", s_allow, name);
    assert_int_equal (rename (from, to), 0);
}

static zown_owner_t *
s_curve_owner (void)
{
    zown_owner_options_t options = { .cert = s_owner_secret, .allow = s_allow };
    zown_owner_t *owner = zown_owner_new_with (testutil_name ("curve"), &options);
    assert_non_null (owner);
    assert_int_equal (zown_owner_bind (owner, "tcp://127.0.0.1:*"), 0);
    assert_true (strncmp (zown_owner_bound (owner), "tcp://127.0.0.1:", 16) == 0);
    assert_int_equal (strlen (zown_owner_public_key (owner)), ZOWN_CURVE_KEY_TEXT);
    return owner;
}

static zown_client_t *
s_tcp_client (zown_owner_t *owner, const char *cert, const char *server_key)
{
    zown_client_options_t options = { .server_key =
                                          server_key ? server_key : zown_owner_public_key (owner),
                                      .cert = cert };
    zown_client_t *client = zown_client_new_with (zown_owner_bound (owner), &options);
    assert_non_null (client);
    return client;
}

static void
test_keygen (void **state)
{
    (void) state;
    char base [300], file [320], text [ZOWN_CURVE_KEY_TEXT + 1], again [ZOWN_CURVE_KEY_TEXT + 1];
    snprintf (base, sizeof (base), "%s/pair", s_dir);
    assert_int_equal (zown_curve_keygen (base, "pair", text), 0);
    assert_int_equal (strlen (text), ZOWN_CURVE_KEY_TEXT);
    struct stat info;
    snprintf (file, sizeof (file), "%s.secret", base);
    assert_int_equal (stat (file, &info), 0);
    assert_int_equal (info.st_mode & 0777, 0600);
    //  Both files give the same public key; the text works as a key too.
    assert_int_equal (zown_curve_public_key (file, again), 0);
    assert_string_equal (again, text);
    snprintf (file, sizeof (file), "%s.key", base);
    assert_int_equal (zown_curve_public_key (file, again), 0);
    assert_string_equal (again, text);
    assert_int_equal (zown_curve_public_key (text, again), 0);
    assert_string_equal (again, text);
    //  Never overwrites a key pair.
    assert_int_equal (zown_curve_keygen (base, NULL, NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_int_equal (zown_curve_public_key ("no such key", again), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
}

static void
test_allowed_client_works (void **state)
{
    (void) state;
    zown_owner_t *owner = s_curve_owner ();
    zown_client_t *client = s_tcp_client (owner, s_client_secret, NULL);
    zown_value_t *counter = zown_value_new (client, "counter");
    int64_t now = 0;
    for (int round = 0; round < 100; round++)
        assert_int_equal (zown_value_add (counter, 1, &now), 0);
    assert_int_equal (now, 100);
    assert_int_equal (testutil_stat (client, "auth_refused"), 0);
    zown_value_destroy (&counter);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

//  Every way in without an allowed key: nothing read, nothing changed, and
//  each refusal counted.
static void
test_refused_clients_change_nothing (void **state)
{
    (void) state;
    zown_owner_t *owner = s_curve_owner ();
    zown_client_t *local = testutil_client (zown_owner_inproc (owner));
    zown_datum_t one = zown_datum_int (1);

    //  A key not in the allow list; then a wrong server key.
    const char *certs [] = { s_stranger_secret, s_client_secret };
    char wrong_server [ZOWN_CURVE_KEY_TEXT + 1];
    assert_int_equal (zown_curve_public_key (s_client_secret, wrong_server), 0);
    const char *servers [] = { NULL, wrong_server };
    for (int index = 0; index < 2; index++) {
        zown_client_t *client = s_tcp_client (owner, certs [index], servers [index]);
        assert_int_equal (zown_client_set_timeout (client, 2000), 0);
        assert_int_equal (zown_client_call_op (client, ZOWN_OP_VALUE_ADD, "counter", 1, &one, NULL),
                          -1);
        assert_int_equal (zown_errno (), ZOWN_DENIED);
        zown_client_destroy (&client);
    }
    //  The unknown key was seen by the ZAP handler (the wrong server key
    //  fails before: the owner cannot even read the client's hello).
    assert_true (testutil_stat (local, "auth_refused") >= 1);

    //  No keys at all, to a CURVE endpoint.
    zown_client_options_t plain = { .insecure = true };
    zown_client_t *client = zown_client_new_with (zown_owner_bound (owner), &plain);
    assert_non_null (client);
    assert_int_equal (zown_client_set_timeout (client, 1000), 0);
    assert_int_equal (zown_client_call_op (client, ZOWN_OP_VALUE_ADD, "counter", 1, &one, NULL),
                      -1);
    assert_true (zown_errno () == ZOWN_UNREACHABLE || zown_errno () == ZOWN_TIMEOUT);
    zown_client_destroy (&client);

    assert_int_equal (testutil_stat (local, "objects"), 0);
    assert_int_equal (zown_client_call_op (local, ZOWN_OP_VALUE_GET, "counter", 0, NULL, NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_NOT_FOUND);
    zown_client_destroy (&local);
    zown_owner_destroy (&owner);
}

static void
test_allow_list_is_read_again (void **state)
{
    (void) state;
    zown_owner_t *owner = s_curve_owner ();
    char late_secret [320];
    s_keygen ("late", late_secret, sizeof (late_secret));
    zown_client_t *client = s_tcp_client (owner, late_secret, NULL);
    assert_int_equal (zown_client_set_timeout (client, 2000), 0);
    assert_int_equal (zown_client_ping (client), -1);
    assert_int_equal (zown_errno (), ZOWN_DENIED);
    //  Added while the owner runs: accepted from the next connection on,
    //  and the refused client makes one at its next call.
    s_allow_key ("late");
    assert_int_equal (zown_client_ping (client), 0);
    zown_client_destroy (&client);
    client = s_tcp_client (owner, late_secret, NULL);
    assert_int_equal (zown_client_ping (client), 0);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

static void
test_tcp_needs_keys_or_insecure (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    assert_int_equal (zown_owner_bind (owner, "tcp://127.0.0.1:*"), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    zown_owner_destroy (&owner);

    //  Keys and allow list go together; a public certificate is no key pair.
    zown_owner_options_t half = { .cert = s_owner_secret };
    assert_null (zown_owner_new_with (testutil_name ("half"), &half));
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    char public_file [320];
    snprintf (public_file, sizeof (public_file), "%s/client.key", s_allow);
    zown_owner_options_t public_only = { .cert = public_file, .allow = s_allow };
    assert_null (zown_owner_new_with (testutil_name ("public"), &public_only));
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    zown_owner_options_t no_dir = { .cert = s_owner_secret, .allow = "/nonexistent" };
    owner = zown_owner_new_with (testutil_name ("nodir"), &no_dir);
    assert_non_null (owner);
    assert_int_equal (zown_owner_bind (owner, "tcp://127.0.0.1:*"), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    zown_owner_destroy (&owner);

    //  A client needs keys for tcp, or to ask for plain tcp.
    assert_null (zown_client_new ("tcp://127.0.0.1:1"));
    assert_int_equal (zown_errno (), ZOWN_INVALID);

    zown_owner_options_t insecure = { .insecure = true };
    owner = zown_owner_new_with (testutil_name ("plain"), &insecure);
    assert_non_null (owner);
    assert_int_equal (zown_owner_bind (owner, "tcp://127.0.0.1:*"), 0);
    zown_client_options_t plain = { .insecure = true };
    zown_client_t *client = zown_client_new_with (zown_owner_bound (owner), &plain);
    assert_non_null (client);
    assert_int_equal (zown_client_ping (client), 0);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

//  One ZAP handler per ZeroMQ context: a second CURVE owner of this
//  process is refused until the first is gone.
static void
test_one_curve_owner_per_process (void **state)
{
    (void) state;
    zown_owner_t *first = s_curve_owner ();
    zown_owner_options_t options = { .cert = s_owner_secret, .allow = s_allow };
    zown_owner_t *second = zown_owner_new_with (testutil_name ("second"), &options);
    assert_non_null (second);
    assert_int_equal (zown_owner_bind (second, "tcp://127.0.0.1:*"), -1);
    assert_int_equal (zown_errno (), ZOWN_ADDR_IN_USE);
    zown_owner_destroy (&first);
    assert_int_equal (zown_owner_bind (second, "tcp://127.0.0.1:*"), 0);
    zown_owner_destroy (&second);
}

static int
s_wait_for_signal (void *args, const void *payload, size_t size)
{
    (void) args, (void) payload, (void) size;
    pause ();
    return 0;
}

//  A raw connection that says HELLO with pid and boot id.
static void *
s_hello (void *ctx, const char *endpoint, pid_t pid, const char *boot)
{
    void *dealer = zmq_socket (ctx, ZMQ_DEALER);
    assert_int_equal (zmq_connect (dealer, endpoint), 0);
    zown_request_t *request = zown_request_new ();
    zown_datum_t hello [2] = { zown_datum_int (pid), zown_datum_bytes (boot, strlen (boot)) };
    assert_int_equal (zown_request_add (request, ZOWN_OP_HELLO, NULL, 2, hello), 0);
    zown_request_seal (request, 0);
    const zown_buf_t *buf = zown_request_buffer (request);
    assert_int_equal (zmq_send (dealer, buf->data, buf->size, 0), (int) buf->size);
    zown_request_destroy (&request);
    return dealer;
}

//  A pid said with another host's boot id is not this host's process: its
//  death here ends nothing.
static void
test_pid_of_another_host_is_not_watched (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    char boot [ZOWN_BOOT_ID_SIZE + 1] = "";
    assert_int_equal (zown_boot_id (boot), ZOWN_BOOT_ID_SIZE);
    pid_t remote = zown_spawner_spawn (s_spawner, s_wait_for_signal, NULL, NULL, 0);
    pid_t local = zown_spawner_spawn (s_spawner, s_wait_for_signal, NULL, NULL, 0);
    assert_true (remote > 0 && local > 0);
    void *ctx = zmq_ctx_new ();
    void *remote_dealer =
        s_hello (ctx, zown_owner_ipc (owner), remote, "00000000-0000-0000-0000-000000000000");
    void *local_dealer = s_hello (ctx, zown_owner_ipc (owner), local, boot);
    testutil_await_stat (client, "sessions", 3);

    //  The "remote" pid dies first, then the local one.
    int status;
    pid_t pid;
    assert_int_equal (zown_spawner_kill (s_spawner, remote, SIGKILL), 0);
    assert_int_equal (zown_spawner_wait (s_spawner, ZOWN_FOREVER, &pid, &status), 0);
    assert_int_equal (pid, remote);
    assert_int_equal (zown_spawner_kill (s_spawner, local, SIGKILL), 0);
    assert_int_equal (zown_spawner_wait (s_spawner, ZOWN_FOREVER, &pid, &status), 0);
    testutil_await_stat (client, "sessions_died", 1);
    //  Two more round trips: the owner looks at deaths after the requests
    //  of each turn, so a watched "remote" pid would have been seen by now.
    assert_int_equal (zown_client_ping (client), 0);
    assert_int_equal (zown_client_ping (client), 0);
    assert_int_equal (testutil_stat (client, "sessions_died"), 1);
    assert_int_equal (testutil_stat (client, "sessions"), 2);
    zmq_close (remote_dealer);
    zmq_close (local_dealer);
    zmq_ctx_term (ctx);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

//  One request on a raw DEALER; asserts the reply's status.
static void
s_raw_call (void *dealer, zown_op_t op, const char *name, zown_datum_t arg, int status)
{
    zown_request_t *request = zown_request_new ();
    assert_int_equal (zown_request_add (request, op, name, 1, &arg), 0);
    zown_request_seal (request, 1);
    const zown_buf_t *buf = zown_request_buffer (request);
    assert_int_equal (zmq_send (dealer, buf->data, buf->size, 0), (int) buf->size);
    zown_request_destroy (&request);
    zown_reply_t reply;
    zown_reply_init (&reply);
    zmq_msg_t frame;
    zmq_msg_init (&frame);
    assert_true (zmq_msg_recv (&frame, dealer, 0) >= 0);
    assert_int_equal (zown_reply_decode (&reply, zmq_msg_data (&frame), zmq_msg_size (&frame)), 0);
    assert_int_equal (zown_reply_status (&reply), status);
    zmq_msg_close (&frame);
    zown_reply_fini (&reply);
}

//  A client on another host cannot be watched like a local process: its
//  session ends with its tcp connection, and a lock it held goes to the
//  next in line, flagged as left by a dead holder.
static void
test_tcp_session_ends_with_its_connection (void **state)
{
    (void) state;
    zown_owner_options_t insecure = { .insecure = true };
    zown_owner_t *owner = zown_owner_new_with (testutil_name ("gone"), &insecure);
    assert_non_null (owner);
    assert_int_equal (zown_owner_bind (owner, "tcp://127.0.0.1:*"), 0);
    void *ctx = zmq_ctx_new ();
    void *remote = zmq_socket (ctx, ZMQ_DEALER);
    assert_int_equal (zmq_connect (remote, zown_owner_bound (owner)), 0);
    s_raw_call (remote, ZOWN_OP_LOCK_ACQUIRE, "lock", zown_datum_int (0), ZOWN_OK);

    zown_client_t *waiter = testutil_client (zown_owner_inproc (owner));
    zown_request_t *request = zown_request_new ();
    zown_datum_t forever = zown_datum_int (-1);
    assert_int_equal (zown_request_add (request, ZOWN_OP_LOCK_ACQUIRE, "lock", 1, &forever), 0);
    assert_int_equal (zown_client_send (waiter, request, NULL), 0);
    zown_client_t *observer = testutil_client (zown_owner_inproc (owner));
    testutil_await_stat (observer, "parked", 1);

    //  The connection closes without BYE, as when its host goes away.
    zmq_close (remote);
    zmq_ctx_term (ctx);
    assert_int_equal (zown_client_set_timeout (waiter, 10000), 0);
    zown_reply_t *reply;
    assert_int_equal (zown_client_recv (waiter, &reply), 0);
    assert_int_equal (zown_reply_status (reply), ZOWN_OK);
    assert_int_equal (zown_reply_value (reply, 0, 0).u.i, 1);
    assert_int_equal (testutil_stat (observer, "sessions_died"), 1);
    zown_request_destroy (&request);
    zown_client_destroy (&observer);
    zown_client_destroy (&waiter);
    zown_owner_destroy (&owner);
}

int
main (void)
{
    s_spawner = zown_spawner_new ();
    if (!s_spawner)
        return 1;
    testutil_private_rundir ();
    char *rundir = zown_rundir ();
    if (!rundir)
        return 1;
    snprintf (s_dir, sizeof (s_dir), "%s/keys", rundir);
    free (rundir);
    snprintf (s_allow, sizeof (s_allow), "%s/allow", s_dir);
    if (mkdir (s_dir, 0700) || mkdir (s_allow, 0700))
        return 1;
    const struct CMUnitTest setup [] = {
        cmocka_unit_test (test_keygen),
    };
    if (cmocka_run_group_tests (setup, NULL, NULL))
        return 1;
    s_keygen ("owner", s_owner_secret, sizeof (s_owner_secret));
    s_keygen ("client", s_client_secret, sizeof (s_client_secret));
    s_keygen ("stranger", s_stranger_secret, sizeof (s_stranger_secret));
    s_allow_key ("client");
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_allowed_client_works),
        cmocka_unit_test (test_refused_clients_change_nothing),
        cmocka_unit_test (test_allow_list_is_read_again),
        cmocka_unit_test (test_tcp_needs_keys_or_insecure),
        cmocka_unit_test (test_one_curve_owner_per_process),
        cmocka_unit_test (test_pid_of_another_host_is_not_watched),
        cmocka_unit_test (test_tcp_session_ends_with_its_connection),
    };
    int failed = cmocka_run_group_tests (tests, NULL, NULL);
    zown_spawner_destroy (&s_spawner);
    return failed;
}
