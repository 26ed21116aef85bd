/*  =========================================================================
    testutil - what the cmocka tests share: a private run directory per test
    program, unique owner names, raw frames, and forked children whose fate
    is awaited (never slept on)
    =========================================================================
*/
#ifndef ZOWN_TESTUTIL_H_INCLUDED
#define ZOWN_TESTUTIL_H_INCLUDED

#define _GNU_SOURCE
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

//  Fork a child running fn (arg) and exiting with its return value (after
//  the start gate opens, if it is armed: testutil_fork_start).
pid_t testutil_fork (int (*fn) (void *arg), void *arg);

//  Wait for pid; returns its exit status, or 128 + signal.
int testutil_wait (pid_t pid);

//  Most children one testutil_fork_t holds.
#define TESTUTIL_FORK_MAX 16

//  Worker processes forked behind the start gate and reaped together;
//  zeroed before its first testutil_fork_start.
typedef struct {
    int count;
    pid_t pids [TESTUTIL_FORK_MAX];
} testutil_fork_t;

//  Fork count children that wait at the start gate (armed here if it is
//  not), then run fn (arg) and exit with its return value; they join
//  self's children. Every worker is forked first and all are released
//  together by testutil_gate_release, so no fork happens while other
//  threads are busy (a child of a busy process can inherit a lock held
//  mid-operation, e.g. AddressSanitizer's allocator lock, and hang on it;
//  docs/FORK.md).
void testutil_fork_start (testutil_fork_t *self, int count, int (*fn) (void *arg), void *arg);

//  Open the start gate: every child waiting at it runs.
void testutil_gate_release (void);

//  Reap self's children; fails the test unless each exited 0.
void testutil_fork_wait (testutil_fork_t *self);

//  Reap those of self's children that have exited, without blocking;
//  fails the test unless each exited 0. Returns how many still run.
int testutil_fork_running (testutil_fork_t *self);

//  A wait on the event `name` through a client of its own at endpoint, run
//  in a thread (testutil_event_waiter) or a forked child that exits with
//  result (testutil_event_waiter_process).
typedef struct {
    const char *endpoint;
    const char *name;
    int timeout;  //  Of the wait
    int result;   //  0, or the status of the failed wait
} testutil_waiter_t;

void *testutil_event_waiter (void *args);
int testutil_event_waiter_process (void *args);

//  Send one raw frame on a fresh DEALER to endpoint, return the reply
//  frame in a malloc'd buffer (*size_p set), or NULL if none came in 5 s.
uint8_t *testutil_raw_call (const char *endpoint, const void *frame, size_t size, size_t *size_p);

//  Value of one counter in the owner's STATS reply.
int64_t testutil_stat (zown_client_t *client, const char *name);

//  Await, through the owner itself, until a STATS counter equals `value`
//  (fails the test after 10 s); the way tests wait for parked requests.
void testutil_await_stat (zown_client_t *client, const char *name, int64_t value);

//  main () of a test program whose children come from a fork server: a
//  private run directory, the spawner made first (while the program is
//  still single-threaded) in *spawner_p, the tests, the spawner stopped.
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
