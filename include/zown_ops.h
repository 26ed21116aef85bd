/*  =========================================================================
    zown_ops - wire op codes, for building requests by hand (zown_request)

    The typed handles (zown_dict, zown_value) build these for you. The codes
    come from the op manifest, zown_ops.def; the arguments and replies of
    every op are listed in docs/PROTOCOL.md.
    =========================================================================
*/
#ifndef ZOWN_OPS_H_INCLUDED
#define ZOWN_OPS_H_INCLUDED

#include "zown_export.h"

#ifdef __cplusplus
extern "C" {
#endif

//  One constant per row of the op manifest: ZOWN_OP_DICT_SET and the rest.
typedef enum {
#define ZOWN_OP(NAME, code, ...) ZOWN_OP_##NAME = code,
#include "zown_ops.def"
#undef ZOWN_OP
} zown_op_t;

//  The op's name as in docs/PROTOCOL.md ("DICT_SET"), or NULL if no op has
//  that code. The string is static.
ZOWN_EXPORT const char *zown_op_name (int op);

//  The code of the op with that name, or -1 if there is none.
ZOWN_EXPORT int zown_op_code (const char *name);

#ifdef __cplusplus
}
#endif

#endif
