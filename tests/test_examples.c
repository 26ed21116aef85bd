/*  =========================================================================
    test_examples - the examples a new user copies from run and print the
    right answers (the built binaries, as a user runs them)
    =========================================================================
*/
#include "testutil.h"

//  Runs an example from ZOWN_EXAMPLES_DIR; returns its output (caller
//  frees) and sets *status_p to its exit status.
static char *
s_run (const char *command_line, int *status_p)
{
    const char *dir = getenv ("ZOWN_EXAMPLES_DIR");
    if (!dir)
        fail_msg ("ZOWN_EXAMPLES_DIR is not set (run through ctest)");
    testutil_private_rundir ();
    char command [512];
    snprintf (command, sizeof (command), "%s/%s", dir, command_line);
    FILE *pipe = popen (command, "r");
    assert_non_null (pipe);
    size_t size = 0, capacity = 4096;
    char *output = (char *) malloc (capacity);
    size_t got;
    while ((got = fread (output + size, 1, capacity - size - 1, pipe)) > 0) {
        size += got;
        if (capacity - size < 1024)
            output = (char *) realloc (output, capacity *= 2);
    }
    output [size] = 0;
    int status = pclose (pipe);
    *status_p = WIFEXITED (status) ? WEXITSTATUS (status) : 128;
    return output;
}

static void
test_counter (void **state)
{
    (void) state;
    int status;
    char *output = s_run ("counter 5 1000", &status);
    assert_int_equal (status, 0);
    assert_non_null (
        strstr (output, "5 processes x 1000 (ipc):    counter = 5000 (expected 5000)"));
    assert_non_null (
        strstr (output, "5 threads x 1000 (inproc):   counter = 5000 (expected 5000)"));
    free (output);
    output = s_run ("counter 0", &status);
    assert_int_equal (status, 2);
    free (output);
}

static void
test_shared_dict (void **state)
{
    (void) state;
    int status;
    char *output = s_run ("shared_dict", &status);
    assert_int_equal (status, 0);
    assert_non_null (strstr (output, "results (6 entries from 3 workers):"));
    assert_non_null (strstr (output,
                             "  task_0.result: 0\n  task_0.status: 'done'\n"
                             "  task_1.result: 1\n  task_1.status: 'done'\n"
                             "  task_2.result: 4\n  task_2.status: 'done'\n"));
    free (output);
}

static void
test_lock_recovery (void **state)
{
    (void) state;
    int status;
    char *output = s_run ("lock_recovery", &status);
    assert_int_equal (status, 0);
    assert_non_null (strstr (output, "previous holder died holding it: yes"));
    assert_non_null (strstr (output, "repaired the half-done transfer"));
    assert_non_null (strstr (output, "ledger: alice=70 bob=30 (total 100)"));
    free (output);
}

static void
test_queue_workers (void **state)
{
    (void) state;
    int status;
    char *output = s_run ("queue_workers 1000 4", &status);
    assert_int_equal (status, 0);
    assert_non_null (strstr (output, "1000 of 1000 jobs handled, each exactly once"));
    free (output);
}

static void
test_barrier_phases (void **state)
{
    (void) state;
    int status;
    char *output = s_run ("barrier_phases 3 4", &status);
    assert_int_equal (status, 0);
    assert_non_null (strstr (output, "12 steps by 3 workers over 4 phases, in lockstep"));
    free (output);
}

static void
test_pool_map (void **state)
{
    (void) state;
    int status;
    char *output = s_run ("pool_map --limit 100000 --workers 2", &status);
    assert_int_equal (status, 0);
    assert_non_null (strstr (output, "primes below 100000: 9592 (10 ranges of 10000)"));
    assert_non_null (strstr (output, "owner's running total matches: 19184 over both runs"));
    free (output);
    output = s_run ("pool_map --workers 0", &status);
    assert_int_equal (status, 2);
    free (output);
}

static void
test_pool_crash (void **state)
{
    (void) state;
    int status;
    char *output = s_run ("pool_crash", &status);
    assert_int_equal (status, 0);
    assert_non_null (strstr (output, "task  2 (square): 4\n"));
    assert_non_null (strstr (output, "task  3 (segfault): WORKER_DIED: worker "));
    assert_non_null (strstr (output, "died: signal 11 (Segmentation fault), 2 attempts"));
    assert_non_null (strstr (output, "died: signal 6 (Aborted), 2 attempts"));
    assert_non_null (strstr (output, "died: exit 3, 2 attempts"));
    assert_non_null (strstr (output, "task 15 (loop forever): TIMEOUT: task ran over its 1000 ms"));
    assert_non_null (strstr (output, "task 18 (refuse): TASK_FAILED: task failed: input 18"));
    assert_non_null (strstr (output,
                             "20 tasks: 15 succeeded, 5 failed; 6 workers died, "
                             "3 tasks retried, 1 timed out"));
    free (output);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_counter),        cmocka_unit_test (test_shared_dict),
        cmocka_unit_test (test_lock_recovery),  cmocka_unit_test (test_queue_workers),
        cmocka_unit_test (test_barrier_phases), cmocka_unit_test (test_pool_map),
        cmocka_unit_test (test_pool_crash),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
