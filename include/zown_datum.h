/*  =========================================================================
    zown_datum - one typed value as it travels on the wire

    A datum is a small struct passed by value: nil, a 64-bit integer, a
    double, or a byte string. A byte string datum only points at its bytes;
    whoever made it keeps them alive. Data returned by zown calls point into
    the client's last reply and stay valid until the next call on that client
    (the fast path: nothing is copied); zown_datum_to_int, _double, _str and
    _bytes copy them out.
    =========================================================================
*/
#ifndef ZOWN_DATUM_H_INCLUDED
#define ZOWN_DATUM_H_INCLUDED

#include "zown_export.h"

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    ZOWN_NIL = 0,     //  No value
    ZOWN_INT = 1,     //  int64_t
    ZOWN_DOUBLE = 2,  //  IEEE-754 binary64
    ZOWN_BYTES = 3    //  Byte string (not necessarily NUL-terminated)
} zown_tag_t;

typedef struct {
    zown_tag_t tag;  //  Which member of the union is set
    union {
        int64_t i;  //  ZOWN_INT
        double d;   //  ZOWN_DOUBLE
        struct {
            const void *ptr;  //  ZOWN_BYTES: first byte (borrowed)
            size_t len;       //  ZOWN_BYTES: length in bytes
        } b;
    } u;
} zown_datum_t;

//  Constructors, usable as expressions: zown_dict_set (d, "k", ZOWN_STR ("v"))
static inline zown_datum_t
zown_datum_int (int64_t i)
{
    zown_datum_t datum = { .tag = ZOWN_INT, .u.i = i };
    return datum;
}

static inline zown_datum_t
zown_datum_double (double d)
{
    zown_datum_t datum = { .tag = ZOWN_DOUBLE, .u.d = d };
    return datum;
}

static inline zown_datum_t
zown_datum_bytes (const void *ptr, size_t len)
{
    zown_datum_t datum = { .tag = ZOWN_BYTES, .u.b = { ptr, len } };
    return datum;
}

//  A NUL-terminated C string as a byte string (the NUL is not sent).
ZOWN_EXPORT zown_datum_t zown_datum_str (const char *string);

#define ZOWN_NIL_DATUM       ((zown_datum_t){ .tag = ZOWN_NIL })
#define ZOWN_INT_DATUM(i)    zown_datum_int (i)
#define ZOWN_DOUBLE_DATUM(d) zown_datum_double (d)
#define ZOWN_STR(s)          zown_datum_str (s)

//  True if both data have the same tag and equal contents (doubles compare
//  with ==, so NaN never equals anything).
ZOWN_EXPORT bool zown_datum_eq (zown_datum_t a, zown_datum_t b);

//  A byte string datum copied into a fresh NUL-terminated string, or an
//  integer or double rendered as text, or "nil". The caller frees it.
//  Returns NULL when out of memory.
ZOWN_EXPORT char *zown_datum_strdup (zown_datum_t datum);

//  Typed reads. A number is copied into *value_p (may be NULL): -1 with
//  ZOWN_WRONG_TYPE when the datum is not one (an int reads as a double
//  too). A byte string is copied into fresh memory the caller frees, with a
//  NUL after its last byte, so that text reads as a C string; *size_p (may
//  be NULL) gets its length. NULL with ZOWN_WRONG_TYPE or ZOWN_NO_MEMORY.
ZOWN_EXPORT int zown_datum_to_int (zown_datum_t datum, int64_t *value_p);
ZOWN_EXPORT int zown_datum_to_double (zown_datum_t datum, double *value_p);
ZOWN_EXPORT char *zown_datum_to_str (zown_datum_t datum);
ZOWN_EXPORT void *zown_datum_to_bytes (zown_datum_t datum, size_t *size_p);

//  True if a ZOWN_BYTES datum equals the C string.
ZOWN_EXPORT bool zown_datum_streq (zown_datum_t datum, const char *string);

#ifdef __cplusplus
}
#endif

#endif
