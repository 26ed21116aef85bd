/*  =========================================================================
    condition handle - the client side of a shared condition (include/zown_condition.h):
    it builds the ops and reads their replies. The owner side is actors/condition.c.
    =========================================================================
*/
#include "zown_internal.h"

struct _zown_condition_t {
    zown_handle_t handle;
    char lock [ZOWN_OBJECT_NAME_MAX + 1];  //  Name of the lock it is bound to
};

zown_condition_t *
zown_condition_new (zown_client_t *client, const char *name, const char *lock)
{
    if (!lock || !*lock || strlen (lock) > ZOWN_OBJECT_NAME_MAX)
        return (zown_condition_t *) zown_fail_null (ZOWN_INVALID);
    zown_condition_t *self =
        (zown_condition_t *) zown_handle_new (sizeof (zown_condition_t), client, name);
    if (self)
        strcpy (self->lock, lock);
    return self;
}

void
zown_condition_destroy (zown_condition_t **self_p)
{
    zown_handle_destroy ((void **) self_p);
}

int
zown_condition_wait (zown_condition_t *self, int timeout_ms, bool *holder_died_p)
{
    if (!self || timeout_ms < ZOWN_FOREVER)
        return zown_fail (ZOWN_INVALID);
    zown_datum_t argv [2] = { zown_datum_str (self->lock), zown_datum_int (timeout_ms) };
    zown_reply_t *reply;
    int64_t died = 0, timed_out = 0;
    //  The owner answers by the wait's deadline (over a lock) or once the
    //  wait holds the lock again (notified, or over an rlock): like Python,
    //  the call waits for the lock as long as that takes.
    int rc = zown_handle_call_wait (&self->handle, ZOWN_OP_CONDITION_WAIT, 2, argv, 1, ZOWN_FOREVER,
                                    &reply);
    if (rc == 0
        && (zown_handle_int (reply, 0, &died)
            || (zown_reply_count (reply, 0) > 1 && zown_handle_int (reply, 1, &timed_out))))
        return -1;
    if (rc && zown_errno () == ZOWN_TIMEOUT && reply) {
        //  Over a lock, the owner answers a timeout without the lock. As in
        //  Python, a wait returns holding it, timed out or not.
        zown_datum_t forever = zown_datum_int (ZOWN_FOREVER);
        if (zown_client_call_op_wait (self->handle.client, ZOWN_OP_LOCK_ACQUIRE, self->lock, 1,
                                      &forever, ZOWN_FOREVER, &reply)
            || zown_handle_int (reply, 0, &died))
            return -1;
        timed_out = 1;
    } else if (rc)
        return -1;
    if (holder_died_p)
        *holder_died_p = died != 0;
    return timed_out ? zown_fail (ZOWN_TIMEOUT) : 0;
}

//  Notify n waiters, -1 for all.
static int
s_notify_call (zown_condition_t *self, int64_t n)
{
    if (!self)
        return zown_fail (ZOWN_INVALID);
    zown_datum_t argv [2] = { zown_datum_str (self->lock), zown_datum_int (n) };
    return zown_handle_call (&self->handle, ZOWN_OP_CONDITION_NOTIFY, 2, argv, 0, NULL);
}

int
zown_condition_notify (zown_condition_t *self, size_t n)
{
    if (n > INT64_MAX)
        return zown_fail (ZOWN_INVALID);
    return s_notify_call (self, (int64_t) n);
}

int
zown_condition_notify_all (zown_condition_t *self)
{
    return s_notify_call (self, -1);
}
