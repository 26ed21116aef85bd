/*  =========================================================================
    dict - a shared dict: byte-string keys, datum values, per-key versions

    A key's version is its object's version at the key's last change, so
    versions only grow and compare-and-set needs no separate counter.
    =========================================================================
*/
#include "zown_internal.h"
#include "base/table.h"

//  One allocation per key: the table's link, the version, then the key's
//  bytes and the value's (its bytes, or the number's 8), unaligned. A
//  16-byte key with a 16-byte value fits a 64-byte malloc chunk.
typedef struct {
    zown_table_item_t item;  //  aux: the value's byte length, or a mark below
    uint64_t version;        //  Object version at the last change
    uint8_t data [];         //  Key, then value
} s_entry_t;

//  Marks of the values that are not byte strings, above any byte length a
//  frame can carry (a byte string of these lengths is refused).
#define S_NIL    UINT32_MAX
#define S_INT    (UINT32_MAX - 1)
#define S_DOUBLE (UINT32_MAX - 2)

//  --------------------------------------------------------------------------
//  Entries

static inline const uint8_t *
s_value_at (const s_entry_t *entry)
{
    return entry->data + entry->item.key_len;
}

//  Bytes a value takes in an entry, and its aux.
static size_t
s_value_size (zown_datum_t value, uint32_t *aux)
{
    switch (value.tag) {
        case ZOWN_INT:
            *aux = S_INT;
            return 8;
        case ZOWN_DOUBLE:
            *aux = S_DOUBLE;
            return 8;
        case ZOWN_BYTES:
            *aux = (uint32_t) value.u.b.len;
            return value.u.b.len;
        default:
            *aux = S_NIL;
            return 0;
    }
}

//  Store a value whose size and aux s_value_size gave.
static void
s_value_store (s_entry_t *entry, zown_datum_t value, uint32_t aux, size_t size)
{
    uint8_t *target = entry->data + entry->item.key_len;
    entry->item.aux = aux;
    if (value.tag == ZOWN_BYTES && size)
        memcpy (target, value.u.b.ptr, size);
    else if (value.tag == ZOWN_INT || value.tag == ZOWN_DOUBLE)
        memcpy (target, &value.u, 8);
}

//  The entry's value; byte strings point into the entry.
static zown_datum_t
s_value (const s_entry_t *entry)
{
    zown_datum_t value = ZOWN_NIL_DATUM;
    const uint8_t *at = s_value_at (entry);
    switch (entry->item.aux) {
        case S_NIL:
            break;
        case S_INT:
            value.tag = ZOWN_INT;
            memcpy (&value.u.i, at, 8);
            break;
        case S_DOUBLE:
            value.tag = ZOWN_DOUBLE;
            memcpy (&value.u.d, at, 8);
            break;
        default:
            value = zown_datum_bytes (at, entry->item.aux);
    }
    return value;
}

//  Bytes the entry's value takes.
static size_t
s_stored_size (const s_entry_t *entry)
{
    uint32_t aux = entry->item.aux;
    return aux < S_DOUBLE ? aux : aux == S_NIL ? 0 : 8;
}

static zown_datum_t
s_key (const s_entry_t *entry)
{
    return zown_datum_bytes (entry->data, entry->item.key_len);
}

//  A new entry (not in any table); NULL if out of memory or too long.
static s_entry_t *
s_entry_new (zown_datum_t key, zown_datum_t value, uint64_t version)
{
    uint32_t aux;
    size_t size = s_value_size (value, &aux);
    if (key.u.b.len >= UINT32_MAX || (value.tag == ZOWN_BYTES && size >= S_DOUBLE))
        return NULL;
    s_entry_t *entry = (s_entry_t *) malloc (sizeof (s_entry_t) + key.u.b.len + size);
    if (!entry)
        return NULL;
    entry->item.next = NULL;
    entry->item.key_len = (uint32_t) key.u.b.len;
    entry->version = version;
    if (key.u.b.len)
        memcpy (entry->data, key.u.b.ptr, key.u.b.len);
    s_value_store (entry, value, aux, size);
    return entry;
}

static void
s_entry_free (zown_table_item_t *item)
{
    free (item);
}

static void
s_discard_entry (void *saved)
{
    free (saved);
}

static zown_table_t *
s_table_new (void)
{
    return zown_table_new (offsetof (s_entry_t, data), s_entry_free);
}

static void *
s_create (void)
{
    return s_table_new ();
}

static void
s_destroy (void *impl)
{
    zown_table_t *table = (zown_table_t *) impl;
    zown_table_destroy (&table);
}

static s_entry_t *
s_lookup (zown_table_t *table, zown_datum_t key)
{
    return (s_entry_t *) zown_table_find (table, key.u.b.ptr, key.u.b.len);
}

//  --------------------------------------------------------------------------
//  Undo records of undoable calls. A small value of the same size is
//  overwritten in place, its old bytes copied to the request's undo space;
//  any other change puts a new entry in and keeps the one it replaced or
//  removed as its undo record. Neither allocates for the record. A
//  rollback runs when the table is as the change left it.

//  The change inserted `saved`: take it out again.
static void
s_restore_insert (zown_object_t *object, void *saved)
{
    zown_table_remove ((zown_table_t *) object->impl, (zown_table_item_t *) saved);
    free (saved);
}

//  The change replaced or removed `saved`: put it back, freeing what
//  replaced it.
static void
s_restore_entry (zown_object_t *object, void *saved)
{
    free (zown_table_put ((zown_table_t *) object->impl, (zown_table_item_t *) saved));
}

//  A value changed in place: its entry and what the entry held before,
//  the value's bytes following.
typedef struct {
    s_entry_t *entry;
    uint64_t version;
    uint32_t aux;
} s_before_t;

//  Largest value an undoable change overwrites in place (saving a copy);
//  a larger one gets a new entry, so that saving copies nothing.
#define S_IN_PLACE_MAX 64

static void
s_restore_in_place (zown_object_t *object, void *saved)
{
    (void) object;
    const s_before_t *before = (const s_before_t *) saved;
    s_entry_t *entry = before->entry;
    entry->version = before->version;
    entry->item.aux = before->aux;
    memcpy (entry->data + entry->item.key_len, before + 1, s_stored_size (entry));
}

static int
s_save_in_place (zown_call_t *call, s_entry_t *entry, size_t size)
{
    uint8_t copy [sizeof (s_before_t) + S_IN_PLACE_MAX];
    s_before_t before = { entry, entry->version, entry->item.aux };
    memcpy (copy, &before, sizeof (before));
    memcpy (copy + sizeof (before), s_value_at (entry), size);
    return zown_call_save_copy (call, s_restore_in_place, copy, sizeof (before) + size);
}

static void
s_restore_table (zown_object_t *object, void *saved)
{
    s_destroy (object->impl);
    object->impl = saved;
}

static void
s_discard_table (void *saved)
{
    s_destroy (saved);
}

//  Set key to value at version (insert it if absent), keeping what the
//  change replaced as its undo record when the call is undoable. Returns
//  0, or -1 if out of memory (nothing changed).
static int
s_put (zown_call_t *call, zown_table_t *table, s_entry_t *entry, zown_datum_t key,
       zown_datum_t value, uint64_t version)
{
    uint32_t aux;
    size_t size = s_value_size (value, &aux);
    bool undo = call && call->undo;
    if (entry && size == s_stored_size (entry) && (!undo || size <= S_IN_PLACE_MAX)) {
        //  Same room: in place, no allocation.
        if (undo && s_save_in_place (call, entry, size))
            return -1;
        entry->version = version;
        s_value_store (entry, value, aux, size);
        return 0;
    }
    s_entry_t *fresh = s_entry_new (key, value, version);
    if (!fresh)
        return -1;
    if (call
        && zown_call_save (call, entry ? s_restore_entry : s_restore_insert,
                           entry ? s_discard_entry : NULL, entry ? (void *) entry : fresh)) {
        free (fresh);
        return -1;
    }
    zown_table_item_t *replaced = zown_table_put (table, &fresh->item);
    if (!undo)
        free (replaced);
    return 0;
}

//  --------------------------------------------------------------------------
//  Handlers

static zown_table_t *
s_table (zown_call_t *call)
{
    return call->object ? (zown_table_t *) call->object->impl : NULL;
}

static s_entry_t *
s_find (zown_call_t *call, zown_datum_t key)
{
    zown_table_t *table = s_table (call);
    return table ? s_lookup (table, key) : NULL;
}

//  Set one key to value, undoably; `entry` is the key's, NULL if absent.
//  Returns a status.
static int
s_set_entry (zown_call_t *call, s_entry_t *entry, zown_datum_t key, zown_datum_t value,
             uint64_t *version_p)
{
    zown_table_t *table = s_table (call);
    if (!entry) {
        int status = zown_call_room (call, zown_table_size (table), 1);
        if (status != ZOWN_OK)
            return status;
    }
    uint64_t version = call->object->version + 1;
    if (s_put (call, table, entry, key, value, version))
        return zown_call_error (call, ZOWN_NO_MEMORY, "out of memory");
    zown_call_bump (call);
    zown_call_changed (call, ZOWN_CHANGE_SET, &key, &value);
    if (version_p)
        *version_p = version;
    return ZOWN_OK;
}

static int
s_set_one (zown_call_t *call, zown_datum_t key, zown_datum_t value, uint64_t *version_p)
{
    return s_set_entry (call, s_find (call, key), key, value, version_p);
}

int
zown_cmd_dict_set (zown_call_t *call)
{
    uint64_t version = 0;
    int status = s_set_one (call, call->argv [0], call->argv [1], &version);
    if (status == ZOWN_OK)
        zown_call_reply_int (call, (int64_t) version);
    return status;
}

int
zown_cmd_dict_get (zown_call_t *call)
{
    s_entry_t *entry = s_find (call, call->argv [0]);
    if (!entry)
        return zown_call_error (call, ZOWN_NOT_FOUND, "no such key");
    zown_call_reply (call, s_value (entry));
    zown_call_reply_int (call, (int64_t) entry->version);
    return ZOWN_OK;
}

int
zown_cmd_dict_get_or (zown_call_t *call)
{
    s_entry_t *entry = s_find (call, call->argv [0]);
    zown_call_reply (call, entry ? s_value (entry) : call->argv [1]);
    return ZOWN_OK;
}

int
zown_cmd_dict_del (zown_call_t *call)
{
    s_entry_t *entry = s_find (call, call->argv [0]);
    if (!entry)
        return zown_call_error (call, ZOWN_NOT_FOUND, "no such key");
    if (zown_call_save (call, s_restore_entry, s_discard_entry, entry))
        return zown_call_error (call, ZOWN_NO_MEMORY, "out of memory");
    zown_table_remove (s_table (call), &entry->item);
    if (!call->undo)
        free (entry);
    zown_call_bump (call);
    zown_call_changed (call, ZOWN_CHANGE_DEL, &call->argv [0], NULL);
    return ZOWN_OK;
}

int
zown_cmd_dict_contains (zown_call_t *call)
{
    zown_call_reply_int (call, s_find (call, call->argv [0]) != NULL);
    return ZOWN_OK;
}

int
zown_cmd_dict_len (zown_call_t *call)
{
    zown_table_t *table = s_table (call);
    zown_call_reply_int (call, table ? (int64_t) zown_table_size (table) : 0);
    return ZOWN_OK;
}

//  Reply every key, and with `values` every value after its key.
static void
s_reply_all (zown_call_t *call, bool values)
{
    zown_table_t *table = s_table (call);
    zown_table_cursor_t cursor = ZOWN_TABLE_CURSOR;
    zown_table_item_t *item;
    while (table && (item = zown_table_next (table, &cursor))) {
        zown_call_reply (call, s_key ((s_entry_t *) item));
        if (values)
            zown_call_reply (call, s_value ((s_entry_t *) item));
    }
}

int
zown_cmd_dict_keys (zown_call_t *call)
{
    s_reply_all (call, false);
    return ZOWN_OK;
}

int
zown_cmd_dict_items (zown_call_t *call)
{
    s_reply_all (call, true);
    return ZOWN_OK;
}

int
zown_cmd_dict_clear (zown_call_t *call)
{
    zown_table_t *table = s_table (call);
    size_t removed = table ? zown_table_size (table) : 0;
    if (removed) {
        if (call->undo) {
            zown_table_t *empty = s_table_new ();
            if (!empty || zown_call_save (call, s_restore_table, s_discard_table, table)) {
                s_destroy (empty);
                return zown_call_error (call, ZOWN_NO_MEMORY, "out of memory");
            }
            call->object->impl = empty;
        } else
            zown_table_clear (table);
        zown_call_bump (call);
        zown_call_changed (call, ZOWN_CHANGE_CLEAR, NULL, NULL);
    }
    zown_call_reply_int (call, (int64_t) removed);
    return ZOWN_OK;
}

int
zown_cmd_dict_set_if_absent (zown_call_t *call)
{
    s_entry_t *entry = s_find (call, call->argv [0]);
    if (entry) {
        zown_call_reply_int (call, 0);
        zown_call_reply_int (call, (int64_t) entry->version);
        return ZOWN_OK;
    }
    uint64_t version = 0;
    int status = s_set_entry (call, NULL, call->argv [0], call->argv [1], &version);
    if (status == ZOWN_OK) {
        zown_call_reply_int (call, 1);
        zown_call_reply_int (call, (int64_t) version);
    }
    return status;
}

int
zown_cmd_dict_update (zown_call_t *call)
{
    //  Undoable (ZOWN_CMD_MULTI): a failure half-way is rolled back.
    for (size_t index = 0; index < call->argc; index += 2) {
        int status = s_set_one (call, call->argv [index], call->argv [index + 1], NULL);
        if (status != ZOWN_OK)
            return status;
    }
    zown_call_reply_int (call, (int64_t) (call->argc / 2));
    return ZOWN_OK;
}

int
zown_cmd_dict_add (zown_call_t *call)
{
    s_entry_t *entry = s_find (call, call->argv [0]);
    zown_datum_t sum;
    int status =
        zown_number_add (entry ? s_value (entry) : zown_datum_int (0), call->argv [1], &sum);
    if (status == ZOWN_WRONG_TYPE)
        return zown_call_error (call, status, "stored value is not a number");
    if (status == ZOWN_OVERFLOW)
        return zown_call_error (call, status, "int64 overflow");
    status = s_set_entry (call, entry, call->argv [0], sum, NULL);
    if (status == ZOWN_OK)
        zown_call_reply (call, sum);
    return status;
}

int
zown_cmd_dict_cas (zown_call_t *call)
{
    if (call->argv [1].u.i < 0)
        return zown_call_error (call, ZOWN_BAD_ARGS, "version must not be negative");
    s_entry_t *entry = s_find (call, call->argv [0]);
    uint64_t current = entry ? entry->version : 0;
    if (current != (uint64_t) call->argv [1].u.i) {
        zown_call_reply_int (call, (int64_t) current);
        return ZOWN_CONFLICT;
    }
    uint64_t version = 0;
    int status = s_set_entry (call, entry, call->argv [0], call->argv [2], &version);
    if (status == ZOWN_OK)
        zown_call_reply_int (call, (int64_t) version);
    return status;
}

//  A change record read back from a journal: keys keep their versions.
static int
s_replay (zown_object_t *object, uint8_t kind, const zown_datum_t *key, const zown_datum_t *value,
          uint64_t version)
{
    zown_table_t *table = (zown_table_t *) object->impl;
    if (kind == ZOWN_CHANGE_CLEAR) {
        zown_table_clear (table);
        return 0;
    }
    if (!key || key->tag != ZOWN_BYTES)
        return -1;
    s_entry_t *entry = s_lookup (table, *key);
    if (kind == ZOWN_CHANGE_DEL) {
        if (entry) {
            zown_table_remove (table, &entry->item);
            free (entry);
        }
        return 0;
    }
    return kind == ZOWN_CHANGE_SET && value ? s_put (NULL, table, entry, *key, *value, version)
                                            : -1;
}

static int
s_dump (zown_object_t *object, zown_dump_t *dump)
{
    zown_table_t *table = (zown_table_t *) object->impl;
    zown_table_cursor_t cursor = ZOWN_TABLE_CURSOR;
    for (zown_table_item_t *item; (item = zown_table_next (table, &cursor));) {
        s_entry_t *entry = (s_entry_t *) item;
        zown_datum_t values [2] = { s_key (entry), s_value (entry) };
        if (zown_dump_change (dump, ZOWN_CHANGE_SET, ZOWN_OP_DICT_SET, 2, values, entry->version))
            return -1;
    }
    return 0;
}

const zown_type_def_t zown_dict_type = {
    .name = "dict",
    .create = s_create,
    .destroy = s_destroy,
    .replay = s_replay,
    .dump = s_dump,
};
