/*  =========================================================================
    request - one request (an op, an atomic batch, or independent ops), encoded
    as it is built
    =========================================================================
*/
#include "zown_internal.h"

struct _zown_request_t {
    zown_buf_t buf;  //  Encoded frame; header patched by seal
    size_t ops;      //  Ops added
    uint8_t kind;    //  ZOWN_KIND_REQUEST, or ZOWN_KIND_INDEPENDENT
};

zown_request_t *
zown_request_new (void)
{
    zown_request_t *self = (zown_request_t *) calloc (1, sizeof (zown_request_t));
    if (!self)
        return (zown_request_t *) zown_fail_null (ZOWN_NO_MEMORY);
    zown_buf_init (&self->buf);
    self->kind = ZOWN_KIND_REQUEST;
    zown_encode_request_header (&self->buf);
    if (self->buf.failed) {
        zown_request_destroy (&self);
        return (zown_request_t *) zown_fail_null (ZOWN_NO_MEMORY);
    }
    return self;
}

void
zown_request_destroy (zown_request_t **self_p)
{
    if (self_p && *self_p) {
        zown_buf_free (&(*self_p)->buf);
        free (*self_p);
        *self_p = NULL;
    }
}

void
zown_request_reset (zown_request_t *self)
{
    self->buf.size = ZOWN_REQUEST_HEADER;
    self->buf.failed = false;
    self->ops = 0;
}

int
zown_request_add (zown_request_t *self, zown_op_t op, const char *name, size_t argc,
                  const zown_datum_t *argv)
{
    size_t name_len = name ? strlen (name) : 0;
    if (self && self->ops >= ZOWN_BATCH_MAX)
        return zown_fail_detail (
            ZOWN_INVALID, "a request holds at most %d ops (ZOWN_REQUEST_OPS_MAX)", ZOWN_BATCH_MAX);
    if (!self || name_len > ZOWN_OBJECT_NAME_MAX || argc > ZOWN_ARGS_MAX || (argc && !argv))
        return zown_fail (ZOWN_INVALID);
    for (size_t index = 0; index < argc; index++)
        if ((unsigned) argv [index].tag > ZOWN_BYTES
            || (argv [index].tag == ZOWN_BYTES && argv [index].u.b.len > UINT32_MAX))
            return zown_fail (ZOWN_INVALID);
    size_t mark = self->buf.size;
    zown_encode_op (&self->buf, (uint8_t) op, name, name_len, (uint16_t) argc);
    for (size_t index = 0; index < argc; index++)
        zown_buf_put_datum (&self->buf, argv [index]);
    if (self->buf.failed) {
        self->buf.size = mark;
        self->buf.failed = false;
        return zown_fail (ZOWN_NO_MEMORY);
    }
    self->ops++;
    return zown_ok ();
}

size_t
zown_request_ops (zown_request_t *self)
{
    return self->ops;
}

const zown_buf_t *
zown_request_buffer (zown_request_t *self)
{
    return &self->buf;
}

void
zown_request_seal (zown_request_t *self, uint64_t id)
{
    zown_encode_request_end (&self->buf, id, (uint16_t) self->ops);
    zown_encode_request_kind (&self->buf, self->kind);
}

void
zown_request_set_kind (zown_request_t *self, uint8_t kind)
{
    self->kind = kind;
}

size_t
zown_request_size (zown_request_t *self)
{
    return self->buf.size;
}
