/*  =========================================================================
    dict handle - the client side of a shared dict (include/zown_dict.h):
    it builds the ops and reads their replies. The owner side is actors/dict.c.
    =========================================================================
*/
#include "zown_internal.h"

struct _zown_dict_t {
    zown_handle_t handle;
};

zown_dict_t *
zown_dict_new (zown_client_t *client, const char *name)
{
    return (zown_dict_t *) zown_handle_new (sizeof (zown_dict_t), client, name);
}

void
zown_dict_destroy (zown_dict_t **self_p)
{
    zown_handle_destroy ((void **) self_p);
}

//  Calls op with key first and `extra` further arguments.
static int
s_call_key (zown_dict_t *self, zown_op_t op, const char *key, size_t extra,
            const zown_datum_t *more, size_t values, zown_reply_t **reply_p)
{
    zown_datum_t argv [3];
    if (!self || zown_handle_key (key, &argv [0]))
        return zown_fail (ZOWN_INVALID);
    for (size_t index = 0; index < extra; index++)
        argv [index + 1] = more [index];
    return zown_handle_call (&self->handle, op, extra + 1, argv, values, reply_p);
}

static int
s_version_out (zown_reply_t *reply, size_t index, uint64_t *version_p)
{
    int64_t version;
    if (zown_handle_int (reply, index, &version))
        return -1;
    if (version_p)
        *version_p = (uint64_t) version;
    return 0;
}

int
zown_dict_set (zown_dict_t *self, const char *key, zown_datum_t value, uint64_t *version_p)
{
    zown_reply_t *reply;
    if (!version_p)
        //  No version asked for: a buffered client may queue it.
        return s_call_key (self, ZOWN_OP_DICT_SET, key, 1, &value, 0, NULL);
    if (s_call_key (self, ZOWN_OP_DICT_SET, key, 1, &value, 1, &reply))
        return -1;
    return s_version_out (reply, 0, version_p);
}

int
zown_dict_get (zown_dict_t *self, const char *key, zown_datum_t *value_p, uint64_t *version_p)
{
    zown_reply_t *reply;
    if (s_call_key (self, ZOWN_OP_DICT_GET, key, 0, NULL, 2, &reply))
        return -1;
    if (value_p)
        *value_p = zown_reply_value (reply, 0, 0);
    return s_version_out (reply, 1, version_p);
}

int
zown_dict_get_or (zown_dict_t *self, const char *key, zown_datum_t fallback, zown_datum_t *value_p)
{
    zown_reply_t *reply;
    if (s_call_key (self, ZOWN_OP_DICT_GET_OR, key, 1, &fallback, 1, &reply))
        return -1;
    if (value_p)
        *value_p = zown_reply_value (reply, 0, 0);
    return 0;
}

int
zown_dict_delete (zown_dict_t *self, const char *key)
{
    return s_call_key (self, ZOWN_OP_DICT_DEL, key, 0, NULL, 0, NULL);
}

int
zown_dict_contains (zown_dict_t *self, const char *key)
{
    zown_reply_t *reply;
    int64_t present;
    if (s_call_key (self, ZOWN_OP_DICT_CONTAINS, key, 0, NULL, 1, &reply)
        || zown_handle_int (reply, 0, &present))
        return -1;
    return present != 0;
}

int
zown_dict_len (zown_dict_t *self, size_t *len_p)
{
    zown_reply_t *reply;
    int64_t len;
    if (!self || zown_handle_call (&self->handle, ZOWN_OP_DICT_LEN, 0, NULL, 1, &reply)
        || zown_handle_int (reply, 0, &len))
        return self ? -1 : zown_fail (ZOWN_INVALID);
    if (len_p)
        *len_p = (size_t) len;
    return 0;
}

int
zown_dict_keys (zown_dict_t *self, zown_reply_t **keys_p)
{
    if (!self)
        return zown_fail (ZOWN_INVALID);
    return zown_handle_call (&self->handle, ZOWN_OP_DICT_KEYS, 0, NULL, 0, keys_p);
}

int
zown_dict_items (zown_dict_t *self, zown_reply_t **items_p)
{
    if (!self)
        return zown_fail (ZOWN_INVALID);
    return zown_handle_call (&self->handle, ZOWN_OP_DICT_ITEMS, 0, NULL, 0, items_p);
}

int
zown_dict_clear (zown_dict_t *self, size_t *removed_p)
{
    zown_reply_t *reply;
    int64_t removed;
    if (!self)
        return zown_fail (ZOWN_INVALID);
    if (zown_handle_call (&self->handle, ZOWN_OP_DICT_CLEAR, 0, NULL, 1, &reply)
        || zown_handle_int (reply, 0, &removed))
        return -1;
    if (removed_p)
        *removed_p = (size_t) removed;
    return 0;
}

int
zown_dict_set_if_absent (zown_dict_t *self, const char *key, zown_datum_t value)
{
    zown_reply_t *reply;
    int64_t inserted;
    if (s_call_key (self, ZOWN_OP_DICT_SET_IF_ABSENT, key, 1, &value, 2, &reply)
        || zown_handle_int (reply, 0, &inserted))
        return -1;
    return inserted != 0;
}

int
zown_dict_update (zown_dict_t *self, size_t n, const char *const *keys, const zown_datum_t *values)
{
    if (!self || n == 0 || !keys || !values)
        return zown_fail (ZOWN_INVALID);
    size_t part = n < ZOWN_DICT_UPDATE_MAX ? n : ZOWN_DICT_UPDATE_MAX;
    zown_datum_t *argv = (zown_datum_t *) malloc (2 * part * sizeof (zown_datum_t));
    if (!argv)
        return zown_fail (ZOWN_NO_MEMORY);
    int rc = 0;
    for (size_t done = 0; done < n && rc == 0; done += part) {
        size_t count = n - done < part ? n - done : part;
        for (size_t index = 0; index < count && rc == 0; index++) {
            rc = zown_handle_key (keys [done + index], &argv [2 * index]);
            argv [2 * index + 1] = values [done + index];
        }
        if (rc == 0)
            rc = zown_handle_call (&self->handle, ZOWN_OP_DICT_UPDATE, 2 * count, argv, 1, NULL);
    }
    free (argv);
    return rc;
}

int
zown_dict_add_many (zown_dict_t *self, size_t n, const char *const *keys, const int64_t *deltas)
{
    if (!self)
        return zown_fail (ZOWN_INVALID);
    return zown_hincr_many (self->handle.client, self->handle.name, n, keys, deltas);
}

int
zown_dict_add (zown_dict_t *self, const char *key, zown_datum_t delta, zown_datum_t *result_p)
{
    zown_reply_t *reply;
    if (!result_p)
        return s_call_key (self, ZOWN_OP_DICT_ADD, key, 1, &delta, 0, NULL);
    if (s_call_key (self, ZOWN_OP_DICT_ADD, key, 1, &delta, 1, &reply))
        return -1;
    if (result_p)
        *result_p = zown_reply_value (reply, 0, 0);
    return 0;
}

int
zown_dict_cas (zown_dict_t *self, const char *key, uint64_t expected, zown_datum_t value,
               uint64_t *version_p)
{
    if (expected > INT64_MAX)
        return zown_fail (ZOWN_INVALID);
    zown_datum_t more [2] = { zown_datum_int ((int64_t) expected), value };
    zown_reply_t *reply;
    int rc = s_call_key (self, ZOWN_OP_DICT_CAS, key, 2, more, 1, &reply);
    if (rc && zown_errno () != ZOWN_CONFLICT)
        return -1;
    //  On CONFLICT the reply carries the current version.
    if (s_version_out (reply, 0, version_p))
        return -1;
    return rc ? zown_fail (ZOWN_CONFLICT) : 0;
}
