/*  =========================================================================
    zown_semaphore - handle on a shared counting semaphore whose permits
    come back when their holder's client ends

    The counterpart of Python's Manager().Semaphore() and BoundedSemaphore().
    zown_semaphore_init fixes the initial number of permits and whether
    releases are bounded by it; any other call on a semaphore never
    initialised fails with ZOWN_NOT_FOUND. Permits are held by the client
    (its connection), not the thread or process: if the holder's process
    dies (even by SIGKILL) or its client is destroyed, the owner gives its
    permits back at once. Waiters are served strictly oldest first: one
    that needs more permits than are free blocks those behind it.
    =========================================================================
*/
#ifndef ZOWN_SEMAPHORE_H_INCLUDED
#define ZOWN_SEMAPHORE_H_INCLUDED

#include "zown_export.h"

#include "zown_client.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _zown_semaphore_t zown_semaphore_t;

//  Handle on the semaphore `name`, served through `client` (borrowed; it
//  must outlive the handle). No round trip. NULL with ZOWN_INVALID or
//  ZOWN_NO_MEMORY.
ZOWN_EXPORT zown_semaphore_t *zown_semaphore_new (zown_client_t *client, const char *name);

ZOWN_EXPORT void zown_semaphore_destroy (zown_semaphore_t **self_p);

//  Create the semaphore with `value` permits (0 to 2^31-1); if `bounded`,
//  a release that would take it past `value` fails. Returns 1 if it was
//  created, 0 if it already existed with this value and bound, -1 with
//  ZOWN_WRONG_TYPE if it exists with others, or ZOWN_BAD_ARGS.
ZOWN_EXPORT int zown_semaphore_init (zown_semaphore_t *self, int64_t value, bool bounded);

//  Take `count` permits at once, waiting at most timeout_ms for them (0:
//  only if free now; ZOWN_FOREVER: no limit, which must be asked for).
//  Returns 0 once taken; -1 with ZOWN_TIMEOUT, ZOWN_NOT_FOUND, or
//  ZOWN_BAD_ARGS for a count below 1 or above a bounded semaphore's
//  initial value (it could never be served).
ZOWN_EXPORT int zown_semaphore_acquire (zown_semaphore_t *self, int64_t count, int timeout_ms);

//  Give `count` permits back, waking waiters. Any client may release, as
//  in Python; this client's own count goes down by what it holds of them.
//  -1 with ZOWN_OVERFLOW if a bounded semaphore would exceed its initial
//  value (nothing changes), ZOWN_NOT_FOUND, or ZOWN_BAD_ARGS.
ZOWN_EXPORT int zown_semaphore_release (zown_semaphore_t *self, int64_t count);

//  Permits free now, in *value_p (may be NULL).
ZOWN_EXPORT int zown_semaphore_value (zown_semaphore_t *self, int64_t *value_p);

#ifdef __cplusplus
}
#endif

#endif
