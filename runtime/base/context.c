/*  =========================================================================
    context - the ZeroMQ context of this process for zown sockets

    zown sockets live in a context of zown's own, not CZMQ's global one:
    after fork() a child finds the parent's context in its memory, unusable
    (its I/O threads did not survive the fork). zown_ctx() notices the new
    pid and makes a fresh context, abandoning the inherited one without
    touching it (docs/FORK.md).
    =========================================================================
*/
#include "zown_internal.h"

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
