/*  =========================================================================
    registry - the owner's objects, its command table, and how one request
    is applied: decode, check every op against the table, apply them in
    order (journaling undo records when the request is a batch), and either
    commit or roll everything back.
    =========================================================================
*/
#include "zown_internal.h"

//  Every type the owner serves. Adding a type adds one line here.
static const zown_type_def_t *s_types [] = {
    &zown_keyspace_type, &zown_dict_type, &zown_value_type, &zown_list_type, &zown_array_type,
};

#define ZOWN_MAX_VALUE_DEFAULT (64u * 1024 * 1024)

//  One undo record of a batch in progress.
typedef struct {
    zown_object_t *object;     //  Object changed
    uint64_t version;          //  Its version before the change
    zown_restore_fn *restore;  //  Puts `saved` back (NULL: version only)
    zown_discard_fn *discard;  //  Frees `saved` at commit
    void *saved;               //  Type-specific saved state
} s_undo_t;

struct _zown_registry_t {
    zhashx_t *objects;                           //  name -> zown_object_t
    const zown_command_t *commands [256];        //  Op code -> command
    const zown_type_def_t *command_types [256];  //  Op code -> its type
    zown_decoded_t decoded;                      //  Reused decoding arrays
    s_undo_t *undo;                              //  Undo journal of the current batch
    size_t undo_count;
    size_t undo_capacity;
    bool journaling;     //  Journal the op being applied
    size_t max_value;    //  Largest byte string accepted
    zown_stats_t stats;  //  Counters for STATS
};

//  --------------------------------------------------------------------------
//  Objects

void
zown_object_destroy (zown_object_t **object_p)
{
    if (object_p && *object_p) {
        zown_object_t *object = *object_p;
        object->type->destroy (object->impl);
        free (object->name);
        free (object);
        *object_p = NULL;
    }
}

static void
s_object_free (void **item)
{
    zown_object_destroy ((zown_object_t **) item);
}

static zown_object_t *
s_object_new (const char *name, const zown_type_def_t *type)
{
    zown_object_t *object = (zown_object_t *) calloc (1, sizeof (zown_object_t));
    if (!object)
        return NULL;
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

zown_registry_t *
zown_registry_new (void)
{
    zown_registry_t *self = (zown_registry_t *) calloc (1, sizeof (zown_registry_t));
    if (!self)
        return NULL;
    self->objects = zhashx_new ();
    if (!self->objects) {
        free (self);
        return NULL;
    }
    zhashx_set_destructor (self->objects, s_object_free);
    self->max_value = ZOWN_MAX_VALUE_DEFAULT;
    zown_decoded_init (&self->decoded);
    for (size_t type = 0; type < sizeof (s_types) / sizeof (s_types [0]); type++)
        for (size_t index = 0; index < s_types [type]->command_count; index++) {
            const zown_command_t *command = &s_types [type]->commands [index];
            self->commands [command->code] = command;
            self->command_types [command->code] = s_types [type];
        }
    return self;
}

void
zown_registry_destroy (zown_registry_t **self_p)
{
    if (self_p && *self_p) {
        zown_registry_t *self = *self_p;
        zhashx_destroy (&self->objects);
        zown_decoded_free (&self->decoded);
        free (self->undo);
        free (self);
        *self_p = NULL;
    }
}

zown_stats_t *
zown_registry_stats (zown_registry_t *self)
{
    return &self->stats;
}

void
zown_registry_set_max_value (zown_registry_t *self, size_t max_value)
{
    self->max_value = max_value;
}

zown_object_t *
zown_registry_lookup (zown_registry_t *self, const char *name)
{
    return (zown_object_t *) zhashx_lookup (self->objects, name);
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
    zhashx_set_destructor (self->objects, NULL);
    zhashx_delete (self->objects, object->name);
    zhashx_set_destructor (self->objects, s_object_free);
}

int
zown_registry_attach (zown_registry_t *self, zown_object_t *object)
{
    return zhashx_insert (self->objects, object->name, object);
}

//  --------------------------------------------------------------------------
//  Handler helpers

void
zown_call_reply (zown_call_t *call, zown_datum_t datum)
{
    zown_buf_put_datum (call->out, datum);
    call->values++;
}

void
zown_call_reply_int (zown_call_t *call, int64_t value)
{
    zown_call_reply (call, zown_datum_int (value));
}

int
zown_call_fail (zown_call_t *call, int status, const char *message)
{
    call->message = message;
    return status;
}

uint64_t
zown_call_bump (zown_call_t *call)
{
    return ++call->object->version;
}

int
zown_call_save (zown_call_t *call, zown_restore_fn *restore, zown_discard_fn *discard, void *saved)
{
    if (!call->journal)
        return 0;
    zown_registry_t *self = call->registry;
    if (self->undo_count == self->undo_capacity) {
        size_t capacity = self->undo_capacity ? self->undo_capacity * 2 : 16;
        s_undo_t *undo = (s_undo_t *) realloc (self->undo, capacity * sizeof (s_undo_t));
        if (!undo)
            return -1;
        self->undo = undo;
        self->undo_capacity = capacity;
    }
    s_undo_t *record = &self->undo [self->undo_count++];
    record->object = call->object;
    record->version = call->object ? call->object->version : 0;
    record->restore = restore;
    record->discard = discard;
    record->saved = saved;
    return 0;
}

//  Undo records of objects a batch created: rollback removes them.
static void
s_restore_created (zown_object_t *object, void *saved)
{
    zown_registry_t *self = (zown_registry_t *) saved;
    zhashx_delete (self->objects, object->name);
}

static void
s_commit (zown_registry_t *self)
{
    for (size_t index = 0; index < self->undo_count; index++)
        if (self->undo [index].discard)
            self->undo [index].discard (self->undo [index].saved);
    self->undo_count = 0;
}

static void
s_rollback (zown_registry_t *self)
{
    while (self->undo_count) {
        s_undo_t *record = &self->undo [--self->undo_count];
        if (record->object && record->restore != s_restore_created)
            record->object->version = record->version;
        if (record->restore)
            record->restore (record->object, record->saved);
    }
}

//  --------------------------------------------------------------------------
//  Applying a request

//  An op's arguments; NULL when it has none (the array may not exist yet).
static const zown_datum_t *
s_argv (zown_registry_t *self, const zown_op_view_t *op)
{
    return op->argc ? self->decoded.args + op->argv_offset : NULL;
}

//  Checks an op against its command entry: arity, argument types, name.
static int
s_check (zown_registry_t *self, const zown_op_view_t *op, const zown_datum_t *argv,
         const char **message)
{
    const zown_command_t *command = self->commands [op->code];
    if (!command) {
        *message = "unknown op code";
        return ZOWN_UNKNOWN_OP;
    }
    if (op->argc < command->min_args || op->argc > command->max_args
        || ((command->flags & ZOWN_CMD_PAIRS) && op->argc % 2)) {
        *message = "wrong number of arguments";
        return ZOWN_BAD_ARGS;
    }
    for (size_t index = 0; index < op->argc; index++) {
        size_t position = index < ZOWN_ARG_POSITIONS ? index : ZOWN_ARG_POSITIONS - 1;
        if (command->flags & ZOWN_CMD_PAIRS)
            position = index % 2;
        if (!(command->arg_types [position] & (1u << argv [index].tag))) {
            *message = "argument of a type this op does not take";
            return ZOWN_BAD_ARGS;
        }
    }
    bool owner_op = (command->flags & ZOWN_CMD_OWNER) != 0;
    if (owner_op != (op->name [0] == 0)) {
        *message = owner_op ? "owner ops take an empty name" : "object name required";
        return ZOWN_BAD_ARGS;
    }
    return ZOWN_OK;
}

//  Applies one checked op; appends its values to out.
static int
s_apply (zown_registry_t *self, const zown_op_view_t *op, zown_call_t *call)
{
    const zown_command_t *command = self->commands [op->code];
    const zown_type_def_t *type = self->command_types [op->code];
    zown_object_t *object = NULL;
    if (!(command->flags & ZOWN_CMD_OWNER)) {
        object = zown_registry_lookup (self, op->name);
        if (object && type != &zown_keyspace_type && object->type != type)
            return zown_call_fail (call, ZOWN_WRONG_TYPE, "object is of another type");
    }
    call->object = object;
    call->name = op->name;
    call->argv = s_argv (self, op);
    call->argc = op->argc;
    call->journal = self->journaling || (command->flags & ZOWN_CMD_MULTI);

    bool created = false;
    if (!object && (command->flags & ZOWN_CMD_CREATE)) {
        object = s_object_new (op->name, type);
        if (!object || zown_registry_attach (self, object)) {
            zown_object_destroy (&object);
            return zown_call_fail (call, ZOWN_NO_MEMORY, "out of memory");
        }
        created = true;
        call->object = object;
        if (zown_call_save (call, s_restore_created, NULL, self)) {
            zhashx_delete (self->objects, op->name);
            return zown_call_fail (call, ZOWN_NO_MEMORY, "out of memory");
        }
    }
    int status = command->handler (call);
    if (status != ZOWN_OK && created && !call->journal)
        //  A failed op leaves no trace, not even an empty object; journaled
        //  calls are undone by the rollback instead.
        zhashx_delete (self->objects, op->name);
    return status;
}

//  Reply to a request that changed nothing: op `failed` has `status` (and
//  a message, if any); every other op of a batch is ABORTED.
static void
s_reply_failure (zown_buf_t *out, uint64_t id, size_t op_count, size_t failed, int status,
                 const char *message)
{
    out->size = 0;
    out->failed = false;
    zown_encode_reply_header (out, id);
    for (size_t index = 0; index < op_count; index++) {
        size_t result = zown_encode_result_begin (out);
        bool is_failed = index == failed;
        if (is_failed && message)
            zown_buf_put_datum (out, zown_datum_str (message));
        zown_encode_result_end (out, result, (uint8_t) (is_failed ? status : ZOWN_ABORTED),
                                is_failed && message ? 1 : 0);
    }
    zown_encode_reply_end (out, (uint8_t) status, (uint16_t) op_count);
}

//  Applies every op in order; returns the first failure's status and index.
static int
s_apply_all (zown_registry_t *self, zown_call_t *call, size_t *failed_p)
{
    zown_decoded_t *decoded = &self->decoded;
    zown_buf_t *out = call->out;
    for (size_t index = 0; index < decoded->op_count; index++) {
        size_t result = zown_encode_result_begin (out);
        call->values = 0;
        call->message = NULL;
        int status = s_apply (self, &decoded->ops [index], call);
        if (status != ZOWN_OK) {
            *failed_p = index;
            return status;
        }
        zown_encode_result_end (out, result, ZOWN_OK, call->values);
    }
    if (out->failed) {
        //  The reply could not be built. A journaled request rolls back, so
        //  that the error the client sees matches the state; a lone op that
        //  was not journaled and changed something cannot be undone, so it
        //  gets no reply at all (its client times out: outcome unknown)
        //  rather than an error that would claim nothing happened.
        const zown_command_t *command = self->commands [decoded->ops [0].code];
        if (!call->journal && (command->flags & ZOWN_CMD_WRITE))
            return ZOWN_OK;
        out->failed = false;
        *failed_p = decoded->op_count - 1;
        call->message = "out of memory building the reply";
        return ZOWN_NO_MEMORY;
    }
    return ZOWN_OK;
}

void
zown_registry_reject (zown_registry_t *self, const void *frame, size_t size, const char *message,
                      zown_buf_t *out)
{
    self->stats.requests++;
    self->stats.malformed++;
    self->stats.errors++;
    s_reply_failure (out, zown_peek_id (frame, size), 1, 0, ZOWN_BAD_REQUEST, message);
}

void
zown_registry_execute (zown_registry_t *self, const void *request, size_t size, zown_buf_t *out)
{
    zown_decoded_t *decoded = &self->decoded;
    self->stats.requests++;
    int status = zown_decode_request (decoded, request, size, self->max_value);
    if (status != ZOWN_OK) {
        self->stats.malformed++;
        self->stats.errors++;
        s_reply_failure (out, decoded->id, 1, 0, status, decoded->error);
        return;
    }
    //  Every op is checked before any is applied: a batch with one bad op
    //  changes nothing.
    for (size_t index = 0; index < decoded->op_count; index++) {
        const char *message = NULL;
        const zown_op_view_t *op = &decoded->ops [index];
        status = s_check (self, op, s_argv (self, op), &message);
        if (status != ZOWN_OK) {
            self->stats.errors++;
            self->stats.batches_aborted += decoded->op_count > 1;
            s_reply_failure (out, decoded->id, decoded->op_count, index, status, message);
            return;
        }
    }
    out->size = 0;
    out->failed = false;
    zown_encode_reply_header (out, decoded->id);
    self->journaling = decoded->op_count > 1;
    zown_call_t call = { .registry = self, .out = out };
    size_t failed = 0;
    status = s_apply_all (self, &call, &failed);
    if (status == ZOWN_OK) {
        s_commit (self);
        self->stats.ops += decoded->op_count;
        zown_encode_reply_end (out, ZOWN_OK, (uint16_t) decoded->op_count);
        return;
    }
    s_rollback (self);
    self->stats.errors++;
    self->stats.batches_aborted += decoded->op_count > 1;
    if (decoded->op_count == 1 && !call.message) {
        //  A lone op may fail with values (CONFLICT reports the current one).
        zown_encode_result_end (out, ZOWN_REPLY_HEADER, (uint8_t) status, call.values);
        zown_encode_reply_end (out, (uint8_t) status, 1);
    } else
        s_reply_failure (out, decoded->id, decoded->op_count, failed, status, call.message);
}
