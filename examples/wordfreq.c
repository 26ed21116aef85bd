/*  =========================================================================
    wordfreq - word frequencies over text files, counted by a pool of 4
    worker processes that merge into one shared dict

    Each worker reads one file, lowercases its words, and adds them all to
    the dict "words" in one bulk call (zown_hincr_many: one increment per
    word, sent in requests of 1,024 ops by itself): the owner adds, so no
    lock is needed. The owner has no name of its own (NULL: a unique one);
    the pool's workers reach it by its ipc endpoint. The fork server starts
    first, while this process has one thread. Python's version is
    examples/python/wordfreq.py.

    Usage: wordfreq FILE...
    =========================================================================
*/
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <zown.h>

static int
count_words (zown_worker_t *worker, zown_task_t *task)
{
    //  Zero-filled: what is read ends with a NUL.
    char text [1 << 20] = "";
    static const char *words [1 << 19];
    FILE *file = fopen (zown_task_string (task), "r");
    if (!file)
        return zown_task_fail (task, "cannot open %s", zown_task_string (task));
    size_t size = fread (text, 1, sizeof (text) - 1, file), count = 0;
    fclose (file);
    //  Words are runs of letters and digits, lowercased.
    for (size_t index = 0; index < size; index++)
        text [index] = isalnum ((unsigned char) text [index]) ? (char) tolower (text [index]) : ' ';
    for (char *word = strtok (text, " "); word; word = strtok (NULL, " "))
        words [count++] = word;
    return zown_hincr_many (zown_worker_client (worker), "words", count, words, NULL);
}

int
main (int argc, char *argv [])
{
    zown_spawner_t *spawner = zown_spawner_new ();
    zown_owner_t *owner = zown_owner_new (NULL);
    zown_client_t *client = zown_client_new (owner ? zown_owner_inproc (owner) : NULL);
    zown_pool_config_t config = { .workers = 4, .task = count_words, .spawner = spawner };
    config.owner = owner ? zown_owner_ipc (owner) : NULL;
    zown_pool_t *pool = zown_pool_new (&config);
    zown_items_t *items = NULL;
    if (!pool || zown_pool_map_strings (pool, (const char **) argv + 1, argc - 1, NULL)
        || !(items = zown_hgetall (client, "words")))
        fprintf (stderr, "wordfreq: %s\n", zown_client_error (client, NULL));
    zown_items_sort (items, ZOWN_ITEMS_BY_INT_DESC);
    printf ("%zu distinct words\n", zown_items_count (items));
    for (int rank = 0; rank < 10 && zown_items_next (items); rank++)
        printf ("%7lld %s\n", (long long) zown_items_int (items), zown_items_key (items));
    int failed = !items;
    zown_items_destroy (&items);
    zown_pool_destroy (&pool);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
    zown_spawner_destroy (&spawner);
    return failed;
}
