/*  =========================================================================
    zown_list - handle on a shared list held by an owner

    The C counterpart of Python's Manager().list(): an ordered sequence of
    data (nil, int, double, bytes). Indices are int64; a negative index
    counts from the end, as in Python. Each call is one message, applied
    atomically by the owner, so concurrent appends never lose an item. A
    handle is a name and a client: it holds no copy of the data. A list
    that does not exist reads as empty and is created by the first append,
    extend or insert. Values are compared with zown_datum_eq, so int 1 and
    double 1.0 are different values (unlike Python).
    =========================================================================
*/
#ifndef ZOWN_LIST_H_INCLUDED
#define ZOWN_LIST_H_INCLUDED

#include "zown_export.h"

#include "zown_client.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _zown_list_t zown_list_t;

//  Handle on the list `name`, served through `client` (borrowed; it must
//  outlive the handle). No round trip. NULL with ZOWN_INVALID or
//  ZOWN_NO_MEMORY.
ZOWN_EXPORT zown_list_t *zown_list_new (zown_client_t *client, const char *name);

ZOWN_EXPORT void zown_list_destroy (zown_list_t **self_p);

//  Add value at the end. *len_p (may be NULL) gets the new length.
ZOWN_EXPORT int zown_list_append (zown_list_t *self, zown_datum_t value, size_t *len_p);

//  Add n values at the end. *len_p (may be NULL) gets the new length. Up
//  to ZOWN_REQUEST_ARGS_MAX values go in one op, all or none; more are
//  split into ops of that many, applied in order, each all or none: on a
//  failure the ops before it stay applied.
ZOWN_EXPORT int zown_list_extend (zown_list_t *self, size_t n, const zown_datum_t *values,
                                  size_t *len_p);

//  Insert value before index, as Python's list.insert: an index past either
//  end inserts at that end, so it never fails for the index.
ZOWN_EXPORT int zown_list_insert (zown_list_t *self, int64_t index, zown_datum_t value);

//  Value at index; -1 with ZOWN_OUT_OF_RANGE if there is none. Byte
//  strings are borrowed until the next call on the client.
ZOWN_EXPORT int zown_list_get (zown_list_t *self, int64_t index, zown_datum_t *value_p);

//  Replace the value at index; -1 with ZOWN_OUT_OF_RANGE if there is none
//  (also for a list that does not exist).
ZOWN_EXPORT int zown_list_set (zown_list_t *self, int64_t index, zown_datum_t value);

//  Remove the value at index (-1: the last) and return it in *value_p (may
//  be NULL), borrowed until the next call on the client. -1 with
//  ZOWN_OUT_OF_RANGE if there is none (also for an empty list).
ZOWN_EXPORT int zown_list_pop (zown_list_t *self, int64_t index, zown_datum_t *value_p);

//  Remove the first value equal to value; -1 with ZOWN_NOT_FOUND if none.
ZOWN_EXPORT int zown_list_remove (zown_list_t *self, zown_datum_t value);

//  Index of the first value equal to value; -1 with ZOWN_NOT_FOUND if none.
ZOWN_EXPORT int zown_list_index (zown_list_t *self, zown_datum_t value, size_t *index_p);

//  Number of values (0 for a list that does not exist).
ZOWN_EXPORT int zown_list_len (zown_list_t *self, size_t *len_p);

//  The values of the slice list[start:stop], as Python computes it
//  (negative bounds count from the end, then both are clamped to the list;
//  never an error): a reply with one result holding the values, borrowed
//  until the next call on the client.
ZOWN_EXPORT int zown_list_range (zown_list_t *self, int64_t start, int64_t stop,
                                 zown_reply_t **values_p);

//  Remove every value; *removed_p (may be NULL) gets how many.
ZOWN_EXPORT int zown_list_clear (zown_list_t *self, size_t *removed_p);

#ifdef __cplusplus
}
#endif

#endif
