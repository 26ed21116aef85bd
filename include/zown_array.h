/*  =========================================================================
    zown_array - handle on a shared fixed-length array of numbers

    The C counterpart of Python's multiprocessing.Array, without the lock:
    zown_array_create fixes the length and the element type (int64 or
    double, the type of the initial value); then single elements and ranges
    are read and written atomically, and an element can be added to in one
    message. Indices start at 0; an index or range outside the array fails
    with ZOWN_OUT_OF_RANGE, a number of the other type with ZOWN_WRONG_TYPE,
    and any op on an array never created with ZOWN_NOT_FOUND.
    =========================================================================
*/
#ifndef ZOWN_ARRAY_H_INCLUDED
#define ZOWN_ARRAY_H_INCLUDED

#include "zown_export.h"

#include "zown_client.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _zown_array_t zown_array_t;

//  Handle on the array `name`, served through `client` (borrowed; it must
//  outlive the handle). No round trip. NULL with ZOWN_INVALID or
//  ZOWN_NO_MEMORY.
ZOWN_EXPORT zown_array_t *zown_array_new (zown_client_t *client, const char *name);

ZOWN_EXPORT void zown_array_destroy (zown_array_t **self_p);

//  Longest array, whatever the owner's max_items: an array is allocated
//  and filled whole when it is created (2 GiB at this length).
#define ZOWN_ARRAY_LENGTH_MAX (1u << 28)

//  Create the array with `length` elements (at most the owner's max_items,
//  16 Mi by default, and ZOWN_ARRAY_LENGTH_MAX), each set to `initial` (an
//  int or a double, which fixes the element type). Returns 1 if it was
//  created, 0 if it already existed with this length and type, -1 with
//  ZOWN_WRONG_TYPE if it exists with another, ZOWN_LIMIT (too long), or
//  ZOWN_BAD_ARGS for an initial value that is not a number.
ZOWN_EXPORT int zown_array_create (zown_array_t *self, size_t length, zown_datum_t initial);

//  Element `index`.
ZOWN_EXPORT int zown_array_get (zown_array_t *self, size_t index, zown_datum_t *value_p);

//  Set element `index`.
ZOWN_EXPORT int zown_array_set (zown_array_t *self, size_t index, zown_datum_t value);

//  Atomically add `delta` to element `index`; *now_p (may be NULL) gets the
//  new value. ZOWN_OVERFLOW if an int64 would wrap (nothing changes).
ZOWN_EXPORT int zown_array_add (zown_array_t *self, size_t index, zown_datum_t delta,
                                zown_datum_t *now_p);

//  Elements [start, start + count): a reply with one result of `count`
//  values, borrowed until the next call on the client.
ZOWN_EXPORT int zown_array_read (zown_array_t *self, size_t start, size_t count,
                                 zown_reply_t **values_p);

//  Write n values from `start` on, all or none.
ZOWN_EXPORT int zown_array_write (zown_array_t *self, size_t start, size_t n,
                                  const zown_datum_t *values);

//  Every element, in one reply (one consistent snapshot).
ZOWN_EXPORT int zown_array_snapshot (zown_array_t *self, zown_reply_t **values_p);

//  Number of elements.
ZOWN_EXPORT int zown_array_len (zown_array_t *self, size_t *len_p);

#ifdef __cplusplus
}
#endif

#endif
