/*  =========================================================================
    lock handle - the client side of a shared lock (include/zown_lock.h):
    it builds the ops and reads their replies. The owner side is actors/lock.c.
    =========================================================================
*/
#include "zown_internal.h"

typedef struct {
    zown_op_t acquire, release, locked;
} s_ops_t;

static const s_ops_t s_lock_ops = { ZOWN_OP_LOCK_ACQUIRE, ZOWN_OP_LOCK_RELEASE,
                                    ZOWN_OP_LOCK_LOCKED };
static const s_ops_t s_rlock_ops = { ZOWN_OP_RLOCK_ACQUIRE, ZOWN_OP_RLOCK_RELEASE,
                                     ZOWN_OP_RLOCK_LOCKED };

static int
s_handle_acquire (zown_handle_t *handle, const s_ops_t *ops, int timeout_ms, bool *holder_died_p)
{
    if (!handle || timeout_ms < ZOWN_FOREVER)
        return zown_fail (ZOWN_INVALID);
    zown_datum_t argv [1] = { zown_datum_int (timeout_ms) };
    zown_reply_t *reply;
    int64_t died;
    if (zown_handle_call_wait (handle, ops->acquire, 1, argv, 1, timeout_ms, &reply)
        || zown_handle_int (reply, 0, &died))
        return -1;
    if (holder_died_p)
        *holder_died_p = died != 0;
    return 0;
}

static int
s_handle_release (zown_handle_t *handle, const s_ops_t *ops)
{
    if (!handle)
        return zown_fail (ZOWN_INVALID);
    return zown_handle_call (handle, ops->release, 0, NULL, 0, NULL);
}

static int
s_handle_locked (zown_handle_t *handle, const s_ops_t *ops)
{
    zown_reply_t *reply;
    int64_t locked;
    if (!handle)
        return zown_fail (ZOWN_INVALID);
    if (zown_handle_call (handle, ops->locked, 0, NULL, 1, &reply)
        || zown_handle_int (reply, 0, &locked))
        return -1;
    return locked != 0;
}

struct _zown_lock_t {
    zown_handle_t handle;
};

zown_lock_t *
zown_lock_new (zown_client_t *client, const char *name)
{
    return (zown_lock_t *) zown_handle_new (sizeof (zown_lock_t), client, name);
}

void
zown_lock_destroy (zown_lock_t **self_p)
{
    zown_handle_destroy ((void **) self_p);
}

int
zown_lock_acquire (zown_lock_t *self, int timeout_ms, bool *holder_died_p)
{
    return s_handle_acquire (self ? &self->handle : NULL, &s_lock_ops, timeout_ms, holder_died_p);
}

int
zown_lock_release (zown_lock_t *self)
{
    return s_handle_release (self ? &self->handle : NULL, &s_lock_ops);
}

int
zown_lock_locked (zown_lock_t *self)
{
    return s_handle_locked (self ? &self->handle : NULL, &s_lock_ops);
}

struct _zown_rlock_t {
    zown_handle_t handle;
};

zown_rlock_t *
zown_rlock_new (zown_client_t *client, const char *name)
{
    return (zown_rlock_t *) zown_handle_new (sizeof (zown_rlock_t), client, name);
}

void
zown_rlock_destroy (zown_rlock_t **self_p)
{
    zown_handle_destroy ((void **) self_p);
}

int
zown_rlock_acquire (zown_rlock_t *self, int timeout_ms, bool *holder_died_p)
{
    return s_handle_acquire (self ? &self->handle : NULL, &s_rlock_ops, timeout_ms, holder_died_p);
}

int
zown_rlock_release (zown_rlock_t *self)
{
    return s_handle_release (self ? &self->handle : NULL, &s_rlock_ops);
}

int
zown_rlock_locked (zown_rlock_t *self)
{
    return s_handle_locked (self ? &self->handle : NULL, &s_rlock_ops);
}
