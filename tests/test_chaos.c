/*  =========================================================================
    test_chaos - 16 worker processes update shared state while one of them
    is SIGKILLed every 50-200 ms: once on an idle machine, once beside
    busy loops. Every acknowledged update is there and no update that was
    not sent; a counter that workers increment non-atomically under a lock
    is exact; each holder's death is reported to one later holder; and
    the owner ends with no session and no parked request left.

    ZOWN_CHAOS_SECONDS sets how long each round kills (default 30).
    =========================================================================
*/
#include "testutil.h"
#include <fcntl.h>
#include <signal.h>
#include <poll.h>

#define S_WORKERS 16

static zown_spawner_t *s_spawner;

//  What a worker tells the test through a file of its own (one pwrite of
//  the whole record at a time), so the test can read it after a SIGKILL.
typedef struct {
    int64_t acked;      //  Last update the owner acknowledged
    int64_t state;      //  Lock: 0 not held, 1 acquire sent, 2 held, 3 release sent
    int64_t died_seen;  //  Acquires that said the last holder died
} s_record_t;

typedef struct {
    char endpoint [256];
    char file [256];
    int slot;
    int incarnation;
} s_setup_t;

static int
s_put (int fd, const s_record_t *record)
{
    return pwrite (fd, record, sizeof (*record), 0) == (ssize_t) sizeof (*record) ? 0 : -1;
}

//  One critical section: read the counter, then write counter + 1 and the
//  proof of this section in one batch, all under the lock.
static int
s_critical (zown_client_t *client, zown_request_t *batch, const char *key, int fd,
            s_record_t *record)
{
    zown_lock_t *lock = zown_lock_new (client, "lock");
    zown_value_t *counter = zown_value_new (client, "counter");
    record->state = 1;
    bool died = false;
    if (s_put (fd, record) || zown_lock_acquire (lock, 60000, &died))
        return 10;
    record->state = 2;
    record->died_seen += died;
    int64_t value = 0;
    if (s_put (fd, record) || (zown_value_get (counter, &value) && zown_errno () != ZOWN_NOT_FOUND))
        return 11;
    zown_request_reset (batch);
    zown_datum_t next = zown_datum_int (value + 1);
    zown_datum_t proof [2] = { zown_datum_str (key), zown_datum_int (1) };
    if (zown_request_add (batch, ZOWN_OP_VALUE_SET, "counter", 1, &next)
        || zown_request_add (batch, ZOWN_OP_DICT_SET, "sections", 2, proof)
        || zown_client_call (client, batch, NULL))
        return 12;
    record->state = 3;
    if (s_put (fd, record) || zown_lock_release (lock))
        return 14;
    record->state = 0;
    zown_lock_destroy (&lock);
    zown_value_destroy (&counter);
    return s_put (fd, record) ? 13 : 0;
}

static int
s_worker (void *args, const void *payload, size_t size)
{
    (void) args, (void) size;
    const s_setup_t *setup = (const s_setup_t *) payload;
    int fd = open (setup->file, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    s_record_t record = { 0, 0, 0 };
    zown_client_t *client = zown_client_new (setup->endpoint);
    if (fd < 0 || s_put (fd, &record) || !client || zown_client_set_timeout (client, 60000))
        return 1;
    zown_dict_t *updates = zown_dict_new (client, "updates");
    zown_value_t *stop = zown_value_new (client, "stop");
    zown_request_t *batch = zown_request_new ();
    int rc = 0;
    for (int64_t seq = 1; rc == 0; seq++) {
        int64_t stopping = 0;
        if (seq % 16 == 0 && zown_value_get (stop, &stopping) == 0 && stopping)
            break;
        char key [64];
        snprintf (key, sizeof (key), "%d.%d.%lld", setup->slot, setup->incarnation,
                  (long long) seq);
        if (zown_dict_set (updates, key, zown_datum_int (seq), NULL))
            return 2;
        record.acked = seq;
        if (s_put (fd, &record))
            return 3;
        if (seq % 8 == 0)
            rc = s_critical (client, batch, key, fd, &record);
    }
    zown_request_destroy (&batch);
    zown_value_destroy (&stop);
    zown_dict_destroy (&updates);
    zown_client_destroy (&client);
    close (fd);
    return rc;
}

//  --------------------------------------------------------------------------
//  The test's side

//  One incarnation of a worker, as the test knows it.
typedef struct {
    int slot;
    int incarnation;
    pid_t pid;
    s_record_t last;  //  Its record when it ended
    bool killed;
} s_life_t;

typedef struct {
    zown_owner_t *owner;
    s_life_t *lives;
    size_t count;
    size_t capacity;
    pid_t running [S_WORKERS];
    int incarnations;
    int sure_holder_deaths;   //  Killed holding the lock
    int maybe_holder_deaths;  //  Killed with an acquire or a release sent
} s_chaos_t;

static s_life_t *
s_life_of (s_chaos_t *self, pid_t pid)
{
    for (size_t index = 0; index < self->count; index++)
        if (self->lives [index].pid == pid)
            return &self->lives [index];
    return NULL;
}

static void
s_file_of (const s_life_t *life, char *path, size_t size)
{
    snprintf (path, size, "%s/chaos-%d-%d", getenv ("ZOWN_RUNDIR"), life->slot, life->incarnation);
}

static void
s_spawn (s_chaos_t *self, int slot)
{
    if (self->count == self->capacity) {
        self->capacity = self->capacity ? self->capacity * 2 : 64;
        self->lives = (s_life_t *) realloc (self->lives, self->capacity * sizeof (s_life_t));
        assert_non_null (self->lives);
    }
    s_life_t *life = &self->lives [self->count++];
    memset (life, 0, sizeof (*life));
    life->slot = slot;
    life->incarnation = self->incarnations++;
    s_setup_t setup = { .slot = slot, .incarnation = life->incarnation };
    snprintf (setup.endpoint, sizeof (setup.endpoint), "%s", zown_owner_ipc (self->owner));
    s_file_of (life, setup.file, sizeof (setup.file));
    life->pid = zown_spawner_spawn (s_spawner, s_worker, NULL, &setup, sizeof (setup));
    assert_true (life->pid > 0);
    self->running [slot] = life->pid;
}

//  A worker has ended: read its last record.
static void
s_ended (s_chaos_t *self, pid_t pid, int status)
{
    s_life_t *life = s_life_of (self, pid);
    assert_non_null (life);
    char path [512];
    s_file_of (life, path, sizeof (path));
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    assert_true (fd >= 0);
    assert_int_equal (pread (fd, &life->last, sizeof (life->last), 0), sizeof (life->last));
    close (fd);
    if (life->killed) {
        assert_true (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
        //  Killed with its acquire or its release on the way, it may or
        //  may not have held the lock when it died.
        self->sure_holder_deaths += life->last.state == 2;
        self->maybe_holder_deaths += life->last.state == 1 || life->last.state == 3;
    } else if (!WIFEXITED (status) || WEXITSTATUS (status) != 0) {
        char why [64];
        fail_msg ("worker %d ended: %s", life->slot, zown_spawner_describe (status, why, 64));
    }
}

//  Kill one running worker every 50-200 ms for `seconds`, each replaced at
//  once by a new incarnation. The pauses pace the chaos; nothing waits on
//  them.
static void
s_kill_for (s_chaos_t *self, int seconds)
{
    int64_t end = testutil_now_ms () + seconds * 1000;
    while (testutil_now_ms () < end) {
        struct pollfd item = { zown_spawner_fd (s_spawner), POLLIN, 0 };
        poll (&item, 1, 50 + rand () % 151);
        pid_t pid;
        int status;
        while (zown_spawner_wait (s_spawner, 0, &pid, &status) == 0) {
            s_life_t *life = s_life_of (self, pid);
            assert_non_null (life);
            if (!life->killed)  //  A worker ended by itself: a failure
                s_ended (self, pid, status);
        }
        int slot = rand () % S_WORKERS;
        s_life_t *life = s_life_of (self, self->running [slot]);
        life->killed = true;
        assert_int_equal (zown_spawner_kill (s_spawner, life->pid, SIGKILL), 0);
        assert_int_equal (zown_spawner_wait (s_spawner, 30000, &pid, &status), 0);
        assert_int_equal (pid, life->pid);
        s_ended (self, pid, status);
        s_spawn (self, slot);
    }
}

//  The updates of one incarnation in the owner: every acknowledged one
//  there, with its value, and none past the one it may have had in flight.
static void
s_check_updates (s_chaos_t *self, zown_client_t *client)
{
    int64_t *present = (int64_t *) calloc (self->count, sizeof (int64_t));
    int64_t *highest = (int64_t *) calloc (self->count, sizeof (int64_t));
    zown_dict_t *updates = zown_dict_new (client, "updates");
    zown_reply_t *items;
    assert_int_equal (zown_dict_items (updates, &items), 0);
    size_t values = zown_reply_count (items, 0);
    for (size_t index = 0; index + 1 < values; index += 2) {
        zown_datum_t key = zown_reply_value (items, 0, index);
        int slot, incarnation;
        long long seq;
        assert_int_equal (
            sscanf ((const char *) key.u.b.ptr, "%d.%d.%lld", &slot, &incarnation, &seq), 3);
        assert_true (incarnation >= 0 && (size_t) incarnation < self->count);
        assert_int_equal (zown_reply_value (items, 0, index + 1).u.i, seq);
        present [incarnation]++;
        if (seq > highest [incarnation])
            highest [incarnation] = seq;
    }
    for (size_t index = 0; index < self->count; index++) {
        const s_life_t *life = &self->lives [index];
        int64_t acked = life->last.acked;
        //  Keys are unique: `present` of them up to `highest`, with every
        //  acknowledged one among them and at most one more.
        assert_true (highest [life->incarnation] <= acked + 1);
        assert_true (present [life->incarnation] >= acked);
        assert_true (present [life->incarnation] == highest [life->incarnation]);
    }
    zown_dict_destroy (&updates);
    free (present);
    free (highest);
}

static void
s_round (int seconds, int busy_loops)
{
    s_chaos_t self = { .owner = testutil_owner () };
    zown_client_t *client = testutil_client (zown_owner_inproc (self.owner));
    pid_t load [3];
    for (int index = 0; index < busy_loops; index++)
        load [index] = testutil_spin (s_spawner);
    for (int slot = 0; slot < S_WORKERS; slot++)
        s_spawn (&self, slot);
    s_kill_for (&self, seconds);

    zown_value_t *stop = zown_value_new (client, "stop");
    assert_int_equal (zown_value_set (stop, 1), 0);
    for (int slot = 0; slot < S_WORKERS; slot++) {
        pid_t pid;
        int status;
        assert_int_equal (zown_spawner_wait (s_spawner, 60000, &pid, &status), 0);
        s_ended (&self, pid, status);
    }
    for (int index = 0; index < busy_loops; index++)
        testutil_unspin (s_spawner, load [index]);

    //  The last holder's death, if it was the last thing the lock saw, is
    //  told to this acquire.
    zown_lock_t *lock = zown_lock_new (client, "lock");
    bool died = false;
    assert_int_equal (zown_lock_acquire (lock, 10000, &died), 0);
    int64_t told = died;
    for (size_t index = 0; index < self.count; index++)
        told += self.lives [index].last.died_seen;
    //  Each death of a holder is told to the next holder, once; a worker
    //  killed right after its acquire was sent may have held the lock.
    assert_true (told >= self.sure_holder_deaths);
    assert_true (told <= self.sure_holder_deaths + self.maybe_holder_deaths);

    zown_value_t *counter = zown_value_new (client, "counter");
    int64_t count = 0;
    assert_int_equal (zown_value_get (counter, &count), 0);
    zown_dict_t *sections = zown_dict_new (client, "sections");
    size_t proofs = 0;
    assert_int_equal (zown_dict_len (sections, &proofs), 0);
    assert_int_equal (count, (int64_t) proofs);  //  No section ever overlapped another
    s_check_updates (&self, client);
    testutil_await_stat (client, "sessions", 1);
    testutil_await_stat (client, "parked", 0);
    printf ("chaos: %d s, %d busy loops: %zu workers started, %zu killed (%d holding the "
            "lock, %d acquiring or releasing it), %lld ops applied, %lld lock sections, %lld "
            "deaths told\n",
            seconds, busy_loops, self.count, self.count - S_WORKERS, self.sure_holder_deaths,
            self.maybe_holder_deaths, (long long) testutil_stat (client, "ops"), (long long) count,
            (long long) told);
    zown_dict_destroy (&sections);
    zown_value_destroy (&counter);
    zown_lock_destroy (&lock);
    zown_value_destroy (&stop);
    zown_client_destroy (&client);
    zown_owner_destroy (&self.owner);
    free (self.lives);
}

static int
s_seconds (void)
{
    const char *text = getenv ("ZOWN_CHAOS_SECONDS");
    return text && atoi (text) > 0 ? atoi (text) : 30;
}

static void
test_chaos_idle (void **state)
{
    (void) state;
    s_round (s_seconds (), 0);
}

static void
test_chaos_beside_busy_loops (void **state)
{
    (void) state;
    s_round (s_seconds (), 3);
}

int
main (void)
{
    srand ((unsigned) getpid ());
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_chaos_idle),
        cmocka_unit_test (test_chaos_beside_busy_loops),
    };
    return testutil_run_spawned (&s_spawner, tests, sizeof (tests) / sizeof (tests [0]));
}
