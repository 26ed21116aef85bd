/*  =========================================================================
    semaphore - a shared counting semaphore, the counterpart of Python's
    Manager().Semaphore() and BoundedSemaphore(), whose permits come back
    when their holder's client ends

    SEMAPHORE_INIT fixes the initial value and whether it bounds releases; every
    other op on a semaphore never initialised fails with NOT_FOUND. Waiters
    are served strictly in arrival order: one that needs more permits than
    are free blocks those behind it, so a large request is never starved by
    small ones. Each client session's permits are counted; when the session
    ends (BYE, or its process died) they are given back (runtime/owner/session.c).
    =========================================================================
*/
#include "zown_internal.h"

//  Largest value, initial value, and number of permits in one op.
#define ZOWN_SEMAPHORE_MAX INT32_MAX

//  Permits taken and not yet given back by one session.
typedef struct {
    zown_session_t *session;  //  The taker
    void *held;               //  Its entry in session->held
    int64_t count;            //  Permits it holds, at least 1
} s_holding_t;

typedef struct {
    bool ready;               //  SEMAPHORE_INIT has run
    bool bounded;             //  Releases may not exceed the initial value
    int64_t initial;          //  Value given to SEMAPHORE_INIT
    int64_t value;            //  Permits free now
    s_holding_t *holdings;    //  Sessions that hold permits, in taking order
    size_t holding_count;     //  Entries in holdings
    size_t holding_capacity;  //  Room in holdings
} s_semaphore_t;

static void *
s_create (void)
{
    return calloc (1, sizeof (s_semaphore_t));
}

static void
s_destroy (void *impl)
{
    s_semaphore_t *semaphore = (s_semaphore_t *) impl;
    if (semaphore) {
        for (size_t index = 0; index < semaphore->holding_count; index++)
            zown_session_unhold (semaphore->holdings [index].session,
                                 semaphore->holdings [index].held);
        free (semaphore->holdings);
        free (semaphore);
    }
}

static s_semaphore_t *
s_semaphore (zown_object_t *object)
{
    return (s_semaphore_t *) object->impl;
}

//  The session's entry in holdings, NULL if it holds no permit.
static s_holding_t *
s_holding (s_semaphore_t *semaphore, zown_session_t *session)
{
    for (size_t index = 0; index < semaphore->holding_count; index++)
        if (semaphore->holdings [index].session == session)
            return &semaphore->holdings [index];
    return NULL;
}

//  Forget an entry whose session holds nothing any more.
static void
s_holding_remove (s_semaphore_t *semaphore, s_holding_t *holding)
{
    zown_session_unhold (holding->session, holding->held);
    size_t index = (size_t) (holding - semaphore->holdings);
    memmove (holding, holding + 1, (semaphore->holding_count - index - 1) * sizeof (s_holding_t));
    semaphore->holding_count--;
}

//  Highest value a release may reach.
static int64_t
s_limit (const s_semaphore_t *semaphore)
{
    return semaphore->bounded ? semaphore->initial : ZOWN_SEMAPHORE_MAX;
}

//  A session ended: every permit it holds comes back (never past the
//  limit: somebody else may have released them for it already).
static void
s_release_hook (zown_object_t *object, zown_session_t *session, bool died)
{
    (void) died;
    s_semaphore_t *semaphore = s_semaphore (object);
    s_holding_t *holding = s_holding (semaphore, session);
    if (!holding)
        return;
    int64_t room = s_limit (semaphore) - semaphore->value;
    semaphore->value += holding->count < room ? holding->count : room;
    s_holding_remove (semaphore, holding);
    object->version++;
    zown_object_wake (object);
}

//  Common check: the semaphore exists (SEMAPHORE_INIT has run).
static int
s_need_semaphore (zown_call_t *call)
{
    if (!call->object || !s_semaphore (call->object)->ready)
        return zown_call_error (call, ZOWN_NOT_FOUND, "no such semaphore");
    return ZOWN_OK;
}

//  True if the request may take permits now in arrival order: nobody
//  waits, or it is the retry of the oldest waiter.
static bool
s_first_in_line (zown_call_t *call)
{
    zlistx_t *waiters = call->object->waiters;
    if (!waiters || zlistx_size (waiters) == 0)
        return true;
    return call->parked && zlistx_head (waiters) == call->parked;
}

int
zown_cmd_semaphore_init (zown_call_t *call)
{
    s_semaphore_t *semaphore = s_semaphore (call->object);
    int64_t value = call->argv [0].u.i;
    int64_t bounded = call->argv [1].u.i;
    if (value < 0 || value > ZOWN_SEMAPHORE_MAX || (bounded != 0 && bounded != 1))
        return zown_call_error (call, ZOWN_BAD_ARGS, "value must be 0..2^31-1, bounded 0 or 1");
    if (semaphore->ready) {
        //  Initialising an existing semaphore is harmless when it agrees.
        if (semaphore->initial != value || semaphore->bounded != (bounded == 1))
            return zown_call_error (call, ZOWN_WRONG_TYPE,
                                    "semaphore exists with another value or bound");
        zown_call_reply_int (call, 0);
        return ZOWN_OK;
    }
    //  A fresh object: a rollback removes it whole, so nothing to journal.
    semaphore->ready = true;
    semaphore->bounded = bounded == 1;
    semaphore->initial = value;
    semaphore->value = value;
    zown_call_bump (call);
    zown_call_reply_int (call, 1);
    return ZOWN_OK;
}

int
zown_cmd_semaphore_acquire (zown_call_t *call)
{
    int status = s_need_semaphore (call);
    if (status != ZOWN_OK)
        return status;
    s_semaphore_t *semaphore = s_semaphore (call->object);
    int64_t count = call->argv [0].u.i;
    if (count < 1 || count > ZOWN_SEMAPHORE_MAX
        || (semaphore->bounded && count > semaphore->initial))
        return zown_call_error (call, ZOWN_BAD_ARGS, "count must be 1..initial value");
    zown_session_t *session;
    if ((status = zown_call_session (call, &session)) != ZOWN_OK)
        return status;
    if (!s_first_in_line (call) || semaphore->value < count)
        return zown_call_park (call, call->argv [1].u.i);
    s_holding_t *holding = s_holding (semaphore, session);
    if (!holding) {
        if (zown_grow ((void **) &semaphore->holdings, &semaphore->holding_capacity,
                       semaphore->holding_count + 1, sizeof (s_holding_t)))
            return zown_call_error (call, ZOWN_NO_MEMORY, "out of memory");
        void *held = zown_call_hold (call, session);
        if (!held)
            return zown_call_error (call, ZOWN_NO_MEMORY, "out of memory");
        holding = &semaphore->holdings [semaphore->holding_count++];
        holding->session = session;
        holding->held = held;
        holding->count = 0;
    }
    holding->count += count;
    semaphore->value -= count;
    zown_call_bump (call);
    return ZOWN_OK;
}

int
zown_cmd_semaphore_release (zown_call_t *call)
{
    int status = s_need_semaphore (call);
    if (status != ZOWN_OK)
        return status;
    s_semaphore_t *semaphore = s_semaphore (call->object);
    int64_t count = call->argv [0].u.i;
    if (count < 1 || count > ZOWN_SEMAPHORE_MAX)
        return zown_call_error (call, ZOWN_BAD_ARGS, "count must be 1..2^31-1");
    if (count > s_limit (semaphore) - semaphore->value)
        return zown_call_error (call, ZOWN_OVERFLOW,
                                semaphore->bounded ? "semaphore released too many times"
                                                   : "semaphore value over 2^31-1");
    //  Anybody may release (as in Python); the caller's own count goes
    //  down by what it gave back, as far as it holds any.
    zown_session_t *session = call->peer
        ? zown_session_find (call->registry, call->peer->identity, call->peer->identity_size)
        : NULL;
    s_holding_t *holding = session ? s_holding (semaphore, session) : NULL;
    if (holding) {
        holding->count -= count < holding->count ? count : holding->count;
        if (holding->count == 0)
            s_holding_remove (semaphore, holding);
    }
    semaphore->value += count;
    zown_call_bump (call);
    zown_call_wake (call);
    return ZOWN_OK;
}

int
zown_cmd_semaphore_value (zown_call_t *call)
{
    int status = s_need_semaphore (call);
    if (status == ZOWN_OK)
        zown_call_reply_int (call, s_semaphore (call->object)->value);
    return status;
}

const zown_type_def_t zown_semaphore_type = {
    .name = "semaphore",
    .ephemeral = true,
    .create = s_create,
    .destroy = s_destroy,
    .release = s_release_hook,
};
