/*  =========================================================================
    request - the encoded request, as the client sends it
    =========================================================================
*/
#ifndef ZOWN_REQUEST_INTERNAL_H_INCLUDED
#define ZOWN_REQUEST_INTERNAL_H_INCLUDED

//  Request internals, read by the client.
const zown_buf_t *zown_request_buffer (zown_request_t *self);
//  Write the request id and op count into the buffer before sending.
void zown_request_seal (zown_request_t *self, uint64_t id);
//  Its kind from now on: ZOWN_KIND_REQUEST (the default: all or nothing)
//  or ZOWN_KIND_INDEPENDENT (each op on its own).
void zown_request_set_kind (zown_request_t *self, uint8_t kind);
//  Octets encoded so far.
size_t zown_request_size (zown_request_t *self);

#endif
