/*  =========================================================================
    array handle - the client side of a shared array (include/zown_array.h):
    it builds the ops and reads their replies. The owner side is actors/array.c.
    =========================================================================
*/
#include "zown_internal.h"

struct _zown_array_t {
    zown_handle_t handle;
};

zown_array_t *
zown_array_new (zown_client_t *client, const char *name)
{
    return (zown_array_t *) zown_handle_new (sizeof (zown_array_t), client, name);
}

void
zown_array_destroy (zown_array_t **self_p)
{
    zown_handle_destroy ((void **) self_p);
}

//  Indices travel as int64: refuse those that do not fit before sending.
static int
s_call (zown_array_t *self, zown_op_t op, size_t argc, const zown_datum_t *argv, size_t values,
        zown_reply_t **reply_p)
{
    if (!self)
        return zown_fail (ZOWN_INVALID);
    return zown_handle_call (&self->handle, op, argc, argv, values, reply_p);
}

static int
s_index (size_t index, zown_datum_t *datum)
{
    if (index > INT64_MAX)
        return zown_fail (ZOWN_INVALID);
    *datum = zown_datum_int ((int64_t) index);
    return 0;
}

int
zown_array_create (zown_array_t *self, size_t length, zown_datum_t initial)
{
    zown_datum_t argv [2] = { ZOWN_NIL_DATUM, initial };
    zown_reply_t *reply;
    int64_t created;
    if (s_index (length, &argv [0]) || s_call (self, ZOWN_OP_ARRAY_CREATE, 2, argv, 1, &reply)
        || zown_handle_int (reply, 0, &created))
        return -1;
    return created != 0;
}

int
zown_array_get (zown_array_t *self, size_t index, zown_datum_t *value_p)
{
    zown_datum_t argv [1];
    zown_reply_t *reply;
    if (s_index (index, &argv [0]) || s_call (self, ZOWN_OP_ARRAY_GET, 1, argv, 1, &reply))
        return -1;
    if (value_p)
        *value_p = zown_reply_value (reply, 0, 0);
    return 0;
}

int
zown_array_set (zown_array_t *self, size_t index, zown_datum_t value)
{
    zown_datum_t argv [2] = { ZOWN_NIL_DATUM, value };
    if (s_index (index, &argv [0]))
        return -1;
    return s_call (self, ZOWN_OP_ARRAY_SET, 2, argv, 0, NULL);
}

int
zown_array_add (zown_array_t *self, size_t index, zown_datum_t delta, zown_datum_t *now_p)
{
    zown_datum_t argv [2] = { ZOWN_NIL_DATUM, delta };
    zown_reply_t *reply;
    if (s_index (index, &argv [0]))
        return -1;
    if (!now_p)
        return s_call (self, ZOWN_OP_ARRAY_ADD, 2, argv, 0, NULL);
    if (s_call (self, ZOWN_OP_ARRAY_ADD, 2, argv, 1, &reply))
        return -1;
    if (now_p)
        *now_p = zown_reply_value (reply, 0, 0);
    return 0;
}

int
zown_array_read (zown_array_t *self, size_t start, size_t count, zown_reply_t **values_p)
{
    zown_datum_t argv [2];
    if (s_index (start, &argv [0]) || s_index (count, &argv [1]))
        return -1;
    return s_call (self, ZOWN_OP_ARRAY_READ, 2, argv, count, values_p);
}

int
zown_array_write (zown_array_t *self, size_t start, size_t n, const zown_datum_t *values)
{
    if (!self || n == 0 || n >= ZOWN_ARGS_MAX || !values)
        return zown_fail (ZOWN_INVALID);
    zown_datum_t *argv = (zown_datum_t *) malloc ((n + 1) * sizeof (zown_datum_t));
    if (!argv)
        return zown_fail (ZOWN_NO_MEMORY);
    int rc = s_index (start, &argv [0]);
    if (rc == 0) {
        memcpy (argv + 1, values, n * sizeof (zown_datum_t));
        rc = s_call (self, ZOWN_OP_ARRAY_WRITE, n + 1, argv, 1, NULL);
    }
    free (argv);
    return rc;
}

int
zown_array_snapshot (zown_array_t *self, zown_reply_t **values_p)
{
    return s_call (self, ZOWN_OP_ARRAY_SNAPSHOT, 0, NULL, 0, values_p);
}

int
zown_array_len (zown_array_t *self, size_t *len_p)
{
    zown_reply_t *reply;
    int64_t len;
    if (s_call (self, ZOWN_OP_ARRAY_LEN, 0, NULL, 1, &reply) || zown_handle_int (reply, 0, &len))
        return -1;
    if (len_p)
        *len_p = (size_t) len;
    return 0;
}
