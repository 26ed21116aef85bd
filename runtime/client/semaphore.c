/*  =========================================================================
    semaphore handle - the client side of a shared semaphore (include/zown_semaphore.h):
    it builds the ops and reads their replies. The owner side is actors/semaphore.c.
    =========================================================================
*/
#include "zown_internal.h"

struct _zown_semaphore_t {
    zown_handle_t handle;
};

zown_semaphore_t *
zown_semaphore_new (zown_client_t *client, const char *name)
{
    return (zown_semaphore_t *) zown_handle_new (sizeof (zown_semaphore_t), client, name);
}

void
zown_semaphore_destroy (zown_semaphore_t **self_p)
{
    zown_handle_destroy ((void **) self_p);
}

int
zown_semaphore_init (zown_semaphore_t *self, int64_t value, bool bounded)
{
    if (!self)
        return zown_fail (ZOWN_INVALID);
    zown_datum_t argv [2] = { zown_datum_int (value), zown_datum_int (bounded) };
    zown_reply_t *reply;
    int64_t created;
    if (zown_handle_call (&self->handle, ZOWN_OP_SEMAPHORE_INIT, 2, argv, 1, &reply)
        || zown_handle_int (reply, 0, &created))
        return -1;
    return created != 0;
}

int
zown_semaphore_acquire (zown_semaphore_t *self, int64_t count, int timeout_ms)
{
    if (!self || timeout_ms < ZOWN_FOREVER)
        return zown_fail (ZOWN_INVALID);
    zown_datum_t argv [2] = { zown_datum_int (count), zown_datum_int (timeout_ms) };
    return zown_handle_call_wait (&self->handle, ZOWN_OP_SEMAPHORE_ACQUIRE, 2, argv, 0, timeout_ms,
                                  NULL);
}

int
zown_semaphore_release (zown_semaphore_t *self, int64_t count)
{
    if (!self)
        return zown_fail (ZOWN_INVALID);
    zown_datum_t argv [1] = { zown_datum_int (count) };
    return zown_handle_call (&self->handle, ZOWN_OP_SEMAPHORE_RELEASE, 1, argv, 0, NULL);
}

int
zown_semaphore_value (zown_semaphore_t *self, int64_t *value_p)
{
    zown_reply_t *reply;
    if (!self)
        return zown_fail (ZOWN_INVALID);
    if (zown_handle_call (&self->handle, ZOWN_OP_SEMAPHORE_VALUE, 0, NULL, 1, &reply)
        || zown_handle_int (reply, 0, value_p))
        return -1;
    return 0;
}
