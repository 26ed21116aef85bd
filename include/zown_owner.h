/*  =========================================================================
    zown_owner - the single owner of shared state

    An owner is a CZMQ actor: one thread that holds every shared object and
    applies requests one at a time, in arrival order, with no lock. It binds
    a ROUTER socket to "inproc://zown-NAME" (threads of this process) and to
    "ipc://RUNDIR/NAME.sock" (other processes), where RUNDIR is
    $ZOWN_RUNDIR if set, else $XDG_RUNTIME_DIR/zown, else /tmp/zown-UID; it
    is created with mode 0700 and the socket file gets mode 0600. Beside
    it are NAME.sock.lock (taken while a process binds or removes the
    socket) and NAME.feed (the change feed); a clean stop removes all
    three.
    =========================================================================
*/
#ifndef ZOWN_OWNER_H_INCLUDED
#define ZOWN_OWNER_H_INCLUDED

#include "zown_export.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _zown_owner_t zown_owner_t;

//  Longest owner name; names use [A-Za-z0-9._-] and do not start with '.'.
#define ZOWN_NAME_MAX 64
//  Default deadline of zown_owner_destroy, in milliseconds.
#define ZOWN_OWNER_STOP_TIMEOUT 5000

//  How a durable owner syncs its journal (docs/DURABILITY.md):
//  ALWAYS: a write is acknowledged once it is on disk (fdatasync);
//  EVERYSEC: synced within about a second (a crash of the machine may lose
//  that second, a crash of the owner's process loses nothing);
//  NO: the operating system decides.
typedef enum { ZOWN_FSYNC_ALWAYS = 0, ZOWN_FSYNC_EVERYSEC = 1, ZOWN_FSYNC_NO = 2 } zown_fsync_t;

//  Owner limits (docs/PROTOCOL.md, 2.4). A request over a limit is refused
//  with an error reply (TOO_LARGE for sizes, LIMIT for counts) and counted in
//  STATS; nothing else is affected. 0 in a field means its default.
#define ZOWN_LIMIT_MESSAGE_DEFAULT       (128u << 20)  //  Bytes of one request frame
#define ZOWN_LIMIT_KEY_DEFAULT           (64u << 10)   //  Bytes of a dict key
#define ZOWN_LIMIT_VALUE_DEFAULT         (64u << 20)   //  Bytes of any byte-string argument
#define ZOWN_LIMIT_OBJECTS_DEFAULT       1000000       //  Objects of the owner
#define ZOWN_LIMIT_ITEMS_DEFAULT         (16u << 20)   //  Items of one dict, list, queue, array
#define ZOWN_LIMIT_PARKED_CLIENT_DEFAULT 10000         //  Parked requests of one client
#define ZOWN_LIMIT_PARKED_DEFAULT        100000        //  Parked requests in all
#define ZOWN_LIMIT_INFLIGHT_DEFAULT      100000        //  Replies queued for one client
//  Bounds of max_message: a request must fit a header and a small op, and
//  its changes must fit one journal record (at most 256 MiB).
#define ZOWN_LIMIT_MESSAGE_MIN 1024
#define ZOWN_LIMIT_MESSAGE_MAX (256u << 20)
//  Least max_value: HELLO's boot id (36 bytes) must always fit.
#define ZOWN_LIMIT_VALUE_MIN 64
//  Least max_inflight: twice the client library's default window (a
//  window over half the ROUTER's high-water mark can lose replies).
#define ZOWN_LIMIT_INFLIGHT_MIN 2000

typedef struct {
    size_t max_message;        //  Request frame, bytes: TOO_LARGE
    size_t max_key;            //  Dict key, bytes: TOO_LARGE
    size_t max_value;          //  Any byte-string argument, bytes: TOO_LARGE
    size_t max_objects;        //  Objects: creating one more is LIMIT
    size_t max_items;          //  Items per container: adding past it is LIMIT
    size_t max_parked_client;  //  Parked requests per client: LIMIT
    size_t max_parked;         //  Parked requests in all: LIMIT
    //  Replies queued for one client that does not read them (the ROUTER's
    //  per-connection high-water marks): the reply after that is dropped
    //  and counted (replies_dropped). Transport level: no error reply can
    //  reach a client that does not read.
    size_t max_inflight;
} zown_limits_t;

typedef struct {
    //  Journal file: every change is logged there and replayed at start
    //  (snapshots go beside it, as FILE.snap). NULL: nothing is durable.
    const char *data;
    zown_fsync_t fsync;
    //  Compact (snapshot, then empty the log) when the log grows past this
    //  many bytes; 0: 64 MiB.
    uint64_t compact_bytes;
    //  tcp:// endpoints (docs/SECURITY.md). `cert`: the owner's secret
    //  certificate file (zown_curve_keygen); `allow`: the directory of the
    //  public certificates of the clients it accepts. Both are needed to
    //  bind tcp://, unless `insecure`: then tcp endpoints are plain, and
    //  anyone who reaches them reads and changes every object (each such
    //  bind is logged as a warning).
    const char *cert;
    const char *allow;
    bool insecure;
    //  Limits; all zero: the defaults.
    zown_limits_t limits;
} zown_owner_options_t;

//  Start an owner named `name` and bind its two endpoints. A NULL name
//  gives the owner a unique one of its own ("anon-PID-N-RANDOM"): read it
//  and the endpoints with zown_owner_name, zown_owner_inproc and
//  zown_owner_ipc (workers forked or spawned after it then connect to
//  zown_owner_ipc). First removes
//  from the run directory the files of owners, pools and pipelines whose
//  processes died without cleaning up (never a live one's). Returns NULL
//  with ZOWN_INVALID (bad name), ZOWN_ADDR_IN_USE (a live owner already
//  answers on that ipc path; a stale socket file left by a dead owner is
//  replaced instead), ZOWN_FORKED (CZMQ was started in a parent process)
//  or ZOWN_SYSTEM.
ZOWN_EXPORT zown_owner_t *zown_owner_new (const char *name);

//  The same with options (NULL: as zown_owner_new). With `data`, the
//  journal is loaded first; a torn or corrupt tail is set aside and
//  reported (zown_owner_recovery). Fails also with ZOWN_INVALID (a
//  corrupt snapshot, a journal that does not apply, or a limit out of its
//  bounds: max_message outside ZOWN_LIMIT_MESSAGE_MIN..MAX, max_value under
//  ZOWN_LIMIT_VALUE_MIN, max_inflight
//  under ZOWN_LIMIT_INFLIGHT_MIN or over INT_MAX), ZOWN_ADDR_IN_USE
//  (another owner has that journal open).
ZOWN_EXPORT zown_owner_t *zown_owner_new_with (const char *name,
                                               const zown_owner_options_t *options);

//  What loading the journal found, in one line ("" without a journal):
//  records applied, and anything set aside.
ZOWN_EXPORT const char *zown_owner_recovery (zown_owner_t *self);

//  The change feed (docs/PROTOCOL.md, section 9): a PUB endpoint
//  publishing every committed change; inproc and ipc. A client that
//  reached the owner by any endpoint learns both from the FEED op.
ZOWN_EXPORT const char *zown_owner_feed_inproc (zown_owner_t *self);
ZOWN_EXPORT const char *zown_owner_feed_ipc (zown_owner_t *self);
//  Default feed endpoint ("ipc://RUNDIR/NAME.feed") of the owner `name`,
//  in a fresh string; NULL with ZOWN_INVALID or ZOWN_SYSTEM.
ZOWN_EXPORT char *zown_owner_feed_endpoint_for (const char *name);

//  Stop the owner and free its state; accepts NULL, nulls the pointer.
//  Requests in flight get no reply (their clients time out). Waits at most
//  ZOWN_OWNER_STOP_TIMEOUT for the owner thread.
ZOWN_EXPORT void zown_owner_destroy (zown_owner_t **self_p);

//  Owner's name.
ZOWN_EXPORT const char *zown_owner_name (zown_owner_t *self);

//  The inproc endpoint (for threads of this process).
ZOWN_EXPORT const char *zown_owner_inproc (zown_owner_t *self);

//  The ipc endpoint (for other processes, forked workers included).
ZOWN_EXPORT const char *zown_owner_ipc (zown_owner_t *self);

//  Bind one more endpoint: ipc://, inproc://, or tcp:// ("tcp://*:7300",
//  "tcp://10.0.0.1:*" for a port the system picks), which is CURVE unless
//  the owner was made `insecure`. Returns 0, or -1 with ZOWN_INVALID (tcp
//  without `cert` and `allow`, a bad address), ZOWN_ADDR_IN_USE (the
//  address is taken; for a CURVE endpoint also: another owner of this
//  process serves CURVE endpoints) or ZOWN_SYSTEM.
ZOWN_EXPORT int zown_owner_bind (zown_owner_t *self, const char *endpoint);

//  The endpoint the last successful zown_owner_bind bound, with the port
//  the system picked for "*"; "" before any.
ZOWN_EXPORT const char *zown_owner_bound (zown_owner_t *self);

//  The owner's CURVE public key in Z85 text (what clients pass as their
//  server key); "" for an owner without `cert`.
ZOWN_EXPORT const char *zown_owner_public_key (zown_owner_t *self);

//  Default ipc endpoint of the owner `name`, as "ipc://..." in a fresh
//  string the caller frees; NULL with ZOWN_INVALID or ZOWN_SYSTEM.
ZOWN_EXPORT char *zown_owner_endpoint_for (const char *name);

#ifdef __cplusplus
}
#endif

#endif
