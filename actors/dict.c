/*  =========================================================================
    dict - a shared dict: byte-string keys, datum values, per-key versions

    A key's version is its object's version at the key's last change, so
    versions only grow and compare-and-set needs no separate counter.
    =========================================================================
*/
#include "zown_internal.h"

//  A key (zown_key_t): a lookup key points into the request frame; a stored
//  key owns its bytes, which follow the struct in the same allocation.
typedef zown_key_t s_key_t;

typedef struct {
    zown_datum_t value;  //  Byte strings own a malloc'd copy
    uint64_t version;    //  Object version at the last change
} s_entry_t;

//  --------------------------------------------------------------------------
//  Keys and entries

static s_key_t
s_key_of (zown_datum_t datum)
{
    s_key_t key = { (const uint8_t *) datum.u.b.ptr, datum.u.b.len };
    return key;
}

static s_entry_t *
s_entry_new (zown_datum_t value, uint64_t version)
{
    s_entry_t *entry = (s_entry_t *) malloc (sizeof (s_entry_t));
    if (entry && zown_datum_own (&entry->value, value)) {
        free (entry);
        return NULL;
    }
    if (entry)
        entry->version = version;
    return entry;
}

static void
s_entry_free (void **item)
{
    s_entry_t *entry = (s_entry_t *) *item;
    if (entry) {
        zown_datum_release (&entry->value);
        free (entry);
        *item = NULL;
    }
}

static zhashx_t *
s_table_new (void)
{
    return zown_key_table_new (s_entry_free);
}

static void *
s_create (void)
{
    return s_table_new ();
}

static void
s_destroy (void *impl)
{
    zhashx_t *table = (zhashx_t *) impl;
    zhashx_destroy (&table);
}

//  Replace the value of key (insert it if absent) with a new value at
//  `version`. Returns 0, or -1 if out of memory (nothing changed).
static int
s_put (zhashx_t *table, const s_key_t *key, zown_datum_t value, uint64_t version)
{
    s_entry_t *entry = (s_entry_t *) zhashx_lookup (table, key);
    if (entry) {
        zown_datum_t owned;
        if (zown_datum_own (&owned, value))
            return -1;
        zown_datum_release (&entry->value);
        entry->value = owned;
        entry->version = version;
        return 0;
    }
    entry = s_entry_new (value, version);
    if (!entry)
        return -1;
    if (zhashx_insert (table, key, entry)) {
        s_entry_free ((void **) &entry);
        return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Undo records for batches: the whole entry of one key, or the whole table

typedef struct {
    s_key_t *key;      //  Owned copy
    s_entry_t *entry;  //  Copy of the entry before the change; NULL if absent
} s_saved_key_t;

static void
s_discard_key (void *saved)
{
    s_saved_key_t *record = (s_saved_key_t *) saved;
    s_entry_free ((void **) &record->entry);
    free (record->key);
    free (record);
}

static void
s_restore_key (zown_object_t *object, void *saved)
{
    s_saved_key_t *record = (s_saved_key_t *) saved;
    zhashx_t *table = (zhashx_t *) object->impl;
    if (record->entry) {
        //  Hand the saved entry back to the table as it was.
        s_entry_t *current = (s_entry_t *) zhashx_lookup (table, record->key);
        if (current) {
            zown_datum_release (&current->value);
            *current = *record->entry;
            free (record->entry);
        } else
            zhashx_insert (table, record->key, record->entry);
        record->entry = NULL;
    } else
        zhashx_delete (table, record->key);
    s_discard_key (record);
}

//  Remember key's entry before an undoable change; 0, or -1 if no memory.
static int
s_save_key (zown_call_t *call, const s_key_t *key)
{
    if (!call->undo)
        return 0;
    s_saved_key_t *record = (s_saved_key_t *) calloc (1, sizeof (s_saved_key_t));
    if (!record)
        return -1;
    record->key = zown_key_dup (key);
    s_entry_t *entry = (s_entry_t *) zhashx_lookup ((zhashx_t *) call->object->impl, key);
    if (entry)
        record->entry = s_entry_new (entry->value, entry->version);
    if (!record->key || (entry && !record->entry)
        || zown_call_save (call, s_restore_key, s_discard_key, record)) {
        s_discard_key (record);
        return -1;
    }
    return 0;
}

static void
s_restore_table (zown_object_t *object, void *saved)
{
    zhashx_t *table = (zhashx_t *) object->impl;
    zhashx_destroy (&table);
    object->impl = saved;
}

static void
s_discard_table (void *saved)
{
    zhashx_t *table = (zhashx_t *) saved;
    zhashx_destroy (&table);
}

//  --------------------------------------------------------------------------
//  Handlers

static zhashx_t *
s_table (zown_call_t *call)
{
    return call->object ? (zhashx_t *) call->object->impl : NULL;
}

static s_entry_t *
s_find (zown_call_t *call, zown_datum_t key_datum)
{
    zhashx_t *table = s_table (call);
    s_key_t key = s_key_of (key_datum);
    return table ? (s_entry_t *) zhashx_lookup (table, &key) : NULL;
}

//  Set one key to value, undoably; returns a status.
static int
s_set_one (zown_call_t *call, zown_datum_t key_datum, zown_datum_t value, uint64_t *version_p)
{
    s_key_t key = s_key_of (key_datum);
    zhashx_t *table = s_table (call);
    if (!zhashx_lookup (table, &key)) {
        int status = zown_call_room (call, zhashx_size (table), 1);
        if (status != ZOWN_OK)
            return status;
    }
    if (s_save_key (call, &key))
        return zown_call_error (call, ZOWN_NO_MEMORY, "out of memory");
    uint64_t version = call->object->version + 1;
    if (s_put (table, &key, value, version))
        return zown_call_error (call, ZOWN_NO_MEMORY, "out of memory");
    zown_call_bump (call);
    zown_call_changed (call, ZOWN_CHANGE_SET, &key_datum, &value);
    if (version_p)
        *version_p = version;
    return ZOWN_OK;
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
    zown_call_reply (call, entry->value);
    zown_call_reply_int (call, (int64_t) entry->version);
    return ZOWN_OK;
}

int
zown_cmd_dict_get_or (zown_call_t *call)
{
    s_entry_t *entry = s_find (call, call->argv [0]);
    zown_call_reply (call, entry ? entry->value : call->argv [1]);
    return ZOWN_OK;
}

int
zown_cmd_dict_del (zown_call_t *call)
{
    if (!s_find (call, call->argv [0]))
        return zown_call_error (call, ZOWN_NOT_FOUND, "no such key");
    s_key_t key = s_key_of (call->argv [0]);
    if (s_save_key (call, &key))
        return zown_call_error (call, ZOWN_NO_MEMORY, "out of memory");
    zhashx_delete (s_table (call), &key);
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
    zhashx_t *table = s_table (call);
    zown_call_reply_int (call, table ? (int64_t) zhashx_size (table) : 0);
    return ZOWN_OK;
}

static void
s_reply_key (zown_call_t *call, zhashx_t *table)
{
    const s_key_t *key = (const s_key_t *) zhashx_cursor (table);
    zown_call_reply (call, zown_datum_bytes (key->ptr, key->len));
}

int
zown_cmd_dict_keys (zown_call_t *call)
{
    zhashx_t *table = s_table (call);
    if (table)
        for (void *entry = zhashx_first (table); entry; entry = zhashx_next (table))
            s_reply_key (call, table);
    return ZOWN_OK;
}

int
zown_cmd_dict_items (zown_call_t *call)
{
    zhashx_t *table = s_table (call);
    if (table)
        for (s_entry_t *entry = (s_entry_t *) zhashx_first (table); entry;
             entry = (s_entry_t *) zhashx_next (table)) {
            s_reply_key (call, table);
            zown_call_reply (call, entry->value);
        }
    return ZOWN_OK;
}

int
zown_cmd_dict_clear (zown_call_t *call)
{
    zhashx_t *table = s_table (call);
    size_t removed = table ? zhashx_size (table) : 0;
    if (removed) {
        if (call->undo) {
            zhashx_t *empty = s_table_new ();
            if (!empty || zown_call_save (call, s_restore_table, s_discard_table, table)) {
                zhashx_destroy (&empty);
                return zown_call_error (call, ZOWN_NO_MEMORY, "out of memory");
            }
            call->object->impl = empty;
        } else
            zhashx_purge (table);
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
    int status = s_set_one (call, call->argv [0], call->argv [1], &version);
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
    int status = zown_number_add (entry ? entry->value : zown_datum_int (0), call->argv [1], &sum);
    if (status == ZOWN_WRONG_TYPE)
        return zown_call_error (call, status, "stored value is not a number");
    if (status == ZOWN_OVERFLOW)
        return zown_call_error (call, status, "int64 overflow");
    status = s_set_one (call, call->argv [0], sum, NULL);
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
    int status = s_set_one (call, call->argv [0], call->argv [2], &version);
    if (status == ZOWN_OK)
        zown_call_reply_int (call, (int64_t) version);
    return status;
}

//  Ops whose first argument (or every even one) is a key: max_key applies.

//  A change record read back from a journal: keys keep their versions.
static int
s_replay (zown_object_t *object, uint8_t kind, const zown_datum_t *key, const zown_datum_t *value,
          uint64_t version)
{
    zhashx_t *table = (zhashx_t *) object->impl;
    if (kind == ZOWN_CHANGE_CLEAR) {
        zhashx_purge (table);
        return 0;
    }
    if (!key || key->tag != ZOWN_BYTES)
        return -1;
    s_key_t lookup = s_key_of (*key);
    if (kind == ZOWN_CHANGE_DEL) {
        zhashx_delete (table, &lookup);
        return 0;
    }
    return kind == ZOWN_CHANGE_SET && value ? s_put (table, &lookup, *value, version) : -1;
}

static int
s_dump (zown_object_t *object, zown_dump_t *dump)
{
    zhashx_t *table = (zhashx_t *) object->impl;
    for (s_entry_t *entry = (s_entry_t *) zhashx_first (table); entry;
         entry = (s_entry_t *) zhashx_next (table)) {
        const s_key_t *key = (const s_key_t *) zhashx_cursor (table);
        zown_datum_t values [2] = { zown_datum_bytes (key->ptr, key->len), entry->value };
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
