/*  =========================================================================
    zown_spawner - a fork server: worker processes from a clean fork point

    zown_spawner_new forks a small server process at once, while the calling
    process still runs a single thread and has no ZeroMQ context. Every
    worker is later forked by that server, never by the application: a
    worker inherits no ZeroMQ context, no socket, no CZMQ state and no lock
    held by another thread, however many threads and owners the application
    has started since (docs/FORK.md). The server reports each child's exit
    (pid and wait status) to the handle that spawned it.

    The server and its children are tied to their parent: when the
    application process dies, the server is killed, and so is every child.

    A handle is used by one thread. zown_spawner_attach gives another thread
    (a pool's own thread, say) a handle of its own on the same server.
    =========================================================================
*/
#ifndef ZOWN_SPAWNER_H_INCLUDED
#define ZOWN_SPAWNER_H_INCLUDED

#include "zown_export.h"

#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _zown_spawner_t zown_spawner_t;

//  What a spawned process runs; its return value is the process's exit
//  status (0..255). `args` is the pointer given to zown_spawner_spawn: in
//  the child it is only valid if it points to memory that existed when the
//  spawner was created (inherited through fork, like a global). `payload`
//  is a private copy of the bytes given to zown_spawner_spawn. The child
//  ends with _exit(), so atexit handlers inherited from the application
//  never run in it.
typedef int (zown_spawn_fn) (void *args, const void *payload, size_t size);

//  Largest payload of zown_spawner_spawn, in bytes.
#define ZOWN_SPAWN_PAYLOAD_MAX 65536
//  Longest wait in zown_spawner_destroy for the server to exit, in ms.
#define ZOWN_SPAWNER_STOP_TIMEOUT 5000

//  Start a fork server. Returns NULL with ZOWN_THREADED when the calling
//  process already runs more than one thread (call it first thing in main,
//  or before the first owner, client or pool), or with ZOWN_SYSTEM.
ZOWN_EXPORT zown_spawner_t *zown_spawner_new (void);

//  A new handle on the same server, for another thread: it spawns, kills
//  and hears the exits of its own children only. NULL with ZOWN_UNREACHABLE
//  (server gone), ZOWN_FORKED or ZOWN_SYSTEM.
ZOWN_EXPORT zown_spawner_t *zown_spawner_attach (zown_spawner_t *self);

//  Close the handle; accepts NULL and nulls the pointer. Children of this
//  handle that are still running are killed (SIGKILL). Destroying the
//  handle from zown_spawner_new stops the server and every child of every
//  handle, and waits at most ZOWN_SPAWNER_STOP_TIMEOUT for the server.
ZOWN_EXPORT void zown_spawner_destroy (zown_spawner_t **self_p);

//  Start a process running fn (args, copy of payload, size). Returns its
//  pid, or -1 with ZOWN_INVALID (payload too large), ZOWN_UNREACHABLE
//  (server gone), ZOWN_FORKED or ZOWN_SYSTEM (fork failed in the server;
//  errno kept).
ZOWN_EXPORT pid_t zown_spawner_spawn (zown_spawner_t *self, zown_spawn_fn *fn, void *args,
                                      const void *payload, size_t size);

//  Send signal `signo` to a running child of this handle. A child that has
//  already exited is not signalled (its pid may belong to another process
//  by now): the request is then ignored. Returns 0, or -1 with
//  ZOWN_INVALID (not a child of this handle), ZOWN_UNREACHABLE, ZOWN_FORKED.
ZOWN_EXPORT int zown_spawner_kill (zown_spawner_t *self, pid_t pid, int signo);

//  Wait up to timeout_ms (0: do not wait; ZOWN_FOREVER) for the next exit
//  of a child of this handle. Sets *pid_p and *status_p (a wait status for
//  WIFEXITED and friends). Returns 0, or -1 with ZOWN_TIMEOUT,
//  ZOWN_INVALID (no child running and no exit left to report),
//  ZOWN_UNREACHABLE, ZOWN_FORKED.
ZOWN_EXPORT int zown_spawner_wait (zown_spawner_t *self, int timeout_ms, pid_t *pid_p,
                                   int *status_p);

//  A descriptor that becomes readable when an exit report arrives, for
//  poll() or zmq_poll(). Reports may also be queued while a spawn waits
//  for its pid: after a spawn, and whenever the descriptor is readable,
//  call zown_spawner_wait with timeout 0 until it fails.
ZOWN_EXPORT int zown_spawner_fd (zown_spawner_t *self);

//  Children of this handle that are running or whose exit is not yet
//  collected with zown_spawner_wait.
ZOWN_EXPORT size_t zown_spawner_children (zown_spawner_t *self);

//  Write a one-line description of a wait status into buffer ("exit 3",
//  "signal 9 (Killed)"), truncated to size; returns buffer.
ZOWN_EXPORT char *zown_spawner_describe (int status, char *buffer, size_t size);

#ifdef __cplusplus
}
#endif

#endif
