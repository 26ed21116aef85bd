/*  =========================================================================
    zown_replica - a local copy of chosen dicts and values, kept current
    from the owner's change feed: reads without a round trip

    The Clone pattern of the ZeroMQ guide (docs/PROTOCOL.md, section 9.1):
    the replica subscribes to the owner's whole change feed, makes sure the
    subscription is live (a MARK that comes back), takes a snapshot of its
    objects and the owner's sequence number in one atomic request, then
    applies every change record numbered after the snapshot, in order. It
    never applies a change twice and never goes back to an older state;
    when the sequence numbers show that records were lost (it fell behind
    by ZOWN_SUBSCRIBER_HWM records, or reconnected), it takes a new
    snapshot.

    The replica changes only inside zown_replica_add, _update, _wait and
    _sync. Reads never touch a socket: they answer from local memory in
    well under a microsecond, and every read between two of those calls
    sees the same state, that of one instant of the owner (the state after
    change zown_replica_seq). Call zown_replica_update (self, 0) to take in
    what has arrived (one system call when nothing has), and
    zown_replica_sync after a write of one's own to read it back.

    Records lost at the very end of a burst are followed by nothing that
    would show the gap: a replica whose feed stays quiet asks the owner for
    a MARK (after a second in update, after 100 ms in wait and sync), whose
    record shows it.

    Values and numbers are the owner's; key versions are not replicated
    (DICT_ITEMS, which the snapshot reads, does not carry them).

    One replica per thread. In a forked child every call on an inherited
    replica fails with ZOWN_FORKED (docs/FORK.md).
    =========================================================================
*/
#ifndef ZOWN_REPLICA_H_INCLUDED
#define ZOWN_REPLICA_H_INCLUDED

#include "zown_export.h"

#include "zown_client.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _zown_replica_t zown_replica_t;

//  Most objects in one replica: a snapshot reads them all in one request.
#define ZOWN_REPLICA_OBJECTS_MAX 511

//  What a replica has done since it was created.
typedef struct {
    uint64_t records;    //  Change records applied in order (of any object)
    uint64_t skipped;    //  Records already in a snapshot, ignored
    uint64_t gaps;       //  Times records were found missing
    uint64_t resyncs;    //  Snapshots taken again: after a gap, or after the owner restarted
    uint64_t snapshots;  //  Snapshots taken in all (one per add, one per resync)
} zown_replica_stats_t;

//  A replica of objects of the owner `owner`: a name ("demo") or an
//  endpoint, as zown_client_new takes. `feed` is the owner's change feed;
//  NULL means that of the owner named `owner` (zown_owner_feed_endpoint_for)
//  and is refused when `owner` is an endpoint. Replicates nothing until
//  zown_replica_add; does not wait for the owner. NULL with ZOWN_INVALID,
//  ZOWN_SYSTEM or ZOWN_NO_MEMORY.
ZOWN_EXPORT zown_replica_t *zown_replica_new (const char *owner, const char *feed);

//  Close it and free the copies; accepts NULL and nulls the pointer.
ZOWN_EXPORT void zown_replica_destroy (zown_replica_t **self_p);

//  Deadline of each round trip to the owner (add, and the snapshot a
//  resync takes inside update, wait and sync), in ms, ZOWN_FOREVER for
//  none; default ZOWN_CLIENT_TIMEOUT_DEFAULT. 0 is refused (ZOWN_INVALID).
ZOWN_EXPORT int zown_replica_set_timeout (zown_replica_t *self, int timeout_ms);

//  Replicate the object `name`, a dict or a value. An object that does not
//  exist yet is replicated as missing until it is created; one of another
//  type is followed too, but reads of it fail with ZOWN_WRONG_TYPE. The
//  first add makes sure the feed subscription is live; every add takes a
//  new snapshot of every object of the replica, so add them all first.
//  Returns 0 (also when already added), or -1 with ZOWN_INVALID (bad name,
//  or ZOWN_REPLICA_OBJECTS_MAX objects already), ZOWN_UNREACHABLE,
//  ZOWN_TIMEOUT, ZOWN_NO_MEMORY, ZOWN_PROTOCOL or ZOWN_FORKED; the replica
//  is then as before the call.
ZOWN_EXPORT int zown_replica_add (zown_replica_t *self, const char *name);

//  The value of `key` in the dict `name`. Byte strings are borrowed until
//  the replica next changes (add, update, wait, sync). -1 with
//  ZOWN_NOT_FOUND (no such key, or no such dict), ZOWN_WRONG_TYPE (not a
//  dict), ZOWN_INVALID (not replicated, or a NULL argument), ZOWN_FORKED.
ZOWN_EXPORT int zown_replica_dict_get (zown_replica_t *self, const char *name, const char *key,
                                       zown_datum_t *value_p);

//  Number of keys of the dict `name` (0 if it does not exist). -1 as
//  zown_replica_dict_get.
ZOWN_EXPORT int zown_replica_dict_len (zown_replica_t *self, const char *name, size_t *len_p);

//  The number held by the value `name`. -1 with ZOWN_NOT_FOUND (no such
//  value), ZOWN_WRONG_TYPE (not a value, or it holds the other number
//  type), ZOWN_INVALID, ZOWN_FORKED.
ZOWN_EXPORT int zown_replica_value_get (zown_replica_t *self, const char *name, int64_t *value_p);
ZOWN_EXPORT int zown_replica_value_get_double (zown_replica_t *self, const char *name,
                                               double *value_p);

//  Sequence number of the last change applied: the replica shows the
//  owner's state right after that change (0 before the first add).
ZOWN_EXPORT uint64_t zown_replica_seq (zown_replica_t *self);

//  Apply every record that has arrived; if none has, wait up to timeout_ms
//  (0: do not wait; ZOWN_FOREVER) for the first. Applies at most
//  ZOWN_SUBSCRIBER_HWM records per call. A gap takes a new snapshot (a
//  round trip, bounded by the replica's timeout); so does a quiet feed
//  once a second: a MARK round trip, then the records up to it. Returns 0,
//  also when nothing came, or -1 with the status of a failed round trip
//  (the replica then keeps its last state and tries again at the next
//  call), or ZOWN_FORKED.
ZOWN_EXPORT int zown_replica_update (zown_replica_t *self, int timeout_ms);

//  Apply records until every change up to `seq` is applied, at most
//  timeout_ms (ZOWN_FOREVER): a seq the owner never reaches times out. -1
//  with ZOWN_TIMEOUT, or as zown_replica_update.
ZOWN_EXPORT int zown_replica_wait (zown_replica_t *self, uint64_t seq, int timeout_ms);

//  Catch up with the owner: asks it for the sequence number of its last
//  change (MARK), then applies records up to it. After a write of one's
//  own (through any client) has returned, sync makes it visible in the
//  replica: read-your-writes. Also notices an owner that restarted with
//  another history, and resyncs. -1 with ZOWN_TIMEOUT, ZOWN_UNREACHABLE,
//  or as zown_replica_update.
ZOWN_EXPORT int zown_replica_sync (zown_replica_t *self, int timeout_ms);

//  Copy the counters into *stats_p.
ZOWN_EXPORT void zown_replica_stats (zown_replica_t *self, zown_replica_stats_t *stats_p);

#ifdef __cplusplus
}
#endif

#endif
