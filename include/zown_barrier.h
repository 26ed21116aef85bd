/*  =========================================================================
    zown_barrier - handle on a shared barrier

    The counterpart of Python's multiprocessing Barrier: `parties` clients
    wait, and all go on when the last arrives, each with its arrival index
    (0 for the first, parties - 1 for the last). A party that gives up (its
    wait timed out) or dies breaks the barrier: the others get ZOWN_BROKEN
    at once, as does every wait until zown_barrier_reset.
    =========================================================================
*/
#ifndef ZOWN_BARRIER_H_INCLUDED
#define ZOWN_BARRIER_H_INCLUDED

#include "zown_export.h"

#include "zown_client.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _zown_barrier_t zown_barrier_t;

//  Handle on the barrier `name`, served through `client` (borrowed; it must
//  outlive the handle). No round trip. NULL with ZOWN_INVALID or
//  ZOWN_NO_MEMORY.
ZOWN_EXPORT zown_barrier_t *zown_barrier_new (zown_client_t *client, const char *name);

ZOWN_EXPORT void zown_barrier_destroy (zown_barrier_t **self_p);

//  Create the barrier for `parties` parties: 1 if created now, 0 if it
//  already exists for as many, -1 with ZOWN_WRONG_TYPE if for another
//  number. Every other call on a barrier never created: ZOWN_NOT_FOUND.
ZOWN_EXPORT int zown_barrier_init (zown_barrier_t *self, size_t parties);

//  Wait for the other parties, at most timeout_ms (ZOWN_FOREVER: no limit).
//  0 when all arrived, with *index_p (may be NULL) the arrival index; -1
//  with ZOWN_BROKEN, or ZOWN_TIMEOUT (which breaks the barrier for all, unless
//  timeout_ms was 0: a wait that could not wait never arrived).
ZOWN_EXPORT int zown_barrier_wait (zown_barrier_t *self, int timeout_ms, size_t *index_p);

//  Break the barrier: every waiter, and every later wait, gets ZOWN_BROKEN.
ZOWN_EXPORT int zown_barrier_abort (zown_barrier_t *self);

//  Mend it for a new round; whoever still waits gets ZOWN_BROKEN.
ZOWN_EXPORT int zown_barrier_reset (zown_barrier_t *self);

//  Parties, parties waiting now, and whether it is broken (each may be NULL):
//  what the next wait meets.
ZOWN_EXPORT int zown_barrier_state (zown_barrier_t *self, size_t *parties_p, size_t *waiting_p,
                                    bool *broken_p);

#ifdef __cplusplus
}
#endif

#endif
