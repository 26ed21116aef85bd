/*  =========================================================================
    parking - requests that wait: blocking ops, their wake-ups and deadlines

    A blocking op that cannot complete parks its request on its object, in
    arrival order, with a copy of the frame and the client's identity. A
    change of the object retries its waiters once the change commits; the
    owner's loop wakes at the nearest deadline and answers TIMEOUT.
    =========================================================================
*/
#include "zown_internal.h"
#include "owner/core.h"

static int
s_deadline_compare (const void *item1, const void *item2)
{
    int64_t a = ((const zown_parked_t *) item1)->deadline;
    int64_t b = ((const zown_parked_t *) item2)->deadline;
    return a < b ? -1 : a > b;
}

int
zown_parking_init (zown_registry_t *self)
{
    zown_buf_init (&self->wake_out);
    self->deadlines = zlistx_new ();
    self->to_wake = zlistx_new ();
    if (!self->deadlines || !self->to_wake)
        return -1;
    zlistx_set_comparator (self->deadlines, s_deadline_compare);
    return 0;
}

void
zown_parking_fini (zown_registry_t *self)
{
    zlistx_destroy (&self->deadlines);
    zlistx_destroy (&self->to_wake);
    zown_buf_free (&self->wake_out);
    free (self->snapshot);
    self->snapshot = NULL;
}

void
zown_registry_set_sender (zown_registry_t *self, zown_send_fn *send, void *arg)
{
    self->send = send;
    self->send_arg = arg;
}

int
zown_call_park (zown_call_t *call, int64_t timeout_ms)
{
    return zown_call_park_tagged (call, timeout_ms, 0);
}

int
zown_call_park_tagged (zown_call_t *call, int64_t timeout_ms, int64_t tag)
{
    zown_registry_t *self = call->registry;
    if (call->parked)
        return ZOWN_PARK;  //  A retry that still cannot complete keeps its place.
    if (timeout_ms == 0 || !call->peer || self->batch || !self->frame)
        return zown_call_error (call, ZOWN_TIMEOUT, "would block");
    if (call->peer->identity_size > sizeof (((zown_parked_t *) 0)->identity))
        return zown_call_error (call, ZOWN_BAD_REQUEST, "identity too long");
    //  Every parked request belongs to a session, so that its client's
    //  share is counted even if it never said HELLO.
    zown_session_t *session;
    int status = zown_call_session (call, &session);
    if (status != ZOWN_OK)
        return status;
    if (zlistx_size (session->parked) >= self->limits.max_parked_client)
        return zown_limits_refuse (call, ZOWN_LIMIT, ZOWN_REFUSAL_PARKED_CLIENT,
                                   &self->stats.refused_parked);
    if (self->stats.parked >= self->limits.max_parked)
        return zown_limits_refuse (call, ZOWN_LIMIT, ZOWN_REFUSAL_PARKED,
                                   &self->stats.refused_parked);
    zown_parked_t *parked = (zown_parked_t *) calloc (1, sizeof (zown_parked_t));
    if (parked)
        parked->frame = (uint8_t *) malloc (self->frame_size);
    if (!call->object->waiters)
        call->object->waiters = zlistx_new ();
    if (!parked || !parked->frame || !call->object->waiters
        || !(parked->in_session = zlistx_add_end (session->parked, parked))
        || !(parked->in_object = zlistx_add_end (call->object->waiters, parked))) {
        if (parked && parked->in_session)
            zlistx_delete (session->parked, parked->in_session);
        if (parked)
            free (parked->frame);
        free (parked);
        return zown_call_error (call, ZOWN_NO_MEMORY, "out of memory");
    }
    memcpy (parked->frame, self->frame, self->frame_size);
    parked->frame_size = self->frame_size;
    memcpy (parked->identity, call->peer->identity, call->peer->identity_size);
    parked->identity_size = call->peer->identity_size;
    parked->envelope = call->peer->envelope;
    parked->object = call->object;
    //  A client may send any int64 timeout: one that would take the
    //  deadline past INT64_MAX saturates there (it never comes).
    int64_t now = zown_now_ms ();
    parked->deadline = timeout_ms < 0  ? -1
        : timeout_ms > INT64_MAX - now ? INT64_MAX
                                       : now + timeout_ms;
    if (timeout_ms > 0)
        parked->in_deadlines = zlistx_insert (self->deadlines, parked, false);
    parked->session = session;
    parked->tag = tag;
    parked->op = call->op;
    self->stats.parked++;
    return ZOWN_PARK;
}

void
zown_call_wake (zown_call_t *call)
{
    zown_object_wake (call->object);
}

void
zown_object_wake (zown_object_t *object)
{
    if (object && object->waiters && zlistx_size (object->waiters) && !object->wake_pending
        && zlistx_add_end (object->registry->to_wake, object))
        object->wake_pending = true;
}

void
zown_parking_unwake (zown_registry_t *self, zown_object_t *object)
{
    void *handle = zlistx_find (self->to_wake, object);
    if (handle)
        zlistx_delete (self->to_wake, handle);
    object->wake_pending = false;
}

size_t
zown_parking_wakes (zown_registry_t *self)
{
    return zlistx_size (self->to_wake);
}

void
zown_parking_forget_wakes (zown_registry_t *self, size_t keep)
{
    while (zlistx_size (self->to_wake) > keep) {
        zlistx_last (self->to_wake);
        zown_object_t *object =
            (zown_object_t *) zlistx_detach (self->to_wake, zlistx_cursor (self->to_wake));
        object->wake_pending = false;
    }
}

//  A provisional object (made only so that requests could park on it, and
//  unchanged since) goes once its last waiter has left, whichever way: the
//  result of a blocking op never depends on whether it waited.
static void
s_settle (zown_registry_t *self, zown_object_t *object)
{
    if (object->provisional && object->version == 0 && zlistx_size (object->waiters) == 0)
        zhashx_delete (self->objects, object->name);
}

//  Take a parked request off every list and free it.
static void
s_parked_forget (zown_registry_t *self, zown_parked_t *parked)
{
    zown_object_t *object = parked->object;
    zlistx_delete (object->waiters, parked->in_object);
    if (parked->in_deadlines)
        zlistx_delete (self->deadlines, parked->in_deadlines);
    if (parked->in_session)
        zlistx_delete (parked->session->parked, parked->in_session);
    free (parked->frame);
    free (parked);
    self->stats.parked--;
    s_settle (self, object);
}

//  Send a reply to a parked request's client and forget the request.
static void
s_parked_send (zown_registry_t *self, zown_parked_t *parked, const zown_buf_t *reply)
{
    if (self->send && !self->closing && !reply->failed) {
        zown_peer_t peer = { parked->identity, parked->identity_size, parked->envelope, -1 };
        self->send (&peer, reply->data, reply->size, self->send_arg);
    }
    s_parked_forget (self, parked);
}

//  Tell its op's type that a parked request leaves unanswered by its op.
static void
s_leave (zown_parked_t *parked)
{
    const zown_type_def_t *type = zown_commands [parked->op].type;
    if (type->leave)
        type->leave (parked->object, parked->tag);
}

//  Answer a parked request with an error and forget it. The line it leaves
//  may now move (a smaller request behind it may fit): its object is woken.
void
zown_parked_answer (zown_registry_t *self, zown_parked_t *parked, int status, const char *message)
{
    zown_object_wake (parked->object);
    self->stats.errors++;
    zown_encode_failure (&self->wake_out, zown_peek_id (parked->frame, parked->frame_size), 1, 0,
                         status, message);
    s_parked_send (self, parked, &self->wake_out);
}

//  Run a parked request again (`expired`: its deadline has passed); it
//  stays parked, or is answered.
static void
s_rerun (zown_registry_t *self, zown_parked_t *parked, bool expired)
{
    //  The frame was decoded and checked when it was parked.
    zown_decode_request (&self->decoded, parked->frame, parked->frame_size, SIZE_MAX);
    zown_peer_t peer = { parked->identity, parked->identity_size, parked->envelope, -1 };
    zown_call_t call = { .registry = self,
                         .out = &self->wake_out,
                         .peer = &peer,
                         .parked = parked,
                         .expired = expired };
    zown_object_t *object = parked->object;
    if (zown_registry_run (self, &call) != ZOWN_PARK)
        s_parked_send (self, parked, &self->wake_out);
    else if (parked->object != object)
        s_settle (self, object);  //  It moved to another line.
}

static void
s_retry (zown_registry_t *self, zown_parked_t *parked)
{
    //  A waiter whose process has died gets nothing: it stays parked until
    //  the owner's loop ends its session, which drops it.
    if (!parked->session || !zown_session_gone (parked->session))
        s_rerun (self, parked, false);
}

//  Its deadline has passed: TIMEOUT, unless its op's type would rather run
//  it once more (then it has no deadline any more).
static void
s_expire (zown_registry_t *self, zown_parked_t *parked)
{
    if (!zown_commands [parked->op].type->retry_expired
        || (parked->session && zown_session_gone (parked->session))) {
        s_leave (parked);
        zown_parked_answer (self, parked, ZOWN_TIMEOUT, "timed out waiting");
        return;
    }
    zlistx_delete (self->deadlines, parked->in_deadlines);
    parked->in_deadlines = NULL;
    parked->deadline = -1;
    zown_object_wake (parked->object);  //  It may leave the line.
    s_rerun (self, parked, true);
}

//  Retry the waiters of every object changed by committed requests, oldest
//  first. A retry only ever removes itself, so a snapshot of the waiters
//  stays valid while they run. A retry that completes may change objects in
//  turn: they queue up behind.
void
zown_registry_run_wakes (zown_registry_t *self)
{
    if (self->waking)
        return;
    self->waking = true;
    zown_object_t *object;
    while ((object = (zown_object_t *) zlistx_detach (self->to_wake, NULL))) {
        object->wake_pending = false;
        size_t count = zlistx_size (object->waiters);
        if (zown_grow ((void **) &self->snapshot, &self->snapshot_capacity, count,
                       sizeof (zown_parked_t *)))
            continue;  //  Out of memory: they wait for the next change or time out.
        size_t index = 0;
        for (zown_parked_t *parked = (zown_parked_t *) zlistx_first (object->waiters); parked;
             parked = (zown_parked_t *) zlistx_next (object->waiters))
            self->snapshot [index++] = parked;
        for (index = 0; index < count; index++)
            s_retry (self, self->snapshot [index]);
    }
    self->waking = false;
}

int
zown_registry_next_timeout (zown_registry_t *self)
{
    zown_parked_t *first = (zown_parked_t *) zlistx_first (self->deadlines);
    if (!first)
        return -1;
    int64_t left = first->deadline - zown_now_ms ();
    return left < 0 ? 0 : left > INT32_MAX ? INT32_MAX : (int) left;
}

void
zown_registry_expire (zown_registry_t *self)
{
    if (!zlistx_size (self->deadlines))
        return;  //  The common case reads no clock.
    int64_t now = zown_now_ms ();
    zown_parked_t *first;
    while ((first = (zown_parked_t *) zlistx_first (self->deadlines)) && first->deadline <= now)
        s_expire (self, first);
    zown_registry_run_wakes (self);
}

void
zown_registry_drop_parked (zown_registry_t *self, zown_session_t *session)
{
    zown_parked_t *parked;
    while ((parked = (zown_parked_t *) zlistx_first (session->parked))) {
        s_leave (parked);
        zown_object_wake (parked->object);
        s_parked_forget (self, parked);
    }
}

int64_t *
zown_call_tag (zown_call_t *call)
{
    return call->parked ? &((zown_parked_t *) call->parked)->tag : NULL;
}

zown_object_t *
zown_call_parked_on (zown_call_t *call)
{
    return call->parked ? ((zown_parked_t *) call->parked)->object : NULL;
}

int
zown_call_repark (zown_call_t *call, zown_object_t *object)
{
    zown_parked_t *parked = (zown_parked_t *) call->parked;
    if (!object->waiters)
        object->waiters = zlistx_new ();
    void *handle = object->waiters ? zlistx_add_end (object->waiters, parked) : NULL;
    if (!handle)
        return ZOWN_PARK;  //  Out of memory: it stays where it was.
    zlistx_delete (parked->object->waiters, parked->in_object);
    parked->object = object;
    parked->in_object = handle;
    return ZOWN_PARK;
}
