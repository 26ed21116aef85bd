/*  =========================================================================
    test_arguments - every argument check of the owner, sent raw

    The C handles refuse bad arguments before they send, so the owner's own
    checks are only exercised by requests built by hand; clients in other
    languages have nothing in front of them. Each row below is one request
    sent as it is (zown_request_add takes any op code and any datum), with
    the exact status the owner must answer, the op that must carry it, and,
    where it says something, a read afterwards. Every failing row also
    proves that nothing was applied: the owner's SEQ and object count are
    as before. Each check has a row just inside its range that succeeds, so
    the boundary itself is pinned down. A sweep over the op manifest then
    checks the central rules (code, arity, parity, types, name, alone) for
    every op.
    =========================================================================
*/
#include "testutil.h"

//  Arguments as static initializers (the zown_datum_* constructors are
//  functions, not constant expressions). clang-format would spread these
//  brace-only macros over a dozen lines each.
// clang-format off
#define S_NIL    { .tag = ZOWN_NIL }
#define S_INT(v) { .tag = ZOWN_INT, .u.i = (v) }
#define S_DBL(v) { .tag = ZOWN_DOUBLE, .u.d = (v) }
#define S_STR(s) { .tag = ZOWN_BYTES, .u.b = { (s), sizeof (s) - 1 } }
// clang-format on

//  Limits of the owner the rows run on: small enough to reach cheaply.
#define S_MAX_KEY   16
#define S_MAX_ITEMS 8
#define S_KEY16     "0123456789abcdef"
#define S_KEY17     "0123456789abcdefg"
#define S_NAME16    "xxxxxxxxxxxxxxxx"
#define S_NAME256                                                                                  \
    S_NAME16 S_NAME16 S_NAME16 S_NAME16 S_NAME16 S_NAME16 S_NAME16 S_NAME16 S_NAME16 S_NAME16      \
        S_NAME16 S_NAME16 S_NAME16 S_NAME16 S_NAME16 S_NAME16
//  A boot id that is not this host's: a HELLO with it watches no pid.
#define S_FOREIGN_BOOT "00000000-0000-0000-0000-000000000000"
#define S_PID_MAX      ((int64_t) INT32_MAX)
//  Stands for the test's own pid, which its client said HELLO with: s_add
//  puts it in.
#define S_MY_PID  INT64_C (-7777)
#define S_SEM_MAX ((int64_t) INT32_MAX)

//  Most arguments of one op on the wire (its u16 count).
#define S_ARGS_MAX 65535

//  One op of a request: any code, any name, any arguments.
typedef struct {
    int code;
    const char *name;
    size_t argc;
    zown_datum_t argv [6];
} s_op_t;

//  An op as a static initializer, its argument count counted.
// clang-format off
#define S_OP(op, object, ...)                                                                      \
    { .code = (op), .name = (object),                                                              \
      .argc = sizeof ((zown_datum_t []){ __VA_ARGS__ }) / sizeof (zown_datum_t),                   \
      .argv = { __VA_ARGS__ } }
#define S_OP0(op, object) { .code = (op), .name = (object) }
// clang-format on

//  A read after the request; `code` 0: none.
typedef struct {
    int code;
    const char *name;
    size_t argc;  //  0 or 1
    zown_datum_t arg;
    int status;
    size_t index;  //  Which value of its result `value` is
    bool check;    //  Compare that value with `value`
    zown_datum_t value;
} s_probe_t;

typedef struct {
    const char *what;
    s_op_t ops [2];      //  One op, or a batch of `count`
    size_t count;        //  0 means 1
    int status;          //  Overall status expected
    size_t failed;       //  Index of the op that carries it
    bool check;          //  Compare the last result's first value
    zown_datum_t value;  //  with this
    s_probe_t probe;
} s_row_t;

//  The object was not left behind (a failed op that creates leaves none).
#define S_GONE(object) .probe = { ZOWN_OP_TYPE, object, .status = ZOWN_NOT_FOUND }
//  A read of the object, with no argument, gives `expected` first (nth).
#define S_READ(op, object, expected) .probe = { op, object, .check = true, .value = expected }
#define S_READ_NTH(op, object, nth, expected)                                                      \
    .probe = { op, object, .index = nth, .check = true, .value = expected }
//  The same with one argument.
#define S_READ_AT(op, object, argument, expected)                                                  \
    .probe = { op, object, 1, argument, .check = true, .value = expected }
//  The row's own (last) op answers `expected` first.
#define S_GIVES(expected) .check = true, .value = expected
//  A batch whose first op sets vi to 9: the failure must undo it.
#define S_SET_VI_9 S_OP (ZOWN_OP_VALUE_SET, "vi", S_INT (9))
#define S_VI_IS_5  S_READ (ZOWN_OP_VALUE_GET, "vi", S_INT (5))

//  Every row runs on a fresh copy of this world (s_world):
//    vi value int 5, vd value double 1.5, d dict {k: "text", n: 1},
//    l list [10, 20, 30], ai/ad arrays of 4 ints/doubles 0,
//    q queue [1, 2] (unbounded), q0 empty queue, qb queue of maxsize 1, full,
//    sb/su semaphores of 2, bounded/unbounded, sh bounded of 2 with 1 taken
//    by the client, b barrier of 2 parties, b1 of 1, e event (clear),
//    lk lock and rk rlock held by the client. "new" never exists before.
static const s_op_t s_world_ops [] = {
    S_OP (ZOWN_OP_VALUE_SET, "vi", S_INT (5)),
    S_OP (ZOWN_OP_VALUE_SET, "vd", S_DBL (1.5)),
    S_OP (ZOWN_OP_DICT_SET, "d", S_STR ("k"), S_STR ("text")),
    S_OP (ZOWN_OP_DICT_SET, "d", S_STR ("n"), S_INT (1)),
    S_OP (ZOWN_OP_LIST_EXTEND, "l", S_INT (10), S_INT (20), S_INT (30)),
    S_OP (ZOWN_OP_ARRAY_CREATE, "ai", S_INT (4), S_INT (0)),
    S_OP (ZOWN_OP_ARRAY_CREATE, "ad", S_INT (4), S_DBL (0)),
    S_OP (ZOWN_OP_QUEUE_INIT, "q", S_INT (0)),
    S_OP (ZOWN_OP_QUEUE_PUT, "q", S_INT (1), S_INT (0)),
    S_OP (ZOWN_OP_QUEUE_PUT, "q", S_INT (2), S_INT (0)),
    S_OP (ZOWN_OP_QUEUE_INIT, "q0", S_INT (0)),
    S_OP (ZOWN_OP_QUEUE_INIT, "qb", S_INT (1)),
    S_OP (ZOWN_OP_QUEUE_PUT, "qb", S_STR ("x"), S_INT (0)),
    S_OP (ZOWN_OP_SEMAPHORE_INIT, "sb", S_INT (2), S_INT (1)),
    S_OP (ZOWN_OP_SEMAPHORE_INIT, "su", S_INT (2), S_INT (0)),
    S_OP (ZOWN_OP_SEMAPHORE_INIT, "sh", S_INT (2), S_INT (1)),
    S_OP (ZOWN_OP_BARRIER_INIT, "b", S_INT (2)),
    S_OP (ZOWN_OP_BARRIER_INIT, "b1", S_INT (1)),
    S_OP0 (ZOWN_OP_EVENT_CLEAR, "e"),
};

//  Ops that must be alone, each after its batch.
static const s_op_t s_world_alone [] = {
    S_OP (ZOWN_OP_LOCK_ACQUIRE, "lk", S_INT (0)),
    S_OP (ZOWN_OP_RLOCK_ACQUIRE, "rk", S_INT (0)),
    S_OP (ZOWN_OP_SEMAPHORE_ACQUIRE, "sh", S_INT (1), S_INT (0)),
};

static const s_row_t s_rows [] = {
    //  ----------------------------------------------------------------------
    //  Central checks (dispatch.c s_check), before any op of the request runs

    //  Unknown op codes, wherever they fall.
    { "op 0x00", .ops = { S_OP0 (0x00, "new") }, .status = ZOWN_UNKNOWN_OP, S_GONE ("new") },
    { "op 0x0B (owner range)", .ops = { S_OP0 (0x0B, "") }, .status = ZOWN_UNKNOWN_OP },
    { "op 0x24 (value range)", .ops = { S_OP (0x24, "vi", S_INT (1)) }, .status = ZOWN_UNKNOWN_OP,
      S_VI_IS_5 },
    { "op 0x63 (between lock and rlock)", .ops = { S_OP0 (0x63, "lk") },
      .status = ZOWN_UNKNOWN_OP },
    { "op 0xFF", .ops = { S_OP0 (0xFF, "new") }, .status = ZOWN_UNKNOWN_OP, S_GONE ("new") },
    { "unknown op after a write", .ops = { S_SET_VI_9, S_OP0 (0x24, "vi") }, .count = 2,
      .status = ZOWN_UNKNOWN_OP, .failed = 1, S_VI_IS_5 },
    { "unknown op before a bad one: the first counts",
      .ops = { S_OP0 (0x24, "vi"), S_OP (ZOWN_OP_DICT_SET, "d", S_STR ("k")) }, .count = 2,
      .status = ZOWN_UNKNOWN_OP },
    //  Every op is checked before any runs: the second op's arity is
    //  reported, not the first op's bad maxsize.
    { "checks before apply",
      .ops = { S_OP (ZOWN_OP_QUEUE_INIT, "new", S_INT (-1)),
               S_OP (ZOWN_OP_DICT_SET, "d", S_STR ("k")) },
      .count = 2, .status = ZOWN_BAD_ARGS, .failed = 1, S_GONE ("new") },

    //  Arity: fewer than min, more than max.
    { "PING with an argument", .ops = { S_OP (ZOWN_OP_PING, "", S_INT (1)) },
      .status = ZOWN_BAD_ARGS },
    { "PING with none", .ops = { S_OP0 (ZOWN_OP_PING, "") }, S_GIVES (S_INT (1)) },
    { "TYPE with an argument", .ops = { S_OP (ZOWN_OP_TYPE, "vi", S_INT (1)) },
      .status = ZOWN_BAD_ARGS },
    { "DICT_SET with 1 argument", .ops = { S_OP (ZOWN_OP_DICT_SET, "new", S_STR ("k")) },
      .status = ZOWN_BAD_ARGS, S_GONE ("new") },
    { "DICT_SET with 3 arguments",
      .ops = { S_OP (ZOWN_OP_DICT_SET, "d", S_STR ("k"), S_INT (1), S_INT (2)) },
      .status = ZOWN_BAD_ARGS, S_READ_AT (ZOWN_OP_DICT_GET, "d", S_STR ("k"), S_STR ("text")) },
    { "DICT_SET with 2 arguments", .ops = { S_OP (ZOWN_OP_DICT_SET, "d", S_STR ("k"), S_INT (2)) },
      S_READ_AT (ZOWN_OP_DICT_GET, "d", S_STR ("k"), S_INT (2)) },
    { "LIST_POP with 2 arguments", .ops = { S_OP (ZOWN_OP_LIST_POP, "l", S_INT (0), S_INT (0)) },
      .status = ZOWN_BAD_ARGS, S_READ (ZOWN_OP_LIST_LEN, "l", S_INT (3)) },
    { "LIST_POP with none", .ops = { S_OP0 (ZOWN_OP_LIST_POP, "l") }, S_GIVES (S_INT (30)) },
    { "LIST_POP with 1", .ops = { S_OP (ZOWN_OP_LIST_POP, "l", S_INT (0)) }, S_GIVES (S_INT (10)) },
    { "LIST_EXTEND with none", .ops = { S_OP0 (ZOWN_OP_LIST_EXTEND, "new") },
      .status = ZOWN_BAD_ARGS, S_GONE ("new") },
    { "LIST_EXTEND with 1", .ops = { S_OP (ZOWN_OP_LIST_EXTEND, "new", S_INT (1)) },
      S_GIVES (S_INT (1)) },
    { "ARRAY_WRITE with only a start", .ops = { S_OP (ZOWN_OP_ARRAY_WRITE, "ai", S_INT (0)) },
      .status = ZOWN_BAD_ARGS },
    { "ARRAY_WRITE with one number",
      .ops = { S_OP (ZOWN_OP_ARRAY_WRITE, "ai", S_INT (0), S_INT (7)) },
      S_READ_AT (ZOWN_OP_ARRAY_GET, "ai", S_INT (0), S_INT (7)) },
    { "HELLO with none", .ops = { S_OP0 (ZOWN_OP_HELLO, "") }, .status = ZOWN_BAD_ARGS },
    { "HELLO with 3 arguments",
      .ops = { S_OP (ZOWN_OP_HELLO, "", S_INT (1), S_STR (S_FOREIGN_BOOT), S_INT (0)) },
      .status = ZOWN_BAD_ARGS },
    { "SEMAPHORE_INIT with 1 argument", .ops = { S_OP (ZOWN_OP_SEMAPHORE_INIT, "new", S_INT (1)) },
      .status = ZOWN_BAD_ARGS, S_GONE ("new") },
    { "BYE with an argument", .ops = { S_OP (ZOWN_OP_BYE, "", S_INT (0)) },
      .status = ZOWN_BAD_ARGS },

    //  Pairs: DICT_UPDATE takes key, value, key, value...
    { "DICT_UPDATE with 1 argument", .ops = { S_OP (ZOWN_OP_DICT_UPDATE, "new", S_STR ("k")) },
      .status = ZOWN_BAD_ARGS, S_GONE ("new") },
    { "DICT_UPDATE with 3 arguments",
      .ops = { S_OP (ZOWN_OP_DICT_UPDATE, "d", S_STR ("a"), S_INT (1), S_STR ("b")) },
      .status = ZOWN_BAD_ARGS, S_READ (ZOWN_OP_DICT_LEN, "d", S_INT (2)) },
    { "DICT_UPDATE with 4 arguments",
      .ops = { S_OP (ZOWN_OP_DICT_UPDATE, "d", S_STR ("a"), S_INT (1), S_STR ("b"), S_NIL) },
      S_GIVES (S_INT (2)), S_READ (ZOWN_OP_DICT_LEN, "d", S_INT (4)) },

    //  Argument types, by position; past the fourth, the fourth's.
    { "VALUE_SET bytes", .ops = { S_OP (ZOWN_OP_VALUE_SET, "new", S_STR ("1")) },
      .status = ZOWN_BAD_ARGS, S_GONE ("new") },
    { "VALUE_SET nil", .ops = { S_OP (ZOWN_OP_VALUE_SET, "vi", S_NIL) }, .status = ZOWN_BAD_ARGS,
      S_VI_IS_5 },
    { "VALUE_SET a double", .ops = { S_OP (ZOWN_OP_VALUE_SET, "new", S_DBL (0.5)) },
      S_READ (ZOWN_OP_VALUE_GET, "new", S_DBL (0.5)) },
    { "DICT_SET an int key", .ops = { S_OP (ZOWN_OP_DICT_SET, "new", S_INT (1), S_INT (1)) },
      .status = ZOWN_BAD_ARGS, S_GONE ("new") },
    { "DICT_SET a nil key", .ops = { S_OP (ZOWN_OP_DICT_SET, "d", S_NIL, S_INT (1)) },
      .status = ZOWN_BAD_ARGS },
    { "DICT_ADD a bytes delta", .ops = { S_OP (ZOWN_OP_DICT_ADD, "d", S_STR ("n"), S_STR ("1")) },
      .status = ZOWN_BAD_ARGS, S_READ_AT (ZOWN_OP_DICT_GET, "d", S_STR ("n"), S_INT (1)) },
    { "DICT_ADD a double delta", .ops = { S_OP (ZOWN_OP_DICT_ADD, "d", S_STR ("n"), S_DBL (0.5)) },
      S_GIVES (S_DBL (1.5)) },
    { "DICT_CAS a double version",
      .ops = { S_OP (ZOWN_OP_DICT_CAS, "d", S_STR ("k"), S_DBL (0), S_INT (1)) },
      .status = ZOWN_BAD_ARGS },
    { "QUEUE_INIT a double", .ops = { S_OP (ZOWN_OP_QUEUE_INIT, "new", S_DBL (1)) },
      .status = ZOWN_BAD_ARGS, S_GONE ("new") },
    { "LIST_GET a double index", .ops = { S_OP (ZOWN_OP_LIST_GET, "l", S_DBL (0)) },
      .status = ZOWN_BAD_ARGS },
    { "LIST_INSERT a bytes index",
      .ops = { S_OP (ZOWN_OP_LIST_INSERT, "l", S_STR ("0"), S_INT (1)) }, .status = ZOWN_BAD_ARGS,
      S_READ (ZOWN_OP_LIST_LEN, "l", S_INT (3)) },
    { "ARRAY_WRITE bytes as 5th argument",
      .ops = { S_OP (ZOWN_OP_ARRAY_WRITE, "ai", S_INT (0), S_INT (1), S_INT (2), S_INT (3),
                     S_STR ("4")) },
      .status = ZOWN_BAD_ARGS, S_READ_AT (ZOWN_OP_ARRAY_GET, "ai", S_INT (0), S_INT (0)) },
    { "ARRAY_WRITE nil as 4th argument",
      .ops = { S_OP (ZOWN_OP_ARRAY_WRITE, "ai", S_INT (0), S_INT (1), S_INT (2), S_NIL) },
      .status = ZOWN_BAD_ARGS, S_READ_AT (ZOWN_OP_ARRAY_GET, "ai", S_INT (0), S_INT (0)) },
    { "ARRAY_WRITE 5 numbers",
      .ops = { S_OP (ZOWN_OP_ARRAY_WRITE, "ai", S_INT (0), S_INT (1), S_INT (2), S_INT (3),
                     S_INT (4)) },
      S_GIVES (S_INT (4)), S_READ_AT (ZOWN_OP_ARRAY_GET, "ai", S_INT (3), S_INT (4)) },
    { "DICT_UPDATE an int as 2nd key",
      .ops = { S_OP (ZOWN_OP_DICT_UPDATE, "d", S_STR ("k"), S_INT (1), S_INT (2), S_INT (2)) },
      .status = ZOWN_BAD_ARGS, S_READ_AT (ZOWN_OP_DICT_GET, "d", S_STR ("k"), S_STR ("text")) },
    { "CONDITION_NOTIFY an int lock name",
      .ops = { S_OP (ZOWN_OP_CONDITION_NOTIFY, "new", S_INT (1), S_INT (0)) },
      .status = ZOWN_BAD_ARGS, S_GONE ("new") },
    { "HELLO an int boot id", .ops = { S_OP (ZOWN_OP_HELLO, "", S_INT (1), S_INT (1)) },
      .status = ZOWN_BAD_ARGS },
    { "HELLO a bytes pid", .ops = { S_OP (ZOWN_OP_HELLO, "", S_STR ("1")) },
      .status = ZOWN_BAD_ARGS },
    { "MARK an int token", .ops = { S_OP (ZOWN_OP_MARK, "", S_INT (1)) }, .status = ZOWN_BAD_ARGS },
    { "MARK a bytes token", .ops = { S_OP (ZOWN_OP_MARK, "", S_STR ("t")) } },
    { "EVENT_WAIT a double timeout", .ops = { S_OP (ZOWN_OP_EVENT_WAIT, "new", S_DBL (0)) },
      .status = ZOWN_BAD_ARGS, S_GONE ("new") },
    { "SEMAPHORE_ACQUIRE a double timeout",
      .ops = { S_OP (ZOWN_OP_SEMAPHORE_ACQUIRE, "sb", S_INT (1), S_DBL (0)) },
      .status = ZOWN_BAD_ARGS, S_READ (ZOWN_OP_SEMAPHORE_VALUE, "sb", S_INT (2)) },

    //  Names: owner ops take none, every other op needs one.
    { "PING with a name", .ops = { S_OP0 (ZOWN_OP_PING, "x") }, .status = ZOWN_BAD_ARGS },
    { "STATS with a name", .ops = { S_OP0 (ZOWN_OP_STATS, "x") }, .status = ZOWN_BAD_ARGS },
    { "HELLO with a name", .ops = { S_OP (ZOWN_OP_HELLO, "x", S_INT (1), S_STR (S_FOREIGN_BOOT)) },
      .status = ZOWN_BAD_ARGS },
    { "TYPE without a name", .ops = { S_OP0 (ZOWN_OP_TYPE, "") }, .status = ZOWN_BAD_ARGS },
    { "DROP without a name", .ops = { S_OP0 (ZOWN_OP_DROP, "") }, .status = ZOWN_BAD_ARGS },
    { "VALUE_ADD without a name", .ops = { S_OP (ZOWN_OP_VALUE_ADD, "", S_INT (1)) },
      .status = ZOWN_BAD_ARGS },
    { "LOCK_ACQUIRE without a name", .ops = { S_OP (ZOWN_OP_LOCK_ACQUIRE, "", S_INT (0)) },
      .status = ZOWN_BAD_ARGS },
    { "owner op with a name after a write", .ops = { S_SET_VI_9, S_OP0 (ZOWN_OP_SEQ, "x") },
      .count = 2, .status = ZOWN_BAD_ARGS, .failed = 1, S_VI_IS_5 },
    { "DROP with a name", .ops = { S_OP0 (ZOWN_OP_DROP, "vi") }, S_GONE ("vi") },

    //  Ops that must be alone, in a batch after a write (or before one).
    { "HELLO in a batch", .ops = { S_SET_VI_9, S_OP (ZOWN_OP_HELLO, "", S_INT (1)) }, .count = 2,
      .status = ZOWN_BAD_ARGS, .failed = 1, S_VI_IS_5 },
    { "HELLO alone",
      .ops = { S_OP (ZOWN_OP_HELLO, "", S_INT (S_MY_PID), S_STR (S_FOREIGN_BOOT)) } },
    { "BYE in a batch", .ops = { S_SET_VI_9, S_OP0 (ZOWN_OP_BYE, "") }, .count = 2,
      .status = ZOWN_BAD_ARGS, .failed = 1, S_READ (ZOWN_OP_LOCK_LOCKED, "lk", S_INT (1)) },
    { "BYE alone", .ops = { S_OP0 (ZOWN_OP_BYE, "") },
      S_READ (ZOWN_OP_LOCK_LOCKED, "lk", S_INT (0)) },
    { "LOCK_ACQUIRE in a batch",
      .ops = { S_SET_VI_9, S_OP (ZOWN_OP_LOCK_ACQUIRE, "new", S_INT (0)) }, .count = 2,
      .status = ZOWN_BAD_ARGS, .failed = 1, S_GONE ("new") },
    { "LOCK_ACQUIRE first in a batch",
      .ops = { S_OP (ZOWN_OP_LOCK_ACQUIRE, "new", S_INT (0)), S_SET_VI_9 }, .count = 2,
      .status = ZOWN_BAD_ARGS, .failed = 0, S_VI_IS_5 },
    { "LOCK_ACQUIRE alone", .ops = { S_OP (ZOWN_OP_LOCK_ACQUIRE, "new", S_INT (0)) },
      S_GIVES (S_INT (0)), S_READ (ZOWN_OP_LOCK_LOCKED, "new", S_INT (1)) },
    { "LOCK_RELEASE in a batch", .ops = { S_SET_VI_9, S_OP0 (ZOWN_OP_LOCK_RELEASE, "lk") },
      .count = 2, .status = ZOWN_BAD_ARGS, .failed = 1,
      S_READ (ZOWN_OP_LOCK_LOCKED, "lk", S_INT (1)) },
    { "LOCK_RELEASE alone", .ops = { S_OP0 (ZOWN_OP_LOCK_RELEASE, "lk") },
      S_READ (ZOWN_OP_LOCK_LOCKED, "lk", S_INT (0)) },
    { "RLOCK_ACQUIRE in a batch",
      .ops = { S_SET_VI_9, S_OP (ZOWN_OP_RLOCK_ACQUIRE, "rk", S_INT (0)) }, .count = 2,
      .status = ZOWN_BAD_ARGS, .failed = 1, S_VI_IS_5 },
    { "RLOCK_ACQUIRE alone", .ops = { S_OP (ZOWN_OP_RLOCK_ACQUIRE, "rk", S_INT (0)) },
      S_GIVES (S_INT (0)) },
    { "RLOCK_RELEASE in a batch", .ops = { S_SET_VI_9, S_OP0 (ZOWN_OP_RLOCK_RELEASE, "rk") },
      .count = 2, .status = ZOWN_BAD_ARGS, .failed = 1,
      S_READ (ZOWN_OP_RLOCK_LOCKED, "rk", S_INT (1)) },
    { "RLOCK_RELEASE alone", .ops = { S_OP0 (ZOWN_OP_RLOCK_RELEASE, "rk") },
      S_READ (ZOWN_OP_RLOCK_LOCKED, "rk", S_INT (0)) },
    { "SEMAPHORE_ACQUIRE in a batch",
      .ops = { S_SET_VI_9, S_OP (ZOWN_OP_SEMAPHORE_ACQUIRE, "sb", S_INT (1), S_INT (0)) },
      .count = 2, .status = ZOWN_BAD_ARGS, .failed = 1,
      S_READ (ZOWN_OP_SEMAPHORE_VALUE, "sb", S_INT (2)) },
    { "SEMAPHORE_ACQUIRE alone",
      .ops = { S_OP (ZOWN_OP_SEMAPHORE_ACQUIRE, "sb", S_INT (1), S_INT (0)) },
      S_READ (ZOWN_OP_SEMAPHORE_VALUE, "sb", S_INT (1)) },
    { "SEMAPHORE_RELEASE in a batch",
      .ops = { S_SET_VI_9, S_OP (ZOWN_OP_SEMAPHORE_RELEASE, "su", S_INT (1)) }, .count = 2,
      .status = ZOWN_BAD_ARGS, .failed = 1, S_READ (ZOWN_OP_SEMAPHORE_VALUE, "su", S_INT (2)) },
    { "SEMAPHORE_RELEASE alone", .ops = { S_OP (ZOWN_OP_SEMAPHORE_RELEASE, "su", S_INT (1)) },
      S_READ (ZOWN_OP_SEMAPHORE_VALUE, "su", S_INT (3)) },
    { "BARRIER_WAIT in a batch",
      .ops = { S_SET_VI_9, S_OP (ZOWN_OP_BARRIER_WAIT, "b1", S_INT (0)) }, .count = 2,
      .status = ZOWN_BAD_ARGS, .failed = 1, S_VI_IS_5 },
    { "BARRIER_WAIT alone", .ops = { S_OP (ZOWN_OP_BARRIER_WAIT, "b1", S_INT (0)) },
      S_GIVES (S_INT (0)) },
    { "BARRIER_ABORT in a batch", .ops = { S_SET_VI_9, S_OP0 (ZOWN_OP_BARRIER_ABORT, "b") },
      .count = 2, .status = ZOWN_BAD_ARGS, .failed = 1,
      S_READ_NTH (ZOWN_OP_BARRIER_STATE, "b", 2, S_INT (0)) },
    { "BARRIER_ABORT alone", .ops = { S_OP0 (ZOWN_OP_BARRIER_ABORT, "b") },
      S_READ_NTH (ZOWN_OP_BARRIER_STATE, "b", 2, S_INT (1)) },
    { "BARRIER_RESET in a batch", .ops = { S_SET_VI_9, S_OP0 (ZOWN_OP_BARRIER_RESET, "b") },
      .count = 2, .status = ZOWN_BAD_ARGS, .failed = 1, S_VI_IS_5 },
    { "BARRIER_RESET alone", .ops = { S_OP0 (ZOWN_OP_BARRIER_RESET, "b") } },
    { "CONDITION_WAIT in a batch",
      .ops = { S_SET_VI_9, S_OP (ZOWN_OP_CONDITION_WAIT, "new", S_STR ("lk"), S_INT (0)) },
      .count = 2, .status = ZOWN_BAD_ARGS, .failed = 1,
      S_READ (ZOWN_OP_LOCK_LOCKED, "lk", S_INT (1)) },
    //  Alone it is accepted; it cannot wait (timeout 0) and keeps the lock.
    { "CONDITION_WAIT alone",
      .ops = { S_OP (ZOWN_OP_CONDITION_WAIT, "new", S_STR ("lk"), S_INT (0)) },
      .status = ZOWN_TIMEOUT, S_READ (ZOWN_OP_LOCK_LOCKED, "lk", S_INT (1)) },
    { "CONDITION_NOTIFY in a batch",
      .ops = { S_SET_VI_9, S_OP (ZOWN_OP_CONDITION_NOTIFY, "new", S_STR ("lk"), S_INT (0)) },
      .count = 2, .status = ZOWN_BAD_ARGS, .failed = 1, S_GONE ("new") },
    { "CONDITION_NOTIFY alone",
      .ops = { S_OP (ZOWN_OP_CONDITION_NOTIFY, "new", S_STR ("lk"), S_INT (0)) },
      S_READ (ZOWN_OP_TYPE, "new", S_STR ("condition")) },

    //  Keys over max_key, at any key position; values are not keys.
    { "DICT_SET a key over max_key",
      .ops = { S_OP (ZOWN_OP_DICT_SET, "new", S_STR (S_KEY17), S_INT (1)) },
      .status = ZOWN_TOO_LARGE, S_GONE ("new") },
    { "DICT_SET a key of max_key",
      .ops = { S_OP (ZOWN_OP_DICT_SET, "new", S_STR (S_KEY16), S_INT (1)) },
      S_READ (ZOWN_OP_DICT_LEN, "new", S_INT (1)) },
    { "DICT_SET a value over max_key",
      .ops = { S_OP (ZOWN_OP_DICT_SET, "d", S_STR ("k"), S_STR (S_KEY17)) },
      S_READ_AT (ZOWN_OP_DICT_GET, "d", S_STR ("k"), S_STR (S_KEY17)) },
    { "DICT_GET a key over max_key", .ops = { S_OP (ZOWN_OP_DICT_GET, "d", S_STR (S_KEY17)) },
      .status = ZOWN_TOO_LARGE },
    { "DICT_GET_OR a key over max_key",
      .ops = { S_OP (ZOWN_OP_DICT_GET_OR, "d", S_STR (S_KEY17), S_NIL) },
      .status = ZOWN_TOO_LARGE },
    { "DICT_CONTAINS a key over max_key",
      .ops = { S_OP (ZOWN_OP_DICT_CONTAINS, "d", S_STR (S_KEY17)) }, .status = ZOWN_TOO_LARGE },
    { "DICT_CONTAINS a key of max_key",
      .ops = { S_OP (ZOWN_OP_DICT_CONTAINS, "d", S_STR (S_KEY16)) }, S_GIVES (S_INT (0)) },
    { "DICT_UPDATE a 2nd key over max_key",
      .ops = { S_OP (ZOWN_OP_DICT_UPDATE, "d", S_STR ("k"), S_INT (1), S_STR (S_KEY17),
                     S_INT (2)) },
      .status = ZOWN_TOO_LARGE, S_READ_AT (ZOWN_OP_DICT_GET, "d", S_STR ("k"), S_STR ("text")) },
    { "DICT_UPDATE a 2nd key of max_key",
      .ops = { S_OP (ZOWN_OP_DICT_UPDATE, "d", S_STR ("k"), S_INT (1), S_STR (S_KEY16),
                     S_INT (2)) },
      S_READ_AT (ZOWN_OP_DICT_GET, "d", S_STR (S_KEY16), S_INT (2)) },

    //  ----------------------------------------------------------------------
    //  Handler checks

    //  HELLO: pid 1..2^31-1 (a pid_t), a boot id of 36 octets. The foreign
    //  boot id keeps the owner from watching these pids. The client already
    //  said HELLO with its own pid: the same again changes nothing, another
    //  is refused (test_registry has a fresh session take 2^31-1).
    { "HELLO pid 0", .ops = { S_OP (ZOWN_OP_HELLO, "", S_INT (0), S_STR (S_FOREIGN_BOOT)) },
      .status = ZOWN_BAD_ARGS },
    { "HELLO pid -1", .ops = { S_OP (ZOWN_OP_HELLO, "", S_INT (-1)) }, .status = ZOWN_BAD_ARGS },
    { "HELLO pid INT64_MIN", .ops = { S_OP (ZOWN_OP_HELLO, "", S_INT (INT64_MIN)) },
      .status = ZOWN_BAD_ARGS },
    { "HELLO pid 2^31",
      .ops = { S_OP (ZOWN_OP_HELLO, "", S_INT (S_PID_MAX + 1), S_STR (S_FOREIGN_BOOT)) },
      .status = ZOWN_BAD_ARGS },
    //  Would be pid 1 if the owner cut it to an int.
    { "HELLO pid 2^32+1",
      .ops = { S_OP (ZOWN_OP_HELLO, "", S_INT (((int64_t) 1 << 32) + 1), S_STR (S_FOREIGN_BOOT)) },
      .status = ZOWN_BAD_ARGS },
    { "HELLO pid 2^31-1, not the session's",
      .ops = { S_OP (ZOWN_OP_HELLO, "", S_INT (S_PID_MAX), S_STR (S_FOREIGN_BOOT)) },
      .status = ZOWN_BAD_ARGS },
    { "HELLO another pid", .ops = { S_OP (ZOWN_OP_HELLO, "", S_INT (1)) },
      .status = ZOWN_BAD_ARGS },
    { "HELLO its own pid again", .ops = { S_OP (ZOWN_OP_HELLO, "", S_INT (S_MY_PID)) } },
    { "HELLO a boot id of 35",
      .ops = { S_OP (ZOWN_OP_HELLO, "", S_INT (S_MY_PID),
                     S_STR ("00000000-0000-0000-0000-00000000000")) },
      .status = ZOWN_BAD_ARGS },
    { "HELLO a boot id of 37",
      .ops = { S_OP (ZOWN_OP_HELLO, "", S_INT (S_MY_PID),
                     S_STR ("00000000-0000-0000-0000-0000000000000")) },
      .status = ZOWN_BAD_ARGS },
    { "HELLO an empty boot id", .ops = { S_OP (ZOWN_OP_HELLO, "", S_INT (S_MY_PID), S_STR ("")) },
      .status = ZOWN_BAD_ARGS },

    //  DICT_CAS: expected version >= 0 (0: only if absent).
    { "DICT_CAS version -1",
      .ops = { S_OP (ZOWN_OP_DICT_CAS, "new", S_STR ("k"), S_INT (-1), S_INT (1)) },
      .status = ZOWN_BAD_ARGS, S_GONE ("new") },
    { "DICT_CAS version INT64_MIN on a key",
      .ops = { S_OP (ZOWN_OP_DICT_CAS, "d", S_STR ("k"), S_INT (INT64_MIN), S_INT (1)) },
      .status = ZOWN_BAD_ARGS, S_READ_AT (ZOWN_OP_DICT_GET, "d", S_STR ("k"), S_STR ("text")) },
    { "DICT_CAS version 0 of an absent key",
      .ops = { S_OP (ZOWN_OP_DICT_CAS, "new", S_STR ("k"), S_INT (0), S_INT (1)) },
      S_GIVES (S_INT (1)), S_READ_AT (ZOWN_OP_DICT_GET, "new", S_STR ("k"), S_INT (1)) },
    { "DICT_CAS version 0 of a present key",
      .ops = { S_OP (ZOWN_OP_DICT_CAS, "d", S_STR ("k"), S_INT (0), S_INT (1)) },
      .status = ZOWN_CONFLICT },

    //  VALUE_CAS: expected and desired of one type, the value's; VALUE_SET
    //  and VALUE_ADD keep the value's type; int additions do not overflow.
    { "VALUE_CAS int to double", .ops = { S_OP (ZOWN_OP_VALUE_CAS, "vi", S_INT (5), S_DBL (6)) },
      .status = ZOWN_WRONG_TYPE, S_VI_IS_5 },
    { "VALUE_CAS double to int", .ops = { S_OP (ZOWN_OP_VALUE_CAS, "vd", S_DBL (1.5), S_INT (2)) },
      .status = ZOWN_WRONG_TYPE, S_READ (ZOWN_OP_VALUE_GET, "vd", S_DBL (1.5)) },
    { "VALUE_CAS doubles on an int",
      .ops = { S_OP (ZOWN_OP_VALUE_CAS, "vi", S_DBL (5), S_DBL (6)) }, .status = ZOWN_WRONG_TYPE,
      S_VI_IS_5 },
    { "VALUE_CAS ints on an int", .ops = { S_OP (ZOWN_OP_VALUE_CAS, "vi", S_INT (5), S_INT (6)) },
      S_GIVES (S_INT (6)), S_READ (ZOWN_OP_VALUE_GET, "vi", S_INT (6)) },
    { "VALUE_CAS doubles on a double",
      .ops = { S_OP (ZOWN_OP_VALUE_CAS, "vd", S_DBL (1.5), S_DBL (2)) }, S_GIVES (S_DBL (2)) },
    { "VALUE_CAS on a missing value",
      .ops = { S_OP (ZOWN_OP_VALUE_CAS, "new", S_INT (0), S_INT (1)) }, .status = ZOWN_NOT_FOUND,
      S_GONE ("new") },
    { "VALUE_SET a double on an int", .ops = { S_OP (ZOWN_OP_VALUE_SET, "vi", S_DBL (1)) },
      .status = ZOWN_WRONG_TYPE, S_VI_IS_5 },
    { "VALUE_ADD an int to a double", .ops = { S_OP (ZOWN_OP_VALUE_ADD, "vd", S_INT (1)) },
      .status = ZOWN_WRONG_TYPE, S_READ (ZOWN_OP_VALUE_GET, "vd", S_DBL (1.5)) },
    { "VALUE_ADD past INT64_MAX", .ops = { S_OP (ZOWN_OP_VALUE_ADD, "vi", S_INT (INT64_MAX - 4)) },
      .status = ZOWN_OVERFLOW, S_VI_IS_5 },
    { "VALUE_ADD up to INT64_MAX", .ops = { S_OP (ZOWN_OP_VALUE_ADD, "vi", S_INT (INT64_MAX - 5)) },
      S_GIVES (S_INT (INT64_MAX)) },
    { "VALUE_ADD INT64_MIN", .ops = { S_OP (ZOWN_OP_VALUE_ADD, "vi", S_INT (INT64_MIN)) },
      S_GIVES (S_INT (INT64_MIN + 5)) },
    { "DICT_ADD to bytes", .ops = { S_OP (ZOWN_OP_DICT_ADD, "d", S_STR ("k"), S_INT (1)) },
      .status = ZOWN_WRONG_TYPE, S_READ_AT (ZOWN_OP_DICT_GET, "d", S_STR ("k"), S_STR ("text")) },
    { "DICT_ADD past INT64_MAX",
      .ops = { S_OP (ZOWN_OP_DICT_ADD, "d", S_STR ("n"), S_INT (INT64_MAX)) },
      .status = ZOWN_OVERFLOW, S_READ_AT (ZOWN_OP_DICT_GET, "d", S_STR ("n"), S_INT (1)) },
    { "DICT_ADD up to INT64_MAX",
      .ops = { S_OP (ZOWN_OP_DICT_ADD, "d", S_STR ("n"), S_INT (INT64_MAX - 1)) },
      S_GIVES (S_INT (INT64_MAX)) },

    //  List indices: [-len, len) for GET, SET, POP; INSERT and RANGE clamp.
    { "LIST_GET len", .ops = { S_OP (ZOWN_OP_LIST_GET, "l", S_INT (3)) },
      .status = ZOWN_OUT_OF_RANGE },
    { "LIST_GET len-1", .ops = { S_OP (ZOWN_OP_LIST_GET, "l", S_INT (2)) }, S_GIVES (S_INT (30)) },
    { "LIST_GET -len", .ops = { S_OP (ZOWN_OP_LIST_GET, "l", S_INT (-3)) }, S_GIVES (S_INT (10)) },
    { "LIST_GET -len-1", .ops = { S_OP (ZOWN_OP_LIST_GET, "l", S_INT (-4)) },
      .status = ZOWN_OUT_OF_RANGE },
    { "LIST_GET INT64_MIN", .ops = { S_OP (ZOWN_OP_LIST_GET, "l", S_INT (INT64_MIN)) },
      .status = ZOWN_OUT_OF_RANGE },
    { "LIST_GET INT64_MAX", .ops = { S_OP (ZOWN_OP_LIST_GET, "l", S_INT (INT64_MAX)) },
      .status = ZOWN_OUT_OF_RANGE },
    { "LIST_GET 0 of a missing list", .ops = { S_OP (ZOWN_OP_LIST_GET, "new", S_INT (0)) },
      .status = ZOWN_OUT_OF_RANGE, S_GONE ("new") },
    { "LIST_SET len", .ops = { S_OP (ZOWN_OP_LIST_SET, "l", S_INT (3), S_INT (1)) },
      .status = ZOWN_OUT_OF_RANGE, S_READ (ZOWN_OP_LIST_LEN, "l", S_INT (3)) },
    { "LIST_SET -len-1", .ops = { S_OP (ZOWN_OP_LIST_SET, "l", S_INT (-4), S_INT (1)) },
      .status = ZOWN_OUT_OF_RANGE, S_READ_AT (ZOWN_OP_LIST_GET, "l", S_INT (0), S_INT (10)) },
    { "LIST_SET -len", .ops = { S_OP (ZOWN_OP_LIST_SET, "l", S_INT (-3), S_INT (1)) },
      S_READ_AT (ZOWN_OP_LIST_GET, "l", S_INT (0), S_INT (1)) },
    { "LIST_SET len-1", .ops = { S_OP (ZOWN_OP_LIST_SET, "l", S_INT (2), S_INT (1)) },
      S_READ_AT (ZOWN_OP_LIST_GET, "l", S_INT (2), S_INT (1)) },
    { "LIST_POP len", .ops = { S_OP (ZOWN_OP_LIST_POP, "l", S_INT (3)) },
      .status = ZOWN_OUT_OF_RANGE, S_READ (ZOWN_OP_LIST_LEN, "l", S_INT (3)) },
    { "LIST_POP -len-1", .ops = { S_OP (ZOWN_OP_LIST_POP, "l", S_INT (-4)) },
      .status = ZOWN_OUT_OF_RANGE },
    { "LIST_POP -len", .ops = { S_OP (ZOWN_OP_LIST_POP, "l", S_INT (-3)) }, S_GIVES (S_INT (10)) },
    { "LIST_POP of a missing list", .ops = { S_OP0 (ZOWN_OP_LIST_POP, "new") },
      .status = ZOWN_OUT_OF_RANGE },
    { "LIST_INSERT INT64_MIN",
      .ops = { S_OP (ZOWN_OP_LIST_INSERT, "l", S_INT (INT64_MIN), S_INT (1)) }, S_GIVES (S_INT (4)),
      S_READ_AT (ZOWN_OP_LIST_GET, "l", S_INT (0), S_INT (1)) },
    { "LIST_INSERT INT64_MAX",
      .ops = { S_OP (ZOWN_OP_LIST_INSERT, "l", S_INT (INT64_MAX), S_INT (1)) }, S_GIVES (S_INT (4)),
      S_READ_AT (ZOWN_OP_LIST_GET, "l", S_INT (-1), S_INT (1)) },
    { "LIST_RANGE INT64_MIN..INT64_MAX",
      .ops = { S_OP (ZOWN_OP_LIST_RANGE, "l", S_INT (INT64_MIN), S_INT (INT64_MAX)) },
      S_GIVES (S_INT (10)) },
    { "LIST_RANGE INT64_MAX..INT64_MIN",
      .ops = { S_OP (ZOWN_OP_LIST_RANGE, "l", S_INT (INT64_MAX), S_INT (INT64_MIN)) } },

    //  ARRAY_CREATE: length 0..max_items (and never more than 2^28).
    { "ARRAY_CREATE length -1",
      .ops = { S_OP (ZOWN_OP_ARRAY_CREATE, "new", S_INT (-1), S_INT (0)) }, .status = ZOWN_BAD_ARGS,
      S_GONE ("new") },
    { "ARRAY_CREATE length INT64_MIN",
      .ops = { S_OP (ZOWN_OP_ARRAY_CREATE, "new", S_INT (INT64_MIN), S_DBL (0)) },
      .status = ZOWN_BAD_ARGS, S_GONE ("new") },
    { "ARRAY_CREATE length 0", .ops = { S_OP (ZOWN_OP_ARRAY_CREATE, "new", S_INT (0), S_INT (0)) },
      S_GIVES (S_INT (1)), S_READ (ZOWN_OP_ARRAY_LEN, "new", S_INT (0)) },
    { "ARRAY_CREATE length max_items",
      .ops = { S_OP (ZOWN_OP_ARRAY_CREATE, "new", S_INT (S_MAX_ITEMS), S_INT (0)) },
      S_READ (ZOWN_OP_ARRAY_LEN, "new", S_INT (S_MAX_ITEMS)) },
    { "ARRAY_CREATE length max_items+1",
      .ops = { S_OP (ZOWN_OP_ARRAY_CREATE, "new", S_INT (S_MAX_ITEMS + 1), S_INT (0)) },
      .status = ZOWN_LIMIT, S_GONE ("new") },
    { "ARRAY_CREATE length INT64_MAX",
      .ops = { S_OP (ZOWN_OP_ARRAY_CREATE, "new", S_INT (INT64_MAX), S_INT (0)) },
      .status = ZOWN_LIMIT, S_GONE ("new") },
    { "ARRAY_CREATE other element type",
      .ops = { S_OP (ZOWN_OP_ARRAY_CREATE, "ai", S_INT (4), S_DBL (0)) },
      .status = ZOWN_WRONG_TYPE },
    { "ARRAY_CREATE other length",
      .ops = { S_OP (ZOWN_OP_ARRAY_CREATE, "ai", S_INT (5), S_INT (0)) }, .status = ZOWN_WRONG_TYPE,
      S_READ (ZOWN_OP_ARRAY_LEN, "ai", S_INT (4)) },
    { "ARRAY_CREATE the same shape",
      .ops = { S_OP (ZOWN_OP_ARRAY_CREATE, "ai", S_INT (4), S_INT (7)) }, S_GIVES (S_INT (0)),
      S_READ_AT (ZOWN_OP_ARRAY_GET, "ai", S_INT (0), S_INT (0)) },

    //  Array indices and ranges: inside [0, len), no negatives.
    { "ARRAY_GET len", .ops = { S_OP (ZOWN_OP_ARRAY_GET, "ai", S_INT (4)) },
      .status = ZOWN_OUT_OF_RANGE },
    { "ARRAY_GET len-1", .ops = { S_OP (ZOWN_OP_ARRAY_GET, "ai", S_INT (3)) },
      S_GIVES (S_INT (0)) },
    { "ARRAY_GET -1", .ops = { S_OP (ZOWN_OP_ARRAY_GET, "ai", S_INT (-1)) },
      .status = ZOWN_OUT_OF_RANGE },
    { "ARRAY_GET INT64_MIN", .ops = { S_OP (ZOWN_OP_ARRAY_GET, "ai", S_INT (INT64_MIN)) },
      .status = ZOWN_OUT_OF_RANGE },
    { "ARRAY_GET of a missing array", .ops = { S_OP (ZOWN_OP_ARRAY_GET, "new", S_INT (0)) },
      .status = ZOWN_NOT_FOUND, S_GONE ("new") },
    { "ARRAY_SET len", .ops = { S_OP (ZOWN_OP_ARRAY_SET, "ai", S_INT (4), S_INT (1)) },
      .status = ZOWN_OUT_OF_RANGE },
    { "ARRAY_SET -1", .ops = { S_OP (ZOWN_OP_ARRAY_SET, "ai", S_INT (-1), S_INT (1)) },
      .status = ZOWN_OUT_OF_RANGE },
    { "ARRAY_SET a double in ints", .ops = { S_OP (ZOWN_OP_ARRAY_SET, "ai", S_INT (0), S_DBL (1)) },
      .status = ZOWN_WRONG_TYPE, S_READ_AT (ZOWN_OP_ARRAY_GET, "ai", S_INT (0), S_INT (0)) },
    { "ARRAY_SET an int in doubles",
      .ops = { S_OP (ZOWN_OP_ARRAY_SET, "ad", S_INT (0), S_INT (1)) }, .status = ZOWN_WRONG_TYPE,
      S_READ_AT (ZOWN_OP_ARRAY_GET, "ad", S_INT (0), S_DBL (0)) },
    { "ARRAY_SET len-1", .ops = { S_OP (ZOWN_OP_ARRAY_SET, "ai", S_INT (3), S_INT (1)) },
      S_READ_AT (ZOWN_OP_ARRAY_GET, "ai", S_INT (3), S_INT (1)) },
    { "ARRAY_ADD -1", .ops = { S_OP (ZOWN_OP_ARRAY_ADD, "ai", S_INT (-1), S_INT (1)) },
      .status = ZOWN_OUT_OF_RANGE },
    { "ARRAY_ADD len", .ops = { S_OP (ZOWN_OP_ARRAY_ADD, "ai", S_INT (4), S_INT (1)) },
      .status = ZOWN_OUT_OF_RANGE },
    { "ARRAY_ADD a double to ints", .ops = { S_OP (ZOWN_OP_ARRAY_ADD, "ai", S_INT (0), S_DBL (1)) },
      .status = ZOWN_WRONG_TYPE },
    { "ARRAY_ADD past INT64_MAX",
      .ops = { S_OP (ZOWN_OP_ARRAY_SET, "ai", S_INT (0), S_INT (INT64_MAX)),
               S_OP (ZOWN_OP_ARRAY_ADD, "ai", S_INT (0), S_INT (1)) },
      .count = 2, .status = ZOWN_OVERFLOW, .failed = 1,
      S_READ_AT (ZOWN_OP_ARRAY_GET, "ai", S_INT (0), S_INT (0)) },
    { "ARRAY_ADD INT64_MAX to 0",
      .ops = { S_OP (ZOWN_OP_ARRAY_ADD, "ai", S_INT (0), S_INT (INT64_MAX)) },
      S_GIVES (S_INT (INT64_MAX)) },
    { "ARRAY_READ start -1", .ops = { S_OP (ZOWN_OP_ARRAY_READ, "ai", S_INT (-1), S_INT (1)) },
      .status = ZOWN_OUT_OF_RANGE },
    { "ARRAY_READ count -1", .ops = { S_OP (ZOWN_OP_ARRAY_READ, "ai", S_INT (0), S_INT (-1)) },
      .status = ZOWN_OUT_OF_RANGE },
    { "ARRAY_READ count len+1", .ops = { S_OP (ZOWN_OP_ARRAY_READ, "ai", S_INT (0), S_INT (5)) },
      .status = ZOWN_OUT_OF_RANGE },
    { "ARRAY_READ count len", .ops = { S_OP (ZOWN_OP_ARRAY_READ, "ai", S_INT (0), S_INT (4)) },
      S_GIVES (S_INT (0)) },
    { "ARRAY_READ start len+1", .ops = { S_OP (ZOWN_OP_ARRAY_READ, "ai", S_INT (5), S_INT (0)) },
      .status = ZOWN_OUT_OF_RANGE },
    { "ARRAY_READ start len, count 0",
      .ops = { S_OP (ZOWN_OP_ARRAY_READ, "ai", S_INT (4), S_INT (0)) } },
    { "ARRAY_READ start INT64_MAX",
      .ops = { S_OP (ZOWN_OP_ARRAY_READ, "ai", S_INT (INT64_MAX), S_INT (1)) },
      .status = ZOWN_OUT_OF_RANGE },
    { "ARRAY_READ count INT64_MAX",
      .ops = { S_OP (ZOWN_OP_ARRAY_READ, "ai", S_INT (1), S_INT (INT64_MAX)) },
      .status = ZOWN_OUT_OF_RANGE },
    { "ARRAY_WRITE start -1", .ops = { S_OP (ZOWN_OP_ARRAY_WRITE, "ai", S_INT (-1), S_INT (1)) },
      .status = ZOWN_OUT_OF_RANGE },
    { "ARRAY_WRITE past the end",
      .ops = { S_OP (ZOWN_OP_ARRAY_WRITE, "ai", S_INT (3), S_INT (1), S_INT (2)) },
      .status = ZOWN_OUT_OF_RANGE, S_READ_AT (ZOWN_OP_ARRAY_GET, "ai", S_INT (3), S_INT (0)) },
    { "ARRAY_WRITE up to the end",
      .ops = { S_OP (ZOWN_OP_ARRAY_WRITE, "ai", S_INT (3), S_INT (1)) },
      S_READ_AT (ZOWN_OP_ARRAY_GET, "ai", S_INT (3), S_INT (1)) },
    { "ARRAY_WRITE a double among ints",
      .ops = { S_OP (ZOWN_OP_ARRAY_WRITE, "ai", S_INT (0), S_INT (1), S_INT (2), S_INT (3),
                     S_DBL (4)) },
      .status = ZOWN_WRONG_TYPE, S_READ_AT (ZOWN_OP_ARRAY_GET, "ai", S_INT (0), S_INT (0)) },
    { "ARRAY_WRITE of a missing array",
      .ops = { S_OP (ZOWN_OP_ARRAY_WRITE, "new", S_INT (0), S_INT (1)) }, .status = ZOWN_NOT_FOUND,
      S_GONE ("new") },

    //  Queues: maxsize >= 0, get_many most >= 1, no more task_done than puts.
    { "QUEUE_INIT maxsize -1", .ops = { S_OP (ZOWN_OP_QUEUE_INIT, "new", S_INT (-1)) },
      .status = ZOWN_BAD_ARGS, S_GONE ("new") },
    { "QUEUE_INIT maxsize INT64_MIN",
      .ops = { S_OP (ZOWN_OP_QUEUE_INIT, "new", S_INT (INT64_MIN)) }, .status = ZOWN_BAD_ARGS,
      S_GONE ("new") },
    { "QUEUE_INIT maxsize -1 on a queue", .ops = { S_OP (ZOWN_OP_QUEUE_INIT, "q0", S_INT (-1)) },
      .status = ZOWN_BAD_ARGS, S_READ_NTH (ZOWN_OP_QUEUE_SIZE, "q0", 1, S_INT (0)) },
    { "QUEUE_INIT maxsize 0", .ops = { S_OP (ZOWN_OP_QUEUE_INIT, "new", S_INT (0)) },
      S_GIVES (S_INT (1)), S_READ (ZOWN_OP_TYPE, "new", S_STR ("queue")) },
    { "QUEUE_INIT maxsize INT64_MAX",
      .ops = { S_OP (ZOWN_OP_QUEUE_INIT, "new", S_INT (INT64_MAX)) },
      S_READ_NTH (ZOWN_OP_QUEUE_SIZE, "new", 1, S_INT (INT64_MAX)) },
    { "QUEUE_INIT another maxsize", .ops = { S_OP (ZOWN_OP_QUEUE_INIT, "qb", S_INT (2)) },
      .status = ZOWN_WRONG_TYPE, S_READ_NTH (ZOWN_OP_QUEUE_SIZE, "qb", 1, S_INT (1)) },
    { "QUEUE_GET_MANY most 0", .ops = { S_OP (ZOWN_OP_QUEUE_GET_MANY, "q", S_INT (0), S_INT (0)) },
      .status = ZOWN_BAD_ARGS, S_READ (ZOWN_OP_QUEUE_SIZE, "q", S_INT (2)) },
    { "QUEUE_GET_MANY most -1",
      .ops = { S_OP (ZOWN_OP_QUEUE_GET_MANY, "q", S_INT (-1), S_INT (0)) }, .status = ZOWN_BAD_ARGS,
      S_READ (ZOWN_OP_QUEUE_SIZE, "q", S_INT (2)) },
    { "QUEUE_GET_MANY most INT64_MIN",
      .ops = { S_OP (ZOWN_OP_QUEUE_GET_MANY, "new", S_INT (INT64_MIN), S_INT (0)) },
      .status = ZOWN_BAD_ARGS, S_GONE ("new") },
    { "QUEUE_GET_MANY most 1", .ops = { S_OP (ZOWN_OP_QUEUE_GET_MANY, "q", S_INT (1), S_INT (0)) },
      S_GIVES (S_INT (1)), S_READ (ZOWN_OP_QUEUE_SIZE, "q", S_INT (1)) },
    { "QUEUE_GET_MANY most INT64_MAX",
      .ops = { S_OP (ZOWN_OP_QUEUE_GET_MANY, "q", S_INT (INT64_MAX), S_INT (0)) },
      S_GIVES (S_INT (1)), S_READ (ZOWN_OP_QUEUE_SIZE, "q", S_INT (0)) },
    { "QUEUE_TASK_DONE with nothing put", .ops = { S_OP0 (ZOWN_OP_QUEUE_TASK_DONE, "q0") },
      .status = ZOWN_BAD_ARGS },
    { "QUEUE_TASK_DONE on a new queue", .ops = { S_OP0 (ZOWN_OP_QUEUE_TASK_DONE, "new") },
      .status = ZOWN_BAD_ARGS, S_GONE ("new") },
    { "QUEUE_TASK_DONE after a put", .ops = { S_OP0 (ZOWN_OP_QUEUE_TASK_DONE, "q") } },

    //  Timeouts: 0 never waits; a blocking op in a batch never parks, even
    //  with -1 (no deadline).
    { "QUEUE_GET timeout 0, empty", .ops = { S_OP (ZOWN_OP_QUEUE_GET, "q0", S_INT (0)) },
      .status = ZOWN_TIMEOUT },
    { "QUEUE_PUT timeout 0, full", .ops = { S_OP (ZOWN_OP_QUEUE_PUT, "qb", S_INT (1), S_INT (0)) },
      .status = ZOWN_TIMEOUT, S_READ (ZOWN_OP_QUEUE_SIZE, "qb", S_INT (1)) },
    { "EVENT_WAIT timeout 0, clear", .ops = { S_OP (ZOWN_OP_EVENT_WAIT, "new", S_INT (0)) },
      .status = ZOWN_TIMEOUT, S_GONE ("new") },
    { "EVENT_WAIT timeout -1 in a batch",
      .ops = { S_SET_VI_9, S_OP (ZOWN_OP_EVENT_WAIT, "new", S_INT (-1)) }, .count = 2,
      .status = ZOWN_TIMEOUT, .failed = 1, S_VI_IS_5 },
    { "QUEUE_GET timeout -1 in a batch",
      .ops = { S_SET_VI_9, S_OP (ZOWN_OP_QUEUE_GET, "q0", S_INT (-1)) }, .count = 2,
      .status = ZOWN_TIMEOUT, .failed = 1, S_VI_IS_5 },
    { "EVENT_WAIT timeout -1 after a set",
      .ops = { S_OP0 (ZOWN_OP_EVENT_SET, "e"), S_OP (ZOWN_OP_EVENT_WAIT, "e", S_INT (-1)) },
      .count = 2 },
    { "LOCK_ACQUIRE timeout 0, held by the caller",
      .ops = { S_OP (ZOWN_OP_LOCK_ACQUIRE, "lk", S_INT (0)) }, .status = ZOWN_DEADLOCK,
      S_READ (ZOWN_OP_LOCK_LOCKED, "lk", S_INT (1)) },
    { "LOCK_ACQUIRE timeout -1, held by the caller",
      .ops = { S_OP (ZOWN_OP_LOCK_ACQUIRE, "lk", S_INT (-1)) }, .status = ZOWN_DEADLOCK,
      S_READ (ZOWN_OP_LOCK_LOCKED, "lk", S_INT (1)) },

    //  Timeouts are -1, 0 or more: any other negative is refused by every
    //  op that takes one, before anything runs, even where the op would
    //  complete at once.
    { "QUEUE_GET timeout -2, items there", .ops = { S_OP (ZOWN_OP_QUEUE_GET, "q", S_INT (-2)) },
      .status = ZOWN_BAD_ARGS, S_READ (ZOWN_OP_QUEUE_SIZE, "q", S_INT (2)) },
    { "QUEUE_GET timeout INT64_MIN, new",
      .ops = { S_OP (ZOWN_OP_QUEUE_GET, "new", S_INT (INT64_MIN)) }, .status = ZOWN_BAD_ARGS,
      S_GONE ("new") },
    { "QUEUE_GET timeout -1, items there", .ops = { S_OP (ZOWN_OP_QUEUE_GET, "q", S_INT (-1)) },
      S_GIVES (S_INT (1)) },
    { "QUEUE_PUT timeout -2", .ops = { S_OP (ZOWN_OP_QUEUE_PUT, "q", S_INT (3), S_INT (-2)) },
      .status = ZOWN_BAD_ARGS, S_READ (ZOWN_OP_QUEUE_SIZE, "q", S_INT (2)) },
    { "QUEUE_PUT timeout INT64_MIN, new",
      .ops = { S_OP (ZOWN_OP_QUEUE_PUT, "new", S_INT (3), S_INT (INT64_MIN)) },
      .status = ZOWN_BAD_ARGS, S_GONE ("new") },
    { "QUEUE_GET_MANY timeout -2",
      .ops = { S_OP (ZOWN_OP_QUEUE_GET_MANY, "q", S_INT (5), S_INT (-2)) }, .status = ZOWN_BAD_ARGS,
      S_READ (ZOWN_OP_QUEUE_SIZE, "q", S_INT (2)) },
    { "QUEUE_JOIN timeout -2", .ops = { S_OP (ZOWN_OP_QUEUE_JOIN, "q0", S_INT (-2)) },
      .status = ZOWN_BAD_ARGS },
    { "EVENT_WAIT timeout -2, new", .ops = { S_OP (ZOWN_OP_EVENT_WAIT, "new", S_INT (-2)) },
      .status = ZOWN_BAD_ARGS, S_GONE ("new") },
    { "EVENT_WAIT timeout INT64_MIN after a set",
      .ops = { S_OP0 (ZOWN_OP_EVENT_SET, "e"), S_OP (ZOWN_OP_EVENT_WAIT, "e", S_INT (INT64_MIN)) },
      .count = 2, .status = ZOWN_BAD_ARGS, .failed = 1,
      S_READ (ZOWN_OP_EVENT_IS_SET, "e", S_INT (0)) },
    { "LOCK_ACQUIRE timeout -2, free", .ops = { S_OP (ZOWN_OP_LOCK_ACQUIRE, "new", S_INT (-2)) },
      .status = ZOWN_BAD_ARGS, S_GONE ("new") },
    { "RLOCK_ACQUIRE timeout -2 by its holder",
      .ops = { S_OP (ZOWN_OP_RLOCK_ACQUIRE, "rk", S_INT (-2)) }, .status = ZOWN_BAD_ARGS },
    { "SEMAPHORE_ACQUIRE timeout -2",
      .ops = { S_OP (ZOWN_OP_SEMAPHORE_ACQUIRE, "sb", S_INT (1), S_INT (-2)) },
      .status = ZOWN_BAD_ARGS, S_READ (ZOWN_OP_SEMAPHORE_VALUE, "sb", S_INT (2)) },
    { "BARRIER_WAIT timeout -2, one party",
      .ops = { S_OP (ZOWN_OP_BARRIER_WAIT, "b1", S_INT (-2)) }, .status = ZOWN_BAD_ARGS },
    { "CONDITION_WAIT timeout -2",
      .ops = { S_OP (ZOWN_OP_CONDITION_WAIT, "new", S_STR ("lk"), S_INT (-2)) },
      .status = ZOWN_BAD_ARGS, S_GONE ("new") },
    { "CONDITION_WAIT timeout INT64_MIN",
      .ops = { S_OP (ZOWN_OP_CONDITION_WAIT, "new", S_STR ("lk"), S_INT (INT64_MIN)) },
      .status = ZOWN_BAD_ARGS, S_READ (ZOWN_OP_LOCK_LOCKED, "lk", S_INT (1)) },

    //  Semaphores: value 0..2^31-1, bounded 0 or 1, counts 1..2^31-1
    //  (bounded: at most the initial value), never past the limit.
    { "SEMAPHORE_INIT value -1",
      .ops = { S_OP (ZOWN_OP_SEMAPHORE_INIT, "new", S_INT (-1), S_INT (0)) },
      .status = ZOWN_BAD_ARGS, S_GONE ("new") },
    { "SEMAPHORE_INIT value 2^31",
      .ops = { S_OP (ZOWN_OP_SEMAPHORE_INIT, "new", S_INT (S_SEM_MAX + 1), S_INT (0)) },
      .status = ZOWN_BAD_ARGS, S_GONE ("new") },
    { "SEMAPHORE_INIT value INT64_MIN",
      .ops = { S_OP (ZOWN_OP_SEMAPHORE_INIT, "new", S_INT (INT64_MIN), S_INT (1)) },
      .status = ZOWN_BAD_ARGS, S_GONE ("new") },
    { "SEMAPHORE_INIT bounded 2",
      .ops = { S_OP (ZOWN_OP_SEMAPHORE_INIT, "new", S_INT (1), S_INT (2)) },
      .status = ZOWN_BAD_ARGS, S_GONE ("new") },
    { "SEMAPHORE_INIT bounded -1",
      .ops = { S_OP (ZOWN_OP_SEMAPHORE_INIT, "new", S_INT (1), S_INT (-1)) },
      .status = ZOWN_BAD_ARGS, S_GONE ("new") },
    { "SEMAPHORE_INIT value 0, bounded 0",
      .ops = { S_OP (ZOWN_OP_SEMAPHORE_INIT, "new", S_INT (0), S_INT (0)) }, S_GIVES (S_INT (1)),
      S_READ (ZOWN_OP_SEMAPHORE_VALUE, "new", S_INT (0)) },
    { "SEMAPHORE_INIT value 2^31-1, bounded 1",
      .ops = { S_OP (ZOWN_OP_SEMAPHORE_INIT, "new", S_INT (S_SEM_MAX), S_INT (1)) },
      S_READ (ZOWN_OP_SEMAPHORE_VALUE, "new", S_INT (S_SEM_MAX)) },
    { "SEMAPHORE_INIT value -1 on a semaphore",
      .ops = { S_OP (ZOWN_OP_SEMAPHORE_INIT, "sb", S_INT (-1), S_INT (1)) },
      .status = ZOWN_BAD_ARGS },
    { "SEMAPHORE_INIT another bound",
      .ops = { S_OP (ZOWN_OP_SEMAPHORE_INIT, "sb", S_INT (2), S_INT (0)) },
      .status = ZOWN_WRONG_TYPE },
    { "SEMAPHORE_INIT the same",
      .ops = { S_OP (ZOWN_OP_SEMAPHORE_INIT, "sb", S_INT (2), S_INT (1)) }, S_GIVES (S_INT (0)) },
    { "SEMAPHORE_ACQUIRE count 0",
      .ops = { S_OP (ZOWN_OP_SEMAPHORE_ACQUIRE, "sb", S_INT (0), S_INT (0)) },
      .status = ZOWN_BAD_ARGS, S_READ (ZOWN_OP_SEMAPHORE_VALUE, "sb", S_INT (2)) },
    { "SEMAPHORE_ACQUIRE count -1",
      .ops = { S_OP (ZOWN_OP_SEMAPHORE_ACQUIRE, "su", S_INT (-1), S_INT (0)) },
      .status = ZOWN_BAD_ARGS, S_READ (ZOWN_OP_SEMAPHORE_VALUE, "su", S_INT (2)) },
    { "SEMAPHORE_ACQUIRE bounded, initial+1",
      .ops = { S_OP (ZOWN_OP_SEMAPHORE_ACQUIRE, "sb", S_INT (3), S_INT (0)) },
      .status = ZOWN_BAD_ARGS },
    { "SEMAPHORE_ACQUIRE bounded, initial",
      .ops = { S_OP (ZOWN_OP_SEMAPHORE_ACQUIRE, "sb", S_INT (2), S_INT (0)) },
      S_READ (ZOWN_OP_SEMAPHORE_VALUE, "sb", S_INT (0)) },
    { "SEMAPHORE_ACQUIRE count 2^31",
      .ops = { S_OP (ZOWN_OP_SEMAPHORE_ACQUIRE, "su", S_INT (S_SEM_MAX + 1), S_INT (0)) },
      .status = ZOWN_BAD_ARGS },
    //  Accepted: only 2 are free, so it cannot be served at once.
    { "SEMAPHORE_ACQUIRE count 2^31-1",
      .ops = { S_OP (ZOWN_OP_SEMAPHORE_ACQUIRE, "su", S_INT (S_SEM_MAX), S_INT (0)) },
      .status = ZOWN_TIMEOUT },
    { "SEMAPHORE_ACQUIRE never initialised",
      .ops = { S_OP (ZOWN_OP_SEMAPHORE_ACQUIRE, "new", S_INT (1), S_INT (0)) },
      .status = ZOWN_NOT_FOUND, S_GONE ("new") },
    { "SEMAPHORE_RELEASE count 0", .ops = { S_OP (ZOWN_OP_SEMAPHORE_RELEASE, "su", S_INT (0)) },
      .status = ZOWN_BAD_ARGS },
    { "SEMAPHORE_RELEASE count -1", .ops = { S_OP (ZOWN_OP_SEMAPHORE_RELEASE, "sh", S_INT (-1)) },
      .status = ZOWN_BAD_ARGS, S_READ (ZOWN_OP_SEMAPHORE_VALUE, "sh", S_INT (1)) },
    { "SEMAPHORE_RELEASE count 2^31",
      .ops = { S_OP (ZOWN_OP_SEMAPHORE_RELEASE, "su", S_INT (S_SEM_MAX + 1)) },
      .status = ZOWN_BAD_ARGS, S_READ (ZOWN_OP_SEMAPHORE_VALUE, "su", S_INT (2)) },
    { "SEMAPHORE_RELEASE unbounded past 2^31-1",
      .ops = { S_OP (ZOWN_OP_SEMAPHORE_RELEASE, "su", S_INT (S_SEM_MAX - 1)) },
      .status = ZOWN_OVERFLOW, S_READ (ZOWN_OP_SEMAPHORE_VALUE, "su", S_INT (2)) },
    { "SEMAPHORE_RELEASE unbounded up to 2^31-1",
      .ops = { S_OP (ZOWN_OP_SEMAPHORE_RELEASE, "su", S_INT (S_SEM_MAX - 2)) },
      S_READ (ZOWN_OP_SEMAPHORE_VALUE, "su", S_INT (S_SEM_MAX)) },
    { "SEMAPHORE_RELEASE bounded past the initial value",
      .ops = { S_OP (ZOWN_OP_SEMAPHORE_RELEASE, "sh", S_INT (2)) }, .status = ZOWN_OVERFLOW,
      S_READ (ZOWN_OP_SEMAPHORE_VALUE, "sh", S_INT (1)) },
    { "SEMAPHORE_RELEASE bounded up to the initial value",
      .ops = { S_OP (ZOWN_OP_SEMAPHORE_RELEASE, "sh", S_INT (1)) },
      S_READ (ZOWN_OP_SEMAPHORE_VALUE, "sh", S_INT (2)) },
    { "SEMAPHORE_RELEASE never initialised",
      .ops = { S_OP (ZOWN_OP_SEMAPHORE_RELEASE, "new", S_INT (1)) }, .status = ZOWN_NOT_FOUND,
      S_GONE ("new") },

    //  Barriers: parties 1..2^31-1.
    { "BARRIER_INIT parties 0", .ops = { S_OP (ZOWN_OP_BARRIER_INIT, "new", S_INT (0)) },
      .status = ZOWN_BAD_ARGS, S_GONE ("new") },
    { "BARRIER_INIT parties -1", .ops = { S_OP (ZOWN_OP_BARRIER_INIT, "new", S_INT (-1)) },
      .status = ZOWN_BAD_ARGS, S_GONE ("new") },
    { "BARRIER_INIT parties 2^31",
      .ops = { S_OP (ZOWN_OP_BARRIER_INIT, "new", S_INT (S_PID_MAX + 1)) }, .status = ZOWN_BAD_ARGS,
      S_GONE ("new") },
    { "BARRIER_INIT parties 1", .ops = { S_OP (ZOWN_OP_BARRIER_INIT, "new", S_INT (1)) },
      S_GIVES (S_INT (1)), S_READ (ZOWN_OP_BARRIER_STATE, "new", S_INT (1)) },
    { "BARRIER_INIT parties 2^31-1",
      .ops = { S_OP (ZOWN_OP_BARRIER_INIT, "new", S_INT (S_PID_MAX)) },
      S_READ (ZOWN_OP_BARRIER_STATE, "new", S_INT (S_PID_MAX)) },
    { "BARRIER_INIT parties 0 on a barrier", .ops = { S_OP (ZOWN_OP_BARRIER_INIT, "b", S_INT (0)) },
      .status = ZOWN_BAD_ARGS, S_READ (ZOWN_OP_BARRIER_STATE, "b", S_INT (2)) },
    { "BARRIER_INIT other parties", .ops = { S_OP (ZOWN_OP_BARRIER_INIT, "b", S_INT (3)) },
      .status = ZOWN_WRONG_TYPE },
    { "BARRIER_INIT the same parties", .ops = { S_OP (ZOWN_OP_BARRIER_INIT, "b", S_INT (2)) },
      S_GIVES (S_INT (0)) },
    { "BARRIER_WAIT never initialised", .ops = { S_OP (ZOWN_OP_BARRIER_WAIT, "new", S_INT (0)) },
      .status = ZOWN_NOT_FOUND, S_GONE ("new") },

    //  Conditions: n >= -1; the lock named must be a lock or an rlock the
    //  caller holds.
    { "CONDITION_NOTIFY n -2",
      .ops = { S_OP (ZOWN_OP_CONDITION_NOTIFY, "new", S_STR ("lk"), S_INT (-2)) },
      .status = ZOWN_BAD_ARGS, S_GONE ("new") },
    { "CONDITION_NOTIFY n INT64_MIN",
      .ops = { S_OP (ZOWN_OP_CONDITION_NOTIFY, "new", S_STR ("lk"), S_INT (INT64_MIN)) },
      .status = ZOWN_BAD_ARGS, S_GONE ("new") },
    { "CONDITION_NOTIFY n -1",
      .ops = { S_OP (ZOWN_OP_CONDITION_NOTIFY, "new", S_STR ("lk"), S_INT (-1)) },
      S_READ (ZOWN_OP_TYPE, "new", S_STR ("condition")) },
    { "CONDITION_NOTIFY n INT64_MAX",
      .ops = { S_OP (ZOWN_OP_CONDITION_NOTIFY, "new", S_STR ("lk"), S_INT (INT64_MAX)) } },
    { "CONDITION_NOTIFY a missing lock",
      .ops = { S_OP (ZOWN_OP_CONDITION_NOTIFY, "new", S_STR ("lf"), S_INT (0)) },
      .status = ZOWN_NOT_HELD, S_GONE ("new") },
    { "CONDITION_NOTIFY an rlock held",
      .ops = { S_OP (ZOWN_OP_CONDITION_NOTIFY, "new", S_STR ("rk"), S_INT (0)) },
      S_READ (ZOWN_OP_TYPE, "new", S_STR ("condition")) },
    { "CONDITION_NOTIFY a lock name that is a value",
      .ops = { S_OP (ZOWN_OP_CONDITION_NOTIFY, "new", S_STR ("vi"), S_INT (0)) },
      .status = ZOWN_NOT_HELD, S_GONE ("new") },
    { "CONDITION_NOTIFY an empty lock name",
      .ops = { S_OP (ZOWN_OP_CONDITION_NOTIFY, "new", S_STR (""), S_INT (0)) },
      .status = ZOWN_NOT_HELD, S_GONE ("new") },
    { "CONDITION_NOTIFY a lock name with NUL",
      .ops = { S_OP (ZOWN_OP_CONDITION_NOTIFY, "new", S_STR ("lk\0"), S_INT (0)) },
      .status = ZOWN_NOT_HELD, S_GONE ("new") },
    { "CONDITION_NOTIFY a lock name of 256",
      .ops = { S_OP (ZOWN_OP_CONDITION_NOTIFY, "new", S_STR (S_NAME256), S_INT (0)) },
      .status = ZOWN_NOT_HELD, S_GONE ("new") },
    //  Accepted; it cannot wait (timeout 0) and keeps the rlock.
    { "CONDITION_WAIT an rlock held",
      .ops = { S_OP (ZOWN_OP_CONDITION_WAIT, "new", S_STR ("rk"), S_INT (0)) },
      .status = ZOWN_TIMEOUT, S_READ (ZOWN_OP_RLOCK_LOCKED, "rk", S_INT (1)) },
    { "CONDITION_WAIT a lock name that is a queue",
      .ops = { S_OP (ZOWN_OP_CONDITION_WAIT, "new", S_STR ("q"), S_INT (0)) },
      .status = ZOWN_NOT_HELD, S_GONE ("new") },
    { "CONDITION_WAIT an empty lock name",
      .ops = { S_OP (ZOWN_OP_CONDITION_WAIT, "new", S_STR (""), S_INT (0)) },
      .status = ZOWN_NOT_HELD, S_GONE ("new") },

    //  Locks: only the holder releases.
    { "LOCK_RELEASE of a missing lock", .ops = { S_OP0 (ZOWN_OP_LOCK_RELEASE, "new") },
      .status = ZOWN_NOT_HELD, S_GONE ("new") },
    { "RLOCK_RELEASE of a missing rlock", .ops = { S_OP0 (ZOWN_OP_RLOCK_RELEASE, "new") },
      .status = ZOWN_NOT_HELD, S_GONE ("new") },
};

//  --------------------------------------------------------------------------
//  The owner and client the rows run on

typedef struct {
    zown_owner_t *owner;
    zown_client_t *client;
    zown_request_t *request;
} s_env_t;

static zown_owner_t *
s_owner (size_t max_key, size_t max_items)
{
    testutil_private_rundir ();
    zown_owner_options_t options = { .limits = { .max_key = max_key, .max_items = max_items } };
    zown_owner_t *owner = zown_owner_new_with (testutil_name ("args"), &options);
    if (!owner)
        fail_msg ("owner: %s", zown_strerror (zown_errno ()));
    return owner;
}

static int
s_setup_limits (void **state, size_t max_key, size_t max_items)
{
    s_env_t *env = (s_env_t *) calloc (1, sizeof (s_env_t));
    assert_non_null (env);
    env->owner = s_owner (max_key, max_items);
    env->client = testutil_client (zown_owner_inproc (env->owner));
    env->request = zown_request_new ();
    assert_non_null (env->request);
    *state = env;
    return 0;
}

static int
s_setup (void **state)
{
    return s_setup_limits (state, S_MAX_KEY, S_MAX_ITEMS);
}

//  max_items far over the array's hard cap, so that only the cap refuses.
static int
s_setup_uncapped (void **state)
{
    return s_setup_limits (state, 0, SIZE_MAX);
}

static int
s_teardown (void **state)
{
    s_env_t *env = (s_env_t *) *state;
    zown_request_destroy (&env->request);
    zown_client_destroy (&env->client);
    zown_owner_destroy (&env->owner);
    free (env);
    return 0;
}

static void
s_add (s_env_t *env, const s_op_t *op)
{
    zown_datum_t argv [6];
    memcpy (argv, op->argv, sizeof (argv));
    if (op->code == ZOWN_OP_HELLO && op->argc && argv [0].tag == ZOWN_INT
        && argv [0].u.i == S_MY_PID)
        argv [0].u.i = getpid ();
    assert_int_equal (
        zown_request_add (env->request, (zown_op_t) op->code, op->name, op->argc, argv), 0);
}

//  Sends env's request; returns its reply (borrowed until the next call),
//  which a wire status still gives.
static zown_reply_t *
s_send (s_env_t *env)
{
    zown_reply_t *reply = NULL;
    zown_client_call (env->client, env->request, &reply);
    if (!reply)
        fail_msg ("no reply: %s", zown_status_name (zown_errno ()));
    return reply;
}

//  One op; returns its reply.
static zown_reply_t *
s_one (s_env_t *env, int code, const char *name, size_t argc, const zown_datum_t *argv)
{
    zown_request_reset (env->request);
    assert_int_equal (zown_request_add (env->request, (zown_op_t) code, name, argc, argv), 0);
    return s_send (env);
}

static int64_t
s_owner_int (s_env_t *env, int code)
{
    zown_reply_t *reply = s_one (env, code, "", 0, NULL);
    assert_int_equal (zown_reply_status (reply), ZOWN_OK);
    return zown_reply_value (reply, 0, 0).u.i;
}

static size_t
s_object_count (s_env_t *env)
{
    zown_reply_t *reply = s_one (env, ZOWN_OP_OBJECTS, "", 0, NULL);
    assert_int_equal (zown_reply_status (reply), ZOWN_OK);
    return zown_reply_count (reply, 0) / 2;
}

//  Drops every object, then builds the world the rows expect.
static void
s_world (s_env_t *env)
{
    zown_reply_t *reply = s_one (env, ZOWN_OP_OBJECTS, "", 0, NULL);
    size_t count = zown_reply_count (reply, 0) / 2;
    char *names [64];
    assert_true (count <= 64);
    for (size_t index = 0; index < count; index++)
        names [index] = zown_datum_strdup (zown_reply_value (reply, 0, 2 * index));
    if (count) {
        zown_request_reset (env->request);
        for (size_t index = 0; index < count; index++) {
            assert_int_equal (zown_request_add (env->request, ZOWN_OP_DROP, names [index], 0, NULL),
                              0);
            free (names [index]);
        }
        assert_int_equal (zown_reply_status (s_send (env)), ZOWN_OK);
    }
    zown_request_reset (env->request);
    for (size_t index = 0; index < sizeof (s_world_ops) / sizeof (s_world_ops [0]); index++)
        s_add (env, &s_world_ops [index]);
    assert_int_equal (zown_reply_status (s_send (env)), ZOWN_OK);
    for (size_t index = 0; index < sizeof (s_world_alone) / sizeof (s_world_alone [0]); index++) {
        zown_request_reset (env->request);
        s_add (env, &s_world_alone [index]);
        assert_int_equal (zown_reply_status (s_send (env)), ZOWN_OK);
    }
}

static void
s_expect_status (const char *what, const char *field, int got, int want)
{
    if (got != want)
        fail_msg ("%s: %s %s, expected %s", what, field, zown_status_name (got),
                  zown_status_name (want));
}

static void
s_expect_value (const char *what, const char *field, zown_datum_t got, zown_datum_t want)
{
    if (!zown_datum_eq (got, want)) {
        char *got_text = zown_datum_strdup (got), *want_text = zown_datum_strdup (want);
        fail_msg ("%s: %s tag %d (%s), expected tag %d (%s)", what, field, got.tag,
                  got_text ? got_text : "?", want.tag, want_text ? want_text : "?");
    }
}

static void
s_run_row (s_env_t *env, const s_row_t *row)
{
    s_world (env);
    int64_t seq = s_owner_int (env, ZOWN_OP_SEQ);
    size_t objects = s_object_count (env);

    size_t count = row->count ? row->count : 1;
    zown_request_reset (env->request);
    for (size_t index = 0; index < count; index++)
        s_add (env, &row->ops [index]);
    zown_reply_t *reply = s_send (env);
    s_expect_status (row->what, "overall", zown_reply_status (reply), row->status);
    assert_int_equal (zown_reply_results (reply), count);
    for (size_t index = 0; index < count; index++) {
        int want = row->status == ZOWN_OK ? ZOWN_OK
            : index == row->failed        ? row->status
                                          : ZOWN_ABORTED;
        s_expect_status (row->what, "result", zown_reply_result_status (reply, index), want);
    }
    if (row->check)
        s_expect_value (row->what, "value", zown_reply_value (reply, count - 1, 0), row->value);

    //  A failed request changes nothing: no change was committed, no object
    //  was created or dropped.
    if (row->status != ZOWN_OK) {
        if (s_owner_int (env, ZOWN_OP_SEQ) != seq)
            fail_msg ("%s: failed, yet a change was committed", row->what);
        if (s_object_count (env) != objects)
            fail_msg ("%s: failed, yet the objects changed", row->what);
    }
    const s_probe_t *probe = &row->probe;
    if (probe->code) {
        reply = s_one (env, probe->code, probe->name, probe->argc, &probe->arg);
        s_expect_status (row->what, "probe", zown_reply_status (reply), probe->status);
        if (probe->check)
            s_expect_value (row->what, "probe value", zown_reply_value (reply, 0, probe->index),
                            probe->value);
    }
}

static void
test_rows (void **state)
{
    s_env_t *env = (s_env_t *) *state;
    for (size_t index = 0; index < sizeof (s_rows) / sizeof (s_rows [0]); index++)
        s_run_row (env, &s_rows [index]);
}

//  --------------------------------------------------------------------------
//  The array's hard cap of 2^28 elements holds whatever max_items says (a
//  damaged journal must not make the owner fill memory). INT64_MAX first:
//  without the cap it fails cleanly (NO_MEMORY), where 2^28+1 would
//  allocate 2 GiB.

static void
test_array_cap (void **state)
{
    s_env_t *env = (s_env_t *) *state;
    const int64_t lengths [] = { INT64_MAX, (int64_t) ZOWN_ARRAY_LENGTH_MAX + 1 };
    for (size_t index = 0; index < 2; index++) {
        zown_datum_t argv [2] = { zown_datum_int (lengths [index]), zown_datum_int (0) };
        zown_reply_t *reply = s_one (env, ZOWN_OP_ARRAY_CREATE, "big", 2, argv);
        s_expect_status ("ARRAY_CREATE over the cap", "overall", zown_reply_status (reply),
                         ZOWN_LIMIT);
        assert_int_equal (zown_reply_status (s_one (env, ZOWN_OP_TYPE, "big", 0, NULL)),
                          ZOWN_NOT_FOUND);
    }
    //  Refused by the cap, not by max_items.
    assert_int_equal (testutil_stat (env->client, "refused_items"), 0);
    zown_datum_t argv [2] = { zown_datum_int (-1), zown_datum_int (0) };
    s_expect_status ("ARRAY_CREATE -1, uncapped", "overall",
                     zown_reply_status (s_one (env, ZOWN_OP_ARRAY_CREATE, "big", 2, argv)),
                     ZOWN_BAD_ARGS);
    argv [0] = zown_datum_int (S_MAX_ITEMS);
    s_expect_status ("ARRAY_CREATE 8, uncapped", "overall",
                     zown_reply_status (s_one (env, ZOWN_OP_ARRAY_CREATE, "big", 2, argv)),
                     ZOWN_OK);
}

//  --------------------------------------------------------------------------
//  The op manifest, read as the owner's command table is made, for a sweep
//  of the central checks over every op code

enum {
    S_R = 1 << 0,
    S_W = 1 << 1,
    S_C = 1 << 2,
    S_O = 1 << 3,
    S_P = 1 << 4,
    S_M = 1 << 5,
    S_A = 1 << 6,
    S_K = 1 << 7,
    S_J = 1 << 8,
};

//  An argument type bit that is not a tag: the int is a timeout.
#define S_MS_BIT (1u << 7)

//  An argument type: the tags it allows, one bit each.
#define S_TAG(tag) (1u << (tag))

typedef struct {
    int code;
    const char *name;
    size_t min, max;
    unsigned flags;
    unsigned types [4];
} s_manifest_t;

static const s_manifest_t s_manifest [] = {
#define R        S_R
#define W        S_W
#define C        S_C
#define O        S_O
#define P        S_P
#define M        S_M
#define A        S_A
#define K        S_K
#define J        S_J
#define ARGS_MAX S_ARGS_MAX
#define NONE     0
#define INT      S_TAG (ZOWN_INT)
#define NUM      (S_TAG (ZOWN_INT) | S_TAG (ZOWN_DOUBLE))
#define BYTES    S_TAG (ZOWN_BYTES)
#define ANY      (S_TAG (ZOWN_NIL) | NUM | BYTES)
#define MS       (S_TAG (ZOWN_INT) | S_MS_BIT)
#define ZOWN_OP(NAME, code, type, handler, min, max, flags, ...)                                   \
    { code, #NAME, min, max, flags, { __VA_ARGS__ } },
#include "zown_ops.def"
#undef ZOWN_OP
#undef R
#undef W
#undef C
#undef O
#undef P
#undef M
#undef A
#undef J
#undef K
#undef ARGS_MAX
#undef NONE
#undef INT
#undef NUM
#undef BYTES
#undef ANY
#undef MS
};

static const s_manifest_t *
s_manifest_find (int code)
{
    for (size_t index = 0; index < sizeof (s_manifest) / sizeof (s_manifest [0]); index++)
        if (s_manifest [index].code == code)
            return &s_manifest [index];
    return NULL;
}

//  The tags argument `position` may have.
static unsigned
s_types_at (const s_manifest_t *entry, size_t position)
{
    if (entry->flags & S_P)
        return entry->types [position % 2];
    return entry->types [position < 4 ? position : 3];
}

//  A datum of the first tag in `allowed` (want true) or not in it.
static bool
s_datum_of (unsigned allowed, bool want, zown_datum_t *datum)
{
    const zown_datum_t samples [] = { S_NIL, S_INT (0), S_DBL (0), S_STR ("x") };
    for (size_t index = 0; index < 4; index++)
        if (((allowed & S_TAG (samples [index].tag)) != 0) == want) {
            *datum = samples [index];
            return true;
        }
    return false;
}

//  Fills argv with argc arguments of allowed types (past an op's most,
//  where none is allowed, any: arity is checked first).
static void
s_valid_args (const s_manifest_t *entry, zown_datum_t *argv, size_t argc)
{
    for (size_t index = 0; index < argc; index++)
        if (!s_datum_of (s_types_at (entry, index), true, &argv [index]))
            argv [index] = zown_datum_int (0);
}

//  An op the owner fails only when it applies it: a check failure of the op
//  after it in a batch must be reported instead, as checks come first.
static const s_op_t s_canary = S_OP0 (ZOWN_OP_VALUE_GET, "sweep-missing");

//  Sends code with argc arguments on name; it must fail the central checks
//  with `status`. An op that must be alone goes alone (any company fails
//  it), any other after the canary.
static void
s_refused (s_env_t *env, const char *what, int code, bool alone, const char *name, size_t argc,
           const zown_datum_t *argv, int status)
{
    char label [128];
    snprintf (label, sizeof (label), "op 0x%02X %s", code, what);
    zown_request_reset (env->request);
    if (!alone)
        s_add (env, &s_canary);
    assert_int_equal (zown_request_add (env->request, (zown_op_t) code, name, argc, argv), 0);
    zown_reply_t *reply = s_send (env);
    s_expect_status (label, "overall", zown_reply_status (reply), status);
    s_expect_status (label, "result", zown_reply_result_status (reply, alone ? 0 : 1), status);
}

//  Every central check of one known op; returns how many of its arguments
//  are timeouts.
static size_t
s_sweep_op (s_env_t *env, const s_manifest_t *entry, zown_datum_t *argv)
{
    int code = entry->code;
    bool alone = (entry->flags & S_A) != 0;
    const char *name = entry->flags & S_O ? "" : "sweep";
    if (entry->min > 0) {
        s_valid_args (entry, argv, entry->min - 1);
        s_refused (env, "min-1 args", code, alone, name, entry->min - 1, argv, ZOWN_BAD_ARGS);
    }
    if (entry->max < S_ARGS_MAX) {
        s_valid_args (entry, argv, entry->max + 1);
        s_refused (env, "max+1 args", code, alone, name, entry->max + 1, argv, ZOWN_BAD_ARGS);
    }
    if (entry->flags & S_P) {
        s_valid_args (entry, argv, 3);
        s_refused (env, "odd args", code, alone, name, 3, argv, ZOWN_BAD_ARGS);
    }
    //  A wrong type at each position, the others right (past the
    //  fourth, the fourth's type applies).
    for (size_t position = 0; position < 6 && position < entry->max; position++) {
        size_t argc = position + 1 > entry->min ? position + 1 : entry->min;
        if ((entry->flags & S_P) && argc % 2)
            argc++;
        s_valid_args (entry, argv, argc);
        if (s_datum_of (s_types_at (entry, position), false, &argv [position]))
            s_refused (env, "wrong type", code, alone, name, argc, argv, ZOWN_BAD_ARGS);
    }
    //  A timeout below -1 at each position that takes one.
    size_t timeouts = 0;
    for (size_t position = 0; position < entry->max && position < 4; position++)
        if (entry->types [position] & S_MS_BIT) {
            s_valid_args (entry, argv, entry->min);
            argv [position] = zown_datum_int (-2);
            s_refused (env, "timeout -2", code, alone, name, entry->min, argv, ZOWN_BAD_ARGS);
            timeouts++;
        }
    s_valid_args (entry, argv, entry->min);
    s_refused (env, "name rule", code, alone, entry->flags & S_O ? "sweep" : "", entry->min, argv,
               ZOWN_BAD_ARGS);
    if (alone) {
        //  Right in itself, but not alone: second, then first.
        zown_request_reset (env->request);
        s_add (env, &s_canary);
        assert_int_equal (zown_request_add (env->request, (zown_op_t) code, name, entry->min, argv),
                          0);
        s_expect_status (entry->name, "after another", zown_reply_result_status (s_send (env), 1),
                         ZOWN_BAD_ARGS);
        zown_request_reset (env->request);
        assert_int_equal (zown_request_add (env->request, (zown_op_t) code, name, entry->min, argv),
                          0);
        s_add (env, &s_canary);
        s_expect_status (entry->name, "before another", zown_reply_result_status (s_send (env), 0),
                         ZOWN_BAD_ARGS);
    }
    return timeouts;
}

static void
test_manifest_sweep (void **state)
{
    s_env_t *env = (s_env_t *) *state;
    int64_t seq = s_owner_int (env, ZOWN_OP_SEQ);
    //  Sized for DICT_UPDATE past its most arguments.
    zown_datum_t *argv = (zown_datum_t *) calloc (S_ARGS_MAX, sizeof (zown_datum_t));
    assert_non_null (argv);
    size_t known = 0, timeouts = 0;
    for (int code = 0; code < 256; code++) {
        const s_manifest_t *entry = s_manifest_find (code);
        if (!entry) {
            s_refused (env, "unknown, alone", code, true, "sweep", 0, NULL, ZOWN_UNKNOWN_OP);
            s_refused (env, "unknown, batched", code, false, "", 0, NULL, ZOWN_UNKNOWN_OP);
            continue;
        }
        known++;
        timeouts += s_sweep_op (env, entry, argv);
    }
    assert_true (known > 0);
    //  QUEUE_PUT, _GET, _GET_MANY, _JOIN, EVENT_WAIT, LOCK_ and RLOCK_ACQUIRE,
    //  SEMAPHORE_ACQUIRE, BARRIER_WAIT, CONDITION_WAIT
    assert_int_equal (timeouts, 10);
    //  Hundreds of refusals, and nothing applied.
    assert_int_equal (s_owner_int (env, ZOWN_OP_SEQ), seq);
    assert_int_equal (s_object_count (env), 0);

    //  Just inside the wire's limit: DICT_UPDATE with its most arguments
    //  (one key, set over and over, so that max_items does not refuse it).
    const s_manifest_t *update = s_manifest_find (ZOWN_OP_DICT_UPDATE);
    for (size_t index = 0; index < update->max; index++)
        argv [index] = index % 2 ? zown_datum_int ((int64_t) index) : zown_datum_str ("k");
    zown_reply_t *reply = s_one (env, ZOWN_OP_DICT_UPDATE, "sweep", update->max, argv);
    assert_int_equal (zown_reply_status (reply), ZOWN_OK);
    assert_int_equal (zown_reply_value (reply, 0, 0).u.i, (int64_t) update->max / 2);
    free (argv);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_rows, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_manifest_sweep, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_array_cap, s_setup_uncapped, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
