/*  =========================================================================
    datum - owned copies of data, numbers, and byte-string key tables
    =========================================================================
*/
#ifndef ZOWN_DATUM_INTERNAL_H_INCLUDED
#define ZOWN_DATUM_INTERNAL_H_INCLUDED

//  A datum that owns its bytes (a malloc'd copy), as the types store them:
//  copy in (-1 if out of memory, target then unset) and release.
int zown_datum_own (zown_datum_t *target, zown_datum_t source);
void zown_datum_release (zown_datum_t *datum);

//  A byte-string key (it may hold zeros) of a table from zown_key_table_new.
typedef struct {
    const uint8_t *ptr;
    size_t len;
} zown_key_t;
//  A zhashx table keyed by zown_key_t: a key is copied with its bytes on
//  insert; items are freed by `destructor` (may be NULL). Hashed with FNV-1a
//  from a per-process random basis, so chains differ from run to run.
zhashx_t *zown_key_table_new (zhashx_destructor_fn *destructor);
//  A copy of a key and its bytes, in one allocation (free it with free);
//  NULL if out of memory.
zown_key_t *zown_key_dup (const zown_key_t *key);

//  a + b as the types' add ops define it: int + int stays int, anything
//  with a double is a double.
int zown_number_add (zown_datum_t a, zown_datum_t b, zown_datum_t *sum);

#endif
