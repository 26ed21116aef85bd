/*  =========================================================================
    test_journal - the durability journal: a writer SIGKILLed after each
    commit, round trips in every fsync mode, torn and corrupt tails set
    aside, a write that cannot complete, snapshots (also a crash between
    their rename and the log's truncation, and damaged ones), the lock
    =========================================================================
*/
#include "testutil.h"
#include "zown_internal.h"
#include "journal/journal.h"
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#define S_HEADER 16  //  The log's file header
#define S_RECORD 21  //  A record's header

//  The private directory every journal of this program lives in.
static char s_dir [256];

//  One record, as appended or as applied.
typedef struct {
    uint64_t seq;
    uint8_t kind;
    uint8_t *data;
    size_t size;
} s_entry_t;

//  What apply saw, and the record it refuses (SIZE_MAX: none).
typedef struct {
    s_entry_t *entries;
    size_t count;
    size_t capacity;
    size_t refuse_at;
} s_seen_t;

static void
s_path (char *path, const char *name)
{
    snprintf (path, 512, "%s/%s", s_dir, name);
}

static void
s_fill (uint8_t *data, size_t size, uint64_t seq)
{
    for (size_t index = 0; index < size; index++)
        data [index] = (uint8_t) (seq * 31 + index * 7);
}

//  Records of the given sizes, seqs from `first` with gaps, kinds 1..255.
static void
s_make (s_entry_t *entries, size_t count, uint64_t first, const size_t *sizes)
{
    for (size_t index = 0; index < count; index++) {
        s_entry_t *entry = &entries [index];
        entry->seq = first + index * 3;
        entry->kind = (uint8_t) (1 + (index * 97) % 255);
        entry->size = sizes [index];
        entry->data = malloc (entry->size + 1);
        assert_non_null (entry->data);
        s_fill (entry->data, entry->size, entry->seq);
    }
}

static void
s_free_entries (s_entry_t *entries, size_t count)
{
    for (size_t index = 0; index < count; index++)
        free (entries [index].data);
}

static int
s_apply (void *arg, uint64_t seq, uint8_t kind, const void *data, size_t size)
{
    s_seen_t *seen = (s_seen_t *) arg;
    if (seen->count == seen->refuse_at)
        return -1;
    if (seen->count == seen->capacity) {
        seen->capacity = seen->capacity ? seen->capacity * 2 : 16;
        seen->entries = realloc (seen->entries, seen->capacity * sizeof (s_entry_t));
        assert_non_null (seen->entries);
    }
    s_entry_t *entry = &seen->entries [seen->count++];
    entry->seq = seq;
    entry->kind = kind;
    entry->size = size;
    entry->data = malloc (size + 1);
    assert_non_null (entry->data);
    memcpy (entry->data, data, size);
    return 0;
}

//  Forget what was seen; `release` also frees the array.
static void
s_seen_reset (s_seen_t *seen, bool release)
{
    s_free_entries (seen->entries, seen->count);
    seen->count = 0;
    seen->refuse_at = SIZE_MAX;
    if (release) {
        free (seen->entries);
        seen->entries = NULL;
        seen->capacity = 0;
    }
}

//  Seen entries [from, from + count) are exactly `expected`.
static void
s_assert_seen (const s_seen_t *seen, size_t from, const s_entry_t *expected, size_t count)
{
    assert_true (seen->count >= from + count);
    for (size_t index = 0; index < count; index++) {
        const s_entry_t *entry = &seen->entries [from + index];
        assert_int_equal (entry->seq, expected [index].seq);
        assert_int_equal (entry->kind, expected [index].kind);
        assert_int_equal (entry->size, expected [index].size);
        assert_memory_equal (entry->data, expected [index].data, entry->size);
    }
}

static zown_journal_t *
s_open (const char *path, zown_fsync_t mode, s_seen_t *seen, zown_journal_recovery_t *recovery)
{
    if (seen)
        s_seen_reset (seen, false);
    zown_journal_t *journal = zown_journal_open (path, mode, seen ? s_apply : NULL, seen, recovery);
    if (!journal)
        fail_msg ("open %s: %s (%s)", path, zown_strerror (zown_errno ()),
                  recovery ? recovery->problem : "");
    return journal;
}

static void
s_append (zown_journal_t *journal, const s_entry_t *entries, size_t count)
{
    for (size_t index = 0; index < count; index++)
        assert_int_equal (zown_journal_append (journal, entries [index].seq, entries [index].kind,
                                               entries [index].data, entries [index].size),
                          0);
    assert_int_equal (zown_journal_commit (journal), 0);
}

static uint8_t *
s_read_file (const char *path, size_t *size_p)
{
    int fd = open (path, O_RDONLY);
    assert_true (fd >= 0);
    struct stat info;
    assert_int_equal (fstat (fd, &info), 0);
    uint8_t *data = malloc ((size_t) info.st_size + 1);
    assert_non_null (data);
    assert_int_equal (read (fd, data, (size_t) info.st_size), info.st_size);
    close (fd);
    *size_p = (size_t) info.st_size;
    return data;
}

static void
s_write_file (const char *path, const void *data, size_t size)
{
    int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true (fd >= 0);
    assert_int_equal (write (fd, data, size), (ssize_t) size);
    close (fd);
}

static bool
s_exists (const char *path)
{
    return access (path, F_OK) == 0;
}

//  Files of the private directory whose name holds ".corrupt-".
static int
s_corrupt_files (void)
{
    DIR *dir = opendir (s_dir);
    assert_non_null (dir);
    int count = 0;
    struct dirent *entry;
    while ((entry = readdir (dir)))
        count += strstr (entry->d_name, ".corrupt-") != NULL;
    closedir (dir);
    return count;
}

//  Offset of record `index` in a log of `entries`.
static size_t
s_offset (const s_entry_t *entries, size_t index)
{
    size_t offset = S_HEADER;
    for (size_t before = 0; before < index; before++)
        offset += S_RECORD + entries [before].size;
    return offset;
}

//  ---------------------------------------------------------------------

//  Runs first, while this process has one thread, because it forks.
static void
test_killed_writer_loses_no_commit (void **state)
{
    (void) state;
    char path [512];
    s_path (path, "killed");
    int pipe_fds [2];
    assert_int_equal (pipe (pipe_fds), 0);
    pid_t pid = fork ();
    assert_true (pid >= 0);
    if (pid == 0) {
        close (pipe_fds [0]);
        zown_journal_t *journal = zown_journal_open (path, ZOWN_FSYNC_ALWAYS, NULL, NULL, NULL);
        if (!journal)
            _exit (1);
        uint8_t payload [100];
        for (uint64_t seq = 1;; seq++) {
            s_fill (payload, sizeof (payload), seq);
            if (zown_journal_append (journal, seq, 1, payload, sizeof (payload))
                || zown_journal_commit (journal))
                _exit (2);
            //  Reported only once committed: the parent's proof of durability.
            if (write (pipe_fds [1], &seq, sizeof (seq)) != sizeof (seq))
                _exit (3);
        }
    }
    close (pipe_fds [1]);
    uint64_t reported = 0;
    uint64_t seq;
    for (int count = 0; count < 200; count++) {
        assert_int_equal (read (pipe_fds [0], &seq, sizeof (seq)), sizeof (seq));
        reported = seq;
    }
    assert_int_equal (kill (pid, SIGKILL), 0);
    assert_int_equal (testutil_wait (pid), 128 + SIGKILL);
    //  What it reported after the 200th, before it died.
    while (read (pipe_fds [0], &seq, sizeof (seq)) == sizeof (seq))
        reported = seq;
    close (pipe_fds [0]);

    s_seen_t seen = { .refuse_at = SIZE_MAX };
    zown_journal_recovery_t recovery;
    zown_journal_t *journal = s_open (path, ZOWN_FSYNC_ALWAYS, &seen, &recovery);
    assert_true (seen.count >= reported);
    uint8_t payload [100];
    for (size_t index = 0; index < seen.count; index++) {
        assert_int_equal (seen.entries [index].seq, index + 1);
        s_fill (payload, sizeof (payload), index + 1);
        assert_int_equal (seen.entries [index].size, sizeof (payload));
        assert_memory_equal (seen.entries [index].data, payload, sizeof (payload));
    }
    assert_int_equal (recovery.last_seq, seen.count);
    zown_journal_destroy (&journal);
    s_seen_reset (&seen, true);
}

//  Bit by bit, the definition, to check the fast ones against.
static uint32_t
s_crc_reference (const uint8_t *data, size_t size)
{
    uint32_t crc = ~0u;
    for (size_t index = 0; index < size; index++) {
        crc ^= data [index];
        for (int bit = 0; bit < 8; bit++)
            crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1)));
    }
    return ~crc;
}

//  RFC 3720 (iSCSI) appendix B.4 vectors, a classic check value, and every
//  alignment and tail length against the definition.
static void
s_crc_check (zown_crc32c_fn *crc32c)
{
    uint8_t data [48];
    memset (data, 0, 32);
    assert_int_equal (crc32c (0, data, 32), 0x8A9136AA);
    memset (data, 0xFF, 32);
    assert_int_equal (crc32c (0, data, 32), 0x62A8AB43);
    for (int index = 0; index < 32; index++)
        data [index] = (uint8_t) index;
    assert_int_equal (crc32c (0, data, 32), 0x46DD794E);
    for (int index = 0; index < 32; index++)
        data [index] = (uint8_t) (31 - index);
    assert_int_equal (crc32c (0, data, 32), 0x113FDB5C);
    static const uint8_t pdu [48] = { 0x01, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00,
                                      0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00,
                                      0x00, 0x18, 0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                      0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 };
    assert_int_equal (crc32c (0, pdu, sizeof (pdu)), 0xD9963A56);
    assert_int_equal (crc32c (0, "123456789", 9), 0xE3069283);
    assert_int_equal (crc32c (0, "", 0), 0);
    //  Continues across pieces, as records are checked header then payload.
    assert_int_equal (crc32c (crc32c (0, "1234", 4), "56789", 5), 0xE3069283);
    uint8_t bytes [100];
    for (size_t index = 0; index < sizeof (bytes); index++)
        bytes [index] = (uint8_t) (index * 37 + 11);
    for (size_t start = 0; start < 8; start++)
        for (size_t size = 0; start + size <= sizeof (bytes); size++)
            assert_int_equal (crc32c (0, bytes + start, size),
                              s_crc_reference (bytes + start, size));
}

static void
test_crc32c (void **state)
{
    (void) state;
    s_crc_check (zown_crc32c);
    s_crc_check (zown_crc32c_portable);
    zown_crc32c_fn *hardware = zown_crc32c_hardware ();
    if (hardware)
        s_crc_check (hardware);
    else
        print_message ("no SSE4.2 crc32 here: only the portable CRC-32C checked\n");
}

//  The example of docs/DURABILITY.md, octet for octet.
static void
test_log_layout (void **state)
{
    (void) state;
    char path [512];
    s_path (path, "layout");
    zown_journal_t *journal = s_open (path, ZOWN_FSYNC_NO, NULL, NULL);
    assert_int_equal (zown_journal_append (journal, 1, 2, "hi", 2), 0);
    zown_journal_destroy (&journal);
    const uint8_t expected [] = { 'Z', 'O', 'W', 'N', 'L', 'O',  'G',  '1',  0,    0,   0,  1, 0, 0,
                                  0,   0,   'Z', 'R', 'E', 'C',  0,    0,    0,    2,   0,  0, 0, 0,
                                  0,   0,   0,   1,   2,   0xa7, 0x3b, 0x2a, 0xd5, 'h', 'i' };
    size_t size;
    uint8_t *log = s_read_file (path, &size);
    assert_int_equal (size, sizeof (expected));
    assert_memory_equal (log, expected, size);
    free (log);
}

static void
test_fsync_parse (void **state)
{
    (void) state;
    zown_fsync_t mode = ZOWN_FSYNC_NO;
    assert_int_equal (zown_fsync_parse ("always", &mode), 0);
    assert_int_equal (mode, ZOWN_FSYNC_ALWAYS);
    assert_int_equal (zown_fsync_parse ("everysec", &mode), 0);
    assert_int_equal (mode, ZOWN_FSYNC_EVERYSEC);
    assert_int_equal (zown_fsync_parse ("no", &mode), 0);
    assert_int_equal (mode, ZOWN_FSYNC_NO);
    const char *wrong [] = { "ALWAYS", "", "never", "always ", "everysecond", NULL };
    for (size_t index = 0; index < sizeof (wrong) / sizeof (wrong [0]); index++) {
        assert_int_equal (zown_fsync_parse (wrong [index], &mode), -1);
        assert_int_equal (zown_errno (), ZOWN_INVALID);
        assert_int_equal (mode, ZOWN_FSYNC_NO);
    }
    assert_int_equal (zown_fsync_parse ("always", NULL), -1);
}

static void
test_round_trip_every_mode (void **state)
{
    (void) state;
    const size_t sizes [] = { 0, 1, 1 << 20, 100, 0, 7 };
    const size_t count = sizeof (sizes) / sizeof (sizes [0]);
    const zown_fsync_t modes [] = { ZOWN_FSYNC_ALWAYS, ZOWN_FSYNC_EVERYSEC, ZOWN_FSYNC_NO };
    const char *names [] = { "always", "everysec", "no" };
    s_entry_t entries [6];
    s_make (entries, count, 1, sizes);
    s_seen_t seen = { .refuse_at = SIZE_MAX };
    for (size_t round = 0; round < 3; round++) {
        char path [512];
        s_path (path, names [round]);
        zown_journal_recovery_t recovery;
        zown_journal_t *journal = s_open (path, modes [round], &seen, &recovery);
        assert_int_equal (seen.count, 0);
        assert_int_equal (recovery.last_seq, 0);
        assert_int_equal (recovery.bad_offset, S_HEADER);
        assert_int_equal (recovery.bad_bytes, 0);
        assert_string_equal (recovery.problem, "");
        assert_int_equal (zown_journal_log_size (journal), S_HEADER);
        //  A commit with nothing appended, then one per record, then a batch.
        assert_int_equal (zown_journal_commit (journal), 0);
        s_append (journal, entries, 1);
        s_append (journal, entries + 1, count - 1);
        assert_int_equal (zown_journal_commit (journal), 0);
        assert_int_equal (zown_journal_log_size (journal), s_offset (entries, count));
        zown_journal_destroy (&journal);
        assert_null (journal);
        zown_journal_destroy (&journal);

        journal = s_open (path, modes [round], &seen, &recovery);
        assert_int_equal (seen.count, count);
        s_assert_seen (&seen, 0, entries, count);
        assert_int_equal (recovery.snapshot_seq, 0);
        assert_int_equal (recovery.log_records, count);
        assert_int_equal (recovery.last_seq, entries [count - 1].seq);
        assert_int_equal (recovery.bad_offset, s_offset (entries, count));
        assert_int_equal (recovery.bad_bytes, 0);
        assert_string_equal (recovery.set_aside, "");
        assert_string_equal (recovery.problem, "");
        //  Seqs keep growing across opens.
        assert_int_equal (zown_journal_append (journal, entries [count - 1].seq, 1, "x", 1), -1);
        assert_int_equal (zown_errno (), ZOWN_INVALID);
        assert_int_equal (zown_journal_append (journal, entries [count - 1].seq + 1, 1, "x", 1), 0);
        zown_journal_destroy (&journal);
        journal = s_open (path, modes [round], &seen, NULL);
        assert_int_equal (seen.count, count + 1);
        zown_journal_destroy (&journal);
    }
    s_seen_reset (&seen, true);
    s_free_entries (entries, count);
}

static void
test_bad_arguments (void **state)
{
    (void) state;
    char path [512];
    s_path (path, "arguments");
    zown_journal_recovery_t recovery;
    assert_null (zown_journal_open (NULL, ZOWN_FSYNC_NO, NULL, NULL, &recovery));
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_null (zown_journal_open ("", ZOWN_FSYNC_NO, NULL, NULL, &recovery));
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_null (zown_journal_open (path, (zown_fsync_t) 7, NULL, NULL, &recovery));
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    char missing [512];
    s_path (missing, "no-such-dir/log");
    assert_null (zown_journal_open (missing, ZOWN_FSYNC_NO, NULL, NULL, &recovery));
    assert_int_equal (zown_errno (), ZOWN_SYSTEM);
    assert_int_equal (errno, ENOENT);

    zown_journal_t *journal = s_open (path, ZOWN_FSYNC_NO, NULL, NULL);
    assert_int_equal (zown_journal_append (journal, 1, 0, "x", 1), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_int_equal (zown_journal_append (journal, 0, 1, "x", 1), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_int_equal (zown_journal_append (journal, 1, 1, NULL, 1), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    //  Refused before a byte of it is read.
    assert_int_equal (zown_journal_append (journal, 1, 1, "x", ZOWN_JOURNAL_RECORD_MAX + 1), -1);
    assert_int_equal (zown_errno (), ZOWN_TOO_LARGE);
    assert_int_equal (zown_journal_append (NULL, 1, 1, "x", 1), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_int_equal (zown_journal_commit (NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_int_equal (zown_journal_log_size (NULL), 0);
    assert_int_equal (zown_journal_append (journal, 5, 1, NULL, 0), 0);
    assert_int_equal (zown_journal_append (journal, 5, 1, NULL, 0), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);

    //  Snapshot calls out of order.
    assert_int_equal (zown_journal_snapshot_add (journal, 1, "x", 1), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_int_equal (zown_journal_snapshot_commit (journal), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    zown_journal_snapshot_abort (journal);
    zown_journal_snapshot_abort (NULL);
    assert_int_equal (zown_journal_snapshot_begin (journal, 0), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_int_equal (zown_journal_snapshot_begin (journal, 4), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_int_equal (zown_journal_snapshot_begin (journal, 5), 0);
    assert_int_equal (zown_journal_snapshot_begin (journal, 5), -1);
    assert_int_equal (zown_errno (), ZOWN_BUSY);
    assert_int_equal (zown_journal_append (journal, 6, 1, "x", 1), -1);
    assert_int_equal (zown_errno (), ZOWN_BUSY);
    char tmp [600];
    snprintf (tmp, sizeof (tmp), "%s.snap.tmp", path);
    assert_true (s_exists (tmp));
    //  A failed add abandons the snapshot.
    assert_int_equal (zown_journal_snapshot_add (journal, 0, "x", 1), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_false (s_exists (tmp));
    assert_int_equal (zown_journal_snapshot_commit (journal), -1);
    assert_int_equal (zown_journal_snapshot_begin (journal, 5), 0);
    assert_int_equal (zown_journal_snapshot_add (journal, 1, "x", ZOWN_JOURNAL_RECORD_MAX + 1), -1);
    assert_int_equal (zown_errno (), ZOWN_TOO_LARGE);
    assert_false (s_exists (tmp));
    //  Abort, and destroy with a snapshot open, leave no temporary file.
    assert_int_equal (zown_journal_snapshot_begin (journal, 5), 0);
    assert_int_equal (zown_journal_snapshot_add (journal, 1, "x", 1), 0);
    zown_journal_snapshot_abort (journal);
    assert_false (s_exists (tmp));
    assert_int_equal (zown_journal_append (journal, 6, 1, "x", 1), 0);
    assert_int_equal (zown_journal_snapshot_begin (journal, 6), 0);
    zown_journal_destroy (&journal);
    assert_false (s_exists (tmp));
    zown_journal_destroy (NULL);

    s_seen_t seen = { .refuse_at = SIZE_MAX };
    journal = s_open (path, ZOWN_FSYNC_NO, &seen, &recovery);
    assert_int_equal (seen.count, 2);
    assert_int_equal (recovery.snapshot_seq, 0);
    zown_journal_destroy (&journal);
    s_seen_reset (&seen, true);
}

static void
test_files_that_are_not_journals (void **state)
{
    (void) state;
    char path [512];
    s_path (path, "foreign");
    const char *text = "this is not a journal, leave it alone";
    s_write_file (path, text, strlen (text));
    zown_journal_recovery_t recovery;
    assert_null (zown_journal_open (path, ZOWN_FSYNC_NO, NULL, NULL, &recovery));
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_string_equal (recovery.problem, "log: not a zown journal file");
    size_t size;
    uint8_t *data = s_read_file (path, &size);
    assert_int_equal (size, strlen (text));
    free (data);

    //  A later version, and a header torn after the magic is not a prefix.
    uint8_t header [S_HEADER] = { 'Z', 'O', 'W', 'N', 'L', 'O', 'G', '1', 0, 0, 0, 2, 0, 0, 0, 0 };
    s_write_file (path, header, S_HEADER);
    assert_null (zown_journal_open (path, ZOWN_FSYNC_NO, NULL, NULL, &recovery));
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_string_equal (recovery.problem, "log: unsupported version 2 (flags 0)");
    s_write_file (path, "ZOWNSNP1", 8);
    assert_null (zown_journal_open (path, ZOWN_FSYNC_NO, NULL, NULL, &recovery));
    assert_string_equal (recovery.problem, "log: truncated header");

    //  A creation cut inside the header holds no record: a new log.
    header [11] = 1;
    s_write_file (path, header, 11);
    zown_journal_t *journal = s_open (path, ZOWN_FSYNC_NO, NULL, &recovery);
    assert_string_equal (recovery.problem, "");
    assert_int_equal (recovery.bad_offset, S_HEADER);
    assert_int_equal (zown_journal_log_size (journal), S_HEADER);
    zown_journal_destroy (&journal);
    data = s_read_file (path, &size);
    assert_int_equal (size, S_HEADER);
    assert_memory_equal (data, header, S_HEADER);
    free (data);
}

//  Writes a log of `entries` cut `cut` bytes into its last record, opens it
//  and checks the recovery, then appends one more and reopens.
static void
s_check_cut (const char *path, const uint8_t *log, const s_entry_t *entries, size_t count,
             size_t cut)
{
    size_t last = s_offset (entries, count - 1);
    s_write_file (path, log, last + cut);
    s_seen_t seen = { .refuse_at = SIZE_MAX };
    zown_journal_recovery_t recovery;
    zown_journal_t *journal = s_open (path, ZOWN_FSYNC_NO, &seen, &recovery);
    assert_int_equal (seen.count, count - 1);
    s_assert_seen (&seen, 0, entries, count - 1);
    assert_int_equal (recovery.bad_offset, last);
    assert_int_equal (recovery.bad_bytes, cut);
    assert_int_equal (zown_journal_log_size (journal), last);
    if (cut == 0) {
        assert_string_equal (recovery.problem, "");
        assert_string_equal (recovery.set_aside, "");
    } else {
        char problem [64];
        snprintf (problem, sizeof (problem), "truncated record at record %zu", count - 1);
        assert_string_equal (recovery.problem, problem);
        char prefix [600];
        snprintf (prefix, sizeof (prefix), "%s.corrupt-", path);
        assert_memory_equal (recovery.set_aside, prefix, strlen (prefix));
        size_t size;
        uint8_t *aside = s_read_file (recovery.set_aside, &size);
        assert_int_equal (size, cut);
        assert_memory_equal (aside, log + last, cut);
        free (aside);
        assert_int_equal (unlink (recovery.set_aside), 0);
    }
    size_t size;
    free (s_read_file (path, &size));
    assert_int_equal (size, last);

    uint64_t next = entries [count - 1].seq + 1;
    assert_int_equal (zown_journal_append (journal, next, 9, "after", 5), 0);
    assert_int_equal (zown_journal_commit (journal), 0);
    zown_journal_destroy (&journal);
    journal = s_open (path, ZOWN_FSYNC_NO, &seen, &recovery);
    assert_int_equal (seen.count, count);
    s_assert_seen (&seen, 0, entries, count - 1);
    assert_int_equal (seen.entries [count - 1].seq, next);
    assert_memory_equal (seen.entries [count - 1].data, "after", 5);
    assert_string_equal (recovery.problem, "");
    zown_journal_destroy (&journal);
    s_seen_reset (&seen, true);
}

static void
test_torn_tail_is_set_aside (void **state)
{
    (void) state;
    char path [512];
    s_path (path, "torn");
    const size_t sizes [] = { 10, 0, 30, 5, 40 };
    s_entry_t entries [5];
    s_make (entries, 5, 1, sizes);
    zown_journal_t *journal = s_open (path, ZOWN_FSYNC_NO, NULL, NULL);
    s_append (journal, entries, 5);
    zown_journal_destroy (&journal);
    size_t size;
    uint8_t *log = s_read_file (path, &size);
    assert_int_equal (size, s_offset (entries, 5));
    //  Every cut inside the last record: in its magic, its header, its payload.
    for (size_t cut = 0; cut < S_RECORD + entries [4].size; cut++)
        s_check_cut (path, log, entries, 5, cut);
    free (log);
    s_free_entries (entries, 5);

    //  A big last record cut mid-payload.
    s_path (path, "torn-big");
    const size_t big_sizes [] = { 3, 1 << 20 };
    s_make (entries, 2, 7, big_sizes);
    journal = s_open (path, ZOWN_FSYNC_NO, NULL, NULL);
    s_append (journal, entries, 2);
    zown_journal_destroy (&journal);
    log = s_read_file (path, &size);
    const size_t cuts [] = { S_RECORD + 1, S_RECORD + (1 << 19), S_RECORD + (1 << 20) - 1 };
    for (size_t index = 0; index < 3; index++)
        s_check_cut (path, log, entries, 2, cuts [index]);
    free (log);
    s_free_entries (entries, 2);
}

//  Damage one byte of record `record` of a 10-record log (at `at` within
//  the record, by xor with `flip`) and check what the open says.
static void
s_check_damage (size_t record, size_t at, uint8_t flip, const char *expected)
{
    char path [512];
    s_path (path, "damaged");
    unlink (path);
    size_t sizes [10];
    for (size_t index = 0; index < 10; index++)
        sizes [index] = 50;
    s_entry_t entries [10];
    s_make (entries, 10, 1, sizes);
    zown_journal_t *journal = s_open (path, ZOWN_FSYNC_NO, NULL, NULL);
    s_append (journal, entries, 10);
    zown_journal_destroy (&journal);
    size_t size;
    uint8_t *log = s_read_file (path, &size);
    size_t offset = s_offset (entries, record);
    log [offset + at] ^= flip;
    s_write_file (path, log, size);

    s_seen_t seen = { .refuse_at = SIZE_MAX };
    zown_journal_recovery_t recovery;
    journal = s_open (path, ZOWN_FSYNC_NO, &seen, &recovery);
    assert_int_equal (seen.count, record);
    s_assert_seen (&seen, 0, entries, record);
    assert_string_equal (recovery.problem, expected);
    assert_int_equal (recovery.bad_offset, offset);
    assert_int_equal (recovery.bad_bytes, size - offset);
    size_t aside_size;
    uint8_t *aside = s_read_file (recovery.set_aside, &aside_size);
    assert_int_equal (aside_size, size - offset);
    assert_memory_equal (aside, log + offset, aside_size);
    free (aside);
    assert_int_equal (unlink (recovery.set_aside), 0);
    zown_journal_destroy (&journal);
    free (log);
    s_seen_reset (&seen, true);
    s_free_entries (entries, 10);
}

static void
test_damaged_record_stops_replay (void **state)
{
    (void) state;
    s_check_damage (4, S_RECORD + 10, 0x01, "checksum mismatch at record 4");
    s_check_damage (0, S_RECORD + 49, 0x80, "checksum mismatch at record 0");
    s_check_damage (9, S_RECORD, 0xFF, "checksum mismatch at record 9");
    s_check_damage (6, 12, 0x01, "checksum mismatch at record 6");    //  Seq
    s_check_damage (6, 16, 0x02, "checksum mismatch at record 6");    //  Kind
    s_check_damage (6, 19, 0x10, "checksum mismatch at record 6");    //  CRC
    s_check_damage (3, 0, 0x20, "bad magic at record 3");             //  Magic
    s_check_damage (5, 4, 0x40, "absurd length at record 5");         //  Length
    s_check_damage (5, 7, 0x01, "checksum mismatch at record 5");     //  Length, small
    s_check_damage (8, 4 + 2, 0x01, "truncated record at record 8");  //  Past the end

    //  A tail of zeros (a machine crash can extend a file before its data).
    char path [512];
    s_path (path, "zeros");
    zown_journal_t *journal = s_open (path, ZOWN_FSYNC_NO, NULL, NULL);
    assert_int_equal (zown_journal_append (journal, 1, 1, "one", 3), 0);
    zown_journal_destroy (&journal);
    int fd = open (path, O_WRONLY);
    assert_int_equal (ftruncate (fd, S_HEADER + S_RECORD + 3 + 4096), 0);
    close (fd);
    zown_journal_recovery_t recovery;
    s_seen_t seen = { .refuse_at = SIZE_MAX };
    journal = s_open (path, ZOWN_FSYNC_NO, &seen, &recovery);
    assert_int_equal (seen.count, 1);
    assert_string_equal (recovery.problem, "bad magic at record 1");
    assert_int_equal (recovery.bad_bytes, 4096);
    assert_int_equal (unlink (recovery.set_aside), 0);
    zown_journal_destroy (&journal);
    s_seen_reset (&seen, true);
}

//  A record whose seq does not grow is a whole, valid record that no
//  append makes; it and what follows are set aside.
static void
test_seq_that_does_not_grow (void **state)
{
    (void) state;
    char path [512];
    s_path (path, "reordered");
    const size_t sizes [] = { 4, 4, 4 };
    s_entry_t entries [3];
    s_make (entries, 3, 1, sizes);
    zown_journal_t *journal = s_open (path, ZOWN_FSYNC_NO, NULL, NULL);
    s_append (journal, entries, 3);
    zown_journal_destroy (&journal);
    size_t size;
    uint8_t *log = s_read_file (path, &size);
    //  Records 1 and 2 swapped: both are whole, but seq goes back.
    size_t first = s_offset (entries, 1);
    size_t length = S_RECORD + 4;
    uint8_t swapped [64];
    memcpy (swapped, log + first + length, length);
    memcpy (swapped + length, log + first, length);
    memcpy (log + first, swapped, 2 * length);
    s_write_file (path, log, size);
    free (log);
    s_seen_t seen = { .refuse_at = SIZE_MAX };
    zown_journal_recovery_t recovery;
    journal = s_open (path, ZOWN_FSYNC_NO, &seen, &recovery);
    assert_int_equal (seen.count, 2);
    assert_int_equal (seen.entries [1].seq, entries [2].seq);
    assert_string_equal (recovery.problem, "seq not increasing at record 2");
    assert_int_equal (recovery.bad_bytes, length);
    assert_int_equal (unlink (recovery.set_aside), 0);
    zown_journal_destroy (&journal);
    s_seen_reset (&seen, true);
    s_free_entries (entries, 3);
}

//  A write that cannot complete (the file size limit, as a full disk would)
//  is cut back, so the log still ends with a whole record.
static void
test_short_write_is_cut_back (void **state)
{
    (void) state;
    char path [512];
    s_path (path, "limited");
    zown_journal_t *journal = s_open (path, ZOWN_FSYNC_ALWAYS, NULL, NULL);
    uint8_t payload [1000];
    s_fill (payload, sizeof (payload), 1);
    assert_int_equal (zown_journal_append (journal, 1, 1, payload, sizeof (payload)), 0);
    uint64_t good = zown_journal_log_size (journal);

    struct rlimit saved;
    assert_int_equal (getrlimit (RLIMIT_FSIZE, &saved), 0);
    void (*old_handler) (int) = signal (SIGXFSZ, SIG_IGN);
    struct rlimit limit = { good + 500, saved.rlim_max };
    assert_int_equal (setrlimit (RLIMIT_FSIZE, &limit), 0);
    int rc = zown_journal_append (journal, 2, 1, payload, sizeof (payload));
    int error = errno;
    int status = zown_errno ();
    assert_int_equal (setrlimit (RLIMIT_FSIZE, &saved), 0);
    signal (SIGXFSZ, old_handler);
    assert_int_equal (rc, -1);
    assert_int_equal (status, ZOWN_SYSTEM);
    assert_int_equal (error, EFBIG);
    assert_int_equal (zown_journal_log_size (journal), good);
    size_t size;
    free (s_read_file (path, &size));
    assert_int_equal (size, good);

    //  The same seq may be tried again: it was never written.
    assert_int_equal (zown_journal_append (journal, 2, 1, payload, sizeof (payload)), 0);
    assert_int_equal (zown_journal_commit (journal), 0);
    zown_journal_destroy (&journal);
    s_seen_t seen = { .refuse_at = SIZE_MAX };
    zown_journal_recovery_t recovery;
    journal = s_open (path, ZOWN_FSYNC_NO, &seen, &recovery);
    assert_int_equal (seen.count, 2);
    assert_string_equal (recovery.problem, "");
    zown_journal_destroy (&journal);
    s_seen_reset (&seen, true);
}

static void
test_snapshot_then_newer_records (void **state)
{
    (void) state;
    char path [512];
    s_path (path, "snapshot");
    const size_t log_sizes [] = { 10, 20, 30, 40, 50, 60, 70, 80, 90, 100 };
    s_entry_t logged [10];
    s_make (logged, 10, 1, log_sizes);
    zown_journal_t *journal = s_open (path, ZOWN_FSYNC_EVERYSEC, NULL, NULL);
    s_append (journal, logged, 10);
    uint64_t at = logged [9].seq;

    //  The state at `at`, as three records; the big one passes the buffer.
    const size_t state_sizes [] = { 0, 5, 2 << 20 };
    s_entry_t snapshot [3];
    s_make (snapshot, 3, at, state_sizes);
    assert_int_equal (zown_journal_snapshot_begin (journal, at), 0);
    for (size_t index = 0; index < 3; index++) {
        snapshot [index].seq = at;
        assert_int_equal (zown_journal_snapshot_add (journal, snapshot [index].kind,
                                                     snapshot [index].data, snapshot [index].size),
                          0);
    }
    assert_int_equal (zown_journal_snapshot_commit (journal), 0);
    assert_int_equal (zown_journal_log_size (journal), S_HEADER);
    char tmp [600];
    snprintf (tmp, sizeof (tmp), "%s.snap.tmp", path);
    assert_false (s_exists (tmp));
    assert_int_equal (zown_journal_append (journal, at, 1, "x", 1), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);

    const size_t newer_sizes [] = { 1, 0, 300 };
    s_entry_t newer [3];
    s_make (newer, 3, at + 1, newer_sizes);
    s_append (journal, newer, 3);
    zown_journal_destroy (&journal);

    s_seen_t seen = { .refuse_at = SIZE_MAX };
    zown_journal_recovery_t recovery;
    journal = s_open (path, ZOWN_FSYNC_EVERYSEC, &seen, &recovery);
    assert_int_equal (seen.count, 6);
    s_assert_seen (&seen, 0, snapshot, 3);
    s_assert_seen (&seen, 3, newer, 3);
    assert_int_equal (recovery.snapshot_seq, at);
    assert_int_equal (recovery.snapshot_records, 3);
    assert_int_equal (recovery.log_records, 3);
    assert_int_equal (recovery.last_seq, newer [2].seq);
    assert_string_equal (recovery.problem, "");

    //  A snapshot of an empty state still sets the seq appends go above.
    uint64_t empty_at = newer [2].seq + 10;
    assert_int_equal (zown_journal_snapshot_begin (journal, empty_at), 0);
    assert_int_equal (zown_journal_snapshot_commit (journal), 0);
    assert_int_equal (zown_journal_append (journal, empty_at, 1, "x", 1), -1);
    zown_journal_destroy (&journal);
    journal = s_open (path, ZOWN_FSYNC_EVERYSEC, &seen, &recovery);
    assert_int_equal (seen.count, 0);
    assert_int_equal (recovery.snapshot_seq, empty_at);
    assert_int_equal (recovery.snapshot_records, 0);
    assert_int_equal (recovery.last_seq, empty_at);
    assert_int_equal (zown_journal_append (journal, empty_at, 1, "x", 1), -1);
    assert_int_equal (zown_journal_append (journal, empty_at + 1, 1, "x", 1), 0);
    zown_journal_destroy (&journal);
    s_seen_reset (&seen, true);
    s_free_entries (logged, 10);
    s_free_entries (snapshot, 3);
    s_free_entries (newer, 3);
}

//  What a background snapshot's child writes: the records `entries`,
//  then, with `die`, it is killed before it can finish (its big record
//  has passed the buffer, so part of its file is written).
typedef struct {
    const s_entry_t *entries;
    size_t count;
    bool die;
} s_dump_t;

static int
s_dump (void *arg, zown_journal_t *journal)
{
    const s_dump_t *dump = (const s_dump_t *) arg;
    for (size_t index = 0; index < dump->count; index++)
        if (zown_journal_snapshot_add (journal, dump->entries [index].kind,
                                       dump->entries [index].data, dump->entries [index].size))
            return -1;
    if (dump->die)
        raise (SIGKILL);
    return 0;
}

//  A snapshot written by a child while records keep coming: the log keeps
//  exactly the records appended after the fork, and a reopen sees the
//  snapshot, then them. Then a child killed mid-write: nothing changes,
//  its file is gone, and the previous snapshot and the whole log still
//  give the same state.
static void
test_background_snapshot (void **state)
{
    (void) state;
    char path [512];
    s_path (path, "background");
    const size_t log_sizes [] = { 10, 20, 30, 40 };
    s_entry_t logged [4];
    s_make (logged, 4, 1, log_sizes);
    zown_journal_t *journal = s_open (path, ZOWN_FSYNC_EVERYSEC, NULL, NULL);
    s_append (journal, logged, 4);
    uint64_t at = logged [3].seq;
    const size_t state_sizes [] = { 7, 2 << 20 };
    s_entry_t snapshot [2];
    s_make (snapshot, 2, at, state_sizes);
    for (size_t index = 0; index < 2; index++)
        snapshot [index].seq = at;  //  A snapshot's records carry its seq
    s_dump_t dump = { snapshot, 2, false };
    assert_int_equal (zown_journal_compact_start (journal, at, s_dump, &dump), 0);
    assert_int_equal (zown_journal_compact_start (journal, at, s_dump, &dump), -1);
    assert_int_equal (zown_errno (), ZOWN_BUSY);
    assert_int_equal (zown_journal_snapshot_begin (journal, at), -1);
    assert_int_equal (zown_errno (), ZOWN_BUSY);
    //  Appends go on while the child writes.
    const size_t newer_sizes [] = { 1, 300, 0 };
    s_entry_t newer [3];
    s_make (newer, 3, at + 1, newer_sizes);
    s_append (journal, newer, 3);
    assert_int_equal (zown_journal_compact_finish (journal), 0);
    assert_int_equal (zown_journal_compact_poll (journal), 0);
    assert_int_equal (zown_journal_log_size (journal), S_HEADER + 3 * S_RECORD + 1 + 300 + 0);
    char other [600];
    snprintf (other, sizeof (other), "%s.snap.tmp", path);
    assert_false (s_exists (other));
    snprintf (other, sizeof (other), "%s.new", path);
    assert_false (s_exists (other));
    //  Appends after the cut go to the new log.
    const size_t last_sizes [] = { 5 };
    s_entry_t last [1];
    s_make (last, 1, newer [2].seq + 1, last_sizes);
    s_append (journal, last, 1);

    //  A child killed mid-write.
    s_dump_t doomed = { snapshot, 2, true };
    assert_int_equal (zown_journal_compact_start (journal, last [0].seq, s_dump, &doomed), 0);
    assert_int_equal (zown_journal_compact_finish (journal), -1);
    assert_int_equal (zown_errno (), ZOWN_SYSTEM);
    snprintf (other, sizeof (other), "%s.snap.tmp", path);
    assert_false (s_exists (other));
    zown_journal_destroy (&journal);

    s_seen_t seen = { .refuse_at = SIZE_MAX };
    zown_journal_recovery_t recovery;
    journal = s_open (path, ZOWN_FSYNC_EVERYSEC, &seen, &recovery);
    assert_int_equal (seen.count, 6);
    s_assert_seen (&seen, 0, snapshot, 2);
    s_assert_seen (&seen, 2, newer, 3);
    s_assert_seen (&seen, 5, last, 1);
    assert_int_equal (recovery.snapshot_seq, at);
    assert_int_equal (recovery.log_records, 4);
    assert_int_equal (recovery.bad_bytes, 0);
    //  A snapshot taken above every record: appends must go above it.
    uint64_t above = recovery.last_seq + 10;
    assert_int_equal (zown_journal_compact_start (journal, above, s_dump, &dump), 0);
    assert_int_equal (zown_journal_compact_finish (journal), 0);
    assert_int_equal (zown_journal_append (journal, above - 5, 1, "x", 1), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_int_equal (zown_journal_append (journal, above + 1, 1, "x", 1), 0);
    zown_journal_destroy (&journal);
    s_seen_reset (&seen, true);
    s_free_entries (logged, 4);
    s_free_entries (snapshot, 2);
    s_free_entries (newer, 3);
    s_free_entries (last, 1);
}

//  The log as it was before the snapshot's commit emptied it, put back:
//  what a crash between the rename and the truncation leaves.
static void
test_crash_between_rename_and_truncate (void **state)
{
    (void) state;
    char path [512];
    s_path (path, "half-compacted");
    const size_t sizes [] = { 8, 8, 8, 8, 8, 8 };
    s_entry_t logged [6];
    s_make (logged, 6, 1, sizes);
    zown_journal_t *journal = s_open (path, ZOWN_FSYNC_ALWAYS, NULL, NULL);
    s_append (journal, logged, 6);
    size_t size;
    uint8_t *log = s_read_file (path, &size);
    uint64_t at = logged [5].seq;
    assert_int_equal (zown_journal_snapshot_begin (journal, at), 0);
    assert_int_equal (zown_journal_snapshot_add (journal, 42, "state", 5), 0);
    assert_int_equal (zown_journal_snapshot_commit (journal), 0);
    zown_journal_destroy (&journal);
    s_write_file (path, log, size);
    free (log);

    s_seen_t seen = { .refuse_at = SIZE_MAX };
    zown_journal_recovery_t recovery;
    journal = s_open (path, ZOWN_FSYNC_ALWAYS, &seen, &recovery);
    assert_int_equal (seen.count, 1);
    assert_int_equal (seen.entries [0].seq, at);
    assert_int_equal (seen.entries [0].kind, 42);
    assert_int_equal (recovery.snapshot_seq, at);
    assert_int_equal (recovery.log_records, 0);
    assert_int_equal (recovery.last_seq, at);
    assert_string_equal (recovery.problem, "");
    //  New records follow the stale ones, and are replayed after them.
    assert_int_equal (zown_journal_append (journal, at + 1, 3, "new", 3), 0);
    assert_int_equal (zown_journal_append (journal, at + 2, 3, "newer", 5), 0);
    assert_int_equal (zown_journal_commit (journal), 0);
    zown_journal_destroy (&journal);
    journal = s_open (path, ZOWN_FSYNC_ALWAYS, &seen, &recovery);
    assert_int_equal (seen.count, 3);
    assert_int_equal (seen.entries [1].seq, at + 1);
    assert_int_equal (seen.entries [2].seq, at + 2);
    assert_int_equal (recovery.log_records, 2);
    assert_string_equal (recovery.problem, "");
    zown_journal_destroy (&journal);
    s_seen_reset (&seen, true);
    s_free_entries (logged, 6);
}

//  A damaged snapshot fails the open and changes no file.
static void
s_check_bad_snapshot (const char *path, const uint8_t *log, size_t log_size, const uint8_t *snap,
                      size_t snap_size, const char *expected)
{
    char snap_path [600];
    snprintf (snap_path, sizeof (snap_path), "%s.snap", path);
    char tmp [600];
    snprintf (tmp, sizeof (tmp), "%s.snap.tmp", path);
    s_write_file (snap_path, snap, snap_size);
    s_write_file (tmp, "unfinished", 10);
    int corrupt_before = s_corrupt_files ();
    zown_journal_recovery_t recovery;
    s_seen_t seen = { .refuse_at = SIZE_MAX };
    assert_null (zown_journal_open (path, ZOWN_FSYNC_NO, s_apply, &seen, &recovery));
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_string_equal (recovery.problem, expected);
    size_t size;
    uint8_t *data = s_read_file (path, &size);
    assert_int_equal (size, log_size);
    assert_memory_equal (data, log, size);
    free (data);
    data = s_read_file (snap_path, &size);
    assert_int_equal (size, snap_size);
    assert_memory_equal (data, snap, size);
    free (data);
    assert_true (s_exists (tmp));
    assert_int_equal (s_corrupt_files (), corrupt_before);
    s_seen_reset (&seen, true);
}

static void
test_corrupt_snapshot_fails_the_open (void **state)
{
    (void) state;
    char path [512];
    s_path (path, "bad-snapshot");
    zown_journal_t *journal = s_open (path, ZOWN_FSYNC_NO, NULL, NULL);
    assert_int_equal (zown_journal_append (journal, 1, 1, "one", 3), 0);
    assert_int_equal (zown_journal_snapshot_begin (journal, 1), 0);
    assert_int_equal (zown_journal_snapshot_add (journal, 1, "first", 5), 0);
    assert_int_equal (zown_journal_snapshot_add (journal, 2, "second", 6), 0);
    assert_int_equal (zown_journal_snapshot_commit (journal), 0);
    //  A torn log tail too: it must not be set aside when the open fails.
    assert_int_equal (zown_journal_append (journal, 2, 1, "two", 3), 0);
    zown_journal_destroy (&journal);
    int fd = open (path, O_WRONLY | O_APPEND);
    assert_int_equal (write (fd, "ZREC", 4), 4);
    close (fd);
    size_t log_size;
    uint8_t *log = s_read_file (path, &log_size);
    char snap_path [600];
    snprintf (snap_path, sizeof (snap_path), "%s.snap", path);
    size_t good_size;
    uint8_t *good = s_read_file (snap_path, &good_size);
    uint8_t *snap = malloc (good_size + 8);
    assert_non_null (snap);

    memcpy (snap, good, good_size);
    snap [S_HEADER + S_RECORD + 2] ^= 1;
    s_check_bad_snapshot (path, log, log_size, snap, good_size,
                          "snapshot: checksum mismatch at record 0");
    memcpy (snap, good, good_size);
    snap [S_HEADER + S_RECORD + 5 + 9] ^= 1;  //  Second record's seq
    s_check_bad_snapshot (path, log, log_size, snap, good_size,
                          "snapshot: checksum mismatch at record 1");
    //  Without its end marker: cut where it starts, and inside it.
    size_t marker = good_size - S_RECORD - 8;
    s_check_bad_snapshot (path, log, log_size, good, marker,
                          "snapshot: truncated record at record 2");
    s_check_bad_snapshot (path, log, log_size, good, good_size - 1,
                          "snapshot: truncated record at record 2");
    memcpy (snap, good, good_size);
    memcpy (snap + good_size, "trailing", 8);
    s_check_bad_snapshot (path, log, log_size, snap, good_size + 8,
                          "snapshot: 8 bytes after the end marker");
    s_check_bad_snapshot (path, log, log_size, good, 10, "snapshot: truncated header");
    memcpy (snap, good, good_size);
    snap [3] = 'X';
    s_check_bad_snapshot (path, log, log_size, snap, good_size,
                          "snapshot: not a zown journal file");
    //  A log file's header on a snapshot.
    memcpy (snap, log, S_HEADER);
    s_check_bad_snapshot (path, log, log_size, snap, good_size,
                          "snapshot: not a zown journal file");

    //  Repaired, it opens: snapshot, the good log record, the tail set aside.
    s_write_file (snap_path, good, good_size);
    s_seen_t seen = { .refuse_at = SIZE_MAX };
    zown_journal_recovery_t recovery;
    journal = s_open (path, ZOWN_FSYNC_NO, &seen, &recovery);
    assert_int_equal (seen.count, 3);
    assert_int_equal (recovery.snapshot_records, 2);
    assert_int_equal (recovery.log_records, 1);
    assert_string_equal (recovery.problem, "truncated record at record 1");
    assert_int_equal (recovery.bad_bytes, 4);
    assert_int_equal (unlink (recovery.set_aside), 0);
    char tmp [600];
    snprintf (tmp, sizeof (tmp), "%s.snap.tmp", path);
    assert_false (s_exists (tmp));
    zown_journal_destroy (&journal);
    s_seen_reset (&seen, true);
    free (snap);
    free (good);
    free (log);
}

//  apply refusing a record fails the open, and nothing is set aside.
static void
test_apply_refusal_fails_the_open (void **state)
{
    (void) state;
    char path [512];
    s_path (path, "refused");
    zown_journal_t *journal = s_open (path, ZOWN_FSYNC_NO, NULL, NULL);
    for (uint64_t seq = 1; seq <= 4; seq++)
        assert_int_equal (zown_journal_append (journal, seq, 1, "r", 1), 0);
    zown_journal_destroy (&journal);
    int fd = open (path, O_WRONLY | O_APPEND);
    assert_int_equal (write (fd, "torn", 4), 4);
    close (fd);
    size_t before;
    free (s_read_file (path, &before));
    int corrupt_before = s_corrupt_files ();

    s_seen_t seen = { .refuse_at = 2 };
    zown_journal_recovery_t recovery;
    assert_null (zown_journal_open (path, ZOWN_FSYNC_NO, s_apply, &seen, &recovery));
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_string_equal (recovery.problem, "apply refused log record 2 (seq 3)");
    size_t after;
    free (s_read_file (path, &after));
    assert_int_equal (after, before);
    assert_int_equal (s_corrupt_files (), corrupt_before);
    s_seen_reset (&seen, true);
}

static void
test_second_open_is_refused (void **state)
{
    (void) state;
    char path [512];
    s_path (path, "locked");
    zown_journal_t *first = s_open (path, ZOWN_FSYNC_EVERYSEC, NULL, NULL);
    assert_int_equal (zown_journal_append (first, 1, 1, "a", 1), 0);
    zown_journal_recovery_t recovery;
    assert_null (zown_journal_open (path, ZOWN_FSYNC_NO, NULL, NULL, &recovery));
    assert_int_equal (zown_errno (), ZOWN_ADDR_IN_USE);
    //  The refused open touched nothing of the first's.
    assert_int_equal (zown_journal_commit (first), 0);
    zown_journal_destroy (&first);
    zown_journal_t *second = s_open (path, ZOWN_FSYNC_NO, NULL, &recovery);
    assert_int_equal (recovery.log_records, 1);
    zown_journal_destroy (&second);
}

int
main (void)
{
    snprintf (s_dir, sizeof (s_dir), "%s/zown-journal-XXXXXX",
              getenv ("TMPDIR") ? getenv ("TMPDIR") : "/tmp");
    if (!mkdtemp (s_dir)) {
        perror ("mkdtemp");
        return 1;
    }
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_killed_writer_loses_no_commit),
        cmocka_unit_test (test_crc32c),
        cmocka_unit_test (test_log_layout),
        cmocka_unit_test (test_fsync_parse),
        cmocka_unit_test (test_round_trip_every_mode),
        cmocka_unit_test (test_bad_arguments),
        cmocka_unit_test (test_files_that_are_not_journals),
        cmocka_unit_test (test_torn_tail_is_set_aside),
        cmocka_unit_test (test_damaged_record_stops_replay),
        cmocka_unit_test (test_seq_that_does_not_grow),
        cmocka_unit_test (test_short_write_is_cut_back),
        cmocka_unit_test (test_snapshot_then_newer_records),
        cmocka_unit_test (test_background_snapshot),
        cmocka_unit_test (test_crash_between_rename_and_truncate),
        cmocka_unit_test (test_corrupt_snapshot_fails_the_open),
        cmocka_unit_test (test_apply_refusal_fails_the_open),
        cmocka_unit_test (test_second_open_is_refused),
    };
    int failed = cmocka_run_group_tests (tests, NULL, NULL);
    testutil_remove_tree (s_dir);
    return failed;
}
