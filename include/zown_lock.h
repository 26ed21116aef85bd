/*  =========================================================================
    zown_lock - handle on a shared lock that survives its holder's death

    The counterpart of Python's Manager().Lock(). The holder is the client
    (its connection), not the thread or process. If the holder's process
    dies (even by SIGKILL), the owner sees it at once and gives the lock to
    the next waiter, telling it that the previous holder died holding it;
    destroying a client releases what it holds, without that flag. Waiters
    are served oldest first.
    =========================================================================
*/
#ifndef ZOWN_LOCK_H_INCLUDED
#define ZOWN_LOCK_H_INCLUDED

#include "zown_export.h"

#include "zown_client.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _zown_lock_t zown_lock_t;

//  Handle on the lock `name`, served through `client` (borrowed; it must
//  outlive the handle). No round trip. NULL with ZOWN_INVALID or
//  ZOWN_NO_MEMORY.
ZOWN_EXPORT zown_lock_t *zown_lock_new (zown_client_t *client, const char *name);

ZOWN_EXPORT void zown_lock_destroy (zown_lock_t **self_p);

//  Acquire the lock, waiting at most timeout_ms (0: only if free now;
//  ZOWN_FOREVER: no limit, which must be asked for). Returns 0 once held;
//  *holder_died_p (may be NULL) is then true if the previous holder's
//  process died holding it: what the lock guards may be half-updated.
//  -1 with ZOWN_TIMEOUT. The lock is not re-entrant: a holder that
//  acquires it again fails at once with ZOWN_DEADLOCK, whatever its
//  timeout, and still holds it.
ZOWN_EXPORT int zown_lock_acquire (zown_lock_t *self, int timeout_ms, bool *holder_died_p);

//  Release the lock; -1 with ZOWN_NOT_HELD if this client does not hold it.
ZOWN_EXPORT int zown_lock_release (zown_lock_t *self);

//  1 if held by anybody, 0 if free, -1 on error.
ZOWN_EXPORT int zown_lock_locked (zown_lock_t *self);

//  A re-entrant lock (Python's RLock): its holder may acquire it again, and
//  holds it until it has released it as many times. Same calls, same
//  semantics otherwise; a holder that dies gives it up whatever its depth.
typedef struct _zown_rlock_t zown_rlock_t;

ZOWN_EXPORT zown_rlock_t *zown_rlock_new (zown_client_t *client, const char *name);
ZOWN_EXPORT void zown_rlock_destroy (zown_rlock_t **self_p);
ZOWN_EXPORT int zown_rlock_acquire (zown_rlock_t *self, int timeout_ms, bool *holder_died_p);
ZOWN_EXPORT int zown_rlock_release (zown_rlock_t *self);
ZOWN_EXPORT int zown_rlock_locked (zown_rlock_t *self);

#ifdef __cplusplus
}
#endif

#endif
