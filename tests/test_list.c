/*  =========================================================================
    test_list - every list op through the public handle, against a live
    owner, with each error status it can return; Python's index semantics
    (tables checked against CPython); batches that roll back; appends from
    several threads
    =========================================================================
*/
#include "testutil.h"
#include <pthread.h>

//  One op on "l" sent as a raw request; returns its status.
static int
s_raw (testutil_fixture_t *self, zown_op_t op, size_t argc, const zown_datum_t *argv)
{
    zown_request_reset (self->request);
    assert_int_equal (zown_request_add (self->request, op, "l", argc, argv), 0);
    zown_reply_t *reply;
    if (zown_client_call (self->client, self->request, &reply) == 0)
        return ZOWN_OK;
    assert_non_null (reply);
    return zown_reply_status (reply);
}

//  True if the object "l" exists on the owner.
static bool
s_exists (testutil_fixture_t *self)
{
    int status = s_raw (self, ZOWN_OP_TYPE, 0, NULL);
    assert_true (status == ZOWN_OK || status == ZOWN_NOT_FOUND);
    return status == ZOWN_OK;
}

//  The whole list must hold exactly these values, in this order.
static void
s_assert_contents (testutil_fixture_t *self, size_t count, const zown_datum_t *expected)
{
    zown_reply_t *reply;
    assert_int_equal (zown_list_range (self->list, 0, INT64_MAX, &reply), 0);
    assert_int_equal (zown_reply_count (reply, 0), count);
    for (size_t index = 0; index < count; index++)
        assert_true (zown_datum_eq (zown_reply_value (reply, 0, index), expected [index]));
    size_t len;
    assert_int_equal (zown_list_len (self->list, &len), 0);
    assert_int_equal (len, count);
}

//  Make the list hold the ints first, first + 1, ... (count of them).
static void
s_fill (testutil_fixture_t *self, int64_t first, size_t count)
{
    zown_datum_t values [8];
    assert_true (count <= 8);
    for (size_t index = 0; index < count; index++)
        values [index] = zown_datum_int (first + (int64_t) index);
    assert_int_equal (zown_list_clear (self->list, NULL), 0);
    assert_int_equal (zown_list_extend (self->list, count, values, NULL), 0);
}

static void
test_append_extend_len (void **state)
{
    testutil_fixture_t *self = (testutil_fixture_t *) *state;
    size_t len = 99;
    assert_int_equal (zown_list_append (self->list, zown_datum_int (1), &len), 0);
    assert_int_equal (len, 1);
    assert_int_equal (zown_list_append (self->list, ZOWN_STR ("two"), &len), 0);
    assert_int_equal (len, 2);
    //  More values than the command table has argument masks, of every type.
    zown_datum_t more [] = { zown_datum_double (3.5), ZOWN_NIL_DATUM, zown_datum_int (-4),
                             ZOWN_STR ("five"),       ZOWN_NIL_DATUM, zown_datum_bytes ("", 0) };
    assert_int_equal (zown_list_extend (self->list, 6, more, &len), 0);
    assert_int_equal (len, 8);
    assert_int_equal (zown_list_append (self->list, zown_datum_int (9), NULL), 0);
    zown_datum_t expected [] = { zown_datum_int (1),      ZOWN_STR ("two"),
                                 zown_datum_double (3.5), ZOWN_NIL_DATUM,
                                 zown_datum_int (-4),     ZOWN_STR ("five"),
                                 ZOWN_NIL_DATUM,          zown_datum_bytes ("", 0),
                                 zown_datum_int (9) };
    s_assert_contents (self, 9, expected);
    zown_datum_t value;
    assert_int_equal (zown_list_get (self->list, 1, &value), 0);
    assert_true (zown_datum_streq (value, "two"));
}

static void
test_extend_limits (void **state)
{
    testutil_fixture_t *self = (testutil_fixture_t *) *state;
    //  65535 is the most arguments one op can carry: one more goes in a
    //  second op, after the first.
    size_t count = 65535 + 1;
    zown_datum_t *values = (zown_datum_t *) malloc (count * sizeof (zown_datum_t));
    assert_non_null (values);
    for (size_t index = 0; index < count; index++)
        values [index] = zown_datum_int ((int64_t) index);
    size_t len;
    assert_int_equal (zown_list_extend (self->list, 0, values, &len), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_int_equal (zown_list_extend (self->list, count, values, &len), 0);
    assert_int_equal (len, count);
    zown_datum_t value;
    assert_int_equal (zown_list_get (self->list, -1, &value), 0);
    assert_int_equal (value.u.i, (int64_t) count - 1);
    zown_reply_t *reply;
    assert_int_equal (zown_list_range (self->list, 0, INT64_MAX, &reply), 0);
    assert_int_equal (zown_reply_count (reply, 0), count);
    for (size_t index = 0; index < count; index++)
        assert_int_equal (zown_reply_value (reply, 0, index).u.i, (int64_t) index);
    size_t removed;
    assert_int_equal (zown_list_clear (self->list, &removed), 0);
    assert_int_equal (removed, count);
    free (values);
}

static void
test_missing_list_reads_as_empty (void **state)
{
    testutil_fixture_t *self = (testutil_fixture_t *) *state;
    zown_datum_t value;
    size_t len = 99, index;
    assert_int_equal (zown_list_len (self->list, &len), 0);
    assert_int_equal (len, 0);
    assert_int_equal (zown_list_get (self->list, 0, &value), -1);
    assert_int_equal (zown_errno (), ZOWN_OUT_OF_RANGE);
    assert_int_equal (zown_list_get (self->list, -1, &value), -1);
    assert_int_equal (zown_errno (), ZOWN_OUT_OF_RANGE);
    assert_int_equal (zown_list_set (self->list, 0, zown_datum_int (1)), -1);
    assert_int_equal (zown_errno (), ZOWN_OUT_OF_RANGE);
    assert_int_equal (zown_list_pop (self->list, -1, &value), -1);
    assert_int_equal (zown_errno (), ZOWN_OUT_OF_RANGE);
    assert_int_equal (s_raw (self, ZOWN_OP_LIST_POP, 0, NULL), ZOWN_OUT_OF_RANGE);
    assert_int_equal (zown_list_remove (self->list, zown_datum_int (1)), -1);
    assert_int_equal (zown_errno (), ZOWN_NOT_FOUND);
    assert_int_equal (zown_list_index (self->list, zown_datum_int (1), &index), -1);
    assert_int_equal (zown_errno (), ZOWN_NOT_FOUND);
    zown_reply_t *reply;
    assert_int_equal (zown_list_range (self->list, INT64_MIN, INT64_MAX, &reply), 0);
    assert_int_equal (zown_reply_results (reply), 1);
    assert_int_equal (zown_reply_count (reply, 0), 0);
    size_t removed = 99;
    assert_int_equal (zown_list_clear (self->list, &removed), 0);
    assert_int_equal (removed, 0);
    //  Nothing above created the list; an insert does.
    assert_false (s_exists (self));
    assert_int_equal (zown_list_insert (self->list, 5, ZOWN_STR ("first")), 0);
    assert_true (s_exists (self));
    zown_reply_t *type;
    zown_request_reset (self->request);
    assert_int_equal (zown_request_add (self->request, ZOWN_OP_TYPE, "l", 0, NULL), 0);
    assert_int_equal (zown_client_call (self->client, self->request, &type), 0);
    assert_true (zown_datum_streq (zown_reply_value (type, 0, 0), "list"));
    //  An emptied list still exists and still reads as empty.
    assert_int_equal (zown_list_pop (self->list, 0, &value), 0);
    assert_true (zown_datum_streq (value, "first"));
    assert_int_equal (zown_list_pop (self->list, -1, &value), -1);
    assert_int_equal (zown_errno (), ZOWN_OUT_OF_RANGE);
    assert_true (s_exists (self));
}

//  list[index] of [10, 11, 12, 13, 14] in Python; -1 for IndexError.
static const struct {
    int64_t index;
    int64_t value;
} s_item_cases [] = {
    { INT64_MIN, -1 }, { -6, -1 }, { -5, 10 }, { -1, 14 },
    { 0, 10 },         { 4, 14 },  { 5, -1 },  { INT64_MAX, -1 },
};

#define ITEM_CASES (sizeof (s_item_cases) / sizeof (s_item_cases [0]))

static void
test_negative_indices (void **state)
{
    testutil_fixture_t *self = (testutil_fixture_t *) *state;
    zown_datum_t value;
    for (size_t test = 0; test < ITEM_CASES; test++) {
        int64_t index = s_item_cases [test].index;
        int64_t expected = s_item_cases [test].value;
        s_fill (self, 10, 5);
        if (expected < 0) {
            //  get, set and pop all refuse the index and change nothing.
            assert_int_equal (zown_list_get (self->list, index, &value), -1);
            assert_int_equal (zown_errno (), ZOWN_OUT_OF_RANGE);
            assert_int_equal (zown_list_set (self->list, index, zown_datum_int (0)), -1);
            assert_int_equal (zown_errno (), ZOWN_OUT_OF_RANGE);
            assert_int_equal (zown_list_pop (self->list, index, &value), -1);
            assert_int_equal (zown_errno (), ZOWN_OUT_OF_RANGE);
            zown_datum_t unchanged [] = { zown_datum_int (10), zown_datum_int (11),
                                          zown_datum_int (12), zown_datum_int (13),
                                          zown_datum_int (14) };
            s_assert_contents (self, 5, unchanged);
            continue;
        }
        assert_int_equal (zown_list_get (self->list, index, &value), 0);
        assert_int_equal (value.u.i, expected);
        assert_int_equal (zown_list_set (self->list, index, ZOWN_STR ("new")), 0);
        assert_int_equal (zown_list_get (self->list, expected - 10, &value), 0);
        assert_true (zown_datum_streq (value, "new"));
        assert_int_equal (zown_list_pop (self->list, index, &value), 0);
        assert_true (zown_datum_streq (value, "new"));
        size_t len;
        assert_int_equal (zown_list_len (self->list, &len), 0);
        assert_int_equal (len, 4);
        assert_int_equal (zown_list_index (self->list, ZOWN_STR ("new"), NULL), -1);
        assert_int_equal (zown_errno (), ZOWN_NOT_FOUND);
    }
    //  pop's default, through a raw request with no argument, is the last.
    s_fill (self, 10, 5);
    assert_int_equal (s_raw (self, ZOWN_OP_LIST_POP, 0, NULL), ZOWN_OK);
    zown_datum_t popped [] = { zown_datum_int (10), zown_datum_int (11), zown_datum_int (12),
                               zown_datum_int (13) };
    s_assert_contents (self, 4, popped);
}

//  [0, 1, 2].insert (index, 9) in Python: where the 9 lands.
static const struct {
    int64_t index;
    size_t position;
} s_insert_cases [] = {
    { INT64_MIN, 0 }, { -100, 0 }, { -4, 0 }, { -3, 0 }, { -2, 1 },  { -1, 2 },        { 0, 0 },
    { 1, 1 },         { 2, 2 },    { 3, 3 },  { 4, 3 },  { 100, 3 }, { INT64_MAX, 3 },
};

#define INSERT_CASES (sizeof (s_insert_cases) / sizeof (s_insert_cases [0]))

static void
test_insert_clamps (void **state)
{
    testutil_fixture_t *self = (testutil_fixture_t *) *state;
    for (size_t test = 0; test < INSERT_CASES; test++) {
        s_fill (self, 0, 3);
        assert_int_equal (
            zown_list_insert (self->list, s_insert_cases [test].index, zown_datum_int (9)), 0);
        zown_datum_t expected [4];
        for (size_t index = 0, next = 0; index < 4; index++)
            expected [index] = index == s_insert_cases [test].position
                ? zown_datum_int (9)
                : zown_datum_int ((int64_t) next++);
        s_assert_contents (self, 4, expected);
    }
    //  An insert reports the new length on the wire.
    zown_datum_t argv [] = { zown_datum_int (0), ZOWN_NIL_DATUM };
    zown_request_reset (self->request);
    assert_int_equal (zown_request_add (self->request, ZOWN_OP_LIST_INSERT, "l", 2, argv), 0);
    zown_reply_t *reply;
    assert_int_equal (zown_client_call (self->client, self->request, &reply), 0);
    assert_int_equal (zown_reply_value (reply, 0, 0).u.i, 5);
}

//  [0, 1, 2, 3, 4][start:stop] in Python: `count` values from `first`.
static const struct {
    int64_t start;
    int64_t stop;
    int64_t first;
    size_t count;
} s_range_cases [] = {
    { 0, 5, 0, 5 },
    { 0, INT64_MAX, 0, 5 },
    { INT64_MIN, INT64_MAX, 0, 5 },
    { 1, 3, 1, 2 },
    { -2, INT64_MAX, 3, 2 },
    { -3, -1, 2, 2 },
    { 3, 1, 0, 0 },
    { 2, 2, 0, 0 },
    { -100, 2, 0, 2 },
    { 4, 100, 4, 1 },
    { 5, 6, 0, 0 },
    { -1, -2, 0, 0 },
    { INT64_MIN, INT64_MIN, 0, 0 },
    { INT64_MAX, INT64_MAX, 0, 0 },
    { 0, -5, 0, 0 },
    { -5, 1, 0, 1 },
};

#define RANGE_CASES (sizeof (s_range_cases) / sizeof (s_range_cases [0]))

static void
test_range_slices (void **state)
{
    testutil_fixture_t *self = (testutil_fixture_t *) *state;
    s_fill (self, 0, 5);
    for (size_t test = 0; test < RANGE_CASES; test++) {
        zown_reply_t *reply;
        assert_int_equal (zown_list_range (self->list, s_range_cases [test].start,
                                           s_range_cases [test].stop, &reply),
                          0);
        assert_int_equal (zown_reply_count (reply, 0), s_range_cases [test].count);
        for (size_t index = 0; index < s_range_cases [test].count; index++)
            assert_int_equal (zown_reply_value (reply, 0, index).u.i,
                              s_range_cases [test].first + (int64_t) index);
    }
}

static void
test_remove_index_clear (void **state)
{
    testutil_fixture_t *self = (testutil_fixture_t *) *state;
    zown_datum_t values [] = { zown_datum_int (1),      ZOWN_STR ("a"), zown_datum_int (1),
                               zown_datum_double (1.0), ZOWN_NIL_DATUM, ZOWN_STR ("a") };
    assert_int_equal (zown_list_extend (self->list, 6, values, NULL), 0);
    size_t index;
    assert_int_equal (zown_list_index (self->list, ZOWN_STR ("a"), &index), 0);
    assert_int_equal (index, 1);
    assert_int_equal (zown_list_index (self->list, ZOWN_NIL_DATUM, &index), 0);
    assert_int_equal (index, 4);
    //  Values compare with their type: double 1.0 is not int 1.
    assert_int_equal (zown_list_index (self->list, zown_datum_double (1.0), &index), 0);
    assert_int_equal (index, 3);
    assert_int_equal (zown_list_index (self->list, ZOWN_STR ("1"), &index), -1);
    assert_int_equal (zown_errno (), ZOWN_NOT_FOUND);
    //  remove takes the first equal value only.
    assert_int_equal (zown_list_remove (self->list, zown_datum_int (1)), 0);
    assert_int_equal (zown_list_remove (self->list, ZOWN_STR ("a")), 0);
    zown_datum_t left [] = { zown_datum_int (1), zown_datum_double (1.0), ZOWN_NIL_DATUM,
                             ZOWN_STR ("a") };
    s_assert_contents (self, 4, left);
    assert_int_equal (zown_list_remove (self->list, zown_datum_int (2)), -1);
    assert_int_equal (zown_errno (), ZOWN_NOT_FOUND);
    assert_int_equal (zown_list_remove (self->list, zown_datum_double (2.0)), -1);
    assert_int_equal (zown_errno (), ZOWN_NOT_FOUND);
    s_assert_contents (self, 4, left);
    size_t removed;
    assert_int_equal (zown_list_clear (self->list, &removed), 0);
    assert_int_equal (removed, 4);
    s_assert_contents (self, 0, NULL);
    assert_int_equal (zown_list_clear (self->list, &removed), 0);
    assert_int_equal (removed, 0);
    //  A cleared list grows again.
    assert_int_equal (zown_list_append (self->list, zown_datum_int (7), &index), 0);
    assert_int_equal (index, 1);
}

static void
test_bytes_with_nuls (void **state)
{
    testutil_fixture_t *self = (testutil_fixture_t *) *state;
    zown_datum_t one = zown_datum_bytes ("\0a\0", 3);
    zown_datum_t two = zown_datum_bytes ("\0a\0b", 4);
    zown_datum_t prefix = zown_datum_bytes ("\0a", 2);
    zown_datum_t empty = zown_datum_bytes ("", 0);
    assert_int_equal (zown_list_append (self->list, one, NULL), 0);
    assert_int_equal (zown_list_append (self->list, empty, NULL), 0);
    assert_int_equal (zown_list_insert (self->list, 0, two), 0);
    zown_datum_t value;
    assert_int_equal (zown_list_get (self->list, 0, &value), 0);
    assert_true (zown_datum_eq (value, two));
    assert_int_equal (zown_list_get (self->list, 1, &value), 0);
    assert_true (zown_datum_eq (value, one));
    assert_int_equal (zown_list_get (self->list, 2, &value), 0);
    assert_true (value.tag == ZOWN_BYTES && value.u.b.len == 0);
    size_t index;
    assert_int_equal (zown_list_index (self->list, one, &index), 0);
    assert_int_equal (index, 1);
    assert_int_equal (zown_list_index (self->list, prefix, &index), -1);
    assert_int_equal (zown_errno (), ZOWN_NOT_FOUND);
    assert_int_equal (zown_list_set (self->list, 1, prefix), 0);
    assert_int_equal (zown_list_remove (self->list, two), 0);
    assert_int_equal (zown_list_pop (self->list, 0, &value), 0);
    assert_true (zown_datum_eq (value, prefix));
    zown_datum_t left [] = { empty };
    s_assert_contents (self, 1, left);
}

static void
test_errors (void **state)
{
    testutil_fixture_t *self = (testutil_fixture_t *) *state;
    //  Argument types and counts, checked by the command table.
    zown_datum_t text = ZOWN_STR ("0"), real = zown_datum_double (0.0);
    zown_datum_t zero = zown_datum_int (0), nil = ZOWN_NIL_DATUM;
    zown_datum_t two_ints [] = { zero, zero }, text_first [] = { text, zero };
    zown_datum_t int_nil [] = { zero, nil }, three [] = { zero, zero, zero };
    assert_int_equal (s_raw (self, ZOWN_OP_LIST_GET, 1, &text), ZOWN_BAD_ARGS);
    assert_int_equal (s_raw (self, ZOWN_OP_LIST_GET, 1, &real), ZOWN_BAD_ARGS);
    assert_int_equal (s_raw (self, ZOWN_OP_LIST_GET, 0, NULL), ZOWN_BAD_ARGS);
    assert_int_equal (s_raw (self, ZOWN_OP_LIST_INSERT, 2, text_first), ZOWN_BAD_ARGS);
    assert_int_equal (s_raw (self, ZOWN_OP_LIST_INSERT, 1, &zero), ZOWN_BAD_ARGS);
    assert_int_equal (s_raw (self, ZOWN_OP_LIST_SET, 2, text_first), ZOWN_BAD_ARGS);
    assert_int_equal (s_raw (self, ZOWN_OP_LIST_POP, 1, &nil), ZOWN_BAD_ARGS);
    assert_int_equal (s_raw (self, ZOWN_OP_LIST_POP, 2, two_ints), ZOWN_BAD_ARGS);
    assert_int_equal (s_raw (self, ZOWN_OP_LIST_RANGE, 1, &zero), ZOWN_BAD_ARGS);
    assert_int_equal (s_raw (self, ZOWN_OP_LIST_RANGE, 2, int_nil), ZOWN_BAD_ARGS);
    assert_int_equal (s_raw (self, ZOWN_OP_LIST_APPEND, 0, NULL), ZOWN_BAD_ARGS);
    assert_int_equal (s_raw (self, ZOWN_OP_LIST_APPEND, 2, two_ints), ZOWN_BAD_ARGS);
    assert_int_equal (s_raw (self, ZOWN_OP_LIST_EXTEND, 0, NULL), ZOWN_BAD_ARGS);
    assert_int_equal (s_raw (self, ZOWN_OP_LIST_REMOVE, 0, NULL), ZOWN_BAD_ARGS);
    assert_int_equal (s_raw (self, ZOWN_OP_LIST_INDEX, 2, two_ints), ZOWN_BAD_ARGS);
    assert_int_equal (s_raw (self, ZOWN_OP_LIST_LEN, 1, &zero), ZOWN_BAD_ARGS);
    assert_int_equal (s_raw (self, ZOWN_OP_LIST_CLEAR, 3, three), ZOWN_BAD_ARGS);
    assert_false (s_exists (self));

    //  The name is a dict, or a list is used as a dict.
    zown_dict_t *dict = zown_dict_new (self->client, "d");
    assert_int_equal (zown_dict_set (dict, "k", zown_datum_int (1), NULL), 0);
    zown_list_t *wrong = zown_list_new (self->client, "d");
    size_t len;
    zown_datum_t value;
    assert_int_equal (zown_list_append (wrong, zown_datum_int (1), &len), -1);
    assert_int_equal (zown_errno (), ZOWN_WRONG_TYPE);
    assert_int_equal (zown_list_len (wrong, &len), -1);
    assert_int_equal (zown_errno (), ZOWN_WRONG_TYPE);
    assert_int_equal (zown_list_get (wrong, 0, &value), -1);
    assert_int_equal (zown_errno (), ZOWN_WRONG_TYPE);
    assert_int_equal (zown_list_clear (wrong, &len), -1);
    assert_int_equal (zown_errno (), ZOWN_WRONG_TYPE);
    zown_list_destroy (&wrong);
    assert_int_equal (zown_list_append (self->list, zown_datum_int (1), NULL), 0);
    zown_dict_t *not_dict = zown_dict_new (self->client, "l");
    assert_int_equal (zown_dict_len (not_dict, &len), -1);
    assert_int_equal (zown_errno (), ZOWN_WRONG_TYPE);
    zown_dict_destroy (&not_dict);
    zown_dict_destroy (&dict);

    //  API misuse
    assert_null (zown_list_new (self->client, ""));
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_null (zown_list_new (NULL, "x"));
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_int_equal (zown_list_extend (self->list, 0, &zero, NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_int_equal (zown_list_extend (self->list, 1, NULL, NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    zown_list_t *null = NULL;
    zown_reply_t *reply;
    size_t index;
    int results [] = {
        zown_list_append (null, zero, &len), zown_list_extend (null, 1, &zero, &len),
        zown_list_insert (null, 0, zero),    zown_list_get (null, 0, &value),
        zown_list_set (null, 0, zero),       zown_list_pop (null, -1, &value),
        zown_list_remove (null, zero),       zown_list_index (null, zero, &index),
        zown_list_len (null, &len),          zown_list_range (null, 0, 1, &reply),
        zown_list_clear (null, &len),
    };
    for (size_t call = 0; call < sizeof (results) / sizeof (results [0]); call++)
        assert_int_equal (results [call], -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    zown_list_destroy (&null);
    zown_list_destroy (NULL);
    //  None of the failures touched the list.
    zown_datum_t one [] = { zown_datum_int (1) };
    s_assert_contents (self, 1, one);
}

//  --------------------------------------------------------------------------
//  Batches

#define BATCH_OPS 11

//  Adds the first `count` ops of a batch that uses every write op, with
//  byte strings that the undo records must own. The ops before the clear
//  change items that were there before the batch, so that no undo record
//  is hidden by a later one.
static void
s_add_batch (zown_request_t *request, size_t count)
{
    zown_datum_t append [] = { zown_datum_bytes ("new\0", 4) };
    zown_datum_t insert [] = { zown_datum_int (2), zown_datum_int (7) };
    zown_datum_t set [] = { zown_datum_int (1), ZOWN_STR ("set") };
    zown_datum_t pop [] = { zown_datum_int (-3) };
    zown_datum_t remove [] = { zown_datum_int (1) };
    zown_datum_t extend [] = { ZOWN_STR ("e1"), zown_datum_int (2), zown_datum_bytes ("e\0", 2),
                               ZOWN_NIL_DATUM, zown_datum_double (3.5) };
    zown_datum_t insert_last [] = { zown_datum_int (-1), ZOWN_STR ("i") };
    zown_datum_t set_first [] = { zown_datum_int (0), zown_datum_int (42) };
    zown_datum_t remove_nil [] = { ZOWN_NIL_DATUM };
    struct {
        zown_op_t op;
        size_t argc;
        const zown_datum_t *argv;
    } ops [BATCH_OPS] = {
        { ZOWN_OP_LIST_APPEND, 1, append },
        { ZOWN_OP_LIST_INSERT, 2, insert },
        { ZOWN_OP_LIST_SET, 2, set },
        { ZOWN_OP_LIST_POP, 1, pop },
        { ZOWN_OP_LIST_REMOVE, 1, remove },
        { ZOWN_OP_LIST_CLEAR, 0, NULL },
        { ZOWN_OP_LIST_EXTEND, 5, extend },
        { ZOWN_OP_LIST_POP, 0, NULL },
        { ZOWN_OP_LIST_INSERT, 2, insert_last },
        { ZOWN_OP_LIST_SET, 2, set_first },
        { ZOWN_OP_LIST_REMOVE, 1, remove_nil },
    };
    for (size_t index = 0; index < count; index++)
        assert_int_equal (
            zown_request_add (request, ops [index].op, "l", ops [index].argc, ops [index].argv), 0);
}

static void
test_batch_rolls_back (void **state)
{
    testutil_fixture_t *self = (testutil_fixture_t *) *state;
    zown_datum_t initial [] = { zown_datum_int (1),      zown_datum_bytes ("a\0b", 3),
                                zown_datum_double (2.5), ZOWN_NIL_DATUM,
                                zown_datum_int (1),      ZOWN_STR ("x") };
    assert_int_equal (zown_list_extend (self->list, 6, initial, NULL), 0);
    s_assert_contents (self, 6, initial);
    //  Every prefix of the batch, then an op that fails: each undo record
    //  alone and in every combination with the ones before it.
    zown_datum_t beyond = zown_datum_int (100);
    for (size_t count = 0; count <= BATCH_OPS; count++) {
        zown_request_reset (self->request);
        s_add_batch (self->request, count);
        assert_int_equal (zown_request_add (self->request, ZOWN_OP_LIST_GET, "l", 1, &beyond), 0);
        zown_reply_t *reply;
        assert_int_equal (zown_client_call (self->client, self->request, &reply), -1);
        assert_int_equal (zown_errno (), ZOWN_OUT_OF_RANGE);
        assert_int_equal (zown_reply_result_status (reply, count), ZOWN_OUT_OF_RANGE);
        for (size_t index = 0; index < count; index++)
            assert_int_equal (zown_reply_result_status (reply, index), ZOWN_ABORTED);
        s_assert_contents (self, 6, initial);
    }
    //  The whole batch without the failing op applies fully.
    zown_request_reset (self->request);
    s_add_batch (self->request, BATCH_OPS);
    zown_reply_t *reply;
    assert_int_equal (zown_client_call (self->client, self->request, &reply), 0);
    assert_int_equal (zown_reply_value (reply, 0, 0).u.i, 7);
    assert_int_equal (zown_reply_value (reply, 1, 0).u.i, 8);
    assert_int_equal (zown_reply_value (reply, 3, 0).u.i, 1);
    assert_int_equal (zown_reply_value (reply, 5, 0).u.i, 6);
    assert_int_equal (zown_reply_value (reply, 6, 0).u.i, 5);
    assert_true (zown_datum_eq (zown_reply_value (reply, 7, 0), zown_datum_double (3.5)));
    assert_int_equal (zown_reply_value (reply, 8, 0).u.i, 5);
    zown_datum_t final [] = { zown_datum_int (42), zown_datum_int (2), zown_datum_bytes ("e\0", 2),
                              ZOWN_STR ("i") };
    s_assert_contents (self, 4, final);
}

static void
test_batch_creating_list_rolls_back (void **state)
{
    testutil_fixture_t *self = (testutil_fixture_t *) *state;
    //  On a missing list: the first append creates it, then the batch fails
    //  when it checks its last op, or when it applies it.
    zown_datum_t value = ZOWN_STR ("v"), beyond = zown_datum_int (100);
    zown_op_t last [] = { ZOWN_OP_LIST_SET, ZOWN_OP_LIST_GET };
    int status [] = { ZOWN_BAD_ARGS, ZOWN_OUT_OF_RANGE };
    for (size_t test = 0; test < 2; test++) {
        zown_request_reset (self->request);
        assert_int_equal (zown_request_add (self->request, ZOWN_OP_LIST_APPEND, "l", 1, &value), 0);
        assert_int_equal (zown_request_add (self->request, ZOWN_OP_LIST_CLEAR, "l", 0, NULL), 0);
        assert_int_equal (zown_request_add (self->request, ZOWN_OP_LIST_APPEND, "l", 1, &value), 0);
        assert_int_equal (zown_request_add (self->request, last [test], "l", 1, &beyond), 0);
        assert_int_equal (zown_client_call (self->client, self->request, NULL), -1);
        assert_int_equal (zown_errno (), status [test]);
        assert_false (s_exists (self));
    }
}

//  --------------------------------------------------------------------------
//  Threads

#define THREADS 4
#define APPENDS 2000

typedef struct {
    const char *endpoint;
    int64_t first;  //  Values first .. first + APPENDS - 1
    int failures;
} appender_t;

static void *
s_appender (void *args)
{
    appender_t *self = (appender_t *) args;
    zown_client_t *client = zown_client_new (self->endpoint);
    zown_list_t *list = zown_list_new (client, "l");
    for (int64_t count = 0; count < APPENDS; count++)
        self->failures += zown_list_append (list, zown_datum_int (self->first + count), NULL) != 0;
    zown_list_destroy (&list);
    zown_client_destroy (&client);
    return NULL;
}

static void
test_threads_append (void **state)
{
    testutil_fixture_t *self = (testutil_fixture_t *) *state;
    pthread_t threads [THREADS];
    appender_t appenders [THREADS];
    for (int index = 0; index < THREADS; index++) {
        appenders [index] = (appender_t){ zown_owner_inproc (self->owner), index * APPENDS, 0 };
        assert_int_equal (pthread_create (&threads [index], NULL, s_appender, &appenders [index]),
                          0);
    }
    for (int index = 0; index < THREADS; index++) {
        pthread_join (threads [index], NULL);
        assert_int_equal (appenders [index].failures, 0);
    }
    size_t len;
    assert_int_equal (zown_list_len (self->list, &len), 0);
    assert_int_equal (len, THREADS * APPENDS);
    zown_reply_t *reply;
    assert_int_equal (zown_list_range (self->list, 0, INT64_MAX, &reply), 0);
    assert_int_equal (zown_reply_count (reply, 0), THREADS * APPENDS);
    static int seen [THREADS * APPENDS];
    memset (seen, 0, sizeof (seen));
    for (size_t index = 0; index < THREADS * APPENDS; index++) {
        zown_datum_t value = zown_reply_value (reply, 0, index);
        assert_int_equal (value.tag, ZOWN_INT);
        assert_in_range (value.u.i, 0, THREADS * APPENDS - 1);
        seen [value.u.i]++;
    }
    for (size_t index = 0; index < THREADS * APPENDS; index++)
        assert_int_equal (seen [index], 1);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        testutil_fixture_test (test_append_extend_len),
        testutil_fixture_test (test_extend_limits),
        testutil_fixture_test (test_missing_list_reads_as_empty),
        testutil_fixture_test (test_negative_indices),
        testutil_fixture_test (test_insert_clamps),
        testutil_fixture_test (test_range_slices),
        testutil_fixture_test (test_remove_index_clear),
        testutil_fixture_test (test_bytes_with_nuls),
        testutil_fixture_test (test_errors),
        testutil_fixture_test (test_batch_rolls_back),
        testutil_fixture_test (test_batch_creating_list_rolls_back),
        testutil_fixture_test (test_threads_append),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
