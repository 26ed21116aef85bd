/*  =========================================================================
    condition - a condition variable bound to a zown lock, the counterpart
    of Python's multiprocessing Condition

    COND_WAIT, from the lock's holder, gives the lock up and parks on the
    condition. COND_NOTIFY lets the oldest waiters go on: each then takes
    the lock back before it is answered, queueing at the end of the lock's
    line when the lock is busy (its request moves there). So a waiter always
    returns holding the lock, as in Python.
    =========================================================================
*/
#include "zown_internal.h"

typedef struct {
    int64_t notified;  //  Oldest waiters allowed to go on
} s_condition_t;

static void *
s_create (void)
{
    return calloc (1, sizeof (s_condition_t));
}

static void
s_destroy (void *impl)
{
    free (impl);
}

static s_condition_t *
s_condition (zown_call_t *call)
{
    return (s_condition_t *) call->object->impl;
}

static size_t
s_waiting (zown_call_t *call)
{
    return call->object->waiters ? zlistx_size (call->object->waiters) : 0;
}

//  The lock named by the request's first argument; NULL if the name is not
//  a valid object name or there is no such object.
static zown_object_t *
s_lock_named (zown_call_t *call)
{
    char name [ZOWN_OBJECT_NAME_MAX + 1];
    zown_datum_t lock_name = call->argv [0];
    if (lock_name.u.b.len == 0 || lock_name.u.b.len > ZOWN_OBJECT_NAME_MAX
        || memchr (lock_name.u.b.ptr, 0, lock_name.u.b.len))
        return NULL;
    memcpy (name, lock_name.u.b.ptr, lock_name.u.b.len);
    name [lock_name.u.b.len] = 0;
    return zown_registry_lookup (call->registry, name);
}

//  The lock named in the request, if the caller holds it.
static zown_object_t *
s_held_lock (zown_call_t *call)
{
    zown_object_t *lock = s_lock_named (call);
    zown_session_t *session = call->peer
        ? zown_session_find (call->registry, call->peer->identity, call->peer->identity_size)
        : NULL;
    return lock && zown_lock_held_by (lock, session) ? lock : NULL;
}

static int
s_not_held (zown_call_t *call)
{
    return zown_call_fail (call, ZOWN_NOT_HELD, "the caller does not hold the lock");
}

//  Take the lock back and answer, or wait at the end of the lock's line.
static int
s_take_back (zown_call_t *call, zown_object_t *lock)
{
    zown_session_t *session = zown_call_session (call);
    int died = session ? zown_lock_take (lock, session) : -1;
    if (died < 0)
        return zown_call_parked_on (call) == lock ? zown_call_park (call, 0)
                                                  : zown_call_repark (call, lock);
    zown_call_reply_int (call, died);
    return ZOWN_OK;
}

static int
s_wait (zown_call_t *call)
{
    s_condition_t *condition = s_condition (call);
    zown_object_t *parked_on = zown_call_parked_on (call);
    if (parked_on && parked_on != call->object)
        return s_take_back (call, parked_on);  //  Notified; waiting for the lock.
    if (parked_on) {
        //  Waiting on the condition: go on only when notified.
        if (condition->notified == 0)
            return zown_call_park (call, 0);
        condition->notified--;
        zown_object_t *lock = s_lock_named (call);
        if (!lock)
            return zown_call_fail (call, ZOWN_NOT_FOUND, "the lock was dropped");
        return s_take_back (call, lock);
    }
    zown_object_t *lock = s_held_lock (call);
    if (!lock)
        return s_not_held (call);
    //  Notifications are for those waiting when they are sent.
    if (condition->notified > (int64_t) s_waiting (call))
        condition->notified = (int64_t) s_waiting (call);
    int status = zown_call_park (call, call->argv [1].u.i);
    if (status == ZOWN_PARK)
        zown_lock_give_up (lock);
    return status;
}

static int
s_notify (zown_call_t *call)
{
    if (!s_held_lock (call))
        return s_not_held (call);
    int64_t more = call->argv [1].u.i;
    if (more < -1)
        return zown_call_fail (call, ZOWN_BAD_ARGS, "notify n >= 0 waiters, or -1 for all");
    s_condition_t *condition = s_condition (call);
    int64_t waiting = (int64_t) s_waiting (call);
    condition->notified =
        more == -1 || condition->notified + more > waiting ? waiting : condition->notified + more;
    zown_call_bump (call);
    zown_call_wake (call);
    return ZOWN_OK;
}

//  Waits and notifications act on a lock: alone in their request.
static const zown_command_t s_commands [] = {
    { ZOWN_OP_COND_WAIT,
      "COND_WAIT",
      2,
      2,
      ZOWN_CMD_WRITE | ZOWN_CMD_CREATE | ZOWN_CMD_ALONE,
      { ZOWN_ARG_BYTES, ZOWN_ARG_INT },
      s_wait },
    { ZOWN_OP_COND_NOTIFY,
      "COND_NOTIFY",
      2,
      2,
      ZOWN_CMD_WRITE | ZOWN_CMD_CREATE | ZOWN_CMD_ALONE,
      { ZOWN_ARG_BYTES, ZOWN_ARG_INT },
      s_notify },
};

const zown_type_def_t zown_condition_type = {
    .name = "condition",
    .ephemeral = true,
    .create = s_create,
    .destroy = s_destroy,
    .commands = s_commands,
    .command_count = sizeof (s_commands) / sizeof (s_commands [0]),
};

//  --------------------------------------------------------------------------
//  Client handle (include/zown_condition.h)

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
    int64_t died = 0;
    int rc =
        zown_handle_call_wait (&self->handle, ZOWN_OP_COND_WAIT, 2, argv, 1, timeout_ms, &reply);
    if (rc == 0 && zown_handle_int (reply, 0, &died))
        return -1;
    if (rc && zown_errno () == ZOWN_TIMEOUT) {
        //  As in Python, a wait returns holding the lock, timed out or not.
        zown_datum_t forever = zown_datum_int (ZOWN_FOREVER);
        if (zown_client_call_op_wait (self->handle.client, ZOWN_OP_LOCK_ACQUIRE, self->lock, 1,
                                      &forever, ZOWN_FOREVER, &reply)
            || zown_handle_int (reply, 0, &died))
            return -1;
        if (holder_died_p)
            *holder_died_p = died != 0;
        return zown_fail (ZOWN_TIMEOUT);
    }
    if (rc)
        return -1;
    if (holder_died_p)
        *holder_died_p = died != 0;
    return 0;
}

//  Notify n waiters, -1 for all.
static int
s_notify_call (zown_condition_t *self, int64_t n)
{
    if (!self)
        return zown_fail (ZOWN_INVALID);
    zown_datum_t argv [2] = { zown_datum_str (self->lock), zown_datum_int (n) };
    return zown_handle_call (&self->handle, ZOWN_OP_COND_NOTIFY, 2, argv, 0, NULL);
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
