/*  =========================================================================
    zown_queue - handle on a shared FIFO queue

    The counterpart of Python's Manager().Queue() and JoinableQueue. A get
    on an empty queue, a put on a full one and a join with work unfinished
    are held by the owner until they can complete or their timeout passes
    (nobody polls); waiters are served oldest first. zown_queue_get_many and
    zown_queue_put_many move many items in one message.

    A plain queue (the default) hands each item out at most once: an item
    whose taker dies before task_done is lost, and join then waits forever.
    A joinable queue (zown_queue_init_joinable) hands items out at least
    once: each item got is leased to the getting client until it is
    acknowledged (zown_queue_ack, or zown_queue_task_done for the client's
    oldest lease). If the client ends first (its process dies, its tcp
    connection is lost, or it is destroyed with leases held), its items go
    back to the queue, ahead of every item never delivered, and are
    delivered again with their delivery count (zown_queue_get_lease). An
    item delivered max_deliveries times without acknowledgement goes to the
    plain queue NAME.dead instead and counts as done for join. An owner
    restart on its journal returns every leased item to its queue.
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
//  set now, 0 if already so, -1 with ZOWN_WRONG_TYPE if it has another or
//  is joinable. The queue stays plain.
ZOWN_EXPORT int zown_queue_init (zown_queue_t *self, size_t maxsize);

//  Deliveries of a joinable queue's item before it is dead-lettered, when
//  zown_queue_init_joinable is given 0.
#define ZOWN_QUEUE_MAX_DELIVERIES 5

//  Make the queue joinable, with that maxsize (0: unbounded), before it is
//  used: 1 if done now, 0 if already so, -1 with ZOWN_WRONG_TYPE if it has
//  another maxsize, max_deliveries or kind. max_deliveries (1..2^31-1; 0:
//  ZOWN_QUEUE_MAX_DELIVERIES) bounds how often an item is handed out; the
//  name must leave room for ".dead" (ZOWN_INVALID otherwise).
ZOWN_EXPORT int zown_queue_init_joinable (zown_queue_t *self, size_t maxsize, int max_deliveries);

//  Put an item, waiting at most timeout_ms for room in a full queue (0: no
//  wait, ZOWN_FOREVER: no limit). -1 with ZOWN_TIMEOUT.
ZOWN_EXPORT int zown_queue_put (zown_queue_t *self, zown_datum_t item, int timeout_ms);

//  Put n items without waiting: -1 with ZOWN_TIMEOUT if they do not all fit
//  now. Up to ZOWN_REQUEST_OPS_MAX items go in one message, all or none;
//  more are split into messages of that many, each all or none, sent in
//  order: on a failure the messages before it stay applied.
ZOWN_EXPORT int zown_queue_put_many (zown_queue_t *self, size_t n, const zown_datum_t *items);

//  Get the oldest item, waiting at most timeout_ms for one. The item is
//  borrowed until the next call on the client. -1 with ZOWN_TIMEOUT. On a
//  joinable queue the item is leased to this client (zown_queue_get_lease).
ZOWN_EXPORT int zown_queue_get (zown_queue_t *self, int timeout_ms, zown_datum_t *item_p);

//  Get the oldest item as zown_queue_get does, as an int copied into
//  *value_p (may be NULL): -1 with ZOWN_WRONG_TYPE if it is not one (nil,
//  a stop mark, is not: it is consumed all the same).
ZOWN_EXPORT int zown_queue_get_int (zown_queue_t *self, int timeout_ms, int64_t *value_p);

//  Get the oldest item as zown_queue_get does, with its lease: its id, for
//  zown_queue_ack, and how many times it has been handed out, this time
//  included (above 1: an earlier taker ended without acknowledging it, and
//  may have done the work). On a plain queue both are 0: nothing is
//  leased. Any pointer may be NULL.
ZOWN_EXPORT int zown_queue_get_lease (zown_queue_t *self, int timeout_ms, zown_datum_t *item_p,
                                      uint64_t *id_p, int64_t *deliveries_p);

//  Prefetch, as RabbitMQ's basic.qos: a get on this handle that finds no
//  item kept in it leases up to `count` items in one round trip (waiting
//  like get for the first; the first such get takes one item, which tells
//  the handle the queue's kind), and the next gets are served from the
//  handle, in order, without a round trip. On a joinable queue each item
//  prefetched is leased to this client as an item got is: if its process
//  dies, every item it holds, served or not, goes back to the queue and is
//  delivered again; items still kept when the handle is destroyed stay
//  leased until the client's session ends (its destroy). On a plain queue
//  prefetched items are taken: they die with the process. Acknowledge with
//  task_done (the client's oldest lease: the items are served in order) or
//  ack; on a buffered client (zown_client_set_buffered) those ride the
//  buffered updates. zown_queue_get_many takes from the owner, after the
//  items kept. count: 0 or 1 (the default) for one round trip per get, at
//  most 65,535.
ZOWN_EXPORT int zown_queue_set_prefetch (zown_queue_t *self, size_t count);

//  Get up to `most` items at once (at least one: waits like get for the
//  first). *items_p gets a reply with one result of the items, oldest first;
//  from a joinable queue three values per item (item, int id, int
//  deliveries), at most 65,535 items.
ZOWN_EXPORT int zown_queue_get_many (zown_queue_t *self, size_t most, int timeout_ms,
                                     zown_reply_t **items_p);

//  Items queued now.
ZOWN_EXPORT int zown_queue_size (zown_queue_t *self, size_t *size_p);

//  1 if empty / full now, 0 if not, -1 on error.
ZOWN_EXPORT int zown_queue_empty (zown_queue_t *self);
ZOWN_EXPORT int zown_queue_full (zown_queue_t *self);

//  One item got has been dealt with (JoinableQueue). Plain queue: any
//  client may call it; -1 with ZOWN_BAD_ARGS when called more times than
//  items were put. Joinable queue: acknowledges this client's oldest lease;
//  -1 with ZOWN_NOT_HELD if it holds none (task_done for an item another
//  client got is refused: that item is still that client's).
ZOWN_EXPORT int zown_queue_task_done (zown_queue_t *self);

//  Acknowledge the item with that id, leased to this client (joinable
//  queue), in any order: it is done with, and never delivered again. -1
//  with ZOWN_NOT_HELD if this client holds no such lease (already
//  acknowledged, or returned when an earlier session of it ended), with
//  ZOWN_BAD_ARGS on a plain queue.
ZOWN_EXPORT int zown_queue_ack (zown_queue_t *self, uint64_t id);

//  Wait until every item put has been marked done (timeout as for get):
//  on a joinable queue, acknowledged or dead-lettered.
ZOWN_EXPORT int zown_queue_join (zown_queue_t *self, int timeout_ms);

#ifdef __cplusplus
}
#endif

#endif
