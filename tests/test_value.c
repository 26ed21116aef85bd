/*  =========================================================================
    test_value - every value op through the public handle, against a live
    owner, with each error status it can return
    =========================================================================
*/
#include "testutil.h"

static void
test_missing (void **state)
{
    testutil_fixture_t *self = (testutil_fixture_t *) *state;
    int64_t number;
    assert_int_equal (zown_value_get (self->value, &number), -1);
    assert_int_equal (zown_errno (), ZOWN_NOT_FOUND);
    assert_int_equal (zown_value_cas (self->value, 0, 1, &number), -1);
    assert_int_equal (zown_errno (), ZOWN_NOT_FOUND);
    //  add starts a missing value at 0
    assert_int_equal (zown_value_add (self->value, 3, &number), 0);
    assert_int_equal (number, 3);
}

static void
test_int (void **state)
{
    testutil_fixture_t *self = (testutil_fixture_t *) *state;
    int64_t number;
    assert_int_equal (zown_value_set (self->value, 41), 0);
    assert_int_equal (zown_value_add (self->value, 1, &number), 0);
    assert_int_equal (number, 42);
    assert_int_equal (zown_value_get (self->value, &number), 0);
    assert_int_equal (number, 42);
    assert_int_equal (zown_value_add (self->value, -50, NULL), 0);
    assert_int_equal (zown_value_get (self->value, &number), 0);
    assert_int_equal (number, -8);
    //  Overflow both ways leaves the value unchanged.
    assert_int_equal (zown_value_set (self->value, INT64_MAX), 0);
    assert_int_equal (zown_value_add (self->value, 1, &number), -1);
    assert_int_equal (zown_errno (), ZOWN_OVERFLOW);
    assert_int_equal (zown_value_set (self->value, INT64_MIN), 0);
    assert_int_equal (zown_value_add (self->value, -1, &number), -1);
    assert_int_equal (zown_errno (), ZOWN_OVERFLOW);
    assert_int_equal (zown_value_get (self->value, &number), 0);
    assert_int_equal (number, INT64_MIN);
}

static void
test_double (void **state)
{
    testutil_fixture_t *self = (testutil_fixture_t *) *state;
    double number;
    assert_int_equal (zown_value_add_double (self->value, 0.25, &number), 0);
    assert_true (number == 0.25);
    assert_int_equal (zown_value_set_double (self->value, 2.5), 0);
    assert_int_equal (zown_value_add_double (self->value, 0.5, &number), 0);
    assert_true (number == 3.0);
    assert_int_equal (zown_value_get_double (self->value, &number), 0);
    assert_true (number == 3.0);
    assert_int_equal (zown_value_cas_double (self->value, 3.0, 4.0, &number), 0);
    assert_true (number == 4.0);
    assert_int_equal (zown_value_cas_double (self->value, 3.0, 5.0, &number), -1);
    assert_int_equal (zown_errno (), ZOWN_CONFLICT);
    assert_true (number == 4.0);
}

static void
test_type_is_fixed (void **state)
{
    testutil_fixture_t *self = (testutil_fixture_t *) *state;
    int64_t number;
    double real;
    assert_int_equal (zown_value_set (self->value, 1), 0);
    assert_int_equal (zown_value_set_double (self->value, 1.0), -1);
    assert_int_equal (zown_errno (), ZOWN_WRONG_TYPE);
    assert_int_equal (zown_value_add_double (self->value, 1.0, &real), -1);
    assert_int_equal (zown_errno (), ZOWN_WRONG_TYPE);
    assert_int_equal (zown_value_get_double (self->value, &real), -1);
    assert_int_equal (zown_errno (), ZOWN_WRONG_TYPE);
    assert_int_equal (zown_value_cas_double (self->value, 1.0, 2.0, &real), -1);
    assert_int_equal (zown_errno (), ZOWN_WRONG_TYPE);
    assert_int_equal (zown_value_get (self->value, &number), 0);
    assert_int_equal (number, 1);
    //  A dict's name is not a value.
    zown_dict_t *dict = zown_dict_new (self->client, "d");
    assert_int_equal (zown_dict_set (dict, "k", zown_datum_int (1), NULL), 0);
    zown_value_t *wrong = zown_value_new (self->client, "d");
    assert_int_equal (zown_value_add (wrong, 1, &number), -1);
    assert_int_equal (zown_errno (), ZOWN_WRONG_TYPE);
    assert_int_equal (zown_value_get (wrong, &number), -1);
    assert_int_equal (zown_errno (), ZOWN_WRONG_TYPE);
    zown_value_destroy (&wrong);
    zown_dict_destroy (&dict);
}

static void
test_cas (void **state)
{
    testutil_fixture_t *self = (testutil_fixture_t *) *state;
    int64_t current;
    assert_int_equal (zown_value_set (self->value, 10), 0);
    assert_int_equal (zown_value_cas (self->value, 10, 20, &current), 0);
    assert_int_equal (current, 20);
    assert_int_equal (zown_value_cas (self->value, 10, 30, &current), -1);
    assert_int_equal (zown_errno (), ZOWN_CONFLICT);
    assert_int_equal (current, 20);
    assert_int_equal (zown_value_get (self->value, &current), 0);
    assert_int_equal (current, 20);
}

static void
test_handle_misuse (void **state)
{
    testutil_fixture_t *self = (testutil_fixture_t *) *state;
    assert_null (zown_value_new (self->client, NULL));
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_int_equal (zown_value_add (NULL, 1, NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
}

//  On a buffered client: sets and adds asking for nothing back are queued,
//  a wrong type is reported by the next call, the value read is current.
static void
test_buffered (void **state)
{
    testutil_fixture_t *self = (testutil_fixture_t *) *state;
    assert_int_equal (zown_client_set_buffered (self->client, 64, 60000), 0);
    assert_int_equal (zown_value_set (self->value, 10), 0);
    for (int index = 0; index < 100; index++)
        assert_int_equal (zown_value_add (self->value, 1, NULL), 0);
    assert_int_equal (zown_value_add_double (self->value, 0.5, NULL), 0);
    assert_int_equal (zown_value_add (self->value, -10, NULL), 0);
    int64_t number;
    assert_int_equal (zown_value_get (self->value, &number), 0);
    assert_int_equal (number, 100);
    assert_int_equal (zown_value_get (self->value, &number), -1);
    assert_int_equal (zown_errno (), ZOWN_UPDATES_FAILED);
    int status;
    zown_op_t op;
    assert_int_equal (zown_client_failures (self->client, NULL, &op, &status, NULL), 1);
    assert_int_equal (op, ZOWN_OP_VALUE_ADD);
    assert_int_equal (status, ZOWN_WRONG_TYPE);
    assert_int_equal (zown_value_cas (self->value, 100, 7, &number), 0);
    assert_int_equal (number, 7);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        testutil_fixture_test (test_missing),  testutil_fixture_test (test_int),
        testutil_fixture_test (test_double),   testutil_fixture_test (test_type_is_fixed),
        testutil_fixture_test (test_cas),      testutil_fixture_test (test_handle_misuse),
        testutil_fixture_test (test_buffered),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
