/*  =========================================================================
    event handle - the client side of a shared event (include/zown_event.h):
    it builds the ops and reads their replies. The owner side is actors/event.c.
    =========================================================================
*/
#include "zown_internal.h"

struct _zown_event_t {
    zown_handle_t handle;
};

zown_event_t *
zown_event_new (zown_client_t *client, const char *name)
{
    return (zown_event_t *) zown_handle_new (sizeof (zown_event_t), client, name);
}

void
zown_event_destroy (zown_event_t **self_p)
{
    zown_handle_destroy ((void **) self_p);
}

int
zown_event_set (zown_event_t *self)
{
    if (!self)
        return zown_fail (ZOWN_INVALID);
    return zown_handle_call (&self->handle, ZOWN_OP_EVENT_SET, 0, NULL, 0, NULL);
}

int
zown_event_clear (zown_event_t *self)
{
    if (!self)
        return zown_fail (ZOWN_INVALID);
    return zown_handle_call (&self->handle, ZOWN_OP_EVENT_CLEAR, 0, NULL, 0, NULL);
}

int
zown_event_is_set (zown_event_t *self)
{
    zown_reply_t *reply;
    int64_t set;
    if (!self)
        return zown_fail (ZOWN_INVALID);
    if (zown_handle_call (&self->handle, ZOWN_OP_EVENT_IS_SET, 0, NULL, 1, &reply)
        || zown_handle_int (reply, 0, &set))
        return -1;
    return set != 0;
}

int
zown_event_wait (zown_event_t *self, int timeout_ms)
{
    if (!self || timeout_ms < ZOWN_FOREVER)
        return zown_fail (ZOWN_INVALID);
    zown_datum_t argv [1] = { zown_datum_int (timeout_ms) };
    return zown_handle_call_wait (&self->handle, ZOWN_OP_EVENT_WAIT, 1, argv, 0, timeout_ms, NULL);
}
