/*  =========================================================================
    value handle - the client side of a shared value (include/zown_value.h):
    it builds the ops and reads their replies. The owner side is actors/value.c.
    =========================================================================
*/
#include "zown_internal.h"

struct _zown_value_t {
    zown_handle_t handle;
};

zown_value_t *
zown_value_new (zown_client_t *client, const char *name)
{
    return (zown_value_t *) zown_handle_new (sizeof (zown_value_t), client, name);
}

void
zown_value_destroy (zown_value_t **self_p)
{
    zown_handle_destroy ((void **) self_p);
}

//  Calls op and returns the number in the reply, which must have `tag`.
//  On CONFLICT the number is still returned (the value that differed).
static int
s_call (zown_value_t *self, zown_op_t op, size_t argc, const zown_datum_t *argv, zown_tag_t tag,
        zown_datum_t *number_p)
{
    if (!self)
        return zown_fail (ZOWN_INVALID);
    zown_reply_t *reply = NULL;
    int rc = zown_handle_call (&self->handle, op, argc, argv, number_p ? 1 : 0,
                               number_p ? &reply : NULL);
    if (rc && zown_errno () != ZOWN_CONFLICT)
        return -1;
    if (number_p) {
        zown_datum_t number = zown_reply_value (reply, 0, 0);
        if (number.tag != tag)
            return zown_fail (number.tag == ZOWN_INT || number.tag == ZOWN_DOUBLE ? ZOWN_WRONG_TYPE
                                                                                  : ZOWN_PROTOCOL);
        *number_p = number;
    }
    return rc ? zown_fail (ZOWN_CONFLICT) : 0;
}

int
zown_value_get (zown_value_t *self, int64_t *value_p)
{
    zown_datum_t number = ZOWN_NIL_DATUM;
    if (s_call (self, ZOWN_OP_VALUE_GET, 0, NULL, ZOWN_INT, &number))
        return -1;
    if (value_p)
        *value_p = number.u.i;
    return 0;
}

int
zown_value_get_double (zown_value_t *self, double *value_p)
{
    zown_datum_t number = ZOWN_NIL_DATUM;
    if (s_call (self, ZOWN_OP_VALUE_GET, 0, NULL, ZOWN_DOUBLE, &number))
        return -1;
    if (value_p)
        *value_p = number.u.d;
    return 0;
}

int
zown_value_set (zown_value_t *self, int64_t value)
{
    zown_datum_t argv [1] = { zown_datum_int (value) };
    return s_call (self, ZOWN_OP_VALUE_SET, 1, argv, ZOWN_INT, NULL);
}

int
zown_value_set_double (zown_value_t *self, double value)
{
    zown_datum_t argv [1] = { zown_datum_double (value) };
    return s_call (self, ZOWN_OP_VALUE_SET, 1, argv, ZOWN_DOUBLE, NULL);
}

int
zown_value_add (zown_value_t *self, int64_t delta, int64_t *now_p)
{
    zown_datum_t argv [1] = { zown_datum_int (delta) };
    zown_datum_t number = ZOWN_NIL_DATUM;
    if (s_call (self, ZOWN_OP_VALUE_ADD, 1, argv, ZOWN_INT, now_p ? &number : NULL))
        return -1;
    if (now_p)
        *now_p = number.u.i;
    return 0;
}

int
zown_value_add_double (zown_value_t *self, double delta, double *now_p)
{
    zown_datum_t argv [1] = { zown_datum_double (delta) };
    zown_datum_t number = ZOWN_NIL_DATUM;
    if (s_call (self, ZOWN_OP_VALUE_ADD, 1, argv, ZOWN_DOUBLE, now_p ? &number : NULL))
        return -1;
    if (now_p)
        *now_p = number.u.d;
    return 0;
}

int
zown_value_cas (zown_value_t *self, int64_t expected, int64_t desired, int64_t *current_p)
{
    zown_datum_t argv [2] = { zown_datum_int (expected), zown_datum_int (desired) };
    zown_datum_t number = ZOWN_NIL_DATUM;
    int rc = s_call (self, ZOWN_OP_VALUE_CAS, 2, argv, ZOWN_INT, &number);
    if ((rc == 0 || zown_errno () == ZOWN_CONFLICT) && current_p)
        *current_p = number.u.i;
    return rc;
}

int
zown_value_cas_double (zown_value_t *self, double expected, double desired, double *current_p)
{
    zown_datum_t argv [2] = { zown_datum_double (expected), zown_datum_double (desired) };
    zown_datum_t number = ZOWN_NIL_DATUM;
    int rc = s_call (self, ZOWN_OP_VALUE_CAS, 2, argv, ZOWN_DOUBLE, &number);
    if ((rc == 0 || zown_errno () == ZOWN_CONFLICT) && current_p)
        *current_p = number.u.d;
    return rc;
}
