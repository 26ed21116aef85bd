/*  =========================================================================
    test_dict - every dict op through the public handle, against a live
    owner, with each error status it can return
    =========================================================================
*/
#include "testutil.h"

static void
test_set_get_versions (void **state)
{
    testutil_fixture_t *self = (testutil_fixture_t *) *state;
    uint64_t v1, v2, version;
    zown_datum_t value;
    assert_int_equal (zown_dict_set (self->dict, "a", ZOWN_STR ("one"), &v1), 0);
    assert_int_equal (zown_dict_set (self->dict, "b", zown_datum_int (2), &v2), 0);
    assert_true (v2 > v1);
    assert_int_equal (zown_dict_get (self->dict, "a", &value, &version), 0);
    assert_true (zown_datum_streq (value, "one"));
    assert_int_equal (version, v1);
    assert_int_equal (zown_dict_get (self->dict, "b", &value, NULL), 0);
    assert_int_equal (value.tag, ZOWN_INT);
    assert_int_equal (value.u.i, 2);
    //  Overwrite with another type; binary data with NULs; the empty key.
    assert_int_equal (zown_dict_set (self->dict, "a", zown_datum_double (1.5), NULL), 0);
    assert_int_equal (zown_dict_get (self->dict, "a", &value, &version), 0);
    assert_true (value.tag == ZOWN_DOUBLE && value.u.d == 1.5);
    assert_true (version > v2);
    assert_int_equal (zown_dict_set (self->dict, "bin", zown_datum_bytes ("\0\1\0", 3), NULL), 0);
    assert_int_equal (zown_dict_get (self->dict, "bin", &value, NULL), 0);
    assert_true (zown_datum_eq (value, zown_datum_bytes ("\0\1\0", 3)));
    assert_int_equal (zown_dict_set (self->dict, "", ZOWN_NIL_DATUM, NULL), 0);
    assert_int_equal (zown_dict_get (self->dict, "", &value, NULL), 0);
    assert_int_equal (value.tag, ZOWN_NIL);
}

static void
test_missing_and_errors (void **state)
{
    testutil_fixture_t *self = (testutil_fixture_t *) *state;
    zown_datum_t value;
    //  A dict that does not exist reads as empty.
    assert_int_equal (zown_dict_get (self->dict, "nope", &value, NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_NOT_FOUND);
    assert_int_equal (zown_dict_delete (self->dict, "nope"), -1);
    assert_int_equal (zown_errno (), ZOWN_NOT_FOUND);
    size_t len = 99;
    assert_int_equal (zown_dict_len (self->dict, &len), 0);
    assert_int_equal (len, 0);
    assert_int_equal (zown_dict_contains (self->dict, "nope"), 0);
    //  API misuse
    assert_int_equal (zown_dict_get (self->dict, NULL, &value, NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_null (zown_dict_new (self->client, ""));
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_null (zown_dict_new (NULL, "x"));
    //  The name is a value, not a dict.
    zown_value_t *counter = zown_value_new (self->client, "counter");
    assert_int_equal (zown_value_set (counter, 1), 0);
    zown_dict_t *wrong = zown_dict_new (self->client, "counter");
    assert_int_equal (zown_dict_set (wrong, "k", zown_datum_int (1), NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_WRONG_TYPE);
    assert_int_equal (zown_dict_len (wrong, &len), -1);
    assert_int_equal (zown_errno (), ZOWN_WRONG_TYPE);
    zown_dict_destroy (&wrong);
    zown_value_destroy (&counter);
}

static void
test_get_or_delete_contains_len (void **state)
{
    testutil_fixture_t *self = (testutil_fixture_t *) *state;
    zown_datum_t value;
    assert_int_equal (zown_dict_get_or (self->dict, "k", ZOWN_STR ("dflt"), &value), 0);
    assert_true (zown_datum_streq (value, "dflt"));
    assert_int_equal (zown_dict_set (self->dict, "k", zown_datum_int (5), NULL), 0);
    assert_int_equal (zown_dict_get_or (self->dict, "k", ZOWN_STR ("dflt"), &value), 0);
    assert_int_equal (value.u.i, 5);
    assert_int_equal (zown_dict_contains (self->dict, "k"), 1);
    size_t len;
    assert_int_equal (zown_dict_len (self->dict, &len), 0);
    assert_int_equal (len, 1);
    assert_int_equal (zown_dict_delete (self->dict, "k"), 0);
    assert_int_equal (zown_dict_contains (self->dict, "k"), 0);
    assert_int_equal (zown_dict_len (self->dict, &len), 0);
    assert_int_equal (len, 0);
}

static void
test_keys_items_clear (void **state)
{
    testutil_fixture_t *self = (testutil_fixture_t *) *state;
    const char *keys [] = { "x", "y", "z" };
    zown_datum_t values [] = { zown_datum_int (1), zown_datum_int (2), zown_datum_int (3) };
    assert_int_equal (zown_dict_update (self->dict, 3, keys, values), 0);
    zown_reply_t *reply;
    assert_int_equal (zown_dict_keys (self->dict, &reply), 0);
    assert_int_equal (zown_reply_count (reply, 0), 3);
    int seen = 0;
    for (size_t index = 0; index < 3; index++)
        for (int key = 0; key < 3; key++)
            if (zown_datum_streq (zown_reply_value (reply, 0, index), keys [key]))
                seen |= 1 << key;
    assert_int_equal (seen, 7);
    assert_int_equal (zown_dict_items (self->dict, &reply), 0);
    assert_int_equal (zown_reply_count (reply, 0), 6);
    int64_t sum = 0;
    for (size_t index = 0; index < 3; index++) {
        zown_datum_t key = zown_reply_value (reply, 0, 2 * index);
        zown_datum_t value = zown_reply_value (reply, 0, 2 * index + 1);
        //  Each key comes with its own value.
        assert_int_equal (value.u.i, ((const char *) key.u.b.ptr) [0] - 'x' + 1);
        sum += value.u.i;
    }
    assert_int_equal (sum, 6);
    size_t removed;
    assert_int_equal (zown_dict_clear (self->dict, &removed), 0);
    assert_int_equal (removed, 3);
    assert_int_equal (zown_dict_keys (self->dict, &reply), 0);
    assert_int_equal (zown_reply_count (reply, 0), 0);
    assert_int_equal (zown_dict_clear (self->dict, &removed), 0);
    assert_int_equal (removed, 0);
    //  update refuses nonsense
    assert_int_equal (zown_dict_update (self->dict, 0, keys, values), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    const char *with_null [] = { "a", NULL };
    assert_int_equal (zown_dict_update (self->dict, 2, with_null, values), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
}

static void
test_set_if_absent (void **state)
{
    testutil_fixture_t *self = (testutil_fixture_t *) *state;
    assert_int_equal (zown_dict_set_if_absent (self->dict, "k", ZOWN_STR ("first")), 1);
    assert_int_equal (zown_dict_set_if_absent (self->dict, "k", ZOWN_STR ("second")), 0);
    zown_datum_t value;
    assert_int_equal (zown_dict_get (self->dict, "k", &value, NULL), 0);
    assert_true (zown_datum_streq (value, "first"));
}

static void
test_add (void **state)
{
    testutil_fixture_t *self = (testutil_fixture_t *) *state;
    zown_datum_t result;
    assert_int_equal (zown_dict_add (self->dict, "n", zown_datum_int (5), &result), 0);
    assert_true (result.tag == ZOWN_INT && result.u.i == 5);
    assert_int_equal (zown_dict_add (self->dict, "n", zown_datum_int (-7), &result), 0);
    assert_int_equal (result.u.i, -2);
    assert_int_equal (zown_dict_add (self->dict, "n", zown_datum_double (0.5), &result), 0);
    assert_true (result.tag == ZOWN_DOUBLE && result.u.d == -1.5);
    assert_int_equal (zown_dict_set (self->dict, "big", zown_datum_int (INT64_MAX), NULL), 0);
    assert_int_equal (zown_dict_add (self->dict, "big", zown_datum_int (1), &result), -1);
    assert_int_equal (zown_errno (), ZOWN_OVERFLOW);
    zown_datum_t value;
    assert_int_equal (zown_dict_get (self->dict, "big", &value, NULL), 0);
    assert_int_equal (value.u.i, INT64_MAX);
    assert_int_equal (zown_dict_set (self->dict, "s", ZOWN_STR ("text"), NULL), 0);
    assert_int_equal (zown_dict_add (self->dict, "s", zown_datum_int (1), &result), -1);
    assert_int_equal (zown_errno (), ZOWN_WRONG_TYPE);
    assert_int_equal (zown_dict_add (self->dict, "n", ZOWN_STR ("1"), &result), -1);
    assert_int_equal (zown_errno (), ZOWN_BAD_ARGS);
}

static void
test_cas (void **state)
{
    testutil_fixture_t *self = (testutil_fixture_t *) *state;
    uint64_t version, current;
    //  Expected version 0: only if absent.
    assert_int_equal (zown_dict_cas (self->dict, "k", 0, zown_datum_int (1), &version), 0);
    assert_int_equal (zown_dict_cas (self->dict, "k", 0, zown_datum_int (2), &current), -1);
    assert_int_equal (zown_errno (), ZOWN_CONFLICT);
    assert_int_equal (current, version);
    //  A read-modify-write loop that retries on CONFLICT.
    assert_int_equal (zown_dict_set (self->dict, "k", zown_datum_int (10), NULL), 0);
    assert_int_equal (zown_dict_cas (self->dict, "k", version, zown_datum_int (3), &current), -1);
    assert_int_equal (zown_errno (), ZOWN_CONFLICT);
    assert_true (current > version);
    uint64_t next;
    assert_int_equal (zown_dict_cas (self->dict, "k", current, zown_datum_int (11), &next), 0);
    assert_true (next > current);
    zown_datum_t value;
    assert_int_equal (zown_dict_get (self->dict, "k", &value, &version), 0);
    assert_int_equal (value.u.i, 11);
    assert_int_equal (version, next);
    assert_int_equal (zown_dict_cas (self->dict, "k", UINT64_MAX, zown_datum_int (1), NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
}

static void
test_atomic_batch_moves_money (void **state)
{
    //  A read-modify-write of two keys as one batch: both or neither.
    testutil_fixture_t *self = (testutil_fixture_t *) *state;
    const char *keys [] = { "alice", "bob" };
    zown_datum_t values [] = { zown_datum_int (100), zown_datum_int (0) };
    assert_int_equal (zown_dict_update (self->dict, 2, keys, values), 0);
    zown_request_t *batch = zown_request_new ();
    zown_datum_t debit [] = { ZOWN_STR ("alice"), zown_datum_int (-30) };
    zown_datum_t credit [] = { ZOWN_STR ("bob"), zown_datum_int (30) };
    assert_int_equal (zown_request_add (batch, ZOWN_OP_DICT_ADD, "d", 2, debit), 0);
    assert_int_equal (zown_request_add (batch, ZOWN_OP_DICT_ADD, "d", 2, credit), 0);
    zown_reply_t *reply;
    assert_int_equal (zown_client_call (self->client, batch, &reply), 0);
    assert_int_equal (zown_reply_value (reply, 0, 0).u.i, 70);
    assert_int_equal (zown_reply_value (reply, 1, 0).u.i, 30);
    //  The same transfer with a failing third op changes nothing.
    zown_datum_t bad [] = { ZOWN_STR ("alice"), zown_datum_int (INT64_MAX) };
    assert_int_equal (zown_request_add (batch, ZOWN_OP_DICT_SET, "d", 2, bad), 0);
    assert_int_equal (zown_request_add (batch, ZOWN_OP_DICT_ADD, "d", 2, bad), 0);
    assert_int_equal (zown_client_call (self->client, batch, &reply), -1);
    assert_int_equal (zown_errno (), ZOWN_OVERFLOW);
    assert_int_equal (zown_reply_result_status (reply, 0), ZOWN_ABORTED);
    assert_int_equal (zown_reply_result_status (reply, 3), ZOWN_OVERFLOW);
    zown_datum_t value;
    assert_int_equal (zown_dict_get (self->dict, "alice", &value, NULL), 0);
    assert_int_equal (value.u.i, 70);
    assert_int_equal (zown_dict_get (self->dict, "bob", &value, NULL), 0);
    assert_int_equal (value.u.i, 30);
    zown_request_destroy (&batch);
}

//  On a buffered client: sets, adds and deletes asking for nothing back are
//  queued and applied in order; the next read sees them all.
static void
test_buffered (void **state)
{
    testutil_fixture_t *self = (testutil_fixture_t *) *state;
    assert_int_equal (zown_client_set_buffered (self->client, 8, 60000), 0);
    for (int index = 0; index < 50; index++) {
        char key [16];
        snprintf (key, sizeof (key), "k%d", index);
        assert_int_equal (zown_dict_set (self->dict, key, zown_datum_int (index), NULL), 0);
        assert_int_equal (zown_dict_add (self->dict, key, zown_datum_int (1), NULL), 0);
        if (index % 2)
            assert_int_equal (zown_dict_delete (self->dict, key), 0);
    }
    size_t len;
    assert_int_equal (zown_dict_len (self->dict, &len), 0);
    assert_int_equal (len, 25);
    zown_datum_t value;
    assert_int_equal (zown_dict_get (self->dict, "k48", &value, NULL), 0);
    assert_int_equal (value.u.i, 49);
    assert_int_equal (zown_dict_contains (self->dict, "k49"), 0);
    assert_int_equal (zown_client_flush (self->client), 0);
}

//  A batch's one op on key with value: DICT_SET, or DICT_DEL without one.
static void
s_batch_add (zown_request_t *batch, zown_op_t op, const char *key, zown_datum_t value)
{
    zown_datum_t args [2] = { zown_datum_str (key), value };
    assert_int_equal (zown_request_add (batch, op, "d", op == ZOWN_OP_DICT_DEL ? 1 : 2, args), 0);
}

static void
s_assert_entry (zown_dict_t *dict, const char *key, zown_datum_t expected, uint64_t version)
{
    zown_datum_t value;
    uint64_t got;
    assert_int_equal (zown_dict_get (dict, key, &value, &got), 0);
    assert_true (zown_datum_eq (value, expected));
    assert_int_equal (got, version);
}

static void
test_batch_rolls_back_every_change (void **state)
{
    //  Each kind of change a rollback undoes: a value replaced by one of
    //  another size or of the same size, a key added then replaced, a key
    //  deleted, the whole dict cleared; values, versions and the count
    //  come back as they were.
    testutil_fixture_t *self = (testutil_fixture_t *) *state;
    uint64_t va, vb, vc;
    assert_int_equal (zown_dict_set (self->dict, "a", ZOWN_STR ("one"), &va), 0);
    assert_int_equal (zown_dict_set (self->dict, "b", zown_datum_int (2), &vb), 0);
    assert_int_equal (zown_dict_set (self->dict, "c", zown_datum_double (3.0), &vc), 0);
    zown_request_t *batch = zown_request_new ();
    s_batch_add (batch, ZOWN_OP_DICT_SET, "a", ZOWN_STR ("a much longer value than before"));
    s_batch_add (batch, ZOWN_OP_DICT_SET, "c", zown_datum_double (4.0));
    s_batch_add (batch, ZOWN_OP_DICT_SET, "n", zown_datum_int (1));
    s_batch_add (batch, ZOWN_OP_DICT_SET, "n", ZOWN_STR ("x"));
    s_batch_add (batch, ZOWN_OP_DICT_DEL, "b", ZOWN_NIL_DATUM);
    assert_int_equal (zown_request_add (batch, ZOWN_OP_DICT_CLEAR, "d", 0, NULL), 0);
    s_batch_add (batch, ZOWN_OP_DICT_SET, "a", zown_datum_int (7));
    //  Last: adding to a byte string fails, so everything rolls back.
    s_batch_add (batch, ZOWN_OP_DICT_SET, "s", ZOWN_STR ("text"));
    zown_datum_t add [] = { ZOWN_STR ("s"), zown_datum_int (1) };
    assert_int_equal (zown_request_add (batch, ZOWN_OP_DICT_ADD, "d", 2, add), 0);
    zown_reply_t *reply;
    assert_int_equal (zown_client_call (self->client, batch, &reply), -1);
    assert_int_equal (zown_errno (), ZOWN_WRONG_TYPE);
    s_assert_entry (self->dict, "a", ZOWN_STR ("one"), va);
    s_assert_entry (self->dict, "b", zown_datum_int (2), vb);
    s_assert_entry (self->dict, "c", zown_datum_double (3.0), vc);
    assert_int_equal (zown_dict_contains (self->dict, "n"), 0);
    assert_int_equal (zown_dict_contains (self->dict, "s"), 0);
    size_t len;
    assert_int_equal (zown_dict_len (self->dict, &len), 0);
    assert_int_equal (len, 3);
    //  The same batch without its failing op applies all of it.
    zown_request_reset (batch);
    s_batch_add (batch, ZOWN_OP_DICT_SET, "a", ZOWN_STR ("a much longer value than before"));
    s_batch_add (batch, ZOWN_OP_DICT_SET, "n", zown_datum_int (1));
    s_batch_add (batch, ZOWN_OP_DICT_DEL, "b", ZOWN_NIL_DATUM);
    assert_int_equal (zown_client_call (self->client, batch, &reply), 0);
    uint64_t vn = (uint64_t) zown_reply_value (reply, 1, 0).u.i;
    s_assert_entry (self->dict, "a", ZOWN_STR ("a much longer value than before"), vn - 1);
    s_assert_entry (self->dict, "n", zown_datum_int (1), vn);
    assert_int_equal (zown_dict_contains (self->dict, "b"), 0);
    zown_request_destroy (&batch);
}

static void
test_many_keys (void **state)
{
    //  Enough keys for the table to grow several times, set in batches so
    //  that rollbacks and moves meet; every key is there once.
    testutil_fixture_t *self = (testutil_fixture_t *) *state;
    enum { KEYS = 5000, PER_BATCH = 250 };
    char names [PER_BATCH][16];
    const char *keys [PER_BATCH];
    zown_datum_t values [PER_BATCH];
    for (int start = 0; start < KEYS; start += PER_BATCH) {
        for (int index = 0; index < PER_BATCH; index++) {
            snprintf (names [index], sizeof (names [index]), "key-%d", start + index);
            keys [index] = names [index];
            values [index] = zown_datum_int (start + index);
        }
        assert_int_equal (zown_dict_update (self->dict, PER_BATCH, keys, values), 0);
    }
    zown_reply_t *reply;
    assert_int_equal (zown_dict_items (self->dict, &reply), 0);
    assert_int_equal (zown_reply_count (reply, 0), 2 * KEYS);
    uint8_t seen [KEYS] = { 0 };
    for (size_t index = 0; index < KEYS; index++) {
        zown_datum_t key = zown_reply_value (reply, 0, 2 * index);
        int64_t value = zown_reply_value (reply, 0, 2 * index + 1).u.i;
        char expected [16];
        snprintf (expected, sizeof (expected), "key-%d", (int) value);
        assert_true (zown_datum_streq (key, expected));
        assert_int_equal (seen [value]++, 0);
    }
    for (int index = 0; index < KEYS; index += 2) {
        char key [16];
        snprintf (key, sizeof (key), "key-%d", index);
        assert_int_equal (zown_dict_delete (self->dict, key), 0);
    }
    size_t len;
    assert_int_equal (zown_dict_len (self->dict, &len), 0);
    assert_int_equal (len, KEYS / 2);
    zown_datum_t value;
    assert_int_equal (zown_dict_get (self->dict, "key-4999", &value, NULL), 0);
    assert_int_equal (value.u.i, 4999);
    assert_int_equal (zown_dict_get (self->dict, "key-4998", &value, NULL), -1);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        testutil_fixture_test (test_set_get_versions),
        testutil_fixture_test (test_missing_and_errors),
        testutil_fixture_test (test_get_or_delete_contains_len),
        testutil_fixture_test (test_keys_items_clear),
        testutil_fixture_test (test_set_if_absent),
        testutil_fixture_test (test_add),
        testutil_fixture_test (test_cas),
        testutil_fixture_test (test_atomic_batch_moves_money),
        testutil_fixture_test (test_buffered),
        testutil_fixture_test (test_batch_rolls_back_every_change),
        testutil_fixture_test (test_many_keys),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
