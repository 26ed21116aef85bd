/*  =========================================================================
    zown_subscriber - receive an owner's change feed, record by record

    Every owner publishes each change it commits on its change feed
    (docs/PROTOCOL.md, section 9): the object, the kind of change, its
    values, the object's version and a global sequence number that numbers
    every change from 1 with no gap. A subscriber receives those records,
    decoded, for the objects it subscribes to; nobody builds feed frames by
    hand. zown_replica keeps copies of objects current with one, and
    `zown watch` prints what one receives.

    A subscriber connects and subscribes without waiting: records published
    before the owner has seen the subscription are not sent to it. Ask the
    owner for a MARK (ZOWN_OP_MARK) and wait for it to come back to know
    that the subscription is live. A subscriber that falls far behind loses
    records (libzmq may drop from about half of ZOWN_SUBSCRIBER_HWM behind:
    it tells the owner what was read in steps of half the mark); a
    subscriber to everything sees the gap in sequence numbers.

    One subscriber per thread. In a forked child every call on an inherited
    subscriber fails with ZOWN_FORKED (docs/FORK.md).
    =========================================================================
*/
#ifndef ZOWN_SUBSCRIBER_H_INCLUDED
#define ZOWN_SUBSCRIBER_H_INCLUDED

#include "zown_export.h"

#include "zown_client.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _zown_subscriber_t zown_subscriber_t;

//  Records a subscriber may fall behind before it loses some (its receive
//  high-water mark, as the owner's send high-water mark).
#define ZOWN_SUBSCRIBER_HWM 100000

//  What a change record says happened (docs/PROTOCOL.md, section 9).
typedef enum {
    ZOWN_CHANGE_SET = 1,    //  values: key, new value; for a value object nil, the number
    ZOWN_CHANGE_DEL = 2,    //  values: key
    ZOWN_CHANGE_CLEAR = 3,  //  every key of a dict was removed
    ZOWN_CHANGE_DROP = 4,   //  the object was dropped
    ZOWN_CHANGE_OP = 5,     //  another write (list, queue, ...): values are the op's arguments
    ZOWN_CHANGE_MARK = 6    //  not a change: MARK was called; values: its token
} zown_change_kind_t;

//  One record, decoded. Everything points into the subscriber and stays
//  valid until its next zown_subscriber_recv.
typedef struct {
    const char *name;  //  Object name ("" for MARK)
    int kind;          //  A zown_change_kind_t (a newer owner may send others)
    uint64_t seq;      //  Global sequence number; MARK: the last change's
    uint64_t version;  //  The object's version after the change
    int op;            //  Op code that made the change (zown_op_t)
    size_t count;      //  Number of values
    const zown_datum_t *values;
    bool more;  //  More records of the same commit (a batch) follow this one
} zown_feed_record_t;

//  Connect to a change feed: "ipc://RUNDIR/NAME.feed" (see
//  zown_owner_feed_endpoint_for) or the owner's feed inproc endpoint
//  (zown_owner_feed_inproc). Subscribes to nothing yet. NULL with
//  ZOWN_INVALID, ZOWN_SYSTEM or ZOWN_NO_MEMORY.
ZOWN_EXPORT zown_subscriber_t *zown_subscriber_new (const char *feed_endpoint);

//  Close it; accepts NULL and nulls the caller's pointer.
ZOWN_EXPORT void zown_subscriber_destroy (zown_subscriber_t **self_p);

//  Receive the records of the object `name` (exactly that name: "d" does
//  not get "d2"); NULL for every record of every object, MARKs included;
//  "" for MARK records only. Returns 0, or -1 with ZOWN_INVALID (a name
//  over 255 bytes) or ZOWN_FORKED.
ZOWN_EXPORT int zown_subscriber_subscribe (zown_subscriber_t *self, const char *name);

//  Stop receiving what zown_subscriber_subscribe (name) asked for.
ZOWN_EXPORT int zown_subscriber_unsubscribe (zown_subscriber_t *self, const char *name);

//  Wait up to timeout_ms (0: do not wait; ZOWN_FOREVER) for the next
//  record and decode it into *record. Returns 0, or -1 with ZOWN_TIMEOUT
//  (none came), ZOWN_PROTOCOL (a message that is not a record of this
//  protocol version: it is dropped; receive again), ZOWN_FORKED or
//  ZOWN_SYSTEM.
ZOWN_EXPORT int zown_subscriber_recv (zown_subscriber_t *self, zown_feed_record_t *record,
                                      int timeout_ms);

//  The ZeroMQ socket, for zmq_poll only (ZMQ_POLLIN: a record can be
//  received); never read it or change its options.
ZOWN_EXPORT void *zown_subscriber_socket (zown_subscriber_t *self);

#ifdef __cplusplus
}
#endif

#endif
