/*  =========================================================================
    undo - undo records of a batch, so that it applies all or nothing

    A batch (more than one op) is undoable: before each change a handler
    saves how to undo it (zown_call_save). If any op fails, every record is
    undone in reverse, created and dropped objects included; a commit only
    frees them. With a journal every request is undoable, so that a write
    whose records cannot be written is undone before anything reads it;
    without one a lone op is not: it changes nothing unless it succeeds.
    With group commit the records of every request of a burst that
    changed durable state are kept until the burst's write, and undone
    together if it fails.
    =========================================================================
*/
#include "zown_internal.h"
#include "owner/core.h"

int
zown_call_save (zown_call_t *call, zown_restore_fn *restore, zown_discard_fn *discard, void *saved)
{
    if (!call->undo)
        return 0;
    zown_registry_t *self = call->registry;
    if (self->undo_count == self->undo_capacity) {
        size_t capacity = self->undo_capacity ? self->undo_capacity * 2 : 16;
        zown_undo_record_t *undo =
            (zown_undo_record_t *) realloc (self->undo, capacity * sizeof (zown_undo_record_t));
        if (!undo)
            return -1;
        self->undo = undo;
        self->undo_capacity = capacity;
    }
    zown_undo_record_t *record = &self->undo [self->undo_count++];
    record->object = call->object;
    record->version = call->object ? call->object->version : 0;
    record->restore = restore;
    record->discard = discard;
    record->saved = saved;
    record->copy = SIZE_MAX;
    return 0;
}

int
zown_call_save_copy (zown_call_t *call, zown_restore_fn *restore, const void *data, size_t size)
{
    if (!call->undo)
        return 0;
    zown_buf_t *copies = &call->registry->undo_copies;
    size_t at = copies->size;
    //  Every copy starts 8-aligned, so restore may read it as a struct.
    uint8_t *copy = zown_buf_reserve (copies, (size + 7) & ~(size_t) 7);
    if (!copy || zown_call_save (call, restore, NULL, NULL)) {
        copies->failed = false;
        copies->size = at;
        return -1;
    }
    memcpy (copy, data, size);
    call->registry->undo [call->registry->undo_count - 1].copy = at;
    return 0;
}

//  Undo records of objects a batch created: rollback removes them.
static void
s_restore_created (zown_object_t *object, void *saved)
{
    zown_registry_t *self = (zown_registry_t *) saved;
    zhashx_delete (self->objects, object->name);
}

int
zown_undo_created (zown_call_t *call)
{
    return zown_call_save (call, s_restore_created, NULL, call->registry);
}

//  Frees the records from `from` on.
static void
s_discard (zown_registry_t *self, size_t from)
{
    for (size_t index = from; index < self->undo_count; index++)
        if (self->undo [index].discard)
            self->undo [index].discard (self->undo [index].saved);
    self->undo_count = from;
    self->undo_copies.size = from ? self->undo_copies_held : 0;
}

//  Undoes the records from `from` on, newest first.
static void
s_undo (zown_registry_t *self, size_t from)
{
    while (self->undo_count > from) {
        zown_undo_record_t *record = &self->undo [--self->undo_count];
        if (record->object && record->restore != s_restore_created)
            record->object->version = record->version;
        if (record->restore)
            record->restore (record->object,
                             record->copy == SIZE_MAX ? record->saved
                                                      : self->undo_copies.data + record->copy);
    }
    self->undo_copies.size = from ? self->undo_copies_held : 0;
}

void
zown_undo_commit (zown_registry_t *self)
{
    //  Its records are not written yet: a failed write of the burst undoes
    //  this request too.
    if (self->group_commit && self->queued) {
        self->undo_held = self->undo_count;
        self->undo_copies_held = self->undo_copies.size;
    } else
        s_discard (self, self->undo_held);
}

void
zown_undo_rollback (zown_registry_t *self)
{
    s_undo (self, self->undo_held);
}

void
zown_undo_burst (zown_registry_t *self, bool undo)
{
    self->undo_held = 0;
    self->undo_copies_held = 0;
    if (undo)
        s_undo (self, 0);
    else
        s_discard (self, 0);
}
