/*  =========================================================================
    event - a shared flag that clients can wait on, the counterpart of
    Python's multiprocessing.Event

    EVENT_WAIT on a clear event parks its request in the owner (no client
    polls); EVENT_SET answers every waiter at once.
    =========================================================================
*/
#include "zown_internal.h"

static void *
s_create (void)
{
    return calloc (1, sizeof (bool));
}

static void
s_destroy (void *impl)
{
    free (impl);
}

static bool *
s_flag (zown_call_t *call)
{
    return (bool *) call->object->impl;
}

static void
s_restore (zown_object_t *object, void *saved)
{
    *(bool *) object->impl = saved != NULL;
}

//  Set the flag to `value`, undoably; returns a status.
static int
s_store (zown_call_t *call, bool value)
{
    bool *flag = s_flag (call);
    if (*flag == value)
        return ZOWN_OK;
    //  The old value travels in the record's pointer: nothing to allocate.
    if (zown_call_save (call, s_restore, NULL, *flag ? (void *) 1 : NULL))
        return zown_call_error (call, ZOWN_NO_MEMORY, "out of memory");
    *flag = value;
    zown_call_bump (call);
    return ZOWN_OK;
}

int
zown_cmd_event_set (zown_call_t *call)
{
    int status = s_store (call, true);
    if (status == ZOWN_OK)
        zown_call_wake (call);
    return status;
}

int
zown_cmd_event_clear (zown_call_t *call)
{
    return s_store (call, false);
}

int
zown_cmd_event_is_set (zown_call_t *call)
{
    zown_call_reply_int (call, call->object && *s_flag (call));
    return ZOWN_OK;
}

int
zown_cmd_event_wait (zown_call_t *call)
{
    if (*s_flag (call))
        return ZOWN_OK;
    return zown_call_park (call, call->argv [0].u.i);
}

static int
s_dump (zown_object_t *object, zown_dump_t *dump)
{
    if (!*(bool *) object->impl)
        return 0;
    return zown_dump_change (dump, ZOWN_CHANGE_OP, ZOWN_OP_EVENT_SET, 0, NULL, object->version);
}

const zown_type_def_t zown_event_type = {
    .name = "event",
    .create = s_create,
    .destroy = s_destroy,
    .dump = s_dump,
};
