/*  =========================================================================
    zown_items - an owned copy of a dict's keys and values, to iterate

    zown_dict_items hands back the client's last reply, borrowed until the
    next call and read by index. An items object is a copy that belongs to
    the caller: read it at leisure, between other calls, and destroy it.
    Iterate with zown_items_next, reading each entry with the typed
    accessors, or sort it first:

        zown_items_t *items = zown_items_new (dict);
        zown_items_sort (items, ZOWN_ITEMS_BY_INT_DESC);
        while (zown_items_next (items))
            printf ("%s: %lld\n", zown_items_key (items),
                    (long long) zown_items_int (items));
        zown_items_destroy (&items);
    =========================================================================
*/
#ifndef ZOWN_ITEMS_H_INCLUDED
#define ZOWN_ITEMS_H_INCLUDED

#include "zown_export.h"

#include "zown_dict.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _zown_items_t zown_items_t;

//  Every key and value of the dict now, copied (one round trip). NULL with
//  the call's status (ZOWN_INVALID, ZOWN_TIMEOUT, ...) or ZOWN_NO_MEMORY.
ZOWN_EXPORT zown_items_t *zown_items_new (zown_dict_t *dict);

//  The same for the dict named `dict`, without a handle (Redis's HGETALL).
ZOWN_EXPORT zown_items_t *zown_hgetall (zown_client_t *client, const char *dict);

//  Accepts NULL; nulls the caller's pointer.
ZOWN_EXPORT void zown_items_destroy (zown_items_t **self_p);

//  Number of entries.
ZOWN_EXPORT size_t zown_items_count (zown_items_t *self);

//  Move to the next entry (the first, on the first call): true if there is
//  one. After the last it returns false once, and the next call starts over.
ZOWN_EXPORT bool zown_items_next (zown_items_t *self);

//  The current entry (none before the first zown_items_next: "", nil).
//  Strings are the items' own, NUL-terminated, valid until destroy.
ZOWN_EXPORT const char *zown_items_key (zown_items_t *self);
ZOWN_EXPORT zown_datum_t zown_items_value (zown_items_t *self);
//  The value as an int64 (0 if it is not an int) / a double (an int
//  converted; 0 if not a number) / a string (NULL if not a byte string).
ZOWN_EXPORT int64_t zown_items_int (zown_items_t *self);
ZOWN_EXPORT double zown_items_double (zown_items_t *self);
ZOWN_EXPORT const char *zown_items_str (zown_items_t *self);

typedef enum {
    ZOWN_ITEMS_BY_KEY = 0,      //  Keys in byte order
    ZOWN_ITEMS_BY_INT_DESC = 1  //  Largest int value first (non-ints last), ties by key
} zown_items_order_t;

//  Sort the entries, and start over (the next zown_items_next gives the
//  first).
ZOWN_EXPORT void zown_items_sort (zown_items_t *self, zown_items_order_t order);

#ifdef __cplusplus
}
#endif

#endif
