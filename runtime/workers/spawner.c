/*  =========================================================================
    spawner - the fork server

    The server is a child forked by zown_spawner_new while the application
    is still single-threaded. It runs no ZeroMQ and no threads: one poll()
    over a signalfd for SIGCHLD and the channels of its handles. Each
    channel is a SOCK_SEQPACKET socket pair (one datagram per message,
    native byte order: both ends are the same program). A handle asks for a
    child and gets its pid back; the server reports each child's exit on the
    channel that spawned it, and only signals children it has not reaped,
    so a kill never reaches a recycled pid.

    The server ignores the signals a terminal or a service manager sends a
    whole process group (SIGINT, SIGTERM, SIGHUP, SIGQUIT): the application
    decides what they mean, and a server killed by them would take every
    exit report with it. Its children get the application's dispositions
    back. It still dies with the application (PR_SET_PDEATHSIG).
    =========================================================================
*/
#include "zown_internal.h"
#include "workers/spawner.h"
#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>

//  Longest wait for the server to answer a spawn, in ms: it forks at once.
#define S_REPLY_TIMEOUT 5000

typedef enum {
    S_SPAWN = 'S',    //  handle -> server: fn, args, then the payload
    S_SPAWNED = 'P',  //  server -> handle: pid, or -errno if fork failed
    S_EXIT = 'X',     //  server -> handle: pid, wait status
    S_KILL = 'K',     //  handle -> server: pid, signal
    S_ATTACH = 'A'    //  handle -> server: a new channel, passed as SCM_RIGHTS
} s_type_t;

typedef struct {
    uint8_t type;       //  s_type_t
    int32_t pid;        //  SPAWNED, EXIT, KILL
    int32_t value;      //  EXIT: wait status; KILL: signal
    zown_spawn_fn *fn;  //  SPAWN
    void *args;         //  SPAWN
} s_message_t;

typedef struct {
    pid_t pid;
    int status;
} s_exit_t;

struct _zown_spawner_t {
    int fd;               //  This handle's channel to the server
    pid_t server;         //  Server pid
    int server_pidfd;     //  Handle from zown_spawner_new: to await the server; else -1
    unsigned generation;  //  Fork generation the handle belongs to
    pid_t *children;      //  Spawned, exit not yet collected
    size_t child_count;
    size_t child_capacity;
    s_exit_t *exits;  //  Exit reports read while awaiting a spawn's pid
    size_t exit_head;
    size_t exit_count;
    size_t exit_capacity;
};

//  ---------------------------------------------------------------------
//  The server

typedef struct {
    pid_t pid;
    int channel;  //  Index into the channel array; -1 once that channel closed
} s_child_t;

//  Signals sent to a whole process group, which the server ignores.
static const int s_group_signals [] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
#define S_GROUP_SIGNALS (sizeof (s_group_signals) / sizeof (s_group_signals [0]))

//  In a spawned child: the descriptor its spawn passed, or -1.
static int s_passed_fd = -1;

typedef struct {
    struct pollfd *polls;  //  [0] signalfd, [1] first handle's channel, then
    size_t poll_count;     //  one per attached handle (fd -1: closed)
    size_t poll_capacity;
    s_child_t *children;
    size_t child_count;
    size_t child_capacity;
    sigset_t child_mask;                               //  Signal mask to restore in each child
    struct sigaction child_actions [S_GROUP_SIGNALS];  //  And these dispositions
    uint8_t *buffer;                                   //  One message, payload included
} s_server_t;

static int
s_send (int fd, const s_message_t *message)
{
    return send (fd, message, sizeof (*message), MSG_NOSIGNAL) == (ssize_t) sizeof (*message) ? 0
                                                                                              : -1;
}

static void *
s_grow (void *array, size_t *capacity, size_t used, size_t item_size)
{
    if (used < *capacity)
        return array;
    size_t wanted = *capacity ? *capacity * 2 : 8;
    void *grown = realloc (array, wanted * item_size);
    if (grown)
        *capacity = wanted;
    return grown;
}

static void __attribute__ ((noreturn))
s_child_run (s_server_t *server, pid_t server_pid, zown_spawn_fn *fn, void *args, size_t size)
{
    for (size_t index = 0; index < server->poll_count; index++)
        if (server->polls [index].fd >= 0)
            close (server->polls [index].fd);
    for (size_t index = 0; index < S_GROUP_SIGNALS; index++)
        sigaction (s_group_signals [index], &server->child_actions [index], NULL);
    sigprocmask (SIG_SETMASK, &server->child_mask, NULL);
    //  The server is killed with its parent; its children go with it.
    prctl (PR_SET_PDEATHSIG, SIGKILL);
    if (getppid () != server_pid)
        _exit (127);
    _exit (fn (args, server->buffer + sizeof (s_message_t), size) & 0xff);
}

//  Fork a child for a request; `passed` (or -1) is the descriptor that came
//  with it, the child's alone.
static void
s_server_spawn (s_server_t *server, size_t channel, const s_message_t *request, size_t size,
                int passed)
{
    s_message_t reply = { .type = S_SPAWNED };
    s_child_t *children =
        s_grow (server->children, &server->child_capacity, server->child_count, sizeof (s_child_t));
    if (!children)
        reply.pid = -ENOMEM;
    else {
        server->children = children;
        //  Taken before the fork: a child that read it with getppid() after
        //  its server died would read init's pid, and outlive the server.
        pid_t server_pid = getpid ();
        pid_t pid = fork ();
        if (pid == 0) {
            s_passed_fd = passed;
            s_child_run (server, server_pid, request->fn, request->args, size);
        }
        if (pid < 0)
            reply.pid = -errno;
        else {
            server->children [server->child_count++] = (s_child_t){ pid, (int) channel };
            reply.pid = pid;
        }
    }
    if (passed >= 0)
        close (passed);
    s_send (server->polls [channel].fd, &reply);
}

static s_child_t *
s_server_child (s_server_t *server, pid_t pid)
{
    for (size_t index = 0; index < server->child_count; index++)
        if (server->children [index].pid == pid)
            return &server->children [index];
    return NULL;
}

static void
s_server_reap (s_server_t *server)
{
    int status;
    pid_t pid;
    while ((pid = waitpid (-1, &status, WNOHANG)) > 0) {
        s_child_t *child = s_server_child (server, pid);
        if (!child)
            continue;
        if (child->channel >= 0) {
            s_message_t report = { .type = S_EXIT, .pid = pid, .value = status };
            s_send (server->polls [child->channel].fd, &report);
        }
        *child = server->children [--server->child_count];
    }
}

//  The descriptor a message carried (SCM_RIGHTS), or -1.
static int
s_received_fd (struct msghdr *header)
{
    struct cmsghdr *control = CMSG_FIRSTHDR (header);
    if (!control || control->cmsg_level != SOL_SOCKET || control->cmsg_type != SCM_RIGHTS
        || control->cmsg_len != CMSG_LEN (sizeof (int)))
        return -1;
    int fd;
    memcpy (&fd, CMSG_DATA (control), sizeof (fd));
    return fd;
}

static void
s_server_attach (s_server_t *server, int fd)
{
    struct pollfd *polls =
        s_grow (server->polls, &server->poll_capacity, server->poll_count, sizeof (struct pollfd));
    if (!polls) {
        close (fd);  //  The new handle sees its channel closed
        return;
    }
    server->polls = polls;
    server->polls [server->poll_count++] = (struct pollfd){ .fd = fd, .events = POLLIN };
}

//  A closed channel takes its children with it: no orphan outlives the
//  handle that started it.
static void
s_server_close (s_server_t *server, size_t channel)
{
    for (size_t index = 0; index < server->child_count; index++)
        if (server->children [index].channel == (int) channel) {
            kill (server->children [index].pid, SIGKILL);
            server->children [index].channel = -1;
        }
    close (server->polls [channel].fd);
    server->polls [channel].fd = -1;
}

static void __attribute__ ((noreturn)) s_server_stop (s_server_t *server)
{
    for (size_t index = 0; index < server->child_count; index++)
        kill (server->children [index].pid, SIGKILL);
    while (waitpid (-1, NULL, 0) > 0 || errno == EINTR)
        ;
    _exit (0);
}

static void
s_server_read (s_server_t *server, size_t channel)
{
    char control [CMSG_SPACE (sizeof (int))];
    struct iovec vector = { server->buffer, sizeof (s_message_t) + ZOWN_SPAWN_PAYLOAD_MAX };
    struct msghdr header = { .msg_iov = &vector,
                             .msg_iovlen = 1,
                             .msg_control = control,
                             .msg_controllen = sizeof (control) };
    ssize_t size = recvmsg (server->polls [channel].fd, &header, MSG_CMSG_CLOEXEC);
    if (size < 0 && errno == EINTR)
        return;
    int passed = size >= 0 ? s_received_fd (&header) : -1;
    if (size < (ssize_t) sizeof (s_message_t)) {
        if (passed >= 0)
            close (passed);
        if (channel == 1)
            s_server_stop (server);
        s_server_close (server, channel);
        return;
    }
    s_message_t message;
    memcpy (&message, server->buffer, sizeof (message));
    if (message.type == S_SPAWN)
        s_server_spawn (server, channel, &message, (size_t) size - sizeof (message), passed);
    else if (message.type == S_ATTACH && passed >= 0)
        s_server_attach (server, passed);
    else {
        if (passed >= 0)
            close (passed);
        s_child_t *child = s_server_child (server, message.pid);
        if (message.type == S_KILL && child && child->channel == (int) channel)
            kill (message.pid, message.value);
    }
}

//  The signals sent to a whole process group, as a set.
static void
s_group_set (sigset_t *set)
{
    sigemptyset (set);
    for (size_t index = 0; index < S_GROUP_SIGNALS; index++)
        sigaddset (set, s_group_signals [index]);
}

//  The server starts with the group signals blocked (see zown_spawner_new)
//  and `mask`, the application's signal mask, to give its children.
static void __attribute__ ((noreturn)) s_server_run (int fd, pid_t parent, const sigset_t *mask)
{
    //  The server is killed with the application; the check after the
    //  prctl catches a parent that died before it.
    prctl (PR_SET_PDEATHSIG, SIGKILL);
    if (getppid () != parent)
        _exit (0);
    s_server_t server = { 0 };
    //  Ignored before they are unblocked: one already pending is dropped.
    struct sigaction ignore = { .sa_handler = SIG_IGN };
    for (size_t index = 0; index < S_GROUP_SIGNALS; index++)
        sigaction (s_group_signals [index], &ignore, &server.child_actions [index]);
    server.child_mask = *mask;
    sigset_t chld, blocked = *mask;
    sigemptyset (&chld);
    sigaddset (&chld, SIGCHLD);
    sigaddset (&blocked, SIGCHLD);
    sigprocmask (SIG_SETMASK, &blocked, NULL);
    server.buffer = malloc (sizeof (s_message_t) + ZOWN_SPAWN_PAYLOAD_MAX);
    server.polls = malloc (2 * sizeof (struct pollfd));
    int signals = signalfd (-1, &chld, SFD_CLOEXEC);
    if (!server.buffer || !server.polls || signals < 0)
        _exit (1);
    server.polls [0] = (struct pollfd){ .fd = signals, .events = POLLIN };
    server.polls [1] = (struct pollfd){ .fd = fd, .events = POLLIN };
    server.poll_count = 2;
    server.poll_capacity = 2;
    while (true) {
        if (poll (server.polls, server.poll_count, -1) < 0)
            continue;
        if (server.polls [0].revents) {
            struct signalfd_siginfo info;
            while (read (signals, &info, sizeof (info)) < 0 && errno == EINTR)
                ;
            s_server_reap (&server);
        }
        for (size_t channel = 1; channel < server.poll_count; channel++)
            if (server.polls [channel].fd >= 0 && server.polls [channel].revents)
                s_server_read (&server, channel);
    }
}

//  ---------------------------------------------------------------------
//  Handles

static size_t
s_thread_count (void)
{
    DIR *tasks = opendir ("/proc/self/task");
    if (!tasks)
        return 1;  //  No /proc: nothing to check against
    size_t count = 0;
    struct dirent *entry;
    while ((entry = readdir (tasks)))
        if (entry->d_name [0] != '.')
            count++;
    closedir (tasks);
    return count;
}

static zown_spawner_t *
s_handle_new (int fd, pid_t server)
{
    zown_spawner_t *self = calloc (1, sizeof (zown_spawner_t));
    if (!self) {
        close (fd);
        return (zown_spawner_t *) zown_fail_null (ZOWN_NO_MEMORY);
    }
    self->fd = fd;
    self->server = server;
    self->server_pidfd = -1;
    self->generation = zown_fork_generation ();
    return self;
}

zown_spawner_t *
zown_spawner_new (void)
{
    //  Registers zown's fork handlers before the first fork, so that
    //  handles inherited by a child know they are not the child's.
    zown_fork_generation ();
    if (s_thread_count () > 1)
        return (zown_spawner_t *) zown_fail_null (ZOWN_THREADED);
    int fds [2];
    if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds))
        return (zown_spawner_t *) zown_fail_null (ZOWN_SYSTEM);
    //  Blocked across the fork, so that a Ctrl-C then cannot kill the server
    //  before it ignores it; the application gets it once unblocked.
    sigset_t group, mask;
    s_group_set (&group);
    sigprocmask (SIG_BLOCK, &group, &mask);
    pid_t parent = getpid ();
    pid_t server = fork ();
    if (server == 0) {
        close (fds [0]);
        s_server_run (fds [1], parent, &mask);
    }
    sigprocmask (SIG_SETMASK, &mask, NULL);
    close (fds [1]);
    if (server < 0) {
        close (fds [0]);
        return (zown_spawner_t *) zown_fail_null (ZOWN_SYSTEM);
    }
    zown_spawner_t *self = s_handle_new (fds [0], server);
    if (self)
        self->server_pidfd = pidfd_open (server, 0);
    zown_ok ();
    return self;
}

static int
s_check (zown_spawner_t *self)
{
    if (!self)
        return zown_fail (ZOWN_INVALID);
    if (self->generation != zown_fork_generation ())
        return zown_fail (ZOWN_FORKED);
    return 0;
}

zown_spawner_t *
zown_spawner_attach (zown_spawner_t *self)
{
    if (s_check (self))
        return NULL;
    int fds [2];
    if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds))
        return (zown_spawner_t *) zown_fail_null (ZOWN_SYSTEM);
    s_message_t message = { .type = S_ATTACH };
    struct iovec vector = { &message, sizeof (message) };
    union {
        char bytes [CMSG_SPACE (sizeof (int))];
        struct cmsghdr align;
    } control;
    struct msghdr header = { .msg_iov = &vector,
                             .msg_iovlen = 1,
                             .msg_control = control.bytes,
                             .msg_controllen = sizeof (control.bytes) };
    struct cmsghdr *part = CMSG_FIRSTHDR (&header);
    part->cmsg_level = SOL_SOCKET;
    part->cmsg_type = SCM_RIGHTS;
    part->cmsg_len = CMSG_LEN (sizeof (int));
    memcpy (CMSG_DATA (part), &fds [1], sizeof (int));
    ssize_t sent = sendmsg (self->fd, &header, MSG_NOSIGNAL);
    close (fds [1]);
    if (sent != (ssize_t) sizeof (message)) {
        close (fds [0]);
        return (zown_spawner_t *) zown_fail_null (ZOWN_UNREACHABLE);
    }
    zown_spawner_t *attached = s_handle_new (fds [0], self->server);
    if (attached)
        zown_ok ();
    return attached;
}

void
zown_spawner_destroy (zown_spawner_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zown_spawner_t *self = *self_p;
    *self_p = NULL;
    //  In a forked child the channel is the parent's: leave it open.
    if (self->generation == zown_fork_generation ()) {
        close (self->fd);
        if (self->server_pidfd >= 0) {
            struct pollfd exited = { .fd = self->server_pidfd, .events = POLLIN };
            if (poll (&exited, 1, ZOWN_SPAWNER_STOP_TIMEOUT) != 1)
                kill (self->server, SIGKILL);
            waitpid (self->server, NULL, 0);
        }
    }
    if (self->server_pidfd >= 0)
        close (self->server_pidfd);
    free (self->children);
    free (self->exits);
    free (self);
}

static ssize_t
s_child_index (zown_spawner_t *self, pid_t pid)
{
    for (size_t index = 0; index < self->child_count; index++)
        if (self->children [index] == pid)
            return (ssize_t) index;
    return -1;
}

//  Read one message with a deadline; -1 with ZOWN_TIMEOUT or
//  ZOWN_UNREACHABLE (channel closed: the server is gone).
static int
s_read (zown_spawner_t *self, int timeout_ms, s_message_t *message)
{
    struct pollfd readable = { .fd = self->fd, .events = POLLIN };
    int ready;
    while ((ready = poll (&readable, 1, timeout_ms)) < 0 && errno == EINTR)
        ;
    if (ready == 0)
        return zown_fail (ZOWN_TIMEOUT);
    ssize_t size;
    while ((size = recv (self->fd, message, sizeof (*message), 0)) < 0 && errno == EINTR)
        ;
    if (size != (ssize_t) sizeof (*message))
        return zown_fail (ZOWN_UNREACHABLE);
    return 0;
}

static int
s_queue_exit (zown_spawner_t *self, const s_message_t *report)
{
    if (self->exit_head && self->exit_head == self->exit_count) {
        self->exit_head = 0;
        self->exit_count = 0;
    }
    s_exit_t *exits =
        s_grow (self->exits, &self->exit_capacity, self->exit_count, sizeof (s_exit_t));
    if (!exits)
        return zown_fail (ZOWN_NO_MEMORY);
    self->exits = exits;
    self->exits [self->exit_count++] = (s_exit_t){ report->pid, report->value };
    return 0;
}

pid_t
zown_spawner_spawn (zown_spawner_t *self, zown_spawn_fn *fn, void *args, const void *payload,
                    size_t size)
{
    return zown_spawner_spawn_fd (self, fn, args, payload, size, -1);
}

pid_t
zown_spawner_spawn_fd (zown_spawner_t *self, zown_spawn_fn *fn, void *args, const void *payload,
                       size_t size, int fd)
{
    if (s_check (self))
        return -1;
    if (!fn || size > ZOWN_SPAWN_PAYLOAD_MAX || (size && !payload))
        return zown_fail (ZOWN_INVALID);
    pid_t *children =
        s_grow (self->children, &self->child_capacity, self->child_count, sizeof (pid_t));
    if (!children)
        return zown_fail (ZOWN_NO_MEMORY);
    self->children = children;
    s_message_t request = { .type = S_SPAWN, .fn = fn, .args = args };
    struct iovec vector [2] = { { &request, sizeof (request) }, { (void *) payload, size } };
    struct msghdr header = { .msg_iov = vector, .msg_iovlen = 2 };
    union {
        char bytes [CMSG_SPACE (sizeof (int))];
        struct cmsghdr align;
    } control;
    if (fd >= 0) {
        header.msg_control = control.bytes;
        header.msg_controllen = sizeof (control.bytes);
        struct cmsghdr *part = CMSG_FIRSTHDR (&header);
        part->cmsg_level = SOL_SOCKET;
        part->cmsg_type = SCM_RIGHTS;
        part->cmsg_len = CMSG_LEN (sizeof (int));
        memcpy (CMSG_DATA (part), &fd, sizeof (int));
    }
    if (sendmsg (self->fd, &header, MSG_NOSIGNAL) != (ssize_t) (sizeof (request) + size))
        return zown_fail (ZOWN_UNREACHABLE);
    s_message_t reply;
    while (true) {
        if (s_read (self, S_REPLY_TIMEOUT, &reply))
            return zown_fail (ZOWN_UNREACHABLE);
        if (reply.type == S_SPAWNED)
            break;
        if (reply.type == S_EXIT && s_queue_exit (self, &reply))
            return -1;
    }
    if (reply.pid < 0) {
        errno = -reply.pid;
        return zown_fail (ZOWN_SYSTEM);
    }
    self->children [self->child_count++] = reply.pid;
    zown_ok ();
    return reply.pid;
}

int
zown_spawner_kill (zown_spawner_t *self, pid_t pid, int signo)
{
    if (s_check (self))
        return -1;
    if (s_child_index (self, pid) < 0)
        return zown_fail (ZOWN_INVALID);
    s_message_t request = { .type = S_KILL, .pid = pid, .value = signo };
    return s_send (self->fd, &request) ? zown_fail (ZOWN_UNREACHABLE) : zown_ok ();
}

int
zown_spawner_wait (zown_spawner_t *self, int timeout_ms, pid_t *pid_p, int *status_p)
{
    if (s_check (self))
        return -1;
    s_exit_t exited;
    if (self->exit_head < self->exit_count)
        exited = self->exits [self->exit_head++];
    else {
        if (self->child_count == 0)
            return zown_fail (ZOWN_INVALID);
        s_message_t report;
        do
            if (s_read (self, timeout_ms, &report))
                return -1;
        while (report.type != S_EXIT);
        exited = (s_exit_t){ report.pid, report.value };
    }
    ssize_t index = s_child_index (self, exited.pid);
    if (index >= 0)
        self->children [index] = self->children [--self->child_count];
    if (pid_p)
        *pid_p = exited.pid;
    if (status_p)
        *status_p = exited.status;
    return zown_ok ();
}

int
zown_spawner_fd (zown_spawner_t *self)
{
    return self ? self->fd : -1;
}

int
zown_spawner_passed_fd (void)
{
    return s_passed_fd;
}

bool
zown_spawner_lost (zown_spawner_t *self)
{
    uint8_t byte;
    return self && recv (self->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

size_t
zown_spawner_children (zown_spawner_t *self)
{
    return self ? self->child_count : 0;
}

char *
zown_spawner_describe (int status, char *buffer, size_t size)
{
    if (WIFEXITED (status))
        snprintf (buffer, size, "exit %d", WEXITSTATUS (status));
    else if (WIFSIGNALED (status))
        snprintf (buffer, size, "signal %d (%s)", WTERMSIG (status), strsignal (WTERMSIG (status)));
    else
        snprintf (buffer, size, "wait status %d", status);
    return buffer;
}
