/*  =========================================================================
    reply - a decoded reply; values point into the received frame
    =========================================================================
*/
#include "zown_internal.h"

void
zown_reply_init (zown_reply_t *self)
{
    memset (self, 0, sizeof (*self));
}

void
zown_reply_fini (zown_reply_t *self)
{
    free (self->results);
    free (self->values);
    memset (self, 0, sizeof (*self));
}

int
zown_reply_decode (zown_reply_t *self, const void *data, size_t size)
{
    zown_reader_t reader;
    zown_reader_init (&reader, data, size);
    uint16_t results;
    self->result_count = 0;
    if (zown_decode_reply_header (&reader, &self->id, &self->status, &results))
        return -1;
    if (zown_grow ((void **) &self->results, &self->results_capacity, results,
                   sizeof (zown_result_view_t)))
        return -1;
    size_t value_total = 0;
    for (size_t index = 0; index < results; index++) {
        zown_result_view_t *result = &self->results [index];
        uint32_t count;
        if (zown_decode_result_header (&reader, &result->status, &count)
            || (size_t) (reader.end - reader.pos) < count
            || zown_grow ((void **) &self->values, &self->values_capacity, value_total + count,
                          sizeof (zown_datum_t)))
            return -1;
        result->first = value_total;
        result->count = count;
        for (size_t value = 0; value < count; value++)
            if (zown_reader_datum (&reader, &self->values [value_total + value]))
                return -1;
        value_total += count;
    }
    if (reader.pos != reader.end)
        return -1;
    self->result_count = results;
    return 0;
}

uint64_t
zown_reply_id (const zown_reply_t *self)
{
    return self->id;
}

int
zown_reply_status (const zown_reply_t *self)
{
    return self->status;
}

size_t
zown_reply_results (const zown_reply_t *self)
{
    return self->result_count;
}

int
zown_reply_result_status (const zown_reply_t *self, size_t op)
{
    return op < self->result_count ? self->results [op].status : ZOWN_INVALID;
}

size_t
zown_reply_count (const zown_reply_t *self, size_t op)
{
    return op < self->result_count ? self->results [op].count : 0;
}

zown_datum_t
zown_reply_value (const zown_reply_t *self, size_t op, size_t index)
{
    if (op >= self->result_count || index >= self->results [op].count)
        return ZOWN_NIL_DATUM;
    return self->values [self->results [op].first + index];
}

zown_datum_t
zown_reply_message (const zown_reply_t *self, size_t op)
{
    if (op < self->result_count && self->results [op].status != ZOWN_OK
        && self->results [op].count > 0) {
        zown_datum_t first = zown_reply_value (self, op, 0);
        if (first.tag == ZOWN_BYTES)
            return first;
    }
    return zown_datum_str ("");
}
