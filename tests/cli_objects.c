/*  =========================================================================
    cli_objects - gives the owner at an endpoint one object of each type
    that the zown command cannot make itself, for tests/test_cli.sh to dump

    Usage: cli_objects ENDPOINT. Exits 0 once every object is made.
    cli_objects ENDPOINT joinable: makes j.queue, a joinable queue holding
    "job". cli_objects ENDPOINT hold LOCK: acquires the lock LOCK, prints
    "held", and releases it when stdin ends.
    =========================================================================
*/
#include <zown.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static int
s_joinable (zown_client_t *client)
{
    zown_queue_t *queue = zown_queue_new (client, "j.queue");
    int rc = !queue || zown_queue_init_joinable (queue, 0, 0) < 0
        || zown_queue_put (queue, ZOWN_STR ("job"), 0);
    zown_queue_destroy (&queue);
    return rc;
}

static int
s_hold (zown_client_t *client, const char *name)
{
    zown_lock_t *lock = zown_lock_new (client, name);
    if (!lock || zown_lock_acquire (lock, 10000, NULL)) {
        zown_lock_destroy (&lock);
        return 1;
    }
    printf ("held\n");
    fflush (stdout);
    while (getchar () != EOF)
        ;
    int rc = zown_lock_release (lock) ? 1 : 0;
    zown_lock_destroy (&lock);
    return rc;
}

int
main (int argc, char *argv [])
{
    if (argc == 3 && strcmp (argv [2], "joinable") == 0) {
        zown_client_t *client = zown_client_new (argv [1]);
        int rc = !client || s_joinable (client);
        zown_client_destroy (&client);
        return rc;
    }
    if (argc == 4 && strcmp (argv [2], "hold") == 0) {
        zown_client_t *client = zown_client_new (argv [1]);
        int rc = !client || s_hold (client, argv [3]);
        zown_client_destroy (&client);
        return rc;
    }
    if (argc != 2) {
        fprintf (stderr, "usage: cli_objects ENDPOINT [joinable | hold LOCK]\n");
        return 2;
    }
    zown_client_t *client = zown_client_new (argv [1]);
    zown_list_t *list = zown_list_new (client, "o.list");
    zown_array_t *array = zown_array_new (client, "o.array");
    zown_queue_t *queue = zown_queue_new (client, "o.queue");
    zown_event_t *event = zown_event_new (client, "o.event");
    zown_lock_t *lock = zown_lock_new (client, "o.lock");
    zown_rlock_t *rlock = zown_rlock_new (client, "o.rlock");
    zown_semaphore_t *semaphore = zown_semaphore_new (client, "o.semaphore");
    zown_barrier_t *barrier = zown_barrier_new (client, "o.barrier");
    zown_condition_t *condition = zown_condition_new (client, "o.condition", "o.lock");
    zown_dict_t *dict = zown_dict_new (client, "o.dict");
    zown_datum_t items [] = { zown_datum_int (1), zown_datum_double (2.5), ZOWN_STR ("x"),
                              ZOWN_NIL_DATUM };
    //  What JSON must escape or cannot hold: quotes, a backslash, control
    //  characters, bytes that are not UTF-8, and an infinite double.
    const char awkward [] = "q\"b\\n\n\x01\xff\xc3\xa9";
    int rc = zown_list_extend (list, 4, items, NULL)
        || zown_array_create (array, 3, zown_datum_int (0)) < 0
        || zown_array_set (array, 1, zown_datum_int (7)) || zown_queue_init (queue, 10) < 0
        || zown_queue_put (queue, ZOWN_STR ("job"), 0)
        || zown_queue_put (queue, zown_datum_int (2), 0) || zown_event_set (event)
        || zown_lock_acquire (lock, 1000, NULL) || zown_condition_notify (condition, 1)
        || zown_lock_release (lock) || zown_rlock_acquire (rlock, 1000, NULL)
        || zown_rlock_release (rlock) || zown_semaphore_init (semaphore, 3, true) < 0
        || zown_barrier_init (barrier, 2) < 0
        || zown_dict_set (dict, awkward, zown_datum_bytes (awkward, sizeof (awkward) - 1), NULL)
        || zown_dict_set (dict, "inf", zown_datum_double (INFINITY), NULL)
        || zown_dict_set (dict, "nil", ZOWN_NIL_DATUM, NULL);
    if (rc)
        fprintf (stderr, "cli_objects: %s\n", zown_strerror (zown_errno ()));
    zown_dict_destroy (&dict);
    zown_condition_destroy (&condition);
    zown_barrier_destroy (&barrier);
    zown_semaphore_destroy (&semaphore);
    zown_rlock_destroy (&rlock);
    zown_lock_destroy (&lock);
    zown_event_destroy (&event);
    zown_queue_destroy (&queue);
    zown_array_destroy (&array);
    zown_list_destroy (&list);
    zown_client_destroy (&client);
    return rc ? 1 : 0;
}
