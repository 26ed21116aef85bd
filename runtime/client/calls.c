/*  =========================================================================
    calls - one-off calls by object name on a client (include/zown_calls.h),
    and the typed getters of the dict and queue handles, which are the same
    calls on a handle's client and name. Results are copied out of the
    client's reply, never borrowed.
    =========================================================================
*/
#include "zown_internal.h"

int
zown_incr (zown_client_t *client, const char *value, int64_t delta, int64_t *now_p)
{
    zown_datum_t argv [1] = { zown_datum_int (delta) };
    zown_reply_t *reply;
    if (zown_handle_call_named (client, value, ZOWN_OP_VALUE_ADD, 1, argv, 1, 0, &reply))
        return -1;
    return zown_datum_to_int (zown_reply_value (reply, 0, 0), now_p);
}

int
zown_get (zown_client_t *client, const char *value, int64_t *value_p)
{
    zown_reply_t *reply;
    if (zown_handle_call_named (client, value, ZOWN_OP_VALUE_GET, 0, NULL, 1, 0, &reply))
        return -1;
    return zown_datum_to_int (zown_reply_value (reply, 0, 0), value_p);
}

int
zown_hset (zown_client_t *client, const char *dict, const char *key, zown_datum_t datum)
{
    zown_datum_t argv [2] = { ZOWN_NIL_DATUM, datum };
    if (zown_handle_key (key, &argv [0]))
        return -1;
    return zown_handle_call_named (client, dict, ZOWN_OP_DICT_SET, 2, argv, 1, 0, NULL);
}

int
zown_hset_int (zown_client_t *client, const char *dict, const char *key, int64_t value)
{
    return zown_hset (client, dict, key, zown_datum_int (value));
}

int
zown_hset_str (zown_client_t *client, const char *dict, const char *key, const char *string)
{
    if (!string)
        return zown_fail (ZOWN_INVALID);
    return zown_hset (client, dict, key, zown_datum_str (string));
}

//  dict[key], borrowed from the client's reply.
static int
s_get (zown_client_t *client, const char *dict, const char *key, zown_datum_t *value_p)
{
    zown_datum_t argv [1];
    zown_reply_t *reply;
    if (zown_handle_key (key, &argv [0])
        || zown_handle_call_named (client, dict, ZOWN_OP_DICT_GET, 1, argv, 1, 0, &reply))
        return -1;
    *value_p = zown_reply_value (reply, 0, 0);
    return 0;
}

int
zown_hget_int (zown_client_t *client, const char *dict, const char *key, int64_t *value_p)
{
    zown_datum_t value;
    return s_get (client, dict, key, &value) ? -1 : zown_datum_to_int (value, value_p);
}

char *
zown_hget_str (zown_client_t *client, const char *dict, const char *key)
{
    zown_datum_t value;
    return s_get (client, dict, key, &value) ? NULL : zown_datum_to_str (value);
}

int
zown_hincr (zown_client_t *client, const char *dict, const char *key, int64_t delta, int64_t *now_p)
{
    zown_datum_t argv [2] = { ZOWN_NIL_DATUM, zown_datum_int (delta) };
    zown_reply_t *reply;
    if (zown_handle_key (key, &argv [0])
        || zown_handle_call_named (client, dict, ZOWN_OP_DICT_ADD, 2, argv, 1, 0, &reply))
        return -1;
    return zown_datum_to_int (zown_reply_value (reply, 0, 0), now_p);
}

typedef struct {
    const char *const *keys;
    const int64_t *deltas;
} s_incr_many_t;

//  Item `index` of an zown_hincr_many: its key and delta.
static int
s_incr_item (const void *context, size_t index, zown_datum_t *argv)
{
    const s_incr_many_t *many = (const s_incr_many_t *) context;
    argv [1] = zown_datum_int (many->deltas ? many->deltas [index] : 1);
    return zown_handle_key (many->keys [index], &argv [0]);
}

int
zown_hincr_many (zown_client_t *client, const char *dict, size_t n, const char *const *keys,
                 const int64_t *deltas)
{
    if (n && !keys)
        return zown_fail (ZOWN_INVALID);
    if (n == 0)
        return client && dict ? zown_ok () : zown_fail (ZOWN_INVALID);
    s_incr_many_t many = { keys, deltas };
    return zown_handle_call_each (client, dict, ZOWN_OP_DICT_ADD, n, 2, s_incr_item, &many);
}

int
zown_put_int (zown_client_t *client, const char *queue, int64_t value)
{
    int timeout = client ? zown_client_timeout (client) : 0;
    zown_datum_t argv [2] = { zown_datum_int (value), zown_datum_int (timeout) };
    return zown_handle_call_named (client, queue, ZOWN_OP_QUEUE_PUT, 2, argv, 0, timeout, NULL);
}

int
zown_take_int (zown_client_t *client, const char *queue, int timeout_ms, int64_t *value_p)
{
    if (timeout_ms < ZOWN_FOREVER)
        return zown_fail (ZOWN_INVALID);
    zown_datum_t argv [1] = { zown_datum_int (timeout_ms) };
    zown_reply_t *reply;
    if (zown_handle_call_named (client, queue, ZOWN_OP_QUEUE_GET, 1, argv, 1, timeout_ms, &reply))
        return -1;
    return zown_datum_to_int (zown_reply_value (reply, 0, 0), value_p);
}

//  The typed getters of the handles: a handle starts with its client and
//  name (runtime/client/handle.h).

int
zown_dict_get_int (zown_dict_t *self, const char *key, int64_t *value_p)
{
    zown_handle_t *handle = (zown_handle_t *) self;
    return handle ? zown_hget_int (handle->client, handle->name, key, value_p)
                  : zown_fail (ZOWN_INVALID);
}

int
zown_dict_get_double (zown_dict_t *self, const char *key, double *value_p)
{
    zown_handle_t *handle = (zown_handle_t *) self;
    zown_datum_t value;
    if (!handle)
        return zown_fail (ZOWN_INVALID);
    return s_get (handle->client, handle->name, key, &value)
        ? -1
        : zown_datum_to_double (value, value_p);
}

char *
zown_dict_get_str (zown_dict_t *self, const char *key)
{
    zown_handle_t *handle = (zown_handle_t *) self;
    return handle ? zown_hget_str (handle->client, handle->name, key)
                  : (char *) zown_fail_null (ZOWN_INVALID);
}

int
zown_queue_get_int (zown_queue_t *self, int timeout_ms, int64_t *value_p)
{
    zown_handle_t *handle = (zown_handle_t *) self;
    return handle ? zown_take_int (handle->client, handle->name, timeout_ms, value_p)
                  : zown_fail (ZOWN_INVALID);
}
