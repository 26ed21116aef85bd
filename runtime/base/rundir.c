/*  =========================================================================
    rundir - owner names, the private run directory and safe ipc binds

    ipc endpoints: a second bind on a live socket's path would silently take
    it over (libzmq replaces the socket file), so zown_ipc_bind takes a lock
    file beside the path, probes the path with a plain connect(), refuses if
    something answers, and replaces a stale file left by a dead process. The
    lock makes probe-then-bind atomic between processes.
    =========================================================================
*/
#include "zown_internal.h"
#include <fcntl.h>
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

int
zown_ipc_hold (const char *path)
{
    char *lock_path = zsys_sprintf ("%s.lock", path);
    if (!lock_path)
        return -1;
    int fd = open (lock_path, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
    free (lock_path);
    if (fd == -1)
        return -1;
    while (flock (fd, LOCK_EX) == -1 && errno == EINTR)
        ;
    return fd;
}

//  Runs fn (socket, path) while holding the lock file beside path.
static int
s_with_ipc_lock (void *socket, const char *path, int (*fn) (void *socket, const char *path))
{
    int fd = zown_ipc_hold (path);
    if (fd == -1)
        return ZOWN_SYSTEM;
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
