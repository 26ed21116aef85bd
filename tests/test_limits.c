/*  =========================================================================
    test_limits - every owner limit on a live owner: a request just under it
    passes, one just over gets the exact status, its counter moves by one,
    the state is unchanged and the owner keeps serving; a client that never
    reads its replies does not stop another; a journal is loaded whole even
    under lower limits
    =========================================================================
*/
#include "testutil.h"
#include "zown_internal.h"

static zown_owner_t *
s_owner (const zown_limits_t *limits)
{
    zown_owner_options_t options = { .limits = *limits };
    zown_owner_t *owner = zown_owner_new_with (testutil_name ("limits"), &options);
    if (!owner)
        fail_msg ("owner: %s", zown_strerror (zown_errno ()));
    return owner;
}

//  One op through the client; returns its status, *reply_p borrowed.
static int
s_call (zown_client_t *client, zown_op_t op, const char *name, size_t argc,
        const zown_datum_t *argv, zown_reply_t **reply_p)
{
    zown_request_t *request = zown_request_new ();
    assert_int_equal (zown_request_add (request, op, name, argc, argv), 0);
    zown_reply_t *reply = NULL;
    int rc = zown_client_call (client, request, &reply);
    int status = rc == 0 ? ZOWN_OK : zown_errno ();
    zown_request_destroy (&request);
    if (reply_p)
        *reply_p = reply;
    return status;
}

//  The refusal's message names the limit.
static void
s_assert_names (const zown_reply_t *reply, size_t op, const char *limit)
{
    zown_datum_t message = zown_reply_message (reply, op);
    assert_int_equal (message.tag, ZOWN_BYTES);
    char text [128];
    snprintf (text, sizeof (text), "%.*s", (int) message.u.b.len, (const char *) message.u.b.ptr);
    if (!strstr (text, limit))
        fail_msg ("message '%s' does not name %s", text, limit);
}

static size_t
s_dict_len (zown_client_t *client, const char *name)
{
    zown_dict_t *dict = zown_dict_new (client, name);
    size_t len = 0;
    assert_int_equal (zown_dict_len (dict, &len), 0);
    zown_dict_destroy (&dict);
    return len;
}

static void
test_limits_out_of_bounds_are_refused (void **state)
{
    (void) state;
    const zown_limits_t invalid [] = {
        { .max_message = ZOWN_LIMIT_MESSAGE_MIN - 1 },
        { .max_message = ZOWN_LIMIT_MESSAGE_MAX + 1 },
        { .max_inflight = ZOWN_LIMIT_INFLIGHT_MIN - 1 },
        { .max_inflight = (size_t) INT32_MAX + 1 },
    };
    for (size_t index = 0; index < sizeof (invalid) / sizeof (invalid [0]); index++) {
        zown_owner_options_t options = { .limits = invalid [index] };
        assert_null (zown_owner_new_with (testutil_name ("invalid"), &options));
        assert_int_equal (zown_errno (), ZOWN_INVALID);
    }
    zown_limits_t bounds = { .max_message = ZOWN_LIMIT_MESSAGE_MIN,
                             .max_inflight = ZOWN_LIMIT_INFLIGHT_MIN };
    zown_owner_t *owner = s_owner (&bounds);
    zown_owner_destroy (&owner);
    //  Zero fields take their defaults.
    zown_limits_t limits = { .max_key = 3 };
    assert_int_equal (zown_limits_resolve (&limits), ZOWN_OK);
    assert_int_equal (limits.max_key, 3);
    assert_int_equal (limits.max_message, ZOWN_LIMIT_MESSAGE_DEFAULT);
    assert_int_equal (limits.max_inflight, ZOWN_LIMIT_INFLIGHT_DEFAULT);
}

static void
test_message_size (void **state)
{
    (void) state;
    zown_owner_t *owner = s_owner (&(zown_limits_t){ .max_message = 4096 });
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    //  A DICT_SET whose frame is exactly max_message, then one octet more.
    static char value [4096];
    memset (value, 'v', sizeof (value));
    zown_request_t *request = zown_request_new ();
    zown_datum_t args [2] = { ZOWN_STR ("k"), zown_datum_bytes (value, 0) };
    assert_int_equal (zown_request_add (request, ZOWN_OP_DICT_SET, "d", 2, args), 0);
    size_t overhead = zown_request_buffer (request)->size;
    zown_request_destroy (&request);
    args [1] = zown_datum_bytes (value, 4096 - overhead);
    assert_int_equal (s_call (client, ZOWN_OP_DICT_SET, "d", 2, args, NULL), ZOWN_OK);
    int64_t refused = testutil_stat (client, "refused_message");
    assert_int_equal (refused, 0);
    args [0] = ZOWN_STR ("j");
    args [1] = zown_datum_bytes (value, 4096 - overhead + 1);
    zown_reply_t *reply;
    assert_int_equal (s_call (client, ZOWN_OP_DICT_SET, "d", 2, args, &reply), ZOWN_TOO_LARGE);
    s_assert_names (reply, 0, "max_message (4096 bytes)");
    assert_int_equal (testutil_stat (client, "refused_message"), 1);
    assert_int_equal (s_dict_len (client, "d"), 1);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

static void
test_key_size (void **state)
{
    (void) state;
    zown_owner_t *owner = s_owner (&(zown_limits_t){ .max_key = 8 });
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_dict_t *dict = zown_dict_new (client, "d");
    assert_int_equal (zown_dict_set (dict, "12345678", ZOWN_INT_DATUM (1), NULL), 0);
    assert_int_equal (zown_dict_set (dict, "123456789", ZOWN_INT_DATUM (1), NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_TOO_LARGE);
    //  The owner's message names the limit; it lasts until the next call.
    assert_string_equal (zown_client_message (client), "key over max_key (8 bytes)");
    assert_int_equal (testutil_stat (client, "refused_key"), 1);
    assert_string_equal (zown_client_message (client), "");
    //  In an atomic update, a long key in second place: nothing is applied.
    zown_datum_t pairs [4] = { ZOWN_STR ("a"), ZOWN_INT_DATUM (1), ZOWN_STR ("abcdefghi"),
                               ZOWN_INT_DATUM (2) };
    zown_reply_t *reply;
    assert_int_equal (s_call (client, ZOWN_OP_DICT_UPDATE, "d", 4, pairs, &reply), ZOWN_TOO_LARGE);
    s_assert_names (reply, 0, "max_key (8 bytes)");
    assert_int_equal (testutil_stat (client, "refused_key"), 2);
    assert_int_equal (zown_dict_contains (dict, "a"), 0);
    //  A long key cannot exist, so even reading one is refused.
    assert_int_equal (zown_dict_contains (dict, "123456789"), -1);
    assert_int_equal (zown_errno (), ZOWN_TOO_LARGE);
    assert_int_equal (zown_dict_len (dict, &(size_t){ 0 }), 0);
    assert_int_equal (s_dict_len (client, "d"), 1);
    //  Values are not keys: a long value is fine.
    assert_int_equal (zown_dict_set (dict, "k", ZOWN_STR ("a value longer than 8"), NULL), 0);
    zown_dict_destroy (&dict);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

static void
test_value_size (void **state)
{
    (void) state;
    //  The least max_value: a HELLO's boot id (36 bytes) fits, 64 bytes fit.
    zown_owner_t *owner = s_owner (&(zown_limits_t){ .max_value = 64 });
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_list_t *list = zown_list_new (client, "l");
    char text [66];
    memset (text, 'x', 65);
    text [65] = 0;
    zown_datum_t big = ZOWN_STR (text);
    big.u.b.len = 64;
    assert_int_equal (zown_list_append (list, big, NULL), 0);
    assert_int_equal (testutil_stat (client, "malformed"), 0);
    big.u.b.len = 65;
    zown_reply_t *reply;
    assert_int_equal (s_call (client, ZOWN_OP_LIST_APPEND, "l", 1, &big, &reply), ZOWN_TOO_LARGE);
    s_assert_names (reply, 0, "max_value (64 bytes)");
    assert_int_equal (testutil_stat (client, "refused_value"), 1);
    //  Refused, not malformed.
    assert_int_equal (testutil_stat (client, "malformed"), 0);
    size_t len = 0;
    assert_int_equal (zown_list_len (list, &len), 0);
    assert_int_equal (len, 1);
    zown_list_destroy (&list);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

static void
test_objects (void **state)
{
    (void) state;
    zown_owner_t *owner = s_owner (&(zown_limits_t){ .max_objects = 3 });
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_datum_t one = ZOWN_INT_DATUM (1);
    assert_int_equal (s_call (client, ZOWN_OP_VALUE_SET, "a", 1, &one, NULL), ZOWN_OK);
    assert_int_equal (s_call (client, ZOWN_OP_VALUE_SET, "b", 1, &one, NULL), ZOWN_OK);
    assert_int_equal (s_call (client, ZOWN_OP_VALUE_SET, "c", 1, &one, NULL), ZOWN_OK);
    //  A batch that changes "a", then creates a fourth object: neither.
    zown_request_t *request = zown_request_new ();
    zown_datum_t two = ZOWN_INT_DATUM (2);
    assert_int_equal (zown_request_add (request, ZOWN_OP_VALUE_SET, "a", 1, &two), 0);
    assert_int_equal (zown_request_add (request, ZOWN_OP_VALUE_SET, "d", 1, &two), 0);
    zown_reply_t *reply;
    assert_int_equal (zown_client_call (client, request, &reply), -1);
    assert_int_equal (zown_errno (), ZOWN_LIMIT);
    assert_int_equal (zown_reply_result_status (reply, 0), ZOWN_ABORTED);
    assert_int_equal (zown_reply_result_status (reply, 1), ZOWN_LIMIT);
    s_assert_names (reply, 1, "max_objects (3)");
    zown_request_destroy (&request);
    assert_int_equal (testutil_stat (client, "refused_objects"), 1);
    assert_int_equal (testutil_stat (client, "objects"), 3);
    assert_int_equal (s_call (client, ZOWN_OP_VALUE_GET, "a", 0, NULL, &reply), ZOWN_OK);
    assert_int_equal (zown_reply_value (reply, 0, 0).u.i, 1);
    //  Existing objects still change; a dropped one makes room.
    assert_int_equal (s_call (client, ZOWN_OP_VALUE_SET, "a", 1, &two, NULL), ZOWN_OK);
    assert_int_equal (s_call (client, ZOWN_OP_DROP, "c", 0, NULL, NULL), ZOWN_OK);
    assert_int_equal (s_call (client, ZOWN_OP_VALUE_SET, "d", 1, &two, NULL), ZOWN_OK);
    assert_int_equal (testutil_stat (client, "refused_objects"), 1);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

static void
test_items (void **state)
{
    (void) state;
    zown_owner_t *owner = s_owner (&(zown_limits_t){ .max_items = 4 });
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    const zown_datum_t four [4] = { ZOWN_INT_DATUM (1), ZOWN_INT_DATUM (2), ZOWN_INT_DATUM (3),
                                    ZOWN_INT_DATUM (4) };
    zown_reply_t *reply;
    int64_t refused = 0;

    //  dict: a fifth key is refused, a new value for a key is not.
    zown_dict_t *dict = zown_dict_new (client, "d");
    const char *const keys [4] = { "a", "b", "c", "d" };
    assert_int_equal (zown_dict_update (dict, 4, keys, four), 0);
    zown_datum_t pair [2] = { ZOWN_STR ("e"), ZOWN_INT_DATUM (5) };
    assert_int_equal (s_call (client, ZOWN_OP_DICT_SET, "d", 2, pair, &reply), ZOWN_LIMIT);
    s_assert_names (reply, 0, "max_items (4)");
    assert_int_equal (testutil_stat (client, "refused_items"), ++refused);
    assert_int_equal (zown_dict_set (dict, "a", ZOWN_INT_DATUM (9), NULL), 0);
    assert_int_equal (s_dict_len (client, "d"), 4);
    zown_dict_destroy (&dict);

    //  list: extending past the limit adds nothing; up to it is fine.
    zown_list_t *list = zown_list_new (client, "l");
    assert_int_equal (zown_list_extend (list, 3, four, NULL), 0);
    assert_int_equal (zown_list_extend (list, 2, four, NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_LIMIT);
    assert_int_equal (testutil_stat (client, "refused_items"), ++refused);
    size_t len = 0;
    assert_int_equal (zown_list_len (list, &len), 0);
    assert_int_equal (len, 3);
    assert_int_equal (zown_list_insert (list, 0, four [0]), 0);
    assert_int_equal (zown_list_insert (list, 0, four [0]), -1);
    assert_int_equal (zown_errno (), ZOWN_LIMIT);
    assert_int_equal (testutil_stat (client, "refused_items"), ++refused);

    //  A batch that pops from the list, then appends to the full dict:
    //  the pop is undone.
    zown_request_t *request = zown_request_new ();
    assert_int_equal (zown_request_add (request, ZOWN_OP_LIST_POP, "l", 0, NULL), 0);
    assert_int_equal (zown_request_add (request, ZOWN_OP_DICT_SET, "d", 2, pair), 0);
    assert_int_equal (zown_client_call (client, request, &reply), -1);
    assert_int_equal (zown_errno (), ZOWN_LIMIT);
    assert_int_equal (zown_reply_result_status (reply, 1), ZOWN_LIMIT);
    zown_request_destroy (&request);
    assert_int_equal (testutil_stat (client, "refused_items"), ++refused);
    assert_int_equal (zown_list_len (list, &len), 0);
    assert_int_equal (len, 4);
    zown_list_destroy (&list);

    //  queue: the fifth put, even into an unbounded queue.
    zown_queue_t *queue = zown_queue_new (client, "q");
    for (size_t index = 0; index < 4; index++)
        assert_int_equal (zown_queue_put (queue, four [index], 0), 0);
    assert_int_equal (zown_queue_put (queue, four [0], 0), -1);
    assert_int_equal (zown_errno (), ZOWN_LIMIT);
    assert_int_equal (testutil_stat (client, "refused_items"), ++refused);
    assert_int_equal (zown_queue_size (queue, &len), 0);
    assert_int_equal (len, 4);
    zown_queue_destroy (&queue);

    //  array: its length; a refused create leaves no object.
    zown_array_t *array = zown_array_new (client, "a5");
    assert_int_equal (zown_array_create (array, 5, ZOWN_INT_DATUM (0)), -1);
    assert_int_equal (zown_errno (), ZOWN_LIMIT);
    assert_int_equal (testutil_stat (client, "refused_items"), ++refused);
    assert_int_equal (s_call (client, ZOWN_OP_TYPE, "a5", 0, NULL, NULL), ZOWN_NOT_FOUND);
    zown_array_destroy (&array);
    array = zown_array_new (client, "a4");
    assert_int_equal (zown_array_create (array, 4, ZOWN_INT_DATUM (0)), 1);
    zown_array_destroy (&array);
    assert_int_equal (testutil_stat (client, "refused_items"), refused);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

//  A DEALER of zown's own context on inproc, with a 10 s receive deadline
//  and a receive high-water mark of `rcvhwm`.
static void *
s_dealer (zown_owner_t *owner, int rcvhwm)
{
    void *dealer = zmq_socket (zown_ctx (), ZMQ_DEALER);
    assert_non_null (dealer);
    assert_int_equal (zown_set_int (dealer, ZMQ_LINGER, 0), 0);
    assert_int_equal (zown_set_int (dealer, ZMQ_RCVTIMEO, 10000), 0);
    assert_int_equal (zown_set_int (dealer, ZMQ_RCVHWM, rcvhwm), 0);
    assert_int_equal (zmq_connect (dealer, zown_owner_inproc (owner)), 0);
    return dealer;
}

//  Sends one op as request `id` on a raw socket.
static void
s_send_raw (void *dealer, uint64_t id, zown_op_t op, const char *name, size_t argc,
            const zown_datum_t *argv)
{
    zown_request_t *request = zown_request_new ();
    assert_int_equal (zown_request_add (request, op, name, argc, argv), 0);
    zown_request_seal (request, id);
    const zown_buf_t *buf = zown_request_buffer (request);
    assert_int_equal (zmq_send (dealer, buf->data, buf->size, 0), (int) buf->size);
    zown_request_destroy (&request);
}

//  Receives one reply on a raw socket; returns its id, *status_p its status.
static uint64_t
s_recv_raw (void *dealer, zown_reply_t *reply, int *status_p)
{
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    assert_true (zmq_msg_recv (&msg, dealer, 0) >= 0);
    assert_int_equal (zown_reply_decode (reply, zmq_msg_data (&msg), zmq_msg_size (&msg)), 0);
    zmq_msg_close (&msg);
    *status_p = zown_reply_status (reply);
    return zown_reply_id (reply);
}

static void
test_parked (void **state)
{
    (void) state;
    zown_owner_t *owner = s_owner (&(zown_limits_t){ .max_parked_client = 2, .max_parked = 3 });
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_reply_t reply;
    zown_reply_init (&reply);
    int status;
    zown_datum_t forever = ZOWN_INT_DATUM (ZOWN_FOREVER);
    //  One client waits twice on an empty queue; its third wait is refused
    //  at once, while the first two stay parked.
    void *first = s_dealer (owner, 1000);
    for (uint64_t id = 1; id <= 3; id++)
        s_send_raw (first, id, ZOWN_OP_QUEUE_GET, "q", 1, &forever);
    assert_int_equal (s_recv_raw (first, &reply, &status), 3);
    assert_int_equal (status, ZOWN_LIMIT);
    s_assert_names (&reply, 0, "max_parked_client (2)");
    assert_int_equal (testutil_stat (client, "refused_parked"), 1);
    assert_int_equal (testutil_stat (client, "parked"), 2);
    //  Another client parks the third; a fourth, anyone's, is refused.
    void *second = s_dealer (owner, 1000);
    s_send_raw (second, 1, ZOWN_OP_QUEUE_GET, "q", 1, &forever);
    testutil_await_stat (client, "parked", 3);
    zown_queue_t *queue = zown_queue_new (client, "q");
    assert_int_equal (zown_queue_get (queue, 1000, NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_LIMIT);
    assert_int_equal (testutil_stat (client, "refused_parked"), 2);
    //  The parked ones are still served, in order.
    for (int item = 0; item < 3; item++)
        assert_int_equal (zown_queue_put (queue, ZOWN_INT_DATUM (item), 0), 0);
    assert_int_equal (s_recv_raw (first, &reply, &status), 1);
    assert_int_equal (status, ZOWN_OK);
    assert_int_equal (s_recv_raw (first, &reply, &status), 2);
    assert_int_equal (status, ZOWN_OK);
    assert_int_equal (s_recv_raw (second, &reply, &status), 1);
    assert_int_equal (zown_reply_value (&reply, 0, 0).u.i, 2);
    assert_int_equal (testutil_stat (client, "parked"), 0);
    assert_int_equal (zown_queue_put (queue, ZOWN_INT_DATUM (3), 0), 0);
    assert_int_equal (zown_queue_get (queue, 1000, NULL), 0);
    zown_queue_destroy (&queue);
    zmq_close (first);
    zmq_close (second);
    zown_reply_fini (&reply);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

//  A client that sends and never reads fills its own reply pipe (max_inflight
//  plus its receive high-water mark); the owner drops the replies past that
//  and counts them, never waits for it, and serves everyone else.
static void
test_flood_without_reading (void **state)
{
    (void) state;
    zown_owner_t *owner = s_owner (&(zown_limits_t){ .max_inflight = ZOWN_LIMIT_INFLIGHT_MIN });
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    void *flood = s_dealer (owner, 1);
    const int rounds = 4, per_round = 5 * ZOWN_LIMIT_INFLIGHT_MIN;
    uint64_t id = 1;
    for (int round = 0; round < rounds; round++) {
        for (int count = 0; count < per_round; count++)
            s_send_raw (flood, id++, ZOWN_OP_PING, "", 0, NULL);
        //  Served meanwhile, with nothing lost.
        assert_int_equal (zown_client_ping (client), 0);
    }
    //  max_inflight bounds what is queued for it: the rest is dropped
    //  (libzmq adds some slack; with the default high-water mark all 40,000
    //  would fit). The owner may still be reading the flood: await it.
    const int64_t least = rounds * per_round - 4 * ZOWN_LIMIT_INFLIGHT_MIN;
    int64_t deadline = testutil_now_ms () + 10000;
    int64_t dropped;
    while ((dropped = testutil_stat (client, "replies_dropped")) < least)
        if (testutil_now_ms () > deadline)
            fail_msg ("only %lld replies dropped", (long long) dropped);
    assert_int_equal (zown_client_dropped (client), 0);
    //  The flooder reads again: what was queued for it arrives, the first
    //  of them in order.
    zown_reply_t reply;
    zown_reply_init (&reply);
    int status;
    assert_int_equal (s_recv_raw (flood, &reply, &status), 1);
    assert_int_equal (status, ZOWN_OK);
    zown_reply_fini (&reply);
    zmq_close (flood);
    assert_int_equal (zown_client_ping (client), 0);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

//  What a journal holds was accepted once: it is loaded whole even when the
//  owner restarts with limits it no longer fits, which then hold for new
//  requests.
static void
test_replay_is_not_refused (void **state)
{
    (void) state;
    char journal [512];
    snprintf (journal, sizeof (journal), "%s/limits.log", getenv ("ZOWN_RUNDIR"));
    const char *name = testutil_name ("replay");
    zown_owner_options_t options = { .data = journal, .fsync = ZOWN_FSYNC_NO };
    zown_owner_t *owner = zown_owner_new_with (name, &options);
    assert_non_null (owner);
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_dict_t *dict = zown_dict_new (client, "d");
    const char *const keys [3] = { "key-1", "key-2", "key-3" };
    const zown_datum_t values [3] = { ZOWN_STR ("value-1"), ZOWN_STR ("value-2"),
                                      ZOWN_STR ("value-3") };
    assert_int_equal (zown_dict_update (dict, 3, keys, values), 0);
    zown_dict_destroy (&dict);
    zown_list_t *list = zown_list_new (client, "l");
    assert_int_equal (zown_list_extend (list, 3, values, NULL), 0);
    zown_list_destroy (&list);
    zown_queue_t *queue = zown_queue_new (client, "q");
    for (size_t index = 0; index < 3; index++)
        assert_int_equal (zown_queue_put (queue, values [index], 0), 0);
    zown_queue_destroy (&queue);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);

    options.limits =
        (zown_limits_t){ .max_key = 1, .max_value = 64, .max_objects = 1, .max_items = 1 };
    owner = zown_owner_new_with (name, &options);
    if (!owner)
        fail_msg ("restart: %s", zown_strerror (zown_errno ()));
    client = testutil_client (zown_owner_inproc (owner));
    assert_int_equal (testutil_stat (client, "objects"), 3);
    assert_int_equal (s_dict_len (client, "d"), 3);
    list = zown_list_new (client, "l");
    size_t len = 0;
    assert_int_equal (zown_list_len (list, &len), 0);
    assert_int_equal (len, 3);
    assert_int_equal (zown_list_append (list, ZOWN_INT_DATUM (1), NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_LIMIT);
    zown_list_destroy (&list);
    queue = zown_queue_new (client, "q");
    assert_int_equal (zown_queue_size (queue, &len), 0);
    assert_int_equal (len, 3);
    zown_queue_destroy (&queue);
    assert_int_equal (testutil_stat (client, "refused_items"), 1);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

//  An array is allocated whole: past ZOWN_ARRAY_LENGTH_MAX it is refused
//  whatever max_items allows (and nothing is allocated).
static void
test_array_hard_maximum (void **state)
{
    (void) state;
    zown_owner_t *owner = s_owner (&(zown_limits_t){ .max_items = SIZE_MAX });
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_array_t *array = zown_array_new (client, "a");
    assert_int_equal (
        zown_array_create (array, (size_t) ZOWN_ARRAY_LENGTH_MAX + 1, ZOWN_INT_DATUM (0)), -1);
    assert_int_equal (zown_errno (), ZOWN_LIMIT);
    assert_int_equal (zown_array_create (array, 1000, ZOWN_INT_DATUM (0)), 1);
    zown_array_destroy (&array);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

int
main (void)
{
    testutil_private_rundir ();
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_limits_out_of_bounds_are_refused),
        cmocka_unit_test (test_message_size),
        cmocka_unit_test (test_key_size),
        cmocka_unit_test (test_value_size),
        cmocka_unit_test (test_objects),
        cmocka_unit_test (test_items),
        cmocka_unit_test (test_parked),
        cmocka_unit_test (test_flood_without_reading),
        cmocka_unit_test (test_replay_is_not_refused),
        cmocka_unit_test (test_array_hard_maximum),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
