/*  =========================================================================
    dispatch - how one request is applied

    Decode, check every op against the command table (arity, argument
    types, name, key size) before any runs, apply them in order, then commit
    or roll everything back, and write the reply. Handlers see a
    zown_call_t and the helpers here.
    =========================================================================
*/
#include "zown_internal.h"
#include "owner/core.h"

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
zown_call_error (zown_call_t *call, int status, const char *message)
{
    call->message = message;
    return status;
}

uint64_t
zown_call_bump (zown_call_t *call)
{
    return ++call->object->version;
}

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
    const zown_command_t *command = &zown_commands [op->code];
    if (!command->handler) {
        *message = "unknown op code";
        return ZOWN_UNKNOWN_OP;
    }
    if ((command->flags & ZOWN_CMD_JOURNAL) && !self->replaying) {
        *message = "only a journal replay may send this op";
        return ZOWN_BAD_ARGS;
    }
    if ((command->flags & ZOWN_CMD_ALONE) && self->decoded.op_count > 1) {
        *message = "this op must be sent alone";
        return ZOWN_BAD_ARGS;
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
        //  A journal holds what was accepted once, when any negative waited
        //  forever: it is loaded as it is.
        if ((command->arg_types [position] & ZOWN_ARG_TIMEOUT) && argv [index].u.i < -1
            && !self->replaying) {
            *message = "timeout must be -1 (none), 0 or a number of ms";
            return ZOWN_BAD_ARGS;
        }
        //  Keys are byte strings (their commands' type masks say so).
        if ((command->flags & ZOWN_CMD_KEY) && position == 0 && !self->replaying
            && argv [index].u.b.len > self->limits.max_key) {
            self->stats.refused_key++;
            *message = self->refusals [ZOWN_REFUSAL_KEY];
            return ZOWN_TOO_LARGE;
        }
    }
    bool owner_op = (command->flags & ZOWN_CMD_OWNER) != 0;
    if (owner_op != (op->name [0] == 0)) {
        *message = owner_op ? "owner ops take an empty name" : "object name required";
        return ZOWN_BAD_ARGS;
    }
    return ZOWN_OK;
}

static void
s_restore_provisional (zown_object_t *object, void *saved)
{
    (void) saved;
    object->provisional = true;
}

//  An object created only so that its request could park is provisional:
//  it goes with its last waiter (parking.c), as if the op had not waited.
//  Another creating op that succeeds on it claims it for good.
static int
s_settle_creation (zown_call_t *call, const zown_command_t *command, bool created, int status)
{
    zown_object_t *object = call->object;
    if (!object)
        return status;
    if (status == ZOWN_PARK && created && object->version == 0)
        object->provisional = true;
    else if (status == ZOWN_OK && object->provisional && (command->flags & ZOWN_CMD_CREATE)
             && !call->parked) {
        if (zown_call_save (call, s_restore_provisional, NULL, NULL))
            return zown_call_error (call, ZOWN_NO_MEMORY, "out of memory");
        object->provisional = false;
    }
    return status;
}

//  Applies one checked op; appends its values to out.
static int
s_apply (zown_registry_t *self, const zown_op_view_t *op, zown_call_t *call)
{
    const zown_command_t *command = &zown_commands [op->code];
    const zown_type_def_t *type = command->type;
    zown_object_t *object = NULL;
    if (!(command->flags & ZOWN_CMD_OWNER)) {
        object = zown_registry_lookup (self, op->name);
        if (object && type != &zown_keyspace_type && object->type != type)
            return zown_call_error (call, ZOWN_WRONG_TYPE, "object is of another type");
    }
    if (self->memory_ahead && op->code != ZOWN_OP_PING && op->code != ZOWN_OP_STATS
        && op->code != ZOWN_OP_HELLO && op->code != ZOWN_OP_BYE)
        return zown_call_error (call, ZOWN_NOT_DURABLE, "a journal sync failed: restart the owner");
    if (self->not_durable && (command->flags & ZOWN_CMD_WRITE))
        return zown_call_error (call, ZOWN_NOT_DURABLE, "the journal failed: writes are refused");
    call->object = object;
    call->name = op->name;
    call->argv = s_argv (self, op);
    call->argc = op->argc;
    call->undo = self->undo_request || (command->flags & ZOWN_CMD_MULTI);
    call->op = op->code;
    call->described = false;
    uint64_t version = object ? object->version : 0;

    bool created = false;
    if (!object && (command->flags & ZOWN_CMD_CREATE)) {
        if (!self->replaying && zown_registry_size (self) >= self->limits.max_objects)
            return zown_limits_refuse (call, ZOWN_LIMIT, ZOWN_REFUSAL_OBJECTS,
                                       &self->stats.refused_objects);
        object = zown_object_new (self, op->name, type);
        if (!object || zown_registry_attach (self, object)) {
            zown_object_destroy (&object);
            return zown_call_error (call, ZOWN_NO_MEMORY, "out of memory");
        }
        created = true;
        call->object = object;
        if (zown_undo_created (call)) {
            zhashx_delete (self->objects, op->name);
            return zown_call_error (call, ZOWN_NO_MEMORY, "out of memory");
        }
    }
    int status = command->handler (call);
    if ((status == ZOWN_OK || status == ZOWN_PARK) && call->object && !call->described
        && call->object->version != version)
        zown_changes_record (self, call->object->name, ZOWN_CHANGE_OP, call->object->version,
                             op->code, call->argc, call->argv);
    if (status != ZOWN_OK && status != ZOWN_PARK && created && !call->undo)
        //  A failed op leaves no trace, not even an empty object; undoable
        //  calls are undone by the rollback instead.
        zhashx_delete (self->objects, op->name);
    else
        status = s_settle_creation (call, command, created, status);
    return status;
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
        //  The reply could not be built. An undoable request rolls back, so
        //  that the error the client sees matches the state; a lone op that
        //  was not undoable and changed something cannot be undone, so it
        //  gets no reply at all (its client times out: outcome unknown)
        //  rather than an error that would claim nothing happened.
        const zown_command_t *command = &zown_commands [decoded->ops [0].code];
        if (!call->undo && (command->flags & ZOWN_CMD_WRITE))
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
    zown_encode_failure (out, zown_peek_id (frame, size), 1, 0, ZOWN_BAD_REQUEST, message);
}

//  Returns -1 if the request's changes could not be made durable; its
//  undo records are kept for the rollback that follows.
static int
s_commit (zown_registry_t *self)
{
    if (zown_changes_commit (self))
        return -1;
    zown_undo_commit (self);
    return 0;
}

//  Whether every op of the request being applied saves undo records: a
//  batch applies all or nothing, and with a journal any write may have to
//  roll back (when its records cannot be written, nothing may read what it
//  changed). Otherwise nothing can roll back, so nothing is saved: a lone
//  op changes nothing unless it succeeds.
static bool
s_needs_undo (const zown_registry_t *self)
{
    return self->batch || self->persist;
}

int
zown_registry_run (zown_registry_t *self, zown_call_t *call)
{
    zown_decoded_t *decoded = &self->decoded;
    zown_buf_t *out = call->out;
    out->size = 0;
    out->failed = false;
    zown_encode_reply_header (out, decoded->id);
    self->batch = decoded->op_count > 1;
    self->undo_request = s_needs_undo (self);
    size_t wakes_before = zown_parking_wakes (self);
    size_t failed = 0;
    int status = s_apply_all (self, call, &failed);
    if ((status == ZOWN_OK || status == ZOWN_PARK) && s_commit (self)) {
        //  Applied, but not on disk: undone below, and not acknowledged.
        status = ZOWN_NOT_DURABLE;
        failed = 0;
        call->message = "the journal failed: this change is not durable";
        out->size = 0;
        out->failed = false;
        zown_encode_reply_header (out, decoded->id);
    } else if (status == ZOWN_OK || status == ZOWN_PARK) {
        if (status == ZOWN_OK) {
            self->stats.ops += decoded->op_count;
            zown_encode_reply_end (out, ZOWN_OK, (uint16_t) decoded->op_count);
        }
        return status;
    }
    zown_changes_discard (self);
    zown_undo_rollback (self);
    //  A request that rolls back wakes nobody: forget the wakes it queued.
    zown_parking_forget_wakes (self, wakes_before);
    self->stats.errors++;
    self->stats.batches_aborted += decoded->op_count > 1;
    if (decoded->op_count == 1 && !call->message) {
        //  A lone op may fail with values (CONFLICT reports the current one).
        zown_encode_result_end (out, ZOWN_REPLY_HEADER, (uint8_t) status, call->values);
        zown_encode_reply_end (out, (uint8_t) status, 1);
    } else
        zown_encode_failure (out, decoded->id, decoded->op_count, failed, status, call->message);
    return status;
}

//  Independent ops (docs/PROTOCOL.md 3.2): each op is checked, applied and
//  committed as a request of its own that cannot wait (no frame to park),
//  its reply's one result copied into the message's reply. Overall status:
//  the first failure's, else OK.
static void
s_run_independent (zown_registry_t *self, const zown_peer_t *peer, zown_buf_t *out)
{
    zown_decoded_t *decoded = &self->decoded;
    zown_op_view_t *ops = decoded->ops;
    size_t op_count = decoded->op_count;
    zown_buf_t *one = &self->op_out;
    out->size = 0;
    out->failed = false;
    zown_encode_reply_header (out, decoded->id);
    int first = ZOWN_OK;
    decoded->op_count = 1;
    for (size_t index = 0; index < op_count; index++) {
        decoded->ops = &ops [index];
        const char *message = NULL;
        int status = s_check (self, decoded->ops, s_argv (self, decoded->ops), &message);
        if (status != ZOWN_OK) {
            self->stats.errors++;
            zown_encode_failure (one, decoded->id, 1, 0, status, message);
        } else {
            zown_call_t call = { .registry = self, .out = one, .peer = peer };
            status = zown_registry_run (self, &call);
        }
        if (first == ZOWN_OK)
            first = status;
        if (one->failed || one->size < ZOWN_REPLY_HEADER)
            out->failed = true;
        else
            zown_buf_put_mem (out, one->data + ZOWN_REPLY_HEADER, one->size - ZOWN_REPLY_HEADER);
    }
    decoded->ops = ops;
    decoded->op_count = op_count;
    zown_encode_reply_end (out, (uint8_t) first, (uint16_t) op_count);
}

bool
zown_registry_execute_from (zown_registry_t *self, const zown_peer_t *peer, const void *request,
                            size_t size, zown_buf_t *out)
{
    zown_decoded_t *decoded = &self->decoded;
    self->stats.requests++;
    if (size > self->limits.max_message && !self->replaying) {
        //  Not even decoded: its id is all that is read.
        self->stats.refused_message++;
        self->stats.errors++;
        zown_encode_failure (out, zown_peek_id (request, size), 1, 0, ZOWN_TOO_LARGE,
                             self->refusals [ZOWN_REFUSAL_MESSAGE]);
        return true;
    }
    int status = zown_decode_request (decoded, request, size,
                                      self->replaying ? SIZE_MAX : self->limits.max_value);
    if (status != ZOWN_OK) {
        //  A value over the limit is well formed, only refused.
        bool too_large = status == ZOWN_TOO_LARGE;
        self->stats.malformed += !too_large;
        self->stats.refused_value += too_large;
        self->stats.errors++;
        zown_encode_failure (out, decoded->id, 1, 0, status,
                             too_large ? self->refusals [ZOWN_REFUSAL_VALUE] : decoded->error);
        return true;
    }
    if (decoded->independent) {
        s_run_independent (self, peer, out);
        zown_registry_run_wakes (self);
        return true;
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
            zown_encode_failure (out, decoded->id, decoded->op_count, index, status, message);
            return true;
        }
    }
    self->frame = request;
    self->frame_size = size;
    zown_call_t call = { .registry = self, .out = out, .peer = peer };
    status = zown_registry_run (self, &call);
    self->frame = NULL;
    zown_registry_run_wakes (self);
    return status != ZOWN_PARK;
}

void
zown_registry_execute (zown_registry_t *self, const void *request, size_t size, zown_buf_t *out)
{
    zown_registry_execute_from (self, NULL, request, size, out);
}
