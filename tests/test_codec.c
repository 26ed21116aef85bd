/*  =========================================================================
    test_codec - values and frames round-trip; every malformed form of a
    request is rejected with the right status, never read out of bounds
    =========================================================================
*/
#include "testutil.h"
#include "zown_internal.h"
#include <math.h>

static zown_datum_t
s_round_trip (zown_datum_t datum)
{
    zown_buf_t buf;
    zown_buf_init (&buf);
    zown_buf_put_datum (&buf, datum);
    assert_false (buf.failed);
    zown_reader_t reader;
    zown_reader_init (&reader, buf.data, buf.size);
    zown_datum_t back;
    assert_int_equal (zown_reader_datum (&reader, &back), 0);
    assert_ptr_equal (reader.pos, reader.end);
    //  Byte strings point into buf: compare before freeing it.
    assert_true (zown_datum_eq (datum, back) || (datum.tag == ZOWN_DOUBLE && isnan (datum.u.d)));
    zown_buf_free (&buf);
    return back;
}

static void
test_values_round_trip (void **state)
{
    (void) state;
    s_round_trip (ZOWN_NIL_DATUM);
    int64_t ints [] = { 0, 1, -1, INT64_MAX, INT64_MIN, 0x0102030405060708LL };
    for (size_t index = 0; index < sizeof (ints) / sizeof (ints [0]); index++)
        s_round_trip (zown_datum_int (ints [index]));
    double doubles [] = { 0.0, -0.0, 1.5, -1e300, INFINITY, -INFINITY, 5e-324 };
    for (size_t index = 0; index < sizeof (doubles) / sizeof (doubles [0]); index++)
        s_round_trip (zown_datum_double (doubles [index]));
    zown_datum_t nan = s_round_trip (zown_datum_double (NAN));
    assert_true (isnan (nan.u.d));
    s_round_trip (zown_datum_bytes ("", 0));
    s_round_trip (zown_datum_bytes ("a\0b\xff", 4));
    s_round_trip (ZOWN_STR ("hello"));
}

static void
test_wire_layout (void **state)
{
    (void) state;
    //  The exact bytes of docs/PROTOCOL.md's worked example.
    zown_request_t *request = zown_request_new ();
    zown_datum_t one = zown_datum_int (1);
    assert_int_equal (zown_request_add (request, ZOWN_OP_VALUE_ADD, "counter", 1, &one), 0);
    zown_request_seal (request, 1);
    const zown_buf_t *buf = zown_request_buffer (request);
    const uint8_t expected [] = { 0x5A, 0x4F, 0x01, 0x01, 0,   0,   0,   0,   0,   0,   0,   1,
                                  0x00, 0x01, 0x22, 0x07, 'c', 'o', 'u', 'n', 't', 'e', 'r', 0x00,
                                  0x01, 0x01, 0,    0,    0,   0,   0,   0,   0,   1 };
    assert_int_equal (buf->size, sizeof (expected));
    assert_memory_equal (buf->data, expected, sizeof (expected));
    zown_request_destroy (&request);
}

static void
test_request_round_trip (void **state)
{
    (void) state;
    zown_request_t *request = zown_request_new ();
    zown_datum_t args [] = { ZOWN_STR ("key"), zown_datum_double (2.5), ZOWN_NIL_DATUM };
    assert_int_equal (zown_request_add (request, ZOWN_OP_DICT_SET, "d", 2, args), 0);
    assert_int_equal (zown_request_add (request, ZOWN_OP_PING, NULL, 0, NULL), 0);
    assert_int_equal (zown_request_add (request, ZOWN_OP_DICT_UPDATE, "d", 3, args), 0);
    assert_int_equal (zown_request_ops (request), 3);
    zown_request_seal (request, 0xDEADBEEFCAFEULL);
    const zown_buf_t *buf = zown_request_buffer (request);

    zown_decoded_t decoded;
    zown_decoded_init (&decoded);
    assert_int_equal (zown_decode_request (&decoded, buf->data, buf->size, 1024), ZOWN_OK);
    assert_int_equal (decoded.id, 0xDEADBEEFCAFEULL);
    assert_int_equal (decoded.op_count, 3);
    assert_int_equal (decoded.ops [0].code, ZOWN_OP_DICT_SET);
    assert_string_equal (decoded.ops [0].name, "d");
    assert_int_equal (decoded.ops [0].argc, 2);
    assert_true (zown_datum_streq (decoded.args [decoded.ops [0].argv_offset], "key"));
    assert_int_equal (decoded.ops [1].code, ZOWN_OP_PING);
    assert_string_equal (decoded.ops [1].name, "");
    assert_int_equal (decoded.ops [1].argc, 0);
    assert_int_equal (decoded.ops [2].argc, 3);
    assert_int_equal (decoded.args [decoded.ops [2].argv_offset + 2].tag, ZOWN_NIL);

    //  The request is reusable after a reset.
    zown_request_reset (request);
    assert_int_equal (zown_request_ops (request), 0);
    assert_int_equal (zown_request_add (request, ZOWN_OP_VALUE_GET, "v", 0, NULL), 0);
    zown_request_seal (request, 7);
    assert_int_equal (zown_decode_request (&decoded, buf->data, buf->size, 1024), ZOWN_OK);
    assert_int_equal (decoded.op_count, 1);
    assert_int_equal (decoded.id, 7);
    zown_decoded_free (&decoded);
    zown_request_destroy (&request);
    zown_request_destroy (&request);  //  Destroy twice is harmless.
}

static void
test_request_add_rejects_bad_input (void **state)
{
    (void) state;
    zown_request_t *request = zown_request_new ();
    char long_name [300];
    memset (long_name, 'n', sizeof (long_name) - 1);
    long_name [sizeof (long_name) - 1] = 0;
    assert_int_equal (zown_request_add (request, ZOWN_OP_VALUE_GET, long_name, 0, NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    zown_datum_t bad = { .tag = (zown_tag_t) 9 };
    assert_int_equal (zown_request_add (request, ZOWN_OP_VALUE_SET, "v", 1, &bad), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_int_equal (zown_request_add (request, ZOWN_OP_VALUE_SET, "v", 1, NULL), -1);
    for (int index = 0; index < ZOWN_BATCH_MAX; index++)
        assert_int_equal (zown_request_add (request, ZOWN_OP_PING, NULL, 0, NULL), 0);
    assert_int_equal (zown_request_add (request, ZOWN_OP_PING, NULL, 0, NULL), -1);
    assert_int_equal (zown_errno (), ZOWN_INVALID);
    assert_int_equal (zown_request_ops (request), ZOWN_BATCH_MAX);
    zown_request_destroy (&request);
}

//  A valid request frame to corrupt.
static zown_buf_t
s_valid_frame (void)
{
    zown_buf_t buf;
    zown_buf_init (&buf);
    zown_encode_request_header (&buf);
    zown_encode_op (&buf, ZOWN_OP_DICT_SET, "obj", 3, 2);
    zown_buf_put_datum (&buf, ZOWN_STR ("key"));
    zown_buf_put_datum (&buf, ZOWN_STR ("value"));
    zown_buf_patch_u64 (&buf, ZOWN_ID_OFFSET, 42);
    zown_buf_patch_u16 (&buf, ZOWN_ID_OFFSET + 8, 1);
    return buf;
}

static int
s_decode (const void *data, size_t size, size_t max_value, uint64_t *id_p)
{
    zown_decoded_t decoded;
    zown_decoded_init (&decoded);
    //  A private copy of exactly `size` bytes, so ASan sees any overread.
    uint8_t *copy = (uint8_t *) malloc (size ? size : 1);
    memcpy (copy, data, size);
    int status = zown_decode_request (&decoded, copy, size, max_value);
    if (status != ZOWN_OK)
        assert_non_null (decoded.error);
    if (id_p)
        *id_p = decoded.id;
    free (copy);
    zown_decoded_free (&decoded);
    return status;
}

static void
test_every_truncation_is_rejected (void **state)
{
    (void) state;
    zown_buf_t buf = s_valid_frame ();
    assert_int_equal (s_decode (buf.data, buf.size, 1024, NULL), ZOWN_OK);
    for (size_t size = 0; size < buf.size; size++)
        assert_int_equal (s_decode (buf.data, size, 1024, NULL), ZOWN_BAD_REQUEST);
    zown_buf_free (&buf);
}

static void
test_malformed_headers (void **state)
{
    (void) state;
    zown_buf_t buf = s_valid_frame ();
    uint64_t id;

    buf.data [0] = 'X';
    assert_int_equal (s_decode (buf.data, buf.size, 1024, NULL), ZOWN_BAD_REQUEST);
    buf.data [0] = ZOWN_SIG0;

    buf.data [2] = 2;  //  Version: answered, with the id echoed.
    assert_int_equal (s_decode (buf.data, buf.size, 1024, &id), ZOWN_BAD_VERSION);
    assert_int_equal (id, 42);
    buf.data [2] = ZOWN_PROTOCOL_VERSION;

    buf.data [3] = ZOWN_KIND_REPLY;
    assert_int_equal (s_decode (buf.data, buf.size, 1024, &id), ZOWN_BAD_REQUEST);
    assert_int_equal (id, 42);
    buf.data [3] = ZOWN_KIND_REQUEST;

    zown_buf_patch_u16 (&buf, ZOWN_ID_OFFSET + 8, 0);
    assert_int_equal (s_decode (buf.data, buf.size, 1024, NULL), ZOWN_BAD_REQUEST);
    zown_buf_patch_u16 (&buf, ZOWN_ID_OFFSET + 8, ZOWN_BATCH_MAX + 1);
    assert_int_equal (s_decode (buf.data, buf.size, 1024, NULL), ZOWN_BAD_REQUEST);
    zown_buf_patch_u16 (&buf, ZOWN_ID_OFFSET + 8, 2);  //  Claims an op it lacks.
    assert_int_equal (s_decode (buf.data, buf.size, 1024, NULL), ZOWN_BAD_REQUEST);
    zown_buf_patch_u16 (&buf, ZOWN_ID_OFFSET + 8, 1);

    zown_buf_put_u8 (&buf, 0);  //  Trailing byte.
    assert_int_equal (s_decode (buf.data, buf.size, 1024, NULL), ZOWN_BAD_REQUEST);
    buf.size--;
    assert_int_equal (s_decode (buf.data, buf.size, 1024, NULL), ZOWN_OK);
    zown_buf_free (&buf);
}

static void
test_malformed_ops (void **state)
{
    (void) state;
    zown_buf_t buf = s_valid_frame ();
    size_t op = ZOWN_REQUEST_HEADER;
    //  NUL inside the object name
    buf.data [op + 3] = 0;
    assert_int_equal (s_decode (buf.data, buf.size, 1024, NULL), ZOWN_BAD_REQUEST);
    buf.data [op + 3] = 'b';
    //  Name length past the end
    buf.data [op + 1] = 200;
    assert_int_equal (s_decode (buf.data, buf.size, 1024, NULL), ZOWN_BAD_REQUEST);
    buf.data [op + 1] = 3;
    //  Argument count larger than the bytes left (a lying count)
    zown_buf_patch_u16 (&buf, op + 5, 0xFFFF);
    assert_int_equal (s_decode (buf.data, buf.size, 1024, NULL), ZOWN_BAD_REQUEST);
    zown_buf_patch_u16 (&buf, op + 5, 2);
    //  Unknown value tag
    size_t first_arg = op + 7;
    buf.data [first_arg] = 9;
    assert_int_equal (s_decode (buf.data, buf.size, 1024, NULL), ZOWN_BAD_REQUEST);
    buf.data [first_arg] = ZOWN_BYTES;
    //  Byte-string length past the end
    zown_buf_patch_u32 (&buf, first_arg + 1, 0xFFFFFFFF);
    assert_int_equal (s_decode (buf.data, buf.size, 1024, NULL), ZOWN_BAD_REQUEST);
    zown_buf_patch_u32 (&buf, first_arg + 1, 3);
    //  A value over the owner's limit
    assert_int_equal (s_decode (buf.data, buf.size, 4, NULL), ZOWN_TOO_LARGE);
    assert_int_equal (s_decode (buf.data, buf.size, 5, NULL), ZOWN_OK);
    zown_buf_free (&buf);
}

static void
test_garbage_never_crashes (void **state)
{
    (void) state;
    //  Deterministic pseudo-random frames, half with a valid header prefix.
    uint64_t seed = 0x9E3779B97F4A7C15ULL;
    uint8_t frame [128];
    for (int round = 0; round < 20000; round++) {
        size_t size = (size_t) (seed % sizeof (frame));
        for (size_t index = 0; index < size; index++) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            frame [index] = (uint8_t) seed;
        }
        if (round % 2 && size >= 4) {
            frame [0] = ZOWN_SIG0;
            frame [1] = ZOWN_SIG1;
            frame [2] = ZOWN_PROTOCOL_VERSION;
            frame [3] = ZOWN_KIND_REQUEST;
        }
        int status = s_decode (frame, size, 64, NULL);
        assert_true (status == ZOWN_OK || status == ZOWN_BAD_REQUEST || status == ZOWN_BAD_VERSION
                     || status == ZOWN_TOO_LARGE);
        //  A reply decoder must survive the same bytes.
        zown_reply_t reply;
        zown_reply_init (&reply);
        zown_reply_decode (&reply, frame, size);
        zown_reply_fini (&reply);
    }
}

static void
test_reply_round_trip (void **state)
{
    (void) state;
    zown_buf_t buf;
    zown_buf_init (&buf);
    zown_encode_reply_header (&buf, 99);
    size_t first = zown_encode_result_begin (&buf);
    zown_buf_put_datum (&buf, zown_datum_int (5));
    zown_buf_put_datum (&buf, ZOWN_STR ("x"));
    zown_encode_result_end (&buf, first, ZOWN_OK, 2);
    size_t second = zown_encode_result_begin (&buf);
    zown_buf_put_datum (&buf, ZOWN_STR ("why"));
    zown_encode_result_end (&buf, second, ZOWN_NOT_FOUND, 1);
    zown_encode_reply_end (&buf, ZOWN_NOT_FOUND, 2);

    zown_reply_t reply;
    zown_reply_init (&reply);
    assert_int_equal (zown_reply_decode (&reply, buf.data, buf.size), 0);
    assert_int_equal (zown_reply_id (&reply), 99);
    assert_int_equal (zown_reply_status (&reply), ZOWN_NOT_FOUND);
    assert_int_equal (zown_reply_results (&reply), 2);
    assert_int_equal (zown_reply_count (&reply, 0), 2);
    assert_int_equal (zown_reply_value (&reply, 0, 0).u.i, 5);
    assert_true (zown_datum_streq (zown_reply_value (&reply, 0, 1), "x"));
    assert_int_equal (zown_reply_result_status (&reply, 1), ZOWN_NOT_FOUND);
    assert_true (zown_datum_streq (zown_reply_message (&reply, 1), "why"));
    assert_true (zown_datum_streq (zown_reply_message (&reply, 0), ""));
    //  Out of range reads are safe.
    assert_int_equal (zown_reply_value (&reply, 0, 2).tag, ZOWN_NIL);
    assert_int_equal (zown_reply_value (&reply, 5, 0).tag, ZOWN_NIL);
    assert_int_equal (zown_reply_result_status (&reply, 5), ZOWN_INVALID);
    assert_int_equal (zown_reply_count (&reply, 5), 0);
    //  Every truncation of a reply is refused.
    for (size_t size = 0; size < buf.size; size++)
        assert_int_equal (zown_reply_decode (&reply, buf.data, size), -1);
    zown_reply_fini (&reply);
    zown_buf_free (&buf);
}

//  A failed request's reply: the failed op's status and message, every
//  other op ABORTED.
static void
test_failure_reply (void **state)
{
    (void) state;
    zown_buf_t buf;
    zown_buf_init (&buf);
    zown_buf_put_u8 (&buf, 0xEE);  //  Reset first
    zown_encode_failure (&buf, 7, 3, 1, ZOWN_WRONG_TYPE, "no");
    zown_reply_t reply;
    zown_reply_init (&reply);
    assert_int_equal (zown_reply_decode (&reply, buf.data, buf.size), 0);
    assert_int_equal (zown_reply_id (&reply), 7);
    assert_int_equal (zown_reply_status (&reply), ZOWN_WRONG_TYPE);
    assert_int_equal (zown_reply_results (&reply), 3);
    assert_int_equal (zown_reply_result_status (&reply, 0), ZOWN_ABORTED);
    assert_int_equal (zown_reply_result_status (&reply, 1), ZOWN_WRONG_TYPE);
    assert_true (zown_datum_streq (zown_reply_message (&reply, 1), "no"));
    assert_int_equal (zown_reply_result_status (&reply, 2), ZOWN_ABORTED);
    zown_reply_fini (&reply);
    zown_buf_free (&buf);
}

//  A change record made from datums reads back as one; its seq is set
//  after it was written.
static void
test_change_from_datums (void **state)
{
    (void) state;
    zown_buf_t buf;
    zown_buf_init (&buf);
    zown_buf_put_u8 (&buf, 0xEE);  //  Records need not start the buffer
    zown_datum_t values [2] = { ZOWN_STR ("key"), zown_datum_int (-3) };
    zown_encode_change_datums (&buf, "dict", ZOWN_CHANGE_SET, 9, ZOWN_OP_DICT_SET, 2, values);
    zown_encode_change_seq (&buf, 1, 41);
    zown_reader_t reader;
    zown_reader_init (&reader, buf.data + 1, buf.size - 1);
    zown_change_t change;
    assert_int_equal (zown_decode_change (&reader, &change), 0);
    assert_true (reader.pos == reader.end);
    assert_int_equal (change.name_size, 4);
    assert_memory_equal (change.name, "dict", 4);
    assert_int_equal (change.kind, ZOWN_CHANGE_SET);
    assert_int_equal (change.seq, 41);
    assert_int_equal (change.version, 9);
    assert_int_equal (change.op, ZOWN_OP_DICT_SET);
    assert_int_equal (change.count, 2);
    zown_reader_init (&reader, change.values, change.values_size);
    zown_datum_t value;
    assert_int_equal (zown_reader_datum (&reader, &value), 0);
    assert_true (zown_datum_eq (value, values [0]));
    assert_int_equal (zown_reader_datum (&reader, &value), 0);
    assert_true (zown_datum_eq (value, values [1]));
    zown_buf_free (&buf);
}

//  Deferred replies come back in order, whole; a truncated one is refused.
static void
test_deferred_replies (void **state)
{
    (void) state;
    zown_buf_t buf;
    zown_buf_init (&buf);
    zown_deferred_t first = { "id-1", 4, true, "reply one", 9 };
    zown_deferred_t second = { "i2", 2, false, "", 0 };
    zown_encode_deferred (&buf, &first);
    zown_encode_deferred (&buf, &second);
    zown_reader_t reader;
    zown_reader_init (&reader, buf.data, buf.size);
    zown_deferred_t reply;
    assert_int_equal (zown_decode_deferred (&reader, &reply), 0);
    assert_int_equal (reply.identity_size, 4);
    assert_memory_equal (reply.identity, "id-1", 4);
    assert_true (reply.envelope);
    assert_int_equal (reply.size, 9);
    assert_memory_equal (reply.data, "reply one", 9);
    assert_int_equal (zown_decode_deferred (&reader, &reply), 0);
    assert_int_equal (reply.identity_size, 2);
    assert_false (reply.envelope);
    assert_int_equal (reply.size, 0);
    assert_int_equal (zown_decode_deferred (&reader, &reply), -1);
    //  Every truncation of the first one.
    for (size_t size = 0; size < 2 + 4 + 1 + 4 + 9; size++) {
        zown_reader_init (&reader, buf.data, size);
        assert_int_equal (zown_decode_deferred (&reader, &reply), -1);
    }
    zown_buf_free (&buf);
}

static void
test_status_names (void **state)
{
    (void) state;
    assert_string_equal (zown_status_name (ZOWN_OK), "OK");
    assert_string_equal (zown_status_name (ZOWN_NOT_FOUND), "NOT_FOUND");
    assert_string_equal (zown_status_name (ZOWN_WRONG_TYPE), "WRONG_TYPE");
    assert_string_equal (zown_status_name (ZOWN_TIMEOUT), "TIMEOUT");
    assert_string_equal (zown_status_name (ZOWN_UNREACHABLE), "UNREACHABLE");
    assert_string_equal (zown_status_name (12345), "UNKNOWN");
    for (int status = 0; status < 80; status++)
        assert_non_null (zown_strerror (status));
}

static void
test_datum_helpers (void **state)
{
    (void) state;
    char *text = zown_datum_strdup (zown_datum_int (-42));
    assert_string_equal (text, "-42");
    free (text);
    text = zown_datum_strdup (zown_datum_bytes ("a\0b", 3));
    assert_memory_equal (text, "a\0b", 4);
    free (text);
    text = zown_datum_strdup (ZOWN_NIL_DATUM);
    assert_string_equal (text, "nil");
    free (text);
    assert_false (zown_datum_eq (zown_datum_int (1), zown_datum_double (1.0)));
    assert_false (zown_datum_streq (zown_datum_int (1), "1"));
    zown_datum_t sum;
    assert_int_equal (zown_number_add (zown_datum_int (INT64_MAX), zown_datum_int (1), &sum),
                      ZOWN_OVERFLOW);
    assert_int_equal (zown_number_add (zown_datum_int (2), zown_datum_double (0.5), &sum), ZOWN_OK);
    assert_int_equal (sum.tag, ZOWN_DOUBLE);
    assert_true (sum.u.d == 2.5);
    assert_int_equal (zown_number_add (ZOWN_STR ("x"), zown_datum_int (1), &sum), ZOWN_WRONG_TYPE);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_values_round_trip),
        cmocka_unit_test (test_wire_layout),
        cmocka_unit_test (test_request_round_trip),
        cmocka_unit_test (test_request_add_rejects_bad_input),
        cmocka_unit_test (test_every_truncation_is_rejected),
        cmocka_unit_test (test_malformed_headers),
        cmocka_unit_test (test_malformed_ops),
        cmocka_unit_test (test_garbage_never_crashes),
        cmocka_unit_test (test_reply_round_trip),
        cmocka_unit_test (test_failure_reply),
        cmocka_unit_test (test_change_from_datums),
        cmocka_unit_test (test_deferred_replies),
        cmocka_unit_test (test_status_names),
        cmocka_unit_test (test_datum_helpers),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
