/*  =========================================================================
    barrier - parties wait until all have arrived, the counterpart of
    Python's multiprocessing Barrier

    The parties waiting are the barrier's parked requests, each tagged with
    its round and arrival index. The last to arrive releases the round. A
    party that leaves without being released (its wait timed out, or its
    session ended) breaks the barrier for the others, as does ABORT; RESET
    mends it, breaking it for whoever still waits. Every way a round ends
    is settled at once, so that BARRIER_STATE reports what the next wait
    will meet.
    =========================================================================
*/
#include "zown_internal.h"

typedef struct {
    int64_t parties;    //  0 until BARRIER_INIT
    int64_t waiting;    //  Parties of the current round parked now
    uint32_t round;     //  The current round: the next released, broken or reset ends it
    uint32_t released;  //  The last round that ended released
    bool broken;        //  Aborted, or a party left: every wait fails until RESET
} s_barrier_t;

//  A waiter's tag: its round, and its arrival index in that round. Rounds
//  wrap at 2^32; a waiter is retried right after its round ends, long
//  before another 2^32 rounds could.
static int64_t
s_tag (uint32_t round, int64_t index)
{
    return (int64_t) (((uint64_t) round << 32) | (uint64_t) index);
}

static uint32_t
s_tag_round (int64_t tag)
{
    return (uint32_t) ((uint64_t) tag >> 32);
}

static int64_t
s_tag_index (int64_t tag)
{
    return (int64_t) ((uint64_t) tag & UINT32_MAX);
}

static void *
s_create (void)
{
    s_barrier_t *barrier = (s_barrier_t *) calloc (1, sizeof (s_barrier_t));
    if (barrier)
        barrier->released = UINT32_MAX;  //  None yet
    return barrier;
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

//  End the current round: its waiters, retried, learn how from their tag.
static void
s_end_round (s_barrier_t *barrier, bool released)
{
    if (released)
        barrier->released = barrier->round;
    barrier->round++;
    barrier->waiting = 0;
}

//  A retried waiter: still waiting, released (with its index) or broken.
static int
s_retried (zown_call_t *call, int64_t tag)
{
    s_barrier_t *barrier = s_barrier (call);
    uint32_t round = s_tag_round (tag);
    if (round == barrier->round)
        return zown_call_park (call, 0);  //  Keeps its place.
    if (round != barrier->released)
        return s_broken (call);
    zown_call_reply_int (call, s_tag_index (tag));
    return ZOWN_OK;
}

int
zown_cmd_barrier_wait (zown_call_t *call)
{
    int status = s_need_barrier (call);
    if (status != ZOWN_OK)
        return status;
    int64_t *tag = zown_call_tag (call);
    if (tag)
        return s_retried (call, *tag);
    s_barrier_t *barrier = s_barrier (call);
    if (barrier->broken)
        return s_broken (call);
    if (barrier->waiting + 1 == barrier->parties) {
        //  The last party releases the round; its waiters are answered as
        //  they are retried, oldest first.
        zown_call_reply_int (call, barrier->parties - 1);
        s_end_round (barrier, true);
        zown_call_bump (call);
        zown_call_wake (call);
        return ZOWN_OK;
    }
    status =
        zown_call_park_tagged (call, call->argv [0].u.i, s_tag (barrier->round, barrier->waiting));
    if (status == ZOWN_PARK)
        barrier->waiting++;
    return status;
}

int
zown_cmd_barrier_abort (zown_call_t *call)
{
    int status = s_need_barrier (call);
    if (status != ZOWN_OK)
        return status;
    s_barrier_t *barrier = s_barrier (call);
    barrier->broken = true;
    s_end_round (barrier, false);
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
    barrier->broken = false;
    s_end_round (barrier, false);
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
    zown_call_reply_int (call, barrier->waiting);
    zown_call_reply_int (call, barrier->broken);
    return ZOWN_OK;
}

//  A party of the current round left unreleased (timed out, or its
//  session ended): the round breaks, and its other waiters, retried (the
//  owner wakes the line), are told so.
static void
s_leave (zown_object_t *object, int64_t tag)
{
    s_barrier_t *barrier = (s_barrier_t *) object->impl;
    if (s_tag_round (tag) != barrier->round)
        return;
    barrier->broken = true;
    s_end_round (barrier, false);
    object->version++;
}

const zown_type_def_t zown_barrier_type = {
    .name = "barrier",
    .ephemeral = true,
    .create = s_create,
    .destroy = s_destroy,
    .leave = s_leave,
};
