/*  =========================================================================
    condition - a condition variable bound to a zown lock, the counterpart
    of Python's multiprocessing Condition

    CONDITION_WAIT, from the lock's holder, gives the lock up and parks on the
    condition. CONDITION_NOTIFY lets the oldest waiters go on: each then takes
    the lock back before it is answered, queueing at the end of the lock's
    line when the lock is busy (its request moves there). So a waiter always
    returns holding the lock, as in Python.
    =========================================================================
*/
#include "zown_internal.h"
#include "actors/lock.h"

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
    return zown_call_error (call, ZOWN_NOT_HELD, "the caller does not hold the lock");
}

//  Take the lock back and answer, or wait at the end of the lock's line.
static int
s_take_back (zown_call_t *call, zown_object_t *lock)
{
    zown_session_t *session;
    int status = zown_call_session (call, &session);
    if (status != ZOWN_OK)
        return status;
    int died = zown_lock_take (lock, session);
    if (died < 0)
        return zown_call_parked_on (call) == lock ? zown_call_park (call, 0)
                                                  : zown_call_repark (call, lock);
    zown_call_reply_int (call, died);
    return ZOWN_OK;
}

int
zown_cmd_condition_wait (zown_call_t *call)
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
            return zown_call_error (call, ZOWN_NOT_FOUND, "the lock was dropped");
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

int
zown_cmd_condition_notify (zown_call_t *call)
{
    if (!s_held_lock (call))
        return s_not_held (call);
    int64_t more = call->argv [1].u.i;
    if (more < -1)
        return zown_call_error (call, ZOWN_BAD_ARGS, "notify n >= 0 waiters, or -1 for all");
    s_condition_t *condition = s_condition (call);
    int64_t waiting = (int64_t) s_waiting (call);
    condition->notified =
        more == -1 || condition->notified + more > waiting ? waiting : condition->notified + more;
    zown_call_bump (call);
    zown_call_wake (call);
    return ZOWN_OK;
}

const zown_type_def_t zown_condition_type = {
    .name = "condition",
    .ephemeral = true,
    .create = s_create,
    .destroy = s_destroy,
};
