/*  =========================================================================
    pipeline_wordcount - word frequencies of every text file under a
    directory: ventilator -> worker processes -> sink, counts merged in an
    owner's dict

    The main thread walks DIR and pushes each file's path; each worker
    counts one file's words and adds them to the owner's dict "words" in
    batches of up to 500 DICT_ADD ops per request; it emits one output per
    file (its word count, and whether it was text), which the sink thread
    tallies. Then the top 10 words, the totals and the time are printed.
    With --check, the same files are counted again in this one process and
    the whole owner dict is compared with that count.

    Definitions:
    - a word is a maximal run of ASCII letters (A-Z, a-z), lowercased: any
      other byte (digit, punctuation, space, a byte of a UTF-8 sequence)
      ends a word, so "Don't" is "don" and "t", and "café" is "caf";
    - the files are the regular files under DIR, at any depth; symbolic
      links are not followed;
    - a file is text unless it holds a NUL byte; other files are skipped.

    Usage: pipeline_wordcount [DIR] [--workers N] [--check]
    DIR defaults to /usr/share/common-licenses; N to the number of CPUs.
    Exit status: 0, 1 on any failure (or a --check difference), 2 on usage.
    =========================================================================
*/
#define _GNU_SOURCE
#include <zown.h>
#include <czmq.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

//  DICT_ADD ops per request: a few round trips per file, and well under
//  the owner's limit of 1,024 ops per batch.
#define BATCH 500

//  What a worker reports for one file.
typedef struct {
    uint64_t words;
    uint32_t text;  //  1: counted; 0: skipped, not text
} file_report_t;

//  What the sink thread adds up.
typedef struct {
    uint64_t words;
    uint64_t text_files;
    uint64_t skipped;
} tally_t;

//  ---------------------------------------------------------------------
//  Counting, shared by the workers and the --check pass

static void
s_add_word (zhashx_t *counts, const char *word)
{
    uintptr_t count = (uintptr_t) zhashx_lookup (counts, word);
    if (count)
        zhashx_update (counts, word, (void *) (count + 1));
    else
        zhashx_insert (counts, word, (void *) (uintptr_t) 1);
}

//  Adds the words of the file at path to counts (word -> count, stored in
//  the item pointer) and *words_p; *text_p is false (and nothing is added)
//  for a file with a NUL byte. Returns 0, or -1 if it cannot be read.
static int
s_count_file (const char *path, zhashx_t *counts, uint64_t *words_p, bool *text_p)
{
    FILE *file = fopen (path, "rb");
    if (!file)
        return -1;
    zhashx_t *mine = zhashx_new ();
    char *word = NULL;
    size_t length = 0, capacity = 0;
    uint64_t words = 0;
    bool text = true;
    int byte;
    do {
        byte = getc_unlocked (file);
        if (byte == 0)
            text = false;
        if ((byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z')) {
            if (length + 2 > capacity) {
                capacity = capacity ? capacity * 2 : 64;
                char *longer = realloc (word, capacity);
                if (!longer)
                    break;
                word = longer;
            }
            word [length++] = (char) (byte | 0x20);  //  ASCII lowercase
        } else if (length) {
            word [length] = 0;
            s_add_word (mine, word);
            words++;
            length = 0;
        }
    } while (byte != EOF && text);
    //  A word cut short by a failed realloc is a failure too.
    int rc = ferror (file) || (byte != EOF && text) ? -1 : 0;
    fclose (file);
    if (rc == 0 && text) {
        for (void *item = zhashx_first (mine); item; item = zhashx_next (mine)) {
            const char *key = zhashx_cursor (mine);
            uintptr_t count = (uintptr_t) zhashx_lookup (counts, key);
            if (count)
                zhashx_update (counts, key, (void *) (count + (uintptr_t) item));
            else
                zhashx_insert (counts, key, item);
        }
        *words_p += words;
    }
    *text_p = text;
    free (word);
    zhashx_destroy (&mine);
    return rc;
}

//  ---------------------------------------------------------------------
//  The pipeline

//  Worker: count one file, merge its counts into the owner's dict "words",
//  report to the sink.
static int
s_work (void *args, const void *item, size_t size, zown_pipeline_emit_t *out)
{
    (void) args;
    const char *path = item;
    if (size == 0 || path [size - 1] != 0)
        return -1;
    zhashx_t *counts = zhashx_new ();
    file_report_t report = { 0, 0 };
    bool text;
    if (s_count_file (path, counts, &report.words, &text)) {
        fprintf (stderr, "pipeline_wordcount: %s: cannot read it\n", path);
        zhashx_destroy (&counts);
        return -1;
    }
    report.text = text;
    //  A worker is a process of its own: one request object for its life.
    static zown_request_t *request;
    if (!request)
        request = zown_request_new ();
    zown_client_t *client = zown_pipeline_emit_client (out);
    int rc = request ? 0 : -1;
    if (request)
        zown_request_reset (request);
    for (void *count = zhashx_first (counts); count && rc == 0; count = zhashx_next (counts)) {
        zown_datum_t args [2] = { zown_datum_str (zhashx_cursor (counts)),
                                  zown_datum_int ((int64_t) (uintptr_t) count) };
        rc = zown_request_add (request, ZOWN_OP_DICT_ADD, "words", 2, args);
        if (rc == 0 && zown_request_ops (request) == BATCH) {
            rc = zown_client_call (client, request, NULL);
            zown_request_reset (request);
        }
    }
    if (rc == 0 && zown_request_ops (request))
        rc = zown_client_call (client, request, NULL);
    zhashx_destroy (&counts);
    if (rc) {
        fprintf (stderr, "pipeline_wordcount: %s: %s\n", path, zown_strerror (zown_errno ()));
        return -1;
    }
    return zown_pipeline_emit (out, &report, sizeof (report));
}

static int
s_sink (void *args, const void *data, size_t size, zown_client_t *client)
{
    (void) client;
    tally_t *tally = args;
    file_report_t report;
    if (size != sizeof (report))
        return -1;
    memcpy (&report, data, sizeof (report));
    tally->words += report.words;
    if (report.text)
        tally->text_files++;
    else
        tally->skipped++;
    return 0;
}

//  nftw has no argument for its callback: what the walk feeds.
static zown_pipeline_t *s_pipeline;
static zhashx_t *s_check_counts;
static uint64_t s_check_words;

static int
s_push_file (const char *path, const struct stat *info, int type, struct FTW *walk)
{
    (void) walk;
    if (type == FTW_DNR || type == FTW_NS) {
        fprintf (stderr, "pipeline_wordcount: %s: cannot read it\n", path);
        return 1;
    }
    if (type != FTW_F || !S_ISREG (info->st_mode))
        return 0;
    if (zown_pipeline_push (s_pipeline, path, strlen (path) + 1)) {
        fprintf (stderr, "pipeline_wordcount: push: %s\n", zown_strerror (zown_errno ()));
        return 1;
    }
    return 0;
}

static int
s_count_one (const char *path, const struct stat *info, int type, struct FTW *walk)
{
    (void) walk;
    if (type == FTW_DNR || type == FTW_NS)
        return 1;
    bool text;
    if (type != FTW_F || !S_ISREG (info->st_mode))
        return 0;
    return s_count_file (path, s_check_counts, &s_check_words, &text) ? 1 : 0;
}

//  ---------------------------------------------------------------------
//  Results

typedef struct {
    char *word;
    int64_t count;
} entry_t;

static int
s_by_count (const void *a, const void *b)
{
    const entry_t *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp (x->word, y->word);
}

//  The owner's dict as an array sorted by count, then word; NULL on error.
static entry_t *
s_read_words (zown_client_t *client, size_t *count_p)
{
    zown_dict_t *words = zown_dict_new (client, "words");
    zown_reply_t *items;
    entry_t *entries = NULL;
    if (zown_dict_items (words, &items) == 0) {
        size_t count = zown_reply_count (items, 0) / 2;
        entries = calloc (count + 1, sizeof (entry_t));
        for (size_t index = 0; entries && index < count; index++) {
            entries [index].word = zown_datum_strdup (zown_reply_value (items, 0, 2 * index));
            entries [index].count = zown_reply_value (items, 0, 2 * index + 1).u.i;
        }
        qsort (entries, count, sizeof (entry_t), s_by_count);
        *count_p = count;
    }
    zown_dict_destroy (&words);
    return entries;
}

//  Counts DIR again in this process and compares with the owner's words.
static bool
s_check (const char *dir, const entry_t *entries, size_t count)
{
    s_check_counts = zhashx_new ();
    bool equal =
        nftw (dir, s_count_one, 32, FTW_PHYS) == 0 && zhashx_size (s_check_counts) == count;
    for (size_t index = 0; equal && index < count; index++)
        equal = (int64_t) (uintptr_t) zhashx_lookup (s_check_counts, entries [index].word)
            == entries [index].count;
    zhashx_destroy (&s_check_counts);
    return equal;
}

static double
s_seconds (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (double) now.tv_sec + (double) now.tv_nsec / 1e9;
}

static int
s_usage (void)
{
    fprintf (stderr, "usage: pipeline_wordcount [DIR] [--workers N] [--check]\n");
    return 2;
}

int
main (int argc, char *argv [])
{
    //  The fork server first, while this process has one thread: every
    //  worker is forked from it (docs/FORK.md).
    zown_spawner_t *spawner = zown_spawner_new ();
    if (!spawner) {
        fprintf (stderr, "pipeline_wordcount: spawner: %s\n", zown_strerror (zown_errno ()));
        return 1;
    }
    const char *dir = "/usr/share/common-licenses";
    long workers = sysconf (_SC_NPROCESSORS_ONLN);
    bool check = false;
    for (int index = 1; index < argc; index++) {
        if (strcmp (argv [index], "--check") == 0)
            check = true;
        else if (strcmp (argv [index], "--workers") == 0 && index + 1 < argc) {
            char *end;
            workers = strtol (argv [++index], &end, 10);
            if (*end || workers < 1 || workers > ZOWN_PIPELINE_WORKERS_MAX)
                return s_usage ();
        } else if (argv [index][0] != '-')
            dir = argv [index];
        else
            return s_usage ();
    }
    if (workers < 1)
        workers = 1;

    int failed = 1;
    tally_t tally = { 0, 0, 0 };
    zown_owner_t *owner = zown_owner_new ("pipeline-wordcount");
    zown_pipeline_config_t config = { .name = "wordcount",
                                      .workers = (size_t) workers,
                                      .spawner = spawner,
                                      .work = s_work,
                                      .sink = s_sink,
                                      .sink_args = &tally,
                                      .owner = owner ? zown_owner_ipc (owner) : NULL };
    double start = s_seconds ();
    s_pipeline = owner ? zown_pipeline_new (&config) : NULL;
    if (!s_pipeline)
        fprintf (stderr, "pipeline_wordcount: start: %s\n", zown_strerror (zown_errno ()));
    else if (nftw (dir, s_push_file, 32, FTW_PHYS) != 0)
        fprintf (stderr, "pipeline_wordcount: cannot walk %s\n", dir);
    else if (zown_pipeline_finish (s_pipeline, 600000))
        fprintf (stderr, "pipeline_wordcount: %s: %s\n", zown_strerror (zown_errno ()),
                 zown_pipeline_failure (s_pipeline));
    else
        failed = 0;
    double elapsed = s_seconds () - start;
    zown_pipeline_destroy (&s_pipeline);

    zown_client_t *client = owner ? zown_client_new (zown_owner_inproc (owner)) : NULL;
    size_t count = 0;
    entry_t *entries = failed ? NULL : s_read_words (client, &count);
    if (!failed && !entries) {
        fprintf (stderr, "pipeline_wordcount: reading the words: %s\n",
                 zown_strerror (zown_errno ()));
        failed = 1;
    }
    if (entries) {
        int64_t total = 0;
        for (size_t index = 0; index < count; index++)
            total += entries [index].count;
        printf ("files: %" PRIu64 " text, %" PRIu64 " skipped (not text)\n", tally.text_files,
                tally.skipped);
        printf ("total words: %" PRId64 "\n", total);
        printf ("distinct words: %zu\n", count);
        printf ("top 10:\n");
        for (size_t index = 0; index < count && index < 10; index++)
            printf ("%8" PRId64 "  %s\n", entries [index].count, entries [index].word);
        printf ("elapsed: %.3f s, %ld workers\n", elapsed, workers);
        //  The sink's tally and the owner's dict come by different roads.
        if ((uint64_t) total != tally.words) {
            fprintf (stderr, "pipeline_wordcount: the sink counted %" PRIu64 " words\n",
                     tally.words);
            failed = 1;
        }
        if (check) {
            bool equal = s_check (dir, entries, count);
            printf ("check: %s\n", equal ? "equal" : "DIFFERENT from a single-process count");
            failed |= !equal;
        }
        for (size_t index = 0; index < count; index++)
            free (entries [index].word);
        free (entries);
    }
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
    zown_spawner_destroy (&spawner);
    return failed;
}
