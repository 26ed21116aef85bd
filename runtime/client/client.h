/*  =========================================================================
    client - calls by op code, for the typed handles
    =========================================================================
*/
#ifndef ZOWN_CLIENT_INTERNAL_H_INCLUDED
#define ZOWN_CLIENT_INTERNAL_H_INCLUDED

//  Calls one op with the client's own request object. A failed op still
//  sets *reply_p when the owner answered (CONFLICT carries values).
int zown_client_call_op (zown_client_t *self, zown_op_t op, const char *name, size_t argc,
                         const zown_datum_t *argv, zown_reply_t **reply_p);

//  The same for an op the owner may hold up to wait_ms (-1: no limit)
//  before it answers: the call's deadline is extended by that much.
int zown_client_call_op_wait (zown_client_t *self, zown_op_t op, const char *name, size_t argc,
                              const zown_datum_t *argv, int64_t wait_ms, zown_reply_t **reply_p);

//  A buffered client queues an update whose caller wants no values back
//  (zown_client_set_buffered): 1 if queued (or -1 if it failed), 0 if the
//  client is not buffered or the op cannot wait (then call it).
int zown_client_buffer_op (zown_client_t *self, zown_op_t op, const char *name, size_t argc,
                           const zown_datum_t *argv);

//  A call served in the client (a prefetched item): reports earlier
//  failures (-1, ZOWN_UPDATES_FAILED) and sends the buffer if its linger
//  has passed.
int zown_client_tick (zown_client_t *self);

//  The last reply's frame, which its values point into.
void zown_client_frame (zown_client_t *self, const void **data_p, size_t *size_p);

#endif
