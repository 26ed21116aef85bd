/*  =========================================================================
    clock - the monotonic clock, deadlines and time left
    =========================================================================
*/
#include "zown_internal.h"
#include <time.h>

int64_t
zown_now_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t) now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

int64_t
zown_deadline_ms (int timeout_ms)
{
    return timeout_ms < 0 ? -1 : zown_now_ms () + timeout_ms;
}

int
zown_left_ms (int64_t deadline)
{
    if (deadline < 0)
        return ZOWN_FOREVER;
    int64_t left = deadline - zown_now_ms ();
    return left < 0 ? 0 : left > INT32_MAX ? INT32_MAX : (int) left;
}
