/*  =========================================================================
    list - a shared list: an ordered sequence of data, the counterpart of
    Python's Manager().list()

    Indices are int64 and count from the end when negative, as in Python.
    The array never shrinks while it holds items, so undoing a removal in a
    rolled-back batch always finds room and cannot fail.
    =========================================================================
*/
#include "zown_internal.h"

typedef struct {
    zown_datum_t *items;  //  Byte strings own a malloc'd copy
    size_t size;          //  Items in use
    size_t capacity;      //  Items allocated
} s_list_t;

//  --------------------------------------------------------------------------
//  Storage

//  Free every item and the array; the list is then empty.
static void
s_list_purge (s_list_t *list)
{
    for (size_t index = 0; index < list->size; index++)
        zown_datum_release (&list->items [index]);
    free (list->items);
    list->items = NULL;
    list->size = 0;
    list->capacity = 0;
}

//  Room for `more` items past the end; -1 if out of memory (list unchanged).
static int
s_reserve (s_list_t *list, size_t more)
{
    return zown_grow ((void **) &list->items, &list->capacity, list->size + more,
                      sizeof (zown_datum_t));
}

static void
s_insert_at (s_list_t *list, size_t index, zown_datum_t value)
{
    memmove (&list->items [index + 1], &list->items [index],
             (list->size - index) * sizeof (zown_datum_t));
    list->items [index] = value;
    list->size++;
}

//  Take the item at index out of the list; the caller owns it.
static zown_datum_t
s_take_at (s_list_t *list, size_t index)
{
    zown_datum_t value = list->items [index];
    list->size--;
    memmove (&list->items [index], &list->items [index + 1],
             (list->size - index) * sizeof (zown_datum_t));
    return value;
}

static void *
s_create (void)
{
    return calloc (1, sizeof (s_list_t));
}

static void
s_destroy (void *impl)
{
    s_list_purge ((s_list_t *) impl);
    free (impl);
}

//  --------------------------------------------------------------------------
//  Undo records for batches: one position and, for removals and
//  replacements, the value that was there. Rollback runs them in reverse,
//  so each one finds the list exactly as its change left it.

typedef struct {
    size_t index;        //  Where the change was (old length for appends)
    zown_datum_t value;  //  Value removed or replaced, owned; nil if none
} s_undo_t;

static s_list_t *
s_list_of (zown_object_t *object)
{
    return (s_list_t *) object->impl;
}

static void
s_discard (void *saved)
{
    s_undo_t *record = (s_undo_t *) saved;
    zown_datum_release (&record->value);
    free (record);
}

//  Undo an append or extend: drop what was added past the old length.
static void
s_restore_truncate (zown_object_t *object, void *saved)
{
    s_list_t *list = s_list_of (object);
    s_undo_t *record = (s_undo_t *) saved;
    while (list->size > record->index)
        zown_datum_release (&list->items [--list->size]);
    s_discard (record);
}

//  Undo an insert: remove the inserted item.
static void
s_restore_remove (zown_object_t *object, void *saved)
{
    s_undo_t *record = (s_undo_t *) saved;
    zown_datum_t value = s_take_at (s_list_of (object), record->index);
    zown_datum_release (&value);
    s_discard (record);
}

//  Undo a set: put the old value back.
static void
s_restore_put (zown_object_t *object, void *saved)
{
    s_undo_t *record = (s_undo_t *) saved;
    zown_datum_t *item = &s_list_of (object)->items [record->index];
    zown_datum_release (item);
    *item = record->value;
    free (record);
}

//  Undo a pop or remove: the array kept its room, so this cannot fail.
static void
s_restore_reinsert (zown_object_t *object, void *saved)
{
    s_list_t *list = s_list_of (object);
    s_undo_t *record = (s_undo_t *) saved;
    assert (list->size < list->capacity);
    s_insert_at (list, record->index, record->value);
    free (record);
}

//  Undo a clear: the saved storage replaces whatever is there now.
static void
s_restore_storage (zown_object_t *object, void *saved)
{
    s_list_t *list = s_list_of (object);
    s_list_purge (list);
    *list = *(s_list_t *) saved;
    free (saved);
}

static void
s_discard_storage (void *saved)
{
    s_destroy (saved);
}

//  Before an undoable change at index: save how to undo it. *record_p gets
//  the record (NULL when not undoable), so that the handler can hand it
//  the value it removes. Returns 0, or -1 if out of memory.
static int
s_save (zown_call_t *call, zown_restore_fn *restore, size_t index, s_undo_t **record_p)
{
    *record_p = NULL;
    if (!call->undo)
        return 0;
    s_undo_t *record = (s_undo_t *) malloc (sizeof (s_undo_t));
    if (!record)
        return -1;
    record->index = index;
    record->value = ZOWN_NIL_DATUM;
    if (zown_call_save (call, restore, s_discard, record)) {
        free (record);
        return -1;
    }
    *record_p = record;
    return 0;
}

//  A removed value goes to the undo record, or is freed if there is none.
static void
s_keep_or_release (s_undo_t *record, zown_datum_t *value)
{
    if (record)
        record->value = *value;
    else
        zown_datum_release (value);
}

//  --------------------------------------------------------------------------
//  Handlers

static s_list_t *
s_list (zown_call_t *call)
{
    return call->object ? s_list_of (call->object) : NULL;
}

static size_t
s_size (zown_call_t *call)
{
    s_list_t *list = s_list (call);
    return list ? list->size : 0;
}

static int
s_no_memory (zown_call_t *call)
{
    return zown_call_error (call, ZOWN_NO_MEMORY, "out of memory");
}

static int
s_out_of_range (zown_call_t *call)
{
    return zown_call_error (call, ZOWN_OUT_OF_RANGE, "list index out of range");
}

//  Position of an existing item (negative counts from the end); false if
//  there is none, as for any index of a missing list.
static bool
s_position (zown_call_t *call, int64_t index, size_t *position)
{
    int64_t size = (int64_t) s_size (call);
    if (index < 0)
        index += size;
    if (index < 0 || index >= size)
        return false;
    *position = (size_t) index;
    return true;
}

//  A slice bound, Python style: negative counts from the end, then clamped
//  to [0, size]. Never fails.
static size_t
s_clamp (int64_t index, size_t size)
{
    if (index < 0)
        index += (int64_t) size;
    if (index < 0)
        return 0;
    return (uint64_t) index > size ? size : (size_t) index;
}

//  Position of the first item equal to value; false if none.
static bool
s_find (zown_call_t *call, zown_datum_t value, size_t *position)
{
    s_list_t *list = s_list (call);
    for (size_t index = 0; list && index < list->size; index++)
        if (zown_datum_eq (list->items [index], value)) {
            *position = index;
            return true;
        }
    return false;
}

//  Add argc values at the end (append and extend): all of them or none.
int
zown_cmd_list_push (zown_call_t *call)
{
    s_list_t *list = s_list (call);
    int status = zown_call_room (call, list->size, call->argc);
    if (status != ZOWN_OK)
        return status;
    if (s_reserve (list, call->argc))
        return s_no_memory (call);
    //  Copy into the spare room first; the list only grows once all fit.
    for (size_t index = 0; index < call->argc; index++)
        if (zown_datum_own (&list->items [list->size + index], call->argv [index])) {
            while (index)
                zown_datum_release (&list->items [list->size + --index]);
            return s_no_memory (call);
        }
    s_undo_t *record;
    if (s_save (call, s_restore_truncate, list->size, &record)) {
        for (size_t index = 0; index < call->argc; index++)
            zown_datum_release (&list->items [list->size + index]);
        return s_no_memory (call);
    }
    list->size += call->argc;
    zown_call_bump (call);
    zown_call_reply_int (call, (int64_t) list->size);
    return ZOWN_OK;
}

int
zown_cmd_list_insert (zown_call_t *call)
{
    s_list_t *list = s_list (call);
    size_t position = s_clamp (call->argv [0].u.i, list->size);
    int status = zown_call_room (call, list->size, 1);
    if (status != ZOWN_OK)
        return status;
    zown_datum_t value;
    if (s_reserve (list, 1) || zown_datum_own (&value, call->argv [1]))
        return s_no_memory (call);
    s_undo_t *record;
    if (s_save (call, s_restore_remove, position, &record)) {
        zown_datum_release (&value);
        return s_no_memory (call);
    }
    s_insert_at (list, position, value);
    zown_call_bump (call);
    zown_call_reply_int (call, (int64_t) list->size);
    return ZOWN_OK;
}

int
zown_cmd_list_get (zown_call_t *call)
{
    size_t position;
    if (!s_position (call, call->argv [0].u.i, &position))
        return s_out_of_range (call);
    zown_call_reply (call, s_list (call)->items [position]);
    return ZOWN_OK;
}

int
zown_cmd_list_set (zown_call_t *call)
{
    size_t position;
    if (!s_position (call, call->argv [0].u.i, &position))
        return s_out_of_range (call);
    zown_datum_t value;
    if (zown_datum_own (&value, call->argv [1]))
        return s_no_memory (call);
    s_undo_t *record;
    if (s_save (call, s_restore_put, position, &record)) {
        zown_datum_release (&value);
        return s_no_memory (call);
    }
    zown_datum_t *item = &s_list (call)->items [position];
    s_keep_or_release (record, item);
    *item = value;
    zown_call_bump (call);
    return ZOWN_OK;
}

//  Remove the item at position, undoably; replies with it if `reply`.
static int
s_remove_at (zown_call_t *call, size_t position, bool reply)
{
    s_undo_t *record;
    if (s_save (call, s_restore_reinsert, position, &record))
        return s_no_memory (call);
    zown_datum_t value = s_take_at (s_list (call), position);
    if (reply)
        zown_call_reply (call, value);
    s_keep_or_release (record, &value);
    zown_call_bump (call);
    return ZOWN_OK;
}

int
zown_cmd_list_pop (zown_call_t *call)
{
    size_t position;
    if (!s_position (call, call->argc ? call->argv [0].u.i : -1, &position))
        return s_out_of_range (call);
    return s_remove_at (call, position, true);
}

int
zown_cmd_list_remove (zown_call_t *call)
{
    size_t position;
    if (!s_find (call, call->argv [0], &position))
        return zown_call_error (call, ZOWN_NOT_FOUND, "value not in list");
    return s_remove_at (call, position, false);
}

int
zown_cmd_list_index (zown_call_t *call)
{
    size_t position;
    if (!s_find (call, call->argv [0], &position))
        return zown_call_error (call, ZOWN_NOT_FOUND, "value not in list");
    zown_call_reply_int (call, (int64_t) position);
    return ZOWN_OK;
}

int
zown_cmd_list_len (zown_call_t *call)
{
    zown_call_reply_int (call, (int64_t) s_size (call));
    return ZOWN_OK;
}

int
zown_cmd_list_range (zown_call_t *call)
{
    size_t size = s_size (call);
    size_t start = s_clamp (call->argv [0].u.i, size);
    size_t stop = s_clamp (call->argv [1].u.i, size);
    for (size_t index = start; index < stop; index++)
        zown_call_reply (call, s_list (call)->items [index]);
    return ZOWN_OK;
}

int
zown_cmd_list_clear (zown_call_t *call)
{
    s_list_t *list = s_list (call);
    size_t removed = s_size (call);
    if (removed) {
        if (call->undo) {
            //  Swap the storage out whole: one record, however long the list.
            s_list_t *saved = (s_list_t *) malloc (sizeof (s_list_t));
            if (!saved || zown_call_save (call, s_restore_storage, s_discard_storage, saved)) {
                free (saved);
                return s_no_memory (call);
            }
            *saved = *list;
            *list = (s_list_t){ NULL, 0, 0 };
        } else
            s_list_purge (list);
        zown_call_bump (call);
    }
    zown_call_reply_int (call, (int64_t) removed);
    return ZOWN_OK;
}

//  A snapshot of a list: its items, appended in runs of at most
//  ZOWN_ARGS_MAX (the most one op takes).
static int
s_dump (zown_object_t *object, zown_dump_t *dump)
{
    s_list_t *list = (s_list_t *) object->impl;
    for (size_t start = 0; start < list->size; start += ZOWN_ARGS_MAX) {
        size_t count = list->size - start < ZOWN_ARGS_MAX ? list->size - start : ZOWN_ARGS_MAX;
        if (zown_dump_change (dump, ZOWN_CHANGE_OP, ZOWN_OP_LIST_EXTEND, count, list->items + start,
                              object->version))
            return -1;
    }
    return 0;
}

const zown_type_def_t zown_list_type = {
    .name = "list",
    .create = s_create,
    .destroy = s_destroy,
    .dump = s_dump,
};
