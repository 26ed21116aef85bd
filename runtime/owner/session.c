/*  =========================================================================
    session - clients known by their connection, and how their end is seen

    A client says HELLO with its pid before its first request. For a client
    in another process the owner opens a pidfd, which becomes readable the
    moment that process has died (even by SIGKILL): the owner polls it next
    to its sockets, so a dead holder is seen at once and a slow one is never
    mistaken for dead. Threads of the owner's own process cannot die alone;
    every client says BYE when it is destroyed. Ending a session releases
    what it held (each type's release hook) and drops what it waited for.
    =========================================================================
*/
#include "zown_internal.h"
#include <sys/pidfd.h>

struct _zown_sessions_t {
    zhashx_t *table;           //  Identity (hex) -> zown_session_t
    zown_session_t **watched;  //  Sessions with a pidfd, for the owner's poll
    size_t watched_capacity;
    uint64_t generation;  //  Bumped when that set changes
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

//  A tcp session remembers its connection. The owner hears of a closed
//  connection by its descriptor only, and a later connection may get the
//  same number: the peer address tells them apart.
static void
s_note_connection (zown_session_t *session, int fd)
{
    struct sockaddr_storage local;
    socklen_t size = sizeof (local);
    session->fd = -1;
    if (fd < 0 || getsockname (fd, (struct sockaddr *) &local, &size)
        || (local.ss_family != AF_INET && local.ss_family != AF_INET6))
        return;
    session->peer_size = sizeof (session->peer);
    if (getpeername (fd, (struct sockaddr *) &session->peer, &session->peer_size) == 0)
        session->fd = fd;
}

//  True if fd is no longer the session's connection.
static bool
s_connection_gone (const zown_session_t *session)
{
    struct sockaddr_storage peer;
    socklen_t size = sizeof (peer);
    return getpeername (session->fd, (struct sockaddr *) &peer, &size) || size != session->peer_size
        || memcmp (&peer, &session->peer, size) != 0;
}

size_t
zown_session_disconnected (zown_registry_t *self, int fd)
{
    size_t ended = 0;
    zhashx_t *sessions = zown_registry_sessions (self)->table;
    //  Ending a session changes the table: look again from the start.
    bool found = true;
    while (found) {
        found = false;
        for (zown_session_t *session = (zown_session_t *) zhashx_first (sessions); session;
             session = (zown_session_t *) zhashx_next (sessions))
            if (session->fd == fd && fd >= 0 && s_connection_gone (session)) {
                zown_session_end (self, session, true);
                ended++;
                found = true;
                break;
            }
    }
    return ended;
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
    if (pid <= 0)
        return ZOWN_BAD_ARGS;
    if (session->pid == pid)
        return ZOWN_OK;
    if (session->pidfd >= 0) {
        close (session->pidfd);
        session->pidfd = -1;
    }
    session->pid = pid;
    if (local && pid != getpid ()) {
        //  Without a pidfd (no such process, or not allowed) the session
        //  still works; it just ends only by BYE.
        session->pidfd = pidfd_open (pid, 0);
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

zown_session_t *
zown_call_session (zown_call_t *call)
{
    if (!call->peer)
        return NULL;
    return zown_session_ensure (call->registry, call->peer);
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
    zown_session_t *session = zown_call_session (call);
    if (!session)
        return zown_call_error (call, ZOWN_BAD_ARGS, "HELLO needs a connection");
    int64_t pid = call->argv [0].u.i;
    //  A pid from another host (another boot id) is not watched.
    char boot [ZOWN_BOOT_ID_SIZE];
    bool local = call->argc < 2
        || (call->argv [1].u.b.len == ZOWN_BOOT_ID_SIZE && zown_boot_id (boot) == ZOWN_BOOT_ID_SIZE
            && memcmp (boot, call->argv [1].u.b.ptr, ZOWN_BOOT_ID_SIZE) == 0);
    int status =
        zown_session_hello (call->registry, session, pid > INT32_MAX ? -1 : (int) pid, local);
    return status == ZOWN_OK ? ZOWN_OK : zown_call_error (call, status, "pid must be positive");
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
