/*  =========================================================================
    owner - the actor that owns every shared object

    One thread: a ROUTER socket for clients and the actor pipe for commands
    ($TERM, BIND). The hot path is receive, execute (runtime/registry.c),
    reply; it reuses its message frames and reply buffer, and logs nothing.

    ipc endpoints: a second bind on a live owner's path would silently take
    it over (libzmq replaces the socket file), so before binding the owner
    takes a lock file beside the path, probes the path with a plain
    connect(), refuses if something answers, and replaces a stale file left
    by a dead owner. The lock makes probe-then-bind atomic between owners.
    =========================================================================
*/
#include "zown_internal.h"
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <fcntl.h>

//  Replies the ROUTER may queue per client. Clients keep at most
//  ZOWN_CLIENT_WINDOW_MAX requests in flight, far below this, so the
//  ROUTER never has to refuse a reply.
#define ZOWN_OWNER_HWM 100000
//  Requests handled per poll, so the pipe ($TERM) is still checked often.
#define ZOWN_OWNER_BURST 256

struct _zown_owner_t {
    zactor_t *actor;            //  The owner thread
    char *name;                 //  Owner name
    char *inproc;               //  inproc endpoint
    char *ipc;                  //  Default ipc endpoint
};

//  What the actor is started with, and how its start went.
typedef struct {
    const char *inproc;         //  Endpoints to bind
    const char *ipc;
    int status;                 //  Set by the actor before it signals
} s_start_t;

typedef struct {
    zsock_t *pipe;              //  Actor pipe
    void *router;               //  Clients' socket (zown context)
    zown_registry_t *registry;  //  Objects and dispatch
    zown_buf_t out;             //  Reply buffer, reused
    zmq_msg_t identity;         //  Frames of the request being handled
    zmq_msg_t envelope;
    zmq_msg_t body;
    zlistx_t *ipc_paths;        //  Socket files to remove at exit
    bool terminated;            //  $TERM received
} s_self_t;

//  --------------------------------------------------------------------------
//  ipc binding

//  0 if nothing listens at path (a stale file is removed), else a status.
static int
s_probe_ipc (const char *path)
{
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    if (strlen (path) >= sizeof (address.sun_path))
        return ZOWN_INVALID;
    strcpy (address.sun_path, path);
    int probe = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (probe == -1)
        return ZOWN_SYSTEM;
    int rc = connect (probe, (struct sockaddr *) &address, sizeof (address));
    int error = errno;
    close (probe);
    if (rc == 0)
        return ZOWN_ADDR_IN_USE;
    if (error == ECONNREFUSED)
        return unlink (path) == 0 || errno == ENOENT ? ZOWN_OK : ZOWN_SYSTEM;
    return error == ENOENT ? ZOWN_OK : ZOWN_SYSTEM;
}

//  Runs fn(path) while holding the lock file beside path.
static int
s_with_ipc_lock (s_self_t *self, const char *path,
                 int (*fn) (s_self_t *self, const char *path))
{
    char *lock_path = zsys_sprintf ("%s.lock", path);
    if (!lock_path)
        return ZOWN_NO_MEMORY;
    int fd = open (lock_path, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
    free (lock_path);
    if (fd == -1)
        return ZOWN_SYSTEM;
    while (flock (fd, LOCK_EX) == -1 && errno == EINTR)
        ;
    int status = fn (self, path);
    close (fd);
    return status;
}

static int
s_bind_ipc_locked (s_self_t *self, const char *path)
{
    int status = s_probe_ipc (path);
    if (status != ZOWN_OK)
        return status;
    char *endpoint = zsys_sprintf ("ipc://%s", path);
    if (!endpoint)
        return ZOWN_NO_MEMORY;
    int rc = zmq_bind (self->router, endpoint);
    free (endpoint);
    if (rc)
        return errno == EADDRINUSE ? ZOWN_ADDR_IN_USE : ZOWN_SYSTEM;
    //  The run directory is already 0700; this keeps the file private even
    //  when an explicit endpoint points elsewhere.
    if (chmod (path, 0600) || !zlistx_add_end (self->ipc_paths, (void *) path))
        return ZOWN_SYSTEM;
    return ZOWN_OK;
}

static int
s_unlink_locked (s_self_t *self, const char *path)
{
    (void) self;
    unlink (path);
    return ZOWN_OK;
}

static int
s_bind (s_self_t *self, const char *endpoint)
{
    if (!endpoint)
        return ZOWN_INVALID;
    if (strncmp (endpoint, "ipc://", 6) == 0) {
        const char *path = endpoint + 6;
        if (!*path || *path == '@')
            return ZOWN_INVALID;
        return s_with_ipc_lock (self, path, s_bind_ipc_locked);
    }
    if (strncmp (endpoint, "inproc://", 9) != 0)
        //  tcp waits for CURVE authentication (issue: beyond one machine).
        return ZOWN_INVALID;
    if (zmq_bind (self->router, endpoint) == 0)
        return ZOWN_OK;
    return errno == EADDRINUSE ? ZOWN_ADDR_IN_USE : ZOWN_SYSTEM;
}

//  --------------------------------------------------------------------------
//  Actor state

static void
s_self_destroy (s_self_t **self_p)
{
    s_self_t *self = *self_p;
    if (!self)
        return;
    if (self->router)
        zmq_close (self->router);
    if (self->ipc_paths) {
        for (const char *path = (const char *) zlistx_first (self->ipc_paths); path;
             path = (const char *) zlistx_next (self->ipc_paths))
            s_with_ipc_lock (self, path, s_unlink_locked);
        zlistx_destroy (&self->ipc_paths);
    }
    zmq_msg_close (&self->identity);
    zmq_msg_close (&self->envelope);
    zmq_msg_close (&self->body);
    zown_registry_destroy (&self->registry);
    zown_buf_free (&self->out);
    free (self);
    *self_p = NULL;
}

static int
s_set_int (void *socket, int option, int value)
{
    return zmq_setsockopt (socket, option, &value, sizeof (value));
}

static s_self_t *
s_self_new (zsock_t *pipe, s_start_t *start)
{
    s_self_t *self = (s_self_t *) calloc (1, sizeof (s_self_t));
    if (!self) {
        start->status = ZOWN_NO_MEMORY;
        return NULL;
    }
    self->pipe = pipe;
    zmq_msg_init (&self->identity);
    zmq_msg_init (&self->envelope);
    zmq_msg_init (&self->body);
    zown_buf_init (&self->out);
    self->registry = zown_registry_new ();
    self->ipc_paths = zlistx_new ();
    void *ctx = zown_ctx ();
    if (self->ipc_paths) {
        zlistx_set_duplicator (self->ipc_paths, (zlistx_duplicator_fn *) strdup);
        zlistx_set_destructor (self->ipc_paths, (zlistx_destructor_fn *) zstr_free);
    }
    start->status = ZOWN_SYSTEM;
    if (self->registry && self->ipc_paths && ctx
    &&  (self->router = zmq_socket (ctx, ZMQ_ROUTER))
    &&  s_set_int (self->router, ZMQ_LINGER, 0) == 0
    //  A full pipe to a client becomes an error we count, never a silent
    //  drop (../shared/LESSONS.md 13).
    &&  s_set_int (self->router, ZMQ_ROUTER_MANDATORY, 1) == 0
    &&  s_set_int (self->router, ZMQ_SNDHWM, ZOWN_OWNER_HWM) == 0
    &&  s_set_int (self->router, ZMQ_RCVHWM, ZOWN_OWNER_HWM) == 0) {
        start->status = s_bind (self, start->inproc);
        if (start->status == ZOWN_OK)
            start->status = s_bind (self, start->ipc);
    }
    if (start->status != ZOWN_OK)
        s_self_destroy (&self);
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

static void
s_send_reply (s_self_t *self, bool has_envelope)
{
    if (zmq_msg_send (&self->identity, self->router, ZMQ_SNDMORE | ZMQ_DONTWAIT) == -1) {
        s_reply_dropped (self);
        return;
    }
    if (has_envelope
    &&  zmq_msg_send (&self->envelope, self->router, ZMQ_SNDMORE | ZMQ_DONTWAIT) == -1) {
        s_reply_dropped (self);
        return;
    }
    if (zmq_send (self->router, self->out.data, self->out.size, ZMQ_DONTWAIT) == -1)
        s_reply_dropped (self);
}

//  Receives and answers one request; -1 when none is waiting.
static int
s_handle_request (s_self_t *self)
{
    if (zmq_msg_recv (&self->identity, self->router, ZMQ_DONTWAIT) == -1)
        return -1;
    if (!zmq_msg_more (&self->identity))
        return 0;       //  An identity with no body: nothing to answer.
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
        //  Extra frames: swallow them and answer BAD_REQUEST.
        while (zmq_msg_more (&self->body)
           &&  zmq_msg_recv (&self->body, self->router, ZMQ_DONTWAIT) != -1)
            ;
        zown_registry_execute (self->registry, "", 0, &self->out);
    }
    else
        zown_registry_execute (self->registry, zmq_msg_data (&self->body),
                               zmq_msg_size (&self->body), &self->out);
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
//  Pipe commands

static void
s_handle_pipe (s_self_t *self)
{
    zmsg_t *request = zmsg_recv (self->pipe);
    if (!request) {
        self->terminated = true;
        return;
    }
    char *command = zmsg_popstr (request);
    if (!command || streq (command, "$TERM"))
        self->terminated = true;
    else
    if (streq (command, "BIND")) {
        char *endpoint = zmsg_popstr (request);
        zsock_send (self->pipe, "i", s_bind (self, endpoint));
        zstr_free (&endpoint);
    }
    zstr_free (&command);
    zmsg_destroy (&request);
}

static void
s_owner_actor (zsock_t *pipe, void *args)
{
    s_start_t *start = (s_start_t *) args;
    s_self_t *self = s_self_new (pipe, start);
    zsock_signal (pipe, 0);
    if (!self)
        return;
    zmq_pollitem_t items [] = {
        {zsock_resolve (pipe), 0, ZMQ_POLLIN, 0},
        {self->router, 0, ZMQ_POLLIN, 0},
    };
    while (!self->terminated) {
        if (zmq_poll (items, 2, -1) == -1) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (items [0].revents & ZMQ_POLLIN)
            s_handle_pipe (self);
        if (items [1].revents & ZMQ_POLLIN)
            for (int count = 0; count < ZOWN_OWNER_BURST; count++)
                if (s_handle_request (self))
                    break;
    }
    s_self_destroy (&self);
}

//  --------------------------------------------------------------------------
//  Facade

//  zown starts CZMQ (zactor) in this process only; a child forked after
//  that must not start an owner with the parent's CZMQ state.
static pid_t s_czmq_pid;
static pthread_mutex_t s_czmq_mutex = PTHREAD_MUTEX_INITIALIZER;

static int
s_czmq_check (void)
{
    pthread_mutex_lock (&s_czmq_mutex);
    int status = ZOWN_OK;
    if (!s_czmq_pid) {
        //  A library has no business taking over SIGINT and SIGTERM.
        zsys_handler_set (NULL);
        s_czmq_pid = getpid ();
    }
    else
    if (s_czmq_pid != getpid ())
        status = ZOWN_FORKED;
    pthread_mutex_unlock (&s_czmq_mutex);
    return status;
}

zown_owner_t *
zown_owner_new (const char *name)
{
    if (!zown_name_valid (name))
        return (zown_owner_t *) zown_fail_null (ZOWN_INVALID);
    int status = s_czmq_check ();
    if (status != ZOWN_OK)
        return (zown_owner_t *) zown_fail_null (status);
    zown_owner_t *self = (zown_owner_t *) calloc (1, sizeof (zown_owner_t));
    if (!self)
        return (zown_owner_t *) zown_fail_null (ZOWN_NO_MEMORY);
    self->name = strdup (name);
    self->inproc = zsys_sprintf ("inproc://zown-%s", name);
    self->ipc = zown_owner_endpoint_for (name);
    if (!self->name || !self->inproc || !self->ipc) {
        status = self->name && self->inproc ? zown_errno () : ZOWN_NO_MEMORY;
        zown_owner_destroy (&self);
        return (zown_owner_t *) zown_fail_null (status);
    }
    s_start_t start = {self->inproc, self->ipc, ZOWN_SYSTEM};
    self->actor = zactor_new (s_owner_actor, &start);
    if (!self->actor || start.status != ZOWN_OK) {
        status = self->actor ? start.status : ZOWN_SYSTEM;
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
    if (self->actor) {
        //  Bound the wait for the thread: a stop never hangs the caller. A
        //  thread that does not answer is left behind, and named.
        zsock_set_rcvtimeo (zactor_sock (self->actor), ZOWN_OWNER_STOP_TIMEOUT);
        int64_t started = zclock_mono ();
        zactor_destroy (&self->actor);
        if (zclock_mono () - started >= ZOWN_OWNER_STOP_TIMEOUT)
            zsys_error ("zown: owner '%s' did not stop within %d ms",
                        self->name, ZOWN_OWNER_STOP_TIMEOUT);
    }
    free (self->name);
    free (self->inproc);
    free (self->ipc);
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

int
zown_owner_bind (zown_owner_t *self, const char *endpoint)
{
    if (!self || !endpoint)
        return zown_fail (ZOWN_INVALID);
    if (zstr_sendx (self->actor, "BIND", endpoint, NULL))
        return zown_fail (ZOWN_SYSTEM);
    int status = ZOWN_SYSTEM;
    if (zsock_recv (self->actor, "i", &status))
        return zown_fail (ZOWN_SYSTEM);
    return status == ZOWN_OK ? zown_ok () : zown_fail (status);
}
