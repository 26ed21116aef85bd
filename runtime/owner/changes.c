/*  =========================================================================
    changes - what the change feed publishes and the journal keeps

    Every change of a request is recorded as it is applied, in journal form
    with its sequence number unset; at commit each gets the next number, is
    published when someone subscribes, and the durable ones go to the
    journal before any reply is sent. With neither feed nor journal, changes
    are only counted. With group commit the journal only queues them: the
    owner writes a burst's records at once, and ends the burst here
    (zown_registry_burst_end), which undoes it all if that write failed.
    =========================================================================
*/
#include "zown_internal.h"
#include "owner/core.h"

//  Record one change of the request being applied (journal form, its seq
//  set at commit). Only counted when nobody wants the records; a MARK,
//  which takes no seq, not even that.
void
zown_changes_record (zown_registry_t *self, const char *name, uint8_t kind, uint64_t version,
                     uint8_t op, size_t count, const zown_datum_t *values)
{
    if (self->replaying)
        return;
    if (!self->feed_active && !self->persist) {
        self->change_count += kind != ZOWN_CHANGE_MARK;
        return;
    }
    self->change_count++;
    size_t start = self->changes.size;
    zown_encode_change_datums (&self->changes, name, kind, version, op, count, values);
    zown_buf_put_mem (&self->change_index, &start, sizeof (start));
    self->changes.failed |= self->change_index.failed;
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
    zown_changes_record (call->registry, call->object ? call->object->name : "", kind,
                         call->object ? call->object->version : 0, call->op, count, values);
}

void
zown_call_changed_as (zown_call_t *call, uint8_t op, size_t count, const zown_datum_t *values)
{
    call->described = true;
    zown_object_changed_as (call->object, op, count, values);
}

void
zown_object_changed_as (zown_object_t *object, uint8_t op, size_t count, const zown_datum_t *values)
{
    zown_changes_record (object->registry, object->name, ZOWN_CHANGE_OP, object->version, op, count,
                         values);
}

//  Number the request's changes (a MARK takes the last number without
//  using one up), flag all but the last MORE (a subscriber never applies
//  half of a commit), and find the durable ones for the journal. The
//  records stay as they were encoded, found through change_index without
//  being decoded: the journal and the feed get these very bytes. Returns the durable ones and their size in *size_p: the
//  records in place when they lead the commit (usually all of it), else a
//  copy gathered in self->durable (NULL if out of memory).
static const uint8_t *
s_number (zown_registry_t *self, size_t *size_p)
{
    zown_buf_t *buf = &self->changes;
    size_t records = self->change_index.size / sizeof (size_t);
    self->durable.size = 0;
    size_t prefix = 0;  //  End of the leading durable records
    bool gathering = false;
    for (size_t index = 0; index < records; index++) {
        size_t offset, end = buf->size;
        memcpy (&offset, self->change_index.data + index * sizeof (size_t), sizeof (size_t));
        if (index + 1 < records)
            memcpy (&end, self->change_index.data + (index + 1) * sizeof (size_t), sizeof (size_t));
        //  A record is its name's size, the name, then kind, seq (8), version
        //  (8) and op (runtime/wire/codec.c): read in place, not decoded.
        uint8_t *kind = buf->data + offset + 1 + buf->data [offset];
        uint8_t op = kind [17];
        bool mark = *kind == ZOWN_CHANGE_MARK;
        zown_encode_change_seq (buf, offset, mark ? self->seq : ++self->seq);
        if (end < buf->size)
            *kind |= ZOWN_CHANGE_MORE;
        const zown_type_def_t *type = zown_commands [op].type;
        bool durable = self->persist && !mark && type && !type->ephemeral;
        if (durable && !gathering && prefix == offset)
            prefix = end;
        else if (durable) {
            if (!gathering)
                zown_buf_put_mem (&self->durable, buf->data, prefix);
            gathering = true;
            zown_buf_put_mem (&self->durable, buf->data + offset, end - offset);
        }
    }
    if (!gathering) {
        *size_p = prefix;
        return buf->data;
    }
    *size_p = self->durable.size;
    return self->durable.failed ? NULL : self->durable.data;
}

//  Forget the request's records.
static void
s_forget (zown_registry_t *self)
{
    self->changes.size = 0;
    self->changes.failed = false;
    self->change_index.size = 0;
    self->change_index.failed = false;
}

//  Give each change of the committed request its sequence number, hand the
//  durable ones to the journal, then publish them: a change the journal
//  refused is never published. -1 if the journal failed (the numbers are
//  given back).
int
zown_changes_commit (zown_registry_t *self)
{
    self->queued = false;
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
        s_forget (self);
        return self->persist ? -1 : 0;
    }
    uint64_t seq = self->seq;
    size_t size;
    const uint8_t *durable = s_number (self, &size);
    if (self->persist && size
        && (!durable || self->persist (self->persist_arg, self->seq, durable, size))) {
        self->durable.failed = false;
        s_forget (self);
        self->seq = seq;
        self->not_durable = true;
        return -1;
    }
    self->queued = self->persist && size;
    if (self->feed_active && self->publish)
        self->publish (self->publish_arg, buf->data, buf->size);
    s_forget (self);
    return 0;
}

int
zown_changes_commit_final (zown_registry_t *self)
{
    int rc = zown_changes_commit (self);
    self->burst_final |= self->queued;
    self->queued = false;
    return rc;
}

void
zown_changes_discard (zown_registry_t *self)
{
    s_forget (self);
    self->change_count = 0;
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
zown_registry_set_group_commit (zown_registry_t *self, bool group)
{
    self->group_commit = group;
}

void
zown_registry_burst_end (zown_registry_t *self, bool written)
{
    zown_undo_burst (self, !written && !self->burst_final);
    if (!written)
        zown_registry_refuse (self, self->burst_final);
    self->burst_final = false;
}

void
zown_registry_refuse (zown_registry_t *self, bool reads)
{
    self->not_durable = true;
    self->memory_ahead |= reads;
}

uint64_t
zown_registry_seq (zown_registry_t *self)
{
    return self->seq;
}
