/*  =========================================================================
    owned - results that belong to the caller: typed reads of a datum, the
    items of a dict as an iterable copy (include/zown_items.h), and the last
    failure as one line of text (zown_client_error)
    =========================================================================
*/
#include "zown_internal.h"

int
zown_datum_to_int (zown_datum_t datum, int64_t *value_p)
{
    if (datum.tag != ZOWN_INT)
        return zown_fail (ZOWN_WRONG_TYPE);
    if (value_p)
        *value_p = datum.u.i;
    return zown_ok ();
}

int
zown_datum_to_double (zown_datum_t datum, double *value_p)
{
    if (datum.tag != ZOWN_INT && datum.tag != ZOWN_DOUBLE)
        return zown_fail (ZOWN_WRONG_TYPE);
    if (value_p)
        *value_p = datum.tag == ZOWN_INT ? (double) datum.u.i : datum.u.d;
    return zown_ok ();
}

void *
zown_datum_to_bytes (zown_datum_t datum, size_t *size_p)
{
    if (datum.tag != ZOWN_BYTES)
        return zown_fail_null (ZOWN_WRONG_TYPE);
    char *copy = (char *) malloc (datum.u.b.len + 1);
    if (!copy)
        return zown_fail_null (ZOWN_NO_MEMORY);
    if (datum.u.b.len)
        memcpy (copy, datum.u.b.ptr, datum.u.b.len);
    copy [datum.u.b.len] = 0;
    if (size_p)
        *size_p = datum.u.b.len;
    zown_ok ();
    return copy;
}

char *
zown_datum_to_str (zown_datum_t datum)
{
    return (char *) zown_datum_to_bytes (datum, NULL);
}

//  --------------------------------------------------------------------------
//  Items

typedef struct {
    const char *key;     //  NUL-terminated, in the items' text
    zown_datum_t value;  //  Byte strings point into the items' text
} s_entry_t;

struct _zown_items_t {
    s_entry_t *entries;
    size_t count;
    size_t next;  //  Index of the entry zown_items_next moves to
    char *text;   //  Every key and byte-string value, each NUL-terminated
};

//  Copies a byte string to `text`, NUL-terminated; returns where it went.
static char *
s_copy (char **text_p, zown_datum_t datum)
{
    char *copy = *text_p;
    if (datum.u.b.len)
        memcpy (copy, datum.u.b.ptr, datum.u.b.len);
    copy [datum.u.b.len] = 0;
    *text_p += datum.u.b.len + 1;
    return copy;
}

//  Copies the reply to DICT_ITEMS.
static zown_items_t *
s_items_new (zown_reply_t *reply)
{
    size_t count = zown_reply_count (reply, 0) / 2, size = 0;
    for (size_t index = 0; index < 2 * count; index++) {
        zown_datum_t datum = zown_reply_value (reply, 0, index);
        if (datum.tag == ZOWN_BYTES)
            size += datum.u.b.len + 1;
        else if (index % 2 == 0)
            return (zown_items_t *) zown_fail_null (ZOWN_PROTOCOL);
    }
    zown_items_t *self = (zown_items_t *) calloc (1, sizeof (zown_items_t));
    if (self) {
        self->entries = (s_entry_t *) calloc (count ? count : 1, sizeof (s_entry_t));
        self->text = (char *) malloc (size ? size : 1);
    }
    if (!self || !self->entries || !self->text) {
        zown_items_destroy (&self);
        return (zown_items_t *) zown_fail_null (ZOWN_NO_MEMORY);
    }
    char *text = self->text;
    for (size_t index = 0; index < count; index++) {
        s_entry_t *entry = &self->entries [index];
        entry->key = s_copy (&text, zown_reply_value (reply, 0, 2 * index));
        entry->value = zown_reply_value (reply, 0, 2 * index + 1);
        if (entry->value.tag == ZOWN_BYTES)
            entry->value.u.b.ptr = s_copy (&text, entry->value);
    }
    self->count = count;
    zown_ok ();
    return self;
}

zown_items_t *
zown_items_new (zown_dict_t *dict)
{
    zown_reply_t *reply;
    return zown_dict_items (dict, &reply) ? NULL : s_items_new (reply);
}

zown_items_t *
zown_hgetall (zown_client_t *client, const char *dict)
{
    zown_reply_t *reply;
    if (zown_handle_call_named (client, dict, ZOWN_OP_DICT_ITEMS, 0, NULL, 0, 0, &reply))
        return NULL;
    return s_items_new (reply);
}

void
zown_items_destroy (zown_items_t **self_p)
{
    if (self_p && *self_p) {
        free ((*self_p)->entries);
        free ((*self_p)->text);
        free (*self_p);
        *self_p = NULL;
    }
}

size_t
zown_items_count (zown_items_t *self)
{
    return self ? self->count : 0;
}

bool
zown_items_next (zown_items_t *self)
{
    if (!self)
        return false;
    if (self->next >= self->count) {
        self->next = 0;
        return false;
    }
    self->next++;
    return true;
}

//  The entry zown_items_next moved to last, or NULL before the first.
static s_entry_t *
s_current (zown_items_t *self)
{
    return self && self->next ? &self->entries [self->next - 1] : NULL;
}

const char *
zown_items_key (zown_items_t *self)
{
    s_entry_t *entry = s_current (self);
    return entry ? entry->key : "";
}

zown_datum_t
zown_items_value (zown_items_t *self)
{
    s_entry_t *entry = s_current (self);
    return entry ? entry->value : ZOWN_NIL_DATUM;
}

int64_t
zown_items_int (zown_items_t *self)
{
    zown_datum_t value = zown_items_value (self);
    return value.tag == ZOWN_INT ? value.u.i : 0;
}

double
zown_items_double (zown_items_t *self)
{
    double number = 0;
    zown_datum_t value = zown_items_value (self);
    if (value.tag == ZOWN_INT || value.tag == ZOWN_DOUBLE)
        number = value.tag == ZOWN_INT ? (double) value.u.i : value.u.d;
    return number;
}

const char *
zown_items_str (zown_items_t *self)
{
    zown_datum_t value = zown_items_value (self);
    return value.tag == ZOWN_BYTES ? (const char *) value.u.b.ptr : NULL;
}

static int
s_by_key (const void *a, const void *b)
{
    return strcmp (((const s_entry_t *) a)->key, ((const s_entry_t *) b)->key);
}

static int
s_by_int_desc (const void *a, const void *b)
{
    const s_entry_t *left = (const s_entry_t *) a, *right = (const s_entry_t *) b;
    bool left_int = left->value.tag == ZOWN_INT, right_int = right->value.tag == ZOWN_INT;
    if (left_int != right_int)
        return left_int ? -1 : 1;
    if (left_int && left->value.u.i != right->value.u.i)
        return left->value.u.i > right->value.u.i ? -1 : 1;
    return s_by_key (a, b);
}

void
zown_items_sort (zown_items_t *self, zown_items_order_t order)
{
    if (!self)
        return;
    qsort (self->entries, self->count, sizeof (s_entry_t),
           order == ZOWN_ITEMS_BY_INT_DESC ? s_by_int_desc : s_by_key);
    self->next = 0;
}

//  --------------------------------------------------------------------------
//  Errors

const char *
zown_client_error (zown_client_t *self, int *status_p)
{
    //  Per thread, as the status it describes.
    static _Thread_local char text [512];
    int status = zown_errno ();
    if (status_p)
        *status_p = status;
    //  The owner's message belongs to a wire status; the library's own
    //  detail to the failure that set it.
    const char *more = zown_fail_detail_text ();
    if (self && status > ZOWN_OK && status < 64 && *zown_client_message (self))
        more = zown_client_message (self);
    snprintf (text, sizeof (text), "%s%s%s", zown_strerror (status), *more ? ": " : "", more);
    return text;
}
