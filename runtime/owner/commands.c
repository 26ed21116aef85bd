/*  =========================================================================
    commands - the owner's command table and the ops' names, both made from
    the op manifest (include/zown_ops.def)
    =========================================================================
*/
#include "zown_internal.h"

//  The manifest's flag and argument type letters (include/zown_ops.def).
#define R        ZOWN_CMD_READ
#define W        ZOWN_CMD_WRITE
#define C        ZOWN_CMD_CREATE
#define O        ZOWN_CMD_OWNER
#define P        ZOWN_CMD_PAIRS
#define M        ZOWN_CMD_MULTI
#define A        ZOWN_CMD_ALONE
#define K        ZOWN_CMD_KEY
#define J        ZOWN_CMD_JOURNAL
#define ARGS_MAX ZOWN_ARGS_MAX
#define NONE     0
#define INT      ZOWN_ARG_INT
#define NUM      ZOWN_ARG_NUMBER
#define BYTES    ZOWN_ARG_BYTES
#define ANY      ZOWN_ARG_ANY
#define MS       ZOWN_ARG_MS

//  A code given twice overrides an initializer, which the compilers warn of
//  (-Werror makes it fatal); zown_op_name's switch refuses it in any build.
const zown_command_t zown_commands [256] = {
#define ZOWN_OP(NAME, code, type, handler, min, max, flags, ...)                                   \
    [code] = {                                                                                     \
        code, #NAME, min, max, flags, { __VA_ARGS__ }, zown_cmd_##handler, &zown_##type##_type     \
    },
#include "zown_ops.def"
#undef ZOWN_OP
};

const char *
zown_op_name (int op)
{
    switch (op) {
#define ZOWN_OP(NAME, code, ...)                                                                   \
    case code:                                                                                     \
        return #NAME;
#include "zown_ops.def"
#undef ZOWN_OP
        default:
            return NULL;
    }
}

int
zown_op_code (const char *name)
{
    for (int code = 0; name && code < 256; code++)
        if (zown_commands [code].name && streq (zown_commands [code].name, name))
            return code;
    return -1;
}
