/*  =========================================================================
    fuzz_codec - every wire decoder on arbitrary bytes

    The decoders promise that any byte string can be fed to them
    (runtime/wire/codec.h). Beyond not crashing, the encoding is canonical: a
    frame that decodes encodes back to exactly its own bytes, so a decoder
    that skips or misreads a field is caught as well. Each input gets fresh
    state, freed before the next, so runs are deterministic and leak checks
    see everything.
    =========================================================================
*/
#include "zown_internal.h"
#include "fuzz.h"

//  The owner's default limit on a byte string, and one that small inputs
//  exceed, to reach TOO_LARGE.
#define S_MAX_VALUE (64u * 1024 * 1024)
#define S_MAX_SMALL 4

static void
s_check_same (const zown_buf_t *buf, const void *data, size_t size)
{
    ZOWN_FUZZ_CHECK (!buf->failed);
    ZOWN_FUZZ_CHECK (buf->size == size);
    ZOWN_FUZZ_CHECK (size == 0 || memcmp (buf->data, data, size) == 0);
}

//  A request: decoded (the zown_decoded_t reused, as the owner reuses its
//  own), re-encoded, and decoded again under a small size limit.
static void
s_request (const uint8_t *data, size_t size)
{
    zown_decoded_t decoded;
    zown_decoded_init (&decoded);
    int status = zown_decode_request (&decoded, data, size, S_MAX_VALUE);
    //  Every error echoes the id whenever the header holds one (PROTOCOL 3.6).
    ZOWN_FUZZ_CHECK (decoded.id == zown_peek_id (data, size));
    ZOWN_FUZZ_CHECK ((status == ZOWN_OK) == (decoded.error == NULL));
    if (status == ZOWN_OK) {
        ZOWN_FUZZ_CHECK (decoded.op_count >= 1 && decoded.op_count <= ZOWN_BATCH_MAX);
        zown_buf_t buf;
        zown_buf_init (&buf);
        zown_encode_request_header (&buf);
        for (size_t index = 0; index < decoded.op_count; index++) {
            const zown_op_view_t *op = &decoded.ops [index];
            zown_encode_op (&buf, op->code, op->name, strlen (op->name), (uint16_t) op->argc);
            for (size_t arg = 0; arg < op->argc; arg++)
                zown_buf_put_datum (&buf, decoded.args [op->argv_offset + arg]);
        }
        zown_buf_patch_u64 (&buf, ZOWN_ID_OFFSET, decoded.id);
        zown_buf_patch_u16 (&buf, ZOWN_REQUEST_HEADER - 2, (uint16_t) decoded.op_count);
        zown_encode_request_kind (&buf,
                                  decoded.independent ? ZOWN_KIND_INDEPENDENT : ZOWN_KIND_REQUEST);
        s_check_same (&buf, data, size);
        zown_buf_free (&buf);
    } else
        ZOWN_FUZZ_CHECK (status == ZOWN_BAD_REQUEST || status == ZOWN_BAD_VERSION
                         || status == ZOWN_TOO_LARGE);
    int small = zown_decode_request (&decoded, data, size, S_MAX_SMALL);
    //  A lower limit can only turn success into TOO_LARGE.
    ZOWN_FUZZ_CHECK (small != ZOWN_OK || status == ZOWN_OK);
    ZOWN_FUZZ_CHECK (status != ZOWN_OK || small == ZOWN_OK || small == ZOWN_TOO_LARGE);
    zown_decoded_free (&decoded);
}

//  A reply, as the client decodes it, then read through the public
//  accessors and re-encoded.
static void
s_reply (const uint8_t *data, size_t size)
{
    zown_reply_t reply;
    zown_reply_init (&reply);
    if (zown_reply_decode (&reply, data, size) == 0) {
        zown_buf_t buf;
        zown_buf_init (&buf);
        zown_encode_reply_header (&buf, zown_reply_id (&reply));
        size_t results = zown_reply_results (&reply);
        for (size_t op = 0; op < results; op++) {
            size_t result = zown_encode_result_begin (&buf);
            size_t count = zown_reply_count (&reply, op);
            for (size_t index = 0; index < count; index++)
                zown_buf_put_datum (&buf, zown_reply_value (&reply, op, index));
            zown_datum_t message = zown_reply_message (&reply, op);
            ZOWN_FUZZ_CHECK (message.tag == ZOWN_BYTES);
            zown_encode_result_end (&buf, result, (uint8_t) zown_reply_result_status (&reply, op),
                                    (uint32_t) count);
        }
        //  Out of range reads answer, never read past the arrays.
        ZOWN_FUZZ_CHECK (zown_reply_result_status (&reply, results) == ZOWN_INVALID);
        ZOWN_FUZZ_CHECK (zown_reply_value (&reply, results, 0).tag == ZOWN_NIL);
        zown_encode_reply_end (&buf, (uint8_t) zown_reply_status (&reply), (uint16_t) results);
        s_check_same (&buf, data, size);
        zown_buf_free (&buf);
    }
    zown_reply_fini (&reply);
}

//  The bytes as a journal: change records one after another, as the
//  registry replays them, each re-encoded and its values read.
static void
s_changes (const uint8_t *data, size_t size)
{
    zown_reader_t reader;
    zown_reader_init (&reader, data, size);
    zown_change_t change;
    while (reader.pos < reader.end) {
        const uint8_t *start = reader.pos;
        if (zown_decode_change (&reader, &change))
            break;
        zown_buf_t buf;
        zown_buf_init (&buf);
        zown_encode_change (&buf, &change);
        s_check_same (&buf, start, (size_t) (reader.pos - start));
        zown_buf_free (&buf);
        zown_reader_t values;
        zown_reader_init (&values, change.values, change.values_size);
        zown_datum_t datum;
        for (size_t index = 0; index < change.count; index++)
            if (zown_reader_datum (&values, &datum))
                break;
    }
}

//  A feed header: the input if it is one, else its first 21 octets.
static void
s_feed_header (const uint8_t *data, size_t size)
{
    zown_change_t change;
    if (size > ZOWN_FEED_HEADER && zown_decode_feed_header (data, size, &change) == 0)
        ZOWN_FUZZ_CHECK (!"a feed header has exactly 21 octets");
    if (size >= ZOWN_FEED_HEADER
        && zown_decode_feed_header (data, ZOWN_FEED_HEADER, &change) == 0) {
        uint8_t header [ZOWN_FEED_HEADER];
        zown_encode_feed_header (header, &change);
        ZOWN_FUZZ_CHECK (memcmp (header, data, ZOWN_FEED_HEADER) == 0);
    }
}

int
zown_fuzz_codec (const uint8_t *data, size_t size)
{
    s_request (data, size);
    s_reply (data, size);
    s_changes (data, size);
    s_feed_header (data, size);
    return 0;
}
