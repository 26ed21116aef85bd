/*  =========================================================================
    datum - helpers for zown_datum_t, and the number arithmetic that every
    type's add op shares
    =========================================================================
*/
#include "zown_internal.h"
#include <inttypes.h>

zown_datum_t
zown_datum_str (const char *string)
{
    return zown_datum_bytes (string, string ? strlen (string) : 0);
}

bool
zown_datum_eq (zown_datum_t a, zown_datum_t b)
{
    if (a.tag != b.tag)
        return false;
    switch (a.tag) {
        case ZOWN_NIL:
            return true;
        case ZOWN_INT:
            return a.u.i == b.u.i;
        case ZOWN_DOUBLE:
            return a.u.d == b.u.d;
        case ZOWN_BYTES:
            return a.u.b.len == b.u.b.len
                && (a.u.b.len == 0 || memcmp (a.u.b.ptr, b.u.b.ptr, a.u.b.len) == 0);
        default:
            return false;
    }
}

char *
zown_datum_strdup (zown_datum_t datum)
{
    char number [64];
    switch (datum.tag) {
        case ZOWN_INT:
            snprintf (number, sizeof (number), "%" PRId64, datum.u.i);
            return strdup (number);
        case ZOWN_DOUBLE:
            snprintf (number, sizeof (number), "%.17g", datum.u.d);
            return strdup (number);
        case ZOWN_BYTES: {
            char *copy = (char *) malloc (datum.u.b.len + 1);
            if (copy) {
                if (datum.u.b.len)
                    memcpy (copy, datum.u.b.ptr, datum.u.b.len);
                copy [datum.u.b.len] = 0;
            }
            return copy;
        }
        default:
            return strdup ("nil");
    }
}

bool
zown_datum_streq (zown_datum_t datum, const char *string)
{
    return string && datum.tag == ZOWN_BYTES && zown_datum_eq (datum, zown_datum_str (string));
}

int
zown_datum_own (zown_datum_t *target, zown_datum_t source)
{
    *target = source;
    if (source.tag == ZOWN_BYTES) {
        void *bytes = malloc (source.u.b.len ? source.u.b.len : 1);
        if (!bytes)
            return -1;
        if (source.u.b.len)
            memcpy (bytes, source.u.b.ptr, source.u.b.len);
        target->u.b.ptr = bytes;
    }
    return 0;
}

void
zown_datum_release (zown_datum_t *datum)
{
    if (datum->tag == ZOWN_BYTES)
        free ((void *) datum->u.b.ptr);
    datum->tag = ZOWN_NIL;
}

int
zown_number_add (zown_datum_t a, zown_datum_t b, zown_datum_t *sum)
{
    if ((a.tag != ZOWN_INT && a.tag != ZOWN_DOUBLE) || (b.tag != ZOWN_INT && b.tag != ZOWN_DOUBLE))
        return ZOWN_WRONG_TYPE;
    if (a.tag == ZOWN_INT && b.tag == ZOWN_INT) {
        int64_t result;
        if (__builtin_add_overflow (a.u.i, b.u.i, &result))
            return ZOWN_OVERFLOW;
        *sum = zown_datum_int (result);
        return ZOWN_OK;
    }
    double left = a.tag == ZOWN_INT ? (double) a.u.i : a.u.d;
    double right = b.tag == ZOWN_INT ? (double) b.u.i : b.u.d;
    *sum = zown_datum_double (left + right);
    return ZOWN_OK;
}

//  --------------------------------------------------------------------------
//  Tables keyed by byte strings (dicts, and their replicas)

//  FNV-1a with a per-process random basis. Set once, before any table
//  exists, since owners and replicas on other threads share it.
static uint64_t s_hash_basis;
static pthread_once_t s_hash_once = PTHREAD_ONCE_INIT;

static void
s_hash_init (void)
{
    s_hash_basis =
        14695981039346656037ull ^ ((uint64_t) getpid () << 32) ^ (uint64_t) zclock_usecs ();
}

static size_t
s_key_hash (const void *item)
{
    const zown_key_t *key = (const zown_key_t *) item;
    uint64_t hash = s_hash_basis;
    for (size_t index = 0; index < key->len; index++) {
        hash ^= key->ptr [index];
        hash *= 1099511628211ull;
    }
    return (size_t) hash;
}

static int
s_key_compare (const void *item1, const void *item2)
{
    const zown_key_t *a = (const zown_key_t *) item1;
    const zown_key_t *b = (const zown_key_t *) item2;
    if (a->len != b->len)
        return a->len < b->len ? -1 : 1;
    return a->len ? memcmp (a->ptr, b->ptr, a->len) : 0;
}

zown_key_t *
zown_key_dup (const zown_key_t *key)
{
    zown_key_t *copy = (zown_key_t *) malloc (sizeof (zown_key_t) + key->len);
    if (copy) {
        copy->ptr = (const uint8_t *) (copy + 1);
        copy->len = key->len;
        if (key->len)
            memcpy (copy + 1, key->ptr, key->len);
    }
    return copy;
}

static void *
s_key_dup (const void *item)
{
    return zown_key_dup ((const zown_key_t *) item);
}

static void
s_key_free (void **item)
{
    free (*item);
    *item = NULL;
}

zhashx_t *
zown_key_table_new (zhashx_destructor_fn *destructor)
{
    pthread_once (&s_hash_once, s_hash_init);
    zhashx_t *table = zhashx_new ();
    if (!table)
        return NULL;
    zhashx_set_key_hasher (table, s_key_hash);
    zhashx_set_key_comparator (table, s_key_compare);
    zhashx_set_key_duplicator (table, s_key_dup);
    zhashx_set_key_destructor (table, s_key_free);
    if (destructor)
        zhashx_set_destructor (table, destructor);
    return table;
}
