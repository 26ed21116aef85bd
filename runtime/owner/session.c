/*  =========================================================================
    session - clients known by their connection, and how their end is seen

    A client says HELLO with its pid before its first request. For a client
    in another process the owner opens a pidfd, which becomes readable the
    moment that process has died (even by SIGKILL): the owner polls it next
    to its sockets, so a dead holder is seen at once and a slow one is never
    mistaken for dead. Threads of the owner's own process cannot die alone;
    every client says BYE when it is destroyed. Ending a session releases
    what it held (each type's release hook), commits what that changed in
    durable objects, and drops what it waited for.
    =========================================================================
*/
#include "zown_internal.h"
#include "owner/core.h"
#include <poll.h>
#include <sys/pidfd.h>
#include <sys/stat.h>

//  How long a closed connection's descriptor is looked at again: libzmq
//  reports the close just before it closes the descriptor.
#define S_RECHECK_MS 1000

struct _zown_sessions_t {
    zhashx_t *table;           //  Identity (hex) -> zown_session_t
    zown_session_t **watched;  //  Sessions with a pidfd, for the owner's poll
    size_t watched_capacity;
    uint64_t generation;  //  Bumped when that set changes
    //  Descriptors reported closed while still open: to look at again
    int rechecks [64];
    int64_t recheck_until [64];
    size_t recheck_count;
};

//  Session table key: the identity in hex (identities are short).
static void
s_key (const void *identity, size_t size, char *key)
{
    static const char digits [] = "0123456789abcdef";
    const uint8_t *bytes = (const uint8_t *) identity;
    for (size_t index = 0; index < size; index++) {
        key [2 * index] = digits [bytes [index] >> 4];
        key [2 * index + 1] = digits [bytes [index] & 15];
    }
    key [2 * size] = 0;
}

static void
s_session_free (void **item)
{
    zown_session_t *session = (zown_session_t *) *item;
    if (session) {
        if (session->pidfd >= 0)
            close (session->pidfd);
        zlistx_destroy (&session->held);
        zlistx_destroy (&session->parked);
        free (session);
        *item = NULL;
    }
}

zown_sessions_t *
zown_sessions_new (void)
{
    zown_sessions_t *self = (zown_sessions_t *) calloc (1, sizeof (zown_sessions_t));
    if (self && !(self->table = zhashx_new ()))
        zown_sessions_destroy (&self);
    if (self)
        zhashx_set_destructor (self->table, s_session_free);
    return self;
}

void
zown_sessions_destroy (zown_sessions_t **self_p)
{
    if (self_p && *self_p) {
        zown_sessions_t *self = *self_p;
        zhashx_destroy (&self->table);
        free (self->watched);
        free (self);
        *self_p = NULL;
    }
}

zown_session_t *
zown_session_find (zown_registry_t *self, const void *identity, size_t size)
{
    char key [2 * 255 + 1];
    if (size > 255)
        return NULL;
    s_key (identity, size, key);
    return (zown_session_t *) zhashx_lookup (zown_registry_sessions (self)->table, key);
}

//  A session over ipc or tcp remembers its connection. The owner hears of
//  a closed connection by its descriptor only, and a later connection may
//  get the same number: the socket's inode, unique while it is open, tells
//  them apart.
static void
s_note_connection (zown_session_t *session, int fd)
{
    struct stat info;
    session->fd = fd >= 0 && fstat (fd, &info) == 0 && S_ISSOCK (info.st_mode) ? fd : -1;
    if (session->fd >= 0) {
        session->fd_dev = info.st_dev;
        session->fd_ino = info.st_ino;
    }
}

//  True if fd is no longer the session's connection.
static bool
s_connection_gone (const zown_session_t *session)
{
    struct stat info;
    return fstat (session->fd, &info) || info.st_dev != session->fd_dev
        || info.st_ino != session->fd_ino;
}

//  True if the session's process is known to have died (its pidfd is
//  readable), even if the owner's loop has not ended the session yet.
static bool
s_process_gone (const zown_session_t *session)
{
    struct pollfd item = { session->pidfd, POLLIN, 0 };
    return session->pidfd >= 0 && poll (&item, 1, 0) > 0;
}

//  Ends, as died, the sessions of descriptor fd whose connection is gone;
//  *open_p is set if one still has its connection open.
static size_t
s_end_gone (zown_registry_t *self, int fd, bool *open_p)
{
    size_t ended = 0;
    zhashx_t *sessions = zown_registry_sessions (self)->table;
    *open_p = false;
    //  Ending a session changes the table: look again from the start.
    bool found = true;
    while (found) {
        found = false;
        for (zown_session_t *session = (zown_session_t *) zhashx_first (sessions); session;
             session = (zown_session_t *) zhashx_next (sessions))
            if (session->fd == fd && fd >= 0) {
                if (!s_connection_gone (session)) {
                    *open_p = true;
                    continue;
                }
                zown_session_end (self, session, true);
                ended++;
                found = true;
                break;
            }
    }
    return ended;
}

size_t
zown_session_disconnected (zown_registry_t *self, int fd)
{
    bool open;
    size_t ended = s_end_gone (self, fd, &open);
    zown_sessions_t *sessions = zown_registry_sessions (self);
    //  Still open: libzmq is about to close it, or it is a later
    //  connection's. Look again until it closes, for a while.
    if (open && sessions->recheck_count < 64) {
        sessions->rechecks [sessions->recheck_count] = fd;
        sessions->recheck_until [sessions->recheck_count++] = zown_now_ms () + S_RECHECK_MS;
    }
    return ended;
}

size_t
zown_session_recheck (zown_registry_t *self)
{
    zown_sessions_t *sessions = zown_registry_sessions (self);
    size_t ended = 0, index = 0;
    int64_t now = zown_now_ms ();
    while (index < sessions->recheck_count) {
        bool open;
        ended += s_end_gone (self, sessions->rechecks [index], &open);
        if (open && now < sessions->recheck_until [index])
            index++;
        else {
            sessions->recheck_count--;
            sessions->rechecks [index] = sessions->rechecks [sessions->recheck_count];
            sessions->recheck_until [index] = sessions->recheck_until [sessions->recheck_count];
        }
    }
    return ended;
}

bool
zown_session_rechecks (zown_registry_t *self)
{
    return zown_registry_sessions (self)->recheck_count > 0;
}

zown_session_t *
zown_session_ensure (zown_registry_t *self, const zown_peer_t *peer)
{
    const void *identity = peer->identity;
    size_t size = peer->identity_size;
    zown_session_t *session = zown_session_find (self, identity, size);
    if (session || size > 255)
        return session;
    session = (zown_session_t *) calloc (1, sizeof (zown_session_t));
    if (!session)
        return NULL;
    memcpy (session->identity, identity, size);
    session->identity_size = size;
    session->pidfd = -1;
    s_note_connection (session, peer->fd);
    session->held = zlistx_new ();
    session->parked = zlistx_new ();
    char key [2 * 255 + 1];
    s_key (identity, size, key);
    zhashx_t *sessions = zown_registry_sessions (self)->table;
    if (!session->held || !session->parked || zhashx_insert (sessions, key, session)) {
        s_session_free ((void **) &session);
        return NULL;
    }
    zown_registry_stats (self)->sessions++;
    return session;
}

int
zown_session_hello (zown_registry_t *self, zown_session_t *session, int pid, bool local)
{
    if (session->pid)
        return session->pid == pid ? ZOWN_OK : ZOWN_BAD_ARGS;
    session->pid = pid;
    if (local && pid != getpid ()) {
        //  A process already gone (and reaped) ends its session at once.
        //  Without a pidfd for another reason (not allowed) the session
        //  still works; it ends by BYE or with its connection.
        session->pidfd = pidfd_open (pid, 0);
        if (session->pidfd < 0 && errno == ESRCH)
            return ZOWN_NO_SESSION;
        zown_registry_sessions (self)->generation++;
    }
    return ZOWN_OK;
}

void
zown_session_end (zown_registry_t *self, zown_session_t *session, bool died)
{
    zown_object_t *object;
    while ((object = (zown_object_t *) zlistx_first (session->held))) {
        if (object->type->release)
            object->type->release (object, session, died);
        //  A release hook takes the object off the list; make sure of it.
        if (zlistx_first (session->held) == object)
            zlistx_delete (session->held, zlistx_cursor (session->held));
    }
    //  What release hooks changed in durable objects (a queue's dead
    //  letters) is committed now, like a request's changes. A session's
    //  end cannot be undone: if the journal refuses it, memory is ahead of
    //  the disk, and everything is refused until a restart.
    if (zown_changes_commit_final (self))
        zown_registry_refuse (self, true);
    zown_registry_drop_parked (self, session);
    zown_stats_t *stats = zown_registry_stats (self);
    stats->sessions--;
    stats->sessions_died += died;
    if (session->pidfd >= 0)
        zown_registry_sessions (self)->generation++;
    char key [2 * 255 + 1];
    s_key (session->identity, session->identity_size, key);
    zhashx_delete (zown_registry_sessions (self)->table, key);
}

//  Whether a peer's routing id says it is a zown client, which says HELLO
//  before anything that needs a session (docs/PROTOCOL.md 3.5).
static bool
s_says_hello (const zown_peer_t *peer)
{
    return peer->identity_size >= 2 && memcmp (peer->identity, ZOWN_CLIENT_ID_PREFIX, 2) == 0;
}

int
zown_call_session (zown_call_t *call, zown_session_t **session_p)
{
    *session_p = NULL;
    if (!call->peer)
        return zown_call_error (call, ZOWN_BAD_ARGS, "this op needs a client connection");
    zown_session_t *session =
        zown_session_find (call->registry, call->peer->identity, call->peer->identity_size);
    if (!session && s_says_hello (call->peer) && call->op != ZOWN_OP_HELLO)
        //  Its session ended (its process died, or the owner restarted):
        //  a request still on its way never opens an unwatched one.
        return zown_call_error (call, ZOWN_NO_SESSION, "no session: say HELLO first");
    if (session && !call->parked && s_process_gone (session))
        //  Dead, and not yet seen to be: nothing is granted to it.
        return zown_call_error (call, ZOWN_NO_SESSION, "the client's process has died");
    if (!session && !(session = zown_session_ensure (call->registry, call->peer)))
        return zown_call_error (call, ZOWN_NO_MEMORY, "out of memory");
    *session_p = session;
    return ZOWN_OK;
}

bool
zown_session_gone (zown_session_t *session)
{
    return s_process_gone (session);
}

void *
zown_call_hold (zown_call_t *call, zown_session_t *session)
{
    return zlistx_add_end (session->held, call->object);
}

void
zown_session_unhold (zown_session_t *session, void *handle)
{
    zlistx_delete (session->held, handle);
}

uint64_t
zown_session_watch_generation (zown_registry_t *registry)
{
    return zown_registry_sessions (registry)->generation;
}

size_t
zown_session_watched (zown_registry_t *registry, zown_session_t ***sessions_p)
{
    zown_sessions_t *self = zown_registry_sessions (registry);
    size_t count = 0;
    for (zown_session_t *session = (zown_session_t *) zhashx_first (self->table); session;
         session = (zown_session_t *) zhashx_next (self->table))
        if (session->pidfd >= 0
            && zown_grow ((void **) &self->watched, &self->watched_capacity, count + 1,
                          sizeof (zown_session_t *))
                == 0)
            self->watched [count++] = session;
    *sessions_p = self->watched;
    return count;
}

int
zown_cmd_hello (zown_call_t *call)
{
    int64_t pid = call->argv [0].u.i;
    if (pid <= 0 || pid > INT32_MAX)
        return zown_call_error (call, ZOWN_BAD_ARGS, "pid must be 1..2^31-1");
    if (call->argc > 1 && call->argv [1].u.b.len != ZOWN_BOOT_ID_SIZE)
        return zown_call_error (call, ZOWN_BAD_ARGS, "a boot id is 36 characters");
    zown_session_t *session;
    int status = zown_call_session (call, &session);
    if (status != ZOWN_OK)
        return status;
    //  A pid from another host (another boot id) is not watched.
    char boot [ZOWN_BOOT_ID_SIZE];
    bool local = call->argc < 2
        || (zown_boot_id (boot) == ZOWN_BOOT_ID_SIZE
            && memcmp (boot, call->argv [1].u.b.ptr, ZOWN_BOOT_ID_SIZE) == 0);
    status = zown_session_hello (call->registry, session, (int) pid, local);
    if (status == ZOWN_NO_SESSION) {
        //  Its process is gone: whatever it sent after this HELLO finds no
        //  session.
        zown_session_end (call->registry, session, true);
        return ZOWN_OK;
    }
    return status == ZOWN_OK
        ? ZOWN_OK
        : zown_call_error (call, status, "this session said HELLO with another pid");
}

int
zown_cmd_bye (zown_call_t *call)
{
    zown_session_t *session = call->peer
        ? zown_session_find (call->registry, call->peer->identity, call->peer->identity_size)
        : NULL;
    if (session)
        zown_session_end (call->registry, session, false);
    return ZOWN_OK;
}
