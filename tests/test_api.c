/*  =========================================================================
    test_api - the calls that make the API pleasant: owned results (typed
    getters, datum reads, items), one place for errors, bulk calls that
    split over the request limits, one-off calls by name, anonymous
    owners, and a client in an application's poll() loop
    =========================================================================
*/
#include "testutil.h"
#include <poll.h>

static void
test_datum_reads (void **state)
{
    (void) state;
    int64_t number;
    double real;
    assert_int_equal (zown_datum_to_int (zown_datum_int (-7), &number), 0);
    assert_int_equal (number, -7);
    assert_int_equal (zown_datum_to_int (zown_datum_double (1.5), &number), -1);
    assert_int_equal (zown_errno (), ZOWN_WRONG_TYPE);
    assert_int_equal (zown_datum_to_double (zown_datum_int (3), &real), 0);
    assert_true (real == 3.0);
    assert_int_equal (zown_datum_to_double (zown_datum_double (2.5), &real), 0);
    assert_true (real == 2.5);
    assert_int_equal (zown_datum_to_double (ZOWN_STR ("x"), NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_WRONG_TYPE);
    char *text = zown_datum_to_str (zown_datum_bytes ("abc", 2));
    assert_string_equal (text, "ab");
    free (text);
    size_t size;
    char *bytes = (char *) zown_datum_to_bytes (zown_datum_bytes ("a\0b", 3), &size);
    assert_int_equal (size, 3);
    assert_memory_equal (bytes, "a\0b", 3);
    assert_int_equal (bytes [3], 0);
    free (bytes);
    assert_null (zown_datum_to_str (ZOWN_NIL_DATUM));
    assert_int_equal (zown_errno (), ZOWN_WRONG_TYPE);
}

static void
test_owned_getters (void **state)
{
    testutil_fixture_t *self = (testutil_fixture_t *) *state;
    assert_int_equal (zown_dict_set (self->dict, "n", zown_datum_int (42), NULL), 0);
    assert_int_equal (zown_dict_set (self->dict, "x", zown_datum_double (0.5), NULL), 0);
    assert_int_equal (zown_dict_set (self->dict, "s", ZOWN_STR ("hello"), NULL), 0);
    int64_t number = 0;
    double real = 0;
    assert_int_equal (zown_dict_get_int (self->dict, "n", &number), 0);
    assert_int_equal (number, 42);
    assert_int_equal (zown_dict_get_double (self->dict, "x", &real), 0);
    assert_true (real == 0.5);
    assert_int_equal (zown_dict_get_double (self->dict, "n", &real), 0);
    assert_true (real == 42.0);
    char *text = zown_dict_get_str (self->dict, "s");
    //  Owned: still there after other calls on the client.
    assert_int_equal (zown_dict_set (self->dict, "s", ZOWN_STR ("other"), NULL), 0);
    assert_string_equal (text, "hello");
    free (text);
    assert_int_equal (zown_dict_get_int (self->dict, "s", &number), -1);
    assert_int_equal (zown_errno (), ZOWN_WRONG_TYPE);
    assert_null (zown_dict_get_str (self->dict, "n"));
    assert_int_equal (zown_errno (), ZOWN_WRONG_TYPE);
    assert_int_equal (zown_dict_get_int (self->dict, "absent", &number), -1);
    assert_int_equal (zown_errno (), ZOWN_NOT_FOUND);
    assert_null (zown_dict_get_str (self->dict, "absent"));
    assert_int_equal (zown_errno (), ZOWN_NOT_FOUND);
    assert_null (zown_dict_get_str (NULL, "s"));
    assert_int_equal (zown_errno (), ZOWN_INVALID);

    zown_queue_t *queue = zown_queue_new (self->client, "q");
    assert_int_equal (zown_queue_put (queue, zown_datum_int (9), 0), 0);
    assert_int_equal (zown_queue_put (queue, ZOWN_STR ("nine"), 0), 0);
    assert_int_equal (zown_queue_get_int (queue, 0, &number), 0);
    assert_int_equal (number, 9);
    assert_int_equal (zown_queue_get_int (queue, 0, &number), -1);
    assert_int_equal (zown_errno (), ZOWN_WRONG_TYPE);
    assert_int_equal (zown_queue_get_int (queue, 0, &number), -1);
    assert_int_equal (zown_errno (), ZOWN_TIMEOUT);
    zown_queue_destroy (&queue);
}

static void
test_items (void **state)
{
    testutil_fixture_t *self = (testutil_fixture_t *) *state;
    const char *keys [] = { "pear", "apple", "fig", "kiwi" };
    zown_datum_t values [] = { zown_datum_int (3), zown_datum_int (7), ZOWN_STR ("dried"),
                               zown_datum_int (3) };
    assert_int_equal (zown_dict_update (self->dict, 4, keys, values), 0);
    zown_items_t *items = zown_items_new (self->dict);
    assert_non_null (items);
    assert_int_equal (zown_items_count (items), 4);
    //  Owned: other calls do not disturb it.
    assert_int_equal (zown_dict_clear (self->dict, NULL), 0);
    zown_items_sort (items, ZOWN_ITEMS_BY_INT_DESC);
    const char *order [] = { "apple", "kiwi", "pear", "fig" };
    int64_t numbers [] = { 7, 3, 3, 0 };
    for (int round = 0; round < 2; round++) {
        size_t index = 0;
        while (zown_items_next (items)) {
            assert_string_equal (zown_items_key (items), order [index]);
            assert_int_equal (zown_items_int (items), numbers [index]);
            index++;
        }
        //  The next loop starts over.
        assert_int_equal (index, 4);
    }
    zown_items_sort (items, ZOWN_ITEMS_BY_KEY);
    assert_true (zown_items_next (items));
    assert_string_equal (zown_items_key (items), "apple");
    assert_true (zown_items_double (items) == 7.0);
    assert_null (zown_items_str (items));
    assert_true (zown_items_next (items));
    assert_string_equal (zown_items_key (items), "fig");
    assert_string_equal (zown_items_str (items), "dried");
    assert_int_equal (zown_items_value (items).tag, ZOWN_BYTES);
    zown_items_destroy (&items);
    zown_items_destroy (&items);
    assert_null (items);
    //  An empty dict: no entries.
    items = zown_items_new (self->dict);
    assert_non_null (items);
    assert_int_equal (zown_items_count (items), 0);
    assert_false (zown_items_next (items));
    assert_string_equal (zown_items_key (items), "");
    zown_items_destroy (&items);
    assert_null (zown_items_new (NULL));
    assert_int_equal (zown_errno (), ZOWN_INVALID);
}

static void
test_error_text (void **state)
{
    (void) state;
    zown_owner_options_t options = { .limits = { .max_key = 8 } };
    zown_owner_t *owner = zown_owner_new_with (testutil_name ("errors"), &options);
    assert_non_null (owner);
    zown_client_t *client = testutil_client (zown_owner_inproc (owner));
    int status = -1;
    assert_int_equal (zown_hset_int (client, "d", "k", 1), 0);
    assert_string_equal (zown_client_error (client, &status), "success");
    assert_int_equal (status, ZOWN_OK);
    //  The owner's own message, after the status's text.
    assert_int_equal (zown_hset_int (client, "d", "a key too long", 1), -1);
    assert_string_equal (zown_client_error (client, &status),
                         "request, key or value over the owner's size limits: "
                         "key over max_key (8 bytes)");
    assert_int_equal (status, ZOWN_TOO_LARGE);
    int64_t number;
    assert_int_equal (zown_hget_int (client, "d", "absent", &number), -1);
    assert_string_equal (zown_client_error (client, &status), "no such object or key: no such key");
    assert_int_equal (status, ZOWN_NOT_FOUND);
    //  No client.
    assert_null (zown_client_new (NULL));
    assert_string_equal (zown_client_error (NULL, &status), "invalid argument");
    assert_int_equal (status, ZOWN_INVALID);
    //  Over the request's op limit: the text names it.
    zown_request_t *request = zown_request_new ();
    for (int op = 0; op < ZOWN_REQUEST_OPS_MAX; op++)
        assert_int_equal (zown_request_add (request, ZOWN_OP_PING, NULL, 0, NULL), 0);
    assert_int_equal (zown_request_add (request, ZOWN_OP_PING, NULL, 0, NULL), -1);
    assert_string_equal (zown_client_error (client, &status),
                         "invalid argument: a request holds at most 1024 ops "
                         "(ZOWN_REQUEST_OPS_MAX)");
    assert_int_equal (status, ZOWN_INVALID);
    //  A later failure without detail says only its own.
    assert_int_equal (zown_hset_int (client, NULL, "k", 1), -1);
    assert_string_equal (zown_client_error (client, NULL), "invalid argument");
    zown_request_destroy (&request);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
}

#define S_BULK 3000

static void
test_bulk_splits (void **state)
{
    testutil_fixture_t *self = (testutil_fixture_t *) *state;
    //  3,000 adds: three requests, the limit is 1,024 ops.
    static char names [S_BULK][16];
    const char *keys [S_BULK];
    int64_t deltas [S_BULK];
    for (int index = 0; index < S_BULK; index++) {
        snprintf (names [index], sizeof (names [index]), "k%d", index % 1500);
        keys [index] = names [index];
        deltas [index] = index;
    }
    assert_int_equal (zown_dict_add_many (self->dict, S_BULK, keys, NULL), 0);
    size_t len;
    assert_int_equal (zown_dict_len (self->dict, &len), 0);
    assert_int_equal (len, 1500);
    int64_t number;
    assert_int_equal (zown_dict_get_int (self->dict, "k1499", &number), 0);
    assert_int_equal (number, 2);
    assert_int_equal (zown_dict_add_many (self->dict, S_BULK, keys, deltas), 0);
    assert_int_equal (zown_dict_get_int (self->dict, "k7", &number), 0);
    assert_int_equal (number, 2 + 7 + 1507);
    //  A NULL key is refused before anything of its request is sent.
    keys [2500] = NULL;
    assert_int_equal (zown_dict_add_many (self->dict, S_BULK, keys, NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    //  Items 0..2047 went in the first two requests, applied; the third
    //  (2048..2999) was refused whole. k500 is items 500 and 2000, k600
    //  items 600 and 2100.
    assert_int_equal (zown_dict_get_int (self->dict, "k500", &number), 0);
    assert_int_equal (number, 2 + 500 + 2000 + 2);
    assert_int_equal (zown_dict_get_int (self->dict, "k600", &number), 0);
    assert_int_equal (number, 2 + 600 + 2100 + 1);

    //  3,000 puts, in order.
    zown_queue_t *queue = zown_queue_new (self->client, "q");
    zown_datum_t items [S_BULK];
    for (int index = 0; index < S_BULK; index++)
        items [index] = zown_datum_int (index);
    assert_int_equal (zown_queue_put_many (queue, S_BULK, items), 0);
    size_t size;
    assert_int_equal (zown_queue_size (queue, &size), 0);
    assert_int_equal (size, S_BULK);
    for (int index = 0; index < S_BULK; index++) {
        assert_int_equal (zown_queue_get_int (queue, 0, &number), 0);
        assert_int_equal (number, index);
    }
    assert_int_equal (zown_queue_put_many (queue, 0, items), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    zown_queue_destroy (&queue);

    //  3,000 keys set through update, and a list extended by them.
    zown_datum_t values [S_BULK];
    for (int index = 0; index < S_BULK; index++)
        values [index] = zown_datum_int (-index);
    assert_int_equal (zown_dict_clear (self->dict, NULL), 0);
    assert_int_equal (zown_dict_update (self->dict, 1500, keys, values), 0);
    assert_int_equal (zown_dict_get_int (self->dict, "k1499", &number), 0);
    assert_int_equal (number, -1499);
    assert_int_equal (zown_list_extend (self->list, S_BULK, values, &len), 0);
    assert_int_equal (len, S_BULK);
}

static void
test_one_off_calls (void **state)
{
    testutil_fixture_t *self = (testutil_fixture_t *) *state;
    zown_client_t *client = self->client;
    int64_t now = 0;
    assert_int_equal (zown_get (client, "hits", &now), -1);
    assert_int_equal (zown_errno (), ZOWN_NOT_FOUND);
    assert_int_equal (zown_incr (client, "hits", 5, &now), 0);
    assert_int_equal (now, 5);
    assert_int_equal (zown_incr (client, "hits", -2, NULL), 0);
    assert_int_equal (zown_get (client, "hits", &now), 0);
    assert_int_equal (now, 3);

    assert_int_equal (zown_hset_str (client, "config", "mode", "fast"), 0);
    assert_int_equal (zown_hset_int (client, "config", "level", 4), 0);
    assert_int_equal (zown_hset (client, "config", "ratio", zown_datum_double (0.25)), 0);
    char *mode = zown_hget_str (client, "config", "mode");
    assert_string_equal (mode, "fast");
    free (mode);
    assert_int_equal (zown_hget_int (client, "config", "level", &now), 0);
    assert_int_equal (now, 4);
    assert_int_equal (zown_hincr (client, "config", "level", 10, &now), 0);
    assert_int_equal (now, 14);
    assert_int_equal (zown_hincr (client, "config", "new", 1, &now), 0);
    assert_int_equal (now, 1);
    assert_int_equal (zown_hincr (client, "config", "mode", 1, &now), -1);
    assert_int_equal (zown_errno (), ZOWN_WRONG_TYPE);
    //  The same objects as the handles see.
    zown_dict_t *config = zown_dict_new (client, "config");
    size_t len;
    assert_int_equal (zown_dict_len (config, &len), 0);
    assert_int_equal (len, 4);
    zown_dict_destroy (&config);

    assert_int_equal (zown_put_int (client, "jobs", 11), 0);
    assert_int_equal (zown_put_int (client, "jobs", 12), 0);
    assert_int_equal (zown_take_int (client, "jobs", 0, &now), 0);
    assert_int_equal (now, 11);
    assert_int_equal (zown_take_int (client, "jobs", ZOWN_FOREVER, &now), 0);
    assert_int_equal (now, 12);
    assert_int_equal (zown_take_int (client, "jobs", 0, &now), -1);
    assert_int_equal (zown_errno (), ZOWN_TIMEOUT);

    //  Misuse.
    assert_int_equal (zown_incr (NULL, "hits", 1, NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_int_equal (zown_hset_str (client, "config", NULL, "x"), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_int_equal (zown_hset_str (client, "config", "k", NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_int_equal (zown_hget_int (client, "", "k", &now), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_int_equal (zown_take_int (client, "jobs", -2, &now), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
}

static void
test_one_off_bulk_and_items (void **state)
{
    testutil_fixture_t *self = (testutil_fixture_t *) *state;
    const char *words [] = { "b", "a", "b", "c", "b" };
    int64_t deltas [] = { 10, 20, 30, 40, 50 };
    assert_int_equal (zown_hincr_many (self->client, "words", 5, words, NULL), 0);
    assert_int_equal (zown_hincr_many (self->client, "words", 5, words, deltas), 0);
    assert_int_equal (zown_hincr_many (self->client, "words", 0, NULL, NULL), 0);
    assert_int_equal (zown_hincr_many (self->client, NULL, 0, NULL, NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_int_equal (zown_hincr_many (self->client, "words", 1, NULL, NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    zown_items_t *items = zown_hgetall (self->client, "words");
    assert_non_null (items);
    zown_items_sort (items, ZOWN_ITEMS_BY_INT_DESC);
    const char *keys [] = { "b", "c", "a" };
    int64_t counts [] = { 3 + 90, 1 + 40, 1 + 20 };
    for (int index = 0; index < 3; index++) {
        assert_true (zown_items_next (items));
        assert_string_equal (zown_items_key (items), keys [index]);
        assert_int_equal (zown_items_int (items), counts [index]);
    }
    assert_false (zown_items_next (items));
    zown_items_destroy (&items);
    //  A dict never written: empty. A value: WRONG_TYPE.
    items = zown_hgetall (self->client, "nothing");
    assert_int_equal (zown_items_count (items), 0);
    zown_items_destroy (&items);
    assert_int_equal (zown_incr (self->client, "number", 1, NULL), 0);
    assert_null (zown_hgetall (self->client, "number"));
    assert_int_equal (zown_errno (), ZOWN_WRONG_TYPE);
}

//  A task that fails for "bad", and returns the length of anything else.
static int
s_length_task (zown_worker_t *worker, zown_task_t *task)
{
    (void) worker;
    const char *text = zown_task_string (task);
    if (!text || !strcmp (text, "bad"))
        return zown_task_fail (task, "refused %s", text ? text : "(not a string)");
    return zown_task_return_int64 (task, (int64_t) strlen (text));
}

static void
test_pool_map_strings (void **state)
{
    (void) state;
    zown_pool_config_t config = { .mode = ZOWN_POOL_THREADS, .workers = 2, .task = s_length_task };
    zown_pool_t *pool = zown_pool_new (&config);
    assert_non_null (pool);
    const char *good [] = { "a", "bb", "", "dddd" };
    zown_future_t *futures [4];
    assert_int_equal (zown_pool_map_strings (pool, good, 4, futures), 0);
    for (int index = 0; index < 4; index++) {
        int64_t length;
        assert_int_equal (zown_future_int64 (futures [index], &length), 0);
        assert_int_equal (length, (int64_t) strlen (good [index]));
        zown_future_destroy (&futures [index]);
    }
    assert_int_equal (zown_pool_map_strings (pool, good, 4, NULL), 0);
    //  A failure: no future kept, and the text names the input.
    const char *mixed [] = { "a", "bad", "c" };
    assert_int_equal (zown_pool_map_strings (pool, mixed, 3, futures), -1);
    int status;
    assert_string_equal (zown_client_error (NULL, &status),
                         "the task function reported a failure: bad: task failed: refused bad");
    assert_int_equal (status, ZOWN_TASK_FAILED);
    for (int index = 0; index < 3; index++)
        assert_null (futures [index]);
    assert_int_equal (zown_pool_map_strings (pool, mixed, 3, NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_TASK_FAILED);
    const char *with_null [] = { "a", NULL };
    assert_int_equal (zown_pool_map_strings (pool, with_null, 2, futures), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_null (futures [0]);
    assert_int_equal (zown_pool_map_strings (NULL, good, 4, NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_int_equal (zown_pool_join (pool, 10000), 0);
    zown_pool_destroy (&pool);
}

static int
s_anonymous_child (void *arg)
{
    zown_client_t *client = zown_client_new ((const char *) arg);
    int rc = client ? zown_incr (client, "visits", 1, NULL) : -1;
    zown_client_destroy (&client);
    return rc ? 1 : 0;
}

static void
test_anonymous_owner (void **state)
{
    (void) state;
    zown_owner_t *first = zown_owner_new (NULL);
    zown_owner_t *second = zown_owner_new (NULL);
    assert_non_null (first);
    assert_non_null (second);
    assert_string_not_equal (zown_owner_name (first), zown_owner_name (second));
    assert_int_equal (strncmp (zown_owner_name (first), "anon-", 5), 0);
    char *ipc = zown_owner_endpoint_for (zown_owner_name (first));
    assert_string_equal (zown_owner_ipc (first), ipc);
    free (ipc);
    //  A process reaches it by its endpoints.
    pid_t pid = testutil_fork (s_anonymous_child, (void *) zown_owner_ipc (first));
    assert_int_equal (testutil_wait (pid), 0);
    zown_client_t *client = testutil_client (zown_owner_inproc (first));
    int64_t visits;
    assert_int_equal (zown_get (client, "visits", &visits), 0);
    assert_int_equal (visits, 1);
    zown_client_destroy (&client);
    client = testutil_client (zown_owner_name (second));
    assert_int_equal (zown_get (client, "visits", &visits), -1);
    assert_int_equal (zown_errno (), ZOWN_NOT_FOUND);
    zown_client_destroy (&client);
    zown_owner_destroy (&second);
    zown_owner_destroy (&first);
}

//  poll() on the client's descriptor, as an event loop does, with the
//  descriptor's rule: after each send, and each time it polls readable,
//  step until nothing is left.
static void
test_event_loop (void **state)
{
    testutil_fixture_t *self = (testutil_fixture_t *) *state;
    zown_client_t *client = self->client;
    int fd = zown_client_fd (client);
    assert_true (fd >= 0);
    zown_reply_t *reply;
    assert_int_equal (zown_client_step (client, &reply), 0);
    assert_null (reply);
    enum { S_REQUESTS = 200 };
    zown_request_t *request = zown_request_new ();
    zown_datum_t one = zown_datum_int (1);
    zown_datum_t timeout = zown_datum_int (ZOWN_FOREVER);
    int64_t seen = 0, sum = 0;
    size_t sent = 0;
    //  A get that parks until the last add is done: a reply that
    //  arrives while the loop waits, not at a send.
    assert_int_equal (zown_request_add (request, ZOWN_OP_QUEUE_GET, "wake", 1, &timeout), 0);
    assert_int_equal (zown_client_send (client, request, NULL), 0);
    while (seen < S_REQUESTS + 2) {
        if (sent < S_REQUESTS) {
            zown_request_reset (request);
            assert_int_equal (zown_request_add (request, ZOWN_OP_VALUE_ADD, "v", 1, &one), 0);
            assert_int_equal (zown_client_send (client, request, NULL), 0);
            if (++sent == S_REQUESTS) {
                zown_request_reset (request);
                assert_int_equal (zown_request_add (request, ZOWN_OP_QUEUE_PUT, "wake", 2,
                                                    (zown_datum_t []){ one, one }),
                                  0);
                assert_int_equal (zown_client_send (client, request, NULL), 0);
            }
        }
        int got;
        while ((got = zown_client_step (client, &reply)) == 1) {
            assert_int_equal (zown_reply_status (reply), ZOWN_OK);
            zown_datum_t value = zown_reply_value (reply, 0, 0);
            if (value.tag == ZOWN_INT)
                sum += value.u.i;
            seen++;
        }
        assert_int_equal (got, 0);
        if (sent == S_REQUESTS && seen < S_REQUESTS + 2) {
            struct pollfd item = { .fd = fd, .events = POLLIN };
            assert_true (poll (&item, 1, 10000) >= 0);
        }
    }
    //  Each add's new value once (1..200), and the parked get's item (1).
    assert_int_equal (sum, S_REQUESTS * (S_REQUESTS + 1) / 2 + 1);
    assert_int_equal (zown_client_pending (client), 0);
    assert_int_equal (zown_client_step (client, &reply), 0);
    zown_request_destroy (&request);
    assert_int_equal (zown_client_fd (NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_int_equal (zown_client_step (NULL, NULL), -1);
}

int
main (void)
{
    testutil_private_rundir ();
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_datum_reads),
        testutil_fixture_test (test_owned_getters),
        testutil_fixture_test (test_items),
        cmocka_unit_test (test_error_text),
        testutil_fixture_test (test_bulk_splits),
        testutil_fixture_test (test_one_off_calls),
        testutil_fixture_test (test_one_off_bulk_and_items),
        cmocka_unit_test (test_pool_map_strings),
        cmocka_unit_test (test_anonymous_owner),
        testutil_fixture_test (test_event_loop),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
