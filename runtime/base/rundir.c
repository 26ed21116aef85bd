/*  =========================================================================
    rundir - owner names, the private run directory and safe ipc binds

    ipc endpoints: a second bind on a live socket's path would silently take
    it over (libzmq replaces the socket file), so zown_ipc_bind takes a lock
    file beside the path, probes the path with a plain connect(), refuses if
    something answers, and replaces a stale file left by a dead process. The
    lock makes probe-then-bind atomic between processes.

    Nothing is left behind: the lock file goes with its socket file
    (zown_ipc_unlink), and zown_rundir_sweep removes the files of processes
    that died without cleaning up. Removing a lock file is safe only under
    its lock, and only because every taker checks, once it holds the lock,
    that the file it locked is still the one at the path (s_lock_take):
    a process that opened the file before it was removed and then waited
    for it ends up holding an unlinked file, sees so, and opens the path
    again, where it contends with everyone else for the new file. Without
    that check two processes could hold "the" lock at once, one on the old
    file and one on a new one, and both probe and bind one path.
    =========================================================================
*/
#include "zown_internal.h"
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

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

//  Lock the file at lock_path (created if missing), waiting for it or,
//  unless `wait`, giving up if another holds it. Returns the descriptor
//  that holds the lock (close it to let go), or -1. The file locked is the
//  one at the path when this returns (see the top of this file).
static int
s_lock_take (const char *lock_path, bool wait)
{
    while (true) {
        int fd = open (lock_path, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
        if (fd == -1)
            return -1;
        int rc;
        while ((rc = flock (fd, wait ? LOCK_EX : LOCK_EX | LOCK_NB)) == -1 && errno == EINTR)
            ;
        struct stat locked, linked;
        if (rc == 0 && fstat (fd, &locked) == 0 && stat (lock_path, &linked) == 0
            && locked.st_dev == linked.st_dev && locked.st_ino == linked.st_ino)
            return fd;
        close (fd);
        if (rc == -1)
            return -1;
    }
}

int
zown_ipc_hold (const char *path)
{
    char *lock_path = zsys_sprintf ("%s.lock", path);
    int fd = lock_path ? s_lock_take (lock_path, true) : -1;
    free (lock_path);
    return fd;
}

//  Runs fn (socket, path) while holding the lock file beside path.
static int
s_with_ipc_lock (void *socket, const char *path, int (*fn) (void *socket, const char *path))
{
    char *lock_path = zsys_sprintf ("%s.lock", path);
    if (!lock_path)
        return ZOWN_NO_MEMORY;
    int fd = s_lock_take (lock_path, true);
    int status = fd == -1 ? ZOWN_SYSTEM : fn (socket, path);
    if (fd != -1)
        close (fd);
    free (lock_path);
    return status;
}

//  PATH.paused: the socket file an owner at its descriptor limit moved
//  aside. Under the path's lock with nothing answering at PATH, it is the
//  file of an owner that died paused.
static void
s_unlink_aside (const char *path)
{
    char *aside = zsys_sprintf ("%s.paused", path);
    if (aside)
        unlink (aside);
    free (aside);
}

static int
s_bind_locked (void *socket, const char *path)
{
    int status = s_probe_ipc (path);
    if (status != ZOWN_OK)
        return status;
    s_unlink_aside (path);
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

//  The socket file, then its lock file, while holding that lock.
static int
s_unlink_locked (void *socket, const char *path)
{
    (void) socket;
    unlink (path);
    s_unlink_aside (path);
    char *lock_path = zsys_sprintf ("%s.lock", path);
    if (!lock_path)
        return ZOWN_NO_MEMORY;
    unlink (lock_path);
    free (lock_path);
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

//  A name's files (NAME.sock, its lock, NAME.feed, NAME.sock.paused) when nothing listens on
//  NAME.sock: taken under its lock, never waiting for it (a holder is
//  binding or removing them right now), and never while an owner answers.
static void
s_sweep_name (const char *dir, const char *name)
{
    char *sock = zsys_sprintf ("%s/%s.sock", dir, name);
    char *lock = zsys_sprintf ("%s/%s.sock.lock", dir, name);
    char *feed = zsys_sprintf ("%s/%s.feed", dir, name);
    int fd = sock && lock && feed ? s_lock_take (lock, false) : -1;
    if (fd != -1) {
        //  The owner's feed is bound after its socket and removed before
        //  it: with no live socket under the lock, the feed is stale.
        if (s_probe_ipc (sock) == ZOWN_OK) {
            s_unlink_aside (sock);
            unlink (feed);
            unlink (lock);
        }
        close (fd);
    }
    free (sock);
    free (lock);
    free (feed);
}

//  A pool's files (pool-PID-N.sock, pool-PID-N.run) once process PID is
//  gone. A live pool's pid answers kill(); a reused pid keeps them, which
//  is harmless. The socket is probed too, so that an owner that happens to
//  be named like a pool is never touched.
//  Returns false if entry is no pool's file.
static bool
s_sweep_pool (const char *dir, const char *entry)
{
    int pid = 0, length = 0;
    if (sscanf (entry, "pool-%d-%*[0-9].%*[a-z]%n", &pid, &length) < 1 || !length
        || entry [length] != '\0' || pid <= 0)
        return false;
    if (pid == getpid () || kill (pid, 0) == 0 || errno != ESRCH)
        return true;
    char *path = zsys_sprintf ("%s/%s", dir, entry);
    size_t size = path ? strlen (path) : 0;
    if (size > 4 && !strcmp (path + size - 4, ".run"))
        unlink (path);
    else if (size > 5 && !strcmp (path + size - 5, ".sock"))
        s_probe_ipc (path);  //  Removes it unless something answers
    free (path);
    return true;
}

void
zown_rundir_sweep (void)
{
    char *dir = zown_rundir ();
    DIR *listing = dir ? opendir (dir) : NULL;
    struct dirent *entry;
    while (listing && (entry = readdir (listing))) {
        char name [NAME_MAX + 1];
        snprintf (name, sizeof (name), "%s", entry->d_name);
        size_t size = strlen (name);
        if (s_sweep_pool (dir, name))
            continue;
        if (size > 10 && !strcmp (name + size - 10, ".sock.lock"))
            name [size - 10] = '\0';
        else if (size > 12 && !strcmp (name + size - 12, ".sock.paused"))
            name [size - 12] = '\0';
        else if (size > 5 && !strcmp (name + size - 5, ".sock"))
            name [size - 5] = '\0';
        else if (size > 5 && !strcmp (name + size - 5, ".feed"))
            name [size - 5] = '\0';
        else
            continue;
        s_sweep_name (dir, name);
    }
    if (listing)
        closedir (listing);
    free (dir);
}
