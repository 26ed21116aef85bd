/*  =========================================================================
    zown_request - build one request: a single op, or an atomic batch

    A request with more than one op is a batch: the owner validates every op,
    then applies them all or none, and answers once. A request object is
    reusable (zown_request_reset) so a hot loop allocates nothing.
    =========================================================================
*/
#ifndef ZOWN_REQUEST_H_INCLUDED
#define ZOWN_REQUEST_H_INCLUDED

#include "zown_export.h"

#include "zown_datum.h"
#include "zown_ops.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _zown_request_t zown_request_t;

//  Most ops in one request, and most arguments of one op (the wire's
//  limits, docs/PROTOCOL.md). The typed bulk calls (zown_dict_add_many,
//  zown_queue_put_many, ...) split larger inputs by themselves.
#define ZOWN_REQUEST_OPS_MAX  1024
#define ZOWN_REQUEST_ARGS_MAX 65535

//  Create an empty request. Returns NULL when out of memory.
ZOWN_EXPORT zown_request_t *zown_request_new (void);

//  Destroy a request; accepts NULL and nulls the caller's pointer.
ZOWN_EXPORT void zown_request_destroy (zown_request_t **self_p);

//  Forget every op, keeping the buffer for reuse.
ZOWN_EXPORT void zown_request_reset (zown_request_t *self);

//  Append one op on the object `name` (empty or NULL for owner ops) with
//  argc arguments. The request copies what it needs. Returns 0, or -1 with
//  ZOWN_INVALID (bad name, too many args, or ZOWN_REQUEST_OPS_MAX ops
//  already: zown_client_error says so) or ZOWN_NO_MEMORY.
ZOWN_EXPORT int zown_request_add (zown_request_t *self, zown_op_t op, const char *name, size_t argc,
                                  const zown_datum_t *argv);

//  Number of ops added since creation or the last reset.
ZOWN_EXPORT size_t zown_request_ops (zown_request_t *self);

#ifdef __cplusplus
}
#endif

#endif
