/*  =========================================================================
    benchutil - what the benchmark programs share: a clock, whole reads and
    writes on pipes to forked workers, and medians
    =========================================================================
*/
#ifndef ZOWN_BENCHUTIL_H_INCLUDED
#define ZOWN_BENCHUTIL_H_INCLUDED

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

//  Monotonic clock in nanoseconds.
int64_t bench_now_ns (void);

//  Write / read exactly size bytes (retrying on EINTR); 0, or -1 on error
//  or end of file.
int bench_write_all (int fd, const void *data, size_t size);
int bench_read_all (int fd, void *data, size_t size);

//  The positive integer after argv [*index] (which it steps over), for
//  options such as --repeat N. A missing value prints usage to stderr, a bad
//  one says so: both exit 2.
long bench_arg_long (int argc, char *argv [], int *index, const char *program,
                     void (*usage) (FILE *out));

//  qsort comparator for doubles, ascending.
int bench_cmp_double (const void *a, const void *b);

//  qsort comparator for uint32_t, ascending.
int bench_cmp_u32 (const void *a, const void *b);

//  The p-th percentile (0..100) of count sorted values, nearest rank (as
//  bench/mp_baseline.py computes it); 0 for none.
double bench_pct_u32 (const uint32_t *sorted, size_t count, double p);

//  Median of count values (sorts them in place); 0 for none.
double bench_median (double *values, int count);

#endif
