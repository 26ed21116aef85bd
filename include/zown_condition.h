/*  =========================================================================
    zown_condition - handle on a shared condition variable, bound to a lock

    The counterpart of Python's multiprocessing Condition, over a zown_lock
    or a zown_rlock (Python's default). Waiting gives the lock up (an rlock
    whatever its depth) while the owner holds the wait; a notified waiter
    takes the lock back, at the depth it held (queueing for it like any
    acquirer), before its wait returns, so a wait always returns holding the
    lock as before, as in Python, even when it timed out.
    =========================================================================
*/
#ifndef ZOWN_CONDITION_H_INCLUDED
#define ZOWN_CONDITION_H_INCLUDED

#include "zown_export.h"

#include "zown_client.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _zown_condition_t zown_condition_t;

//  Handle on the condition `name`, bound to the lock or rlock named `lock`, served
//  through `client` (borrowed). No round trip. NULL with ZOWN_INVALID or
//  ZOWN_NO_MEMORY.
ZOWN_EXPORT zown_condition_t *zown_condition_new (zown_client_t *client, const char *name,
                                                  const char *lock);

ZOWN_EXPORT void zown_condition_destroy (zown_condition_t **self_p);

//  Holding the lock: give it up and wait to be notified, at most timeout_ms
//  (ZOWN_FOREVER: no limit), then take the lock back (an rlock at the depth
//  held before), however long that takes. 0 when notified; -1 with
//  ZOWN_TIMEOUT when the timeout passed first (the lock is held again all
//  the same), ZOWN_NOT_HELD if the caller does not hold the lock.
//  *holder_died_p (may be NULL) as for zown_lock_acquire.
ZOWN_EXPORT int zown_condition_wait (zown_condition_t *self, int timeout_ms, bool *holder_died_p);

//  Holding the lock: let the n oldest waiters go on (they take the lock
//  once the caller releases it); -1 with ZOWN_NOT_HELD otherwise.
ZOWN_EXPORT int zown_condition_notify (zown_condition_t *self, size_t n);

//  The same for every waiter.
ZOWN_EXPORT int zown_condition_notify_all (zown_condition_t *self);

#ifdef __cplusplus
}
#endif

#endif
