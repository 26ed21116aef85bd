/*  =========================================================================
    client - a DEALER to an owner: request ids, deadlines, pipelining

    Ids grow by one per request. The ids sent and not yet answered nor
    abandoned are kept, oldest first; a reply is matched to its request by
    id. Replies mostly come back in the order sent, but a request the owner
    parks (a blocking op) is answered when it completes, after later ones:
    an answered id leaves the set from wherever it is, and a reply to an id
    not in it (abandoned, or answered already) is dropped.

    Before its first request a client says HELLO with its pid (id 0, the
    answer is not waited for), and when destroyed it says BYE and waits a
    moment for the answer: the owner then knows its session, tells a clean
    end from a death, and sees at once if its process dies
    (runtime/owner/session.c). Its routing id starts with "ZS", which tells
    the owner so: an owner that has no session for it (it restarted) answers
    NO_SESSION to what needs one, and the client says HELLO again and
    sends the request once more.

    A buffered client (zown_client_set_buffered) keeps updates that need no
    answer in a request of independent ops and sends it when it is full,
    when its oldest update has waited the linger (looked at in each call),
    before any other call (which then sees them: the owner applies one
    connection's requests in order), at a flush and at destroy. A few sent
    buffers (flights) may await their replies; each reply is taken in as
    it comes, on the way to another, and its failed ops counted until a
    call reports them.
    =========================================================================
*/
#include "zown_internal.h"
#include "base/curve.h"
#include <stdatomic.h>
#include <sys/stat.h>
#include <sys/random.h>
#include <time.h>

//  tcp connections: heartbeats find a peer that vanished (a cut link, a
//  host that died) so that libzmq reconnects.
#define S_HEARTBEAT_IVL     1000
#define S_HEARTBEAT_TIMEOUT 5000
//  Handshakes closed in a row without a reason before the owner is taken
//  to refuse us (libzmq retries every 100 ms).
#define S_SILENT_CLOSES_MAX 3

//  Sent buffers awaiting replies, at most (and at most the window): enough
//  to keep the owner busy while the next one fills.
#define S_FLIGHTS_MAX 4
//  A buffer this large (octets) is sent whatever its op count.
#define S_BUFFER_BYTES 65536

//  Ids sent and not yet answered nor abandoned, in ascending order: a ring
//  that grows as needed (up to the window).
typedef struct {
    uint64_t *ids;
    size_t head;  //  Where the oldest is
    size_t count;
    size_t capacity;
} s_ids_t;

//  A sent buffer of updates, its reply awaited.
typedef struct {
    uint64_t id;                   //  Its request id
    uint64_t first;                //  Number of its first update
    size_t count;                  //  Updates in it
    uint8_t ops [ZOWN_BATCH_MAX];  //  Their op codes
} s_flight_t;

//  Failed buffered updates: how many, and the first.
typedef struct {
    size_t count;
    uint64_t update;     //  Its number among the client's updates (from 1)
    zown_op_t op;        //  Its op
    int status;          //  Its status
    char message [256];  //  The owner's message, if any
} s_failures_t;

struct _zown_client_t {
    void *socket;                         //  DEALER in this process's zown context
    unsigned generation;                  //  Fork generation it was created in
    char *endpoint;                       //  Where it is connected
    int timeout;                          //  Deadline per call, ms (-1: none)
    int rcvtimeo;                         //  ZMQ_RCVTIMEO now set on the socket
    size_t window;                        //  Most pipelined requests pending
    uint64_t next_id;                     //  Id of the next request
    s_ids_t pending;                      //  Ids still wanted
    uint64_t dropped;                     //  Late replies dropped
    zmq_msg_t frame;                      //  Last reply frame; reply values point in it
    zown_reply_t reply;                   //  Last reply, decoded
    zown_request_t *request;              //  Reused by the typed handles
    bool said_hello;                      //  HELLO sent before the first request
    char message [256];                   //  The owner's message for the last failed call
    void *monitor;                        //  Connection events (ipc, tcp), else NULL
    bool curve;                           //  A CURVE tcp client: handshakes can be refused
    bool denied;                          //  The owner refuses our handshakes
    unsigned failures;                    //  Handshakes failed in a row
    bool disconnected;                    //  The connection dropped since the last look
    bool reopen;                          //  Refused: the next call starts on a new socket
    zown_client_options_t options;        //  Kept for a new socket; strings owned
    zown_request_t *buffer;               //  Buffered updates (independent ops); NULL: unbuffered
    size_t buffer_max;                    //  Most updates in one buffer
    int linger;                           //  Longest an update waits in the buffer, ms
    int64_t buffered_at;                  //  When the oldest buffered update came
    uint64_t updates;                     //  Updates buffered so far
    uint8_t buffer_ops [ZOWN_BATCH_MAX];  //  Op codes of the buffered updates
    s_flight_t flights [S_FLIGHTS_MAX];   //  Sent buffers, oldest first (a ring)
    size_t flight_head;
    size_t flight_count;
    s_failures_t failed;    //  Failed updates not yet reported
    s_failures_t reported;  //  What the last report said
};

static int s_call (zown_client_t *self, zown_request_t *request, int timeout,
                   zown_reply_t **reply_p);

static uint64_t *
s_ids_at (s_ids_t *self, size_t index)
{
    return &self->ids [(self->head + index) % self->capacity];
}

//  Room for one more id; 0, or -1 if out of memory.
static int
s_ids_reserve (s_ids_t *self)
{
    if (self->count < self->capacity)
        return 0;
    size_t capacity = self->capacity ? 2 * self->capacity : 16;
    uint64_t *ids = (uint64_t *) malloc (capacity * sizeof (uint64_t));
    if (!ids)
        return -1;
    for (size_t index = 0; index < self->count; index++)
        ids [index] = *s_ids_at (self, index);
    free (self->ids);
    self->ids = ids;
    self->head = 0;
    self->capacity = capacity;
    return 0;
}

//  After s_ids_reserve: ids only grow, so the ring stays sorted.
static void
s_ids_push (s_ids_t *self, uint64_t id)
{
    self->count++;
    *s_ids_at (self, self->count - 1) = id;
}

//  Take an answered id out of the set: true if it was in it. The oldest
//  is the common case; any other is found by bisection.
static bool
s_ids_take (s_ids_t *self, uint64_t id)
{
    size_t low = 0, high = self->count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (*s_ids_at (self, middle) < id)
            low = middle + 1;
        else
            high = middle;
    }
    if (low == self->count || *s_ids_at (self, low) != id)
        return false;
    if (low == 0)
        self->head = (self->head + 1) % self->capacity;
    else
        for (size_t index = low; index + 1 < self->count; index++)
            *s_ids_at (self, index) = *s_ids_at (self, index + 1);
    self->count--;
    return true;
}

static bool
s_forked (zown_client_t *self)
{
    return self->generation != zown_fork_generation ();
}

//  --------------------------------------------------------------------------

//  Reads the connection events waiting: a dropped connection, and (CURVE)
//  handshakes. True if the owner refuses our handshakes.
static bool
s_denied (zown_client_t *self)
{
    zmq_msg_t event;
    zmq_msg_init (&event);
    while (zmq_msg_recv (&event, self->monitor, ZMQ_DONTWAIT) != -1) {
        uint16_t kind = 0;
        if (zmq_msg_size (&event) >= 2)
            memcpy (&kind, zmq_msg_data (&event), sizeof (kind));
        if (kind == ZMQ_EVENT_DISCONNECTED)
            self->disconnected = true;
        else if (self->curve && kind) {
            //  A ZAP refusal or a protocol error is explicit. An owner that
            //  cannot read our hello (a wrong server key) just closes the
            //  connection, as a network fault would: refused only when it
            //  happens at every attempt.
            self->failures = kind == ZMQ_EVENT_HANDSHAKE_SUCCEEDED ? 0 : self->failures + 1;
            self->denied = kind == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
                || kind == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                || self->failures >= S_SILENT_CLOSES_MAX;
        }
        //  The event's second frame, its endpoint.
        if (zmq_msg_more (&event))
            zmq_msg_recv (&event, self->monitor, ZMQ_DONTWAIT);
    }
    zmq_msg_close (&event);
    return self->denied;
}

//  A call that got no answer: tells a refused handshake apart from an
//  owner that is away or slow.
//  Why an ipc owner did not answer, when its socket file tells: gone, or
//  moved aside by an owner at its descriptor limit (PATH.paused).
static void
s_explain_ipc (zown_client_t *self)
{
    const char *path = self->endpoint + 6;
    struct stat info;
    if (stat (path, &info) == 0)
        return;
    char *aside = zsys_sprintf ("%s.paused", path);
    bool paused = aside && stat (aside, &info) == 0;
    snprintf (self->message, sizeof (self->message),
              paused ? "the owner at %s accepts no new client now: it is at its descriptor limit"
                     : "no owner listens at %s: its socket file does not exist",
              path);
    free (aside);
}

static int
s_no_answer (zown_client_t *self, int status)
{
    if (self->monitor && s_denied (self)) {
        //  libzmq stops connecting after a refused handshake: the next
        //  call starts afresh, so that a key allowed since gets in.
        self->reopen = true;
        return zown_fail (ZOWN_DENIED);
    }
    if (status == ZOWN_UNREACHABLE && strncmp (self->endpoint, "ipc://", 6) == 0)
        s_explain_ipc (self);
    return zown_fail (status);
}

//  A tcp client's first request waits for the handshake, so that a refusal
//  ends the call at once rather than at its deadline.
static int
s_await_handshake (zown_client_t *self)
{
    int64_t deadline = zown_deadline_ms (self->timeout);
    while (true) {
        zmq_pollitem_t items [2] = { { self->socket, 0, ZMQ_POLLOUT, 0 },
                                     { self->monitor, 0, ZMQ_POLLIN, 0 } };
        if (zmq_poll (items, 2, zown_left_ms (deadline)) == -1 && errno != EINTR)
            return zown_fail (ZOWN_SYSTEM);
        if (items [0].revents & ZMQ_POLLOUT)
            return 0;
        if ((items [1].revents & ZMQ_POLLIN) && s_denied (self))
            return s_no_answer (self, ZOWN_DENIED);
        if (zown_left_ms (deadline) == 0)
            return zown_fail (ZOWN_UNREACHABLE);
    }
}

//  CURVE keys for a tcp target, read from the options' files each time
//  (so a new socket sees a certificate replaced since); plain tcp only when
//  asked for. Returns a status.
static int
s_secure (zown_client_t *self)
{
    const zown_client_options_t *options = &self->options;
    if (zown_set_int (self->socket, ZMQ_HEARTBEAT_IVL, S_HEARTBEAT_IVL)
        || zown_set_int (self->socket, ZMQ_HEARTBEAT_TIMEOUT, S_HEARTBEAT_TIMEOUT))
        return ZOWN_SYSTEM;
    if (!options->server_key && !options->cert && options->insecure)
        return ZOWN_OK;
    uint8_t server [ZOWN_CURVE_KEY], public_key [ZOWN_CURVE_KEY], secret_key [ZOWN_CURVE_KEY];
    if (zown_curve_load_public (options->server_key, server)
        || zown_curve_load_pair (options->cert, public_key, secret_key))
        return ZOWN_INVALID;
    int status = zmq_setsockopt (self->socket, ZMQ_CURVE_SERVERKEY, server, ZOWN_CURVE_KEY) == 0
            && zmq_setsockopt (self->socket, ZMQ_CURVE_PUBLICKEY, public_key, ZOWN_CURVE_KEY) == 0
            && zmq_setsockopt (self->socket, ZMQ_CURVE_SECRETKEY, secret_key, ZOWN_CURVE_KEY) == 0
        ? ZOWN_OK
        : ZOWN_SYSTEM;
    //  The secret key stays in libzmq's copy only.
    memset (secret_key, 0, sizeof (secret_key));
    self->curve = status == ZOWN_OK;
    return status;
}

static int
s_say (zown_client_t *self, zown_op_t op, size_t argc, const zown_datum_t *argv, int flags)
{
    zown_request_t *request = zown_request_new ();
    int rc = -1;
    if (request && zown_request_add (request, op, NULL, argc, argv) == 0) {
        zown_request_seal (request, 0);
        const zown_buf_t *buf = zown_request_buffer (request);
        rc = zmq_send (self->socket, buf->data, buf->size, flags) == (int) buf->size ? 0 : -1;
    }
    zown_request_destroy (&request);
    return rc;
}

zown_client_t *
zown_client_new (const char *target)
{
    return zown_client_new_with (target, NULL);
}

//  "ZS" (ZOWN_CLIENT_ID_PREFIX), then the pid, a count of this process's
//  clients and random octets: unique to this client, never reused, so an
//  owner never takes it for a client whose session has ended.
static int
s_set_routing_id (void *socket)
{
    static atomic_uint count;
    uint8_t id [18] = { ZOWN_CLIENT_ID_PREFIX [0], ZOWN_CLIENT_ID_PREFIX [1] };
    uint32_t pid = (uint32_t) getpid ();
    uint32_t serial = atomic_fetch_add (&count, 1);
    memcpy (id + 2, &pid, 4);
    memcpy (id + 6, &serial, 4);
    if (getrandom (id + 10, 8, 0) != 8)
        return -1;
    return zmq_setsockopt (socket, ZMQ_ROUTING_ID, id, sizeof (id));
}

//  A new DEALER to the owner, with its options, keys and a monitor of its
//  connection (ipc and tcp). Returns a status.
static int
s_open (zown_client_t *self)
{
    self->socket = zmq_socket (zown_ctx (), ZMQ_DEALER);
    self->said_hello = false;
    self->denied = false;
    self->failures = 0;
    self->disconnected = false;
    self->rcvtimeo = -1;
    if (!self->socket
        //  Never block on close; queue requests only on a live connection,
        //  so a send to an absent owner fails (UNREACHABLE) instead of
        //  waiting for one that may start later.
        || zown_set_int (self->socket, ZMQ_LINGER, 0)
        || zown_set_int (self->socket, ZMQ_IMMEDIATE, 1)
        || zown_set_int (self->socket, ZMQ_SNDHWM, 2 * ZOWN_CLIENT_WINDOW_MAX)
        || zown_set_int (self->socket, ZMQ_RCVHWM, 2 * ZOWN_CLIENT_WINDOW_MAX)
        || zown_set_int (self->socket, ZMQ_SNDTIMEO, self->timeout)
        || s_set_routing_id (self->socket))
        return ZOWN_SYSTEM;
    bool tcp = strncmp (self->endpoint, "tcp://", 6) == 0;
    int status = tcp ? s_secure (self) : ZOWN_OK;
    if (status != ZOWN_OK)
        return status;
    int events = ZMQ_EVENT_DISCONNECTED;
    if (self->curve)
        events |= ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
            | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL;
    //  inproc connections never drop: no events to watch.
    if ((tcp || strncmp (self->endpoint, "ipc://", 6) == 0)
        && !(self->monitor = zown_monitor_new (self->socket, events)))
        return ZOWN_SYSTEM;
    if (zmq_connect (self->socket, self->endpoint) == 0)
        return ZOWN_OK;
    return errno == EINVAL || errno == EPROTONOSUPPORT || errno == ENOENT ? ZOWN_INVALID
                                                                          : ZOWN_SYSTEM;
}

static void
s_close (zown_client_t *self)
{
    if (self->socket) {
        zown_monitor_stop (self->socket, &self->monitor);
        zmq_close (self->socket);
        self->socket = NULL;
    }
}

zown_client_t *
zown_client_new_with (const char *target, const zown_client_options_t *options)
{
    if (!target || !*target)
        return (zown_client_t *) zown_fail_null (ZOWN_INVALID);
    char *endpoint = strstr (target, "://") ? strdup (target) : zown_owner_endpoint_for (target);
    if (!endpoint)
        return NULL;
    zown_client_t *self = (zown_client_t *) calloc (1, sizeof (zown_client_t));
    if (!self || !zown_ctx ()) {
        free (self);
        free (endpoint);
        return (zown_client_t *) zown_fail_null (self ? ZOWN_SYSTEM : ZOWN_NO_MEMORY);
    }
    self->endpoint = endpoint;
    self->generation = zown_fork_generation ();
    self->timeout = ZOWN_CLIENT_TIMEOUT_DEFAULT;
    self->window = ZOWN_CLIENT_WINDOW_DEFAULT;
    self->next_id = 1;
    zmq_msg_init (&self->frame);
    zown_reply_init (&self->reply);
    self->request = zown_request_new ();
    int status = ZOWN_NO_MEMORY;
    if (options) {
        self->options.insecure = options->insecure;
        self->options.server_key = options->server_key ? strdup (options->server_key) : NULL;
        self->options.cert = options->cert ? strdup (options->cert) : NULL;
    }
    if (self->request && (!options || !options->server_key || self->options.server_key)
        && (!options || !options->cert || self->options.cert)
        && (status = s_open (self)) == ZOWN_OK)
        return self;
    zown_client_destroy (&self);
    return (zown_client_t *) zown_fail_null (status);
}

void
zown_client_destroy (zown_client_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zown_client_t *self = *self_p;
    //  In a forked child the socket and frame belong to the parent's
    //  context: leave them alone, free only our own memory.
    if (!s_forked (self)) {
        if (self->socket && self->buffer) {
            //  Buffered updates go out first, as stdio's do at fclose.
            zown_client_abandon (self);
            zown_client_flush (self);
            self->failed.count = 0;
        }
        if (self->socket && self->said_hello && self->request) {
            //  BYE ends the session cleanly: what it held is released, not
            //  reported as died. The owner must have it before this process
            //  can exit, or it would see the exit first: wait for its answer,
            //  a short while at most.
            zown_client_abandon (self);
            zown_set_int (self->socket, ZMQ_SNDTIMEO, ZOWN_CLIENT_BYE_TIMEOUT);
            zown_request_reset (self->request);
            if (zown_request_add (self->request, ZOWN_OP_BYE, NULL, 0, NULL) == 0)
                s_call (self, self->request, ZOWN_CLIENT_BYE_TIMEOUT, NULL);
        }
        zmq_msg_close (&self->frame);
        s_close (self);
    }
    zown_reply_fini (&self->reply);
    zown_request_destroy (&self->request);
    zown_request_destroy (&self->buffer);
    free (self->pending.ids);
    free ((char *) self->options.server_key);
    free ((char *) self->options.cert);
    free (self->endpoint);
    free (self);
    *self_p = NULL;
}

const char *
zown_client_endpoint (zown_client_t *self)
{
    return self->endpoint;
}

int
zown_client_set_timeout (zown_client_t *self, int timeout_ms)
{
    if (timeout_ms == 0 || timeout_ms < ZOWN_FOREVER)
        return zown_fail (ZOWN_INVALID);
    if (s_forked (self))
        return zown_fail (ZOWN_FORKED);
    if (zown_set_int (self->socket, ZMQ_SNDTIMEO, timeout_ms))
        return zown_fail (ZOWN_SYSTEM);
    self->timeout = timeout_ms;
    return zown_ok ();
}

int
zown_client_timeout (zown_client_t *self)
{
    return self->timeout;
}

int
zown_client_set_window (zown_client_t *self, int window)
{
    if (window < 1 || window > ZOWN_CLIENT_WINDOW_MAX)
        return zown_fail (ZOWN_INVALID);
    self->window = (size_t) window;
    return zown_ok ();
}

static bool
s_is_flight (zown_client_t *self, uint64_t id)
{
    for (size_t index = 0; index < self->flight_count; index++)
        if (self->flights [(self->flight_head + index) % S_FLIGHTS_MAX].id == id)
            return true;
    return false;
}

size_t
zown_client_pending (zown_client_t *self)
{
    return self->pending.count - self->flight_count;
}

void
zown_client_abandon (zown_client_t *self)
{
    //  Sent buffers stay: their replies are still taken in.
    s_ids_t *pending = &self->pending;
    size_t kept = 0;
    for (size_t index = 0; index < pending->count; index++) {
        uint64_t id = *s_ids_at (pending, index);
        if (s_is_flight (self, id))
            *s_ids_at (pending, kept++) = id;
    }
    pending->count = kept;
}

uint64_t
zown_client_dropped (zown_client_t *self)
{
    return self->dropped;
}

static int
s_send (zown_client_t *self, zown_request_t *request)
{
    if (!request || zown_request_ops (request) == 0)
        return zown_fail (ZOWN_INVALID);
    if (self->reopen) {
        //  Refused before: a new socket, a new handshake.
        s_close (self);
        self->reopen = false;
        int status = s_open (self);
        if (status != ZOWN_OK)
            return zown_fail (status);
    }
    if (self->disconnected) {
        //  The owner we talked to went away: a new one needs our HELLO.
        self->disconnected = false;
        self->said_hello = false;
    }
    if (!self->said_hello) {
        if (self->curve && s_await_handshake (self))
            return -1;
        //  With the boot id, an owner on another host never takes our pid
        //  for one of its own processes.
        char boot [ZOWN_BOOT_ID_SIZE];
        zown_datum_t hello [2] = { zown_datum_int (getpid ()),
                                   zown_datum_bytes (boot, zown_boot_id (boot)) };
        if (s_say (self, ZOWN_OP_HELLO, hello [1].u.b.len ? 2 : 1, hello, 0))
            return errno == EAGAIN ? s_no_answer (self, ZOWN_UNREACHABLE) : zown_fail (ZOWN_SYSTEM);
        self->said_hello = true;
    }
    if (s_ids_reserve (&self->pending))
        return zown_fail (ZOWN_NO_MEMORY);
    zown_request_seal (request, self->next_id);
    const zown_buf_t *buf = zown_request_buffer (request);
    while (zmq_send (self->socket, buf->data, buf->size, 0) == -1) {
        if (errno == EINTR)
            continue;
        return errno == EAGAIN ? s_no_answer (self, ZOWN_UNREACHABLE) : zown_fail (ZOWN_SYSTEM);
    }
    s_ids_push (&self->pending, self->next_id++);
    return 0;
}

//  Waits up to `wait` ms (-1: no limit) for a reply frame or the news that
//  the connection dropped, or was refused: then the calls in flight fail
//  at once, UNREACHABLE (their outcome unknown) or DENIED, rather than at
//  their deadlines. 0 when a frame may be there, or the wait is over.
static int
s_await_reply (zown_client_t *self, int wait)
{
    if (self->disconnected)
        return s_no_answer (self, ZOWN_UNREACHABLE);
    zmq_pollitem_t items [2] = { { self->socket, 0, ZMQ_POLLIN, 0 },
                                 { self->monitor, 0, ZMQ_POLLIN, 0 } };
    if (zmq_poll (items, 2, wait) == -1 && errno != EINTR)
        return zown_fail (ZOWN_SYSTEM);
    if (items [0].revents & ZMQ_POLLIN)
        return 0;
    if ((items [1].revents & ZMQ_POLLIN) && (s_denied (self) || self->disconnected))
        return s_no_answer (self, ZOWN_UNREACHABLE);
    return 0;
}

//  Receives one frame: first without waiting (pipelined replies are often
//  there already, and then the clock is never read), then blocking until
//  the deadline. RCVTIMEO is set only when it changes.
static int
s_recv_frame (zown_client_t *self, int timeout, int64_t *deadline_p)
{
    int flags = ZMQ_DONTWAIT;
    while (zmq_msg_recv (&self->frame, self->socket, flags) == -1) {
        if (errno != EAGAIN && errno != EINTR)
            return zown_fail (ZOWN_SYSTEM);
        int remaining = -1;
        if (timeout >= 0) {
            int64_t now = zown_now_ms ();
            if (*deadline_p < 0)
                *deadline_p = now + timeout;
            else if (now >= *deadline_p)
                return s_no_answer (self, ZOWN_TIMEOUT);
            remaining = (int) (*deadline_p - now);
        }
        if (self->monitor) {
            if (s_await_reply (self, remaining))
                return -1;
            continue;
        }
        if (remaining != self->rcvtimeo) {
            if (zown_set_int (self->socket, ZMQ_RCVTIMEO, remaining))
                return zown_fail (ZOWN_SYSTEM);
            self->rcvtimeo = remaining;
        }
        flags = 0;
    }
    return 0;
}

//  Copies a message datum into a 256-octet string, cut if longer.
static void
s_copy_message (char *into, zown_datum_t message)
{
    size_t size = message.tag == ZOWN_BYTES ? message.u.b.len : 0;
    size = size < 255 ? size : 255;
    if (size)
        memcpy (into, message.u.b.ptr, size);
    into [size] = 0;
}

//  Counts one failed update; the first since the last report is kept.
static void
s_failed (zown_client_t *self, uint64_t update, uint8_t op, int status, zown_datum_t message)
{
    s_failures_t *failures = &self->failed;
    if (failures->count++ == 0) {
        failures->update = update;
        failures->op = (zown_op_t) op;
        failures->status = status;
        s_copy_message (failures->message, message);
    }
}

//  The oldest flight is over: its reply (NULL if none came, or it could
//  not be decoded: then each update failed with `status`) tells which
//  updates failed.
static void
s_flight_done (zown_client_t *self, const zown_reply_t *reply, int status)
{
    s_flight_t *flight = &self->flights [self->flight_head];
    self->flight_head = (self->flight_head + 1) % S_FLIGHTS_MAX;
    self->flight_count--;
    //  A message refused whole (too large, say) has one result.
    size_t results = reply ? zown_reply_results (reply) : 0;
    zown_datum_t lost = zown_datum_str ("no reply: outcome unknown");
    for (size_t index = 0; index < flight->count; index++) {
        size_t result = results == flight->count ? index : 0;
        int op_status = reply ? zown_reply_result_status (reply, result) : status;
        if (op_status == ZOWN_NO_SESSION)
            self->said_hello = false;
        if (op_status != ZOWN_OK)
            s_failed (self, flight->first + index, flight->ops [index], op_status,
                      reply ? zown_reply_message (reply, result) : lost);
    }
}

//  Gives up on every flight (no reply came in time): their updates count
//  as failed. Only when no request of the application is pending.
static void
s_flights_abandon (zown_client_t *self, int status)
{
    while (self->flight_count)
        s_flight_done (self, NULL, status);
    self->pending.count = 0;
}

//  What a received frame was.
enum { S_DROPPED, S_FLIGHT, S_REPLY };

static int
s_take (zown_client_t *self)
{
    const uint8_t *data = (const uint8_t *) zmq_msg_data (&self->frame);
    size_t size = zmq_msg_size (&self->frame);
    if (zmq_msg_more (&self->frame) || size < ZOWN_REPLY_HEADER) {
        //  Not a reply frame of ours: drain and ignore it.
        self->dropped++;
        return S_DROPPED;
    }
    uint64_t id = zown_peek_id (data, size);
    if (!s_ids_take (&self->pending, id)) {
        //  Id 0 answers HELLO: expected, and not a late reply.
        self->dropped += id != 0;
        return S_DROPPED;
    }
    bool bad = zown_reply_decode (&self->reply, data, size) != 0;
    if (self->flight_count && id == self->flights [self->flight_head].id) {
        s_flight_done (self, bad ? NULL : &self->reply, ZOWN_PROTOCOL);
        return S_FLIGHT;
    }
    return bad ? zown_fail (ZOWN_PROTOCOL) : S_REPLY;
}

//  Waits for the next reply to a wanted request, until the deadline; a
//  sent buffer's reply is taken in on the way, and with `flight` it is
//  the one waited for.
static int
s_recv (zown_client_t *self, int timeout, bool flight)
{
    int64_t deadline = -1;  //  Set at the first wait
    while (true) {
        if (s_recv_frame (self, timeout, &deadline))
            return -1;
        int taken = s_take (self);
        if (taken < 0)
            return -1;
        if (taken == S_REPLY || (taken == S_FLIGHT && flight))
            return 0;
    }
}

//  Takes in the replies to sent buffers that are there, without waiting
//  (only with no request of the application pending: its reply would be
//  taken too).
static void
s_drain (zown_client_t *self)
{
    while (self->flight_count && !zown_client_pending (self)
           && zmq_msg_recv (&self->frame, self->socket, ZMQ_DONTWAIT) != -1)
        s_take (self);
}

//  Sends the buffered updates as one request of independent ops, once a
//  flight is free (waiting for the oldest when none is). Updates that
//  cannot be sent count as failed. Returns 0, or -1 with ZOWN_BUSY (the
//  buffer kept) when requests of the application are pending and no
//  flight is free.
static int
s_send_buffer (zown_client_t *self)
{
    size_t count = self->buffer ? zown_request_ops (self->buffer) : 0;
    if (count == 0)
        return 0;
    s_drain (self);
    size_t most = self->window < S_FLIGHTS_MAX ? self->window : S_FLIGHTS_MAX;
    while (self->flight_count >= most) {
        if (zown_client_pending (self))
            return zown_fail (ZOWN_BUSY);
        if (s_recv (self, self->timeout, true))
            s_flights_abandon (self, zown_errno ());
    }
    s_flight_t *flight = &self->flights [(self->flight_head + self->flight_count) % S_FLIGHTS_MAX];
    flight->id = self->next_id;
    flight->first = self->updates - count + 1;
    flight->count = count;
    memcpy (flight->ops, self->buffer_ops, count);
    int rc = s_send (self, self->buffer);
    if (rc == 0)
        self->flight_count++;
    else
        for (size_t index = 0; index < count; index++)
            s_failed (self, flight->first + index, flight->ops [index], zown_errno (),
                      zown_datum_str ("not sent"));
    zown_request_reset (self->buffer);
    return rc;
}

//  Reports the failed updates counted so far: -1 with ZOWN_UPDATES_FAILED;
//  zown_client_failures then tells which.
static int
s_report (zown_client_t *self)
{
    self->reported = self->failed;
    self->failed.count = 0;
    return zown_fail (ZOWN_UPDATES_FAILED);
}

//  Before a call that goes to the owner: failures are reported first (the
//  call does nothing else), and buffered updates go ahead of it (or the
//  call waits: ZOWN_BUSY, when pipelined requests hold every flight up).
static int
s_before_call (zown_client_t *self)
{
    if (self->failed.count)
        return s_report (self);
    if (s_send_buffer (self) && zown_errno () == ZOWN_BUSY)
        return -1;
    return 0;
}

//  Keeps the message of the op that failed the reply with `status`.
static void
s_keep_message (zown_client_t *self, int status)
{
    for (size_t op = 0; op < zown_reply_results (&self->reply); op++)
        if (zown_reply_result_status (&self->reply, op) == status) {
            s_copy_message (self->message, zown_reply_message (&self->reply, op));
            return;
        }
}

//  A synchronous call with its own deadline (ms, -1 for none).
static int
s_call (zown_client_t *self, zown_request_t *request, int timeout, zown_reply_t **reply_p)
{
    if (reply_p)
        *reply_p = NULL;
    if (!self)
        return zown_fail (ZOWN_INVALID);
    self->message [0] = 0;
    if (s_forked (self))
        return zown_fail (ZOWN_FORKED);
    if (zown_client_pending (self))
        return zown_fail (ZOWN_BUSY);
    if (s_before_call (self) || s_send (self, request))
        return -1;
    if (s_recv (self, timeout, false)) {
        zown_client_abandon (self);
        return -1;
    }
    if (zown_reply_status (&self->reply) == ZOWN_NO_SESSION) {
        //  The owner lost our session (it restarted): the request was not
        //  applied. Say HELLO again, then send it once more.
        self->said_hello = false;
        if (s_send (self, request))
            return -1;
        if (s_recv (self, timeout, false)) {
            zown_client_abandon (self);
            return -1;
        }
    }
    if (reply_p)
        *reply_p = &self->reply;
    int status = zown_reply_status (&self->reply);
    if (status != ZOWN_OK)
        s_keep_message (self, status);
    return status == ZOWN_OK ? zown_ok () : zown_fail (status);
}

int
zown_client_call (zown_client_t *self, zown_request_t *request, zown_reply_t **reply_p)
{
    return s_call (self, request, self ? self->timeout : 0, reply_p);
}

int
zown_client_send (zown_client_t *self, zown_request_t *request, uint64_t *id_p)
{
    if (!self)
        return zown_fail (ZOWN_INVALID);
    if (s_forked (self))
        return zown_fail (ZOWN_FORKED);
    if (zown_client_pending (self) >= self->window)
        return zown_fail (ZOWN_BUSY);
    if (s_before_call (self))
        return -1;
    uint64_t id = self->next_id;
    if (s_send (self, request))
        return -1;
    if (id_p)
        *id_p = id;
    return zown_ok ();
}

//  zown_client_recv with its own deadline (0: only a reply there now).
static int
s_recv_reply (zown_client_t *self, int timeout, zown_reply_t **reply_p)
{
    if (reply_p)
        *reply_p = NULL;
    if (!self)
        return zown_fail (ZOWN_INVALID);
    if (s_forked (self))
        return zown_fail (ZOWN_FORKED);
    if (!zown_client_pending (self))
        return zown_fail (ZOWN_INVALID);
    if (s_recv (self, timeout, false))
        return -1;
    //  The next request says HELLO first; this one was not applied.
    if (zown_reply_status (&self->reply) == ZOWN_NO_SESSION)
        self->said_hello = false;
    if (reply_p)
        *reply_p = &self->reply;
    return zown_ok ();
}

int
zown_client_recv (zown_client_t *self, zown_reply_t **reply_p)
{
    return s_recv_reply (self, self ? self->timeout : 0, reply_p);
}

int
zown_client_call_op (zown_client_t *self, zown_op_t op, const char *name, size_t argc,
                     const zown_datum_t *argv, zown_reply_t **reply_p)
{
    return zown_client_call_op_wait (self, op, name, argc, argv, 0, reply_p);
}

int
zown_client_call_op_wait (zown_client_t *self, zown_op_t op, const char *name, size_t argc,
                          const zown_datum_t *argv, int64_t wait_ms, zown_reply_t **reply_p)
{
    if (!self)
        return zown_fail (ZOWN_INVALID);
    zown_request_reset (self->request);
    if (zown_request_add (self->request, op, name, argc, argv))
        return -1;
    //  The owner may hold the request for wait_ms: the reply's deadline
    //  starts after that.
    int timeout = self->timeout;
    if (wait_ms < 0)
        timeout = ZOWN_FOREVER;
    else if (timeout >= 0)
        timeout = wait_ms > INT32_MAX - timeout ? INT32_MAX : timeout + (int) wait_ms;
    return s_call (self, self->request, timeout, reply_p);
}

int
zown_client_ping (zown_client_t *self)
{
    return zown_client_call_op (self, ZOWN_OP_PING, NULL, 0, NULL, NULL);
}

const char *
zown_client_message (zown_client_t *self)
{
    return self->message;
}

//  --------------------------------------------------------------------------
//  In an application's event loop

int
zown_client_fd (zown_client_t *self)
{
    if (!self)
        return zown_fail (ZOWN_INVALID);
    if (s_forked (self))
        return zown_fail (ZOWN_FORKED);
    int fd;
    size_t size = sizeof (fd);
    if (zmq_getsockopt (self->socket, ZMQ_FD, &fd, &size))
        return zown_fail (ZOWN_SYSTEM);
    zown_ok ();
    return fd;
}

int
zown_client_step (zown_client_t *self, zown_reply_t **reply_p)
{
    if (self && !s_forked (self) && !zown_client_pending (self)) {
        if (reply_p)
            *reply_p = NULL;
        return zown_ok ();
    }
    //  A deadline of 0: one look, no wait (TIMEOUT: nothing there now).
    if (s_recv_reply (self, 0, reply_p) == 0)
        return 1;
    return zown_errno () == ZOWN_TIMEOUT ? zown_ok () : -1;
}

//  --------------------------------------------------------------------------
//  Buffered updates

//  An update that can wait in the buffer: it may write, applies to an
//  object, may share its request (not A), and never waits (every timeout
//  argument 0). Its caller wants no values back (zown_client_buffer_op).
static bool
s_bufferable (zown_op_t op, size_t argc, const zown_datum_t *argv)
{
    const zown_command_t *command = &zown_commands [op];
    uint16_t flags = command->flags;
    if (!command->handler
        || (flags & (ZOWN_CMD_WRITE | ZOWN_CMD_OWNER | ZOWN_CMD_ALONE | ZOWN_CMD_JOURNAL))
            != ZOWN_CMD_WRITE)
        return false;
    for (size_t index = 0; index < argc; index++) {
        size_t position = index < ZOWN_ARG_POSITIONS ? index : ZOWN_ARG_POSITIONS - 1;
        if ((command->arg_types [position] & ZOWN_ARG_TIMEOUT)
            && (argv [index].tag != ZOWN_INT || argv [index].u.i != 0))
            return false;
    }
    return true;
}

int
zown_client_buffer_op (zown_client_t *self, zown_op_t op, const char *name, size_t argc,
                       const zown_datum_t *argv)
{
    if (!self || !self->buffer || !s_bufferable (op, argc, argv))
        return 0;
    if (s_forked (self))
        return zown_fail (ZOWN_FORKED);
    if (zown_client_pending (self))
        return zown_fail (ZOWN_BUSY);
    if (self->failed.count)
        return s_report (self);
    size_t count = zown_request_ops (self->buffer);
    if (count >= self->buffer_max && s_send_buffer (self))
        return -1;
    count = zown_request_ops (self->buffer);
    if (zown_request_add (self->buffer, op, name, argc, argv))
        return -1;
    self->buffer_ops [count] = (uint8_t) op;
    self->updates++;
    int64_t now = zown_now_ms ();
    if (count == 0)
        self->buffered_at = now;
    //  A failure to send is counted with the updates, for a later report.
    if (count + 1 >= self->buffer_max || zown_request_size (self->buffer) >= S_BUFFER_BYTES
        || now - self->buffered_at >= self->linger)
        s_send_buffer (self);
    zown_ok ();
    return 1;
}

int
zown_client_tick (zown_client_t *self)
{
    if (s_forked (self))
        return zown_fail (ZOWN_FORKED);
    if (self->failed.count)
        return s_report (self);
    if (self->buffer && zown_request_ops (self->buffer) && !zown_client_pending (self)
        && zown_now_ms () - self->buffered_at >= self->linger)
        s_send_buffer (self);
    return zown_ok ();
}

int
zown_client_set_buffered (zown_client_t *self, int max_ops, int linger_ms)
{
    if (!self || max_ops < 0 || max_ops > ZOWN_BATCH_MAX || linger_ms < 0)
        return zown_fail (ZOWN_INVALID);
    if (s_forked (self))
        return zown_fail (ZOWN_FORKED);
    if (max_ops == 0) {
        int rc = zown_client_flush (self);
        if (rc && zown_errno () == ZOWN_BUSY)
            return -1;
        zown_request_destroy (&self->buffer);
        return rc;
    }
    if (!self->buffer) {
        if (!(self->buffer = zown_request_new ()))
            return -1;
        zown_request_set_kind (self->buffer, ZOWN_KIND_INDEPENDENT);
    }
    self->buffer_max = (size_t) max_ops;
    self->linger = linger_ms;
    return zown_ok ();
}

int
zown_client_flush (zown_client_t *self)
{
    if (!self)
        return zown_fail (ZOWN_INVALID);
    if (s_forked (self))
        return zown_fail (ZOWN_FORKED);
    if (zown_client_pending (self))
        return zown_fail (ZOWN_BUSY);
    s_send_buffer (self);
    while (self->flight_count)
        if (s_recv (self, self->timeout, true))
            s_flights_abandon (self, zown_errno ());
    return self->failed.count ? s_report (self) : zown_ok ();
}

size_t
zown_client_failures (zown_client_t *self, uint64_t *update_p, zown_op_t *op_p, int *status_p,
                      const char **message_p)
{
    const s_failures_t *reported = &self->reported;
    if (update_p)
        *update_p = reported->count ? reported->update : 0;
    if (op_p)
        *op_p = reported->count ? reported->op : (zown_op_t) 0;
    if (status_p)
        *status_p = reported->count ? reported->status : ZOWN_OK;
    if (message_p)
        *message_p = reported->count ? reported->message : "";
    return reported->count;
}

void
zown_client_frame (zown_client_t *self, const void **data_p, size_t *size_p)
{
    *data_p = zmq_msg_data (&self->frame);
    *size_p = zmq_msg_size (&self->frame);
}
