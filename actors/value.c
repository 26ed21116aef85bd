/*  =========================================================================
    value - a shared number (int64 or double), the counterpart of Python's
    multiprocessing.Value without its lock

    The number type is fixed by the write that creates the value; a later op
    with the other type fails with WRONG_TYPE instead of converting.
    =========================================================================
*/
#include "zown_internal.h"

static void *
s_create (void)
{
    zown_datum_t *number = (zown_datum_t *) malloc (sizeof (zown_datum_t));
    if (number)
        *number = ZOWN_NIL_DATUM;
    return number;
}

static void
s_destroy (void *impl)
{
    free (impl);
}

static zown_datum_t *
s_number (zown_call_t *call)
{
    return (zown_datum_t *) call->object->impl;
}

static void
s_restore (zown_object_t *object, void *saved)
{
    *(zown_datum_t *) object->impl = *(const zown_datum_t *) saved;
}

//  Replace the number, undoably; returns a status.
static int
s_store (zown_call_t *call, zown_datum_t number)
{
    zown_datum_t *current = s_number (call);
    if (zown_call_save_copy (call, s_restore, current, sizeof (*current)))
        return zown_call_error (call, ZOWN_NO_MEMORY, "out of memory");
    *current = number;
    zown_call_bump (call);
    zown_datum_t no_key = ZOWN_NIL_DATUM;
    zown_call_changed (call, ZOWN_CHANGE_SET, &no_key, &number);
    return ZOWN_OK;
}

//  A value holds one number type; nil means just created.
static bool
s_same_type (zown_call_t *call, zown_datum_t number)
{
    zown_tag_t tag = s_number (call)->tag;
    return tag == ZOWN_NIL || tag == number.tag;
}

static int
s_wrong_type (zown_call_t *call)
{
    return zown_call_error (call, ZOWN_WRONG_TYPE, "value holds the other number type");
}

int
zown_cmd_value_get (zown_call_t *call)
{
    if (!call->object)
        return zown_call_error (call, ZOWN_NOT_FOUND, "no such value");
    zown_call_reply (call, *s_number (call));
    return ZOWN_OK;
}

int
zown_cmd_value_set (zown_call_t *call)
{
    if (!s_same_type (call, call->argv [0]))
        return s_wrong_type (call);
    return s_store (call, call->argv [0]);
}

int
zown_cmd_value_add (zown_call_t *call)
{
    zown_datum_t *current = s_number (call);
    if (!s_same_type (call, call->argv [0]))
        return s_wrong_type (call);
    zown_datum_t start = current->tag == ZOWN_NIL ? zown_datum_int (0) : *current;
    zown_datum_t sum;
    if (zown_number_add (start, call->argv [0], &sum) == ZOWN_OVERFLOW)
        return zown_call_error (call, ZOWN_OVERFLOW, "int64 overflow");
    int status = s_store (call, sum);
    if (status == ZOWN_OK)
        zown_call_reply (call, sum);
    return status;
}

int
zown_cmd_value_cas (zown_call_t *call)
{
    if (!call->object)
        return zown_call_error (call, ZOWN_NOT_FOUND, "no such value");
    zown_datum_t expected = call->argv [0];
    zown_datum_t desired = call->argv [1];
    if (expected.tag != desired.tag || !s_same_type (call, expected))
        return s_wrong_type (call);
    if (!zown_datum_eq (*s_number (call), expected)) {
        zown_call_reply (call, *s_number (call));
        return ZOWN_CONFLICT;
    }
    int status = s_store (call, desired);
    if (status == ZOWN_OK)
        zown_call_reply (call, desired);
    return status;
}

static int
s_replay (zown_object_t *object, uint8_t kind, const zown_datum_t *key, const zown_datum_t *value,
          uint64_t version)
{
    (void) version;
    if (kind != ZOWN_CHANGE_SET || !key || key->tag != ZOWN_NIL || !value
        || (value->tag != ZOWN_INT && value->tag != ZOWN_DOUBLE))
        return -1;
    *(zown_datum_t *) object->impl = *value;
    return 0;
}

static int
s_dump (zown_object_t *object, zown_dump_t *dump)
{
    zown_datum_t *number = (zown_datum_t *) object->impl;
    if (number->tag == ZOWN_NIL)
        return 0;
    zown_datum_t values [2] = { ZOWN_NIL_DATUM, *number };
    return zown_dump_change (dump, ZOWN_CHANGE_SET, ZOWN_OP_VALUE_SET, 2, values, object->version);
}

const zown_type_def_t zown_value_type = {
    .name = "value",
    .create = s_create,
    .destroy = s_destroy,
    .replay = s_replay,
    .dump = s_dump,
};
