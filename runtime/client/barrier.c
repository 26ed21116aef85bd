/*  =========================================================================
    barrier handle - the client side of a shared barrier (include/zown_barrier.h):
    it builds the ops and reads their replies. The owner side is actors/barrier.c.
    =========================================================================
*/
#include "zown_internal.h"

struct _zown_barrier_t {
    zown_handle_t handle;
};

zown_barrier_t *
zown_barrier_new (zown_client_t *client, const char *name)
{
    return (zown_barrier_t *) zown_handle_new (sizeof (zown_barrier_t), client, name);
}

void
zown_barrier_destroy (zown_barrier_t **self_p)
{
    zown_handle_destroy ((void **) self_p);
}

int
zown_barrier_init (zown_barrier_t *self, size_t parties)
{
    if (!self || parties > INT32_MAX)
        return zown_fail (ZOWN_INVALID);
    zown_datum_t argv [1] = { zown_datum_int ((int64_t) parties) };
    zown_reply_t *reply;
    int64_t created;
    if (zown_handle_call (&self->handle, ZOWN_OP_BARRIER_INIT, 1, argv, 1, &reply)
        || zown_handle_int (reply, 0, &created))
        return -1;
    return created != 0;
}

int
zown_barrier_wait (zown_barrier_t *self, int timeout_ms, size_t *index_p)
{
    if (!self || timeout_ms < ZOWN_FOREVER)
        return zown_fail (ZOWN_INVALID);
    zown_datum_t argv [1] = { zown_datum_int (timeout_ms) };
    zown_reply_t *reply;
    int64_t index;
    if (zown_handle_call_wait (&self->handle, ZOWN_OP_BARRIER_WAIT, 1, argv, 1, timeout_ms, &reply)
        || zown_handle_int (reply, 0, &index))
        return -1;
    if (index_p)
        *index_p = (size_t) index;
    return 0;
}

int
zown_barrier_abort (zown_barrier_t *self)
{
    if (!self)
        return zown_fail (ZOWN_INVALID);
    return zown_handle_call (&self->handle, ZOWN_OP_BARRIER_ABORT, 0, NULL, 0, NULL);
}

int
zown_barrier_reset (zown_barrier_t *self)
{
    if (!self)
        return zown_fail (ZOWN_INVALID);
    return zown_handle_call (&self->handle, ZOWN_OP_BARRIER_RESET, 0, NULL, 0, NULL);
}

int
zown_barrier_state (zown_barrier_t *self, size_t *parties_p, size_t *waiting_p, bool *broken_p)
{
    zown_reply_t *reply;
    int64_t parties, waiting, broken;
    if (!self)
        return zown_fail (ZOWN_INVALID);
    if (zown_handle_call (&self->handle, ZOWN_OP_BARRIER_STATE, 0, NULL, 3, &reply)
        || zown_handle_int (reply, 0, &parties) || zown_handle_int (reply, 1, &waiting)
        || zown_handle_int (reply, 2, &broken))
        return -1;
    if (parties_p)
        *parties_p = (size_t) parties;
    if (waiting_p)
        *waiting_p = (size_t) waiting;
    if (broken_p)
        *broken_p = broken != 0;
    return 0;
}
