/*  =========================================================================
    table - a hash table of items keyed by byte strings, with the chain
    link inside each item

    The caller allocates each item as one block: a zown_table_item_t first,
    its own fields, and the key's bytes at the table's key offset. The
    table holds only an array of bucket heads, so an item costs its one
    allocation plus a bucket pointer; it never allocates per item, and an
    insert never fails (a table that cannot grow keeps longer chains).
    Items come back in no particular order.
    =========================================================================
*/
#ifndef ZOWN_TABLE_H_INCLUDED
#define ZOWN_TABLE_H_INCLUDED

typedef struct _zown_table_item_t zown_table_item_t;
struct _zown_table_item_t {
    zown_table_item_t *next;  //  The table's: next item of the same bucket
    uint32_t key_len;         //  Bytes of the key, at the table's key offset
    uint32_t aux;             //  The caller's: the table never reads it
};

typedef struct _zown_table_t zown_table_t;

//  Frees an item (the caller's allocation).
typedef void (zown_table_free_fn) (zown_table_item_t *item);

//  Where iteration is: zero it to start (ZOWN_TABLE_CURSOR).
typedef struct {
    size_t bucket;
    zown_table_item_t *item;
} zown_table_cursor_t;
#define ZOWN_TABLE_CURSOR ((zown_table_cursor_t){ 0, NULL })

//  An empty table whose items keep their key `key_offset` bytes from their
//  start, freed by `free_item` when the table clears or goes. NULL if out
//  of memory.
zown_table_t *zown_table_new (size_t key_offset, zown_table_free_fn *free_item);
//  Free the table and every item in it; accepts NULL, nulls the pointer.
void zown_table_destroy (zown_table_t **self_p);
//  Free every item; the table stays, empty.
void zown_table_clear (zown_table_t *self);
size_t zown_table_size (zown_table_t *self);

//  The item with this key, or NULL.
zown_table_item_t *zown_table_find (zown_table_t *self, const void *key, size_t len);
//  Put an item in (its key_len set, its key in place). Returns the item it
//  replaces, which had the same key and is now out of the table (the
//  caller frees it), or NULL if the key was new.
zown_table_item_t *zown_table_put (zown_table_t *self, zown_table_item_t *item);
//  Take this item (which is in the table) out; the caller frees it.
void zown_table_remove (zown_table_t *self, zown_table_item_t *item);

//  The next item, or NULL at the end. Only valid while the table does not
//  change.
zown_table_item_t *zown_table_next (zown_table_t *self, zown_table_cursor_t *cursor);

//  An item's key bytes.
const uint8_t *zown_table_key (zown_table_t *self, const zown_table_item_t *item);

#endif
