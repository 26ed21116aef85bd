/*  =========================================================================
    testutil - what the cmocka tests share: a private run directory per test
    program, unique owner names, raw frames, and children of the fork server
    whose fate is awaited (never slept on)
    =========================================================================
*/
#ifndef ZOWN_TESTUTIL_H_INCLUDED
#define ZOWN_TESTUTIL_H_INCLUDED

#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <zmq.h>
#include "zown.h"

//  Point ZOWN_RUNDIR at a fresh private temp dir; removed at exit.
void testutil_private_rundir (void);

//  A fresh owner name, unique in this test program ("prefix-N").
const char *testutil_name (const char *prefix);

//  Start an owner with a fresh name; fails the test if it cannot.
zown_owner_t *testutil_owner (void);

//  A client connected to endpoint, with a 10 s timeout; fails the test
//  if it cannot be made.
zown_client_t *testutil_client (const char *endpoint);

//  The fixture of the per-type tests: an owner, a client on it over inproc,
//  a handle of each type named by its initial ("d", "v", "a", "l") and an
//  empty request. Handles are local until used, so a test touches only
//  its own type's object.
typedef struct {
    zown_owner_t *owner;
    zown_client_t *client;
    zown_dict_t *dict;
    zown_value_t *value;
    zown_array_t *array;
    zown_list_t *list;
    zown_request_t *request;
} testutil_fixture_t;

//  cmocka set-up and tear-down of a testutil_fixture_t in *state.
int testutil_fixture_setup (void **state);
int testutil_fixture_teardown (void **state);

//  A cmocka test run with a fresh testutil_fixture_t in *state.
#define testutil_fixture_test(test)                                                                \
    cmocka_unit_test_setup_teardown (test, testutil_fixture_setup, testutil_fixture_teardown)

//  Test children come from the fork server (docs/FORK.md): a program
//  whose tests spawn children runs them with testutil_run_spawned, which
//  starts the server while the program is single-threaded. A child is a
//  fork of that server, so what the test made later (an owner, its
//  endpoint string, anything on the stack or heap) reaches it only by value
//  in the payload: a string with its NUL, or a struct of arrays (copied out
//  with testutil_payload).

//  In a child: copy a payload of size bytes into out, a struct of
//  out_size; 0, or -1 if the sizes differ.
int testutil_payload (const void *payload, size_t size, void *out, size_t out_size);

//  Spawn fn (NULL, payload, size) in a child of spawner; fails the test if
//  it cannot.
pid_t testutil_spawn (zown_spawner_t *spawner, zown_spawn_fn *fn, const void *payload, size_t size);

//  Spawn fn with the owner's ipc endpoint (a string) as its payload: what
//  most children need to make a client of their own.
pid_t testutil_spawn_ipc (zown_spawner_t *spawner, zown_spawn_fn *fn, zown_owner_t *owner);

//  Spawn a child that waits at the start gate, then runs fn (NULL,
//  payload, size): children so spawned start together at
//  testutil_gate_release, once the test has set up what they need.
pid_t testutil_spawn_gated (zown_spawner_t *spawner, zown_spawn_fn *fn, const void *payload,
                            size_t size);

//  Spawn count such children, each with the owner's ipc endpoint (a
//  string) as its payload.
void testutil_spawn_workers (zown_spawner_t *spawner, int count, zown_spawn_fn *fn,
                             zown_owner_t *owner);

//  Spawn count such children, release them together and reap them: the
//  test fails unless each exited 0.
void testutil_run_workers (zown_spawner_t *spawner, int count, zown_spawn_fn *fn,
                           zown_owner_t *owner);

//  Open the start gate: every child waiting at it runs.
void testutil_gate_release (void);

//  Await the exit of pid, a child of spawner; returns its exit status, or
//  128 + signal. Exits of other children heard meanwhile are kept for
//  their own reap.
int testutil_reap (zown_spawner_t *spawner, pid_t pid);

//  SIGKILL pid, a child of spawner, and reap it; fails the test unless it
//  died of the signal.
void testutil_kill (zown_spawner_t *spawner, pid_t pid);

//  Reap every child of spawner; fails the test unless each exited 0.
void testutil_reap_all (zown_spawner_t *spawner);

//  Reap those children of spawner that have exited, without blocking;
//  fails the test unless each exited 0. Returns how many still run.
size_t testutil_running (zown_spawner_t *spawner);

//  In a child that holds something (a lock, permits): tell the test, through
//  a pipe made before the fork server, then wait to be killed. Returns (an
//  exit status) only if the pipe failed.
int testutil_hold (void);
//  In the test: await one child's testutil_hold.
void testutil_await_ready (void);

//  Forking the test process itself: only for the fork-safety tests
//  (test_fork, the fork case of test_replica), whose point is a child of a
//  process that uses zown. Such a child may inherit a lock that another
//  thread held at the fork (AddressSanitizer's allocator has no atfork
//  guard and can hang the child's first malloc), so these forks wait until
//  every other thread waits in a poll, the child must do as little as it
//  can before it uses zown, and every child is forked before any runs
//  (testutil_fork_start). Any other child comes from the fork server.

//  Fork a child running fn (arg) and exiting with its return value.
pid_t testutil_fork (int (*fn) (void *arg), void *arg);

//  Wait for pid, forked by this process (here, or by a test whose child
//  runs before any thread starts or execs at once); returns its exit
//  status, or 128 + signal.
int testutil_wait (pid_t pid);

//  Most children one testutil_fork_t holds.
#define TESTUTIL_FORK_MAX 16

//  Children forked behind the start gate and reaped together; zeroed
//  before its first testutil_fork_start.
typedef struct {
    int count;
    pid_t pids [TESTUTIL_FORK_MAX];
} testutil_fork_t;

//  Fork count children that wait at the start gate (testutil_gate_release),
//  then run fn (arg) and exit with its return value; they join self's
//  children. Forking every child first, while the children that are already
//  forked wait, means no fork happens while the test's children keep the
//  owner's threads busy.
void testutil_fork_start (testutil_fork_t *self, int count, int (*fn) (void *arg), void *arg);

//  Reap self's children; fails the test unless each exited 0.
void testutil_fork_wait (testutil_fork_t *self);

//  A wait on the event `name` through a client of its own at endpoint, run
//  in a thread (testutil_event_waiter) or a spawned child that exits with
//  result (testutil_event_waiter_process, the testutil_waiter_t its
//  payload). Made with testutil_waiter.
typedef struct {
    char endpoint [256];
    char name [64];
    int timeout;  //  Of the wait
    int result;   //  0, or the status of the failed wait
} testutil_waiter_t;

testutil_waiter_t testutil_waiter (const char *endpoint, const char *name, int timeout);
void *testutil_event_waiter (void *args);
int testutil_event_waiter_process (void *args, const void *payload, size_t size);

//  Send one raw frame on a fresh DEALER to endpoint, return the reply
//  frame in a malloc'd buffer (*size_p set), or NULL if none came in 5 s.
uint8_t *testutil_raw_call (const char *endpoint, const void *frame, size_t size, size_t *size_p);

//  Value of one counter in the owner's STATS reply.
int64_t testutil_stat (zown_client_t *client, const char *name);

//  Await, through the owner itself, until a STATS counter equals `value`
//  (fails the test after 10 s); the way tests wait for parked requests.
void testutil_await_stat (zown_client_t *client, const char *name, int64_t value);

//  Start fn (args) in a thread of its own, then await, through client's
//  owner, until `parked` requests are parked: the thread's blocking call
//  among them.
void testutil_park_thread (zown_client_t *client, pthread_t *thread, void *(*fn) (void *),
                           void *args, int64_t parked);

//  main () of a test program whose children come from a fork server: a
//  private run directory, the start gate and the ready pipe, the spawner
//  made first (while the program is still single-threaded) in *spawner_p,
//  the tests, the spawner stopped.
//  Returns the number of tests that failed (1 if the spawner could not
//  start).
int testutil_run_spawned (zown_spawner_t **spawner_p, const struct CMUnitTest *tests, size_t count);

//  A busy loop in a process of its own, from the spawner, beside a test:
//  the owner, its clients and the kernel run late, and races show. End it
//  with testutil_unspin, which also reaps it.
pid_t testutil_spin (zown_spawner_t *spawner);
void testutil_unspin (zown_spawner_t *spawner, pid_t pid);

//  Ping until the client's owner answers (an owner another process is
//  starting): only UNREACHABLE is expected meanwhile; fails the test after
//  10 s.
void testutil_await_owner (zown_client_t *client);

//  Monotonic clock in milliseconds.
int64_t testutil_now_ms (void);
//  Remove a directory and everything in it; 0, or -1 (errno).
int testutil_remove_tree (const char *path);

#endif
