/*  =========================================================================
    owner - the actor that owns every shared object

    One thread: a ROUTER socket for clients and a PAIR pipe for commands
    from the facade (BIND, TERM). The hot path is receive, execute
    (owner/dispatch.c), reply; it reuses its message frames and reply
    buffer, and logs nothing.

    The thread is a plain pthread with its pipe in zown's own context, not a
    zactor: a zactor starts CZMQ's global zsys state, whose atexit handler
    then runs in every forked child that calls exit() and works on sockets
    that belong to the parent (docs/FORK.md).

    ipc endpoints are bound with zown_ipc_bind (base/rundir.c), which
    refuses a path a live owner already serves and replaces a stale file.
    tcp endpoints are CURVE servers (owner/zap.c answers who may connect):
    security options are set on the ROUTER just for each tcp bind, since
    libzmq copies them into the listener at bind; the ipc and inproc
    endpoints stay NULL-mechanism, guarded by file modes and the process
    boundary.
    =========================================================================
*/
#include "zown_internal.h"
#include "feed/feed.h"
#include "journal/journal.h"
#include "base/curve.h"
#include "owner/zap.h"
#include "owner/capacity.h"
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <sys/random.h>

//  Requests handled per poll, so the pipe ($TERM) is still checked often.
#define S_BURST 256
//  tcp connections: a heartbeat every second, a peer silent for 10 s is
//  disconnected (a host that vanished without closing its connection).
#define S_HEARTBEAT_IVL     1000
#define S_HEARTBEAT_TIMEOUT 10000

typedef struct {
    void *pipe;                 //  Owner thread's end of the command pipe
    void *router;               //  Clients' socket (zown context)
    zown_registry_t *registry;  //  Objects and dispatch
    zown_buf_t out;             //  Reply buffer, reused
    zmq_msg_t identity;         //  Frames of the request being handled
    zmq_msg_t envelope;
    zmq_msg_t body;
    zlistx_t *ipc_paths;      //  Socket files to remove at exit
    zlistx_t *inprocs;        //  inproc endpoints to unbind at exit
    bool terminated;          //  TERM received
    zown_feed_t *feed;        //  Change feed
    zown_journal_t *journal;  //  Durable owners only
    uint64_t compact_bytes;   //  Log size that triggers a snapshot
    uint64_t compact_floor;   //  Log size right after the last snapshot
    bool compacting;          //  A child writes a snapshot
    char *recovery;           //  What loading the journal found; NULL: no journal
    //  Group commit (any journal): the records of a burst are written
    //  with one write(2) at its end (and in --fsync always synced with one
    //  fdatasync); its replies and feed records wait until then.
    bool group_commit;
    bool unsynced;           //  Records queued in this burst
    size_t burst_mark;       //  Outbox size when the burst queued its first record
    zown_buf_t outbox;       //  Replies kept until the burst is durable (zown_encode_deferred)
    zown_buf_t feed_outbox;  //  Change records kept until then, as the registry made them
    //  tcp endpoints
    bool curve;                           //  Keys loaded: tcp is CURVE
    bool insecure;                        //  tcp may be plain
    uint8_t secret_key [ZOWN_CURVE_KEY];  //  Owner's CURVE secret key
    char *allow;                          //  Allow-list directory
    zown_zap_t *zap;                      //  ZAP handler, from the first CURVE bind
    void *monitor;                        //  Connections, from the first ipc or tcp bind
    zown_capacity_t capacity;             //  Clients the descriptors allow
    int *holds;                           //  While paused: the ipc paths' locks
    int *closed;                          //  Connections closed, seen in this burst
    size_t closed_count;
    size_t closed_capacity;
    char bound [512];  //  Last endpoint bound
} s_self_t;

struct _zown_owner_t {
    pthread_t thread;   //  The owner thread
    bool running;       //  Thread started and not yet joined
    void *pipe;         //  Facade's end of the command pipe
    s_self_t *state;    //  Owner state; the thread uses it while running
    char *name;         //  Owner name
    char *inproc;       //  inproc endpoint
    char *ipc;          //  Default ipc endpoint
    char *feed_inproc;  //  Change feed endpoints
    char *feed_ipc;
    char *recovery;                             //  What loading the journal found
    char bound [512];                           //  Last endpoint bound
    char public_key [ZOWN_CURVE_KEY_TEXT + 1];  //  CURVE public key, "" if none
};

//  --------------------------------------------------------------------------
//  Endpoints

static int
s_tcp_bind_status (void)
{
    return errno == EADDRINUSE ? ZOWN_ADDR_IN_USE
        : errno == EINVAL || errno == ENODEV || errno == EADDRNOTAVAIL || errno == ENOENT
        ? ZOWN_INVALID
        : ZOWN_SYSTEM;
}

//  A CURVE listener: the ZAP handler first, so that no connection is ever
//  accepted without being asked about (libzmq lets every CURVE client in
//  when no handler answers); then the options, for this bind only.
static int
s_bind_curve (s_self_t *self, const char *endpoint)
{
    int status = ZOWN_OK;
    if (!self->zap && !(self->zap = zown_zap_new (zown_ctx (), self->allow, &status)))
        return status;
    status = ZOWN_SYSTEM;
    if (zown_set_int (self->router, ZMQ_CURVE_SERVER, 1) == 0
        && zmq_setsockopt (self->router, ZMQ_CURVE_SECRETKEY, self->secret_key, ZOWN_CURVE_KEY) == 0
        && zmq_setsockopt (self->router, ZMQ_ZAP_DOMAIN, "zown", 4) == 0)
        status = zmq_bind (self->router, endpoint) == 0 ? ZOWN_OK : s_tcp_bind_status ();
    zown_set_int (self->router, ZMQ_CURVE_SERVER, 0);
    zmq_setsockopt (self->router, ZMQ_ZAP_DOMAIN, "", 0);
    return status;
}

//  Stop accepting: libzmq aborts the process when its ipc accept meets
//  EMFILE. Each ipc socket file is moved aside, so new clients find no
//  owner (connected ones keep their connections: unbinding would close
//  them), with the path's lock held so that no other owner binds it
//  meanwhile. tcp listeners stay (libzmq's tcp accept survives EMFILE), and
//  s_refuse closes what they accept.
static void
s_pause (s_self_t *self)
{
    zown_registry_stats (self->registry)->accepts_paused++;
    fprintf (stderr,
             "zown: %zu connections, near the descriptor limit (%zu): accepting no new "
             "client until some leave\n",
             self->capacity.connections, self->capacity.limit);
    size_t count = zlistx_size (self->ipc_paths), index = 0;
    self->holds = (int *) calloc (count ? count : 1, sizeof (int));
    for (const char *path = (const char *) zlistx_first (self->ipc_paths); path && self->holds;
         path = (const char *) zlistx_next (self->ipc_paths), index++) {
        char aside [4096];
        snprintf (aside, sizeof (aside), "%s.paused", path);
        self->holds [index] = zown_ipc_hold (path);
        if (self->holds [index] >= 0 && rename (path, aside)) {
            close (self->holds [index]);
            self->holds [index] = -1;
        }
    }
}

//  Accept again: each socket file back in its place, its lock let go.
static void
s_resume (s_self_t *self)
{
    size_t index = 0;
    for (const char *path = (const char *) zlistx_first (self->ipc_paths); path && self->holds;
         path = (const char *) zlistx_next (self->ipc_paths), index++)
        if (self->holds [index] >= 0) {
            char aside [4096];
            snprintf (aside, sizeof (aside), "%s.paused", path);
            if (rename (aside, path))
                fprintf (stderr, "zown: cannot put %s back (%s)\n", path, strerror (errno));
            close (self->holds [index]);
        }
    free (self->holds);
    self->holds = NULL;
}

//  Whether descriptor fd is a connection accepted on endpoint (the
//  monitor event's): by the time the event is read, that connection may
//  have closed and its number gone to another descriptor.
static bool
s_accepted_on (int fd, const char *endpoint)
{
    struct sockaddr_storage address;
    socklen_t size = sizeof (address);
    if (getsockname (fd, (struct sockaddr *) &address, &size))
        return false;
    if (address.ss_family == AF_UNIX)
        return strncmp (endpoint, "ipc://", 6) == 0
            && strcmp (((struct sockaddr_un *) &address)->sun_path, endpoint + 6) == 0;
    const char *port = strrchr (endpoint, ':');
    int number = port ? atoi (port + 1) : -1;
    if (address.ss_family == AF_INET)
        return ntohs (((struct sockaddr_in *) &address)->sin_port) == number;
    if (address.ss_family == AF_INET6)
        return ntohs (((struct sockaddr_in6 *) &address)->sin6_port) == number;
    return false;
}

//  A connection accepted while paused (an ipc client already in the listen
//  backlog, or any tcp client: tcp listeners cannot be moved aside) is
//  closed at once, before it can hold descriptors the owner needs: its
//  client sees the connection drop and fails its calls UNREACHABLE.
//  shutdown() leaves the descriptor to libzmq, which closes it.
static void
s_refuse (s_self_t *self, int fd, const char *endpoint)
{
    if (s_accepted_on (fd, endpoint) && zown_capacity_refuse (&self->capacity, fd) == 0
        && shutdown (fd, SHUT_RDWR) == 0)
        zown_registry_stats (self->registry)->accepts_refused++;
}

//  Ends the sessions of the ipc and tcp connections that closed: a process
//  on another host cannot be watched like a local one, and a client that
//  never said HELLO has no pid to watch.
static void
s_handle_closed (s_self_t *self)
{
    for (size_t index = 0; index < self->closed_count; index++) {
        if (zown_session_disconnected (self->registry, self->closed [index]))
            zown_registry_run_wakes (self->registry);
        if (zown_capacity_closed (&self->capacity))
            s_resume (self);
    }
    self->closed_count = 0;
    zown_registry_stats (self->registry)->connections = self->capacity.connections;
}

//  Reads the ROUTER's monitor before the requests of a burst: a connection
//  accepted while paused is refused before any of its requests is read.
//  Closed connections wait in closed[] until after the burst, so that a BYE
//  already received ends its session cleanly (s_handle_closed).
static void
s_handle_monitor (s_self_t *self)
{
    zmq_msg_t event;
    zmq_msg_init (&event);
    while (zmq_msg_recv (&event, self->monitor, ZMQ_DONTWAIT) != -1) {
        uint16_t kind = 0;
        uint32_t fd = 0;
        if (zmq_msg_size (&event) == sizeof (kind) + sizeof (fd)) {
            memcpy (&kind, zmq_msg_data (&event), sizeof (kind));
            memcpy (&fd, (uint8_t *) zmq_msg_data (&event) + sizeof (kind), sizeof (fd));
        }
        //  The event's second frame, its endpoint.
        char endpoint [256] = "";
        if (zmq_msg_more (&event) && zmq_msg_recv (&event, self->monitor, ZMQ_DONTWAIT) != -1)
            snprintf (endpoint, sizeof (endpoint), "%.*s", (int) zmq_msg_size (&event),
                      (const char *) zmq_msg_data (&event));
        if (kind == ZMQ_EVENT_ACCEPTED) {
            bool paused = self->capacity.paused;
            if (zown_capacity_accepted (&self->capacity))
                s_pause (self);
            else if (paused)
                s_refuse (self, (int) fd, endpoint);
        }
        if (kind == ZMQ_EVENT_DISCONNECTED) {
            if (zown_grow ((void **) &self->closed, &self->closed_capacity, self->closed_count + 1,
                           sizeof (int)))
                s_handle_closed (self);  //  No room to wait: at once
            else
                self->closed [self->closed_count++] = (int) fd;
        }
        zown_registry_stats (self->registry)->connections = self->capacity.connections;
    }
    zmq_msg_close (&event);
}

//  Watch connections close, before the first ipc or tcp bind.
static int
s_watch_connections (s_self_t *self)
{
    if (!self->monitor
        && !(self->monitor =
                 zown_monitor_new (self->router, ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED)))
        return ZOWN_SYSTEM;
    return ZOWN_OK;
}

static int
s_bind_tcp (s_self_t *self, const char *endpoint)
{
    if (!self->curve && !self->insecure)
        return ZOWN_INVALID;
    if (s_watch_connections (self))
        return ZOWN_SYSTEM;
    if (zown_set_int (self->router, ZMQ_HEARTBEAT_IVL, S_HEARTBEAT_IVL)
        || zown_set_int (self->router, ZMQ_HEARTBEAT_TIMEOUT, S_HEARTBEAT_TIMEOUT))
        return ZOWN_SYSTEM;
    if (self->curve)
        return s_bind_curve (self, endpoint);
    if (zmq_bind (self->router, endpoint))
        return s_tcp_bind_status ();
    char bound [256] = "";
    size_t size = sizeof (bound);
    zmq_getsockopt (self->router, ZMQ_LAST_ENDPOINT, bound, &size);
    fprintf (stderr,
             "zown: WARNING: %s is plain tcp (insecure): anyone who reaches it reads and "
             "changes every object\n",
             bound);
    return ZOWN_OK;
}

static int
s_bind (s_self_t *self, const char *endpoint)
{
    if (!endpoint)
        return ZOWN_INVALID;
    if (strncmp (endpoint, "tcp://", 6) == 0)
        return s_bind_tcp (self, endpoint);
    if (strncmp (endpoint, "ipc://", 6) == 0) {
        const char *path = endpoint + 6;
        if (!*path || *path == '@')
            return ZOWN_INVALID;
        if (s_watch_connections (self))
            return ZOWN_SYSTEM;
        int status = zown_ipc_bind (self->router, path);
        //  Recorded, so that the file is removed at exit.
        if (status == ZOWN_OK && !zlistx_add_end (self->ipc_paths, (void *) path)) {
            zown_ipc_unlink (path);
            return ZOWN_NO_MEMORY;
        }
        return status;
    }
    if (strncmp (endpoint, "inproc://", 9) != 0)
        return ZOWN_INVALID;
    if (zmq_bind (self->router, endpoint))
        return errno == EADDRINUSE ? ZOWN_ADDR_IN_USE : ZOWN_SYSTEM;
    return zlistx_add_end (self->inprocs, (void *) endpoint) ? ZOWN_OK : ZOWN_NO_MEMORY;
}

//  --------------------------------------------------------------------------
//  Actor state

//  Close the ROUTER and remove the socket files it was bound to, so that a
//  new owner can take the names as soon as this one is gone.
static void
s_release_endpoints (s_self_t *self)
{
    if (self->holds)
        s_resume (self);  //  So that the paths are released like any other
    if (self->router) {
        //  Closing frees an inproc name only later, on libzmq's reaper
        //  thread; unbinding frees it now, so the name can be reused at once.
        for (const char *endpoint = (const char *) zlistx_first (self->inprocs); endpoint;
             endpoint = (const char *) zlistx_next (self->inprocs))
            zmq_unbind (self->router, endpoint);
        zlistx_purge (self->inprocs);
        zown_monitor_stop (self->router, &self->monitor);
        zmq_close (self->router);
        self->router = NULL;
    }
    if (self->ipc_paths) {
        for (const char *path = (const char *) zlistx_first (self->ipc_paths); path;
             path = (const char *) zlistx_next (self->ipc_paths))
            zown_ipc_unlink (path);
        zlistx_purge (self->ipc_paths);
    }
}

static void
s_self_destroy (s_self_t **self_p)
{
    s_self_t *self = *self_p;
    if (!self)
        return;
    s_release_endpoints (self);
    zown_capacity_release (&self->capacity);
    free (self->closed);
    zlistx_destroy (&self->ipc_paths);
    zlistx_destroy (&self->inprocs);
    if (self->pipe)
        zmq_close (self->pipe);
    zmq_msg_close (&self->identity);
    zmq_msg_close (&self->envelope);
    zmq_msg_close (&self->body);
    zown_registry_destroy (&self->registry);
    zown_feed_destroy (&self->feed);
    zown_journal_destroy (&self->journal);
    free (self->recovery);
    zown_buf_free (&self->out);
    zown_buf_free (&self->outbox);
    zown_buf_free (&self->feed_outbox);
    zown_zap_destroy (&self->zap);
    free (self->allow);
    free (self);
    *self_p = NULL;
}

static zlistx_t *
s_string_list (void)
{
    zlistx_t *list = zlistx_new ();
    if (list) {
        zlistx_set_duplicator (list, (zlistx_duplicator_fn *) strdup);
        zlistx_set_destructor (list, (zlistx_destructor_fn *) zstr_free);
    }
    return list;
}

//  --------------------------------------------------------------------------
//  Durability: the journal holds the change records of every commit

#define S_JOURNAL_CHANGES 1  //  Journal record kind: change records

static int
s_replay (void *arg, uint64_t seq, uint8_t kind, const void *data, size_t size)
{
    (void) seq;
    return kind == S_JOURNAL_CHANGES ? zown_registry_replay ((zown_registry_t *) arg, data, size)
                                     : -1;
}

//  Publish a change now, or with group commit once its burst is durable,
//  so that no subscriber sees a change whose sync failed.
static void
s_publish (void *arg, const void *records, size_t size)
{
    s_self_t *self = (s_self_t *) arg;
    if (self->group_commit)
        zown_buf_put_mem (&self->feed_outbox, records, size);
    else
        zown_feed_publish (self->feed, records, size);
}

//  Registry callback: the records of one commit, queued; the burst's
//  write and sync come once, at its end (s_sync).
static int
s_persist (void *arg, uint64_t seq, const void *records, size_t size)
{
    s_self_t *self = (s_self_t *) arg;
    if (zown_journal_add (self->journal, seq, S_JOURNAL_CHANGES, records, size)) {
        fprintf (stderr, "zown: journal refused a record (%s): writes are refused from now on\n",
                 zown_strerror (zown_errno ()));
        return -1;
    }
    if (!self->unsynced)
        self->burst_mark = self->outbox.size;
    self->unsynced = true;
    return 0;
}

static int
s_snapshot_add (void *arg, const void *record, size_t size)
{
    return zown_journal_snapshot_add ((zown_journal_t *) arg, S_JOURNAL_CHANGES, record, size);
}

//  Runs in the snapshot's child (zown_journal_compact_start): the
//  registry as it was at the fork, in the child's copy of memory.
static int
s_dump (void *arg, zown_journal_t *journal)
{
    return zown_registry_dump ((zown_registry_t *) arg, s_snapshot_add, journal);
}

//  A log past its limit (and well past its size after the last snapshot)
//  is replaced by a snapshot of the whole state, written by a child
//  process while the owner goes on serving; once it is whole, the log
//  keeps only what came after the fork.
static void
s_maybe_compact (s_self_t *self)
{
    uint64_t size = zown_journal_log_size (self->journal);
    int rc = 0;
    if (self->compacting) {
        rc = zown_journal_compact_poll (self->journal);
        if (rc == 1)
            return;
        self->compacting = false;
        size = zown_journal_log_size (self->journal);
    } else if (size >= self->compact_bytes && size >= 2 * self->compact_floor) {
        rc = zown_journal_compact_start (self->journal, zown_registry_seq (self->registry), s_dump,
                                         self->registry);
        self->compacting = rc == 0;
        if (rc == 0)
            return;
    } else
        return;
    if (rc)
        fprintf (stderr, "zown: snapshot failed (%s); the log keeps growing\n", strerror (errno));
    //  After a failure, not again before the log has doubled.
    self->compact_floor = size;
}

static int
s_open_journal (s_self_t *self, const zown_owner_options_t *options)
{
    zown_journal_recovery_t recovery = { 0 };
    self->journal = zown_journal_open (options->data, (zown_fsync_t) options->fsync, s_replay,
                                       self->registry, &recovery);
    if (!self->journal) {
        int status = zown_errno ();
        if (recovery.problem [0])
            fprintf (stderr, "zown: journal %s: %s\n", options->data, recovery.problem);
        return status;
    }
    self->compact_bytes = options->compact_bytes ? options->compact_bytes : 64u << 20;
    char *applied = zsys_sprintf (
        "journal %s: %" PRIu64 " snapshot records, %" PRIu64 " log records, last seq %" PRIu64,
        options->data, recovery.snapshot_records, recovery.log_records, recovery.last_seq);
    if (applied && recovery.bad_bytes)
        self->recovery = zsys_sprintf (
            "%s; %s at offset %" PRIu64 ": %" PRIu64 " bytes set aside in %s", applied,
            recovery.problem, recovery.bad_offset, recovery.bad_bytes, recovery.set_aside);
    else
        self->recovery = applied ? strdup (applied) : NULL;
    free (applied);
    if (!self->recovery)
        return ZOWN_NO_MEMORY;
    zown_registry_set_persist (self->registry, s_persist, self);
    zown_registry_set_group_commit (self->registry, true);
    self->group_commit = true;
    return ZOWN_OK;
}

//  Creates the owner's sockets and binds its endpoints, in the caller's
//  thread; the owner thread takes them over once started (pthread_create
//  is the memory barrier ZeroMQ asks for when a socket changes threads).
static s_self_t *
s_self_new (void *ctx, const char *pipe_endpoint, zown_owner_t *owner,
            const zown_owner_options_t *options, int *status_p)
{
    s_self_t *self = (s_self_t *) calloc (1, sizeof (s_self_t));
    if (!self) {
        *status_p = ZOWN_NO_MEMORY;
        return NULL;
    }
    zmq_msg_init (&self->identity);
    zmq_msg_init (&self->envelope);
    zmq_msg_init (&self->body);
    zown_buf_init (&self->out);
    zown_buf_init (&self->outbox);
    zown_buf_init (&self->feed_outbox);
    self->registry = zown_registry_new ();
    zown_capacity_init (&self->capacity);
    if (self->registry)
        zown_registry_stats (self->registry)->clients_max = zown_capacity_clients (&self->capacity);
    self->ipc_paths = s_string_list ();
    self->inprocs = s_string_list ();
    //  Checked by zown_owner_new_with. max_inflight bounds the replies the
    //  ROUTER queues for one client (and the requests it takes from one);
    //  the default, like every client window, stays far below it, so a
    //  client that reads its replies never loses one. A frame over twice
    //  max_message never reaches the owner: libzmq drops the connection
    //  that sent it (docs/PROTOCOL.md, 2.4); smaller ones over the limit
    //  are answered TOO_LARGE.
    zown_limits_t limits = options ? options->limits : (zown_limits_t){ 0 };
    zown_limits_resolve (&limits);
    if (self->registry)
        zown_registry_set_limits (self->registry, &limits);
    int hwm = (int) limits.max_inflight;
    int64_t max_frame = 2 * (int64_t) limits.max_message + (1 << 20);
    int status = ZOWN_SYSTEM;
    if (self->registry && self->ipc_paths && self->inprocs
        && (self->pipe = zmq_socket (ctx, ZMQ_PAIR))
        && zown_set_int (self->pipe, ZMQ_LINGER, 0) == 0
        && zmq_connect (self->pipe, pipe_endpoint) == 0
        && (self->router = zmq_socket (ctx, ZMQ_ROUTER))
        && zown_set_int (self->router, ZMQ_LINGER, 0) == 0
        //  A full pipe to a client becomes an error we count, never a silent
        //  drop: a default ROUTER drops a reply when it believes the peer's
        //  pipe is full, and its view of the fill level lags.
        && zown_set_int (self->router, ZMQ_ROUTER_MANDATORY, 1) == 0
        && zown_set_int (self->router, ZMQ_SNDHWM, hwm) == 0
        && zown_set_int (self->router, ZMQ_RCVHWM, hwm) == 0
        && zmq_setsockopt (self->router, ZMQ_MAXMSGSIZE, &max_frame, sizeof (max_frame)) == 0) {
        status = s_bind (self, owner->inproc);
        if (status == ZOWN_OK)
            status = s_bind (self, owner->ipc);
    }
    //  The journal is loaded before the first request can arrive.
    if (status == ZOWN_OK
        && (self->feed = zown_feed_new (ctx, owner->feed_inproc, owner->feed_ipc + 6, &status))) {
        zown_registry_set_publish (self->registry, s_publish, self);
        if (zown_registry_set_feed (self->registry, owner->feed_ipc, owner->feed_inproc))
            status = ZOWN_NO_MEMORY;
    }
    if (status == ZOWN_OK && options && options->data)
        status = s_open_journal (self, options);
    if (status == ZOWN_OK && options && options->cert) {
        uint8_t public_key [ZOWN_CURVE_KEY];
        self->curve = true;
        if (zown_curve_load_pair (options->cert, public_key, self->secret_key))
            status = ZOWN_INVALID;
        else
            zmq_z85_encode (owner->public_key, public_key, ZOWN_CURVE_KEY);
        if (status == ZOWN_OK && !(self->allow = strdup (options->allow)))
            status = ZOWN_NO_MEMORY;
    }
    if (options)
        self->insecure = options->insecure;
    if (status != ZOWN_OK)
        s_self_destroy (&self);
    *status_p = status;
    return self;
}

//  --------------------------------------------------------------------------
//  Requests

//  Counts a reply the ROUTER refused (peer gone, or its pipe full).
static void
s_reply_dropped (s_self_t *self)
{
    zown_registry_stats (self->registry)->replies_dropped++;
}

//  Keep a reply until the burst's changes are on disk.
static void
s_defer (s_self_t *self, const void *identity, size_t identity_size, bool envelope,
         const void *data, size_t size)
{
    zown_deferred_t reply = { identity, identity_size, envelope, data, size };
    zown_encode_deferred (&self->outbox, &reply);
}

static void
s_send_reply (s_self_t *self, bool has_envelope)
{
    if (self->group_commit) {
        s_defer (self, zmq_msg_data (&self->identity), zmq_msg_size (&self->identity), has_envelope,
                 self->out.data, self->out.size);
        return;
    }
    if (zmq_msg_send (&self->identity, self->router, ZMQ_SNDMORE | ZMQ_DONTWAIT) == -1) {
        s_reply_dropped (self);
        return;
    }
    if (has_envelope
        && zmq_msg_send (&self->envelope, self->router, ZMQ_SNDMORE | ZMQ_DONTWAIT) == -1) {
        s_reply_dropped (self);
        return;
    }
    if (zmq_send (self->router, self->out.data, self->out.size, ZMQ_DONTWAIT) == -1)
        s_reply_dropped (self);
}

//  Sends the reply to a parked request (registry callback).
static void
s_send_later (const zown_peer_t *peer, const void *data, size_t size, void *arg)
{
    s_self_t *self = (s_self_t *) arg;
    if (self->group_commit) {
        s_defer (self, peer->identity, peer->identity_size, peer->envelope, data, size);
        return;
    }
    if (zmq_send (self->router, peer->identity, peer->identity_size, ZMQ_SNDMORE | ZMQ_DONTWAIT)
            == -1
        || (peer->envelope && zmq_send (self->router, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT) == -1)
        || zmq_send (self->router, data, size, ZMQ_DONTWAIT) == -1)
        s_reply_dropped (self);
}

//  Receives and answers one request; -1 when none is waiting.
static int
s_handle_request (s_self_t *self)
{
    if (zmq_msg_recv (&self->identity, self->router, ZMQ_DONTWAIT) == -1)
        return -1;
    if (!zmq_msg_more (&self->identity))
        return 0;  //  An identity with no body: nothing to answer.
    if (zmq_msg_recv (&self->body, self->router, ZMQ_DONTWAIT) == -1)
        return 0;
    //  A REQ client sends an empty delimiter before the body; echo it.
    bool has_envelope = false;
    if (zmq_msg_size (&self->body) == 0 && zmq_msg_more (&self->body)) {
        zmq_msg_move (&self->envelope, &self->body);
        has_envelope = true;
        if (zmq_msg_recv (&self->body, self->router, ZMQ_DONTWAIT) == -1)
            return 0;
    }
    if (zmq_msg_more (&self->body)) {
        //  Extra frames: answer BAD_REQUEST with the first frame's id, then
        //  swallow the rest.
        zown_registry_reject (self->registry, zmq_msg_data (&self->body),
                              zmq_msg_size (&self->body), "a request is one frame", &self->out);
        zmq_msg_t extra;
        zmq_msg_init (&extra);
        bool more = true;
        while (more && zmq_msg_recv (&extra, self->router, ZMQ_DONTWAIT) != -1)
            more = zmq_msg_more (&extra);
        zmq_msg_close (&extra);
    } else {
        zown_peer_t peer = { zmq_msg_data (&self->identity), zmq_msg_size (&self->identity),
                             has_envelope, zmq_msg_get (&self->body, ZMQ_SRCFD) };
        //  Sent before its connection was refused: never served.
        if (self->capacity.refused_count && zown_capacity_refused (&self->capacity, peer.fd))
            return 0;
        if (!zown_registry_execute_from (self->registry, &peer, zmq_msg_data (&self->body),
                                         zmq_msg_size (&self->body), &self->out))
            return 0;  //  Parked: its reply goes out when it completes.
    }
    if (!self->out.failed)
        s_send_reply (self, has_envelope);
    else {
        //  Not even an error reply could be built; the client times out.
        s_reply_dropped (self);
        zmq_msg_close (&self->identity);
        zmq_msg_init (&self->identity);
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Pipe commands: one frame, a command letter then its argument: "T"
//  (terminate) or "B" + endpoint (bind; answered with a 4-byte status).

static void
s_handle_pipe (s_self_t *self)
{
    char command [512];
    int size = zmq_recv (self->pipe, command, sizeof (command) - 1, 0);
    if (size < 1 || command [0] == 'T') {
        self->terminated = true;
        return;
    }
    if (command [0] == 'B') {
        command [size < (int) sizeof (command) ? size : (int) sizeof (command) - 1] = 0;
        int status = size >= (int) sizeof (command) - 1 ? ZOWN_INVALID : s_bind (self, command + 1);
        //  The endpoint as bound: a tcp port given as '*' is now a number.
        size_t bound_size = sizeof (self->bound);
        if (status != ZOWN_OK
            || zmq_getsockopt (self->router, ZMQ_LAST_ENDPOINT, self->bound, &bound_size))
            self->bound [0] = 0;
        zmq_send (self->pipe, &status, sizeof (status), ZMQ_SNDMORE);
        zmq_send (self->pipe, self->bound, strlen (self->bound), 0);
    }
}

//  The changes of a burst that is durable now.
static void
s_publish_burst (s_self_t *self)
{
    zown_feed_publish (self->feed, self->feed_outbox.data, self->feed_outbox.size);
    self->feed_outbox.size = 0;
    self->feed_outbox.failed = false;
}

//  A burst whose records could not be written has been undone: every
//  reply kept since its first record becomes NOT_DURABLE (a read among
//  them may have seen what was undone).
static void
s_refuse_burst (s_self_t *self)
{
    zown_buf_t *outbox = &self->outbox;
    zown_buf_t refused;
    zown_buf_init (&refused);
    zown_reader_t reader;
    zown_reader_init (&reader, outbox->data + self->burst_mark, outbox->size - self->burst_mark);
    zown_deferred_t reply;
    while (zown_decode_deferred (&reader, &reply) == 0) {
        const uint8_t *data = (const uint8_t *) reply.data;
        uint64_t id = reply.size >= ZOWN_REPLY_HEADER ? zown_load_be (data + 4, 8) : 0;
        size_t ops = reply.size >= ZOWN_REPLY_HEADER ? zown_load_be (data + 13, 2) : 1;
        zown_encode_failure (&self->out, id, ops ? ops : 1, 0, ZOWN_NOT_DURABLE,
                             "the journal failed: this change is not durable");
        reply.data = self->out.data;
        reply.size = self->out.size;
        zown_encode_deferred (&refused, &reply);
        refused.failed |= self->out.failed;
    }
    outbox->size = self->burst_mark;
    zown_buf_put_mem (outbox, refused.data, refused.size);
    //  Out of memory: those clients time out rather than see a success.
    outbox->failed |= refused.failed;
    zown_buf_free (&refused);
}

//  Group commit: one write for every record of the burst (and in --fsync
//  always one sync), then its replies and feed records. If the write
//  fails, the burst is undone and its writes answered NOT_DURABLE. If the
//  sync fails, nothing is acknowledged or published: the replies are
//  dropped (their clients time out, outcome unknown), and since the
//  owner's memory may now be ahead of its disk, every request but PING,
//  STATS, HELLO and BYE is refused from then on.
static void
s_sync (s_self_t *self)
{
    zown_buf_t *outbox = &self->outbox;
    if (self->unsynced) {
        self->unsynced = false;
        if (zown_journal_write (self->journal)) {
            fprintf (stderr, "zown: journal write failed (%s): writes are refused from now on\n",
                     strerror (errno));
            zown_registry_burst_end (self->registry, false);
            s_refuse_burst (self);
            self->feed_outbox.size = 0;
        } else {
            zown_registry_burst_end (self->registry, true);
            if (zown_journal_commit (self->journal)) {
                fprintf (stderr,
                         "zown: journal sync failed (%s): requests are refused until a restart\n",
                         strerror (errno));
                zown_registry_refuse (self->registry, true);
                outbox->size = 0;
                self->feed_outbox.size = 0;
            }
        }
    }
    if (self->feed_outbox.failed) {
        //  Out of memory keeping records: subscribers see a gap and resync.
        self->feed_outbox.size = 0;
        self->feed_outbox.failed = false;
    }
    s_publish_burst (self);
    if (outbox->failed) {
        //  Out of memory keeping replies: those clients time out.
        outbox->failed = false;
        outbox->size = 0;
    }
    zown_reader_t reader;
    zown_reader_init (&reader, outbox->data, outbox->size);
    zown_deferred_t reply;
    while (zown_decode_deferred (&reader, &reply) == 0)
        if (zmq_send (self->router, reply.identity, reply.identity_size, ZMQ_SNDMORE | ZMQ_DONTWAIT)
                == -1
            || (reply.envelope && zmq_send (self->router, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT) == -1)
            || zmq_send (self->router, reply.data, reply.size, ZMQ_DONTWAIT) == -1)
            s_reply_dropped (self);
    outbox->size = 0;
}

//  Ends, as died, the session of every watched process whose pidfd is
//  readable; what they held goes to the next in line, flagged.
static void
s_handle_deaths (s_self_t *self, zmq_pollitem_t *items, zown_session_t **sessions, size_t count)
{
    //  Ending one session never frees another: the array stays valid.
    bool ended = false;
    for (size_t index = 0; index < count; index++)
        if (items [index].revents & ZMQ_POLLIN) {
            zown_session_end (self->registry, sessions [index], true);
            ended = true;
        }
    if (ended)
        zown_registry_run_wakes (self->registry);
}

static void *
s_owner_thread (void *args)
{
    s_self_t *self = (s_self_t *) args;
    //  Ready: zown_owner_new returns only once this thread runs, so the
    //  owner serves at once, and a fork() right after zown_owner_new never
    //  copies a thread that is still starting.
    zown_registry_set_sender (self->registry, s_send_later, self);
    zmq_send (self->pipe, "R", 1, 0);
    //  Poll set: the pipe, the ROUTER, the feed, the monitor and the ZAP
    //  handler once there are, then one pidfd per watched session.
    zmq_pollitem_t *items = NULL;
    size_t capacity = 0, watched = 0, fixed = 0;
    zown_session_t **sessions = NULL;
    uint64_t generation = zown_session_watch_generation (self->registry) - 1;
    while (!self->terminated) {
        if (generation != zown_session_watch_generation (self->registry)
            || fixed != 3u + (self->monitor != NULL) + (self->zap != NULL)) {
            generation = zown_session_watch_generation (self->registry);
            fixed = 3u + (self->monitor != NULL) + (self->zap != NULL);
            watched = zown_session_watched (self->registry, &sessions);
            if (zown_grow ((void **) &items, &capacity, fixed + watched, sizeof (zmq_pollitem_t)))
                watched = 0;  //  Out of memory: deaths go unseen until it passes.
            if (!items)
                break;
            items [0] = (zmq_pollitem_t){ self->pipe, 0, ZMQ_POLLIN, 0 };
            items [1] = (zmq_pollitem_t){ self->router, 0, ZMQ_POLLIN, 0 };
            items [2] = (zmq_pollitem_t){ zown_feed_socket (self->feed), 0, ZMQ_POLLIN, 0 };
            if (self->monitor)
                items [3] = (zmq_pollitem_t){ self->monitor, 0, ZMQ_POLLIN, 0 };
            if (self->zap)
                items [fixed - 1] =
                    (zmq_pollitem_t){ zown_zap_socket (self->zap), 0, ZMQ_POLLIN, 0 };
            for (size_t index = 0; index < watched; index++)
                items [fixed + index] =
                    (zmq_pollitem_t){ NULL, sessions [index]->pidfd, ZMQ_POLLIN, 0 };
        }
        //  Wake at the nearest deadline of a parked request.
        int timeout = zown_registry_next_timeout (self->registry);
        if (zown_session_rechecks (self->registry) && (timeout < 0 || timeout > 5))
            timeout = 5;
        //  A snapshot's child is done within about this: its log is cut.
        if (self->compacting && (timeout < 0 || timeout > 20))
            timeout = 20;
        if (zmq_poll (items, (int) (fixed + watched), timeout) == -1) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (items [0].revents & ZMQ_POLLIN)
            s_handle_pipe (self);
        if (self->zap && (items [fixed - 1].revents & ZMQ_POLLIN))
            zown_zap_handle (self->zap, &zown_registry_stats (self->registry)->auth_refused);
        //  Subscriptions first: a subscriber that asks for a MARK after
        //  subscribing gets it.
        if (items [2].revents & ZMQ_POLLIN)
            zown_feed_handle (self->feed, self->registry);
        if (self->monitor && (items [3].revents & ZMQ_POLLIN))
            s_handle_monitor (self);
        if (items [1].revents & ZMQ_POLLIN)
            for (int count = 0; count < S_BURST; count++)
                if (s_handle_request (self))
                    break;
        //  Closed connections after requests, as deaths below.
        if (self->closed_count)
            s_handle_closed (self);
        if (zown_session_rechecks (self->registry) && zown_session_recheck (self->registry))
            zown_registry_run_wakes (self->registry);
        //  Dead processes after requests, so that a BYE already received
        //  ends its session cleanly; nothing was granted to them meanwhile
        //  (zown_call_session). If requests changed the sessions, the poll
        //  set is stale: a death still pending shows again next time.
        if (generation == zown_session_watch_generation (self->registry))
            s_handle_deaths (self, items + fixed, sessions, watched);
        zown_registry_expire (self->registry);
        if (self->group_commit)
            s_sync (self);
        //  After the burst's write: a snapshot begins with nothing queued.
        if (self->journal)
            s_maybe_compact (self);
    }
    free (items);
    //  The feed file first: the name is let go last, with the socket file,
    //  so that a new owner of the name never finds this one's feed.
    zown_registry_set_publish (self->registry, NULL, NULL);
    zown_feed_destroy (&self->feed);
    s_release_endpoints (self);
    return NULL;
}

//  --------------------------------------------------------------------------
//  Facade

zown_owner_t *
zown_owner_new (const char *name)
{
    return zown_owner_new_with (name, NULL);
}

//  A known fsync mode, and limits within their bounds.
static bool
s_options_valid (const zown_owner_options_t *options)
{
    if (!options)
        return true;
    zown_limits_t limits = options->limits;
    return options->fsync >= ZOWN_FSYNC_ALWAYS && options->fsync <= ZOWN_FSYNC_NO
        && !options->cert == !options->allow && zown_limits_resolve (&limits) == ZOWN_OK;
}

//  A name for an owner started without one: "anon-PID-N-RANDOM", unique
//  among this user's owners (no live process shares the pid, the count
//  tells this process's owners apart, the random part any owner of a
//  process that had the pid before).
static void
s_anonymous_name (char *name, size_t size)
{
    static atomic_uint count;
    uint32_t random = 0;
    if (getrandom (&random, sizeof (random), 0) != sizeof (random))
        random = (uint32_t) zown_now_ms ();
    snprintf (name, size, "anon-%d-%u-%08x", (int) getpid (), atomic_fetch_add (&count, 1), random);
}

zown_owner_t *
zown_owner_new_with (const char *name, const zown_owner_options_t *options)
{
    char anonymous [ZOWN_NAME_MAX + 1];
    if (!name) {
        s_anonymous_name (anonymous, sizeof (anonymous));
        name = anonymous;
    }
    if (!zown_name_valid (name) || !s_options_valid (options))
        return (zown_owner_t *) zown_fail_null (ZOWN_INVALID);
    zown_rundir_sweep ();
    void *ctx = zown_ctx ();
    if (!ctx)
        return NULL;
    zown_owner_t *self = (zown_owner_t *) calloc (1, sizeof (zown_owner_t));
    if (!self)
        return (zown_owner_t *) zown_fail_null (ZOWN_NO_MEMORY);
    self->name = strdup (name);
    self->inproc = zsys_sprintf ("inproc://zown-%s", name);
    self->ipc = zown_owner_endpoint_for (name);
    //  '/' cannot be part of a name: no owner's inproc name is a feed's.
    self->feed_inproc = zsys_sprintf ("inproc://zown-%s/feed", name);
    self->feed_ipc = zown_owner_feed_endpoint_for (name);
    //  Pipe names are never reused: a closed socket frees its inproc name
    //  only later.
    static atomic_uint_fast64_t pipes;
    char *pipe_endpoint =
        zsys_sprintf ("inproc://zown-pipe-%" PRIuFAST64, atomic_fetch_add (&pipes, 1));
    int status = ZOWN_NO_MEMORY;
    if (self->name && self->inproc && pipe_endpoint && (!self->ipc || !self->feed_ipc))
        status = zown_errno ();
    if (self->name && self->inproc && self->ipc && pipe_endpoint && self->feed_inproc
        && self->feed_ipc) {
        status = ZOWN_SYSTEM;
        //  Timeouts on the facade's end: a command never waits forever
        //  on an owner thread that died.
        if ((self->pipe = zmq_socket (ctx, ZMQ_PAIR))
            && zown_set_int (self->pipe, ZMQ_LINGER, 0) == 0
            && zown_set_int (self->pipe, ZMQ_SNDTIMEO, ZOWN_OWNER_STOP_TIMEOUT) == 0
            && zown_set_int (self->pipe, ZMQ_RCVTIMEO, ZOWN_OWNER_STOP_TIMEOUT) == 0
            && zmq_bind (self->pipe, pipe_endpoint) == 0)
            self->state = s_self_new (ctx, pipe_endpoint, self, options, &status);
        if (self->state
            && !(self->recovery = strdup (self->state->recovery ? self->state->recovery : "")))
            status = ZOWN_NO_MEMORY;
        else if (self->state) {
            status = ZOWN_SYSTEM;
            char ready;
            if (pthread_create (&self->thread, NULL, s_owner_thread, self->state) == 0) {
                self->running = true;
                if (zmq_recv (self->pipe, &ready, 1, 0) == 1 && ready == 'R')
                    status = ZOWN_OK;
            }
        }
    }
    free (pipe_endpoint);
    if (status != ZOWN_OK) {
        zown_owner_destroy (&self);
        return (zown_owner_t *) zown_fail_null (status);
    }
    zown_ok ();
    return self;
}

void
zown_owner_destroy (zown_owner_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zown_owner_t *self = *self_p;
    bool stopped = !self->running;
    if (self->running) {
        //  Bound the wait for the thread: a stop never hangs the caller. A
        //  thread that does not stop in time is left behind, and named.
        zmq_send (self->pipe, "T", 1, ZMQ_DONTWAIT);
        struct timespec deadline;
        clock_gettime (CLOCK_REALTIME, &deadline);
        deadline.tv_sec += ZOWN_OWNER_STOP_TIMEOUT / 1000;
        deadline.tv_nsec += (long) (ZOWN_OWNER_STOP_TIMEOUT % 1000) * 1000000;
        if (deadline.tv_nsec >= 1000000000) {
            deadline.tv_sec++;
            deadline.tv_nsec -= 1000000000;
        }
        stopped = pthread_timedjoin_np (self->thread, NULL, &deadline) == 0;
        if (!stopped) {
            fprintf (stderr, "zown: owner '%s' did not stop within %d ms; left running\n",
                     self->name, ZOWN_OWNER_STOP_TIMEOUT);
            pthread_detach (self->thread);
        }
    }
    if (stopped)
        s_self_destroy (&self->state);
    if (self->pipe)
        zmq_close (self->pipe);
    free (self->name);
    free (self->inproc);
    free (self->ipc);
    free (self->feed_inproc);
    free (self->feed_ipc);
    free (self->recovery);
    free (self);
    *self_p = NULL;
}

const char *
zown_owner_name (zown_owner_t *self)
{
    return self->name;
}

const char *
zown_owner_inproc (zown_owner_t *self)
{
    return self->inproc;
}

const char *
zown_owner_ipc (zown_owner_t *self)
{
    return self->ipc;
}

const char *
zown_owner_feed_inproc (zown_owner_t *self)
{
    return self->feed_inproc;
}

const char *
zown_owner_feed_ipc (zown_owner_t *self)
{
    return self->feed_ipc;
}

const char *
zown_owner_recovery (zown_owner_t *self)
{
    return self->recovery ? self->recovery : "";
}

int
zown_owner_bind (zown_owner_t *self, const char *endpoint)
{
    if (!self || !endpoint || strlen (endpoint) > 500)
        return zown_fail (ZOWN_INVALID);
    char command [512];
    int size = snprintf (command, sizeof (command), "B%s", endpoint);
    int status = ZOWN_SYSTEM;
    char bound [sizeof (self->bound)];
    int bound_size = -1;
    if (zmq_send (self->pipe, command, (size_t) size, 0) != size
        || zmq_recv (self->pipe, &status, sizeof (status), 0) != sizeof (status)
        || (bound_size = zmq_recv (self->pipe, bound, sizeof (bound) - 1, 0)) < 0)
        return zown_fail (ZOWN_SYSTEM);
    if (status != ZOWN_OK)
        return zown_fail (status);
    bound [bound_size < (int) sizeof (bound) ? bound_size : (int) sizeof (bound) - 1] = 0;
    memcpy (self->bound, bound, sizeof (bound));
    return zown_ok ();
}

const char *
zown_owner_bound (zown_owner_t *self)
{
    return self->bound;
}

const char *
zown_owner_public_key (zown_owner_t *self)
{
    return self->public_key;
}
