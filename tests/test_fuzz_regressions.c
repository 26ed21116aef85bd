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

//  Runs every file of ZOWN_FUZZ_DIR/subdir through both bodies; returns
//  how many there were. A missing directory has none.
static size_t
s_run_dir (const char *subdir)
{
    const char *root = getenv ("ZOWN_FUZZ_DIR");
    assert_non_null (root);
    char path [4096];
    snprintf (path, sizeof (path), "%s/%s", root, subdir);
    DIR *dir = opendir (path);
    if (!dir)
        return 0;
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

static void
test_seed_corpus (void **state)
{
    (void) state;
    assert_true (s_run_dir ("corpus/codec") > 0);
    assert_true (s_run_dir ("corpus/registry") > 0);
}

static void
test_saved_crashers (void **state)
{
    (void) state;
    s_run_dir ("regressions/codec");
    s_run_dir ("regressions/registry");
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
