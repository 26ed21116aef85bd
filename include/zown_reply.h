/*  =========================================================================
    zown_reply - a decoded reply: one result per op of the request

    Replies belong to the client that received them (zown_client_call,
    zown_client_recv) and stay valid until the next call on that client.
    Each result has its own status and a list of values.
    =========================================================================
*/
#ifndef ZOWN_REPLY_H_INCLUDED
#define ZOWN_REPLY_H_INCLUDED

#include "zown_export.h"

#include "zown_datum.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _zown_reply_t zown_reply_t;

//  Request id the reply answers.
ZOWN_EXPORT uint64_t zown_reply_id (const zown_reply_t *self);

//  Overall status: ZOWN_OK when every op succeeded, otherwise the status of
//  the op that failed (the others of a batch then carry ZOWN_ABORTED).
ZOWN_EXPORT int zown_reply_status (const zown_reply_t *self);

//  Number of results (one per op of the request; one for a request the
//  owner could not decode).
ZOWN_EXPORT size_t zown_reply_results (const zown_reply_t *self);

//  Status of result `op`; ZOWN_INVALID for an index out of range.
ZOWN_EXPORT int zown_reply_result_status (const zown_reply_t *self, size_t op);

//  Number of values in result `op`; 0 for an index out of range.
ZOWN_EXPORT size_t zown_reply_count (const zown_reply_t *self, size_t op);

//  Value `index` of result `op`, or a nil datum when out of range. Byte
//  strings point into the reply.
ZOWN_EXPORT zown_datum_t zown_reply_value (const zown_reply_t *self, size_t op, size_t index);

//  Error message the owner attached to a failed result, or "" if none.
//  Returned as a datum because it is not NUL-terminated on the wire.
ZOWN_EXPORT zown_datum_t zown_reply_message (const zown_reply_t *self, size_t op);

#ifdef __cplusplus
}
#endif

#endif
