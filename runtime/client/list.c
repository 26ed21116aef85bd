/*  =========================================================================
    list handle - the client side of a shared list (include/zown_list.h):
    it builds the ops and reads their replies. The owner side is actors/list.c.
    =========================================================================
*/
#include "zown_internal.h"

struct _zown_list_t {
    zown_handle_t handle;
};

zown_list_t *
zown_list_new (zown_client_t *client, const char *name)
{
    return (zown_list_t *) zown_handle_new (sizeof (zown_list_t), client, name);
}

void
zown_list_destroy (zown_list_t **self_p)
{
    zown_handle_destroy ((void **) self_p);
}

static int
s_call (zown_list_t *self, zown_op_t op, size_t argc, const zown_datum_t *argv, size_t values,
        zown_reply_t **reply_p)
{
    if (!self)
        return zown_fail (ZOWN_INVALID);
    return zown_handle_call (&self->handle, op, argc, argv, values, reply_p);
}

//  Calls op and returns the int of its reply (a length, count or index) in
//  *size_p, which may be NULL.
static int
s_call_size (zown_list_t *self, zown_op_t op, size_t argc, const zown_datum_t *argv, size_t *size_p)
{
    zown_reply_t *reply;
    int64_t size;
    if (!size_p)
        //  Nothing asked for: a buffered client may queue it.
        return s_call (self, op, argc, argv, 0, NULL);
    if (s_call (self, op, argc, argv, 1, &reply) || zown_handle_int (reply, 0, &size))
        return -1;
    if (size_p)
        *size_p = (size_t) size;
    return 0;
}

//  Calls op and returns the value of its reply in *value_p (may be NULL).
static int
s_call_value (zown_list_t *self, zown_op_t op, size_t argc, const zown_datum_t *argv,
              zown_datum_t *value_p)
{
    zown_reply_t *reply;
    if (s_call (self, op, argc, argv, 1, &reply))
        return -1;
    if (value_p)
        *value_p = zown_reply_value (reply, 0, 0);
    return 0;
}

int
zown_list_append (zown_list_t *self, zown_datum_t value, size_t *len_p)
{
    return s_call_size (self, ZOWN_OP_LIST_APPEND, 1, &value, len_p);
}

int
zown_list_extend (zown_list_t *self, size_t n, const zown_datum_t *values, size_t *len_p)
{
    if (n == 0 || !values)
        return zown_fail (ZOWN_INVALID);
    for (size_t done = 0; done < n; done += ZOWN_ARGS_MAX) {
        size_t count = n - done < ZOWN_ARGS_MAX ? n - done : ZOWN_ARGS_MAX;
        if (s_call_size (self, ZOWN_OP_LIST_EXTEND, count, values + done, len_p))
            return -1;
    }
    return 0;
}

int
zown_list_insert (zown_list_t *self, int64_t index, zown_datum_t value)
{
    zown_datum_t argv [2] = { zown_datum_int (index), value };
    return s_call (self, ZOWN_OP_LIST_INSERT, 2, argv, 0, NULL);
}

int
zown_list_get (zown_list_t *self, int64_t index, zown_datum_t *value_p)
{
    zown_datum_t argv [1] = { zown_datum_int (index) };
    return s_call_value (self, ZOWN_OP_LIST_GET, 1, argv, value_p);
}

int
zown_list_set (zown_list_t *self, int64_t index, zown_datum_t value)
{
    zown_datum_t argv [2] = { zown_datum_int (index), value };
    return s_call (self, ZOWN_OP_LIST_SET, 2, argv, 0, NULL);
}

int
zown_list_pop (zown_list_t *self, int64_t index, zown_datum_t *value_p)
{
    zown_datum_t argv [1] = { zown_datum_int (index) };
    return s_call_value (self, ZOWN_OP_LIST_POP, 1, argv, value_p);
}

int
zown_list_remove (zown_list_t *self, zown_datum_t value)
{
    return s_call (self, ZOWN_OP_LIST_REMOVE, 1, &value, 0, NULL);
}

int
zown_list_index (zown_list_t *self, zown_datum_t value, size_t *index_p)
{
    return s_call_size (self, ZOWN_OP_LIST_INDEX, 1, &value, index_p);
}

int
zown_list_len (zown_list_t *self, size_t *len_p)
{
    return s_call_size (self, ZOWN_OP_LIST_LEN, 0, NULL, len_p);
}

int
zown_list_range (zown_list_t *self, int64_t start, int64_t stop, zown_reply_t **values_p)
{
    zown_datum_t argv [2] = { zown_datum_int (start), zown_datum_int (stop) };
    return s_call (self, ZOWN_OP_LIST_RANGE, 2, argv, 0, values_p);
}

int
zown_list_clear (zown_list_t *self, size_t *removed_p)
{
    return s_call_size (self, ZOWN_OP_LIST_CLEAR, 0, NULL, removed_p);
}
