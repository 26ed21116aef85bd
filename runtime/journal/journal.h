/*  =========================================================================
    journal - the owner's durability journal: an append-only log of records
    and a snapshot that compacts it (docs/DURABILITY.md)

    A record is opaque bytes with a kind (1..255) and a sequence number
    that grows from record to record; the journal knows nothing of what the
    records mean. Opening replays the snapshot, then the log records newer
    than it, through a callback, and sets aside a torn or corrupt tail
    instead of applying it. Used by one thread; with ZOWN_FSYNC_EVERYSEC the
    journal runs one background thread of its own that only calls
    fdatasync, and a background snapshot is written by a child process.
    =========================================================================
*/
#ifndef ZOWN_JOURNAL_H_INCLUDED
#define ZOWN_JOURNAL_H_INCLUDED

//  Largest payload of one record.
#define ZOWN_JOURNAL_RECORD_MAX (256u << 20)

typedef struct _zown_journal_t zown_journal_t;

//  The system calls the journal writes and syncs its log with, so
//  that tests can count syncs and make writes or syncs fail. Set before a
//  journal opens (the everysec syncer thread reads it); NULL restores the
//  system's own.
typedef struct {
    ssize_t (*pwrite) (int fd, const void *data, size_t size, off_t offset);
    int (*fdatasync) (int fd);
} zown_journal_io_t;
void zown_journal_set_io (const zown_journal_io_t *io);

//  When appended records reach the disk: zown_fsync_t (include/zown_owner.h).

//  Parse "always" / "everysec" / "no" into *mode_p. Returns 0, or -1 with
//  ZOWN_INVALID if text is none of them (then *mode_p is unchanged).
int zown_fsync_parse (const char *text, zown_fsync_t *mode_p);

//  Called once per record while opening, in order: the snapshot's records
//  (each with the snapshot's seq), then the log's records whose seq is
//  greater than the snapshot's seq. `data` is valid only during the call.
//  Returning non-zero stops the open (it then fails with ZOWN_INVALID).
typedef int (zown_journal_apply_fn) (void *arg, uint64_t seq, uint8_t kind, const void *data,
                                     size_t size);

//  What opening found. Appends must go above last_seq.
typedef struct {
    uint64_t snapshot_seq;      //  Seq the snapshot was taken at (0: no snapshot)
    uint64_t snapshot_records;  //  Records applied from it
    uint64_t log_records;       //  Log records applied
    uint64_t last_seq;          //  Highest seq applied or snapshot seq (0: none)
    uint64_t bad_offset;        //  Where the log stopped being valid (its size if all good)
    uint64_t bad_bytes;         //  Bytes after that, set aside (0: none)
    char set_aside [4096];      //  File they were moved to ("" if none)
    char problem [256];         //  What was wrong ("" if nothing), "truncated record at record 4"
} zown_journal_recovery_t;

//  Open (creating if absent) the journal whose log is the file `path`; the
//  snapshot is path + ".snap". Takes an exclusive flock on path + ".lock"
//  (never removed) so that two owners never write one journal: a second
//  open fails with ZOWN_ADDR_IN_USE, also from the same process. A child
//  forked while the journal is open shares that lock, and must neither use
//  nor destroy the journal (the syncer thread is not in the child).
//  Replays the journal through apply (NULL: replay without applying) and
//  leaves the log ready for appends at its end. A torn or corrupt log tail
//  (partial record, bad checksum, bad magic, absurd length, a seq that does
//  not grow) is never applied: everything from the first bad byte on is
//  copied to path + ".corrupt-<UTC time>-<pid>", synced, and only then cut
//  from the log; `recovery` (may be NULL) says so.
//  Records are applied while they are checked, so after a failed open
//  whatever apply built must be thrown away. A failed open changes nothing
//  on disk, except for creating an absent log and lock file.
//  Returns NULL with ZOWN_INVALID (bad arguments; a file that is not a
//  journal or of an unknown version; a corrupt snapshot: it is written
//  atomically, so this means damage; apply returned non-zero: the problem
//  text says which), ZOWN_ADDR_IN_USE, ZOWN_SYSTEM (errno kept) or
//  ZOWN_NO_MEMORY.
zown_journal_t *zown_journal_open (const char *path, zown_fsync_t mode,
                                   zown_journal_apply_fn *apply, void *arg,
                                   zown_journal_recovery_t *recovery);

//  Sync what was written (whatever the mode), stop the background syncer,
//  abandon an unfinished snapshot, close and unlock. Accepts NULL; nulls the
//  pointer. A failure of that last sync cannot be reported: call
//  zown_journal_commit first where it matters.
void zown_journal_destroy (zown_journal_t **self_p);

//  Append one record: seq above every earlier one (and above the
//  recovery's last_seq), kind 1..255, size up to ZOWN_JOURNAL_RECORD_MAX.
//  Written at once (with any records added before it), so a crash of the
//  process loses nothing; not synced yet (zown_journal_commit). Returns 0,
//  or -1 with ZOWN_INVALID, ZOWN_TOO_LARGE, ZOWN_BUSY (a snapshot is being
//  written: its commit empties the log), ZOWN_NO_MEMORY or ZOWN_SYSTEM
//  (errno kept; the log is cut back to its last whole record). After a
//  failed sync every append and commit fails with ZOWN_SYSTEM: the kernel
//  may have dropped the unsynced data, so only a reopen knows what is on
//  disk.
int zown_journal_append (zown_journal_t *self, uint64_t seq, uint8_t kind, const void *data,
                         size_t size);

//  Group commit: add queues a record as append would write it, in memory
//  only (same arguments and errors, but never ZOWN_SYSTEM for a write);
//  write then writes every queued record with one write(2), so that a
//  burst of requests costs one system call. A failed write cuts the log
//  back to its last whole record and forgets the queued records (their
//  seqs may be used again): -1 with ZOWN_SYSTEM, errno kept. Each returns
//  0 or -1.
int zown_journal_add (zown_journal_t *self, uint64_t seq, uint8_t kind, const void *data,
                      size_t size);
int zown_journal_write (zown_journal_t *self);

//  The durability point, after one or more appends and before their
//  replies are sent; writes queued records first, as write does (-1 with
//  ZOWN_SYSTEM if that fails). ALWAYS: fdatasync now; -1 with ZOWN_SYSTEM
//  if it fails, and then the caller must not acknowledge. EVERYSEC: the
//  background thread fdatasyncs within about a second (a crash of the
//  machine loses at most that; a crash of the process nothing); -1 with
//  ZOWN_SYSTEM if one of its syncs failed. NO: nothing, the OS decides.
int zown_journal_commit (zown_journal_t *self);

//  Bytes in the log now, header included (for deciding when to compact).
uint64_t zown_journal_log_size (zown_journal_t *self);

//  Compaction: write a snapshot of the whole state as records, taken at
//  `seq` (everything applied up to seq; at least the last appended seq).
//  begin opens path + ".snap.tmp"; add writes records to it (buffered: the
//  file means nothing until commit); commit ends it with a marker, fsyncs
//  it, renames it over path + ".snap", fsyncs the directory, then empties
//  the log (a crash between rename and truncation is harmless: open skips
//  log records with seq <= the snapshot's). No appends between begin and
//  commit. Each returns 0, or -1 with ZOWN_INVALID (no snapshot begun,
//  bad seq or kind), ZOWN_BUSY (begin while one is being written, or
//  while added records wait for their write),
//  ZOWN_TOO_LARGE, ZOWN_NO_MEMORY or ZOWN_SYSTEM; a failed add or commit
//  abandons the snapshot as abort does. A commit that fails after the
//  rename leaves the log as it was, which is still consistent.
int zown_journal_snapshot_begin (zown_journal_t *self, uint64_t seq);
int zown_journal_snapshot_add (zown_journal_t *self, uint8_t kind, const void *data, size_t size);
int zown_journal_snapshot_commit (zown_journal_t *self);
//  Abandon the snapshot being written and remove its temporary file. Does
//  nothing if none is.
void zown_journal_snapshot_abort (zown_journal_t *self);

//  Compaction in the background: the snapshot is written by a forked
//  child from its copy-on-write view of the caller's memory, while the
//  caller goes on appending. start forks the child, which calls dump with
//  this journal (dump adds the records with zown_journal_snapshot_add),
//  writes the end marker, fsyncs the file, reports it whole through a
//  pipe and leaves with _exit; it closes every inherited descriptor first
//  and touches nothing of the parent's threads (docs/FORK.md). dump runs
//  in the child: it must not use locks other threads may hold, nor
//  ZeroMQ. poll (never blocks) returns 1 while the child runs; once it is
//  done, it finishes as finish does and returns its result (0 if no
//  compaction runs). finish waits for the child, renames its snapshot
//  over path + ".snap", fsyncs the directory and replaces the log with
//  the records appended since the fork (written to path + ".new", synced,
//  renamed over the log). A child that failed or was killed leaves the
//  previous snapshot and the whole log: finish removes its file and fails.
//  destroy kills the child of a compaction that runs, and finishes it
//  (the log stays whole). Each returns 0, or -1 with
//  ZOWN_INVALID (bad arguments; finish: none runs), ZOWN_BUSY (start:
//  a snapshot is being written or records wait for their write) or
//  ZOWN_SYSTEM (errno kept; EIO: the child did not finish).
typedef int (zown_journal_dump_fn) (void *arg, zown_journal_t *journal);
int zown_journal_compact_start (zown_journal_t *self, uint64_t seq, zown_journal_dump_fn *dump,
                                void *arg);
int zown_journal_compact_poll (zown_journal_t *self);
int zown_journal_compact_finish (zown_journal_t *self);

//  CRC-32C (Castagnoli) of size bytes, continuing from crc (0 to start):
//  with the CPU's crc32 instruction (SSE4.2) where there is one, else
//  eight bytes at a time from tables.
typedef uint32_t (zown_crc32c_fn) (uint32_t crc, const void *data, size_t size);
uint32_t zown_crc32c (uint32_t crc, const void *data, size_t size);
//  The two implementations, for tests: the portable one, and the
//  hardware one (NULL where the CPU or the compiler has none).
uint32_t zown_crc32c_portable (uint32_t crc, const void *data, size_t size);
zown_crc32c_fn *zown_crc32c_hardware (void);

#endif
