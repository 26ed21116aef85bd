/*  =========================================================================
    process - per-process ZeroMQ context and the ipc run directory

    zown sockets live in a context of zown's own, not CZMQ's global one:
    after fork() a child finds the parent's context in its memory, unusable
    (its I/O threads did not survive the fork). zown_ctx() notices the new
    pid and makes a fresh context, abandoning the inherited one without
    touching it (docs/FORK.md).

    ipc endpoints: a second bind on a live socket's path would silently take
    it over (libzmq replaces the socket file), so zown_ipc_bind takes a lock
    file beside the path, probes the path with a plain connect(), refuses if
    something answers, and replaces a stale file left by a dead process. The
    lock makes probe-then-bind atomic between processes.
    =========================================================================
*/
#include "zown_internal.h"
#include <fcntl.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

static pthread_mutex_t s_ctx_mutex = PTHREAD_MUTEX_INITIALIZER;
static void *s_ctx;
static pid_t s_ctx_pid;
//  Bumped in every child after fork(): comparing it is cheaper than
//  calling getpid(), a system call, on every client call.
static volatile unsigned s_generation;
static pthread_once_t s_atfork_once = PTHREAD_ONCE_INIT;

//  The context mutex is held across fork(), so that a child never inherits
//  it locked by a thread that does not exist in the child.
static void
s_before_fork (void)
{
    pthread_mutex_lock (&s_ctx_mutex);
}

static void
s_after_fork_parent (void)
{
    pthread_mutex_unlock (&s_ctx_mutex);
}

static void
s_after_fork_child (void)
{
    s_generation++;
    pthread_mutex_unlock (&s_ctx_mutex);
}

static void
s_atfork_init (void)
{
    pthread_atfork (s_before_fork, s_after_fork_parent, s_after_fork_child);
}

unsigned
zown_fork_generation (void)
{
    pthread_once (&s_atfork_once, s_atfork_init);
    return s_generation;
}

void *
zown_ctx (void)
{
    pthread_once (&s_atfork_once, s_atfork_init);
    pthread_mutex_lock (&s_ctx_mutex);
    pid_t pid = getpid ();
    if (!s_ctx || s_ctx_pid != pid) {
        s_ctx = zmq_ctx_new ();
        s_ctx_pid = pid;
    }
    void *ctx = s_ctx;
    pthread_mutex_unlock (&s_ctx_mutex);
    return ctx ? ctx : zown_fail_null (ZOWN_SYSTEM);
}

int64_t
zown_now_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t) now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

int64_t
zown_deadline_ms (int timeout_ms)
{
    return timeout_ms < 0 ? -1 : zown_now_ms () + timeout_ms;
}

int
zown_left_ms (int64_t deadline)
{
    if (deadline < 0)
        return ZOWN_FOREVER;
    int64_t left = deadline - zown_now_ms ();
    return left < 0 ? 0 : left > INT32_MAX ? INT32_MAX : (int) left;
}

int
zown_set_int (void *socket, int option, int value)
{
    return zmq_setsockopt (socket, option, &value, sizeof (value));
}

void *
zown_monitor_new (void *socket, int events)
{
    static atomic_uint_fast64_t monitors;
    char endpoint [64];
    snprintf (endpoint, sizeof (endpoint), "inproc://zown-monitor-%" PRIuFAST64,
              atomic_fetch_add (&monitors, 1));
    void *monitor = NULL;
    if (zmq_socket_monitor (socket, endpoint, events) == 0) {
        monitor = zmq_socket (zown_ctx (), ZMQ_PAIR);
        if (monitor
            && (zown_set_int (monitor, ZMQ_LINGER, 0) || zown_set_int (monitor, ZMQ_RCVHWM, 0)
                || zmq_connect (monitor, endpoint))) {
            zmq_close (monitor);
            monitor = NULL;
        }
        if (!monitor)
            zmq_socket_monitor (socket, NULL, 0);
    }
    return monitor ? monitor : zown_fail_null (ZOWN_SYSTEM);
}

void
zown_monitor_stop (void *socket, void **monitor_p)
{
    if (!*monitor_p)
        return;
    zmq_socket_monitor (socket, NULL, 0);
    zmq_close (*monitor_p);
    *monitor_p = NULL;
}

//  Read once per process: it cannot change while the host runs, and the
//  owner checks it at every HELLO.
static char s_boot_id [ZOWN_BOOT_ID_SIZE];
static size_t s_boot_id_size;
static pthread_once_t s_boot_id_once = PTHREAD_ONCE_INIT;

static void
s_boot_id_read (void)
{
    FILE *file = fopen ("/proc/sys/kernel/random/boot_id", "r");
    if (!file)
        return;
    size_t size = fread (s_boot_id, 1, ZOWN_BOOT_ID_SIZE, file);
    fclose (file);
    s_boot_id_size = size == ZOWN_BOOT_ID_SIZE ? size : 0;
}

size_t
zown_boot_id (char *id)
{
    pthread_once (&s_boot_id_once, s_boot_id_read);
    memcpy (id, s_boot_id, s_boot_id_size);
    return s_boot_id_size;
}

bool
zown_name_valid (const char *name)
{
    if (!name || !*name || *name == '.' || strlen (name) > ZOWN_NAME_MAX)
        return false;
    for (const char *at = name; *at; at++)
        if (!(isalnum ((unsigned char) *at) || *at == '.' || *at == '_' || *at == '-'))
            return false;
    return true;
}

//  mkdir -m 0700, accepting an existing directory only if it is ours, is a
//  real directory (not a symlink) and nobody else can enter it.
static int
s_private_dir (const char *path)
{
    if (mkdir (path, 0700) && errno != EEXIST)
        return -1;
    struct stat info;
    if (lstat (path, &info) || !S_ISDIR (info.st_mode) || info.st_uid != geteuid ()
        || (info.st_mode & 077)) {
        errno = EACCES;
        return -1;
    }
    return 0;
}

char *
zown_rundir (void)
{
    const char *explicit_dir = getenv ("ZOWN_RUNDIR");
    const char *xdg = getenv ("XDG_RUNTIME_DIR");
    char *path;
    if (explicit_dir && *explicit_dir)
        path = strdup (explicit_dir);
    else if (xdg && *xdg)
        path = zsys_sprintf ("%s/zown", xdg);
    else
        path = zsys_sprintf ("/tmp/zown-%u", (unsigned) geteuid ());
    if (!path)
        return (char *) zown_fail_null (ZOWN_NO_MEMORY);
    if (s_private_dir (path)) {
        free (path);
        return (char *) zown_fail_null (ZOWN_SYSTEM);
    }
    return path;
}

//  "ipc://RUNDIR/NAME" + suffix, for an owner's endpoints.
static char *
s_rundir_endpoint (const char *name, const char *suffix)
{
    if (!zown_name_valid (name))
        return (char *) zown_fail_null (ZOWN_INVALID);
    char *dir = zown_rundir ();
    if (!dir)
        return NULL;
    char *endpoint = zsys_sprintf ("ipc://%s/%s%s", dir, name, suffix);
    free (dir);
    return endpoint ? endpoint : (char *) zown_fail_null (ZOWN_NO_MEMORY);
}

char *
zown_owner_endpoint_for (const char *name)
{
    return s_rundir_endpoint (name, ".sock");
}

char *
zown_owner_feed_endpoint_for (const char *name)
{
    //  Owner sockets end in ".sock": no owner name gives this path.
    return s_rundir_endpoint (name, ".feed");
}

//  0 if nothing listens at path (a stale file is removed), else a status.
static int
s_probe_ipc (const char *path)
{
    struct sockaddr_un address = { .sun_family = AF_UNIX };
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

//  Runs fn (socket, path) while holding the lock file beside path.
static int
s_with_ipc_lock (void *socket, const char *path, int (*fn) (void *socket, const char *path))
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
    int status = fn (socket, path);
    close (fd);
    return status;
}

static int
s_bind_locked (void *socket, const char *path)
{
    int status = s_probe_ipc (path);
    if (status != ZOWN_OK)
        return status;
    char *endpoint = zsys_sprintf ("ipc://%s", path);
    if (!endpoint)
        return ZOWN_NO_MEMORY;
    status = ZOWN_OK;
    if (zmq_bind (socket, endpoint))
        status = errno == EADDRINUSE ? ZOWN_ADDR_IN_USE : ZOWN_SYSTEM;
    //  The run directory is already 0700; this keeps the file private even
    //  when an explicit endpoint points elsewhere.
    else if (chmod (path, 0600)) {
        zmq_unbind (socket, endpoint);
        unlink (path);
        status = ZOWN_SYSTEM;
    }
    free (endpoint);
    return status;
}

static int
s_unlink_locked (void *socket, const char *path)
{
    (void) socket;
    unlink (path);
    return ZOWN_OK;
}

int
zown_ipc_bind (void *socket, const char *path)
{
    return s_with_ipc_lock (socket, path, s_bind_locked);
}

void
zown_ipc_unlink (const char *path)
{
    s_with_ipc_lock (NULL, path, s_unlink_locked);
}
