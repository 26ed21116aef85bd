/*  =========================================================================
    lock - shared mutexes that survive their holder's death, the
    counterparts of Python's Manager().Lock() and RLock() without their
    worst failure. Two types share this file: lock, and rlock, which its
    holder may acquire again (and must then release as many times).

    The holder is a client session. When that session ends because its
    process died (runtime/owner/session.c), the lock goes to the next waiter with
    a flag that says the previous holder died holding it, like a robust
    mutex's EOWNERDEAD, so the new holder can repair what the lock guards.
    A clean end (BYE) releases it without the flag.
    =========================================================================
*/
#include "zown_internal.h"
#include "actors/lock.h"

typedef struct {
    zown_session_t *holder;  //  NULL when free
    void *held;              //  Its entry in holder->held
    int64_t depth;           //  Acquisitions by the holder not yet released (rlock)
    bool holder_died;        //  The last holder died holding it; told to the next
} s_lock_t;

extern const zown_type_def_t zown_rlock_type;

static bool
s_reentrant (zown_object_t *object)
{
    return object->type == &zown_rlock_type;
}

static void *
s_create (void)
{
    return calloc (1, sizeof (s_lock_t));
}

static void
s_destroy (void *impl)
{
    s_lock_t *lock = (s_lock_t *) impl;
    if (lock && lock->holder)
        zown_session_unhold (lock->holder, lock->held);
    free (lock);
}

static s_lock_t *
s_lock (zown_object_t *object)
{
    return (s_lock_t *) object->impl;
}

//  Free the lock and let the oldest waiter have it.
static void
s_free (zown_object_t *object, bool died)
{
    s_lock_t *lock = s_lock (object);
    zown_session_unhold (lock->holder, lock->held);
    lock->holder = NULL;
    lock->held = NULL;
    lock->depth = 0;
    lock->holder_died = died;
    object->version++;
    zown_object_wake (object);
}

bool
zown_lock_is (zown_object_t *object)
{
    return object->type == &zown_lock_type || object->type == &zown_rlock_type;
}

bool
zown_lock_reentrant (zown_object_t *lock)
{
    return s_reentrant (lock);
}

bool
zown_lock_held_by (zown_object_t *lock, zown_session_t *session)
{
    return zown_lock_is (lock) && session && s_lock (lock)->holder == session;
}

int64_t
zown_lock_depth (zown_object_t *lock)
{
    return s_lock (lock)->depth;
}

void
zown_lock_give_up (zown_object_t *lock)
{
    s_free (lock, false);
}

int
zown_lock_take (zown_object_t *lock, zown_session_t *session, int64_t depth)
{
    s_lock_t *impl = s_lock (lock);
    if (impl->holder)
        return -1;
    void *held = zlistx_add_end (session->held, lock);
    if (!held)
        return -1;
    impl->holder = session;
    impl->held = held;
    impl->depth = s_reentrant (lock) && depth > 1 ? depth : 1;
    int died = impl->holder_died;
    impl->holder_died = false;
    lock->version++;
    return died;
}

static void
s_release_hook (zown_object_t *object, zown_session_t *session, bool died)
{
    if (s_lock (object)->holder == session)
        s_free (object, died);
}

int
zown_cmd_lock_acquire (zown_call_t *call)
{
    zown_session_t *session;
    int status = zown_call_session (call, &session);
    if (status != ZOWN_OK)
        return status;
    s_lock_t *lock = s_lock (call->object);
    if (lock->holder == session && !s_reentrant (call->object))
        //  It would wait for itself until its timeout, or for ever.
        return zown_call_error (call, ZOWN_DEADLOCK,
                                "the caller holds this lock already (a lock is not reentrant)");
    if (lock->holder == session) {
        lock->depth++;
        zown_call_reply_int (call, 0);
        zown_call_bump (call);
        return ZOWN_OK;
    }
    if (lock->holder)
        return zown_call_park (call, call->argv [0].u.i);
    int died = zown_lock_take (call->object, session, 1);
    if (died < 0)
        return zown_call_error (call, ZOWN_NO_MEMORY, "out of memory");
    zown_call_reply_int (call, died);
    return ZOWN_OK;
}

int
zown_cmd_lock_release (zown_call_t *call)
{
    zown_session_t *session = call->peer && call->object
        ? zown_session_find (call->registry, call->peer->identity, call->peer->identity_size)
        : NULL;
    s_lock_t *lock = call->object ? s_lock (call->object) : NULL;
    if (!session || lock->holder != session)
        return zown_call_error (call, ZOWN_NOT_HELD, "the caller does not hold this lock");
    if (--lock->depth > 0)
        zown_call_bump (call);
    else
        s_free (call->object, false);
    return ZOWN_OK;
}

int
zown_cmd_lock_locked (zown_call_t *call)
{
    zown_call_reply_int (call, call->object && s_lock (call->object)->holder);
    return ZOWN_OK;
}

//  Acquire and release are alone in their request: a lock is taken or
//  given up for good, never inside a batch that could roll back.

const zown_type_def_t zown_lock_type = {
    .name = "lock",
    .ephemeral = true,
    .create = s_create,
    .destroy = s_destroy,
    .release = s_release_hook,
};

const zown_type_def_t zown_rlock_type = {
    .name = "rlock",
    .ephemeral = true,
    .create = s_create,
    .destroy = s_destroy,
    .release = s_release_hook,
};
