/*  =========================================================================
    zown_dict - handle on a shared dict held by an owner

    Keys are C strings; values are data (nil, int, double, bytes). Each key
    carries a version number: the owner's per-object write count at the
    key's last change, so a read-modify-write can be checked with
    zown_dict_cas. A handle is a name and a client: it holds no copy of the
    data, so every read sees the owner's current state. A dict that does not
    exist reads as empty and is created by the first write.
    =========================================================================
*/
#ifndef ZOWN_DICT_H_INCLUDED
#define ZOWN_DICT_H_INCLUDED

#include "zown_export.h"

#include "zown_client.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _zown_dict_t zown_dict_t;

//  Handle on the dict `name`, served through `client` (borrowed; it must
//  outlive the handle). No round trip. NULL with ZOWN_INVALID or
//  ZOWN_NO_MEMORY.
ZOWN_EXPORT zown_dict_t *zown_dict_new (zown_client_t *client, const char *name);

ZOWN_EXPORT void zown_dict_destroy (zown_dict_t **self_p);

//  Set key to value. *version_p (may be NULL) gets the key's new version.
ZOWN_EXPORT int zown_dict_set (zown_dict_t *self, const char *key, zown_datum_t value,
                               uint64_t *version_p);

//  Value of key; -1 with ZOWN_NOT_FOUND when absent. Byte strings are
//  borrowed until the next call on the client. version_p may be NULL.
ZOWN_EXPORT int zown_dict_get (zown_dict_t *self, const char *key, zown_datum_t *value_p,
                               uint64_t *version_p);

//  Value of key, copied out: an int or a double into *value_p (may be
//  NULL), a byte string into a fresh C string the caller frees. -1 (NULL)
//  with ZOWN_NOT_FOUND when absent, ZOWN_WRONG_TYPE when it holds another
//  type.
ZOWN_EXPORT int zown_dict_get_int (zown_dict_t *self, const char *key, int64_t *value_p);
ZOWN_EXPORT int zown_dict_get_double (zown_dict_t *self, const char *key, double *value_p);
ZOWN_EXPORT char *zown_dict_get_str (zown_dict_t *self, const char *key);

//  Value of key, or `fallback` when absent (fallback is returned as given).
ZOWN_EXPORT int zown_dict_get_or (zown_dict_t *self, const char *key, zown_datum_t fallback,
                                  zown_datum_t *value_p);

//  Remove key; -1 with ZOWN_NOT_FOUND when absent.
ZOWN_EXPORT int zown_dict_delete (zown_dict_t *self, const char *key);

//  1 if key is present, 0 if not, -1 on error.
ZOWN_EXPORT int zown_dict_contains (zown_dict_t *self, const char *key);

//  Number of keys.
ZOWN_EXPORT int zown_dict_len (zown_dict_t *self, size_t *len_p);

//  Every key: a reply with one result of byte-string values, borrowed until
//  the next call on the client (the fast path; zown_items_new copies).
//  Order is unspecified.
ZOWN_EXPORT int zown_dict_keys (zown_dict_t *self, zown_reply_t **keys_p);

//  Every key and value: one result of 2*N values, key then value, borrowed
//  as for zown_dict_keys. zown_items_new gives an owned copy to iterate.
ZOWN_EXPORT int zown_dict_items (zown_dict_t *self, zown_reply_t **items_p);

//  Remove every key; *removed_p (may be NULL) gets how many.
ZOWN_EXPORT int zown_dict_clear (zown_dict_t *self, size_t *removed_p);

//  Set key only if absent: 1 if it was set, 0 if already present, -1 error.
ZOWN_EXPORT int zown_dict_set_if_absent (zown_dict_t *self, const char *key, zown_datum_t value);

//  Set n keys. Up to ZOWN_DICT_UPDATE_MAX keys go in one atomic op; more
//  are split into ops of that many, applied in order, each atomic: on a
//  failure the ops before it stay applied.
#define ZOWN_DICT_UPDATE_MAX (ZOWN_REQUEST_ARGS_MAX / 2)
ZOWN_EXPORT int zown_dict_update (zown_dict_t *self, size_t n, const char *const *keys,
                                  const zown_datum_t *values);

//  Add deltas [i] to the int at keys [i] (absent: 0), for i below n, as
//  zown_dict_add does; deltas may be NULL: 1 each, which counts the keys
//  (a key given twice counts twice); n may be 0. Up to ZOWN_REQUEST_OPS_MAX keys go in
//  one request, applied all or none; more are split into requests of that
//  many, each all or none, sent in order: on a failure the requests before
//  it stay applied.
ZOWN_EXPORT int zown_dict_add_many (zown_dict_t *self, size_t n, const char *const *keys,
                                    const int64_t *deltas);

//  Atomically add `delta` (int or double) to the number stored at key; an
//  absent key counts as 0. int + int stays int (ZOWN_OVERFLOW past int64);
//  a double on either side gives a double. Non-numbers: ZOWN_WRONG_TYPE.
//  *result_p (may be NULL) gets the new value.
ZOWN_EXPORT int zown_dict_add (zown_dict_t *self, const char *key, zown_datum_t delta,
                               zown_datum_t *result_p);

//  Set key only if its version is still `expected` (0: only if absent).
//  On success *version_p gets the new version; on ZOWN_CONFLICT it gets the
//  current one (0 if absent).
ZOWN_EXPORT int zown_dict_cas (zown_dict_t *self, const char *key, uint64_t expected,
                               zown_datum_t value, uint64_t *version_p);

#ifdef __cplusplus
}
#endif

#endif
