/*  =========================================================================
    testutil - helpers shared by the cmocka tests
    =========================================================================
*/
#include "testutil.h"
#include "zown_internal.h"
#include <dirent.h>
#include <ftw.h>
#include <sched.h>
#include <sys/syscall.h>
#include <signal.h>

static char s_rundir [256];

static int
s_remove (const char *path, const struct stat *info, int flag, struct FTW *ftw)
{
    (void) info;
    (void) flag;
    (void) ftw;
    return remove (path);
}

static void
s_cleanup (void)
{
    //  Only the process that made the directory removes it, not children.
    static pid_t maker;
    if (maker == 0)
        maker = getpid ();
    if (s_rundir [0] && getpid () == maker)
        testutil_remove_tree (s_rundir);
}

void
testutil_private_rundir (void)
{
    if (s_rundir [0])
        return;
    snprintf (s_rundir, sizeof (s_rundir), "/tmp/zown-test-XXXXXX");
    assert_non_null (mkdtemp (s_rundir));
    setenv ("ZOWN_RUNDIR", s_rundir, 1);
    s_cleanup ();  //  Records this process as the maker.
    atexit (s_cleanup);
}

const char *
testutil_name (const char *prefix)
{
    static char name [64];
    static int counter;
    snprintf (name, sizeof (name), "%s-%d", prefix, ++counter);
    return name;
}

zown_owner_t *
testutil_owner (void)
{
    testutil_private_rundir ();
    zown_owner_t *owner = zown_owner_new (testutil_name ("owner"));
    if (!owner)
        fail_msg ("owner: %s", zown_strerror (zown_errno ()));
    //  One round trip over ipc first: libzmq's I/O threads, started with the
    //  first socket, are then past their start-up, so a test that forks next
    //  never copies a thread mid-allocation (docs/FORK.md).
    zown_client_t *client = testutil_client (zown_owner_ipc (owner));
    assert_int_equal (zown_client_ping (client), 0);
    zown_client_destroy (&client);
    return owner;
}

zown_client_t *
testutil_client (const char *endpoint)
{
    zown_client_t *client = zown_client_new (endpoint);
    if (!client)
        fail_msg ("client: %s", zown_strerror (zown_errno ()));
    assert_int_equal (zown_client_set_timeout (client, 10000), 0);
    return client;
}

int
testutil_fixture_setup (void **state)
{
    testutil_fixture_t *self = (testutil_fixture_t *) calloc (1, sizeof (testutil_fixture_t));
    assert_non_null (self);
    self->owner = testutil_owner ();
    self->client = testutil_client (zown_owner_inproc (self->owner));
    self->dict = zown_dict_new (self->client, "d");
    assert_non_null (self->dict);
    self->value = zown_value_new (self->client, "v");
    assert_non_null (self->value);
    self->array = zown_array_new (self->client, "a");
    assert_non_null (self->array);
    self->list = zown_list_new (self->client, "l");
    assert_non_null (self->list);
    self->request = zown_request_new ();
    assert_non_null (self->request);
    *state = self;
    return 0;
}

int
testutil_fixture_teardown (void **state)
{
    testutil_fixture_t *self = (testutil_fixture_t *) *state;
    //  Each destroy twice: the first nulls the pointer, the second must
    //  then do nothing.
    zown_dict_destroy (&self->dict);
    zown_dict_destroy (&self->dict);
    zown_value_destroy (&self->value);
    zown_value_destroy (&self->value);
    zown_array_destroy (&self->array);
    zown_array_destroy (&self->array);
    zown_list_destroy (&self->list);
    zown_list_destroy (&self->list);
    zown_request_destroy (&self->request);
    zown_client_destroy (&self->client);
    zown_owner_destroy (&self->owner);
    free (self);
    return 0;
}

//  The start gate: a pipe made before the fork server, so that forked and
//  spawned children alike hold it. A child waits at it by reading one
//  byte; opening it writes one byte per waiting child (every holder keeps
//  the write end open, so it never reaches end of file).
static int s_gate [2] = { -1, -1 };
static int s_gate_waiting;  //  Children at the gate
//  The ready pipe: a spawned child writes a byte to it once it holds what
//  the test needs it to hold.
static int s_ready [2] = { -1, -1 };

static void
s_gate_arm (void)
{
    if (s_gate [0] == -1)
        assert_int_equal (pipe (s_gate), 0);
}

//  In a child: 0 once the gate opened, -1 if the pipe failed.
static int
s_gate_wait (void)
{
    char byte;
    ssize_t rc;
    while ((rc = read (s_gate [0], &byte, 1)) == -1 && errno == EINTR)
        ;
    return rc == 1 ? 0 : -1;
}

void
testutil_gate_release (void)
{
    while (s_gate_waiting > 0) {
        char bytes [64] = { 0 };
        int count = s_gate_waiting < 64 ? s_gate_waiting : 64;
        assert_int_equal (write (s_gate [1], bytes, (size_t) count), count);
        s_gate_waiting -= count;
    }
}

int
testutil_payload (const void *payload, size_t size, void *out, size_t out_size)
{
    if (size != out_size)
        return -1;
    memcpy (out, payload, size);
    return 0;
}

pid_t
testutil_spawn (zown_spawner_t *spawner, zown_spawn_fn *fn, const void *payload, size_t size)
{
    pid_t pid = zown_spawner_spawn (spawner, fn, NULL, payload, size);
    if (pid <= 0)
        fail_msg ("spawn: %s", zown_strerror (zown_errno ()));
    return pid;
}

pid_t
testutil_spawn_ipc (zown_spawner_t *spawner, zown_spawn_fn *fn, zown_owner_t *owner)
{
    const char *endpoint = zown_owner_ipc (owner);
    return testutil_spawn (spawner, fn, endpoint, strlen (endpoint) + 1);
}

//  A gated child: its payload is the function it runs, then that
//  function's own payload.
static int
s_gated (void *args, const void *payload, size_t size)
{
    zown_spawn_fn *fn;
    memcpy (&fn, payload, sizeof (fn));
    if (s_gate_wait ())
        return 126;
    return fn (args, (const uint8_t *) payload + sizeof (fn), size - sizeof (fn));
}

pid_t
testutil_spawn_gated (zown_spawner_t *spawner, zown_spawn_fn *fn, const void *payload, size_t size)
{
    assert_true (s_gate [0] != -1);  //  Made by testutil_run_spawned
    uint8_t *gated = (uint8_t *) malloc (sizeof (fn) + size);
    assert_non_null (gated);
    memcpy (gated, &fn, sizeof (fn));
    if (size)
        memcpy (gated + sizeof (fn), payload, size);
    pid_t pid = testutil_spawn (spawner, s_gated, gated, sizeof (fn) + size);
    s_gate_waiting++;
    free (gated);
    return pid;
}

void
testutil_spawn_workers (zown_spawner_t *spawner, int count, zown_spawn_fn *fn, zown_owner_t *owner)
{
    const char *endpoint = zown_owner_ipc (owner);
    for (int index = 0; index < count; index++)
        testutil_spawn_gated (spawner, fn, endpoint, strlen (endpoint) + 1);
}

void
testutil_run_workers (zown_spawner_t *spawner, int count, zown_spawn_fn *fn, zown_owner_t *owner)
{
    testutil_spawn_workers (spawner, count, fn, owner);
    testutil_gate_release ();
    testutil_reap_all (spawner);
}

//  An exit status, or 128 + signal.
static int
s_exit_status (int status)
{
    return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

//  Exits that the spawner reported while testutil_reap awaited another.
typedef struct {
    pid_t pid;
    int status;  //  Exit status, or 128 + signal
} s_exit_t;

static s_exit_t *s_exits;
static size_t s_exit_count;
static size_t s_exit_capacity;

static void
s_exit_keep (pid_t pid, int status)
{
    if (s_exit_count == s_exit_capacity) {
        s_exit_capacity = s_exit_capacity ? 2 * s_exit_capacity : 16;
        s_exits = (s_exit_t *) realloc (s_exits, s_exit_capacity * sizeof (s_exit_t));
        assert_non_null (s_exits);
    }
    s_exits [s_exit_count++] = (s_exit_t){ pid, s_exit_status (status) };
}

//  Wait for the spawner's next exit report (timeout_ms as for
//  zown_spawner_wait) and keep it; 0, or -1 if none came.
static int
s_exit_next (zown_spawner_t *spawner, int timeout_ms)
{
    pid_t pid;
    int status;
    if (zown_spawner_wait (spawner, timeout_ms, &pid, &status)) {
        if (zown_errno () != ZOWN_TIMEOUT && zown_errno () != ZOWN_INVALID)
            fail_msg ("spawner wait: %s", zown_strerror (zown_errno ()));
        return -1;
    }
    s_exit_keep (pid, status);
    return 0;
}

//  Take the kept exit of pid out of the list: its status, or -1 if none.
static int
s_exit_take (pid_t pid)
{
    for (size_t index = 0; index < s_exit_count; index++)
        if (s_exits [index].pid == pid) {
            int status = s_exits [index].status;
            s_exits [index] = s_exits [--s_exit_count];
            return status;
        }
    return -1;
}

int
testutil_reap (zown_spawner_t *spawner, pid_t pid)
{
    int status;
    while ((status = s_exit_take (pid)) == -1)
        if (s_exit_next (spawner, ZOWN_FOREVER))
            fail_msg ("child %d was never reaped", (int) pid);
    return status;
}

void
testutil_kill (zown_spawner_t *spawner, pid_t pid)
{
    assert_int_equal (zown_spawner_kill (spawner, pid, SIGKILL), 0);
    assert_int_equal (testutil_reap (spawner, pid), 128 + SIGKILL);
}

//  Fail the test unless every kept exit was 0; forget them.
static void
s_exits_clean (void)
{
    size_t count = s_exit_count;
    s_exit_count = 0;
    for (size_t index = 0; index < count; index++)
        if (s_exits [index].status)
            fail_msg ("child %d exited %d", (int) s_exits [index].pid, s_exits [index].status);
}

void
testutil_reap_all (zown_spawner_t *spawner)
{
    while (zown_spawner_children (spawner) > 0)
        s_exit_next (spawner, ZOWN_FOREVER);
    s_exits_clean ();
}

size_t
testutil_running (zown_spawner_t *spawner)
{
    while (s_exit_next (spawner, 0) == 0)
        ;
    s_exits_clean ();
    return zown_spawner_children (spawner);
}

int
testutil_hold (void)
{
    if (write (s_ready [1], "r", 1) != 1)
        return 2;
    while (true)
        pause ();
}

void
testutil_await_ready (void)
{
    char byte;
    assert_true (s_ready [0] != -1);  //  Made by testutil_run_spawned
    assert_int_equal (read (s_ready [0], &byte, 1), 1);
}

//  Whether every other thread of this process waits in a system call
//  (poll, epoll, a futex, read): none is inside malloc then, holding a lock
//  that a forked child would inherit locked.
static bool
s_threads_wait (void)
{
    DIR *dir = opendir ("/proc/self/task");
    if (!dir)
        return true;
    long self = (long) syscall (SYS_gettid);
    bool waiting = true;
    struct dirent *entry;
    while (waiting && (entry = readdir (dir))) {
        long thread = atol (entry->d_name);
        if (thread <= 0 || thread == self)
            continue;
        char path [64];
        snprintf (path, sizeof (path), "/proc/self/task/%ld/syscall", thread);
        FILE *file = fopen (path, "r");
        long number = -1;  //  "running": in user space
        if (file && fscanf (file, "%ld", &number) != 1)
            number = -1;
        if (file)
            fclose (file);
        waiting = number == SYS_poll || number == SYS_ppoll || number == SYS_epoll_wait
            || number == SYS_epoll_pwait || number == SYS_futex || number == SYS_read;
    }
    closedir (dir);
    return waiting;
}

//  Fork a child that runs fn (arg), after the start gate opens if gated.
//  The sanitizers' allocators have no fork handlers: a child forked while
//  another thread is inside malloc can hang in its own first allocations
//  (or its new threads'). So the fork waits, up to 10 s, until the owner's
//  and libzmq's threads are back in their polls.
static pid_t
s_fork (int (*fn) (void *arg), void *arg, bool gated)
{
    fflush (stdout);
    fflush (stderr);
    int64_t deadline = testutil_now_ms () + 10000;
    while (!s_threads_wait () && testutil_now_ms () < deadline)
        sched_yield ();
    pid_t pid = fork ();
    assert_true (pid >= 0);
    if (pid == 0)
        _exit (gated && s_gate_wait () ? 126 : fn (arg));
    return pid;
}

pid_t
testutil_fork (int (*fn) (void *arg), void *arg)
{
    return s_fork (fn, arg, false);
}

int
testutil_wait (pid_t pid)
{
    int status;
    while (waitpid (pid, &status, 0) == -1)
        ;
    return s_exit_status (status);
}

void
testutil_fork_start (testutil_fork_t *self, int count, int (*fn) (void *arg), void *arg)
{
    assert_in_range (self->count + count, 0, TESTUTIL_FORK_MAX);
    s_gate_arm ();
    for (int index = 0; index < count; index++) {
        self->pids [self->count++] = s_fork (fn, arg, true);
        s_gate_waiting++;
    }
}

void
testutil_fork_wait (testutil_fork_t *self)
{
    for (int index = 0; index < self->count; index++) {
        int status = testutil_wait (self->pids [index]);
        if (status)
            fail_msg ("worker %d exited %d", index, status);
    }
}

testutil_waiter_t
testutil_waiter (const char *endpoint, const char *name, int timeout)
{
    testutil_waiter_t self = { .timeout = timeout, .result = -1 };
    snprintf (self.endpoint, sizeof (self.endpoint), "%s", endpoint);
    snprintf (self.name, sizeof (self.name), "%s", name);
    return self;
}

void *
testutil_event_waiter (void *args)
{
    testutil_waiter_t *self = (testutil_waiter_t *) args;
    zown_client_t *client = zown_client_new (self->endpoint);
    //  The reply's deadline is the wait's plus this (a stopped owner).
    zown_client_set_timeout (client, 1000);
    zown_event_t *event = zown_event_new (client, self->name);
    self->result = zown_event_wait (event, self->timeout) ? zown_errno () : 0;
    zown_event_destroy (&event);
    zown_client_destroy (&client);
    return NULL;
}

int
testutil_event_waiter_process (void *args, const void *payload, size_t size)
{
    (void) args;
    testutil_waiter_t self;
    if (testutil_payload (payload, size, &self, sizeof (self)))
        return 125;
    testutil_event_waiter (&self);
    return self.result;
}

uint8_t *
testutil_raw_call (const char *endpoint, const void *frame, size_t size, size_t *size_p)
{
    void *ctx = zmq_ctx_new ();
    void *dealer = zmq_socket (ctx, ZMQ_DEALER);
    int linger = 0, timeout = 5000;
    zmq_setsockopt (dealer, ZMQ_LINGER, &linger, sizeof (linger));
    zmq_setsockopt (dealer, ZMQ_RCVTIMEO, &timeout, sizeof (timeout));
    uint8_t *reply = NULL;
    if (zmq_connect (dealer, endpoint) == 0 && zmq_send (dealer, frame, size, 0) == (int) size) {
        zmq_msg_t msg;
        zmq_msg_init (&msg);
        if (zmq_msg_recv (&msg, dealer, 0) >= 0) {
            *size_p = zmq_msg_size (&msg);
            reply = (uint8_t *) malloc (*size_p ? *size_p : 1);
            memcpy (reply, zmq_msg_data (&msg), *size_p);
        }
        zmq_msg_close (&msg);
    }
    zmq_close (dealer);
    zmq_ctx_term (ctx);
    return reply;
}

int64_t
testutil_stat (zown_client_t *client, const char *name)
{
    zown_request_t *request = zown_request_new ();
    zown_reply_t *reply;
    assert_int_equal (zown_request_add (request, ZOWN_OP_STATS, NULL, 0, NULL), 0);
    assert_int_equal (zown_client_call (client, request, &reply), 0);
    int64_t value = -1;
    for (size_t index = 0; index + 1 < zown_reply_count (reply, 0); index += 2)
        if (zown_datum_streq (zown_reply_value (reply, 0, index), name))
            value = zown_reply_value (reply, 0, index + 1).u.i;
    zown_request_destroy (&request);
    return value;
}

int64_t
testutil_now_ms (void)
{
    return zown_now_ms ();
}

int
testutil_remove_tree (const char *path)
{
    return nftw (path, s_remove, 16, FTW_DEPTH | FTW_PHYS);
}

void
testutil_await_stat (zown_client_t *client, const char *name, int64_t value)
{
    int64_t deadline = testutil_now_ms () + 10000;
    while (testutil_stat (client, name) != value)
        if (testutil_now_ms () > deadline)
            fail_msg ("%s never reached %lld", name, (long long) value);
}

void
testutil_park_thread (zown_client_t *client, pthread_t *thread, void *(*fn) (void *), void *args,
                      int64_t parked)
{
    assert_int_equal (pthread_create (thread, NULL, fn, args), 0);
    testutil_await_stat (client, "parked", parked);
}

static int
s_spin (void *args, const void *payload, size_t size)
{
    (void) args, (void) payload, (void) size;
    for (volatile unsigned long spins = 0;; spins++)
        ;
    return 0;
}

pid_t
testutil_spin (zown_spawner_t *spawner)
{
    pid_t pid = zown_spawner_spawn (spawner, s_spin, NULL, NULL, 0);
    assert_true (pid > 0);
    return pid;
}

void
testutil_unspin (zown_spawner_t *spawner, pid_t pid)
{
    assert_int_equal (zown_spawner_kill (spawner, pid, SIGKILL), 0);
    pid_t reaped;
    assert_int_equal (zown_spawner_wait (spawner, 10000, &reaped, NULL), 0);
    assert_int_equal (reaped, pid);
}

int
testutil_run_spawned (zown_spawner_t **spawner_p, const struct CMUnitTest *tests, size_t count)
{
    testutil_private_rundir ();
    //  Before the spawner, so that its children inherit them.
    s_gate_arm ();
    assert_int_equal (pipe (s_ready), 0);
    *spawner_p = zown_spawner_new ();
    if (!*spawner_p)
        return 1;
    int failed = _cmocka_run_group_tests ("tests", tests, count, NULL, NULL);
    zown_spawner_destroy (spawner_p);
    return failed;
}

void
testutil_await_owner (zown_client_t *client)
{
    int64_t deadline = testutil_now_ms () + 10000;
    while (zown_client_ping (client)) {
        assert_int_equal (zown_errno (), ZOWN_UNREACHABLE);
        if (testutil_now_ms () >= deadline)
            fail_msg ("no owner answered in 10 s");
    }
}
