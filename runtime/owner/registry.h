/*  =========================================================================
    registry - what the owner core offers the types and the owner's loop

    Each shared type (a file in actors/) describes itself with a
    zown_type_def_t: its name, how to make and free an instance, and its
    hooks; its ops are rows of the op manifest (include/zown_ops.def). The
    owner checks every op against its row (arity, argument types, object
    type) once, before any handler runs, so a handler never re-validates
    input. Handlers see a zown_call_t and the zown_call_* helpers.
    =========================================================================
*/
#ifndef ZOWN_REGISTRY_H_INCLUDED
#define ZOWN_REGISTRY_H_INCLUDED

typedef struct _zown_registry_t zown_registry_t;
typedef struct _zown_call_t zown_call_t;
typedef struct _zown_type_def_t zown_type_def_t;
typedef struct _zown_dump_t zown_dump_t;
typedef struct _zown_session_t zown_session_t;
typedef struct _zown_sessions_t zown_sessions_t;

//  One named object held by the owner.
typedef struct {
    char *name;                   //  Object name (also the registry key)
    const zown_type_def_t *type;  //  Its type
    uint64_t version;             //  Successful writes so far
    void *impl;                   //  Type-specific state
    zown_registry_t *registry;    //  Its owner's registry
    zlistx_t *waiters;            //  Parked requests, oldest first; NULL if none yet
    bool wake_pending;            //  Queued to retry its waiters after commit
    //  Made by a request that parked on it, and neither changed nor
    //  claimed by a creating op since: it goes with its last waiter.
    bool provisional;
} zown_object_t;

//  Who sent the request being applied: where its reply goes, even later.
typedef struct {
    const void *identity;  //  ROUTER identity frame
    size_t identity_size;  //  At most 255 octets (ZMTP)
    bool envelope;         //  Echo an empty delimiter before the reply (REQ)
    int fd;                //  Its connection's descriptor (ZMQ_SRCFD); -1 if unknown
} zown_peer_t;

//  Sends a reply that answers a parked request (woken, expired or failed),
//  not the request being executed.
typedef void (zown_send_fn) (const zown_peer_t *peer, const void *data, size_t size, void *arg);

//  Handler result: the op cannot complete now and was parked; its reply
//  comes later (zown_call_park).
#define ZOWN_PARK (-2)

//  Command flags
#define ZOWN_CMD_READ    0x01   //  Never changes state
#define ZOWN_CMD_WRITE   0x02   //  May change state
#define ZOWN_CMD_CREATE  0x04   //  Creates the object when it does not exist
#define ZOWN_CMD_OWNER   0x08   //  Owner op: the object name must be empty
#define ZOWN_CMD_PAIRS   0x10   //  Arguments come in pairs
#define ZOWN_CMD_MULTI   0x20   //  Changes several parts; always undoable
#define ZOWN_CMD_ALONE   0x40   //  Must be the only op of its request (cannot roll back)
#define ZOWN_CMD_KEY     0x80   //  The first argument (with PAIRS: every even one) is a key
#define ZOWN_CMD_JOURNAL 0x100  //  Journal form: only a journal being replayed may send it

//  Argument type masks, one bit per tag
#define ZOWN_ARG_NIL       (1u << ZOWN_NIL)
#define ZOWN_ARG_INT       (1u << ZOWN_INT)
#define ZOWN_ARG_DOUBLE    (1u << ZOWN_DOUBLE)
#define ZOWN_ARG_BYTES     (1u << ZOWN_BYTES)
#define ZOWN_ARG_NUMBER    (ZOWN_ARG_INT | ZOWN_ARG_DOUBLE)
#define ZOWN_ARG_ANY       (ZOWN_ARG_NIL | ZOWN_ARG_NUMBER | ZOWN_ARG_BYTES)
#define ZOWN_ARG_POSITIONS 4  //  Masks per command; arguments past the 4th use the 4th

//  Not a tag: the int is a timeout in ms, -1 (none), 0 or more. Any other
//  negative is refused before the op runs, so no handler has to.
#define ZOWN_ARG_TIMEOUT 0x80
#define ZOWN_ARG_MS      (ZOWN_ARG_INT | ZOWN_ARG_TIMEOUT)

//  A handler returns a status; it must not change state when it fails.
typedef int (zown_handler_fn) (zown_call_t *call);

//  One row of the op manifest (include/zown_ops.def), as the owner uses it.
typedef struct {
    uint8_t code;                            //  Wire op code
    const char *name;                        //  Uppercase name, as in PROTOCOL.md
    uint16_t min_args;                       //  Fewest arguments
    uint16_t max_args;                       //  Most arguments
    uint16_t flags;                          //  ZOWN_CMD_*
    uint8_t arg_types [ZOWN_ARG_POSITIONS];  //  Allowed tags per position
    zown_handler_fn *handler;                //  Applies the op; NULL: no such op
    const zown_type_def_t *type;             //  The type it applies to
} zown_command_t;

//  Most types the owner can serve.
#define ZOWN_TYPES_MAX 32

//  The command table, indexed by op code (runtime/owner/commands.c).
extern const zown_command_t zown_commands [256];

struct _zown_type_def_t {
    const char *name;              //  Type name, as TYPE reports it
    void *(*create) (void);        //  New empty instance, NULL if no memory
    void (*destroy) (void *impl);  //  Free an instance
    //  Give up what `session` holds in this object (it ended; `died` if its
    //  process died rather than said BYE). NULL for types that hold nothing.
    void (*release) (zown_object_t *object, zown_session_t *session, bool died);
    //  A parked request of one of its ops is leaving `object`'s line without
    //  its op having answered it: its deadline passed (the owner answers
    //  TIMEOUT) or its session ended. `tag` is what it parked with
    //  (zown_call_park_tagged). NULL for types that need not know.
    void (*leave) (zown_object_t *object, int64_t tag);
    //  At its deadline, a parked request of one of its ops is run once more
    //  with call->expired set, and no deadline any more, instead of being
    //  answered TIMEOUT: its handler answers it or keeps it waiting.
    bool retry_expired;
    //  State that belongs to sessions (locks, permits, parties): never
    //  journaled, gone after a restart.
    bool ephemeral;
    //  Apply a SET, DEL or CLEAR change record to an instance (journal
    //  replay); NULL for types whose changes are OP records. Returns 0, or
    //  -1 if the record does not fit the type or memory ran out.
    int (*replay) (zown_object_t *object, uint8_t kind, const zown_datum_t *key,
                   const zown_datum_t *value, uint64_t version);
    //  Describe an instance as change records, for a snapshot (through
    //  zown_dump_change); NULL for ephemeral types. Returns 0 or -1.
    int (*dump) (zown_object_t *object, zown_dump_t *dump);
};

//  Emit one change record of the object being dumped. Returns 0 or -1.
int zown_dump_change (zown_dump_t *dump, uint8_t kind, uint8_t op, size_t count,
                      const zown_datum_t *values, uint64_t version);

//  Restores saved state into an object (and frees `saved`), when a batch
//  rolls back; `discard` frees `saved` when the batch commits.
typedef void (zown_restore_fn) (zown_object_t *object, void *saved);
typedef void (zown_discard_fn) (void *saved);

//  Owner counters, reported by STATS.
typedef struct {
    uint64_t requests;         //  Request frames received
    uint64_t ops;              //  Ops applied successfully
    uint64_t errors;           //  Requests answered with an error status
    uint64_t malformed;        //  Frames rejected before any op ran
    uint64_t batches_aborted;  //  Batches rolled back
    uint64_t replies_dropped;  //  Replies the ROUTER could not deliver
    uint64_t parked;           //  Requests parked now
    uint64_t sessions;         //  Sessions now
    uint64_t sessions_died;    //  Sessions ended because their process died
    //  Requests refused by a limit (zown_limits_t), one count per request
    uint64_t refused_message;  //  Frame over max_message
    uint64_t refused_key;      //  Key over max_key
    uint64_t refused_value;    //  Byte string over max_value
    uint64_t refused_objects;  //  Creating an object past max_objects
    uint64_t refused_items;    //  Adding items past max_items
    uint64_t refused_parked;   //  Parking past max_parked_client or max_parked
    uint64_t auth_refused;     //  tcp clients refused by CURVE authentication
    uint64_t connections;      //  ipc and tcp connections open now
    uint64_t clients_max;      //  Clients the descriptor limit allows, about
    uint64_t accepts_paused;   //  Times accepting paused at the descriptor limit
    uint64_t accepts_refused;  //  Connections closed at once: accepted while paused
} zown_stats_t;

//  What a handler sees.
struct _zown_call_t {
    zown_registry_t *registry;  //  The owner's objects
    zown_object_t *object;      //  Target, NULL if absent (no CREATE)
    const char *name;           //  Target name
    const zown_datum_t *argv;   //  Arguments, types already checked
    size_t argc;
    zown_buf_t *out;          //  Reply buffer: append values only
    uint32_t values;          //  Values appended so far
    bool undo;                //  Save undo records before changes (zown_call_save)
    const char *message;      //  Error message for a failed op
    const zown_peer_t *peer;  //  Sender; NULL when the request cannot park
    void *parked;             //  The parked request being retried, if any
    bool expired;             //  Run again because its deadline passed (retry_expired)
    uint8_t op;               //  Op code being applied
    bool described;           //  The handler described its change (zown_call_changed)
};

//  Reply helpers for handlers.
void zown_call_reply (zown_call_t *call, zown_datum_t datum);
void zown_call_reply_int (zown_call_t *call, int64_t value);
//  The op failed: its status and a short static message. Returns the status
//  (a handler returns it in turn), unlike zown_fail, which returns -1.
int zown_call_error (zown_call_t *call, int status, const char *message);
//  Count one change of the target object; returns its new version. Every
//  handler that changes its object calls this once per change.
uint64_t zown_call_bump (zown_call_t *call);
//  Describe the change just counted with zown_call_bump, for the change
//  feed and the journal (key and value may be NULL). A write op whose
//  handler describes nothing is recorded as an OP change (its arguments).
void zown_call_changed (zown_call_t *call, uint8_t kind, const zown_datum_t *key,
                        const zown_datum_t *value);
//  Describe the change just counted as an OP record of `op` with these
//  arguments: its journal form, for an op whose effect depends on who sent
//  it (a session's oldest lease), which a replay, with no session, could
//  not find again.
void zown_call_changed_as (zown_call_t *call, uint8_t op, size_t count, const zown_datum_t *values);
//  The same for a change made outside a call (a session's end), counted by
//  the caller in object->version. Recorded changes are committed by
//  whoever made them (zown_session_end commits what release hooks record).
void zown_object_changed_as (zown_object_t *object, uint8_t op, size_t count,
                             const zown_datum_t *values);
//  Before changing an object in an undoable call: remember how to undo it.
//  Returns 0, or -1 if out of memory (then the handler fails with
//  ZOWN_NO_MEMORY before changing anything). Not undoable: no-op.
int zown_call_save (zown_call_t *call, zown_restore_fn *restore, zown_discard_fn *discard,
                    void *saved);
//  The same for a small state saved by copy: `size` bytes of `data` go to
//  the request's undo space (no allocation once it has grown), and restore
//  gets the copy, which is gone after the rollback: nothing to discard.
int zown_call_save_copy (zown_call_t *call, zown_restore_fn *restore, const void *data,
                         size_t size);

//  Before a container with `have` items gets `adding` more: ZOWN_OK, or fail
//  with ZOWN_LIMIT when that passes max_items. Journal replay always fits.
int zown_call_room (zown_call_t *call, size_t have, size_t adding);
//  Whether the call applies a journal or a snapshot: what the owner
//  accepted then must apply now, past any bound (a queue's maxsize) that a
//  client's request would wait for.
bool zown_call_replaying (const zown_call_t *call);

//  A blocking op that cannot complete now: park the request until a change
//  of its object wakes it or timeout_ms passes (-1: no deadline). Returns
//  ZOWN_PARK, or fails with ZOWN_TIMEOUT when timeout_ms is 0 or the
//  request cannot wait (a batch, or no peer to answer later), or with
//  ZOWN_LIMIT when its client or the owner has too many parked already.
int zown_call_park (zown_call_t *call, int64_t timeout_ms);
//  The same with a tag kept with the parked request: what its type must
//  know of it later (a barrier's round, a lock's depth). A retry keeps its
//  place and its tag.
int zown_call_park_tagged (zown_call_t *call, int64_t timeout_ms, int64_t tag);
//  The tag of the request being retried, which its handler may change;
//  NULL for a request that is not a retry.
int64_t *zown_call_tag (zown_call_t *call);
//  After a change that may let parked requests complete: once the request
//  commits, retry the object's parked requests, oldest first. A rolled-back
//  request wakes nobody.
void zown_call_wake (zown_call_t *call);
//  The object a retried request is parked on (its own, unless it moved),
//  or NULL for a request that is not a retry.
zown_object_t *zown_call_parked_on (zown_call_t *call);
//  Move a retried request to the end of another object's line (a condition
//  waiter that now waits for its lock). Returns ZOWN_PARK.
int zown_call_repark (zown_call_t *call, zown_object_t *object);
//  The same for an object changed outside a call (a session's release).
void zown_object_wake (zown_object_t *object);
//  Retry the waiters of woken objects now (after a session ended).
void zown_registry_run_wakes (zown_registry_t *self);

//  The registry's sessions (owner/session.c).
zown_sessions_t *zown_registry_sessions (zown_registry_t *self);
//  Drop a session's parked requests without answering them.
void zown_registry_drop_parked (zown_registry_t *self, zown_session_t *session);

//  Registry
zown_registry_t *zown_registry_new (void);
void zown_registry_destroy (zown_registry_t **self_p);
zown_stats_t *zown_registry_stats (zown_registry_t *self);
zown_object_t *zown_registry_lookup (zown_registry_t *self, const char *name);
size_t zown_registry_size (zown_registry_t *self);
//  First and next object, for listing; NULL at the end.
zown_object_t *zown_registry_first (zown_registry_t *self);
zown_object_t *zown_registry_next (zown_registry_t *self);
//  Remove an object from the registry without freeing it (DROP), or put
//  one back (rollback).
void zown_registry_detach (zown_registry_t *self, zown_object_t *object);
int zown_registry_attach (zown_registry_t *self, zown_object_t *object);
//  The object `name` of that type, made if absent, outside any request (a
//  release hook, a journal replay): no limit applies, nothing can undo it.
//  NULL if it exists with another type or memory ran out.
zown_object_t *zown_registry_ensure (zown_registry_t *self, const char *name,
                                     const zown_type_def_t *type);
void zown_object_destroy (zown_object_t **object_p);

//  Apply one request frame from `peer` and write its reply into `out`;
//  returns false when the request was parked (no reply now).
//  Never fails: every problem becomes an error reply.
bool zown_registry_execute_from (zown_registry_t *self, const zown_peer_t *peer,
                                 const void *request, size_t size, zown_buf_t *out);
//  Where replies to parked requests go (the owner's ROUTER).
void zown_registry_set_sender (zown_registry_t *self, zown_send_fn *send, void *arg);
//  Milliseconds until the nearest parked deadline, -1 if none.
int zown_registry_next_timeout (zown_registry_t *self);
//  Answer every parked request whose deadline has passed with TIMEOUT.
void zown_registry_expire (zown_registry_t *self);

//  The same from nobody in particular: the request cannot park.
//  Never fails: every problem becomes an error reply.
void zown_registry_execute (zown_registry_t *self, const void *request, size_t size,
                            zown_buf_t *out);

//  Answer a frame that cannot be a request (status BAD_REQUEST and a
//  message) without reading it further; counted as malformed.
void zown_registry_reject (zown_registry_t *self, const void *frame, size_t size,
                           const char *message, zown_buf_t *out);

//  Change feed and journal (owner/changes.c; the owner's loop sets them).
//  Each committed change gets the next sequence number. `publish` gets
//  the records of every commit (changes and MARKs) while the feed is
//  active, every one but the last flagged ZOWN_CHANGE_MORE; `persist`
//  gets the same records of every commit that changed durable state,
//  without the others (ephemeral types, MARKs), before its replies are
//  sent, and returns 0, or -1 if they could not be made durable (that
//  request then fails with ZOWN_NOT_DURABLE, and so does every later
//  write). Both are change records (zown_decode_change), borrowed for the
//  call: encoded once, as the change was applied.
typedef void (zown_publish_fn) (void *arg, const void *records, size_t size);
typedef int (zown_persist_fn) (void *arg, uint64_t seq, const void *records, size_t size);
void zown_registry_set_publish (zown_registry_t *self, zown_publish_fn *publish, void *arg);
void zown_registry_set_feed_active (zown_registry_t *self, bool active);
void zown_registry_set_persist (zown_registry_t *self, zown_persist_fn *persist, void *arg);
//  Group commit: `persist` only queues records, and the owner writes a
//  burst of them at once. The undo records of every request whose records
//  were queued are kept until the owner ends the burst: written, they are
//  freed; not written, every change of the burst is undone, and writes
//  are refused from then on (reads too, if the burst held changes no undo
//  can take back, such as a session's end).
void zown_registry_set_group_commit (zown_registry_t *self, bool group);
void zown_registry_burst_end (zown_registry_t *self, bool written);
//  Where the owner serves its feed, which FEED announces: its ipc and
//  inproc endpoints (copied; either may be NULL). 0, or -1 if out of memory.
#define ZOWN_FEED_ENDPOINTS 2
int zown_registry_set_feed (zown_registry_t *self, const char *ipc, const char *inproc);
//  The feed's endpoint `index` (0 ipc, 1 inproc), NULL if none.
const char *zown_registry_feed (zown_registry_t *self, size_t index);
//  The journal failed outside a commit: refuse writes with NOT_DURABLE
//  from now on, and with `reads` (a sync failed, so memory may be ahead of
//  the disk) every request but PING, STATS, HELLO and BYE.
void zown_registry_refuse (zown_registry_t *self, bool reads);
//  Sequence number of the last committed change.
uint64_t zown_registry_seq (zown_registry_t *self);
//  Apply change records (journal form) read back from a journal. Returns 0,
//  or -1 if one does not apply (a type mismatch, an op that fails).
int zown_registry_replay (zown_registry_t *self, const void *records, size_t size);
//  Every durable object as change records (journal form), each through
//  emit; for a snapshot. Returns 0, or -1 if emit or memory failed.
typedef int (zown_emit_fn) (void *arg, const void *record, size_t size);
int zown_registry_dump (zown_registry_t *self, zown_emit_fn *emit, void *arg);

//  Fill the zero fields of `limits` with their defaults; ZOWN_OK, or
//  ZOWN_INVALID if one is out of its bounds (include/zown_owner.h).
int zown_limits_resolve (zown_limits_t *limits);
//  The limits the registry enforces (resolved, as zown_limits_resolve
//  leaves them; the defaults until set). Journal replay ignores them: what
//  was accepted once is loaded even if the limits were lowered since.
void zown_registry_set_limits (zown_registry_t *self, const zown_limits_t *limits);

//  Every type and handler the manifest names (zown_TYPE_type, and
//  zown_cmd_HANDLER in the type's file in actors/).
#define ZOWN_OP(NAME, code, type, handler, ...)                                                    \
    extern const zown_type_def_t zown_##type##_type;                                               \
    zown_handler_fn zown_cmd_##handler;
#include "zown_ops.def"
#undef ZOWN_OP

#endif
