/*  =========================================================================
    registry - the owner's objects, its command table, and how one request
    is applied: decode, check every op against the table, apply them in
    order (journaling undo records when the request is a batch), and either
    commit or roll everything back. Blocking ops park their request here
    and are retried when their object changes, or expire at a deadline.
    =========================================================================
*/
#include "zown_internal.h"
#include <limits.h>
#include <time.h>

//  Error messages naming each limit and its value, written when the limits
//  are set, so that a refusal allocates nothing.
enum { S_MESSAGE, S_KEY, S_VALUE, S_OBJECTS, S_ITEMS, S_PARKED_CLIENT, S_PARKED, S_REFUSALS };
#define S_REFUSAL_SIZE 80

//  One undo record of a batch in progress.
typedef struct {
    zown_object_t *object;     //  Object changed
    uint64_t version;          //  Its version before the change
    zown_restore_fn *restore;  //  Puts `saved` back (NULL: version only)
    zown_discard_fn *discard;  //  Frees `saved` at commit
    void *saved;               //  Type-specific saved state
} s_undo_t;

//  A parked request: everything needed to run it again or answer it.
typedef struct {
    zown_object_t *object;  //  Whose change may let it complete
    void *in_object;        //  Its handle in object->waiters
    void *in_deadlines;     //  Its handle in deadlines; NULL: no deadline
    int64_t deadline;       //  Monotonic ms; -1 for none
    uint8_t *frame;         //  The request, as received
    size_t frame_size;
    uint8_t identity [256];  //  Where the reply goes
    size_t identity_size;
    bool envelope;
    zown_session_t *session;  //  Its client's session, if it has one
    void *in_session;         //  Its handle in session->parked
} s_parked_t;

struct _zown_registry_t {
    zhashx_t *objects;  //  name -> zown_object_t
    //  Each type's lowest op code, which names the type in a snapshot
    const zown_type_def_t *types [ZOWN_TYPES_MAX];
    uint8_t type_ops [ZOWN_TYPES_MAX];
    zown_decoded_t decoded;  //  Reused decoding arrays
    s_undo_t *undo;          //  Undo journal of the current batch
    size_t undo_count;
    size_t undo_capacity;
    bool journaling;                             //  Journal the op being applied
    zown_limits_t limits;                        //  Resolved: no zero field
    char refusals [S_REFUSALS][S_REFUSAL_SIZE];  //  Their error messages
    zown_stats_t stats;                          //  Counters for STATS
    const void *frame;                           //  Request being executed, for parking
    size_t frame_size;
    zlistx_t *deadlines;  //  Parked requests with a deadline, soonest first
    zlistx_t *to_wake;    //  Objects whose waiters to retry after commit
    zown_buf_t wake_out;  //  Replies to parked requests
    zown_send_fn *send;   //  Sends them
    void *send_arg;
    bool waking;               //  Retrying parked requests now
    zhashx_t *sessions;        //  Identity (hex) -> zown_session_t
    zown_session_t **watched;  //  Sessions with a pidfd, for the owner's poll
    size_t watched_capacity;
    uint64_t watch_generation;  //  Bumped when that set changes
    s_parked_t **snapshot;      //  Waiters of the object being woken
    size_t snapshot_capacity;
    bool closing;  //  Destroying: parked requests get no reply
    //  Changes (the feed and the journal)
    zown_buf_t changes;   //  Records of the request being applied, journal form, seq unset
    size_t change_count;  //  Changes of the request being applied
    uint64_t seq;         //  Sequence number of the last committed change
    bool feed_active;     //  Someone subscribes to the feed
    zown_publish_fn *publish;
    void *publish_arg;
    zown_persist_fn *persist;
    void *persist_arg;
    zown_buf_t durable;  //  Records of one commit for the journal
    bool not_durable;    //  The journal failed: writes are refused
    bool replaying;      //  Applying a journal: record nothing
};

static void s_parked_answer (zown_registry_t *self, s_parked_t *parked, int status,
                             const char *message);

//  --------------------------------------------------------------------------
//  Objects

void
zown_object_destroy (zown_object_t **object_p)
{
    if (object_p && *object_p) {
        zown_object_t *object = *object_p;
        if (object->waiters) {
            //  Whoever waits on a dropped object is told so at once.
            s_parked_t *parked;
            while ((parked = (s_parked_t *) zlistx_first (object->waiters)))
                s_parked_answer (object->registry, parked, ZOWN_NOT_FOUND, "object dropped");
            zlistx_destroy (&object->waiters);
        }
        if (object->wake_pending) {
            void *handle = zlistx_find (object->registry->to_wake, object);
            if (handle)
                zlistx_delete (object->registry->to_wake, handle);
        }
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
s_object_new (zown_registry_t *registry, const char *name, const zown_type_def_t *type)
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

static int
s_deadline_compare (const void *item1, const void *item2)
{
    int64_t a = ((const s_parked_t *) item1)->deadline;
    int64_t b = ((const s_parked_t *) item2)->deadline;
    return a < b ? -1 : a > b;
}

//  The lowest op code of a type, which names it in a snapshot; the first
//  call for a type (from zown_registry_new, in code order) records it.
static uint8_t
s_type_op (zown_registry_t *self, const zown_type_def_t *type, uint8_t code)
{
    size_t index = 0;
    while (index < ZOWN_TYPES_MAX && self->types [index] && self->types [index] != type)
        index++;
    if (type && index < ZOWN_TYPES_MAX && !self->types [index]) {
        self->types [index] = type;
        self->type_ops [index] = code;
    }
    return index < ZOWN_TYPES_MAX ? self->type_ops [index] : 0;
}

zown_registry_t *
zown_registry_new (void)
{
    zown_registry_t *self = (zown_registry_t *) calloc (1, sizeof (zown_registry_t));
    if (!self)
        return NULL;
    self->objects = zhashx_new ();
    self->deadlines = zlistx_new ();
    self->to_wake = zlistx_new ();
    self->sessions = zhashx_new ();
    if (!self->objects || !self->deadlines || !self->to_wake || !self->sessions) {
        zown_registry_destroy (&self);
        return NULL;
    }
    zhashx_set_destructor (self->objects, s_object_free);
    zlistx_set_comparator (self->deadlines, s_deadline_compare);
    zhashx_set_destructor (self->sessions, zown_session_free);
    zown_buf_init (&self->wake_out);
    zown_buf_init (&self->changes);
    zown_buf_init (&self->durable);
    zown_limits_t defaults = { 0 };
    zown_limits_resolve (&defaults);
    zown_registry_set_limits (self, &defaults);
    zown_decoded_init (&self->decoded);
    for (int code = 0; code < 256; code++)
        s_type_op (self, zown_commands [code].type, (uint8_t) code);
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
        zhashx_destroy (&self->sessions);
        free (self->watched);
        zlistx_destroy (&self->deadlines);
        zlistx_destroy (&self->to_wake);
        zown_decoded_free (&self->decoded);
        zown_buf_free (&self->wake_out);
        zown_buf_free (&self->changes);
        zown_buf_free (&self->durable);
        free (self->snapshot);
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

int
zown_limits_resolve (zown_limits_t *limits)
{
    const struct {
        size_t *field;
        size_t fallback;
    } fields [] = {
        { &limits->max_message, ZOWN_LIMIT_MESSAGE_DEFAULT },
        { &limits->max_key, ZOWN_LIMIT_KEY_DEFAULT },
        { &limits->max_value, ZOWN_LIMIT_VALUE_DEFAULT },
        { &limits->max_objects, ZOWN_LIMIT_OBJECTS_DEFAULT },
        { &limits->max_items, ZOWN_LIMIT_ITEMS_DEFAULT },
        { &limits->max_parked_client, ZOWN_LIMIT_PARKED_CLIENT_DEFAULT },
        { &limits->max_parked, ZOWN_LIMIT_PARKED_DEFAULT },
        { &limits->max_inflight, ZOWN_LIMIT_INFLIGHT_DEFAULT },
    };
    for (size_t index = 0; index < sizeof (fields) / sizeof (fields [0]); index++)
        if (*fields [index].field == 0)
            *fields [index].field = fields [index].fallback;
    //  max_inflight becomes the ROUTER's high-water marks, which are ints.
    return limits->max_message < ZOWN_LIMIT_MESSAGE_MIN
            || limits->max_message > ZOWN_LIMIT_MESSAGE_MAX
            || limits->max_value < ZOWN_LIMIT_VALUE_MIN
            || limits->max_inflight < ZOWN_LIMIT_INFLIGHT_MIN || limits->max_inflight > INT_MAX
        ? ZOWN_INVALID
        : ZOWN_OK;
}

void
zown_registry_set_limits (zown_registry_t *self, const zown_limits_t *limits)
{
    self->limits = *limits;
    const struct {
        const char *format;
        size_t value;
    } refusals [S_REFUSALS] = {
        [S_MESSAGE] = { "request over max_message (%zu bytes)", limits->max_message },
        [S_KEY] = { "key over max_key (%zu bytes)", limits->max_key },
        [S_VALUE] = { "value over max_value (%zu bytes)", limits->max_value },
        [S_OBJECTS] = { "objects at max_objects (%zu)", limits->max_objects },
        [S_ITEMS] = { "items at max_items (%zu)", limits->max_items },
        [S_PARKED_CLIENT] = { "parked requests of this client at max_parked_client (%zu)",
                              limits->max_parked_client },
        [S_PARKED] = { "parked requests at max_parked (%zu)", limits->max_parked },
    };
    for (size_t index = 0; index < S_REFUSALS; index++)
        snprintf (self->refusals [index], S_REFUSAL_SIZE, refusals [index].format,
                  refusals [index].value);
}

//  Fail the call with a limit's status and message, and count it once.
static int
s_refuse (zown_call_t *call, int status, int refusal, uint64_t *counter)
{
    (*counter)++;
    return zown_call_fail (call, status, call->registry->refusals [refusal]);
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
zown_call_room (zown_call_t *call, size_t have, size_t adding)
{
    zown_registry_t *self = call->registry;
    size_t most = self->limits.max_items;
    if (self->replaying || (have <= most && adding <= most - have))
        return ZOWN_OK;
    return s_refuse (call, ZOWN_LIMIT, S_ITEMS, &self->stats.refused_items);
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

static int s_changes_commit (zown_registry_t *self);

//  Returns -1 if the request's changes could not be made durable.
static int
s_commit (zown_registry_t *self)
{
    for (size_t index = 0; index < self->undo_count; index++)
        if (self->undo [index].discard)
            self->undo [index].discard (self->undo [index].saved);
    self->undo_count = 0;
    return s_changes_commit (self);
}

static void
s_rollback (zown_registry_t *self)
{
    self->changes.size = 0;
    self->changes.failed = false;
    self->change_count = 0;
    while (self->undo_count) {
        s_undo_t *record = &self->undo [--self->undo_count];
        if (record->object && record->restore != s_restore_created)
            record->object->version = record->version;
        if (record->restore)
            record->restore (record->object, record->saved);
    }
}

//  --------------------------------------------------------------------------
//  Changes: what the feed publishes and the journal keeps

//  Record one change of the request being applied (journal form, its seq
//  set at commit). Only counted when nobody wants the records; a MARK,
//  which takes no seq, not even that.
static void
s_record (zown_registry_t *self, const char *name, uint8_t kind, uint64_t version, uint8_t op,
          size_t count, const zown_datum_t *values)
{
    if (self->replaying)
        return;
    if (!self->feed_active && !self->persist) {
        self->change_count += kind != ZOWN_CHANGE_MARK;
        return;
    }
    self->change_count++;
    zown_buf_t *buf = &self->changes;
    size_t name_size = strlen (name);
    zown_buf_put_u8 (buf, (uint8_t) name_size);
    zown_buf_put_mem (buf, name, name_size);
    zown_buf_put_u8 (buf, kind);
    zown_buf_put_u64 (buf, 0);
    zown_buf_put_u64 (buf, version);
    zown_buf_put_u8 (buf, op);
    zown_buf_put_u16 (buf, (uint16_t) count);
    size_t size_at = buf->size;
    zown_buf_put_u32 (buf, 0);
    for (size_t index = 0; index < count; index++)
        zown_buf_put_datum (buf, values [index]);
    if (!buf->failed)
        zown_buf_patch_u32 (buf, size_at, (uint32_t) (buf->size - size_at - 4));
}

void
zown_call_changed (zown_call_t *call, uint8_t kind, const zown_datum_t *key,
                   const zown_datum_t *value)
{
    zown_datum_t values [2];
    size_t count = 0;
    if (key)
        values [count++] = *key;
    if (value)
        values [count++] = *value;
    call->described = true;
    s_record (call->registry, call->object ? call->object->name : "", kind,
              call->object ? call->object->version : 0, call->op, count, values);
}

//  Give each change of the committed request its sequence number, publish
//  it, and hand the durable ones to the journal. -1 if the journal failed.
static int
s_changes_commit (zown_registry_t *self)
{
    if (!self->change_count)
        return 0;
    zown_buf_t *buf = &self->changes;
    if (!self->feed_active && !self->persist) {
        self->seq += self->change_count;
        self->change_count = 0;
        return 0;
    }
    self->change_count = 0;
    if (buf->failed) {
        //  Out of memory recording them: the journal cannot have them.
        buf->failed = false;
        buf->size = 0;
        return self->persist ? -1 : 0;
    }
    zown_buf_t *durable = &self->durable;
    durable->size = 0;
    zown_reader_t reader;
    zown_reader_init (&reader, buf->data, buf->size);
    zown_change_t change;
    while (reader.pos < reader.end) {
        size_t offset = (size_t) (reader.pos - buf->data);
        if (zown_decode_change (&reader, &change))
            break;
        size_t size = (size_t) (reader.pos - buf->data) - offset;
        if (change.kind != ZOWN_CHANGE_MARK)
            change.seq = ++self->seq;
        else
            change.seq = self->seq;
        zown_buf_patch_u64 (buf, offset + 1 + change.name_size + 1, change.seq);
        if (self->feed_active && self->publish)
            self->publish (self->publish_arg, &change);
        const zown_type_def_t *type = zown_commands [change.op].type;
        if (self->persist && change.kind != ZOWN_CHANGE_MARK && type && !type->ephemeral)
            zown_buf_put_mem (durable, buf->data + offset, size);
    }
    buf->size = 0;
    if (!self->persist || !durable->size)
        return 0;
    if (durable->failed
        || self->persist (self->persist_arg, self->seq, durable->data, durable->size)) {
        durable->failed = false;
        self->not_durable = true;
        return -1;
    }
    return 0;
}

void
zown_registry_set_publish (zown_registry_t *self, zown_publish_fn *publish, void *arg)
{
    self->publish = publish;
    self->publish_arg = arg;
}

void
zown_registry_set_feed_active (zown_registry_t *self, bool active)
{
    self->feed_active = active;
}

void
zown_registry_set_persist (zown_registry_t *self, zown_persist_fn *persist, void *arg)
{
    self->persist = persist;
    self->persist_arg = arg;
}

void
zown_registry_refuse_writes (zown_registry_t *self)
{
    self->not_durable = true;
}

uint64_t
zown_registry_seq (zown_registry_t *self)
{
    return self->seq;
}

//  The object a replayed record is about, made if it does not exist yet.
static zown_object_t *
s_replay_object (zown_registry_t *self, const char *name, const zown_type_def_t *type)
{
    zown_object_t *object = zown_registry_lookup (self, name);
    if (object)
        return object->type == type ? object : NULL;
    object = s_object_new (self, name, type);
    if (object && zown_registry_attach (self, object))
        zown_object_destroy (&object);
    return object;
}

//  Run an OP record again as a one-op request.
static int
s_replay_op (zown_registry_t *self, const char *name, const zown_change_t *change)
{
    zown_buf_t request, reply;
    zown_buf_init (&request);
    zown_buf_init (&reply);
    zown_encode_request_header (&request);
    zown_encode_op (&request, change->op, name, strlen (name), change->count);
    zown_buf_put_mem (&request, change->values, change->values_size);
    zown_buf_patch_u16 (&request, ZOWN_REQUEST_HEADER - 2, 1);
    int rc = -1;
    if (!request.failed) {
        zown_registry_execute (self, request.data, request.size, &reply);
        rc = !reply.failed && reply.size >= ZOWN_REPLY_HEADER
                && reply.data [ZOWN_REPLY_HEADER - 3] == ZOWN_OK
            ? 0
            : -1;
    }
    zown_buf_free (&request);
    zown_buf_free (&reply);
    return rc;
}

static int
s_replay_one (zown_registry_t *self, const zown_change_t *change)
{
    char name [ZOWN_OBJECT_NAME_MAX + 1];
    memcpy (name, change->name, change->name_size);
    name [change->name_size] = 0;
    if (change->seq > self->seq)
        self->seq = change->seq;
    if (change->kind == ZOWN_CHANGE_DROP) {
        zhashx_delete (self->objects, name);
        return 0;
    }
    const zown_type_def_t *type = zown_commands [change->op].type;
    if (!type || type == &zown_keyspace_type)
        return -1;
    zown_datum_t values [2] = { { 0 } };
    zown_reader_t reader;
    zown_reader_init (&reader, change->values, change->values_size);
    if (change->kind != ZOWN_CHANGE_OP)
        for (size_t index = 0; index < change->count; index++)
            if (index >= 2 || zown_reader_datum (&reader, &values [index]))
                return -1;
    zown_object_t *object = NULL;
    if (change->kind == ZOWN_CHANGE_OP) {
        if (s_replay_op (self, name, change))
            return -1;
        object = zown_registry_lookup (self, name);
    } else {
        object = s_replay_object (self, name, type);
        if (!object)
            return -1;
        if (change->kind != ZOWN_CHANGE_VERSION
            && (!type->replay
                || type->replay (object, change->kind, change->count > 0 ? &values [0] : NULL,
                                 change->count > 1 ? &values [1] : NULL, change->version)))
            return -1;
    }
    if (object)
        object->version = change->version;
    return 0;
}

int
zown_registry_replay (zown_registry_t *self, const void *records, size_t size)
{
    zown_reader_t reader;
    zown_reader_init (&reader, records, size);
    self->replaying = true;
    int rc = 0;
    zown_change_t change;
    while (rc == 0 && reader.pos < reader.end)
        rc = zown_decode_change (&reader, &change) || s_replay_one (self, &change) ? -1 : 0;
    self->replaying = false;
    return rc;
}

struct _zown_dump_t {
    zown_object_t *object;
    zown_buf_t record;
    zown_emit_fn *emit;
    void *arg;
    uint64_t seq;
};

int
zown_dump_change (zown_dump_t *dump, uint8_t kind, uint8_t op, size_t count,
                  const zown_datum_t *values, uint64_t version)
{
    zown_buf_t values_buf;
    zown_buf_init (&values_buf);
    for (size_t index = 0; index < count; index++)
        zown_buf_put_datum (&values_buf, values [index]);
    zown_change_t change = { .name = dump->object->name,
                             .name_size = strlen (dump->object->name),
                             .kind = kind,
                             .seq = dump->seq,
                             .version = version,
                             .op = op,
                             .values = values_buf.data,
                             .values_size = values_buf.size,
                             .count = (uint16_t) count };
    dump->record.size = 0;
    zown_encode_change (&dump->record, &change);
    int rc = values_buf.failed || dump->record.failed || count > UINT16_MAX
        ? -1
        : dump->emit (dump->arg, dump->record.data, dump->record.size);
    zown_buf_free (&values_buf);
    return rc;
}

int
zown_registry_dump (zown_registry_t *self, zown_emit_fn *emit, void *arg)
{
    zown_dump_t dump = { .emit = emit, .arg = arg, .seq = self->seq };
    zown_buf_init (&dump.record);
    int rc = 0;
    for (zown_object_t *object = zhashx_first (self->objects); object && rc == 0;
         object = zhashx_next (self->objects)) {
        if (object->type->ephemeral || !object->type->dump)
            continue;
        dump.object = object;
        //  The version comes last: replaying the contents bumps it.
        rc = object->type->dump (object, &dump)
            || zown_dump_change (&dump, ZOWN_CHANGE_VERSION, s_type_op (self, object->type, 0), 0,
                                 NULL, object->version);
    }
    zown_buf_free (&dump.record);
    return rc;
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
    const zown_command_t *command = &zown_commands [op->code];
    if (!command->handler) {
        *message = "unknown op code";
        return ZOWN_UNKNOWN_OP;
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
        //  Keys are byte strings (their commands' type masks say so).
        if ((command->flags & ZOWN_CMD_KEY) && position == 0 && !self->replaying
            && argv [index].u.b.len > self->limits.max_key) {
            self->stats.refused_key++;
            *message = self->refusals [S_KEY];
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
            return zown_call_fail (call, ZOWN_WRONG_TYPE, "object is of another type");
    }
    if (self->not_durable && (command->flags & ZOWN_CMD_WRITE))
        return zown_call_fail (call, ZOWN_NOT_DURABLE, "the journal failed: writes are refused");
    call->object = object;
    call->name = op->name;
    call->argv = s_argv (self, op);
    call->argc = op->argc;
    call->journal = self->journaling || (command->flags & ZOWN_CMD_MULTI);
    call->op = op->code;
    call->described = false;
    uint64_t version = object ? object->version : 0;

    bool created = false;
    if (!object && (command->flags & ZOWN_CMD_CREATE)) {
        if (!self->replaying && zown_registry_size (self) >= self->limits.max_objects)
            return s_refuse (call, ZOWN_LIMIT, S_OBJECTS, &self->stats.refused_objects);
        object = s_object_new (self, op->name, type);
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
    if ((status == ZOWN_OK || status == ZOWN_PARK) && call->object && !call->described
        && call->object->version != version)
        s_record (self, call->object->name, ZOWN_CHANGE_OP, call->object->version, op->code,
                  call->argc, call->argv);
    if (status != ZOWN_OK && status != ZOWN_PARK && created && !call->journal)
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
        const zown_command_t *command = &zown_commands [decoded->ops [0].code];
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

//  Applies the decoded request (checked) and writes its reply into out.
//  Returns its status; ZOWN_PARK when its one op was parked (no reply).
static int
s_run (zown_registry_t *self, zown_call_t *call)
{
    zown_decoded_t *decoded = &self->decoded;
    zown_buf_t *out = call->out;
    out->size = 0;
    out->failed = false;
    zown_encode_reply_header (out, decoded->id);
    self->journaling = decoded->op_count > 1;
    size_t wakes_before = zlistx_size (self->to_wake);
    size_t failed = 0;
    int status = s_apply_all (self, call, &failed);
    if ((status == ZOWN_OK || status == ZOWN_PARK) && s_commit (self)) {
        //  Applied, but not on disk: not acknowledged.
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
    s_rollback (self);
    //  A request that rolls back wakes nobody: forget the wakes it queued.
    while (zlistx_size (self->to_wake) > wakes_before) {
        zlistx_last (self->to_wake);
        zown_object_t *object =
            (zown_object_t *) zlistx_detach (self->to_wake, zlistx_cursor (self->to_wake));
        object->wake_pending = false;
    }
    self->stats.errors++;
    self->stats.batches_aborted += decoded->op_count > 1;
    if (decoded->op_count == 1 && !call->message) {
        //  A lone op may fail with values (CONFLICT reports the current one).
        zown_encode_result_end (out, ZOWN_REPLY_HEADER, (uint8_t) status, call->values);
        zown_encode_reply_end (out, (uint8_t) status, 1);
    } else
        s_reply_failure (out, decoded->id, decoded->op_count, failed, status, call->message);
    return status;
}

static void s_run_wakes (zown_registry_t *self);

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
        s_reply_failure (out, zown_peek_id (request, size), 1, 0, ZOWN_TOO_LARGE,
                         self->refusals [S_MESSAGE]);
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
        s_reply_failure (out, decoded->id, 1, 0, status,
                         too_large ? self->refusals [S_VALUE] : decoded->error);
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
            s_reply_failure (out, decoded->id, decoded->op_count, index, status, message);
            return true;
        }
    }
    self->frame = request;
    self->frame_size = size;
    zown_call_t call = { .registry = self, .out = out, .peer = peer };
    status = s_run (self, &call);
    self->frame = NULL;
    s_run_wakes (self);
    return status != ZOWN_PARK;
}

void
zown_registry_execute (zown_registry_t *self, const void *request, size_t size, zown_buf_t *out)
{
    zown_registry_execute_from (self, NULL, request, size, out);
}

//  --------------------------------------------------------------------------
//  Parked requests

void
zown_registry_set_sender (zown_registry_t *self, zown_send_fn *send, void *arg)
{
    self->send = send;
    self->send_arg = arg;
}

int
zown_call_park (zown_call_t *call, int64_t timeout_ms)
{
    zown_registry_t *self = call->registry;
    if (call->parked)
        return ZOWN_PARK;  //  A retry that still cannot complete keeps its place.
    if (timeout_ms == 0 || !call->peer || self->journaling || !self->frame)
        return zown_call_fail (call, ZOWN_TIMEOUT, "would block");
    if (call->peer->identity_size > sizeof (((s_parked_t *) 0)->identity))
        return zown_call_fail (call, ZOWN_BAD_REQUEST, "identity too long");
    //  Every parked request belongs to a session, so that its client's
    //  share is counted even if it never said HELLO.
    zown_session_t *session = zown_call_session (call);
    if (!session)
        return zown_call_fail (call, ZOWN_NO_MEMORY, "out of memory");
    if (zlistx_size (session->parked) >= self->limits.max_parked_client)
        return s_refuse (call, ZOWN_LIMIT, S_PARKED_CLIENT, &self->stats.refused_parked);
    if (self->stats.parked >= self->limits.max_parked)
        return s_refuse (call, ZOWN_LIMIT, S_PARKED, &self->stats.refused_parked);
    s_parked_t *parked = (s_parked_t *) calloc (1, sizeof (s_parked_t));
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
        return zown_call_fail (call, ZOWN_NO_MEMORY, "out of memory");
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

//  Take a parked request off every list and free it.
static void
s_parked_forget (zown_registry_t *self, s_parked_t *parked)
{
    zlistx_delete (parked->object->waiters, parked->in_object);
    if (parked->in_deadlines)
        zlistx_delete (self->deadlines, parked->in_deadlines);
    if (parked->in_session)
        zlistx_delete (parked->session->parked, parked->in_session);
    free (parked->frame);
    free (parked);
    self->stats.parked--;
}

//  Send a reply to a parked request's client and forget the request.
static void
s_parked_send (zown_registry_t *self, s_parked_t *parked, const zown_buf_t *reply)
{
    if (self->send && !self->closing && !reply->failed) {
        zown_peer_t peer = { parked->identity, parked->identity_size, parked->envelope, -1 };
        self->send (&peer, reply->data, reply->size, self->send_arg);
    }
    s_parked_forget (self, parked);
}

//  Answer a parked request with an error and forget it. The line it leaves
//  may now move (a smaller request behind it may fit): its object is woken.
static void
s_parked_answer (zown_registry_t *self, s_parked_t *parked, int status, const char *message)
{
    zown_object_wake (parked->object);
    self->stats.errors++;
    s_reply_failure (&self->wake_out, zown_peek_id (parked->frame, parked->frame_size), 1, 0,
                     status, message);
    s_parked_send (self, parked, &self->wake_out);
}

//  Run a parked request again; it stays parked, or is answered.
static void
s_retry (zown_registry_t *self, s_parked_t *parked)
{
    //  The frame was decoded and checked when it was parked.
    zown_decode_request (&self->decoded, parked->frame, parked->frame_size, SIZE_MAX);
    zown_peer_t peer = { parked->identity, parked->identity_size, parked->envelope, -1 };
    zown_call_t call = {
        .registry = self, .out = &self->wake_out, .peer = &peer, .parked = parked
    };
    if (s_run (self, &call) != ZOWN_PARK)
        s_parked_send (self, parked, &self->wake_out);
}

//  Retry the waiters of every object changed by committed requests, oldest
//  first. A retry only ever removes itself, so a snapshot of the waiters
//  stays valid while they run. A retry that completes may change objects in
//  turn: they queue up behind.
static void
s_run_wakes (zown_registry_t *self)
{
    if (self->waking)
        return;
    self->waking = true;
    zown_object_t *object;
    while ((object = (zown_object_t *) zlistx_detach (self->to_wake, NULL))) {
        object->wake_pending = false;
        size_t count = zlistx_size (object->waiters);
        if (zown_grow ((void **) &self->snapshot, &self->snapshot_capacity, count,
                       sizeof (s_parked_t *)))
            continue;  //  Out of memory: they wait for the next change or time out.
        size_t index = 0;
        for (s_parked_t *parked = (s_parked_t *) zlistx_first (object->waiters); parked;
             parked = (s_parked_t *) zlistx_next (object->waiters))
            self->snapshot [index++] = parked;
        for (index = 0; index < count; index++)
            s_retry (self, self->snapshot [index]);
    }
    self->waking = false;
}

int
zown_registry_next_timeout (zown_registry_t *self)
{
    s_parked_t *first = (s_parked_t *) zlistx_first (self->deadlines);
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
    s_parked_t *first;
    while ((first = (s_parked_t *) zlistx_first (self->deadlines)) && first->deadline <= now)
        s_parked_answer (self, first, ZOWN_TIMEOUT, "timed out waiting");
    s_run_wakes (self);
}

void
zown_registry_run_wakes (zown_registry_t *self)
{
    s_run_wakes (self);
}

//  --------------------------------------------------------------------------
//  Sessions: what the registry keeps for runtime/session.c

zhashx_t *
zown_registry_sessions (zown_registry_t *self)
{
    return self->sessions;
}

zown_session_t *
zown_call_session (zown_call_t *call)
{
    if (!call->peer)
        return NULL;
    return zown_session_ensure (call->registry, call->peer);
}

void *
zown_call_hold (zown_call_t *call, zown_session_t *session)
{
    return zlistx_add_end (session->held, call->object);
}

void
zown_session_unhold (zown_session_t *session, void *handle)
{
    zlistx_delete (session->held, handle);
}

void
zown_registry_drop_parked (zown_registry_t *self, zown_session_t *session)
{
    s_parked_t *parked;
    while ((parked = (s_parked_t *) zlistx_first (session->parked))) {
        zown_object_wake (parked->object);
        s_parked_forget (self, parked);
    }
}

void
zown_registry_watch_changed (zown_registry_t *self)
{
    self->watch_generation++;
}

uint64_t
zown_registry_watch_generation (zown_registry_t *self)
{
    return self->watch_generation;
}

size_t
zown_registry_watched (zown_registry_t *self, zown_session_t ***sessions_p)
{
    size_t count = 0;
    for (zown_session_t *session = (zown_session_t *) zhashx_first (self->sessions); session;
         session = (zown_session_t *) zhashx_next (self->sessions))
        if (session->pidfd >= 0
            && zown_grow ((void **) &self->watched, &self->watched_capacity, count + 1,
                          sizeof (zown_session_t *))
                == 0)
            self->watched [count++] = session;
    *sessions_p = self->watched;
    return count;
}

zown_object_t *
zown_call_parked_on (zown_call_t *call)
{
    return call->parked ? ((s_parked_t *) call->parked)->object : NULL;
}

int
zown_call_repark (zown_call_t *call, zown_object_t *object)
{
    s_parked_t *parked = (s_parked_t *) call->parked;
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
