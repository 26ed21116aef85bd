/*  =========================================================================
    test_examples - the examples a new user copies from run and print the
    right answers (the built binaries, as a user runs them)
    =========================================================================
*/
#include "testutil.h"
#include <signal.h>
#include <sys/stat.h>

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
    assert_non_null (strstr (output, "consumer 0 was killed (SIGKILL) holding job "));
    assert_non_null (strstr (output, "its job came back to the queue and was redone:\n  job "));
    assert_non_null (strstr (output, "(delivery 2)\n"));
    assert_non_null (strstr (output, "1000 of 1000 jobs handled, each exactly once"));
    free (output);
    output = s_run ("queue_workers 10 1", &status);
    assert_int_equal (status, 2);
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

//  Ctrl-C as a terminal sends it: pool_map on ranges that would take hours
//  gets SIGINT once its first map has started, cancels it, says how far it
//  got and exits 130.
static void
test_pool_map_interrupted (void **state)
{
    (void) state;
    const char *dir = getenv ("ZOWN_EXAMPLES_DIR");
    assert_non_null (dir);
    testutil_private_rundir ();
    char program [512];
    snprintf (program, sizeof (program), "%s/pool_map", dir);
    int out [2];
    assert_int_equal (pipe (out), 0);
    pid_t pid = fork ();
    assert_true (pid >= 0);
    if (pid == 0) {
        dup2 (out [1], STDOUT_FILENO);
        close (out [0]);
        close (out [1]);
        execl (program, program, "--limit", "4000000000", "--chunk", "20000000", "--workers", "2",
               (char *) NULL);
        _exit (127);
    }
    close (out [1]);
    FILE *output = fdopen (out [0], "r");
    assert_non_null (output);
    char line [256];
    assert_non_null (fgets (line, sizeof (line), output));
    assert_string_equal (line, "mapping 200 ranges on 1 worker (Ctrl-C cancels)\n");
    assert_int_equal (kill (pid, SIGINT), 0);
    assert_non_null (fgets (line, sizeof (line), output));
    if (!strstr (line, "ranges done, the rest cancelled"))
        fail_msg ("line: %s", line);
    assert_null (fgets (line, sizeof (line), output));
    fclose (output);
    assert_int_equal (testutil_wait (pid), 130);
}

static void
test_pipeline_wordcount (void **state)
{
    (void) state;
    int status;
    char *output =
        s_run ("pipeline_wordcount /usr/share/common-licenses --check --workers 2", &status);
    assert_int_equal (status, 0);
    assert_non_null (strstr (output, "check: equal\n"));
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

static void
s_write_file (const char *dir, const char *name, const char *bytes, size_t size)
{
    char path [512];
    snprintf (path, sizeof (path), "%s/%s", dir, name);
    FILE *file = fopen (path, "wb");
    assert_non_null (file);
    assert_int_equal (fwrite (bytes, 1, size, file), size);
    assert_int_equal (fclose (file), 0);
}

//  A directory whose words are known: the definitions of the example's
//  banner (letters only, lowercased; NUL means not text; symlinks not
//  followed), counted exactly.
static void
test_pipeline_wordcount_known_words (void **state)
{
    (void) state;
    testutil_private_rundir ();
    char dir [256], sub [300], deeper [320], link_path [340], command [512];
    snprintf (dir, sizeof (dir), "%s/words", getenv ("ZOWN_RUNDIR"));
    snprintf (sub, sizeof (sub), "%s/sub", dir);
    snprintf (deeper, sizeof (deeper), "%s/deeper", sub);
    assert_int_equal (mkdir (dir, 0700), 0);
    assert_int_equal (mkdir (sub, 0700), 0);
    assert_int_equal (mkdir (deeper, 0700), 0);
    s_write_file (dir, "a.txt", "Hello, hello world!\n", 20);
    s_write_file (sub, "b.txt", "World's end; don't STOP. HELLO123abc\n", 37);
    s_write_file (deeper, "c.txt", "caf\xc3\xa9 Caf\xc3\xa9 end", 15);
    s_write_file (dir, "empty.txt", "", 0);
    s_write_file (dir, "binary.bin", "hello\0world", 11);
    snprintf (link_path, sizeof (link_path), "%s/link.txt", dir);
    assert_int_equal (symlink ("a.txt", link_path), 0);

    int status;
    snprintf (command, sizeof (command), "pipeline_wordcount %s --workers 3 --check", dir);
    char *output = s_run (command, &status);
    assert_int_equal (status, 0);
    if (!strstr (output,
                 "files: 4 text, 1 skipped (not text)\n"
                 "total words: 14\n"
                 "distinct words: 9\n"
                 "top 10:\n"
                 "       3  hello\n"
                 "       2  caf\n"
                 "       2  end\n"
                 "       2  world\n"
                 "       1  abc\n"
                 "       1  don\n"
                 "       1  s\n"
                 "       1  stop\n"
                 "       1  t\n"
                 "elapsed: "))
        fail_msg ("output:\n%s", output);
    assert_non_null (strstr (output, "s, 3 workers\ncheck: equal\n"));
    free (output);
}

//  Files whose words are known, merged by four workers into one dict:
//  the exact counts, sorted by count then word; a file that cannot be read
//  is named in the error.
static void
test_wordfreq (void **state)
{
    (void) state;
    testutil_private_rundir ();
    const char *dir = getenv ("ZOWN_RUNDIR");
    s_write_file (dir, "one.txt", "The cat; the DOG.\n", 18);
    s_write_file (dir, "two.txt", "dog, dog! cat 42", 16);
    s_write_file (dir, "empty.txt", "", 0);
    char command [1024];
    snprintf (command, sizeof (command), "wordfreq %s/one.txt %s/two.txt %s/empty.txt", dir, dir,
              dir);
    int status;
    char *output = s_run (command, &status);
    assert_int_equal (status, 0);
    assert_string_equal (output,
                         "4 distinct words\n"
                         "      3 dog\n"
                         "      2 cat\n"
                         "      2 the\n"
                         "      1 42\n");
    free (output);
    snprintf (command, sizeof (command), "wordfreq %s/one.txt %s/absent.txt 2>&1", dir, dir);
    output = s_run (command, &status);
    assert_int_equal (status, 1);
    assert_non_null (strstr (output, "absent.txt: task failed: cannot open "));
    free (output);
}

static void
test_job_queue (void **state)
{
    (void) state;
    int status;
    char *output = s_run ("job_queue 1000", &status);
    assert_int_equal (status, 0);
    assert_string_equal (output,
                         "consumer 0 was killed (SIGKILL) holding job 0\n"
                         "1000 of 1000 jobs done, each exactly once: yes\n");
    free (output);
}

//  Two files of known sizes: both reported in order, each smaller once
//  compressed, and the totals add up.
static void
test_compress_pool (void **state)
{
    (void) state;
    char program [512];
    snprintf (program, sizeof (program), "%s/compress_pool", getenv ("ZOWN_EXAMPLES_DIR"));
    if (access (program, X_OK) != 0)
        skip ();  //  Built only where zlib is installed
    testutil_private_rundir ();
    const char *dir = getenv ("ZOWN_RUNDIR");
    char text [4000];
    for (size_t index = 0; index < sizeof (text); index++)
        text [index] = "zown owns " [index % 10];
    s_write_file (dir, "a", text, 4000);
    s_write_file (dir, "b", text, 1000);
    char command [1024];
    snprintf (command, sizeof (command), "compress_pool %s/a %s/b", dir, dir);
    int status;
    char *output = s_run (command, &status);
    assert_int_equal (status, 0);
    unsigned long size_a, packed_a, size_b, packed_b, total, packed;
    char path_a [256], path_b [256];
    if (sscanf (output, "%lu -> %lu bytes %255s %lu -> %lu bytes %255s %lu -> %lu bytes in 2 files",
                &size_a, &packed_a, path_a, &size_b, &packed_b, path_b, &total, &packed)
        != 8)
        fail_msg ("output:\n%s", output);
    assert_int_equal (size_a, 4000);
    assert_int_equal (size_b, 1000);
    assert_true (packed_a < 100 && packed_b < 100);
    assert_int_equal (total, 5000);
    assert_int_equal (packed, packed_a + packed_b);
    assert_non_null (strstr (path_a, "/a"));
    assert_non_null (strstr (path_b, "/b"));
    free (output);
}

static void
test_event_loop (void **state)
{
    (void) state;
    int status;
    char *output = s_run ("event_loop 2000", &status);
    assert_int_equal (status, 0);
    assert_non_null (
        strstr (output, "counter = 2000 after 2000 increments, 100 in flight at most\n"));
    free (output);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_counter),
        cmocka_unit_test (test_shared_dict),
        cmocka_unit_test (test_lock_recovery),
        cmocka_unit_test (test_queue_workers),
        cmocka_unit_test (test_barrier_phases),
        cmocka_unit_test (test_pool_map),
        cmocka_unit_test (test_pool_map_interrupted),
        cmocka_unit_test (test_pool_crash),
        cmocka_unit_test (test_pipeline_wordcount),
        cmocka_unit_test (test_pipeline_wordcount_known_words),
        cmocka_unit_test (test_wordfreq),
        cmocka_unit_test (test_job_queue),
        cmocka_unit_test (test_compress_pool),
        cmocka_unit_test (test_event_loop),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
