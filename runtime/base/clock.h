/*  =========================================================================
    clock - the monotonic clock, deadlines and time left
    =========================================================================
*/
#ifndef ZOWN_CLOCK_H_INCLUDED
#define ZOWN_CLOCK_H_INCLUDED

//  Monotonic clock, in milliseconds.
int64_t zown_now_ms (void);
//  The deadline timeout_ms from now; -1 for ZOWN_FOREVER (any negative).
int64_t zown_deadline_ms (int timeout_ms);
//  Milliseconds left until a deadline: ZOWN_FOREVER for none, 0 once it
//  has passed, at most INT32_MAX.
int zown_left_ms (int64_t deadline);

#endif
