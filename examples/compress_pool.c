/*  =========================================================================
    compress_pool - compress files with a pool of worker processes, one per CPU

    Python's recipe is `Pool().map(compress, files)`, with a worker per
    CPU: each task is a file name; its worker reads the file, compresses it with zlib (level 6) and
    returns both sizes, which the map hands back in the order of the files.
    The pool starts first in main, while this process has one thread, so
    every worker is forked from a clean point. Python's version is
    examples/python/compress_pool.py.

    Usage: compress_pool FILE...
    =========================================================================
*/
#include <stdio.h>
#include <zlib.h>
#include <zown.h>

static int
compress_file (zown_worker_t *worker, zown_task_t *task)
{
    (void) worker;
    static Bytef data [1 << 24], packed [1 << 25];
    FILE *file = fopen (zown_task_string (task), "rb");
    uLong sizes [2] = { file ? fread (data, 1, sizeof (data), file) : 0, sizeof (packed) };
    //  The buffer fits any compressed size: compress2 fails only out of memory.
    if (!file || fclose (file) || compress2 (packed, &sizes [1], data, sizes [0], 6) != Z_OK)
        return zown_task_fail (task, "cannot read or compress %s", zown_task_string (task));
    return zown_task_return (task, sizes, sizeof (sizes));
}

int
main (int argc, char *argv [])
{
    zown_pool_t *pool = zown_pool_new (&(zown_pool_config_t){ .task = compress_file });
    zown_future_t *futures [argc];
    int failed = !pool || zown_pool_map_strings (pool, (const char **) argv + 1, argc - 1, futures);
    if (failed)
        fprintf (stderr, "compress_pool: %s\n", zown_client_error (NULL, NULL));
    uLong total [2] = { 0, 0 };
    for (int index = 0; !failed && index < argc - 1; index++) {
        const uLong *sizes = zown_future_data (futures [index], NULL);
        printf ("%8lu -> %7lu bytes  %s\n", sizes [0], sizes [1], argv [index + 1]);
        total [0] += sizes [0], total [1] += sizes [1];
        zown_future_destroy (&futures [index]);
    }
    if (!failed)
        printf ("%lu -> %lu bytes in %d files\n", total [0], total [1], argc - 1);
    zown_pool_destroy (&pool);
    return failed;
}
