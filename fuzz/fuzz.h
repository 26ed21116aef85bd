/*  =========================================================================
    fuzz - the bodies of zown's libFuzzer targets (docs/FUZZING.md)

    Each body takes one input and returns 0. It aborts when the code under
    test breaks a documented promise, so that libFuzzer reports it like a
    crash. The fuzzers call them from fuzz/fuzz_main.c, and
    tests/test_fuzz_regressions.c calls them on the seed corpus and on every
    saved crasher, in every build.
    =========================================================================
*/
#ifndef ZOWN_FUZZ_H_INCLUDED
#define ZOWN_FUZZ_H_INCLUDED

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

//  Every decoder on the bytes: a request (twice, with two size limits), a
//  reply, journal change records one after another, a feed header.
//  Whatever decodes must encode back to the same bytes.
int zown_fuzz_codec (const uint8_t *data, size_t size);

//  The bytes as requests to a live owner state, from up to three clients,
//  with each durable change replayed on a mirror as the journal would;
//  then as a journal for a fresh owner. See fuzz/fuzz_registry.c.
int zown_fuzz_registry (const uint8_t *data, size_t size);

//  A broken promise: say which and abort. Not assert (): release builds
//  run the bodies too (tests/test_fuzz_regressions.c).
#define ZOWN_FUZZ_CHECK(condition)                                                                 \
    do {                                                                                           \
        if (!(condition)) {                                                                        \
            fprintf (stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__, #condition);    \
            abort ();                                                                              \
        }                                                                                          \
    } while (0)

#endif
