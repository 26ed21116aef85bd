/*  =========================================================================
    zown_event - handle on a shared event (a flag processes can wait on)

    The counterpart of Python's multiprocessing.Event. A wait is one request
    that the owner holds until the event is set or the wait's timeout
    passes; nobody polls. An event nobody has touched is clear.
    =========================================================================
*/
#ifndef ZOWN_EVENT_H_INCLUDED
#define ZOWN_EVENT_H_INCLUDED

#include "zown_export.h"

#include "zown_client.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _zown_event_t zown_event_t;

//  Handle on the event `name`, served through `client` (borrowed; it must
//  outlive the handle). No round trip. NULL with ZOWN_INVALID or
//  ZOWN_NO_MEMORY.
ZOWN_EXPORT zown_event_t *zown_event_new (zown_client_t *client, const char *name);

ZOWN_EXPORT void zown_event_destroy (zown_event_t **self_p);

//  Set the event: every waiter returns.
ZOWN_EXPORT int zown_event_set (zown_event_t *self);

//  Clear the event.
ZOWN_EXPORT int zown_event_clear (zown_event_t *self);

//  1 if set, 0 if clear, -1 on error.
ZOWN_EXPORT int zown_event_is_set (zown_event_t *self);

//  Wait until the event is set: 0 once it is; -1 with ZOWN_TIMEOUT when
//  timeout_ms passes first (0: do not wait; ZOWN_FOREVER: no limit, which
//  must be asked for). The client's own deadline is added on top.
ZOWN_EXPORT int zown_event_wait (zown_event_t *self, int timeout_ms);

#ifdef __cplusplus
}
#endif

#endif
