/*  =========================================================================
    zown_value - handle on a shared number held by an owner

    The C counterpart of Python's multiprocessing.Value, without the lock:
    an increment is one message, applied atomically by the owner. A value
    is an int64 or a double, fixed by the first write that creates it; it
    does not exist (ZOWN_NOT_FOUND on get) until then.
    =========================================================================
*/
#ifndef ZOWN_VALUE_H_INCLUDED
#define ZOWN_VALUE_H_INCLUDED

#include "zown_export.h"

#include "zown_client.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _zown_value_t zown_value_t;

//  Handle on the value `name`, served through `client` (borrowed). No
//  round trip. NULL with ZOWN_INVALID or ZOWN_NO_MEMORY.
ZOWN_EXPORT zown_value_t *zown_value_new (zown_client_t *client, const char *name);

ZOWN_EXPORT void zown_value_destroy (zown_value_t **self_p);

//  Read the value: -1 with ZOWN_NOT_FOUND if never written, ZOWN_WRONG_TYPE
//  if it holds the other number type.
ZOWN_EXPORT int zown_value_get (zown_value_t *self, int64_t *value_p);
ZOWN_EXPORT int zown_value_get_double (zown_value_t *self, double *value_p);

//  Write the value (creating it with that number type).
ZOWN_EXPORT int zown_value_set (zown_value_t *self, int64_t value);
ZOWN_EXPORT int zown_value_set_double (zown_value_t *self, double value);

//  Atomically add delta and return the new value in *now_p (may be NULL).
//  A value never written starts at 0. ZOWN_OVERFLOW if an int64 would wrap.
ZOWN_EXPORT int zown_value_add (zown_value_t *self, int64_t delta, int64_t *now_p);
ZOWN_EXPORT int zown_value_add_double (zown_value_t *self, double delta, double *now_p);

//  Set to `desired` only if the value is `expected`. *current_p (may be
//  NULL) gets the value now held: `desired` on success; on ZOWN_CONFLICT the
//  value that differed.
ZOWN_EXPORT int zown_value_cas (zown_value_t *self, int64_t expected, int64_t desired,
                                int64_t *current_p);
ZOWN_EXPORT int zown_value_cas_double (zown_value_t *self, double expected, double desired,
                                       double *current_p);

#ifdef __cplusplus
}
#endif

#endif
