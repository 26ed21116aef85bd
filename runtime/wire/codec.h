/*  =========================================================================
    codec - encode and decode zown messages (docs/PROTOCOL.md)

    Nothing else in zown touches frame bytes. Decoding never copies: data
    point into the frame being decoded. Every length is checked before it is
    read, so any byte string can be fed to a decoder.
    =========================================================================
*/
#ifndef ZOWN_CODEC_H_INCLUDED
#define ZOWN_CODEC_H_INCLUDED

#define ZOWN_SIG0         0x5A  //  'Z'
#define ZOWN_SIG1         0x4F  //  'O'
#define ZOWN_KIND_REQUEST 1
#define ZOWN_KIND_REPLY   2
//  A request of independent ops: each applied on its own (PROTOCOL.md 3.2).
#define ZOWN_KIND_INDEPENDENT 3
#define ZOWN_ID_OFFSET        4   //  Request id: u64 after signature, version, kind
#define ZOWN_REQUEST_HEADER   14  //  Signature, version, kind, id, u16 op count
#define ZOWN_REPLY_HEADER     15  //  Signature, version, kind, id, status, u16 count
#define ZOWN_OBJECT_NAME_MAX  255
#define ZOWN_BATCH_MAX        ZOWN_REQUEST_OPS_MAX   //  Most ops in one request
#define ZOWN_ARGS_MAX         ZOWN_REQUEST_ARGS_MAX  //  Most arguments of one op
//  A routing id that starts with these two octets is a client that says
//  HELLO before anything that needs a session (docs/PROTOCOL.md 3.5).
#define ZOWN_CLIENT_ID_PREFIX "ZS"

//  Growable output buffer. A failed allocation sets `failed` and later
//  writes do nothing, so a caller checks once at the end.
typedef struct {
    uint8_t *data;    //  Bytes written
    size_t size;      //  Bytes used
    size_t capacity;  //  Bytes allocated
    bool failed;      //  An allocation failed
} zown_buf_t;

void zown_buf_init (zown_buf_t *self);
void zown_buf_free (zown_buf_t *self);
//  Slow path of zown_buf_reserve: grow the allocation.
uint8_t *zown_buf_grow (zown_buf_t *self, size_t more);
void zown_buf_put_mem (zown_buf_t *self, const void *data, size_t size);
void zown_buf_put_datum (zown_buf_t *self, zown_datum_t datum);
void zown_buf_patch_u16 (zown_buf_t *self, size_t offset, uint16_t value);
void zown_buf_patch_u32 (zown_buf_t *self, size_t offset, uint32_t value);
void zown_buf_patch_u64 (zown_buf_t *self, size_t offset, uint64_t value);

//  Grow *array to hold at least `needed` items (doubling); -1 if no memory.
int zown_grow (void **array, size_t *capacity, size_t needed, size_t item_size);

//  Bounds-checked reader over one frame.
typedef struct {
    const uint8_t *pos;  //  Next byte to read
    const uint8_t *end;  //  One past the last byte
} zown_reader_t;

//  Reads one tagged value; -1 if truncated or the tag is unknown.
int zown_reader_datum (zown_reader_t *self, zown_datum_t *datum);

//  The primitives every message is made of, inline: they are the owner's
//  and the client's hot path.

static inline void
zown_store_be (uint8_t *at, uint64_t value, int octets)
{
    for (int index = octets - 1; index >= 0; index--) {
        at [index] = (uint8_t) value;
        value >>= 8;
    }
}

static inline uint64_t
zown_load_be (const uint8_t *at, int octets)
{
    uint64_t value = 0;
    for (int index = 0; index < octets; index++)
        value = (value << 8) | at [index];
    return value;
}

//  Room for `more` bytes at the end; NULL once an allocation has failed.
static inline uint8_t *
zown_buf_reserve (zown_buf_t *self, size_t more)
{
    if (self->capacity - self->size >= more && !self->failed) {
        uint8_t *at = self->data + self->size;
        self->size += more;
        return at;
    }
    return zown_buf_grow (self, more);
}

static inline void
zown_buf_put_be (zown_buf_t *self, uint64_t value, int octets)
{
    uint8_t *at = zown_buf_reserve (self, (size_t) octets);
    if (at)
        zown_store_be (at, value, octets);
}

static inline void
zown_buf_put_u8 (zown_buf_t *self, uint8_t value)
{
    zown_buf_put_be (self, value, 1);
}
static inline void
zown_buf_put_u16 (zown_buf_t *self, uint16_t value)
{
    zown_buf_put_be (self, value, 2);
}
static inline void
zown_buf_put_u32 (zown_buf_t *self, uint32_t value)
{
    zown_buf_put_be (self, value, 4);
}
static inline void
zown_buf_put_u64 (zown_buf_t *self, uint64_t value)
{
    zown_buf_put_be (self, value, 8);
}

static inline void
zown_reader_init (zown_reader_t *self, const void *data, size_t size)
{
    self->pos = (const uint8_t *) data;
    //  An empty buffer may have no memory at all (NULL); NULL + 0 is
    //  undefined behaviour in C, so it is not computed.
    self->end = size ? self->pos + size : self->pos;
}

static inline int
zown_reader_be (zown_reader_t *self, int octets, uint64_t *value)
{
    if (self->end - self->pos < octets)
        return -1;
    *value = zown_load_be (self->pos, octets);
    self->pos += octets;
    return 0;
}

static inline int
zown_reader_u8 (zown_reader_t *self, uint8_t *value)
{
    if (self->pos == self->end)
        return -1;
    *value = *self->pos++;
    return 0;
}

static inline int
zown_reader_u16 (zown_reader_t *self, uint16_t *value)
{
    uint64_t wide;
    if (zown_reader_be (self, 2, &wide))
        return -1;
    *value = (uint16_t) wide;
    return 0;
}

static inline int
zown_reader_u32 (zown_reader_t *self, uint32_t *value)
{
    uint64_t wide;
    if (zown_reader_be (self, 4, &wide))
        return -1;
    *value = (uint32_t) wide;
    return 0;
}

static inline int
zown_reader_u64 (zown_reader_t *self, uint64_t *value)
{
    return zown_reader_be (self, 8, value);
}

//  One op of a decoded request.
typedef struct {
    uint8_t code;                          //  Op code
    char name [ZOWN_OBJECT_NAME_MAX + 1];  //  Object name, NUL-terminated
    size_t argc;                           //  Number of arguments
    size_t argv_offset;                    //  First argument in the args array
} zown_op_view_t;

//  A decoded request; arrays are reused from one request to the next.
typedef struct {
    uint64_t id;          //  Request id (0 if the frame was too short)
    bool independent;     //  Kind 3: each op applied on its own
    size_t op_count;      //  Ops decoded
    zown_op_view_t *ops;  //  op_count ops
    size_t ops_capacity;
    zown_datum_t *args;  //  Arguments of every op, in order
    size_t args_capacity;
    const char *error;  //  Why decoding failed, for the error reply
} zown_decoded_t;

void zown_decoded_init (zown_decoded_t *self);
void zown_decoded_free (zown_decoded_t *self);

//  Decode one request frame. Returns ZOWN_OK, ZOWN_BAD_REQUEST,
//  ZOWN_BAD_VERSION, ZOWN_TOO_LARGE (a byte string over max_value) or
//  ZOWN_NO_MEMORY; on failure self->id holds the id when it could be read.
int zown_decode_request (zown_decoded_t *self, const void *data, size_t size, size_t max_value);

//  Request id of a frame whose header is readable, else 0.
uint64_t zown_peek_id (const void *data, size_t size);

//  Start a request with a zero id and op count (patched when sent).
void zown_encode_request_header (zown_buf_t *buf);
//  Seal a request: its id and op count.
void zown_encode_request_end (zown_buf_t *buf, uint64_t id, uint16_t ops);
//  Set its kind: ZOWN_KIND_REQUEST (the header's) or ZOWN_KIND_INDEPENDENT.
void zown_encode_request_kind (zown_buf_t *buf, uint8_t kind);
//  Append one op header; arguments follow with zown_buf_put_datum.
void zown_encode_op (zown_buf_t *buf, uint8_t code, const char *name, size_t name_len,
                     uint16_t argc);

//  Read a reply's header: its id, overall status and result count; -1 if
//  it is truncated or not a reply of this version.
int zown_decode_reply_header (zown_reader_t *reader, uint64_t *id, uint8_t *status,
                              uint16_t *results);
//  Read one result's header: its status and value count; -1 if truncated.
int zown_decode_result_header (zown_reader_t *reader, uint8_t *status, uint32_t *values);
//  Start a reply; status and count are patched by zown_encode_reply_end.
void zown_encode_reply_header (zown_buf_t *buf, uint64_t id);
void zown_encode_reply_end (zown_buf_t *buf, uint8_t status, uint16_t results);
//  Start one result; returns its offset for zown_encode_result_end.
size_t zown_encode_result_begin (zown_buf_t *buf);
void zown_encode_result_end (zown_buf_t *buf, size_t offset, uint8_t status, uint32_t values);
//  A whole reply to a request that changed nothing (out is reset first):
//  op `failed` has `status` and `message` (if any), every other op of its
//  request ABORTED.
void zown_encode_failure (zown_buf_t *out, uint64_t id, size_t op_count, size_t failed, int status,
                          const char *message);

//  One result of a decoded reply.
typedef struct {
    uint8_t status;  //  Status of this op
    size_t first;    //  Index of its first value in values
    size_t count;    //  Number of values
} zown_result_view_t;

//  --------------------------------------------------------------------------
//  Change records (docs/PROTOCOL.md, section 9): what the change feed
//  publishes and the journal stores.

#define ZOWN_FEED_SIG1   0x46  //  'F'
#define ZOWN_FEED_HEADER 21    //  Signature, version, kind, seq, version, op

//  Change kinds: zown_change_kind_t (include/zown_subscriber.h), and one
//  that only snapshots in the journal hold.
#define ZOWN_CHANGE_VERSION 7  //  snapshot only: the object exists, at this version
//  Feed only, or'ed into the kind: more records of the same commit follow.
#define ZOWN_CHANGE_MORE 0x80

//  One change; values are encoded datums, pointing into a frame or record.
typedef struct {
    const char *name;  //  Object name, not terminated
    size_t name_size;
    uint8_t kind;
    uint64_t seq;      //  Global sequence number
    uint64_t version;  //  The object's version after the change
    uint8_t op;        //  Op code that made it (its type for VERSION)
    const uint8_t *values;
    size_t values_size;
    uint16_t count;  //  Values in `values`
} zown_change_t;

//  Journal form, one after another: u8 name size, name, kind, u64 seq,
//  u64 version, op, u16 count, u32 values size, values.
void zown_encode_change (zown_buf_t *buf, const zown_change_t *change);
//  The same from datums, with seq 0 (set it with zown_encode_change_seq).
void zown_encode_change_datums (zown_buf_t *buf, const char *name, uint8_t kind, uint64_t version,
                                uint8_t op, size_t count, const zown_datum_t *values);
//  Set the seq of the record that starts at offset in buf.
void zown_encode_change_seq (zown_buf_t *buf, size_t offset, uint64_t seq);
//  Reads one; -1 if truncated.
int zown_decode_change (zown_reader_t *reader, zown_change_t *change);

//  Feed form: frame 1 is this header; frame 2 is u16 count, then values.
void zown_encode_feed_header (uint8_t header [ZOWN_FEED_HEADER], const zown_change_t *change);
//  -1 if the frame is not a feed header of this version.
int zown_decode_feed_header (const void *data, size_t size, zown_change_t *change);

//  --------------------------------------------------------------------------
//  Deferred replies: what the owner keeps of a reply until its burst is
//  durable (group commit), one after another in a buffer: u16 identity
//  size, identity, u8 envelope, u32 size, the reply frame.
typedef struct {
    const void *identity;  //  ROUTER identity of its client
    size_t identity_size;  //  At most 255
    bool envelope;         //  Echo an empty delimiter first (REQ client)
    const void *data;      //  The reply frame
    size_t size;
} zown_deferred_t;

void zown_encode_deferred (zown_buf_t *buf, const zown_deferred_t *reply);
//  Reads one; -1 at the end or if truncated.
int zown_decode_deferred (zown_reader_t *reader, zown_deferred_t *reply);

#endif
