/*  =========================================================================
    session - the owner's clients: who they are, what they hold, what they
    wait for, and how their end is seen (owner/session.c)
    =========================================================================
*/
#ifndef ZOWN_SESSION_H_INCLUDED
#define ZOWN_SESSION_H_INCLUDED

//  A client known by its identity: the process it runs in, what it holds,
//  what it waits for. Ending it releases both.
struct _zown_session_t {
    uint8_t identity [256];  //  ROUTER identity of its connection
    size_t identity_size;
    int pid;           //  Its process (0 if it never said HELLO)
    int pidfd;         //  Readable when that process has died; -1 if none
    zlistx_t *held;    //  Objects it holds (locks, leases), in taking order
    zlistx_t *parked;  //  Its parked requests
    //  Its connection's descriptor (ipc, tcp; -1 for inproc) and the
    //  socket's identity: the session ends when that connection closes.
    int fd;
    dev_t fd_dev;
    ino_t fd_ino;
};

//  The session table of a registry.
zown_sessions_t *zown_sessions_new (void);
void zown_sessions_destroy (zown_sessions_t **self_p);

zown_session_t *zown_session_find (zown_registry_t *self, const void *identity, size_t size);
//  The session of a peer, made on first use (with its connection, if tcp).
zown_session_t *zown_session_ensure (zown_registry_t *self, const zown_peer_t *peer);
//  A connection closed (the owner's socket monitor): end, as died, the
//  sessions of the connection that had descriptor fd. Returns how many.
size_t zown_session_disconnected (zown_registry_t *self, int fd);
//  Look again at connections reported closed while their descriptor was
//  still open, ending those now closed; returns how many sessions ended.
//  zown_session_rechecks says whether any is left to look at (the owner's
//  loop then wakes every few ms).
size_t zown_session_recheck (zown_registry_t *self);
bool zown_session_rechecks (zown_registry_t *self);
//  HELLO: the session's process (pid > 0), watched through a pidfd when it
//  runs on this host (`local`) and is not the owner's own process. Set
//  once: the same pid again changes nothing, another is ZOWN_BAD_ARGS.
//  Returns a status: ZOWN_NO_SESSION if that process is already gone.
int zown_session_hello (zown_registry_t *self, zown_session_t *session, int pid, bool local);
//  End a session: release what it holds (committing what that changed in
//  durable objects), drop what it waits for, forget it.
void zown_session_end (zown_registry_t *self, zown_session_t *session, bool died);
//  Sessions whose process is watched, and how many; for the owner's poll.
size_t zown_session_watched (zown_registry_t *self, zown_session_t ***sessions_p);
//  Changes whenever the set of watched sessions changes.
uint64_t zown_session_watch_generation (zown_registry_t *self);

//  The caller's session, made on first use, in *session_p. Returns
//  ZOWN_OK, or fails the call (zown_call_error) and returns the status:
//  BAD_ARGS for a request with no peer, NO_SESSION for a zown client whose
//  session ended (it must say HELLO again) or whose process is known to
//  have died, NO_MEMORY.
int zown_call_session (zown_call_t *call, zown_session_t **session_p);
//  True if the session's process has died, even if its session has not
//  ended yet: a parked request of such a session is not retried.
bool zown_session_gone (zown_session_t *session);
//  Record that the caller's session now holds / no longer holds the object;
//  hold returns a handle for unhold, or NULL if out of memory.
void *zown_call_hold (zown_call_t *call, zown_session_t *session);
void zown_session_unhold (zown_session_t *session, void *handle);

#endif
