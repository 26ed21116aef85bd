/*  =========================================================================
    test_fuzz_regressions - the fuzz target bodies (fuzz/fuzz.h) without
    libFuzzer, in every build: over the seed corpus, and over each input a
    fuzzer once crashed on (fuzz/regressions/TARGET/), so a bug fixed stays
    fixed. Every file goes through both bodies: any byte string is a valid
    input to either. A body aborts on a broken promise.
    =========================================================================
*/
#include "testutil.h"
#include "fuzz.h"
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>

//  The fuzz targets: the one folder name each under corpus/ and
//  regressions/.
static const char *s_targets [] = { "codec", "registry" };
#define S_TARGETS (sizeof (s_targets) / sizeof (s_targets [0]))

//  The crashers docs/FUZZING.md tells of ("What the fuzzers have found"),
//  each kept in regressions/registry/: they must be there and run. A new
//  one runs without being named here.
static const char *s_known_crashers [] = { "park-timeout-overflow", "empty-snapshot-replay",
                                           "tight-value-before-malformed", "replay-array-32-gi" };

static const char *
s_root (void)
{
    const char *root = getenv ("ZOWN_FUZZ_DIR");
    assert_non_null (root);
    return root;
}

//  Runs every file of ZOWN_FUZZ_DIR/subdir through both bodies; returns
//  how many there were. A folder that is not there fails the test: a
//  renamed or missing folder must not pass for one with nothing to run.
static size_t
s_run_dir (const char *subdir)
{
    char path [4096];
    snprintf (path, sizeof (path), "%s/%s", s_root (), subdir);
    DIR *dir = opendir (path);
    if (!dir)
        fail_msg ("%s: %s", path, strerror (errno));
    size_t files = 0;
    struct dirent *entry;
    while ((entry = readdir (dir))) {
        if (entry->d_name [0] == '.')
            continue;
        char file [8192];
        snprintf (file, sizeof (file), "%s/%s", path, entry->d_name);
        FILE *input = fopen (file, "rb");
        assert_non_null (input);
        //  The fuzzers run with -max_len 4096; regressions are no longer.
        uint8_t data [4096];
        size_t size = fread (data, 1, sizeof (data), input);
        assert_int_equal (fgetc (input), EOF);
        fclose (input);
        print_message ("%s/%s (%zu octets)\n", subdir, entry->d_name, size);
        assert_int_equal (zown_fuzz_codec (data, size), 0);
        assert_int_equal (zown_fuzz_registry (data, size), 0);
        files++;
    }
    closedir (dir);
    return files;
}

static bool
s_is_target (const char *name)
{
    for (size_t index = 0; index < S_TARGETS; index++)
        if (strcmp (name, s_targets [index]) == 0)
            return true;
    return false;
}

static void
test_seed_corpus (void **state)
{
    (void) state;
    for (size_t index = 0; index < S_TARGETS; index++) {
        char subdir [64];
        snprintf (subdir, sizeof (subdir), "corpus/%s", s_targets [index]);
        if (s_run_dir (subdir) == 0)
            fail_msg ("%s/%s holds no seed", s_root (), subdir);
    }
}

//  Every folder of regressions/ is a target's and holds crashers, each of
//  which runs; those the docs tell of are among them.
static void
test_saved_crashers (void **state)
{
    (void) state;
    char path [4096];
    snprintf (path, sizeof (path), "%s/regressions", s_root ());
    DIR *dir = opendir (path);
    if (!dir)
        fail_msg ("%s: %s", path, strerror (errno));
    size_t crashers = 0;
    struct dirent *entry;
    while ((entry = readdir (dir))) {
        if (entry->d_name [0] == '.')
            continue;
        if (!s_is_target (entry->d_name))
            fail_msg ("%s/%s: not a fuzz target's folder", path, entry->d_name);
        char subdir [300];
        snprintf (subdir, sizeof (subdir), "regressions/%s", entry->d_name);
        size_t files = s_run_dir (subdir);
        if (files == 0)
            fail_msg ("%s/%s holds no crasher", s_root (), subdir);
        crashers += files;
    }
    closedir (dir);
    for (size_t index = 0; index < sizeof (s_known_crashers) / sizeof (char *); index++) {
        char file [8192];
        struct stat info;
        snprintf (file, sizeof (file), "%s/registry/%s", path, s_known_crashers [index]);
        if (stat (file, &info) || !S_ISREG (info.st_mode))
            fail_msg ("%s: not there, so it did not run", file);
    }
    print_message ("%zu saved crashers ran\n", crashers);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_seed_corpus),
        cmocka_unit_test (test_saved_crashers),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
