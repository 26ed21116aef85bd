/*  =========================================================================
    benchutil - helpers shared by bench/zown_bench.c and bench/sync_bench.c
    =========================================================================
*/
#define _POSIX_C_SOURCE 200809L
#include "benchutil.h"
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int64_t
bench_now_ns (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t) now.tv_sec * 1000000000 + now.tv_nsec;
}

int
bench_write_all (int fd, const void *data, size_t size)
{
    const char *at = (const char *) data;
    while (size) {
        ssize_t rc = write (fd, at, size);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc <= 0)
            return -1;
        at += rc;
        size -= (size_t) rc;
    }
    return 0;
}

int
bench_read_all (int fd, void *data, size_t size)
{
    char *at = (char *) data;
    while (size) {
        ssize_t rc = read (fd, at, size);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc <= 0)
            return -1;
        at += rc;
        size -= (size_t) rc;
    }
    return 0;
}

int
bench_cmp_double (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

double
bench_median (double *values, int count)
{
    if (count <= 0)
        return 0;
    qsort (values, (size_t) count, sizeof (double), bench_cmp_double);
    return count % 2 ? values [count / 2] : (values [count / 2 - 1] + values [count / 2]) / 2;
}

int
bench_cmp_u32 (const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;
    return x < y ? -1 : x > y;
}

double
bench_pct_u32 (const uint32_t *sorted, size_t count, double p)
{
    if (!count)
        return 0;
    long k = (long) (p / 100.0 * (double) count + 0.5) - 1;
    if (k < 0)
        k = 0;
    if (k > (long) count - 1)
        k = (long) count - 1;
    return sorted [k];
}

long
bench_arg_long (int argc, char *argv [], int *index, const char *program, void (*usage) (FILE *out))
{
    if (*index + 1 >= argc) {
        usage (stderr);
        exit (2);
    }
    char *end;
    long value = strtol (argv [++*index], &end, 10);
    if (*end || value < 1) {
        fprintf (stderr, "%s: %s needs a positive integer\n", program, argv [*index - 1]);
        exit (2);
    }
    return value;
}
