/*  =========================================================================
    keyspace - ops on the owner itself and on objects of any type:
    PING, STATS, OBJECTS, SEQ, MARK, TYPE, DROP, FEED (HELLO and BYE,
    which open and end sessions, are in owner/session.c)
    =========================================================================
*/
#include "zown_internal.h"

int
zown_cmd_ping (zown_call_t *call)
{
    zown_call_reply_int (call, ZOWN_PROTOCOL_VERSION);
    return ZOWN_OK;
}

static void
s_reply_stat (zown_call_t *call, const char *name, uint64_t value)
{
    zown_call_reply (call, zown_datum_str (name));
    zown_call_reply_int (call, (int64_t) value);
}

//  Resident set size of the owner's process in KiB, from /proc (0 where
//  there is none). Under `zown serve` the process is little more than the
//  owner, so this is about what the shared objects cost in memory.
static uint64_t
s_rss_kb (void)
{
    unsigned long long size, resident = 0;
    FILE *file = fopen ("/proc/self/statm", "re");
    if (file) {
        if (fscanf (file, "%llu %llu", &size, &resident) != 2)
            resident = 0;
        fclose (file);
    }
    long page = sysconf (_SC_PAGESIZE);
    return page > 0 ? (uint64_t) resident * (uint64_t) page / 1024 : 0;
}

int
zown_cmd_stats (zown_call_t *call)
{
    zown_stats_t *stats = zown_registry_stats (call->registry);
    s_reply_stat (call, "objects", zown_registry_size (call->registry));
    s_reply_stat (call, "requests", stats->requests);
    s_reply_stat (call, "ops", stats->ops);
    s_reply_stat (call, "errors", stats->errors);
    s_reply_stat (call, "malformed", stats->malformed);
    s_reply_stat (call, "batches_aborted", stats->batches_aborted);
    s_reply_stat (call, "replies_dropped", stats->replies_dropped);
    s_reply_stat (call, "parked", stats->parked);
    s_reply_stat (call, "sessions", stats->sessions);
    s_reply_stat (call, "sessions_died", stats->sessions_died);
    s_reply_stat (call, "pid", (uint64_t) getpid ());
    s_reply_stat (call, "rss_kb", s_rss_kb ());
    //  Appended after the first twelve: clients skip names they do not know.
    s_reply_stat (call, "refused_message", stats->refused_message);
    s_reply_stat (call, "refused_key", stats->refused_key);
    s_reply_stat (call, "refused_value", stats->refused_value);
    s_reply_stat (call, "refused_objects", stats->refused_objects);
    s_reply_stat (call, "refused_items", stats->refused_items);
    s_reply_stat (call, "refused_parked", stats->refused_parked);
    s_reply_stat (call, "auth_refused", stats->auth_refused);
    s_reply_stat (call, "connections", stats->connections);
    s_reply_stat (call, "clients_max", stats->clients_max);
    s_reply_stat (call, "accepts_paused", stats->accepts_paused);
    s_reply_stat (call, "accepts_refused", stats->accepts_refused);
    return ZOWN_OK;
}

int
zown_cmd_objects (zown_call_t *call)
{
    for (zown_object_t *object = zown_registry_first (call->registry); object;
         object = zown_registry_next (call->registry)) {
        zown_call_reply (call, zown_datum_str (object->name));
        zown_call_reply (call, zown_datum_str (object->type->name));
    }
    return ZOWN_OK;
}

int
zown_cmd_type (zown_call_t *call)
{
    if (!call->object)
        return zown_call_error (call, ZOWN_NOT_FOUND, "no such object");
    zown_call_reply (call, zown_datum_str (call->object->type->name));
    return ZOWN_OK;
}

//  A dropped object is kept until its batch commits, so a rollback can
//  put it back whole.
static void
s_restore_dropped (zown_object_t *object, void *saved)
{
    zown_registry_attach ((zown_registry_t *) saved, object);
}

static void
s_discard_dropped (void *saved)
{
    zown_object_t *object = (zown_object_t *) saved;
    zown_object_destroy (&object);
}

int
zown_cmd_drop (zown_call_t *call)
{
    zown_object_t *object = call->object;
    if (!object)
        return zown_call_error (call, ZOWN_NOT_FOUND, "no such object");
    zown_call_changed (call, ZOWN_CHANGE_DROP, NULL, NULL);
    if (call->undo) {
        //  restore gets the registry, discard the object itself
        if (zown_call_save (call, s_restore_dropped, NULL, call->registry)
            || zown_call_save (call, NULL, s_discard_dropped, object))
            return zown_call_error (call, ZOWN_NO_MEMORY, "out of memory");
        zown_registry_detach (call->registry, object);
    } else {
        zown_registry_detach (call->registry, object);
        zown_object_destroy (&object);
    }
    call->object = NULL;
    return ZOWN_OK;
}

int
zown_cmd_seq (zown_call_t *call)
{
    zown_call_reply_int (call, (int64_t) zown_registry_seq (call->registry));
    return ZOWN_OK;
}

//  A marker on the change feed, after every change committed before it:
//  a subscriber that sees it has seen them all.
int
zown_cmd_mark (zown_call_t *call)
{
    zown_call_changed (call, ZOWN_CHANGE_MARK, &call->argv [0], NULL);
    zown_call_reply_int (call, (int64_t) zown_registry_seq (call->registry));
    return ZOWN_OK;
}

//  Where the change feed is served: a client that reached the owner by
//  any endpoint (one bound with --endpoint, say) learns where to subscribe.
int
zown_cmd_feed (zown_call_t *call)
{
    for (size_t index = 0; index < ZOWN_FEED_ENDPOINTS; index++) {
        const char *endpoint = zown_registry_feed (call->registry, index);
        if (endpoint)
            zown_call_reply (call, zown_datum_str (endpoint));
    }
    return ZOWN_OK;
}

static void *
s_create (void)
{
    return NULL;
}

static void
s_destroy (void *impl)
{
    (void) impl;
}

const zown_type_def_t zown_keyspace_type = {
    .name = "keyspace",
    .create = s_create,
    .destroy = s_destroy,
};
