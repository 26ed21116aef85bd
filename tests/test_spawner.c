/*  =========================================================================
    test_spawner - the fork server: spawn, exit reports, kill, attach,
    refusal in a threaded process, and children that never touch the
    application's ZeroMQ state
    =========================================================================
*/
#include "testutil.h"
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>

//  Made first in main, while the test process has one thread.
static zown_spawner_t *s_spawner;
static pid_t s_main_pid;
//  Set before the spawner exists: children see it through fork.
static const char *s_inherited = "set before the fork server";
//  Write end of a pipe an atexit handler writes to if it ever runs in a
//  process other than this one.
static int s_atexit_pipe [2];

static void
s_atexit_marker (void)
{
    if (getpid () != s_main_pid)
        (void) !write (s_atexit_pipe [1], "x", 1);
}

static int
s_exit_with (void *args, const void *payload, size_t size)
{
    (void) args;
    int code;
    if (size != sizeof (code))
        return 100;
    memcpy (&code, payload, sizeof (code));
    return code;
}

static int
s_crash (void *args, const void *payload, size_t size)
{
    (void) args;
    (void) payload;
    (void) size;
    //  The default action, not a sanitizer's report-and-exit handler.
    signal (SIGSEGV, SIG_DFL);
    raise (SIGSEGV);
    return 0;
}

static int __attribute__ ((noreturn)) s_wait_forever (void *args, const void *payload, size_t size)
{
    (void) args;
    (void) payload;
    (void) size;
    while (true)
        pause ();
}

static int
s_check_payload (void *args, const void *payload, size_t size)
{
    if (args != &s_inherited || strcmp (*(const char **) args, "set before the fork server"))
        return 1;
    const uint8_t *bytes = payload;
    for (size_t index = 0; index < size; index++)
        if (bytes [index] != (uint8_t) (index * 7))
            return 2;
    return 0;
}

static pid_t
s_spawn_code (zown_spawner_t *spawner, int code)
{
    pid_t pid = zown_spawner_spawn (spawner, s_exit_with, NULL, &code, sizeof (code));
    assert_true (pid > 0);
    return pid;
}

static int
s_wait_pid (zown_spawner_t *spawner, pid_t expected)
{
    pid_t pid;
    int status;
    assert_int_equal (zown_spawner_wait (spawner, ZOWN_FOREVER, &pid, &status), 0);
    assert_int_equal (pid, expected);
    return status;
}

static void
test_exit_codes_and_payload (void **state)
{
    (void) state;
    pid_t first = s_spawn_code (s_spawner, 3);
    assert_int_equal (zown_spawner_children (s_spawner), 1);
    int status = s_wait_pid (s_spawner, first);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 3);
    assert_int_equal (zown_spawner_children (s_spawner), 0);
    //  Nothing running, nothing left to report.
    assert_int_equal (zown_spawner_wait (s_spawner, 0, NULL, NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);

    uint8_t *payload = malloc (ZOWN_SPAWN_PAYLOAD_MAX + 1);
    for (size_t index = 0; index <= ZOWN_SPAWN_PAYLOAD_MAX; index++)
        payload [index] = (uint8_t) (index * 7);
    pid_t full = zown_spawner_spawn (s_spawner, s_check_payload, &s_inherited, payload,
                                     ZOWN_SPAWN_PAYLOAD_MAX);
    assert_true (full > 0);
    assert_int_equal (s_wait_pid (s_spawner, full), 0);
    assert_int_equal (zown_spawner_spawn (s_spawner, s_check_payload, &s_inherited, payload,
                                          ZOWN_SPAWN_PAYLOAD_MAX + 1),
                      -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_int_equal (zown_spawner_spawn (s_spawner, NULL, NULL, NULL, 0), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    free (payload);
}

static void
test_signals_and_kill (void **state)
{
    (void) state;
    char text [64];
    pid_t crasher = zown_spawner_spawn (s_spawner, s_crash, NULL, NULL, 0);
    int status = s_wait_pid (s_spawner, crasher);
    assert_true (WIFSIGNALED (status));
    assert_int_equal (WTERMSIG (status), SIGSEGV);
    assert_string_equal (zown_spawner_describe (status, text, sizeof (text)),
                         "signal 11 (Segmentation fault)");

    pid_t sleeper = zown_spawner_spawn (s_spawner, s_wait_forever, NULL, NULL, 0);
    assert_int_equal (zown_spawner_wait (s_spawner, 0, NULL, NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_TIMEOUT);
    assert_int_equal (zown_spawner_kill (s_spawner, sleeper, SIGKILL), 0);
    status = s_wait_pid (s_spawner, sleeper);
    assert_true (WIFSIGNALED (status));
    assert_int_equal (WTERMSIG (status), SIGKILL);
    //  Reaped: its pid is no longer ours to signal.
    assert_int_equal (zown_spawner_kill (s_spawner, sleeper, SIGKILL), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_int_equal (zown_spawner_kill (s_spawner, getpid (), SIGKILL), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_string_equal (zown_spawner_describe (0, text, sizeof (text)), "exit 0");
}

//  Exit reports that arrive while a spawn waits for its pid are kept, in
//  order, for zown_spawner_wait.
static void
test_reports_queued_during_spawn (void **state)
{
    (void) state;
    pid_t pids [20];
    for (int index = 0; index < 20; index++)
        pids [index] = s_spawn_code (s_spawner, index);
    int seen = 0;
    while (zown_spawner_children (s_spawner)) {
        pid_t pid;
        int status;
        assert_int_equal (zown_spawner_wait (s_spawner, ZOWN_FOREVER, &pid, &status), 0);
        int index = 0;
        while (index < 20 && pids [index] != pid)
            index++;
        assert_true (index < 20);
        assert_int_equal (WEXITSTATUS (status), index);
        pids [index] = 0;
        seen++;
    }
    assert_int_equal (seen, 20);
}

typedef struct {
    zown_spawner_t *attached;
    pid_t exited;
    pid_t running;
} s_thread_args_t;

static void *
s_attached_thread (void *arg)
{
    s_thread_args_t *args = arg;
    args->exited = s_spawn_code (args->attached, 7);
    args->running = zown_spawner_spawn (args->attached, s_wait_forever, NULL, NULL, 0);
    pid_t pid;
    int status;
    if (zown_spawner_wait (args->attached, ZOWN_FOREVER, &pid, &status) || pid != args->exited
        || WEXITSTATUS (status) != 7)
        args->exited = -1;
    return NULL;
}

static void
s_await_gone (int pidfd)
{
    struct pollfd exited = { .fd = pidfd, .events = POLLIN };
    assert_int_equal (poll (&exited, 1, -1), 1);
    close (pidfd);
}

//  A handle in another thread hears its own children only; destroying it
//  kills the children it left running.
static void
test_attached_handle (void **state)
{
    (void) state;
    s_thread_args_t args = { .attached = zown_spawner_attach (s_spawner) };
    assert_non_null (args.attached);
    pthread_t thread;
    assert_int_equal (pthread_create (&thread, NULL, s_attached_thread, &args), 0);
    assert_int_equal (pthread_join (thread, NULL), 0);
    assert_true (args.exited > 0);
    assert_true (args.running > 0);
    assert_int_equal (zown_spawner_children (s_spawner), 0);
    assert_int_equal (zown_spawner_kill (s_spawner, args.running, SIGKILL), -1);
    int pidfd = pidfd_open (args.running, 0);
    assert_true (pidfd >= 0);
    zown_spawner_destroy (&args.attached);
    assert_null (args.attached);
    s_await_gone (pidfd);
    zown_spawner_destroy (&args.attached);
}

//  Children of the fork server use zown against an owner the application
//  started after the server: they make their own context, and end with
//  _exit(), so the application's atexit handlers never run in them.
static int
s_add_to_counter (void *args, const void *payload, size_t size)
{
    (void) args;
    (void) size;
    zown_client_t *client = zown_client_new (payload);
    zown_value_t *counter = zown_value_new (client, "spawned");
    for (int count = 0; count < 100; count++)
        if (zown_value_add (counter, 1, NULL))
            return 1;
    zown_value_destroy (&counter);
    zown_client_destroy (&client);
    return 0;
}

static void
test_children_use_their_own_zown (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    const char *endpoint = zown_owner_ipc (owner);
    pid_t pids [4];
    for (int index = 0; index < 4; index++) {
        pids [index] =
            zown_spawner_spawn (s_spawner, s_add_to_counter, NULL, endpoint, strlen (endpoint) + 1);
        assert_true (pids [index] > 0);
    }
    for (int index = 0; index < 4; index++) {
        pid_t pid;
        int status;
        assert_int_equal (zown_spawner_wait (s_spawner, ZOWN_FOREVER, &pid, &status), 0);
        assert_int_equal (status, 0);
    }
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    zown_value_t *counter = zown_value_new (client, "spawned");
    int64_t total;
    assert_int_equal (zown_value_get (counter, &total), 0);
    assert_int_equal (total, 400);
    zown_value_destroy (&counter);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
    char marker;
    assert_int_equal (read (s_atexit_pipe [0], &marker, 1), -1);
    assert_int_equal (errno, EAGAIN);
}

static void
test_refused_once_threads_run (void **state)
{
    (void) state;
    zown_owner_t *owner = testutil_owner ();
    assert_null (zown_spawner_new ());
    assert_int_equal (zown_errno (), ZOWN_THREADED);
    zown_owner_destroy (&owner);
}

//  A process that made a fork server and dies takes the server and every
//  child with it. The process is itself a child of the test's server (the
//  one clean place to make a second server), and reports its own child's
//  pid through a FIFO.
static int __attribute__ ((noreturn))
s_make_server_and_child (void *args, const void *payload, size_t size)
{
    (void) args;
    (void) size;
    zown_spawner_t *nested = zown_spawner_new ();
    if (!nested)
        _exit (1);
    pid_t grandchild = zown_spawner_spawn (nested, s_wait_forever, NULL, NULL, 0);
    int fifo = open (payload, O_WRONLY);
    if (grandchild < 0 || fifo < 0 || write (fifo, &grandchild, sizeof (grandchild)) < 0)
        _exit (2);
    close (fifo);
    while (true)
        pause ();
}

static void
test_children_die_with_the_application (void **state)
{
    (void) state;
    testutil_private_rundir ();
    char fifo_path [300];
    snprintf (fifo_path, sizeof (fifo_path), "%s/spawner.fifo", getenv ("ZOWN_RUNDIR"));
    assert_int_equal (mkfifo (fifo_path, 0600), 0);
    pid_t application = zown_spawner_spawn (s_spawner, s_make_server_and_child, NULL, fifo_path,
                                            strlen (fifo_path) + 1);
    assert_true (application > 0);
    int fifo = open (fifo_path, O_RDONLY);
    pid_t grandchild = 0;
    assert_int_equal (read (fifo, &grandchild, sizeof (grandchild)), sizeof (grandchild));
    close (fifo);
    unlink (fifo_path);
    int pidfd = pidfd_open (grandchild, 0);
    assert_true (pidfd >= 0);
    assert_int_equal (zown_spawner_kill (s_spawner, application, SIGKILL), 0);
    s_wait_pid (s_spawner, application);
    s_await_gone (pidfd);
}

static int
s_raise_interrupt (void *args, const void *payload, size_t size)
{
    (void) args;
    (void) payload;
    (void) size;
    raise (SIGINT);
    return 0;
}

//  In a process group of its own, a child of the test's server makes a
//  server, then sends the whole group SIGINT, SIGTERM, SIGHUP and SIGQUIT
//  (itself blocking them), as a terminal or a service manager does. The
//  server ignores them and still spawns; its children have the defaults
//  back, and die of SIGINT. Exits 0 if so.
static int
s_signal_own_group (void *args, const void *payload, size_t size)
{
    (void) args;
    (void) payload;
    (void) size;
    setpgid (0, 0);
    zown_spawner_t *nested = zown_spawner_new ();
    if (!nested)
        return 1;
    int group [] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
    sigset_t blocked;
    sigemptyset (&blocked);
    for (size_t index = 0; index < sizeof (group) / sizeof (group [0]); index++)
        sigaddset (&blocked, group [index]);
    sigprocmask (SIG_BLOCK, &blocked, NULL);
    for (size_t index = 0; index < sizeof (group) / sizeof (group [0]); index++)
        kill (0, group [index]);
    int code = 7, status = 0;
    pid_t pid = zown_spawner_spawn (nested, s_exit_with, NULL, &code, sizeof (code));
    if (pid <= 0 || zown_spawner_wait (nested, ZOWN_FOREVER, NULL, &status) || !WIFEXITED (status)
        || WEXITSTATUS (status) != 7)
        return 2;
    pid = zown_spawner_spawn (nested, s_raise_interrupt, NULL, NULL, 0);
    if (pid <= 0 || zown_spawner_wait (nested, ZOWN_FOREVER, NULL, &status) || !WIFSIGNALED (status)
        || WTERMSIG (status) != SIGINT)
        return 3;
    zown_spawner_destroy (&nested);
    return 0;
}

static void
test_server_ignores_group_signals (void **state)
{
    (void) state;
    pid_t pid = zown_spawner_spawn (s_spawner, s_signal_own_group, NULL, NULL, 0);
    assert_true (pid > 0);
    int status = s_wait_pid (s_spawner, pid);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
}

int
main (void)
{
    s_main_pid = getpid ();
    assert_int_equal (pipe2 (s_atexit_pipe, O_NONBLOCK | O_CLOEXEC), 0);
    atexit (s_atexit_marker);
    s_spawner = zown_spawner_new ();
    if (!s_spawner) {
        fprintf (stderr, "spawner: %s\n", zown_strerror (zown_errno ()));
        return 1;
    }
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_exit_codes_and_payload),
        cmocka_unit_test (test_signals_and_kill),
        cmocka_unit_test (test_reports_queued_during_spawn),
        cmocka_unit_test (test_attached_handle),
        cmocka_unit_test (test_children_use_their_own_zown),
        cmocka_unit_test (test_refused_once_threads_run),
        cmocka_unit_test (test_children_die_with_the_application),
        cmocka_unit_test (test_server_ignores_group_signals),
    };
    int failed = cmocka_run_group_tests (tests, NULL, NULL);
    zown_spawner_destroy (&s_spawner);
    return failed;
}
