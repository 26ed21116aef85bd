/*  =========================================================================
    barrier - parties wait until all have arrived, the counterpart of
    Python's multiprocessing Barrier

    The parties waiting are the barrier's parked requests. The last to
    arrive releases them, each with its arrival index. A party that leaves
    without being released (its wait timed out, or its process died) breaks
    the barrier for the others, as does ABORT; RESET mends it, breaking it
    for whoever still waits.
    =========================================================================
*/
#include "zown_internal.h"

typedef struct {
    int64_t parties;     //  0 until BARRIER_INIT
    int64_t arrived;     //  Parties waiting in the current round
    int64_t releasing;   //  Parties still to be answered by the last one's release
    int64_t next_index;  //  Arrival index for the next released party
    int64_t evicting;    //  Waiters to answer BROKEN after a RESET
    bool broken;         //  Aborted, or a party left: every wait fails
} s_barrier_t;

static void *
s_create (void)
{
    return calloc (1, sizeof (s_barrier_t));
}

static void
s_destroy (void *impl)
{
    free (impl);
}

static s_barrier_t *
s_barrier (zown_call_t *call)
{
    return (s_barrier_t *) call->object->impl;
}

static int
s_broken (zown_call_t *call)
{
    return zown_call_error (call, ZOWN_BROKEN, "the barrier is broken");
}

static int
s_need_barrier (zown_call_t *call)
{
    if (!call->object || s_barrier (call)->parties == 0)
        return zown_call_error (call, ZOWN_NOT_FOUND, "no such barrier");
    return ZOWN_OK;
}

int
zown_cmd_barrier_init (zown_call_t *call)
{
    s_barrier_t *barrier = s_barrier (call);
    int64_t parties = call->argv [0].u.i;
    if (parties < 1 || parties > INT32_MAX)
        return zown_call_error (call, ZOWN_BAD_ARGS, "parties must be 1..2^31-1");
    if (barrier->parties) {
        if (barrier->parties != parties)
            return zown_call_error (call, ZOWN_WRONG_TYPE, "barrier exists with other parties");
        zown_call_reply_int (call, 0);
        return ZOWN_OK;
    }
    barrier->parties = parties;
    zown_call_bump (call);
    zown_call_reply_int (call, 1);
    return ZOWN_OK;
}

int
zown_cmd_barrier_wait (zown_call_t *call)
{
    int status = s_need_barrier (call);
    if (status != ZOWN_OK)
        return status;
    s_barrier_t *barrier = s_barrier (call);
    //  A waiter of this round left without being released: broken. (A
    //  retried waiter is counted both among the waiting and the arrived.)
    size_t waiting = call->object->waiters ? zlistx_size (call->object->waiters) : 0;
    if (!barrier->releasing && !barrier->evicting && (int64_t) waiting < barrier->arrived)
        barrier->broken = true;
    if (call->parked) {
        if (barrier->releasing) {
            barrier->releasing--;
            zown_call_reply_int (call, barrier->next_index++);
            return ZOWN_OK;
        }
        if (barrier->evicting) {
            barrier->evicting--;
            return s_broken (call);
        }
        //  Still waiting: keeps its place, unless the barrier broke.
        return barrier->broken ? s_broken (call) : zown_call_park (call, 0);
    }
    if (barrier->broken)
        return s_broken (call);
    if (barrier->arrived + 1 == barrier->parties) {
        //  The last party: release every waiter, oldest first.
        barrier->releasing = barrier->arrived;
        barrier->next_index = 0;
        barrier->arrived = 0;
        zown_call_reply_int (call, barrier->parties - 1);
        zown_call_bump (call);
        zown_call_wake (call);
        return ZOWN_OK;
    }
    status = zown_call_park (call, call->argv [0].u.i);
    if (status == ZOWN_PARK)
        barrier->arrived++;
    return status;
}

int
zown_cmd_barrier_abort (zown_call_t *call)
{
    int status = s_need_barrier (call);
    if (status != ZOWN_OK)
        return status;
    s_barrier (call)->broken = true;
    zown_call_bump (call);
    zown_call_wake (call);
    return ZOWN_OK;
}

int
zown_cmd_barrier_reset (zown_call_t *call)
{
    int status = s_need_barrier (call);
    if (status != ZOWN_OK)
        return status;
    s_barrier_t *barrier = s_barrier (call);
    barrier->evicting = call->object->waiters ? (int64_t) zlistx_size (call->object->waiters) : 0;
    barrier->arrived = 0;
    barrier->broken = false;
    zown_call_bump (call);
    zown_call_wake (call);
    return ZOWN_OK;
}

int
zown_cmd_barrier_state (zown_call_t *call)
{
    int status = s_need_barrier (call);
    if (status != ZOWN_OK)
        return status;
    s_barrier_t *barrier = s_barrier (call);
    zown_call_reply_int (call, barrier->parties);
    zown_call_reply_int (call, barrier->arrived);
    zown_call_reply_int (call, barrier->broken);
    return ZOWN_OK;
}

const zown_type_def_t zown_barrier_type = {
    .name = "barrier",
    .ephemeral = true,
    .create = s_create,
    .destroy = s_destroy,
};
