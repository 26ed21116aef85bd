/*  =========================================================================
    journal - the owner's durability journal (docs/DURABILITY.md)

    The log is a file header and then records, written a burst at a time
    with one pwrite(2) at the end of the last whole record, so a crash
    leaves a torn record only at the tail. Opening maps the files read-only, checks
    every record while it applies it, and only once everything is applied
    changes anything on disk (writes a new log's header, or sets aside a
    bad tail). Every record carries a CRC-32C, so damage anywhere is found.
    A snapshot is written by a forked child while the log goes on.
    =========================================================================
*/
#include "zown_internal.h"
#include "journal/journal.h"
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdarg.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/mman.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <stdatomic.h>
#include <time.h>

#define S_FILE_HEADER   16           //  Magic (8), u32 version, u32 flags (0)
#define S_VERSION       1            //  Format version of both files
#define S_LOG_MAGIC     "ZOWNLOG1"   //  The log's first 8 octets
#define S_SNAP_MAGIC    "ZOWNSNP1"   //  The snapshot's first 8 octets
#define S_RECORD_MAGIC  0x5A524543u  //  "ZREC", first 4 octets of a record
#define S_RECORD_HEADER 21           //  Magic, u32 length, u64 seq, u8 kind, u32 CRC
#define S_CRC_OFFSET    17           //  Where the CRC sits in the record header
#define S_END_KIND      0            //  Kind of the snapshot's end marker; never a user's
#define S_BUFFER_KEEP   (1u << 20)   //  Larger record buffers are freed after use
#define S_CRC32C_POLY   0x82F63B78u  //  Castagnoli polynomial, reflected

struct _zown_journal_t {
    zown_fsync_t mode;       //  What a commit does
    char *path;              //  The log
    char *snap_path;         //  path + ".snap"
    char *tmp_path;          //  path + ".snap.tmp", the snapshot being written
    char *new_path;          //  path + ".new", the log being cut after a background snapshot
    char *dir_path;          //  Their directory, synced after creations and renames
    int lock_fd;             //  Holds the flock on path + ".lock"
    int fd;                  //  The log, read-write, never O_APPEND: writes go to `size`
    uint64_t size;           //  Log bytes, header and whole records only
    uint64_t last_seq;       //  Highest seq appended or recovered; appends go above it
    bool unsynced;           //  Written since the last commit
    size_t queued;           //  Records added, in buffer, not written yet
    uint64_t written_seq;    //  last_seq before the first of them
    int failed;              //  errno of a failed sync or of an uncut torn tail; 0: none
    uint8_t *buffer;         //  A record to append, or a snapshot's unwritten records
    size_t buffer_size;      //  Bytes used
    size_t buffer_capacity;  //  Bytes allocated
    int snap_fd;             //  The snapshot being written; -1 if none
    uint64_t snap_seq;       //  Its seq
    uint64_t snap_offset;    //  Bytes of it in its file so far
    uint64_t snap_records;   //  Records added to it
    pid_t compact_pid;       //  The child writing a snapshot in the background; 0 if none
    int compact_fd;          //  Its pipe: one octet when the snapshot is whole, then EOF
    uint64_t compact_from;   //  Log size when it forked: records after that stay
    uint64_t compact_seq;    //  Seq its snapshot is taken at
    bool sealing;            //  In that child: commit stops before the rename
    //  The EVERYSEC syncer thread, which reads fd and shares the last four
    //  fields, under mutex.
    bool syncer_started;    //  Its thread, mutex and conditions exist
    pthread_t syncer;       //  The thread
    pthread_mutex_t mutex;  //  Guards fd (while syncing), dirty, stop, sync_error
    pthread_cond_t wake;    //  Signalled when dirty is set, and to stop
    pthread_cond_t idle;    //  Signalled when a sync ends
    bool syncing;           //  It syncs fd now: fd must not be replaced
    bool dirty;             //  Committed records wait for its next sync
    bool stop;              //  Destroy asks it to end
    int sync_error;         //  errno of its first failed sync; 0 if none
};

//  A record as read from a mapped file.
typedef struct {
    uint64_t seq;
    uint8_t kind;
    const uint8_t *data;  //  Payload, inside the mapping
    size_t size;          //  Payload bytes
    size_t length;        //  Whole record, header included
} s_record_t;

//  A file mapped read-only for replay (data NULL when it is empty).
typedef struct {
    const uint8_t *data;
    uint64_t size;
} s_map_t;

//  ---------------------------------------------------------------------
//  CRC-32C: the SSE4.2 crc32 instruction where the CPU has one (chosen at
//  run time, so the build needs no -msse4.2), else slicing-by-8 tables,
//  eight bytes a step.

static uint32_t s_crc_table [8][256];
static pthread_once_t s_crc_once = PTHREAD_ONCE_INIT;

static void
s_crc_init (void)
{
    for (uint32_t index = 0; index < 256; index++) {
        uint32_t crc = index;
        for (int bit = 0; bit < 8; bit++)
            crc = (crc >> 1) ^ (S_CRC32C_POLY & (0u - (crc & 1)));
        s_crc_table [0][index] = crc;
    }
    for (uint32_t index = 0; index < 256; index++)
        for (int slice = 1; slice < 8; slice++) {
            uint32_t crc = s_crc_table [slice - 1][index];
            s_crc_table [slice][index] = (crc >> 8) ^ s_crc_table [0][crc & 0xFF];
        }
}

uint32_t
zown_crc32c_portable (uint32_t crc, const void *data, size_t size)
{
    pthread_once (&s_crc_once, s_crc_init);
    const uint8_t *at = (const uint8_t *) data;
    crc = ~crc;
    for (; size >= 8; size -= 8, at += 8) {
        //  Byte by byte into the words, so that any alignment and either
        //  byte order works.
        uint32_t low = crc
            ^ ((uint32_t) at [0] | (uint32_t) at [1] << 8 | (uint32_t) at [2] << 16
               | (uint32_t) at [3] << 24);
        crc = s_crc_table [7][low & 0xFF] ^ s_crc_table [6][(low >> 8) & 0xFF]
            ^ s_crc_table [5][(low >> 16) & 0xFF] ^ s_crc_table [4][low >> 24]
            ^ s_crc_table [3][at [4]] ^ s_crc_table [2][at [5]] ^ s_crc_table [1][at [6]]
            ^ s_crc_table [0][at [7]];
    }
    while (size--)
        crc = s_crc_table [0][(crc ^ *at++) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <nmmintrin.h>
#define S_CRC_HARDWARE 1

__attribute__ ((target ("sse4.2"))) static uint32_t
s_crc32c_sse42 (uint32_t crc, const void *data, size_t size)
{
    const uint8_t *at = (const uint8_t *) data;
    uint64_t crc64 = ~crc;
    for (; size >= 8; size -= 8, at += 8) {
        uint64_t word;
        memcpy (&word, at, 8);  //  x86 loads unaligned words at full speed
        crc64 = _mm_crc32_u64 (crc64, word);
    }
    uint32_t crc32 = (uint32_t) crc64;
    while (size--)
        crc32 = _mm_crc32_u8 (crc32, *at++);
    return ~crc32;
}
#endif

zown_crc32c_fn *
zown_crc32c_hardware (void)
{
#ifdef S_CRC_HARDWARE
    __builtin_cpu_init ();
    if (__builtin_cpu_supports ("sse4.2"))
        return s_crc32c_sse42;
#endif
    return NULL;
}

//  The implementation in use, chosen at the first call. Every thread that
//  races to choose stores the same pointer.
static _Atomic (zown_crc32c_fn *) s_crc_chosen;

uint32_t
zown_crc32c (uint32_t crc, const void *data, size_t size)
{
    zown_crc32c_fn *chosen = atomic_load_explicit (&s_crc_chosen, memory_order_relaxed);
    if (!chosen) {
        chosen = zown_crc32c_hardware ();
        if (!chosen)
            chosen = zown_crc32c_portable;
        atomic_store_explicit (&s_crc_chosen, chosen, memory_order_relaxed);
    }
    return chosen (crc, data, size);
}

//  ---------------------------------------------------------------------
//  Small system helpers: each returns 0, or -1 with errno set

static zown_journal_io_t s_io = { pwrite, fdatasync };

void
zown_journal_set_io (const zown_journal_io_t *io)
{
    s_io = io ? *io : (zown_journal_io_t){ pwrite, fdatasync };
}

//  All of data at offset, through short writes and EINTR.
static int
s_write_at (int fd, const void *data, size_t size, uint64_t offset)
{
    const uint8_t *at = (const uint8_t *) data;
    while (size) {
        ssize_t written = s_io.pwrite (fd, at, size, (off_t) offset);
        if (written < 0 && errno == EINTR)
            continue;
        if (written <= 0) {
            if (written == 0)
                errno = ENOSPC;  //  A regular file that takes nothing is full
            return -1;
        }
        at += written;
        size -= (size_t) written;
        offset += (uint64_t) written;
    }
    return 0;
}

static int
s_sync (int fd)
{
    int rc;
    while ((rc = s_io.fdatasync (fd)) == -1 && errno == EINTR)
        ;
    return rc;
}

static int
s_truncate (int fd, uint64_t size)
{
    int rc;
    while ((rc = ftruncate (fd, (off_t) size)) == -1 && errno == EINTR)
        ;
    return rc;
}

//  close(2) that keeps the errno of the failure being reported.
static void
s_close_quietly (int fd)
{
    int error = errno;
    close (fd);
    errno = error;
}

//  Makes a creation, rename or removal in the journal's directory durable.
static int
s_sync_dir (zown_journal_t *self)
{
    int fd = open (self->dir_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd == -1)
        return -1;
    int rc;
    while ((rc = fsync (fd)) == -1 && errno == EINTR)
        ;
    s_close_quietly (fd);
    return rc;
}

static int
s_map (int fd, s_map_t *map)
{
    struct stat info;
    map->data = NULL;
    map->size = 0;
    if (fstat (fd, &info))
        return -1;
    if (info.st_size == 0)
        return 0;  //  mmap refuses an empty length
    void *data = mmap (NULL, (size_t) info.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (data == MAP_FAILED)
        return -1;
    map->data = (const uint8_t *) data;
    map->size = (uint64_t) info.st_size;
    return 0;
}

static void
s_unmap (s_map_t *map)
{
    if (map->data)
        munmap ((void *) map->data, (size_t) map->size);
    map->data = NULL;
}

//  ---------------------------------------------------------------------
//  Records

//  Room for `more` bytes after buffer_size; -1 if out of memory. Grows to
//  exactly what a large record needs rather than doubling past it.
static int
s_reserve (zown_journal_t *self, size_t more)
{
    size_t needed = self->buffer_size + more;
    if (needed <= self->buffer_capacity)
        return 0;
    size_t grown = self->buffer_capacity * 2 > needed ? self->buffer_capacity * 2 : needed;
    uint8_t *bigger = (uint8_t *) realloc (self->buffer, grown);
    if (!bigger)
        return -1;
    self->buffer = bigger;
    self->buffer_capacity = grown;
    return 0;
}

//  Empties the buffer, and frees it after an unusually large record so one
//  big record does not pin its size for the journal's life.
static void
s_buffer_reset (zown_journal_t *self)
{
    self->buffer_size = 0;
    if (self->buffer_capacity > S_BUFFER_KEEP) {
        free (self->buffer);
        self->buffer = NULL;
        self->buffer_capacity = 0;
    }
}

//  Puts one encoded record at the end of the buffer; -1 if out of memory.
static int
s_buffer_record (zown_journal_t *self, uint64_t seq, uint8_t kind, const void *data, size_t size)
{
    if (s_reserve (self, S_RECORD_HEADER + size))
        return -1;
    uint8_t *at = self->buffer + self->buffer_size;
    zown_store_be (at, S_RECORD_MAGIC, 4);
    zown_store_be (at + 4, size, 4);
    zown_store_be (at + 8, seq, 8);
    at [16] = kind;
    if (size)
        memcpy (at + S_RECORD_HEADER, data, size);
    uint32_t crc = zown_crc32c (0, at + 4, S_CRC_OFFSET - 4);
    crc = zown_crc32c (crc, at + S_RECORD_HEADER, size);
    zown_store_be (at + S_CRC_OFFSET, crc, 4);
    self->buffer_size += S_RECORD_HEADER + size;
    return 0;
}

//  Reads the record at `at`, with `left` bytes before the end of the file.
//  Returns NULL, or what is wrong with it.
static const char *
s_parse (const uint8_t *at, uint64_t left, s_record_t *record)
{
    if (left < 4)
        return "truncated record";
    if (zown_load_be (at, 4) != S_RECORD_MAGIC)
        return "bad magic";
    if (left < S_RECORD_HEADER)
        return "truncated record";
    uint64_t size = zown_load_be (at + 4, 4);
    if (size > ZOWN_JOURNAL_RECORD_MAX)
        return "absurd length";
    if (left - S_RECORD_HEADER < size)
        return "truncated record";
    uint32_t crc = zown_crc32c (0, at + 4, S_CRC_OFFSET - 4);
    crc = zown_crc32c (crc, at + S_RECORD_HEADER, (size_t) size);
    if (crc != zown_load_be (at + S_CRC_OFFSET, 4))
        return "checksum mismatch";
    record->seq = zown_load_be (at + 8, 8);
    record->kind = at [16];
    record->data = at + S_RECORD_HEADER;
    record->size = (size_t) size;
    record->length = S_RECORD_HEADER + (size_t) size;
    return NULL;
}

static void
s_file_header (uint8_t *header, const char *magic)
{
    memcpy (header, magic, 8);
    zown_store_be (header + 8, S_VERSION, 4);
    zown_store_be (header + 12, 0, 4);
}

static int __attribute__ ((format (printf, 2, 3)))
s_problem (zown_journal_recovery_t *recovery, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    vsnprintf (recovery->problem, sizeof (recovery->problem), format, args);
    va_end (args);
    return ZOWN_INVALID;
}

//  ZOWN_OK if the file starts with a header of this magic and version;
//  else ZOWN_INVALID with a problem naming `what`.
static int
s_check_header (const s_map_t *map, const char *magic, const char *what,
                zown_journal_recovery_t *recovery)
{
    if (map->size < S_FILE_HEADER)
        return s_problem (recovery, "%s: truncated header", what);
    if (memcmp (map->data, magic, 8))
        return s_problem (recovery, "%s: not a zown journal file", what);
    uint64_t version = zown_load_be (map->data + 8, 4);
    uint64_t flags = zown_load_be (map->data + 12, 4);
    if (version != S_VERSION || flags)
        return s_problem (recovery, "%s: unsupported version %" PRIu64 " (flags %" PRIu64 ")", what,
                          version, flags);
    return ZOWN_OK;
}

//  ---------------------------------------------------------------------
//  Opening

static void
s_free (zown_journal_t *self)
{
    if (self->fd != -1)
        close (self->fd);
    if (self->lock_fd != -1)
        close (self->lock_fd);  //  Releases the flock
    free (self->path);
    free (self->snap_path);
    free (self->tmp_path);
    free (self->new_path);
    free (self->dir_path);
    free (self->buffer);
    free (self);
}

static zown_journal_t *
s_new (const char *path, zown_fsync_t mode)
{
    zown_journal_t *self = (zown_journal_t *) calloc (1, sizeof (zown_journal_t));
    if (!self)
        return NULL;
    self->mode = mode;
    self->fd = -1;
    self->lock_fd = -1;
    self->snap_fd = -1;
    self->path = strdup (path);
    self->snap_path = zsys_sprintf ("%s.snap", path);
    self->tmp_path = zsys_sprintf ("%s.snap.tmp", path);
    self->new_path = zsys_sprintf ("%s.new", path);
    self->compact_fd = -1;
    char *copy = strdup (path);
    if (copy)
        self->dir_path = strdup (dirname (copy));
    free (copy);
    if (!self->path || !self->snap_path || !self->tmp_path || !self->new_path || !self->dir_path) {
        s_free (self);
        return NULL;
    }
    return self;
}

static int
s_lock (zown_journal_t *self)
{
    char *lock_path = zsys_sprintf ("%s.lock", self->path);
    if (!lock_path)
        return ZOWN_NO_MEMORY;
    self->lock_fd = open (lock_path, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
    free (lock_path);
    if (self->lock_fd == -1)
        return ZOWN_SYSTEM;
    int rc;
    while ((rc = flock (self->lock_fd, LOCK_EX | LOCK_NB)) == -1 && errno == EINTR)
        ;
    if (rc == 0)
        return ZOWN_OK;
    return errno == EWOULDBLOCK ? ZOWN_ADDR_IN_USE : ZOWN_SYSTEM;
}

//  The snapshot, if there is one, checked whole: every record has its CRC
//  and the snapshot's seq, and the end marker counts them and ends the file.
static int
s_replay_snapshot_map (const s_map_t *map, zown_journal_apply_fn *apply, void *arg,
                       zown_journal_recovery_t *recovery)
{
    int status = s_check_header (map, S_SNAP_MAGIC, "snapshot", recovery);
    if (status != ZOWN_OK)
        return status;
    uint64_t offset = S_FILE_HEADER;
    uint64_t index = 0;
    uint64_t seq = 0;
    s_record_t record;
    while (true) {
        const char *problem = s_parse (map->data + offset, map->size - offset, &record);
        if (!problem && (index ? record.seq != seq : record.seq == 0))
            problem = index ? "seq other than the snapshot's" : "seq 0";
        if (problem)
            return s_problem (recovery, "snapshot: %s at record %" PRIu64, problem, index);
        seq = record.seq;
        offset += record.length;
        if (record.kind == S_END_KIND)
            break;
        if (apply && apply (arg, seq, record.kind, record.data, record.size))
            return s_problem (recovery, "apply refused snapshot record %" PRIu64, index);
        index++;
    }
    if (record.size != 8 || zown_load_be (record.data, 8) != index)
        return s_problem (recovery, "snapshot: bad end marker after %" PRIu64 " records", index);
    if (offset != map->size)
        return s_problem (recovery, "snapshot: %" PRIu64 " bytes after the end marker",
                          map->size - offset);
    recovery->snapshot_seq = seq;
    recovery->snapshot_records = index;
    recovery->last_seq = seq;
    return ZOWN_OK;
}

static int
s_replay_snapshot (zown_journal_t *self, zown_journal_apply_fn *apply, void *arg,
                   zown_journal_recovery_t *recovery)
{
    int fd = open (self->snap_path, O_RDONLY | O_CLOEXEC);
    if (fd == -1)
        return errno == ENOENT ? ZOWN_OK : ZOWN_SYSTEM;
    s_map_t map;
    int rc = s_map (fd, &map);
    s_close_quietly (fd);  //  A mapping outlives its descriptor
    if (rc)
        return ZOWN_SYSTEM;
    int status = s_replay_snapshot_map (&map, apply, arg, recovery);
    s_unmap (&map);
    return status;
}

//  The log's records after its header, up to the first bad byte; those
//  above the snapshot's seq are applied.
static int
s_replay_log (const s_map_t *map, zown_journal_apply_fn *apply, void *arg,
              zown_journal_recovery_t *recovery)
{
    uint64_t offset = S_FILE_HEADER;
    uint64_t index = 0;
    uint64_t previous = 0;
    while (offset < map->size) {
        s_record_t record;
        const char *problem = s_parse (map->data + offset, map->size - offset, &record);
        //  Both are whole records that no append makes: a block from elsewhere
        if (!problem && record.kind == S_END_KIND)
            problem = "kind 0";
        if (!problem && record.seq <= previous)
            problem = "seq not increasing";
        if (problem) {
            s_problem (recovery, "%s at record %" PRIu64, problem, index);
            break;
        }
        if (record.seq > recovery->snapshot_seq) {
            if (apply && apply (arg, record.seq, record.kind, record.data, record.size))
                return s_problem (recovery,
                                  "apply refused log record %" PRIu64 " (seq %" PRIu64 ")", index,
                                  record.seq);
            recovery->log_records++;
            recovery->last_seq = record.seq;
        }
        previous = record.seq;
        offset += record.length;
        index++;
    }
    recovery->bad_offset = offset;
    recovery->bad_bytes = map->size - offset;
    return ZOWN_OK;
}

//  A new log (or one whose creation was torn inside its header): write the
//  header and make the file's existence durable.
static int
s_write_header (zown_journal_t *self)
{
    uint8_t header [S_FILE_HEADER];
    s_file_header (header, S_LOG_MAGIC);
    if (s_write_at (self->fd, header, S_FILE_HEADER, 0) || s_sync (self->fd) || s_sync_dir (self))
        return ZOWN_SYSTEM;
    return ZOWN_OK;
}

//  Copies the bad tail to a file of its own, durably, and only then cuts it
//  from the log, so no byte is ever lost. On failure nothing stays changed.
static int
s_set_aside (zown_journal_t *self, const s_map_t *map, zown_journal_recovery_t *recovery)
{
    char stamp [32];
    time_t now = time (NULL);
    struct tm utc;
    strftime (stamp, sizeof (stamp), "%Y%m%dT%H%M%SZ", gmtime_r (&now, &utc));
    char *name = recovery->set_aside;
    size_t room = sizeof (recovery->set_aside);
    int fd = -1;
    //  A second recovery of the same path in the same second by the same
    //  process gets a counter rather than overwriting the first's bytes.
    for (unsigned attempt = 0; fd == -1; attempt++) {
        int length = attempt
            ? snprintf (name, room, "%s.corrupt-%s-%d.%u", self->path, stamp, (int) getpid (),
                        attempt)
            : snprintf (name, room, "%s.corrupt-%s-%d", self->path, stamp, (int) getpid ());
        if (length < 0 || (size_t) length >= room) {
            name [0] = 0;
            errno = ENAMETOOLONG;
            return ZOWN_SYSTEM;
        }
        fd = open (name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd == -1 && errno != EEXIST) {
            name [0] = 0;
            return ZOWN_SYSTEM;
        }
    }
    int rc = s_write_at (fd, map->data + recovery->bad_offset, (size_t) recovery->bad_bytes, 0);
    if (rc == 0)
        while ((rc = fsync (fd)) == -1 && errno == EINTR)
            ;
    s_close_quietly (fd);
    if (rc || s_sync_dir (self) || s_truncate (self->fd, recovery->bad_offset)
        || s_sync (self->fd)) {
        int error = errno;
        unlink (name);
        name [0] = 0;
        errno = error;
        return ZOWN_SYSTEM;
    }
    return ZOWN_OK;
}

//  ---------------------------------------------------------------------
//  The EVERYSEC syncer

static bool
s_before (const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

//  Sleeps until a commit marks the log dirty, then syncs at most once a
//  second: a steady stream of commits costs one fdatasync a second, and a
//  commit after a quiet spell is synced at once.
static void *
s_syncer (void *arg)
{
    zown_journal_t *self = (zown_journal_t *) arg;
    struct timespec last = { 0, 0 };  //  Its last sync (monotonic); long ago
    pthread_mutex_lock (&self->mutex);
    while (!self->stop) {
        if (!self->dirty) {
            pthread_cond_wait (&self->wake, &self->mutex);
            continue;
        }
        struct timespec due = { last.tv_sec + 1, last.tv_nsec };
        struct timespec now;
        clock_gettime (CLOCK_MONOTONIC, &now);
        if (s_before (&now, &due)) {
            pthread_cond_timedwait (&self->wake, &self->mutex, &due);
            continue;
        }
        self->dirty = false;
        self->syncing = true;
        int fd = self->fd;
        pthread_mutex_unlock (&self->mutex);
        int rc = s_sync (fd);
        int error = errno;
        clock_gettime (CLOCK_MONOTONIC, &last);
        pthread_mutex_lock (&self->mutex);
        self->syncing = false;
        pthread_cond_broadcast (&self->idle);
        if (rc && !self->sync_error)
            self->sync_error = error;
    }
    pthread_mutex_unlock (&self->mutex);
    return NULL;
}

static int
s_start_syncer (zown_journal_t *self)
{
    //  Monotonic, so that setting the clock neither stalls nor rushes syncs.
    pthread_condattr_t attr;
    pthread_condattr_init (&attr);
    pthread_condattr_setclock (&attr, CLOCK_MONOTONIC);
    pthread_cond_init (&self->wake, &attr);
    pthread_condattr_destroy (&attr);
    pthread_cond_init (&self->idle, NULL);
    pthread_mutex_init (&self->mutex, NULL);
    int rc = pthread_create (&self->syncer, NULL, s_syncer, self);
    if (rc) {
        pthread_cond_destroy (&self->wake);
        pthread_cond_destroy (&self->idle);
        pthread_mutex_destroy (&self->mutex);
        errno = rc;
        return ZOWN_SYSTEM;
    }
    self->syncer_started = true;
    return ZOWN_OK;
}

static void
s_stop_syncer (zown_journal_t *self)
{
    if (!self->syncer_started)
        return;
    pthread_mutex_lock (&self->mutex);
    self->stop = true;
    pthread_cond_signal (&self->wake);
    pthread_mutex_unlock (&self->mutex);
    pthread_join (self->syncer, NULL);
    pthread_cond_destroy (&self->wake);
    pthread_cond_destroy (&self->idle);
    pthread_mutex_destroy (&self->mutex);
    self->syncer_started = false;
}

//  ---------------------------------------------------------------------
//  Public API

int
zown_fsync_parse (const char *text, zown_fsync_t *mode_p)
{
    static const struct {
        const char *name;
        zown_fsync_t mode;
    } modes [] = { { "always", ZOWN_FSYNC_ALWAYS },
                   { "everysec", ZOWN_FSYNC_EVERYSEC },
                   { "no", ZOWN_FSYNC_NO } };
    for (size_t index = 0; text && mode_p && index < sizeof (modes) / sizeof (modes [0]); index++)
        if (strcmp (text, modes [index].name) == 0) {
            *mode_p = modes [index].mode;
            return 0;
        }
    return zown_fail (ZOWN_INVALID);
}

//  The steps of an open, in order; ZOWN_OK or the status it fails with.
static int
s_open (zown_journal_t *self, zown_journal_apply_fn *apply, void *arg,
        zown_journal_recovery_t *recovery)
{
    int status = s_lock (self);
    if (status != ZOWN_OK)
        return status;
    self->fd = open (self->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (self->fd == -1)
        return ZOWN_SYSTEM;
    s_map_t map;
    if (s_map (self->fd, &map))
        return ZOWN_SYSTEM;
    //  Appends start only once the header is synced, so a shorter file that
    //  is a prefix of a header is a creation cut short: it holds no record.
    uint8_t header [S_FILE_HEADER];
    s_file_header (header, S_LOG_MAGIC);
    bool fresh =
        map.size < S_FILE_HEADER && (map.size == 0 || !memcmp (map.data, header, map.size));
    if (!fresh)
        status = s_check_header (&map, S_LOG_MAGIC, "log", recovery);
    if (status == ZOWN_OK)
        status = s_replay_snapshot (self, apply, arg, recovery);
    if (status == ZOWN_OK && !fresh)
        status = s_replay_log (&map, apply, arg, recovery);
    //  Everything is applied: only now does the open change the files.
    if (status == ZOWN_OK && fresh) {
        status = s_write_header (self);
        recovery->bad_offset = S_FILE_HEADER;
    } else if (status == ZOWN_OK && recovery->bad_bytes)
        status = s_set_aside (self, &map, recovery);
    s_unmap (&map);
    if (status != ZOWN_OK)
        return status;
    //  A snapshot or a cut log that a crash left unfinished; both are
    //  written whole before they replace anything.
    unlink (self->tmp_path);
    unlink (self->new_path);
    self->size = recovery->bad_offset;
    self->last_seq = recovery->last_seq;
    return self->mode == ZOWN_FSYNC_EVERYSEC ? s_start_syncer (self) : ZOWN_OK;
}

zown_journal_t *
zown_journal_open (const char *path, zown_fsync_t mode, zown_journal_apply_fn *apply, void *arg,
                   zown_journal_recovery_t *recovery)
{
    zown_journal_recovery_t unused;
    if (!recovery)
        recovery = &unused;
    memset (recovery, 0, sizeof (*recovery));
    if (!path || !*path
        || (mode != ZOWN_FSYNC_ALWAYS && mode != ZOWN_FSYNC_EVERYSEC && mode != ZOWN_FSYNC_NO))
        return zown_fail_null (ZOWN_INVALID);
    zown_journal_t *self = s_new (path, mode);
    if (!self)
        return zown_fail_null (ZOWN_NO_MEMORY);
    int status = s_open (self, apply, arg, recovery);
    if (status != ZOWN_OK) {
        int error = errno;
        s_free (self);
        errno = error;
        return zown_fail_null (status);
    }
    return self;
}

void
zown_journal_destroy (zown_journal_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zown_journal_t *self = *self_p;
    zown_journal_snapshot_abort (self);
    if (self->compact_pid > 0) {
        //  Not waited for: the log is whole without it, and a stop must
        //  not wait for a large state to be written.
        kill (self->compact_pid, SIGKILL);
        zown_journal_compact_finish (self);
    }
    s_stop_syncer (self);
    if (!self->failed && zown_journal_write (self) == 0)
        s_sync (self->fd);
    s_free (self);
    *self_p = NULL;
}

//  -1 with ZOWN_SYSTEM and the failure's errno once a sync or a cut failed.
static int
s_check_failed (zown_journal_t *self)
{
    if (!self->failed)
        return 0;
    errno = self->failed;
    return zown_fail (ZOWN_SYSTEM);
}

int
zown_journal_add (zown_journal_t *self, uint64_t seq, uint8_t kind, const void *data, size_t size)
{
    if (!self || kind == S_END_KIND || (size && !data) || seq <= self->last_seq)
        return zown_fail (ZOWN_INVALID);
    if (size > ZOWN_JOURNAL_RECORD_MAX)
        return zown_fail (ZOWN_TOO_LARGE);
    if (self->snap_fd != -1)
        return zown_fail (ZOWN_BUSY);
    if (s_check_failed (self))
        return -1;
    if (s_buffer_record (self, seq, kind, data, size))
        return zown_fail (ZOWN_NO_MEMORY);
    if (!self->queued)
        self->written_seq = self->last_seq;
    self->queued++;
    self->last_seq = seq;
    return 0;
}

int
zown_journal_write (zown_journal_t *self)
{
    if (!self)
        return zown_fail (ZOWN_INVALID);
    if (!self->queued)
        return 0;
    //  One write for them all: a crash tears at most the last of them.
    int rc = s_write_at (self->fd, self->buffer, self->buffer_size, self->size);
    size_t written = self->buffer_size;
    self->queued = 0;
    s_buffer_reset (self);
    if (rc) {
        //  Part of them may be in the file: cut it, or the next records
        //  would follow a torn one and never be replayed.
        int error = errno;
        if (s_truncate (self->fd, self->size))
            self->failed = error;
        self->last_seq = self->written_seq;
        errno = error;
        return zown_fail (ZOWN_SYSTEM);
    }
    self->size += written;
    self->unsynced = true;
    return 0;
}

int
zown_journal_append (zown_journal_t *self, uint64_t seq, uint8_t kind, const void *data,
                     size_t size)
{
    if (zown_journal_add (self, seq, kind, data, size))
        return -1;
    return zown_journal_write (self);
}

int
zown_journal_commit (zown_journal_t *self)
{
    if (zown_journal_write (self))
        return -1;
    if (self->mode == ZOWN_FSYNC_EVERYSEC) {
        pthread_mutex_lock (&self->mutex);
        if (self->sync_error && !self->failed)
            self->failed = self->sync_error;
        if (self->unsynced && !self->dirty) {
            self->dirty = true;
            pthread_cond_signal (&self->wake);
        }
        pthread_mutex_unlock (&self->mutex);
    }
    if (s_check_failed (self))
        return -1;
    if (self->mode == ZOWN_FSYNC_ALWAYS && self->unsynced && s_sync (self->fd)) {
        //  Linux may have dropped the pages that failed to write and marked
        //  them clean: a later fdatasync would succeed without them.
        self->failed = errno;
        return zown_fail (ZOWN_SYSTEM);
    }
    self->unsynced = false;
    return 0;
}

uint64_t
zown_journal_log_size (zown_journal_t *self)
{
    return self ? self->size : 0;
}

int
zown_journal_snapshot_begin (zown_journal_t *self, uint64_t seq)
{
    if (!self || seq == 0 || seq < self->last_seq)
        return zown_fail (ZOWN_INVALID);
    if (self->snap_fd != -1 || self->queued || self->compact_pid > 0)
        return zown_fail (ZOWN_BUSY);
    if (s_check_failed (self))
        return -1;
    self->buffer_size = 0;
    if (s_reserve (self, S_FILE_HEADER))
        return zown_fail (ZOWN_NO_MEMORY);
    self->snap_fd = open (self->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (self->snap_fd == -1)
        return zown_fail (ZOWN_SYSTEM);
    s_file_header (self->buffer, S_SNAP_MAGIC);
    self->buffer_size = S_FILE_HEADER;
    self->snap_seq = seq;
    self->snap_offset = 0;
    self->snap_records = 0;
    return 0;
}

//  Writes the buffered part of the snapshot to its file.
static int
s_snapshot_flush (zown_journal_t *self)
{
    if (s_write_at (self->snap_fd, self->buffer, self->buffer_size, self->snap_offset))
        return ZOWN_SYSTEM;
    self->snap_offset += self->buffer_size;
    s_buffer_reset (self);
    return ZOWN_OK;
}

//  Abandons the snapshot after a failure, keeping its status and errno.
static int
s_snapshot_fail (zown_journal_t *self, int status)
{
    int error = errno;
    zown_journal_snapshot_abort (self);
    errno = error;
    return zown_fail (status);
}

int
zown_journal_snapshot_add (zown_journal_t *self, uint8_t kind, const void *data, size_t size)
{
    if (!self || self->snap_fd == -1)
        return zown_fail (ZOWN_INVALID);
    if (kind == S_END_KIND || (size && !data))
        return s_snapshot_fail (self, ZOWN_INVALID);
    if (size > ZOWN_JOURNAL_RECORD_MAX)
        return s_snapshot_fail (self, ZOWN_TOO_LARGE);
    if (s_buffer_record (self, self->snap_seq, kind, data, size))
        return s_snapshot_fail (self, ZOWN_NO_MEMORY);
    self->snap_records++;
    //  Buffered, unlike appends: until its rename the file means nothing,
    //  so a crash that loses the buffer loses nothing.
    if (self->buffer_size >= S_BUFFER_KEEP && s_snapshot_flush (self) != ZOWN_OK)
        return s_snapshot_fail (self, ZOWN_SYSTEM);
    return 0;
}

int
zown_journal_snapshot_commit (zown_journal_t *self)
{
    if (!self || self->snap_fd == -1)
        return zown_fail (ZOWN_INVALID);
    //  The end marker proves the snapshot whole: its count of records.
    uint8_t count [8];
    zown_store_be (count, self->snap_records, 8);
    if (s_buffer_record (self, self->snap_seq, S_END_KIND, count, sizeof (count)))
        return s_snapshot_fail (self, ZOWN_NO_MEMORY);
    int rc;
    if (s_snapshot_flush (self) != ZOWN_OK)
        return s_snapshot_fail (self, ZOWN_SYSTEM);
    while ((rc = fsync (self->snap_fd)) == -1 && errno == EINTR)
        ;
    if (rc || (!self->sealing && rename (self->tmp_path, self->snap_path)))
        return s_snapshot_fail (self, ZOWN_SYSTEM);
    close (self->snap_fd);
    self->snap_fd = -1;
    if (self->sealing)
        return 0;
    //  Whatever follows, the new snapshot may be the one found at the next
    //  open, and it hides records up to its seq.
    self->last_seq = self->snap_seq;
    //  Until the rename is durable, the old snapshot may be the one found
    //  after a crash, and it needs the whole log: keep the log.
    if (s_sync_dir (self))
        return zown_fail (ZOWN_SYSTEM);
    if (s_truncate (self->fd, S_FILE_HEADER))
        return zown_fail (ZOWN_SYSTEM);
    self->size = S_FILE_HEADER;
    self->unsynced = false;
    //  Synced now so that the log never holds new records after the remains
    //  of old ones; a failure here is a failed sync like any other.
    if (s_sync (self->fd)) {
        self->failed = errno;
        return zown_fail (ZOWN_SYSTEM);
    }
    return 0;
}

void
zown_journal_snapshot_abort (zown_journal_t *self)
{
    if (!self || self->snap_fd == -1)
        return;
    close (self->snap_fd);
    self->snap_fd = -1;
    unlink (self->tmp_path);
    s_buffer_reset (self);
}

//  ---------------------------------------------------------------------
//  Snapshots in the background

//  In the child: everything inherited but `keep` is closed, so that the
//  child never holds the parent's lock, log, sockets or pidfds (a child
//  holding the lock or a listening socket would outlive a killed owner
//  and keep its successor out).
static void
s_close_except (int keep)
{
    if ((keep == 3 || close_range (3, (unsigned) keep - 1, 0) == 0)
        && close_range ((unsigned) keep + 1, ~0u, 0) == 0)
        return;
    for (int fd = 3; fd < 65536; fd++)  //  A kernel before close_range
        if (fd != keep)
            close (fd);
}

//  The child: writes the snapshot from its copy of the parent's memory,
//  says so with one octet, and leaves with _exit: no atexit handler, no
//  ZeroMQ object and no lock of the parent's threads is ever touched.
static void __attribute__ ((noreturn))
s_compact_child (zown_journal_t *self, uint64_t seq, zown_journal_dump_fn *dump, void *arg,
                 int done_fd, pid_t parent)
{
    //  It dies with the thread that forked it: left writing after its
    //  owner was killed, it could write into the next owner's snapshot.
    if (prctl (PR_SET_PDEATHSIG, SIGKILL) || getppid () != parent)
        _exit (1);
    s_close_except (done_fd);
    self->fd = self->lock_fd = -1;
    self->sealing = true;
    char whole = 'K';
    bool done = zown_journal_snapshot_begin (self, seq) == 0 && dump (arg, self) == 0
        && zown_journal_snapshot_commit (self) == 0 && write (done_fd, &whole, 1) == 1;
    _exit (done ? 0 : 1);
}

int
zown_journal_compact_start (zown_journal_t *self, uint64_t seq, zown_journal_dump_fn *dump,
                            void *arg)
{
    if (!self || !dump || seq == 0 || seq < self->last_seq)
        return zown_fail (ZOWN_INVALID);
    if (self->snap_fd != -1 || self->queued || self->compact_pid > 0)
        return zown_fail (ZOWN_BUSY);
    if (s_check_failed (self))
        return -1;
    int fds [2];
    if (pipe2 (fds, O_CLOEXEC))
        return zown_fail (ZOWN_SYSTEM);
    pid_t parent = getpid ();
    pid_t pid = fork ();
    if (pid == 0)
        s_compact_child (self, seq, dump, arg, fds [1], parent);
    close (fds [1]);
    if (pid == -1) {
        s_close_quietly (fds [0]);
        return zown_fail (ZOWN_SYSTEM);
    }
    self->compact_pid = pid;
    self->compact_fd = fds [0];
    self->compact_from = self->size;
    self->compact_seq = seq;
    return 0;
}

//  Copies size bytes of the log from `from` to fd at `to`.
static int
s_copy_tail (zown_journal_t *self, uint64_t from, int fd, uint64_t to, uint64_t size)
{
    uint8_t chunk [65536];
    while (size) {
        size_t want = size < sizeof (chunk) ? (size_t) size : sizeof (chunk);
        ssize_t got = pread (self->fd, chunk, want, (off_t) from);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            if (got == 0)
                errno = EIO;  //  The log is shorter than it has written
            return -1;
        }
        if (s_write_at (fd, chunk, (size_t) got, to))
            return -1;
        from += (uint64_t) got;
        to += (uint64_t) got;
        size -= (uint64_t) got;
    }
    return 0;
}

//  Replaces the log by its header and the records from `from` on (those
//  appended after the snapshot's fork), through a new file written and
//  synced whole, then renamed over it: a crash leaves either log, and
//  both are consistent with the snapshot already in place.
static int
s_cut_log (zown_journal_t *self, uint64_t from)
{
    int fd = open (self->new_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd == -1)
        return -1;
    uint8_t header [S_FILE_HEADER];
    s_file_header (header, S_LOG_MAGIC);
    uint64_t tail = self->size - from;
    if (s_write_at (fd, header, S_FILE_HEADER, 0)
        || s_copy_tail (self, from, fd, S_FILE_HEADER, tail) || s_sync (fd)
        || rename (self->new_path, self->path)) {
        s_close_quietly (fd);
        int error = errno;
        unlink (self->new_path);
        errno = error;
        return -1;
    }
    //  The syncer must not sync the old descriptor while it is closed.
    int old = self->fd;
    if (self->syncer_started) {
        pthread_mutex_lock (&self->mutex);
        while (self->syncing)
            pthread_cond_wait (&self->idle, &self->mutex);
        self->fd = fd;
        pthread_mutex_unlock (&self->mutex);
    } else
        self->fd = fd;
    close (old);
    self->size = S_FILE_HEADER + tail;
    //  Everything in the new log is synced; the rename is made durable.
    self->unsynced = false;
    return s_sync_dir (self);
}

int
zown_journal_compact_finish (zown_journal_t *self)
{
    if (!self || self->compact_pid <= 0)
        return zown_fail (ZOWN_INVALID);
    char whole = 0;
    ssize_t got;
    while ((got = read (self->compact_fd, &whole, 1)) == -1 && errno == EINTR)
        ;
    close (self->compact_fd);
    self->compact_fd = -1;
    //  Reaped here unless the application reaps every child itself.
    while (waitpid (self->compact_pid, NULL, 0) == -1 && errno == EINTR)
        ;
    self->compact_pid = 0;
    if (got != 1 || whole != 'K') {
        unlink (self->tmp_path);
        errno = EIO;
        return zown_fail (ZOWN_SYSTEM);
    }
    if (rename (self->tmp_path, self->snap_path)) {
        int error = errno;
        unlink (self->tmp_path);
        errno = error;
        return zown_fail (ZOWN_SYSTEM);
    }
    //  The new snapshot hides records up to its seq: appends go above it.
    if (self->last_seq < self->compact_seq)
        self->last_seq = self->compact_seq;
    //  Until the rename is durable, the old snapshot may be the one found
    //  after a crash, and it needs the whole log: keep the log.
    if (s_sync_dir (self) || s_cut_log (self, self->compact_from))
        return zown_fail (ZOWN_SYSTEM);
    return 0;
}

int
zown_journal_compact_poll (zown_journal_t *self)
{
    if (!self || self->compact_pid <= 0)
        return 0;
    struct pollfd item = { self->compact_fd, POLLIN, 0 };
    if (poll (&item, 1, 0) <= 0)
        return 1;  //  Not done, or interrupted: asked again later
    return zown_journal_compact_finish (self);
}
