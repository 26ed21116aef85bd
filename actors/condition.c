/*  =========================================================================
    condition - a condition variable bound to a zown lock or rlock, the
    counterpart of Python's multiprocessing Condition (whose lock is an
    RLock by default)

    CONDITION_WAIT, from the lock's holder, gives the lock up (an rlock
    whatever its depth) and parks on the condition, remembering the depth.
    CONDITION_NOTIFY lets the oldest waiters go on: each then takes the lock
    back at its depth before it is answered, queueing at the end of the
    lock's line when the lock is busy (its request moves there). So a waiter
    always returns holding the lock, as in Python. Over a lock, a wait whose
    timeout passes first is answered TIMEOUT without the lock, as protocol
    version 1 has it (the client takes the lock back itself); over an rlock,
    whose depth only the owner knows, it takes the rlock back like a
    notified waiter and says that it timed out.
    =========================================================================
*/
#include "zown_internal.h"
#include "actors/lock.h"

typedef struct {
    int64_t notified;  //  Oldest waiters allowed to go on
} s_condition_t;

//  A waiter's tag: the depth it held the lock at (its bits from the
//  third up), whether that is an rlock, and whether its timeout passed.
#define S_TAG_RLOCK      2
#define S_TAG_TIMED_OUT  1
#define S_TAG_DEPTH(tag) ((tag) >> 2)

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

//  The lock or rlock named by the request's first argument; NULL if the
//  name is not a valid object name or names no lock.
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
    zown_object_t *lock = zown_registry_lookup (call->registry, name);
    return lock && zown_lock_is (lock) ? lock : NULL;
}

//  The lock named in the request, which the caller must hold; a status.
static int
s_held_lock (zown_call_t *call, zown_object_t **lock_p)
{
    zown_object_t *lock = s_lock_named (call);
    if (!lock)
        return zown_call_error (call, ZOWN_NOT_HELD, "no lock or rlock of that name");
    zown_session_t *session = call->peer
        ? zown_session_find (call->registry, call->peer->identity, call->peer->identity_size)
        : NULL;
    if (!zown_lock_held_by (lock, session))
        return zown_call_error (call, ZOWN_NOT_HELD, "the caller does not hold the lock");
    *lock_p = lock;
    return ZOWN_OK;
}

//  Take the lock back at the waiter's depth and answer, or wait at the end
//  of the lock's line.
static int
s_take_back (zown_call_t *call, zown_object_t *lock)
{
    zown_session_t *session;
    int status = zown_call_session (call, &session);
    if (status != ZOWN_OK)
        return status;
    int64_t tag = *zown_call_tag (call);
    int died = zown_lock_take (lock, session, S_TAG_DEPTH (tag));
    if (died < 0)
        return zown_call_parked_on (call) == lock ? zown_call_park (call, 0)
                                                  : zown_call_repark (call, lock);
    zown_call_reply_int (call, died);
    zown_call_reply_int (call, (tag & S_TAG_TIMED_OUT) != 0);
    return ZOWN_OK;
}

//  A waiter run again: notified, its timeout passed, or its lock was freed.
static int
s_retried (zown_call_t *call, zown_object_t *parked_on)
{
    int64_t *tag = zown_call_tag (call);
    if (call->expired) {
        if (!(*tag & S_TAG_RLOCK))
            return zown_call_error (call, ZOWN_TIMEOUT, "timed out waiting");
        *tag |= S_TAG_TIMED_OUT;
    }
    if (parked_on != call->object)
        return s_take_back (call, parked_on);  //  Waiting for the lock.
    if (!(*tag & S_TAG_TIMED_OUT)) {
        //  Waiting on the condition: go on only when notified.
        s_condition_t *condition = s_condition (call);
        if (condition->notified == 0)
            return zown_call_park (call, 0);
        condition->notified--;
    }
    zown_object_t *lock = s_lock_named (call);
    if (!lock)
        return zown_call_error (call, ZOWN_NOT_FOUND, "the lock was dropped");
    return s_take_back (call, lock);
}

int
zown_cmd_condition_wait (zown_call_t *call)
{
    zown_object_t *parked_on = zown_call_parked_on (call);
    if (parked_on)
        return s_retried (call, parked_on);
    zown_object_t *lock = NULL;
    int status = s_held_lock (call, &lock);
    if (status != ZOWN_OK)
        return status;
    //  Notifications are for those waiting when they are sent.
    s_condition_t *condition = s_condition (call);
    if (condition->notified > (int64_t) s_waiting (call))
        condition->notified = (int64_t) s_waiting (call);
    int64_t tag = zown_lock_depth (lock) << 2 | (zown_lock_reentrant (lock) ? S_TAG_RLOCK : 0);
    status = zown_call_park_tagged (call, call->argv [1].u.i, tag);
    if (status == ZOWN_PARK)
        zown_lock_give_up (lock);
    return status;
}

int
zown_cmd_condition_notify (zown_call_t *call)
{
    zown_object_t *lock = NULL;
    int status = s_held_lock (call, &lock);
    if (status != ZOWN_OK)
        return status;
    int64_t more = call->argv [1].u.i;
    if (more < -1)
        return zown_call_error (call, ZOWN_BAD_ARGS, "notify n >= 0 waiters, or -1 for all");
    s_condition_t *condition = s_condition (call);
    int64_t waiting = (int64_t) s_waiting (call);
    condition->notified =
        more == -1 || more > waiting - condition->notified ? waiting : condition->notified + more;
    zown_call_bump (call);
    zown_call_wake (call);
    return ZOWN_OK;
}

const zown_type_def_t zown_condition_type = {
    .name = "condition",
    .ephemeral = true,
    .create = s_create,
    .destroy = s_destroy,
    .retry_expired = true,
};
