/*  =========================================================================
    test_array - every array op through the public handle, against a live
    owner, with each error status it can return; batches that roll back;
    exact totals under contention
    =========================================================================
*/
#include "testutil.h"
#include <pthread.h>

static void
test_create (void **state)
{
    testutil_fixture_t *self = (testutil_fixture_t *) *state;
    size_t len;
    //  Nothing exists before ARRAY_CREATE.
    assert_int_equal (zown_array_len (self->array, &len), -1);
    assert_int_equal (zown_errno (), ZOWN_NOT_FOUND);
    zown_reply_t *reply;
    assert_int_equal (zown_array_snapshot (self->array, &reply), -1);
    assert_int_equal (zown_errno (), ZOWN_NOT_FOUND);
    assert_int_equal (zown_array_create (self->array, 10, zown_datum_int (7)), 1);
    assert_int_equal (zown_array_create (self->array, 10, zown_datum_int (0)), 0);
    assert_int_equal (zown_array_create (self->array, 11, zown_datum_int (0)), -1);
    assert_int_equal (zown_errno (), ZOWN_WRONG_TYPE);
    assert_int_equal (zown_array_create (self->array, 10, zown_datum_double (0)), -1);
    assert_int_equal (zown_errno (), ZOWN_WRONG_TYPE);
    assert_int_equal (zown_array_len (self->array, &len), 0);
    assert_int_equal (len, 10);
    assert_int_equal (zown_array_snapshot (self->array, &reply), 0);
    assert_int_equal (zown_reply_count (reply, 0), 10);
    for (size_t index = 0; index < 10; index++)
        assert_true (zown_datum_eq (zown_reply_value (reply, 0, index), zown_datum_int (7)));

    zown_array_t *big = zown_array_new (self->client, "big");
    //  Longer than max_items (16 Mi by default).
    assert_int_equal (zown_array_create (big, 16u * 1024 * 1024 + 1, zown_datum_int (0)), -1);
    assert_int_equal (zown_errno (), ZOWN_LIMIT);
    assert_int_equal (zown_array_create (big, 4, ZOWN_STR ("x")), -1);
    assert_int_equal (zown_errno (), ZOWN_BAD_ARGS);
    //  A failed create leaves nothing behind.
    assert_int_equal (zown_array_len (big, &len), -1);
    assert_int_equal (zown_errno (), ZOWN_NOT_FOUND);
    zown_array_t *empty = zown_array_new (self->client, "empty");
    assert_int_equal (zown_array_create (empty, 0, zown_datum_double (0)), 1);
    assert_int_equal (zown_array_len (empty, &len), 0);
    assert_int_equal (len, 0);
    zown_array_destroy (&empty);
    zown_array_destroy (&big);
}

static void
test_elements (void **state)
{
    testutil_fixture_t *self = (testutil_fixture_t *) *state;
    assert_int_equal (zown_array_create (self->array, 4, zown_datum_int (0)), 1);
    zown_datum_t value;
    assert_int_equal (zown_array_set (self->array, 3, zown_datum_int (-5)), 0);
    assert_int_equal (zown_array_get (self->array, 3, &value), 0);
    assert_true (zown_datum_eq (value, zown_datum_int (-5)));
    assert_int_equal (zown_array_add (self->array, 3, zown_datum_int (8), &value), 0);
    assert_true (zown_datum_eq (value, zown_datum_int (3)));
    //  Errors: index, type, overflow
    assert_int_equal (zown_array_get (self->array, 4, &value), -1);
    assert_int_equal (zown_errno (), ZOWN_OUT_OF_RANGE);
    assert_int_equal (zown_array_set (self->array, 4, zown_datum_int (1)), -1);
    assert_int_equal (zown_errno (), ZOWN_OUT_OF_RANGE);
    assert_int_equal (zown_array_add (self->array, 99, zown_datum_int (1), NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_OUT_OF_RANGE);
    assert_int_equal (zown_array_set (self->array, 0, zown_datum_double (1.0)), -1);
    assert_int_equal (zown_errno (), ZOWN_WRONG_TYPE);
    assert_int_equal (zown_array_add (self->array, 0, zown_datum_double (1.0), NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_WRONG_TYPE);
    assert_int_equal (zown_array_set (self->array, 0, zown_datum_int (INT64_MAX)), 0);
    assert_int_equal (zown_array_add (self->array, 0, zown_datum_int (1), NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_OVERFLOW);
    assert_int_equal (zown_array_get (self->array, 0, &value), 0);
    assert_int_equal (value.u.i, INT64_MAX);
    //  Negative indices are refused on the wire too.
    zown_request_t *request = zown_request_new ();
    zown_datum_t minus_one = zown_datum_int (-1);
    assert_int_equal (zown_request_add (request, ZOWN_OP_ARRAY_GET, "a", 1, &minus_one), 0);
    assert_int_equal (zown_client_call (self->client, request, NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_OUT_OF_RANGE);
    zown_request_destroy (&request);
    //  Double arrays
    zown_array_t *reals = zown_array_new (self->client, "reals");
    assert_int_equal (zown_array_create (reals, 2, zown_datum_double (0.5)), 1);
    assert_int_equal (zown_array_add (reals, 1, zown_datum_double (0.25), &value), 0);
    assert_true (value.tag == ZOWN_DOUBLE && value.u.d == 0.75);
    assert_int_equal (zown_array_add (reals, 1, zown_datum_int (1), &value), -1);
    assert_int_equal (zown_errno (), ZOWN_WRONG_TYPE);
    zown_array_destroy (&reals);
}

static void
test_ranges (void **state)
{
    testutil_fixture_t *self = (testutil_fixture_t *) *state;
    assert_int_equal (zown_array_create (self->array, 6, zown_datum_int (0)), 1);
    zown_datum_t values [] = { zown_datum_int (1), zown_datum_int (2), zown_datum_int (3) };
    assert_int_equal (zown_array_write (self->array, 2, 3, values), 0);
    zown_reply_t *reply;
    assert_int_equal (zown_array_read (self->array, 1, 5, &reply), 0);
    int64_t expected [] = { 0, 1, 2, 3, 0 };
    assert_int_equal (zown_reply_count (reply, 0), 5);
    for (size_t index = 0; index < 5; index++)
        assert_int_equal (zown_reply_value (reply, 0, index).u.i, expected [index]);
    assert_int_equal (zown_array_read (self->array, 6, 0, &reply), 0);
    assert_int_equal (zown_reply_count (reply, 0), 0);
    //  Out of range, all or nothing
    assert_int_equal (zown_array_read (self->array, 5, 2, &reply), -1);
    assert_int_equal (zown_errno (), ZOWN_OUT_OF_RANGE);
    assert_int_equal (zown_array_write (self->array, 4, 3, values), -1);
    assert_int_equal (zown_errno (), ZOWN_OUT_OF_RANGE);
    zown_datum_t mixed [] = { zown_datum_int (9), zown_datum_double (9) };
    assert_int_equal (zown_array_write (self->array, 0, 2, mixed), -1);
    assert_int_equal (zown_errno (), ZOWN_WRONG_TYPE);
    assert_int_equal (zown_array_snapshot (self->array, &reply), 0);
    int64_t unchanged [] = { 0, 0, 1, 2, 3, 0 };
    for (size_t index = 0; index < 6; index++)
        assert_int_equal (zown_reply_value (reply, 0, index).u.i, unchanged [index]);
    assert_int_equal (zown_array_write (self->array, 0, 0, values), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
}

static void
test_batch_rolls_back (void **state)
{
    testutil_fixture_t *self = (testutil_fixture_t *) *state;
    assert_int_equal (zown_array_create (self->array, 3, zown_datum_int (1)), 1);
    zown_request_t *batch = zown_request_new ();
    zown_datum_t set [] = { zown_datum_int (0), zown_datum_int (100) };
    zown_datum_t add [] = { zown_datum_int (1), zown_datum_int (5) };
    zown_datum_t write [] = { zown_datum_int (1), zown_datum_int (7), zown_datum_int (8) };
    zown_datum_t create [] = { zown_datum_int (2), zown_datum_int (0) };
    zown_datum_t bad [] = { zown_datum_int (3), zown_datum_int (1) };
    assert_int_equal (zown_request_add (batch, ZOWN_OP_ARRAY_SET, "a", 2, set), 0);
    assert_int_equal (zown_request_add (batch, ZOWN_OP_ARRAY_ADD, "a", 2, add), 0);
    assert_int_equal (zown_request_add (batch, ZOWN_OP_ARRAY_WRITE, "a", 3, write), 0);
    assert_int_equal (zown_request_add (batch, ZOWN_OP_ARRAY_CREATE, "fresh", 2, create), 0);
    assert_int_equal (zown_request_add (batch, ZOWN_OP_ARRAY_SET, "a", 2, bad), 0);
    zown_reply_t *reply;
    assert_int_equal (zown_client_call (self->client, batch, &reply), -1);
    assert_int_equal (zown_errno (), ZOWN_OUT_OF_RANGE);
    assert_int_equal (zown_reply_result_status (reply, 0), ZOWN_ABORTED);
    assert_int_equal (zown_reply_result_status (reply, 4), ZOWN_OUT_OF_RANGE);
    assert_int_equal (zown_array_snapshot (self->array, &reply), 0);
    for (size_t index = 0; index < 3; index++)
        assert_int_equal (zown_reply_value (reply, 0, index).u.i, 1);
    zown_array_t *fresh = zown_array_new (self->client, "fresh");
    size_t len;
    assert_int_equal (zown_array_len (fresh, &len), -1);
    assert_int_equal (zown_errno (), ZOWN_NOT_FOUND);
    zown_array_destroy (&fresh);
    zown_request_destroy (&batch);
}

static void
test_wrong_object_type (void **state)
{
    testutil_fixture_t *self = (testutil_fixture_t *) *state;
    zown_value_t *value = zown_value_new (self->client, "a");
    assert_int_equal (zown_value_set (value, 1), 0);
    assert_int_equal (zown_array_create (self->array, 3, zown_datum_int (0)), -1);
    assert_int_equal (zown_errno (), ZOWN_WRONG_TYPE);
    assert_int_equal (zown_array_get (self->array, 0, NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_WRONG_TYPE);
    assert_int_equal (zown_array_len (NULL, NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    zown_value_destroy (&value);
}

typedef struct {
    const char *endpoint;
    int failures;
} adder_t;

//  Every thread adds 1 to each of the 8 elements, 1,000 times.
static void *
s_adder (void *args)
{
    adder_t *self = (adder_t *) args;
    zown_client_t *client = zown_client_new (self->endpoint);
    zown_array_t *array = zown_array_new (client, "hist");
    for (int round = 0; round < 1000; round++)
        for (size_t index = 0; index < 8; index++)
            self->failures += zown_array_add (array, index, zown_datum_int (1), NULL) != 0;
    zown_array_destroy (&array);
    zown_client_destroy (&client);
    return NULL;
}

static void
test_concurrent_adds_are_exact (void **state)
{
    testutil_fixture_t *self = (testutil_fixture_t *) *state;
    zown_array_t *hist = zown_array_new (self->client, "hist");
    assert_int_equal (zown_array_create (hist, 8, zown_datum_int (0)), 1);
    pthread_t threads [4];
    adder_t adders [4];
    for (int index = 0; index < 4; index++) {
        adders [index] = (adder_t){ zown_owner_inproc (self->owner), 0 };
        pthread_create (&threads [index], NULL, s_adder, &adders [index]);
    }
    for (int index = 0; index < 4; index++) {
        pthread_join (threads [index], NULL);
        assert_int_equal (adders [index].failures, 0);
    }
    zown_reply_t *reply;
    assert_int_equal (zown_array_snapshot (hist, &reply), 0);
    for (size_t index = 0; index < 8; index++)
        assert_int_equal (zown_reply_value (reply, 0, index).u.i, 4000);
    zown_array_destroy (&hist);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        testutil_fixture_test (test_create),
        testutil_fixture_test (test_elements),
        testutil_fixture_test (test_ranges),
        testutil_fixture_test (test_batch_rolls_back),
        testutil_fixture_test (test_wrong_object_type),
        testutil_fixture_test (test_concurrent_adds_are_exact),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
