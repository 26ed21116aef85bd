/*  =========================================================================
    core - the registry's state, shared by the files of the owner core
    (registry, dispatch, undo, changes, parking, limits, replay)

    Nothing outside runtime/owner/ includes this: types and the owner's loop
    use owner/registry.h. Sessions keep their own state (owner/session.c).
    =========================================================================
*/
#ifndef ZOWN_CORE_H_INCLUDED
#define ZOWN_CORE_H_INCLUDED

//  Error messages naming each limit and its value, written when the limits
//  are set, so that a refusal allocates nothing.
enum {
    ZOWN_REFUSAL_MESSAGE,
    ZOWN_REFUSAL_KEY,
    ZOWN_REFUSAL_VALUE,
    ZOWN_REFUSAL_OBJECTS,
    ZOWN_REFUSAL_ITEMS,
    ZOWN_REFUSAL_PARKED_CLIENT,
    ZOWN_REFUSAL_PARKED,
    ZOWN_REFUSAL_COUNT
};
#define ZOWN_REFUSAL_SIZE 80

//  One undo record of a batch in progress.
typedef struct {
    zown_object_t *object;     //  Object changed
    uint64_t version;          //  Its version before the change
    zown_restore_fn *restore;  //  Puts `saved` back (NULL: version only)
    zown_discard_fn *discard;  //  Frees `saved` at commit
    void *saved;               //  Type-specific saved state
    size_t copy;               //  Where its copy is in undo_copies; SIZE_MAX: none
} zown_undo_record_t;

//  A parked request: everything needed to run it again or answer it.
typedef struct {
    zown_object_t *object;  //  Whose change may let it complete
    void *in_object;        //  Its handle in object->waiters
    void *in_deadlines;     //  Its handle in deadlines; NULL: no deadline
    int64_t deadline;       //  Monotonic ms; -1 for none
    uint8_t *frame;         //  The request, as received
    size_t frame_size;
    uint8_t identity [256];  //  Where the reply goes
    size_t identity_size;
    bool envelope;
    zown_session_t *session;  //  Its client's session, if it has one
    void *in_session;         //  Its handle in session->parked
    int64_t tag;              //  Its type's note (zown_call_park_tagged)
    uint8_t op;               //  Its op, whose type's hooks apply wherever it waits
} zown_parked_t;

struct _zown_registry_t {
    zhashx_t *objects;          //  name -> zown_object_t
    zown_object_t *last;        //  The object found last, while in objects
    zown_decoded_t decoded;     //  Reused decoding arrays
    zown_stats_t stats;         //  Counters for STATS
    zown_sessions_t *sessions;  //  Its clients (owner/session.c)
    bool replaying;             //  Applying a journal: record nothing, refuse nothing
    //  Each type's lowest op code, which names the type in a snapshot
    const zown_type_def_t *types [ZOWN_TYPES_MAX];
    uint8_t type_ops [ZOWN_TYPES_MAX];
    //  Limits (limits.c)
    zown_limits_t limits;                                   //  Resolved: no zero field
    char refusals [ZOWN_REFUSAL_COUNT][ZOWN_REFUSAL_SIZE];  //  Their error messages
    //  Undo (undo.c)
    zown_undo_record_t *undo;  //  Undo records of the current batch
    size_t undo_count;
    size_t undo_capacity;
    zown_buf_t undo_copies;   //  States saved by copy (zown_call_save_copy)
    size_t undo_held;         //  Group commit: records [0, undo_held) wait for the burst's write
    size_t undo_copies_held;  //  Their copies: undo_copies [0, undo_copies_held)
    bool batch;               //  The request being applied has several ops
    bool undo_request;        //  Save undo records for every op of the request
    //  Parking (parking.c)
    const void *frame;  //  Request being executed, for parking
    size_t frame_size;
    zlistx_t *deadlines;  //  Parked requests with a deadline, soonest first
    zlistx_t *to_wake;    //  Objects whose waiters to retry after commit
    zown_buf_t wake_out;  //  Replies to parked requests
    zown_buf_t op_out;    //  One independent op's reply, reused
    zown_send_fn *send;   //  Sends them
    void *send_arg;
    bool waking;               //  Retrying parked requests now
    zown_parked_t **snapshot;  //  Waiters of the object being woken
    size_t snapshot_capacity;
    bool closing;  //  Destroying: parked requests get no reply
    //  Changes (changes.c): the feed and the journal
    zown_buf_t changes;       //  Records of the request being applied, journal form, seq unset
    zown_buf_t change_index;  //  Where each of them starts (size_t offsets in changes)
    size_t change_count;      //  Changes of the request being applied
    uint64_t seq;             //  Sequence number of the last committed change
    bool feed_active;         //  Someone subscribes to the feed
    zown_publish_fn *publish;
    void *publish_arg;
    zown_persist_fn *persist;
    void *persist_arg;
    zown_buf_t durable;                //  Records of one commit for the journal
    bool group_commit;                 //  persist queues records; the owner writes a burst
    bool queued;                       //  The last commit queued durable records
    bool burst_final;                  //  The burst queued records no undo can take back
    bool not_durable;                  //  The journal failed: writes are refused
    bool memory_ahead;                 //  A sync failed: reads are refused too
    char *feed [ZOWN_FEED_ENDPOINTS];  //  Where the feed is served (FEED): ipc, inproc
};

//  registry.c: a new object, not yet in the table; NULL if out of memory.
zown_object_t *zown_object_new (zown_registry_t *self, const char *name,
                                const zown_type_def_t *type);
//  The objects table's destructor.
void zown_object_free (void **item);
//  The lowest op code of a type, which names it in a snapshot.
uint8_t zown_registry_type_op (zown_registry_t *self, const zown_type_def_t *type);

//  limits.c: fail the call with a limit's status and message, and count it.
int zown_limits_refuse (zown_call_t *call, int status, int refusal, uint64_t *counter);

//  undo.c: remember that the call created its object (rollback removes it);
//  0 or -1 if out of memory. Then free the request's records at commit
//  (with group commit, keep them until the burst's end if its durable
//  records were queued), or undo them in reverse at rollback (which also
//  forgets the request's changes). zown_undo_burst ends a burst: frees the
//  records it kept, or with `undo` undoes them first, newest first.
int zown_undo_created (zown_call_t *call);
void zown_undo_commit (zown_registry_t *self);
void zown_undo_rollback (zown_registry_t *self);
void zown_undo_burst (zown_registry_t *self, bool undo);

//  changes.c: record one change of the request being applied (journal
//  form, its seq set at commit); give the request's changes their numbers,
//  publish them and persist the durable ones: 0, or -1 if the journal
//  failed; forget them (rollback).
void zown_changes_record (zown_registry_t *self, const char *name, uint8_t kind, uint64_t version,
                          uint8_t op, size_t count, const zown_datum_t *values);
int zown_changes_commit (zown_registry_t *self);
//  The same for changes no rollback can take back (a session's end).
int zown_changes_commit_final (zown_registry_t *self);
void zown_changes_discard (zown_registry_t *self);

//  dispatch.c: apply the decoded request (checked) and write its reply
//  into call->out. Returns its status; ZOWN_PARK when its one op was parked
//  (no reply).
int zown_registry_run (zown_registry_t *self, zown_call_t *call);

//  parking.c: set up and free the parking lists (0, or -1 if out of
//  memory); answer a parked request with an error and forget it; take an
//  object off the list of objects to wake; forget the wakes queued after
//  the first `keep` (a request that rolls back wakes nobody).
int zown_parking_init (zown_registry_t *self);
void zown_parking_fini (zown_registry_t *self);
void zown_parked_answer (zown_registry_t *self, zown_parked_t *parked, int status,
                         const char *message);
void zown_parking_unwake (zown_registry_t *self, zown_object_t *object);
size_t zown_parking_wakes (zown_registry_t *self);
void zown_parking_forget_wakes (zown_registry_t *self, size_t keep);

#endif
