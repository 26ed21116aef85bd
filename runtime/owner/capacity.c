/*  =========================================================================
    capacity - how many clients the owner's descriptors allow
    =========================================================================
*/
#include "zown_internal.h"
#include "owner/capacity.h"
#include <dirent.h>
#include <sys/resource.h>
#include <sys/stat.h>

//  Descriptors open in this process now (every thread's, libzmq's too).
static size_t
s_open_descriptors (void)
{
    DIR *dir = opendir ("/proc/self/fd");
    if (!dir)
        return SIZE_MAX;  //  Unknown: counted as full
    size_t count = 0;
    while (readdir (dir))
        count++;
    closedir (dir);
    return count > 3 ? count - 3 : 0;  //  ".", ".." and the dir's own
}

void
zown_capacity_init (zown_capacity_t *self)
{
    memset (self, 0, sizeof (*self));
    struct rlimit limit;
    if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit (RLIMIT_NOFILE, &limit);
    }
    self->limit = getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY
        ? (size_t) limit.rlim_cur
        : SIZE_MAX / 2;
    //  A burst of connections is accepted by libzmq's I/O thread before
    //  the owner hears of them: the reserve covers a listen backlog and
    //  more. A limit too small for it holds no client at all.
    self->reserve = self->limit / 8 > 128 ? self->limit / 8 : 128;
    if (self->reserve > self->limit / 2)
        self->reserve = self->limit / 2;
}

//  Whether `room` descriptors or more are in use. Counted only once
//  connections alone could come close: the count reads /proc.
static bool
s_at_least (const zown_capacity_t *self, size_t room)
{
    return 2 * self->connections + 64 >= room / 2 && s_open_descriptors () >= room;
}

bool
zown_capacity_accepted (zown_capacity_t *self)
{
    self->connections++;
    if (self->paused || !s_at_least (self, self->limit - self->reserve))
        return false;
    self->paused = true;
    return true;
}

//  Resumes half a reserve below where it paused: a client or two coming
//  and going at the limit does not toggle it.
bool
zown_capacity_closed (zown_capacity_t *self)
{
    if (self->connections)
        self->connections--;
    if (!self->paused || s_at_least (self, self->limit - self->reserve - self->reserve / 2))
        return false;
    self->paused = false;
    self->refused_count = 0;
    return true;
}

size_t
zown_capacity_clients (const zown_capacity_t *self)
{
    return self->limit > self->reserve ? (self->limit - self->reserve) / 2 : 0;
}

//  The inode of the socket open as fd, 0 if none.
static ino_t
s_inode (int fd)
{
    struct stat info;
    return fd >= 0 && fstat (fd, &info) == 0 ? info.st_ino : 0;
}

int
zown_capacity_refuse (zown_capacity_t *self, int fd)
{
    ino_t inode = s_inode (fd);
    if (!inode)
        return -1;
    size_t index = 0;
    while (index < self->refused_count && self->refused [index].fd != fd)
        index++;
    if (index == self->refused_count
        && zown_grow ((void **) &self->refused, &self->refused_capacity, index + 1,
                      sizeof (zown_refused_t)))
        return -1;
    self->refused [index] = (zown_refused_t){ fd, inode };
    if (index == self->refused_count)
        self->refused_count++;
    return 0;
}

bool
zown_capacity_refused (const zown_capacity_t *self, int fd)
{
    for (size_t index = 0; index < self->refused_count; index++)
        if (self->refused [index].fd == fd)
            return self->refused [index].inode == s_inode (fd);
    return false;
}

void
zown_capacity_release (zown_capacity_t *self)
{
    free (self->refused);
    self->refused = NULL;
    self->refused_count = self->refused_capacity = 0;
}
