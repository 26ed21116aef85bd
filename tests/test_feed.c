/*  =========================================================================
    test_feed - the owner's change feed on the wire, read with a raw SUB
    socket (docs/PROTOCOL.md, section 9), and the zown_subscriber class
    that decodes it
    =========================================================================
*/
#include "testutil.h"
#include "zown_internal.h"

//  One record as it came off the wire; values point into its last frame.
typedef struct {
    zmq_msg_t frames [3];
    char name [ZOWN_OBJECT_NAME_MAX + 1];
    int kind;
    bool more;  //  Bit 7 of the kind: more of its commit follow
    uint64_t seq;
    uint64_t version;
    int op;
    size_t count;
    zown_datum_t values [8];
} record_t;

static void *
s_sub_new (const char *endpoint)
{
    void *sub = zmq_socket (zown_ctx (), ZMQ_SUB);
    int linger = 0;
    assert_non_null (sub);
    assert_int_equal (zmq_setsockopt (sub, ZMQ_LINGER, &linger, sizeof (linger)), 0);
    assert_int_equal (zmq_connect (sub, endpoint), 0);
    return sub;
}

static void
s_subscribe (void *sub, const char *topic, size_t size)
{
    assert_int_equal (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, topic, size), 0);
}

//  Receives one record within timeout_ms and checks its framing by hand;
//  -1 if none came.
static int
s_recv (void *sub, record_t *record, int timeout_ms)
{
    zmq_pollitem_t item = { sub, 0, ZMQ_POLLIN, 0 };
    if (zmq_poll (&item, 1, timeout_ms) != 1)
        return -1;
    for (int index = 0; index < 3; index++) {
        zmq_msg_close (&record->frames [index]);
        zmq_msg_init (&record->frames [index]);
        assert_true (zmq_msg_recv (&record->frames [index], sub, 0) >= 0);
        assert_int_equal (zmq_msg_more (&record->frames [index]), index < 2);
    }
    const uint8_t *topic = zmq_msg_data (&record->frames [0]);
    size_t topic_size = zmq_msg_size (&record->frames [0]);
    assert_true (topic_size >= 1 && topic [topic_size - 1] == 0);
    memcpy (record->name, topic, topic_size);
    const uint8_t *header = zmq_msg_data (&record->frames [1]);
    assert_int_equal (zmq_msg_size (&record->frames [1]), 21);
    assert_memory_equal (header, "ZF\x01", 3);
    record->kind = header [3] & ~ZOWN_CHANGE_MORE;
    record->more = (header [3] & ZOWN_CHANGE_MORE) != 0;
    record->seq = zown_load_be (header + 4, 8);
    record->version = zown_load_be (header + 12, 8);
    record->op = header [20];
    zown_reader_t reader;
    zown_reader_init (&reader, zmq_msg_data (&record->frames [2]),
                      zmq_msg_size (&record->frames [2]));
    uint16_t count = 0;
    assert_int_equal (zown_reader_u16 (&reader, &count), 0);
    assert_true (count <= 8);
    record->count = count;
    for (size_t index = 0; index < count; index++)
        assert_int_equal (zown_reader_datum (&reader, &record->values [index]), 0);
    assert_true (reader.pos == reader.end);
    return 0;
}

static void
s_record_init (record_t *record)
{
    memset (record, 0, sizeof (record_t));
    for (int index = 0; index < 3; index++)
        zmq_msg_init (&record->frames [index]);
}

static void
s_record_fini (record_t *record)
{
    for (int index = 0; index < 3; index++)
        zmq_msg_close (&record->frames [index]);
}

//  One op through the client; its reply's first value as an int.
static int64_t
s_call_int (zown_client_t *client, zown_op_t op, const char *name, size_t argc,
            const zown_datum_t *argv)
{
    zown_reply_t *reply;
    assert_int_equal (zown_client_call_op (client, op, name, argc, argv, &reply), 0);
    zown_datum_t value = zown_reply_value (reply, 0, 0);
    return value.tag == ZOWN_INT ? value.u.i : -1;
}

static uint64_t
s_mark (zown_client_t *client, const char *token)
{
    zown_datum_t argument = zown_datum_str (token);
    return (uint64_t) s_call_int (client, ZOWN_OP_MARK, NULL, 1, &argument);
}

//  MARK until its record comes back: the subscription is then live (the
//  owner sends nothing to a subscription it has not seen yet). Returns the
//  MARK's seq. The subscriber must take the MARK topic ("\0").
static uint64_t
s_live (void *sub, zown_client_t *client)
{
    record_t record;
    s_record_init (&record);
    int64_t deadline = testutil_now_ms () + 10000;
    for (int attempt = 0; testutil_now_ms () < deadline; attempt++) {
        char token [32];
        snprintf (token, sizeof (token), "live %d", attempt);
        s_mark (client, token);
        //  Earlier MARKs that did get through come first: skip them.
        while (s_recv (sub, &record, 100) == 0)
            if (record.kind == ZOWN_CHANGE_MARK && zown_datum_streq (record.values [0], token)) {
                s_record_fini (&record);
                return record.seq;
            }
    }
    fail_msg ("the subscription never became live");
    return 0;
}

//  The next record must be this change.
static void
s_expect (void *sub, record_t *record, const char *name, int kind, uint64_t seq, uint64_t version,
          int op, size_t count)
{
    assert_int_equal (s_recv (sub, record, 5000), 0);
    assert_string_equal (record->name, name);
    assert_int_equal (record->kind, kind);
    assert_int_equal (record->seq, seq);
    assert_int_equal (record->version, version);
    assert_int_equal (record->op, op);
    assert_int_equal (record->count, count);
}

//  --------------------------------------------------------------------------

static void
test_every_change_in_order (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    char *feed = zown_owner_feed_endpoint_for (zown_owner_name (owner));
    assert_string_equal (feed, zown_owner_feed_ipc (owner));
    void *sub = s_sub_new (feed);
    s_subscribe (sub, "", 0);
    uint64_t seq = s_live (sub, client);
    assert_int_equal (s_call_int (client, ZOWN_OP_SEQ, NULL, 0, NULL), (int64_t) seq);

    zown_datum_t set [] = { ZOWN_STR ("k1"), ZOWN_STR ("v1") };
    s_call_int (client, ZOWN_OP_DICT_SET, "d", 2, set);
    zown_datum_t update [] = { ZOWN_STR ("k2"), zown_datum_int (1), ZOWN_STR ("k3"),
                               zown_datum_double (2.5) };
    s_call_int (client, ZOWN_OP_DICT_UPDATE, "d", 4, update);
    zown_datum_t del [] = { ZOWN_STR ("k1") };
    assert_int_equal (zown_client_call_op (client, ZOWN_OP_DICT_DEL, "d", 1, del, NULL), 0);
    zown_datum_t add [] = { ZOWN_STR ("k2"), zown_datum_int (5) };
    s_call_int (client, ZOWN_OP_DICT_ADD, "d", 2, add);
    zown_datum_t three = zown_datum_int (3);
    s_call_int (client, ZOWN_OP_VALUE_ADD, "v", 1, &three);
    zown_datum_t item = ZOWN_STR ("x");
    s_call_int (client, ZOWN_OP_LIST_APPEND, "l", 1, &item);
    //  A batch: its changes get consecutive seqs.
    zown_request_t *batch = zown_request_new ();
    zown_datum_t set4 [] = { ZOWN_STR ("k4"), ZOWN_NIL_DATUM };
    zown_datum_t ten = zown_datum_int (10);
    assert_int_equal (zown_request_add (batch, ZOWN_OP_DICT_SET, "d", 2, set4), 0);
    assert_int_equal (zown_request_add (batch, ZOWN_OP_VALUE_SET, "v", 1, &ten), 0);
    assert_int_equal (zown_client_call (client, batch, NULL), 0);
    s_call_int (client, ZOWN_OP_DICT_CLEAR, "d", 0, NULL);
    assert_int_equal (zown_client_call_op (client, ZOWN_OP_DROP, "l", 0, NULL, NULL), 0);
    //  A DICT_CLEAR of an empty dict changes nothing and publishes nothing.
    s_call_int (client, ZOWN_OP_DICT_CLEAR, "d", 0, NULL);
    //  A batch that rolls back publishes nothing and uses no seq.
    zown_request_reset (batch);
    assert_int_equal (zown_request_add (batch, ZOWN_OP_DICT_SET, "d", 2, set), 0);
    assert_int_equal (zown_request_add (batch, ZOWN_OP_VALUE_ADD, "d", 1, &three), 0);
    assert_int_equal (zown_client_call (client, batch, NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_WRONG_TYPE);
    zown_request_destroy (&batch);
    assert_int_equal (s_mark (client, "end"), seq + 11);

    record_t record;
    s_record_init (&record);
    s_expect (sub, &record, "d", ZOWN_CHANGE_SET, seq + 1, 1, ZOWN_OP_DICT_SET, 2);
    assert_true (zown_datum_streq (record.values [0], "k1"));
    assert_true (zown_datum_streq (record.values [1], "v1"));
    //  DICT_UPDATE: one SET per pair, each with its own seq and version
    //  (one commit: every record but its last says more follow)
    s_expect (sub, &record, "d", ZOWN_CHANGE_SET, seq + 2, 2, ZOWN_OP_DICT_UPDATE, 2);
    assert_true (zown_datum_streq (record.values [0], "k2"));
    assert_true (zown_datum_eq (record.values [1], zown_datum_int (1)));
    assert_true (record.more);
    s_expect (sub, &record, "d", ZOWN_CHANGE_SET, seq + 3, 3, ZOWN_OP_DICT_UPDATE, 2);
    assert_true (zown_datum_eq (record.values [1], zown_datum_double (2.5)));
    assert_false (record.more);
    s_expect (sub, &record, "d", ZOWN_CHANGE_DEL, seq + 4, 4, ZOWN_OP_DICT_DEL, 1);
    assert_false (record.more);
    assert_true (zown_datum_streq (record.values [0], "k1"));
    //  DICT_ADD publishes the value written, not the delta.
    s_expect (sub, &record, "d", ZOWN_CHANGE_SET, seq + 5, 5, ZOWN_OP_DICT_ADD, 2);
    assert_true (zown_datum_eq (record.values [1], zown_datum_int (6)));
    //  A value object: the key is nil.
    s_expect (sub, &record, "v", ZOWN_CHANGE_SET, seq + 6, 1, ZOWN_OP_VALUE_ADD, 2);
    assert_int_equal (record.values [0].tag, ZOWN_NIL);
    assert_true (zown_datum_eq (record.values [1], zown_datum_int (3)));
    //  Other types: the op and its arguments.
    s_expect (sub, &record, "l", ZOWN_CHANGE_OP, seq + 7, 1, ZOWN_OP_LIST_APPEND, 1);
    assert_true (zown_datum_streq (record.values [0], "x"));
    s_expect (sub, &record, "d", ZOWN_CHANGE_SET, seq + 8, 6, ZOWN_OP_DICT_SET, 2);
    assert_int_equal (record.values [1].tag, ZOWN_NIL);
    assert_true (record.more);  //  The batch's first change
    s_expect (sub, &record, "v", ZOWN_CHANGE_SET, seq + 9, 2, ZOWN_OP_VALUE_SET, 2);
    assert_false (record.more);
    s_expect (sub, &record, "d", ZOWN_CHANGE_CLEAR, seq + 10, 7, ZOWN_OP_DICT_CLEAR, 0);
    s_expect (sub, &record, "l", ZOWN_CHANGE_DROP, seq + 11, 1, ZOWN_OP_DROP, 0);
    //  MARK: the empty name, the token, the seq of the last change
    s_expect (sub, &record, "", ZOWN_CHANGE_MARK, seq + 11, 0, ZOWN_OP_MARK, 1);
    assert_true (zown_datum_streq (record.values [0], "end"));
    assert_int_equal (s_recv (sub, &record, 0), -1);
    assert_int_equal (s_call_int (client, ZOWN_OP_SEQ, NULL, 0, NULL), (int64_t) seq + 11);

    s_record_fini (&record);
    zmq_close (sub);
    free (feed);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

//  Collects the names of the records a subscriber gets up to the MARK
//  "done", each once, in order of arrival, as "a,b,".
static void
s_names_until_done (void *sub, char *names, size_t size)
{
    record_t record;
    s_record_init (&record);
    names [0] = 0;
    while (true) {
        assert_int_equal (s_recv (sub, &record, 5000), 0);
        if (record.kind == ZOWN_CHANGE_MARK) {
            if (zown_datum_streq (record.values [0], "done"))
                break;
            continue;
        }
        char item [ZOWN_OBJECT_NAME_MAX + 2];
        snprintf (item, sizeof (item), "%s,", record.name);
        strncat (names, item, size - strlen (names) - 1);
    }
    s_record_fini (&record);
}

static void
test_filtering_by_name (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    //  "d\0" is exactly d; a bare "d" prefix also takes d2. Both take the
    //  MARK topic ("\0") to know when they are live and when to stop.
    void *exact = s_sub_new (zown_owner_feed_inproc (owner));
    void *prefix = s_sub_new (zown_owner_feed_ipc (owner));
    s_subscribe (exact, "d", 2);
    s_subscribe (prefix, "d", 1);
    s_subscribe (exact, "", 1);
    s_subscribe (prefix, "", 1);
    s_live (exact, client);
    s_live (prefix, client);
    zown_datum_t pair [] = { ZOWN_STR ("k"), zown_datum_int (1) };
    zown_datum_t one = zown_datum_int (1);
    s_call_int (client, ZOWN_OP_DICT_SET, "d", 2, pair);
    s_call_int (client, ZOWN_OP_DICT_SET, "d2", 2, pair);
    s_call_int (client, ZOWN_OP_VALUE_ADD, "e", 1, &one);
    s_call_int (client, ZOWN_OP_DICT_SET, "d", 2, pair);
    s_mark (client, "done");
    char names [256];
    s_names_until_done (exact, names, sizeof (names));
    assert_string_equal (names, "d,d,");
    s_names_until_done (prefix, names, sizeof (names));
    assert_string_equal (names, "d,d2,d,");
    zmq_close (exact);
    zmq_close (prefix);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

static void
test_mark_takes_no_seq (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_datum_t one = zown_datum_int (1);
    //  Nobody subscribes: the owner builds no records, yet counts the
    //  same: a change takes a seq, a MARK none.
    s_call_int (client, ZOWN_OP_VALUE_ADD, "v", 1, &one);
    assert_int_equal (s_call_int (client, ZOWN_OP_SEQ, NULL, 0, NULL), 1);
    assert_int_equal (s_mark (client, "nobody"), 1);
    assert_int_equal (s_mark (client, "nobody"), 1);
    assert_int_equal (s_call_int (client, ZOWN_OP_SEQ, NULL, 0, NULL), 1);
    s_call_int (client, ZOWN_OP_VALUE_ADD, "v", 1, &one);
    assert_int_equal (s_call_int (client, ZOWN_OP_SEQ, NULL, 0, NULL), 2);
    //  A MARK and a change in one batch: the MARK carries the seq before it.
    void *sub = s_sub_new (zown_owner_feed_inproc (owner));
    s_subscribe (sub, "", 0);
    assert_int_equal (s_live (sub, client), 2);
    zown_request_t *batch = zown_request_new ();
    zown_datum_t token = ZOWN_STR ("between");
    assert_int_equal (zown_request_add (batch, ZOWN_OP_MARK, NULL, 1, &token), 0);
    assert_int_equal (zown_request_add (batch, ZOWN_OP_VALUE_ADD, "v", 1, &one), 0);
    assert_int_equal (zown_client_call (client, batch, NULL), 0);
    zown_request_destroy (&batch);
    record_t record;
    s_record_init (&record);
    s_expect (sub, &record, "", ZOWN_CHANGE_MARK, 2, 0, ZOWN_OP_MARK, 1);
    s_expect (sub, &record, "v", ZOWN_CHANGE_SET, 3, 3, ZOWN_OP_VALUE_ADD, 2);
    s_record_fini (&record);
    zmq_close (sub);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

//  --------------------------------------------------------------------------
//  zown_subscriber

static void
test_subscriber (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_subscriber_t *subscriber = zown_subscriber_new (zown_owner_feed_ipc (owner));
    assert_non_null (subscriber);
    assert_non_null (zown_subscriber_socket (subscriber));
    assert_int_equal (zown_subscriber_subscribe (subscriber, "d"), 0);
    assert_int_equal (zown_subscriber_subscribe (subscriber, ""), 0);  //  MARKs
    zown_feed_record_t record;
    bool live = false;
    for (int attempt = 0; !live && attempt < 100; attempt++) {
        s_mark (client, "live");
        live = zown_subscriber_recv (subscriber, &record, 100) == 0;
    }
    assert_true (live);
    assert_int_equal (record.kind, ZOWN_CHANGE_MARK);
    assert_string_equal (record.name, "");
    //  Only MARKs from here on, and d.
    while (zown_subscriber_recv (subscriber, &record, 0) == 0)
        assert_int_equal (record.kind, ZOWN_CHANGE_MARK);
    assert_int_equal (zown_errno (), ZOWN_TIMEOUT);
    assert_int_equal (zown_subscriber_unsubscribe (subscriber, ""), 0);
    zown_datum_t pair [] = { ZOWN_STR ("k"), zown_datum_bytes ("a\0b", 3) };
    s_call_int (client, ZOWN_OP_DICT_SET, "d2", 2, pair);
    s_call_int (client, ZOWN_OP_DICT_SET, "d", 2, pair);
    assert_int_equal (zown_subscriber_recv (subscriber, &record, 5000), 0);
    assert_string_equal (record.name, "d");
    assert_int_equal (record.kind, ZOWN_CHANGE_SET);
    assert_int_equal (record.op, ZOWN_OP_DICT_SET);
    assert_int_equal (record.version, 1);
    assert_int_equal (record.seq, s_call_int (client, ZOWN_OP_SEQ, NULL, 0, NULL));
    assert_int_equal (record.count, 2);
    assert_true (zown_datum_streq (record.values [0], "k"));
    assert_true (zown_datum_eq (record.values [1], zown_datum_bytes ("a\0b", 3)));
    //  Unsubscribed from the MARKs: this one does not come before the
    //  change that follows it.
    s_mark (client, "unseen");
    s_call_int (client, ZOWN_OP_DICT_SET, "d", 2, pair);
    assert_int_equal (zown_subscriber_recv (subscriber, &record, 5000), 0);
    assert_int_equal (record.kind, ZOWN_CHANGE_SET);
    assert_int_equal (record.version, 2);
    //  Misuse
    char long_name [300];
    memset (long_name, 'n', sizeof (long_name) - 1);
    long_name [sizeof (long_name) - 1] = 0;
    assert_int_equal (zown_subscriber_subscribe (subscriber, long_name), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_int_equal (zown_subscriber_recv (subscriber, NULL, 0), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_int_equal (zown_subscriber_recv (subscriber, &record, -2), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_null (zown_subscriber_new (NULL));
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_null (zown_subscriber_new ("demo"));
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_null (zown_subscriber_new ("nonsense://x"));
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    zown_subscriber_destroy (&subscriber);
    zown_subscriber_destroy (&subscriber);
    assert_null (subscriber);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

//  A client that reached the owner by an extra endpoint, knowing neither
//  its name nor its run directory, learns where the feed is from FEED.
static void
test_feed_is_announced (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    char extra [512];
    snprintf (extra, sizeof (extra), "ipc://%s/extra-feed-test.sock", getenv ("ZOWN_RUNDIR"));
    assert_int_equal (zown_owner_bind (owner, extra), 0);
    zown_client_t *client = testutil_client (extra);
    zown_request_t *request = zown_request_new ();
    assert_int_equal (zown_request_add (request, ZOWN_OP_FEED, NULL, 0, NULL), 0);
    zown_reply_t *reply;
    assert_int_equal (zown_client_call (client, request, &reply), 0);
    assert_int_equal (zown_reply_count (reply, 0), 2);
    assert_true (zown_datum_streq (zown_reply_value (reply, 0, 0), zown_owner_feed_ipc (owner)));
    assert_true (zown_datum_streq (zown_reply_value (reply, 0, 1), zown_owner_feed_inproc (owner)));
    char *feed = zown_datum_strdup (zown_reply_value (reply, 0, 0));
    zown_subscriber_t *subscriber = zown_subscriber_new (feed);
    assert_non_null (subscriber);
    assert_int_equal (zown_subscriber_subscribe (subscriber, ""), 0);
    zown_feed_record_t record;
    bool live = false;
    for (int attempt = 0; !live && attempt < 100; attempt++) {
        s_mark (client, "announced");
        live = zown_subscriber_recv (subscriber, &record, 100) == 0;
    }
    assert_true (live);
    assert_int_equal (record.kind, ZOWN_CHANGE_MARK);
    //  A FEED with a name is refused, as for every owner op.
    zown_request_reset (request);
    assert_int_equal (zown_request_add (request, ZOWN_OP_FEED, "x", 0, NULL), 0);
    assert_int_equal (zown_client_call (client, request, NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_BAD_ARGS);
    free (feed);
    zown_subscriber_destroy (&subscriber);
    zown_request_destroy (&request);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

//  A message on the feed that is not a record is dropped, not decoded:
//  an XPUB of the test's own stands in for a broken owner.
static void
test_subscriber_rejects_garbage (void **state)
{
    (void) state;
    testutil_private_rundir ();
    void *pub = zmq_socket (zown_ctx (), ZMQ_XPUB);
    assert_int_equal (zmq_bind (pub, "inproc://garbage-feed"), 0);
    zown_subscriber_t *subscriber = zown_subscriber_new ("inproc://garbage-feed");
    assert_non_null (subscriber);
    assert_int_equal (zown_subscriber_subscribe (subscriber, NULL), 0);
    //  Our own XPUB reports the subscription once it is in place.
    char subscription [8];
    assert_int_equal (zmq_recv (pub, subscription, sizeof (subscription), 0), 1);
    uint8_t header [21] = { 'Z', 'F', 1, ZOWN_CHANGE_CLEAR };
    zown_feed_record_t record;
    //  One frame only; a bad header; values that run past their frame; a
    //  good one last, which still comes through.
    zmq_send (pub, "d", 2, 0);
    zmq_send (pub, "d", 2, ZMQ_SNDMORE);
    zmq_send (pub, "XX", 2, ZMQ_SNDMORE);
    zmq_send (pub, "\0\0", 2, 0);
    zmq_send (pub, "d", 2, ZMQ_SNDMORE);
    zmq_send (pub, header, sizeof (header), ZMQ_SNDMORE);
    zmq_send (pub, "\0\1\3", 3, 0);
    zmq_send (pub, "d", 2, ZMQ_SNDMORE);
    zmq_send (pub, header, sizeof (header), ZMQ_SNDMORE);
    zmq_send (pub, "\0\0", 2, 0);
    for (int index = 0; index < 3; index++) {
        assert_int_equal (zown_subscriber_recv (subscriber, &record, 5000), -1);
        assert_int_equal (zown_errno (), ZOWN_PROTOCOL);
    }
    assert_int_equal (zown_subscriber_recv (subscriber, &record, 5000), 0);
    assert_int_equal (record.kind, ZOWN_CHANGE_CLEAR);
    assert_string_equal (record.name, "d");
    assert_int_equal (record.count, 0);
    zown_subscriber_destroy (&subscriber);
    zmq_close (pub);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_every_change_in_order),
        cmocka_unit_test (test_filtering_by_name),
        cmocka_unit_test (test_mark_takes_no_seq),
        cmocka_unit_test (test_feed_is_announced),
        cmocka_unit_test (test_subscriber),
        cmocka_unit_test (test_subscriber_rejects_garbage),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
