/*  =========================================================================
    replay - loading change records from a journal, and dumping objects as records
    =========================================================================
*/
#include "zown_internal.h"
#include "owner/core.h"

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
    zown_encode_request_end (&request, 0, 1);
    int rc = -1;
    if (!request.failed) {
        zown_registry_execute (self, request.data, request.size, &reply);
        zown_reader_t reader;
        zown_reader_init (&reader, reply.data, reply.size);
        uint64_t id;
        uint8_t status;
        uint16_t results;
        rc = !reply.failed && zown_decode_reply_header (&reader, &id, &status, &results) == 0
                && status == ZOWN_OK
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
        object = zown_registry_ensure (self, name, type);
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
    while (rc == 0 && reader.pos < reader.end) {
        rc = zown_decode_change (&reader, &change);
        //  The records are the feed's: MORE marks where a commit goes on.
        change.kind &= (uint8_t) ~ZOWN_CHANGE_MORE;
        rc = rc || s_replay_one (self, &change) ? -1 : 0;
    }
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
        //  A provisional object never changed: it is not in the journal either.
        if (object->type->ephemeral || !object->type->dump || object->provisional)
            continue;
        dump.object = object;
        //  The version comes last: replaying the contents bumps it.
        rc = object->type->dump (object, &dump)
            || zown_dump_change (&dump, ZOWN_CHANGE_VERSION,
                                 zown_registry_type_op (self, object->type), 0, NULL,
                                 object->version);
    }
    zown_buf_free (&dump.record);
    return rc;
}
