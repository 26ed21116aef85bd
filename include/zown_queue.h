/*  =========================================================================
    zown_queue - handle on a shared FIFO queue

    The counterpart of Python's Manager().Queue() and JoinableQueue. A get
    on an empty queue, a put on a full one and a join with work unfinished
    are held by the owner until they can complete or their timeout passes
    (nobody polls); waiters are served oldest first. zown_queue_get_many and
    zown_queue_put_many move many items in one message.
    =========================================================================
*/
#ifndef ZOWN_QUEUE_H_INCLUDED
#define ZOWN_QUEUE_H_INCLUDED

#include "zown_export.h"

#include "zown_client.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _zown_queue_t zown_queue_t;

//  Handle on the queue `name`, served through `client` (borrowed; it must
//  outlive the handle). No round trip. NULL with ZOWN_INVALID or
//  ZOWN_NO_MEMORY. A queue nobody initialised is unbounded.
ZOWN_EXPORT zown_queue_t *zown_queue_new (zown_client_t *client, const char *name);

ZOWN_EXPORT void zown_queue_destroy (zown_queue_t **self_p);

//  Fix the queue's maxsize (0: unbounded) before it is used: 1 if it was
//  set now, 0 if already so, -1 with ZOWN_WRONG_TYPE if it has another.
ZOWN_EXPORT int zown_queue_init (zown_queue_t *self, size_t maxsize);

//  Put an item, waiting at most timeout_ms for room in a full queue (0: no
//  wait, ZOWN_FOREVER: no limit). -1 with ZOWN_TIMEOUT.
ZOWN_EXPORT int zown_queue_put (zown_queue_t *self, zown_datum_t item, int timeout_ms);

//  Put n items (at most 1024) in one message, all or none, without waiting:
//  -1 with ZOWN_TIMEOUT if they do not all fit now.
ZOWN_EXPORT int zown_queue_put_many (zown_queue_t *self, size_t n, const zown_datum_t *items);

//  Get the oldest item, waiting at most timeout_ms for one. The item is
//  borrowed until the next call on the client. -1 with ZOWN_TIMEOUT.
ZOWN_EXPORT int zown_queue_get (zown_queue_t *self, int timeout_ms, zown_datum_t *item_p);

//  Get up to `most` items at once (at least one: waits like get for the
//  first). *items_p gets a reply with one result of the items, oldest first.
ZOWN_EXPORT int zown_queue_get_many (zown_queue_t *self, size_t most, int timeout_ms,
                                     zown_reply_t **items_p);

//  Items queued now.
ZOWN_EXPORT int zown_queue_size (zown_queue_t *self, size_t *size_p);

//  1 if empty / full now, 0 if not, -1 on error.
ZOWN_EXPORT int zown_queue_empty (zown_queue_t *self);
ZOWN_EXPORT int zown_queue_full (zown_queue_t *self);

//  One item got has been dealt with (JoinableQueue). -1 with ZOWN_BAD_ARGS
//  when called more times than items were put.
ZOWN_EXPORT int zown_queue_task_done (zown_queue_t *self);

//  Wait until every item put has been marked done (timeout as for get).
ZOWN_EXPORT int zown_queue_join (zown_queue_t *self, int timeout_ms);

#ifdef __cplusplus
}
#endif

#endif
