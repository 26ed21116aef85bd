/*  =========================================================================
    test_client - deadlines, pipelining, and replies that arrive late or
    broken; a scripted fake owner makes each case happen on purpose
    =========================================================================
*/
#include "testutil.h"
#include "zown_internal.h"
#include <pthread.h>
#include <signal.h>

static zown_spawner_t *s_spawner;

static void
test_new_rejects_bad_targets (void **state)
{
    (void) state;
    testutil_private_rundir ();
    assert_null (zown_client_new (NULL));
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_null (zown_client_new (""));
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_null (zown_client_new ("bogus://where"));
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_null (zown_client_new ("not a name"));
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    zown_client_destroy (NULL);
}

static void
test_settings (void **state)
{
    (void) state;
    testutil_private_rundir ();
    zown_client_t *client = zown_client_new ("nobody-home");
    assert_non_null (client);
    assert_int_equal (zown_client_timeout (client), ZOWN_CLIENT_TIMEOUT_DEFAULT);
    assert_int_equal (zown_client_set_timeout (client, 0), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_int_equal (zown_client_set_timeout (client, -5), -1);
    assert_int_equal (zown_client_set_timeout (client, ZOWN_FOREVER), 0);
    assert_int_equal (zown_client_set_window (client, 0), -1);
    assert_int_equal (zown_client_set_window (client, ZOWN_CLIENT_WINDOW_MAX + 1), -1);
    assert_int_equal (zown_client_set_window (client, 5), 0);
    zown_reply_t *reply = (zown_reply_t *) 1;
    assert_int_equal (zown_client_recv (client, &reply), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_null (reply);
    assert_int_equal (zown_client_call (client, NULL, NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    zown_client_destroy (&client);
}

static void
test_no_owner_is_unreachable (void **state)
{
    (void) state;
    testutil_private_rundir ();
    zown_client_t *client = zown_client_new ("nobody-home");
    assert_int_equal (zown_client_set_timeout (client, 100), 0);
    assert_int_equal (zown_client_ping (client), -1);
    assert_int_equal (zown_errno (), ZOWN_UNREACHABLE);
    zown_client_destroy (&client);
}

static void
test_pipelining (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_ipc (owner));
    assert_int_equal (zown_client_set_window (client, 100), 0);
    zown_request_t *request = zown_request_new ();
    zown_datum_t one = zown_datum_int (1);
    assert_int_equal (zown_request_add (request, ZOWN_OP_VALUE_ADD, "n", 1, &one), 0);

    uint64_t ids [100];
    for (int index = 0; index < 100; index++)
        assert_int_equal (zown_client_send (client, request, &ids [index]), 0);
    assert_int_equal (zown_client_pending (client), 100);
    assert_int_equal (zown_client_send (client, request, NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_BUSY);
    //  A synchronous call must not steal a pipelined reply.
    assert_int_equal (zown_client_ping (client), -1);
    assert_int_equal (zown_errno (), ZOWN_BUSY);
    for (int index = 0; index < 100; index++) {
        zown_reply_t *reply;
        assert_int_equal (zown_client_recv (client, &reply), 0);
        assert_int_equal (zown_reply_id (reply), ids [index]);
        assert_int_equal (zown_reply_status (reply), ZOWN_OK);
        //  Replies come in order: the nth add sees n.
        assert_int_equal (zown_reply_value (reply, 0, 0).u.i, index + 1);
    }
    assert_int_equal (zown_client_pending (client), 0);
    assert_int_equal (zown_client_ping (client), 0);
    assert_int_equal (zown_client_dropped (client), 0);

    //  Abandoned requests: their replies are dropped, not handed to the next call.
    for (int index = 0; index < 10; index++)
        assert_int_equal (zown_client_send (client, request, NULL), 0);
    zown_client_abandon (client);
    assert_int_equal (zown_client_pending (client), 0);
    zown_reply_t *reply;
    zown_request_reset (request);
    assert_int_equal (zown_request_add (request, ZOWN_OP_VALUE_GET, "n", 0, NULL), 0);
    assert_int_equal (zown_client_call (client, request, &reply), 0);
    assert_int_equal (zown_reply_value (reply, 0, 0).u.i, 110);
    assert_int_equal (zown_client_dropped (client), 10);
    zown_request_destroy (&request);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

//  A parked request is answered when it completes, after later requests:
//  pipelined, both replies arrive, each matched by its id, in the order
//  they come; an abandoned one's late reply is dropped.
static void
test_pipelined_parked_request (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_ipc (owner));
    zown_client_t *other = testutil_client (zown_owner_inproc (owner));
    zown_request_t *get = zown_request_new ();
    zown_datum_t wait = zown_datum_int (10000);
    assert_int_equal (zown_request_add (get, ZOWN_OP_QUEUE_GET, "q", 1, &wait), 0);
    zown_request_t *ping = zown_request_new ();
    assert_int_equal (zown_request_add (ping, ZOWN_OP_PING, NULL, 0, NULL), 0);
    zown_request_t *put = zown_request_new ();
    zown_datum_t item [2] = { zown_datum_int (42), zown_datum_int (0) };
    assert_int_equal (zown_request_add (put, ZOWN_OP_QUEUE_PUT, "q", 2, item), 0);

    uint64_t get_id, ping_id;
    assert_int_equal (zown_client_send (client, get, &get_id), 0);
    assert_int_equal (zown_client_send (client, ping, &ping_id), 0);
    zown_reply_t *reply;
    assert_int_equal (zown_client_recv (client, &reply), 0);
    assert_int_equal (zown_reply_id (reply), ping_id);
    assert_int_equal (zown_client_pending (client), 1);
    testutil_await_stat (other, "parked", 1);
    assert_int_equal (zown_client_call (other, put, NULL), 0);
    assert_int_equal (zown_client_recv (client, &reply), 0);
    assert_int_equal (zown_reply_id (reply), get_id);
    assert_int_equal (zown_reply_status (reply), ZOWN_OK);
    assert_int_equal (zown_reply_value (reply, 0, 0).u.i, 42);
    assert_int_equal (zown_client_pending (client), 0);
    assert_int_equal (zown_client_dropped (client), 0);

    //  Abandoned while parked: its reply, when it comes, is dropped.
    assert_int_equal (zown_client_send (client, get, &get_id), 0);
    assert_int_equal (zown_client_send (client, ping, &ping_id), 0);
    assert_int_equal (zown_client_recv (client, &reply), 0);
    assert_int_equal (zown_reply_id (reply), ping_id);
    zown_client_abandon (client);
    testutil_await_stat (other, "parked", 1);
    assert_int_equal (zown_client_call (other, put, NULL), 0);
    assert_int_equal (zown_client_call (client, ping, &reply), 0);
    assert_int_equal (zown_client_dropped (client), 1);
    zown_request_destroy (&put);
    zown_request_destroy (&ping);
    zown_request_destroy (&get);
    zown_client_destroy (&other);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

//  --------------------------------------------------------------------------
//  A fake owner: answers each request as the script says, after the test
//  releases it (by writing to a pipe), never by the clock.

typedef struct {
    char endpoint [256];
    int release [2];  //  Test -> fake: "answer the held request now"
    void *ctx;
    void *router;
} fake_t;

//  The id of the next request; session messages (HELLO, id 0) are skipped.
static uint64_t
s_fake_recv (fake_t *self, zmq_msg_t *identity)
{
    zmq_msg_t body;
    zmq_msg_init (&body);
    uint64_t id = 0;
    while (id == 0) {
        assert_true (zmq_msg_recv (identity, self->router, 0) >= 0);
        assert_true (zmq_msg_recv (&body, self->router, 0) >= 0);
        zown_decoded_t decoded;
        zown_decoded_init (&decoded);
        assert_int_equal (
            zown_decode_request (&decoded, zmq_msg_data (&body), zmq_msg_size (&body), 1024),
            ZOWN_OK);
        id = decoded.id;
        zown_decoded_free (&decoded);
    }
    zmq_msg_close (&body);
    return id;
}

static void
s_fake_reply (fake_t *self, zmq_msg_t *identity, uint64_t id, bool garbled)
{
    zown_buf_t out;
    zown_buf_init (&out);
    zown_encode_reply_header (&out, id);
    size_t result = zown_encode_result_begin (&out);
    zown_buf_put_datum (&out, zown_datum_int ((int64_t) id));
    zown_encode_result_end (&out, result, ZOWN_OK, 1);
    zown_encode_reply_end (&out, ZOWN_OK, 1);
    if (garbled)
        out.size -= 3;  //  A value cut short
    zmq_msg_send (identity, self->router, ZMQ_SNDMORE);
    zmq_send (self->router, out.data, out.size, 0);
    zown_buf_free (&out);
}

static void *
s_fake_owner (void *args)
{
    fake_t *self = (fake_t *) args;
    zmq_msg_t identity;
    zmq_msg_init (&identity);
    //  1: hold the first request until released, then answer it (late).
    uint64_t late = s_fake_recv (self, &identity);
    char go;
    assert_int_equal (read (self->release [0], &go, 1), 1);
    s_fake_reply (self, &identity, late, false);
    //  2: answer the next request at once.
    uint64_t next = s_fake_recv (self, &identity);
    s_fake_reply (self, &identity, next, false);
    //  3: answer the third with a broken reply.
    uint64_t broken = s_fake_recv (self, &identity);
    s_fake_reply (self, &identity, broken, true);
    zmq_msg_close (&identity);
    return NULL;
}

static void
test_late_and_broken_replies (void **state)
{
    (void) state;
    testutil_private_rundir ();
    fake_t fake;
    snprintf (fake.endpoint, sizeof (fake.endpoint), "ipc://%s/fake.sock", getenv ("ZOWN_RUNDIR"));
    assert_int_equal (pipe (fake.release), 0);
    fake.ctx = zmq_ctx_new ();
    fake.router = zmq_socket (fake.ctx, ZMQ_ROUTER);
    assert_int_equal (zmq_bind (fake.router, fake.endpoint), 0);
    pthread_t thread;
    pthread_create (&thread, NULL, s_fake_owner, &fake);

    zown_client_t *client = testutil_client (fake.endpoint);
    assert_int_equal (zown_client_set_timeout (client, 100), 0);
    //  1: no reply within the deadline. Until the connection is up, a call
    //  sends nothing and fails UNREACHABLE (a loaded machine may take more
    //  than the deadline to connect); the first request sent is id 1.
    int64_t deadline = testutil_now_ms () + 10000;
    while (zown_client_ping (client) == -1 && zown_errno () == ZOWN_UNREACHABLE)
        assert_true (testutil_now_ms () < deadline);
    assert_int_equal (zown_errno (), ZOWN_TIMEOUT);
    assert_int_equal (zown_client_pending (client), 0);
    //  The fake now answers request 1, late; request 2 must get its own reply.
    assert_int_equal (write (fake.release [1], "g", 1), 1);
    assert_int_equal (zown_client_set_timeout (client, 10000), 0);
    zown_request_t *request = zown_request_new ();
    zown_request_add (request, ZOWN_OP_PING, NULL, 0, NULL);
    zown_reply_t *reply;
    assert_int_equal (zown_client_call (client, request, &reply), 0);
    assert_int_equal (zown_reply_id (reply), 2);
    assert_int_equal (zown_reply_value (reply, 0, 0).u.i, 2);
    assert_int_equal (zown_client_dropped (client), 1);
    //  3: a reply that does not decode
    assert_int_equal (zown_client_call (client, request, &reply), -1);
    assert_int_equal (zown_errno (), ZOWN_PROTOCOL);
    assert_null (reply);

    pthread_join (thread, NULL);
    zown_request_destroy (&request);
    zown_client_destroy (&client);
    int linger = 0;
    zmq_setsockopt (fake.router, ZMQ_LINGER, &linger, sizeof (linger));
    zmq_close (fake.router);
    zmq_ctx_term (fake.ctx);
    close (fake.release [0]);
    close (fake.release [1]);
}

//  An owner process that dies (SIGKILL) once a request waits in it; its
//  name is the payload.
static int
s_owner_that_dies (void *args, const void *payload, size_t size)
{
    (void) args, (void) size;
    zown_owner_t *owner = zown_owner_new ((const char *) payload);
    if (!owner)
        return 1;
    zown_client_t *client = zown_client_new (zown_owner_inproc (owner));
    zown_request_t *request = zown_request_new ();
    zown_request_add (request, ZOWN_OP_STATS, NULL, 0, NULL);
    for (;;) {
        zown_reply_t *reply;
        if (zown_client_call (client, request, &reply))
            return 2;
        for (size_t index = 0; index + 1 < zown_reply_count (reply, 0); index += 2)
            if (zown_datum_streq (zown_reply_value (reply, 0, index), "parked")
                && zown_reply_value (reply, 0, index + 1).u.i == 1)
                raise (SIGKILL);
    }
}

//  A call waiting in an owner that dies fails at once with UNREACHABLE,
//  not at its deadline; the client's next call reaches the next owner of
//  that name.
static void
test_owner_gone_fails_calls_at_once (void **state)
{
    (void) state;
    const char *name = testutil_name ("gone");
    pid_t pid = zown_spawner_spawn (s_spawner, s_owner_that_dies, NULL, name, strlen (name) + 1);
    assert_true (pid > 0);
    zown_client_t *client = zown_client_new (name);
    assert_non_null (client);
    assert_int_equal (zown_client_set_timeout (client, 30000), 0);
    testutil_await_owner (client);
    zown_datum_t wait = zown_datum_int (20000);
    int64_t start = testutil_now_ms ();
    assert_int_equal (
        zown_client_call_op_wait (client, ZOWN_OP_EVENT_WAIT, "never", 1, &wait, 20000, NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_UNREACHABLE);
    //  At once in fact; without the connection's news the call would wait
    //  50 s (its wait and its deadline).
    assert_true (testutil_now_ms () - start < 10000);
    int status;
    assert_int_equal (zown_spawner_wait (s_spawner, 10000, NULL, &status), 0);
    assert_true (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);

    zown_owner_t *owner = zown_owner_new (name);
    assert_non_null (owner);
    testutil_await_owner (client);
    zown_lock_t *lock = zown_lock_new (client, "l");
    assert_int_equal (zown_lock_acquire (lock, 0, NULL), 0);
    zown_client_t *other = testutil_client (zown_owner_inproc (owner));
    assert_int_equal (testutil_stat (other, "sessions"), 2);
    zown_client_destroy (&other);
    zown_lock_destroy (&lock);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_new_rejects_bad_targets),
        cmocka_unit_test (test_settings),
        cmocka_unit_test (test_no_owner_is_unreachable),
        cmocka_unit_test (test_pipelining),
        cmocka_unit_test (test_pipelined_parked_request),
        cmocka_unit_test (test_late_and_broken_replies),
        cmocka_unit_test (test_owner_gone_fails_calls_at_once),
    };
    return testutil_run_spawned (&s_spawner, tests, sizeof (tests) / sizeof (tests [0]));
}
