/*  =========================================================================
    codec - encode and decode zown messages (docs/PROTOCOL.md)

    All integers are big-endian. A value is a tag octet then its payload:
    nil (none), int (8 octets, two's complement), double (8 octets, IEEE-754
    binary64 bits), bytes (u32 length then the octets).
    =========================================================================
*/
#include "zown_internal.h"

//  A number macro as a string literal, for messages made at compile time.
#define S_TEXT_OF(number) #number
#define S_TEXT(number)    S_TEXT_OF (number)

//  --------------------------------------------------------------------------
//  Output buffer

void
zown_buf_init (zown_buf_t *self)
{
    memset (self, 0, sizeof (*self));
}

void
zown_buf_free (zown_buf_t *self)
{
    free (self->data);
    memset (self, 0, sizeof (*self));
}

//  Grows the buffer for `more` bytes, doubling the capacity so appends
//  are amortised O(1), and reserves them.
uint8_t *
zown_buf_grow (zown_buf_t *self, size_t more)
{
    if (self->failed)
        return NULL;
    if (more > SIZE_MAX - self->size) {
        self->failed = true;
        return NULL;
    }
    size_t needed = self->size + more;
    if (needed > self->capacity) {
        size_t capacity = self->capacity ? self->capacity : 256;
        while (capacity < needed)
            capacity = capacity > SIZE_MAX / 2 ? needed : capacity * 2;
        uint8_t *data = (uint8_t *) realloc (self->data, capacity);
        if (!data) {
            self->failed = true;
            return NULL;
        }
        self->data = data;
        self->capacity = capacity;
    }
    uint8_t *at = self->data + self->size;
    self->size = needed;
    return at;
}

void
zown_buf_put_mem (zown_buf_t *self, const void *data, size_t size)
{
    uint8_t *at = zown_buf_reserve (self, size);
    if (at && size)
        memcpy (at, data, size);
}

void
zown_buf_put_datum (zown_buf_t *self, zown_datum_t datum)
{
    zown_buf_put_u8 (self, (uint8_t) datum.tag);
    switch (datum.tag) {
        case ZOWN_INT:
            zown_buf_put_u64 (self, (uint64_t) datum.u.i);
            break;
        case ZOWN_DOUBLE: {
            uint64_t bits;
            memcpy (&bits, &datum.u.d, sizeof (bits));
            zown_buf_put_u64 (self, bits);
            break;
        }
        case ZOWN_BYTES:
            if (datum.u.b.len > UINT32_MAX) {
                self->failed = true;
                break;
            }
            zown_buf_put_u32 (self, (uint32_t) datum.u.b.len);
            zown_buf_put_mem (self, datum.u.b.ptr, datum.u.b.len);
            break;
        default:
            break;
    }
}

void
zown_buf_patch_u16 (zown_buf_t *self, size_t offset, uint16_t value)
{
    if (!self->failed && offset + 2 <= self->size)
        zown_store_be (self->data + offset, value, 2);
}

void
zown_buf_patch_u32 (zown_buf_t *self, size_t offset, uint32_t value)
{
    if (!self->failed && offset + 4 <= self->size)
        zown_store_be (self->data + offset, value, 4);
}

void
zown_buf_patch_u64 (zown_buf_t *self, size_t offset, uint64_t value)
{
    if (!self->failed && offset + 8 <= self->size)
        zown_store_be (self->data + offset, value, 8);
}

//  --------------------------------------------------------------------------
//  Reader

int
zown_reader_datum (zown_reader_t *self, zown_datum_t *datum)
{
    uint8_t tag;
    uint64_t bits;
    uint32_t len;
    if (zown_reader_u8 (self, &tag))
        return -1;
    switch (tag) {
        case ZOWN_NIL:
            *datum = ZOWN_NIL_DATUM;
            return 0;
        case ZOWN_INT:
            if (zown_reader_u64 (self, &bits))
                return -1;
            *datum = zown_datum_int ((int64_t) bits);
            return 0;
        case ZOWN_DOUBLE: {
            if (zown_reader_u64 (self, &bits))
                return -1;
            double d;
            memcpy (&d, &bits, sizeof (d));
            *datum = zown_datum_double (d);
            return 0;
        }
        case ZOWN_BYTES:
            if (zown_reader_u32 (self, &len) || (size_t) (self->end - self->pos) < len)
                return -1;
            *datum = zown_datum_bytes (self->pos, len);
            self->pos += len;
            return 0;
        default:
            return -1;
    }
}

//  --------------------------------------------------------------------------
//  Requests

void
zown_decoded_init (zown_decoded_t *self)
{
    memset (self, 0, sizeof (*self));
}

void
zown_decoded_free (zown_decoded_t *self)
{
    free (self->ops);
    free (self->args);
    memset (self, 0, sizeof (*self));
}

int
zown_grow (void **array, size_t *capacity, size_t needed, size_t item_size)
{
    if (needed <= *capacity)
        return 0;
    if (needed > SIZE_MAX / 2 / item_size)
        return -1;
    size_t grown = *capacity ? *capacity : 16;
    while (grown < needed)
        grown *= 2;
    void *bigger = realloc (*array, grown * item_size);
    if (!bigger)
        return -1;
    *array = bigger;
    *capacity = grown;
    return 0;
}

static int
s_decode_failed (zown_decoded_t *self, int status, const char *error)
{
    self->error = error;
    return status;
}

int
zown_decode_request (zown_decoded_t *self, const void *data, size_t size, size_t max_value)
{
    zown_reader_t reader;
    zown_reader_init (&reader, data, size);
    self->id = 0;
    self->op_count = 0;
    self->independent = false;
    self->error = NULL;

    uint8_t sig0, sig1, version, kind;
    if (zown_reader_u8 (&reader, &sig0) || zown_reader_u8 (&reader, &sig1) || sig0 != ZOWN_SIG0
        || sig1 != ZOWN_SIG1)
        return s_decode_failed (self, ZOWN_BAD_REQUEST, "bad signature");
    if (zown_reader_u8 (&reader, &version))
        return s_decode_failed (self, ZOWN_BAD_REQUEST, "truncated header");
    //  The id is read before the version is judged, so that even a request
    //  of another version gets an answer its client can match.
    self->id = zown_peek_id (data, size);
    if (version != ZOWN_PROTOCOL_VERSION)
        return s_decode_failed (
            self, ZOWN_BAD_VERSION,
            "unsupported protocol version: this owner speaks " S_TEXT (ZOWN_PROTOCOL_VERSION));

    uint64_t id;
    uint16_t op_count;
    if (zown_reader_u8 (&reader, &kind) || zown_reader_u64 (&reader, &id)
        || zown_reader_u16 (&reader, &op_count))
        return s_decode_failed (self, ZOWN_BAD_REQUEST, "truncated header");
    if (kind != ZOWN_KIND_REQUEST && kind != ZOWN_KIND_INDEPENDENT)
        return s_decode_failed (self, ZOWN_BAD_REQUEST, "not a request");
    self->independent = kind == ZOWN_KIND_INDEPENDENT;
    if (op_count == 0 || op_count > ZOWN_BATCH_MAX)
        return s_decode_failed (self, ZOWN_BAD_REQUEST, "op count out of range");
    if (zown_grow ((void **) &self->ops, &self->ops_capacity, op_count, sizeof (zown_op_view_t)))
        return s_decode_failed (self, ZOWN_NO_MEMORY, "out of memory");

    size_t arg_total = 0;
    for (size_t index = 0; index < op_count; index++) {
        zown_op_view_t *op = &self->ops [index];
        uint8_t name_len;
        uint16_t argc;
        if (zown_reader_u8 (&reader, &op->code) || zown_reader_u8 (&reader, &name_len)
            || reader.end - reader.pos < name_len)
            return s_decode_failed (self, ZOWN_BAD_REQUEST, "truncated op");
        memcpy (op->name, reader.pos, name_len);
        op->name [name_len] = 0;
        if (memchr (op->name, 0, name_len))
            return s_decode_failed (self, ZOWN_BAD_REQUEST, "NUL in object name");
        reader.pos += name_len;
        if (zown_reader_u16 (&reader, &argc))
            return s_decode_failed (self, ZOWN_BAD_REQUEST, "truncated op");
        //  Each argument takes at least one octet: a cheap bound before
        //  growing the array, so a lying count cannot force a big allocation.
        if ((size_t) (reader.end - reader.pos) < argc)
            return s_decode_failed (self, ZOWN_BAD_REQUEST, "truncated arguments");
        if (zown_grow ((void **) &self->args, &self->args_capacity, arg_total + argc,
                       sizeof (zown_datum_t)))
            return s_decode_failed (self, ZOWN_NO_MEMORY, "out of memory");
        op->argc = argc;
        op->argv_offset = arg_total;
        for (size_t arg = 0; arg < argc; arg++) {
            zown_datum_t *datum = &self->args [arg_total + arg];
            if (zown_reader_datum (&reader, datum))
                return s_decode_failed (self, ZOWN_BAD_REQUEST, "truncated or unknown value");
            if (datum->tag == ZOWN_BYTES && datum->u.b.len > max_value)
                return s_decode_failed (self, ZOWN_TOO_LARGE, "value over the owner's size limit");
        }
        arg_total += argc;
        self->op_count = index + 1;
    }
    if (reader.pos != reader.end)
        return s_decode_failed (self, ZOWN_BAD_REQUEST, "trailing bytes");
    return ZOWN_OK;
}

uint64_t
zown_peek_id (const void *data, size_t size)
{
    const uint8_t *bytes = (const uint8_t *) data;
    if (size < ZOWN_ID_OFFSET + 8 || bytes [0] != ZOWN_SIG0 || bytes [1] != ZOWN_SIG1)
        return 0;
    return zown_load_be (bytes + ZOWN_ID_OFFSET, 8);
}

void
zown_encode_request_header (zown_buf_t *buf)
{
    zown_buf_put_u8 (buf, ZOWN_SIG0);
    zown_buf_put_u8 (buf, ZOWN_SIG1);
    zown_buf_put_u8 (buf, ZOWN_PROTOCOL_VERSION);
    zown_buf_put_u8 (buf, ZOWN_KIND_REQUEST);
    zown_buf_put_u64 (buf, 0);
    zown_buf_put_u16 (buf, 0);
}

void
zown_encode_request_end (zown_buf_t *buf, uint64_t id, uint16_t ops)
{
    zown_buf_patch_u64 (buf, ZOWN_ID_OFFSET, id);
    zown_buf_patch_u16 (buf, ZOWN_ID_OFFSET + 8, ops);
}

void
zown_encode_request_kind (zown_buf_t *buf, uint8_t kind)
{
    if (!buf->failed && buf->size >= ZOWN_REQUEST_HEADER)
        buf->data [3] = kind;
}

void
zown_encode_op (zown_buf_t *buf, uint8_t code, const char *name, size_t name_len, uint16_t argc)
{
    zown_buf_put_u8 (buf, code);
    zown_buf_put_u8 (buf, (uint8_t) name_len);
    zown_buf_put_mem (buf, name, name_len);
    zown_buf_put_u16 (buf, argc);
}

//  --------------------------------------------------------------------------
//  Replies

int
zown_decode_reply_header (zown_reader_t *reader, uint64_t *id, uint8_t *status, uint16_t *results)
{
    uint8_t sig0, sig1, version, kind;
    return zown_reader_u8 (reader, &sig0) || zown_reader_u8 (reader, &sig1)
            || zown_reader_u8 (reader, &version) || zown_reader_u8 (reader, &kind)
            || zown_reader_u64 (reader, id) || zown_reader_u8 (reader, status)
            || zown_reader_u16 (reader, results) || sig0 != ZOWN_SIG0 || sig1 != ZOWN_SIG1
            || version != ZOWN_PROTOCOL_VERSION || kind != ZOWN_KIND_REPLY
        ? -1
        : 0;
}

int
zown_decode_result_header (zown_reader_t *reader, uint8_t *status, uint32_t *values)
{
    return zown_reader_u8 (reader, status) || zown_reader_u32 (reader, values) ? -1 : 0;
}

void
zown_encode_reply_header (zown_buf_t *buf, uint64_t id)
{
    zown_buf_put_u8 (buf, ZOWN_SIG0);
    zown_buf_put_u8 (buf, ZOWN_SIG1);
    zown_buf_put_u8 (buf, ZOWN_PROTOCOL_VERSION);
    zown_buf_put_u8 (buf, ZOWN_KIND_REPLY);
    zown_buf_put_u64 (buf, id);
    zown_buf_put_u8 (buf, 0);
    zown_buf_put_u16 (buf, 0);
}

void
zown_encode_reply_end (zown_buf_t *buf, uint8_t status, uint16_t results)
{
    if (!buf->failed && buf->size >= ZOWN_REPLY_HEADER) {
        buf->data [12] = status;
        zown_buf_patch_u16 (buf, 13, results);
    }
}

size_t
zown_encode_result_begin (zown_buf_t *buf)
{
    size_t offset = buf->size;
    zown_buf_put_u8 (buf, 0);
    zown_buf_put_u32 (buf, 0);
    return offset;
}

void
zown_encode_result_end (zown_buf_t *buf, size_t offset, uint8_t status, uint32_t values)
{
    if (!buf->failed && offset + 5 <= buf->size) {
        buf->data [offset] = status;
        zown_buf_patch_u32 (buf, offset + 1, values);
    }
}

void
zown_encode_failure (zown_buf_t *out, uint64_t id, size_t op_count, size_t failed, int status,
                     const char *message)
{
    out->size = 0;
    out->failed = false;
    zown_encode_reply_header (out, id);
    for (size_t index = 0; index < op_count; index++) {
        size_t result = zown_encode_result_begin (out);
        bool is_failed = index == failed;
        if (is_failed && message)
            zown_buf_put_datum (out, zown_datum_str (message));
        zown_encode_result_end (out, result, (uint8_t) (is_failed ? status : ZOWN_ABORTED),
                                is_failed && message ? 1 : 0);
    }
    zown_encode_reply_end (out, (uint8_t) status, (uint16_t) op_count);
}

//  --------------------------------------------------------------------------
//  Change records

void
zown_encode_change (zown_buf_t *buf, const zown_change_t *change)
{
    zown_buf_put_u8 (buf, (uint8_t) change->name_size);
    zown_buf_put_mem (buf, change->name, change->name_size);
    zown_buf_put_u8 (buf, change->kind);
    zown_buf_put_u64 (buf, change->seq);
    zown_buf_put_u64 (buf, change->version);
    zown_buf_put_u8 (buf, change->op);
    zown_buf_put_u16 (buf, change->count);
    zown_buf_put_u32 (buf, (uint32_t) change->values_size);
    zown_buf_put_mem (buf, change->values, change->values_size);
}

void
zown_encode_change_datums (zown_buf_t *buf, const char *name, uint8_t kind, uint64_t version,
                           uint8_t op, size_t count, const zown_datum_t *values)
{
    size_t name_size = strlen (name);
    zown_buf_put_u8 (buf, (uint8_t) name_size);
    zown_buf_put_mem (buf, name, name_size);
    zown_buf_put_u8 (buf, kind);
    zown_buf_put_u64 (buf, 0);
    zown_buf_put_u64 (buf, version);
    zown_buf_put_u8 (buf, op);
    zown_buf_put_u16 (buf, (uint16_t) count);
    size_t size_at = buf->size;
    zown_buf_put_u32 (buf, 0);
    for (size_t index = 0; index < count; index++)
        zown_buf_put_datum (buf, values [index]);
    if (!buf->failed)
        zown_buf_patch_u32 (buf, size_at, (uint32_t) (buf->size - size_at - 4));
}

void
zown_encode_change_seq (zown_buf_t *buf, size_t offset, uint64_t seq)
{
    //  The seq follows the name and the kind.
    zown_buf_patch_u64 (buf, offset + 1 + buf->data [offset] + 1, seq);
}

int
zown_decode_change (zown_reader_t *reader, zown_change_t *change)
{
    uint8_t name_size;
    uint32_t values_size;
    if (zown_reader_u8 (reader, &name_size) || (size_t) (reader->end - reader->pos) < name_size)
        return -1;
    change->name = (const char *) reader->pos;
    change->name_size = name_size;
    reader->pos += name_size;
    if (zown_reader_u8 (reader, &change->kind) || zown_reader_u64 (reader, &change->seq)
        || zown_reader_u64 (reader, &change->version) || zown_reader_u8 (reader, &change->op)
        || zown_reader_u16 (reader, &change->count) || zown_reader_u32 (reader, &values_size)
        || (size_t) (reader->end - reader->pos) < values_size)
        return -1;
    change->values = reader->pos;
    change->values_size = values_size;
    reader->pos += values_size;
    return 0;
}

void
zown_encode_feed_header (uint8_t header [ZOWN_FEED_HEADER], const zown_change_t *change)
{
    header [0] = ZOWN_SIG0;
    header [1] = ZOWN_FEED_SIG1;
    header [2] = ZOWN_PROTOCOL_VERSION;
    header [3] = change->kind;
    zown_store_be (header + 4, change->seq, 8);
    zown_store_be (header + 12, change->version, 8);
    header [20] = change->op;
}

int
zown_decode_feed_header (const void *data, size_t size, zown_change_t *change)
{
    const uint8_t *header = data;
    if (size != ZOWN_FEED_HEADER || header [0] != ZOWN_SIG0 || header [1] != ZOWN_FEED_SIG1
        || header [2] != ZOWN_PROTOCOL_VERSION)
        return -1;
    change->kind = header [3];
    change->seq = zown_load_be (header + 4, 8);
    change->version = zown_load_be (header + 12, 8);
    change->op = header [20];
    return 0;
}

//  --------------------------------------------------------------------------
//  Deferred replies

void
zown_encode_deferred (zown_buf_t *buf, const zown_deferred_t *reply)
{
    zown_buf_put_u16 (buf, (uint16_t) reply->identity_size);
    zown_buf_put_mem (buf, reply->identity, reply->identity_size);
    zown_buf_put_u8 (buf, reply->envelope);
    zown_buf_put_u32 (buf, (uint32_t) reply->size);
    zown_buf_put_mem (buf, reply->data, reply->size);
}

int
zown_decode_deferred (zown_reader_t *reader, zown_deferred_t *reply)
{
    uint16_t identity_size;
    uint8_t envelope;
    uint32_t size;
    if (zown_reader_u16 (reader, &identity_size)
        || (size_t) (reader->end - reader->pos) < identity_size)
        return -1;
    reply->identity = reader->pos;
    reply->identity_size = identity_size;
    reader->pos += identity_size;
    if (zown_reader_u8 (reader, &envelope) || zown_reader_u32 (reader, &size)
        || (size_t) (reader->end - reader->pos) < size)
        return -1;
    reply->envelope = envelope != 0;
    reply->data = reader->pos;
    reply->size = size;
    reader->pos += size;
    return 0;
}
