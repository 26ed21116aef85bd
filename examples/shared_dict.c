/*  =========================================================================
    shared_dict - 3 forked workers fill one shared dict

    The classic Manager().dict() recipe: worker i stores task_<i> with status
    "done" and result i*i. The parent then prints the whole dict. Each
    worker writes both fields in one atomic batch, so no reader ever sees a
    task half-recorded.

    Usage: shared_dict [workers]
    =========================================================================
*/
#define _POSIX_C_SOURCE 200809L
#include <zown.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

//  In the child: connect (a new client, never the parent's) and record.
static int
record_task (const char *endpoint, int task)
{
    zown_client_t *client = zown_client_new (endpoint);
    zown_request_t *batch = zown_request_new ();
    if (!client || !batch)
        return 1;
    char status_key [32], result_key [32];
    snprintf (status_key, sizeof (status_key), "task_%d.status", task);
    snprintf (result_key, sizeof (result_key), "task_%d.result", task);
    zown_datum_t status_args [] = { ZOWN_STR (status_key), ZOWN_STR ("done") };
    zown_datum_t result_args [] = { ZOWN_STR (result_key), zown_datum_int ((int64_t) task * task) };
    zown_request_add (batch, ZOWN_OP_DICT_SET, "results", 2, status_args);
    zown_request_add (batch, ZOWN_OP_DICT_SET, "results", 2, result_args);
    int rc = zown_client_call (client, batch, NULL);
    if (rc)
        fprintf (stderr, "worker %d: %s\n", task, zown_strerror (zown_errno ()));
    zown_request_destroy (&batch);
    zown_client_destroy (&client);
    return rc ? 1 : 0;
}

static int
compare_keys (const void *a, const void *b)
{
    return strcmp (*(char *const *) a, *(char *const *) b);
}

int
main (int argc, char *argv [])
{
    int workers = argc > 1 ? atoi (argv [1]) : 3;
    if (workers < 1) {
        fprintf (stderr, "usage: shared_dict [workers]\n");
        return 2;
    }
    //  Fork every worker first, before this process starts any thread (the
    //  cleanest fork point, docs/FORK.md); they wait at a start gate (a pipe)
    //  until the owner runs, and find it by its endpoint, known before.
    char *endpoint = zown_owner_endpoint_for ("shared-dict-example");
    if (!endpoint) {
        fprintf (stderr, "shared_dict: %s\n", zown_strerror (zown_errno ()));
        return 1;
    }
    int gate [2];
    if (pipe (gate)) {
        perror ("shared_dict: pipe");
        return 1;
    }
    int failed = 0;
    fflush (stdout);
    for (int task = 0; task < workers; task++) {
        pid_t pid = fork ();
        if (pid == 0) {
            char go;
            close (gate [1]);
            if (read (gate [0], &go, 1) != 0)  //  0: the parent closed the gate
                _exit (1);
            _exit (record_task (endpoint, task));
        }
        failed |= pid < 0;
    }
    zown_owner_t *owner = zown_owner_new ("shared-dict-example");
    if (!owner)
        fprintf (stderr, "shared_dict: cannot start owner: %s\n", zown_strerror (zown_errno ()));
    close (gate [1]);  //  Go
    close (gate [0]);
    for (int task = 0; task < workers; task++) {
        int status;
        if (wait (&status) < 0 || !WIFEXITED (status) || WEXITSTATUS (status))
            failed = 1;
    }
    free (endpoint);
    if (!owner)
        return 1;

    zown_client_t *client = zown_client_new (zown_owner_inproc (owner));
    zown_dict_t *results = zown_dict_new (client, "results");
    zown_reply_t *items;
    if (zown_dict_items (results, &items)) {
        fprintf (stderr, "shared_dict: %s\n", zown_strerror (zown_errno ()));
        return 1;
    }
    //  Copy out (the reply is only borrowed) and sort for a stable listing.
    size_t count = zown_reply_count (items, 0) / 2;
    char **lines = (char **) calloc (count ? count : 1, sizeof (char *));
    for (size_t index = 0; index < count; index++) {
        char *key = zown_datum_strdup (zown_reply_value (items, 0, 2 * index));
        zown_datum_t value = zown_reply_value (items, 0, 2 * index + 1);
        char *text = zown_datum_strdup (value);
        size_t size = strlen (key) + strlen (text) + 8;
        lines [index] = (char *) malloc (size);
        snprintf (lines [index], size, value.tag == ZOWN_BYTES ? "%s: '%s'" : "%s: %s", key, text);
        free (key);
        free (text);
    }
    qsort (lines, count, sizeof (char *), compare_keys);
    printf ("results (%zu entries from %d workers):\n", count, workers);
    for (size_t index = 0; index < count; index++) {
        printf ("  %s\n", lines [index]);
        free (lines [index]);
    }
    free (lines);
    failed |= count != (size_t) workers * 2;
    zown_dict_destroy (&results);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
    return failed;
}
