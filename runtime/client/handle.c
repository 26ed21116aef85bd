/*  =========================================================================
    handle - what the typed handles (dict, value, ...) share: a client, an
    object name, and one call with its reply checked
    =========================================================================
*/
#include "zown_internal.h"

void *
zown_handle_new (size_t size, zown_client_t *client, const char *name)
{
    if (!client || !name || !*name || strlen (name) > ZOWN_OBJECT_NAME_MAX)
        return zown_fail_null (ZOWN_INVALID);
    zown_handle_t *self = (zown_handle_t *) calloc (1, size);
    if (!self)
        return zown_fail_null (ZOWN_NO_MEMORY);
    self->client = client;
    strcpy (self->name, name);
    zown_ok ();
    return self;
}

void
zown_handle_destroy (void **self_p)
{
    if (self_p && *self_p) {
        free (*self_p);
        *self_p = NULL;
    }
}

int
zown_handle_call (zown_handle_t *self, zown_op_t op, size_t argc, const zown_datum_t *argv,
                  size_t values, zown_reply_t **reply_p)
{
    return zown_handle_call_wait (self, op, argc, argv, values, 0, reply_p);
}

int
zown_handle_call_wait (zown_handle_t *self, zown_op_t op, size_t argc, const zown_datum_t *argv,
                       size_t values, int64_t wait_ms, zown_reply_t **reply_p)
{
    if (!self)
        return zown_fail (ZOWN_INVALID);
    return zown_handle_call_named (self->client, self->name, op, argc, argv, values, wait_ms,
                                   reply_p);
}

int
zown_handle_call_named (zown_client_t *client, const char *name, zown_op_t op, size_t argc,
                        const zown_datum_t *argv, size_t values, int64_t wait_ms,
                        zown_reply_t **reply_p)
{
    zown_reply_t *reply = NULL;
    if (!client || !name || !*name)
        return zown_fail (ZOWN_INVALID);
    if (!reply_p && values == 0) {
        //  Nothing is read from the reply: a buffered client may queue it.
        int queued = zown_client_buffer_op (client, op, name, argc, argv);
        if (queued)
            return queued < 0 ? -1 : 0;
    }
    int rc = zown_client_call_op_wait (client, op, name, argc, argv, wait_ms, &reply);
    if (reply_p)
        *reply_p = reply;
    if (rc == 0 && (zown_reply_results (reply) != 1 || zown_reply_count (reply, 0) < values))
        return zown_fail (ZOWN_PROTOCOL);
    return rc;
}

int
zown_handle_call_each (zown_client_t *client, const char *name, zown_op_t op, size_t n, size_t argc,
                       zown_handle_item_fn *item, const void *context)
{
    zown_datum_t argv [2];
    if (!client || !name || n == 0 || argc > 2)
        return zown_fail (ZOWN_INVALID);
    zown_request_t *request = zown_request_new ();
    if (!request)
        return zown_fail (ZOWN_NO_MEMORY);
    int rc = 0;
    for (size_t index = 0; index < n && rc == 0; index++) {
        rc = item (context, index, argv) || zown_request_add (request, op, name, argc, argv);
        if (rc == 0 && (zown_request_ops (request) == ZOWN_REQUEST_OPS_MAX || index + 1 == n)) {
            rc = zown_client_call (client, request, NULL);
            zown_request_reset (request);
        }
    }
    zown_request_destroy (&request);
    return rc ? -1 : 0;
}

int
zown_handle_int (zown_reply_t *reply, size_t index, int64_t *value_p)
{
    zown_datum_t datum = zown_reply_value (reply, 0, index);
    if (datum.tag != ZOWN_INT)
        return zown_fail (ZOWN_PROTOCOL);
    if (value_p)
        *value_p = datum.u.i;
    return 0;
}

int
zown_handle_key (const char *key, zown_datum_t *datum)
{
    if (!key)
        return zown_fail (ZOWN_INVALID);
    *datum = zown_datum_str (key);
    return 0;
}
