/*  =========================================================================
    registry - the owner's objects by name, and the registry that holds them

    The registry is the owner's state: its objects, and the parts of the
    owner core that serve them, each in its own file of runtime/owner/:
    dispatch.c applies requests, undo.c rolls batches back, changes.c
    numbers and publishes changes, parking.c keeps blocked requests,
    session.c knows the clients, limits.c refuses what is too much, and
    replay.c loads and dumps journal records. None of it touches a socket.
    =========================================================================
*/
#include "zown_internal.h"
#include "owner/core.h"

void
zown_object_destroy (zown_object_t **object_p)
{
    if (object_p && *object_p) {
        zown_object_t *object = *object_p;
        //  Going anyway: its waiters' leaving must not remove it again.
        object->provisional = false;
        if (object->registry && object->registry->last == object)
            object->registry->last = NULL;
        if (object->waiters) {
            //  Whoever waits on a dropped object is told so at once.
            zown_parked_t *parked;
            while ((parked = (zown_parked_t *) zlistx_first (object->waiters)))
                zown_parked_answer (object->registry, parked, ZOWN_NOT_FOUND, "object dropped");
            zlistx_destroy (&object->waiters);
        }
        if (object->wake_pending)
            zown_parking_unwake (object->registry, object);
        object->type->destroy (object->impl);
        free (object->name);
        free (object);
        *object_p = NULL;
    }
}

void
zown_object_free (void **item)
{
    zown_object_destroy ((zown_object_t **) item);
}

zown_object_t *
zown_object_new (zown_registry_t *registry, const char *name, const zown_type_def_t *type)
{
    zown_object_t *object = (zown_object_t *) calloc (1, sizeof (zown_object_t));
    if (!object)
        return NULL;
    object->registry = registry;
    object->name = strdup (name);
    object->type = type;
    object->impl = type->create ();
    if (!object->name || !object->impl) {
        free (object->name);
        if (object->impl)
            type->destroy (object->impl);
        free (object);
        return NULL;
    }
    return object;
}

//  Each type with its lowest op code, from the command table in code order.
static void
s_types_init (zown_registry_t *self)
{
    for (int code = 0; code < 256; code++) {
        const zown_type_def_t *type = zown_commands [code].type;
        size_t index = 0;
        while (type && index < ZOWN_TYPES_MAX && self->types [index] && self->types [index] != type)
            index++;
        if (type && index < ZOWN_TYPES_MAX && !self->types [index]) {
            self->types [index] = type;
            self->type_ops [index] = (uint8_t) code;
        }
    }
}

uint8_t
zown_registry_type_op (zown_registry_t *self, const zown_type_def_t *type)
{
    for (size_t index = 0; index < ZOWN_TYPES_MAX && self->types [index]; index++)
        if (self->types [index] == type)
            return self->type_ops [index];
    return 0;
}

zown_registry_t *
zown_registry_new (void)
{
    zown_registry_t *self = (zown_registry_t *) calloc (1, sizeof (zown_registry_t));
    if (!self)
        return NULL;
    zown_buf_init (&self->changes);
    zown_buf_init (&self->durable);
    zown_buf_init (&self->undo_copies);
    zown_buf_init (&self->op_out);
    zown_buf_init (&self->change_index);
    zown_limits_t defaults = { 0 };
    zown_limits_resolve (&defaults);
    zown_registry_set_limits (self, &defaults);
    zown_decoded_init (&self->decoded);
    s_types_init (self);
    self->objects = zhashx_new ();
    self->sessions = zown_sessions_new ();
    if (!self->objects || !self->sessions || zown_parking_init (self)) {
        zown_registry_destroy (&self);
        return NULL;
    }
    zhashx_set_destructor (self->objects, zown_object_free);
    return self;
}

void
zown_registry_destroy (zown_registry_t **self_p)
{
    if (self_p && *self_p) {
        zown_registry_t *self = *self_p;
        self->closing = true;
        //  Objects first: their waiters and holders still name sessions.
        zhashx_destroy (&self->objects);
        zown_sessions_destroy (&self->sessions);
        zown_parking_fini (self);
        zown_decoded_free (&self->decoded);
        zown_buf_free (&self->changes);
        zown_buf_free (&self->durable);
        zown_buf_free (&self->undo_copies);
        zown_buf_free (&self->op_out);
        zown_buf_free (&self->change_index);
        for (size_t index = 0; index < ZOWN_FEED_ENDPOINTS; index++)
            free (self->feed [index]);
        free (self->undo);
        free (self);
        *self_p = NULL;
    }
}

int
zown_registry_set_feed (zown_registry_t *self, const char *ipc, const char *inproc)
{
    const char *endpoints [ZOWN_FEED_ENDPOINTS] = { ipc, inproc };
    for (size_t index = 0; index < ZOWN_FEED_ENDPOINTS; index++) {
        free (self->feed [index]);
        self->feed [index] = endpoints [index] ? strdup (endpoints [index]) : NULL;
        if (endpoints [index] && !self->feed [index])
            return -1;
    }
    return 0;
}

const char *
zown_registry_feed (zown_registry_t *self, size_t index)
{
    return index < ZOWN_FEED_ENDPOINTS ? self->feed [index] : NULL;
}

zown_stats_t *
zown_registry_stats (zown_registry_t *self)
{
    return &self->stats;
}

zown_sessions_t *
zown_registry_sessions (zown_registry_t *self)
{
    return self->sessions;
}

zown_object_t *
zown_registry_lookup (zown_registry_t *self, const char *name)
{
    //  The ops of a batch mostly name one object: compare before hashing.
    if (self->last && strcmp (self->last->name, name) == 0)
        return self->last;
    zown_object_t *object = (zown_object_t *) zhashx_lookup (self->objects, name);
    if (object)
        self->last = object;
    return object;
}

size_t
zown_registry_size (zown_registry_t *self)
{
    return zhashx_size (self->objects);
}

zown_object_t *
zown_registry_first (zown_registry_t *self)
{
    return (zown_object_t *) zhashx_first (self->objects);
}

zown_object_t *
zown_registry_next (zown_registry_t *self)
{
    return (zown_object_t *) zhashx_next (self->objects);
}

void
zown_registry_detach (zown_registry_t *self, zown_object_t *object)
{
    if (self->last == object)
        self->last = NULL;
    zhashx_set_destructor (self->objects, NULL);
    zhashx_delete (self->objects, object->name);
    zhashx_set_destructor (self->objects, zown_object_free);
}

int
zown_registry_attach (zown_registry_t *self, zown_object_t *object)
{
    return zhashx_insert (self->objects, object->name, object);
}

zown_object_t *
zown_registry_ensure (zown_registry_t *self, const char *name, const zown_type_def_t *type)
{
    zown_object_t *object = zown_registry_lookup (self, name);
    if (object)
        return object->type == type ? object : NULL;
    object = zown_object_new (self, name, type);
    if (object && zown_registry_attach (self, object))
        zown_object_destroy (&object);
    return object;
}
