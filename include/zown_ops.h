/*  =========================================================================
    zown_ops - wire op codes, for building requests by hand (zown_request)

    The typed handles (zown_dict, zown_value) build these for you. The
    arguments and replies of every op are listed in docs/PROTOCOL.md.
    =========================================================================
*/
#ifndef ZOWN_OPS_H_INCLUDED
#define ZOWN_OPS_H_INCLUDED

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    //  Owner administration; these take an empty object name
    ZOWN_OP_PING = 0x01,
    ZOWN_OP_STATS = 0x02,
    ZOWN_OP_OBJECTS = 0x03,
    ZOWN_OP_HELLO = 0x04,
    ZOWN_OP_BYE = 0x05,
    ZOWN_OP_SEQ = 0x06,
    ZOWN_OP_MARK = 0x07,
    //  Any object, by name
    ZOWN_OP_TYPE = 0x08,
    ZOWN_OP_DROP = 0x09,
    //  dict
    ZOWN_OP_DICT_SET = 0x10,
    ZOWN_OP_DICT_GET = 0x11,
    ZOWN_OP_DICT_GET_OR = 0x12,
    ZOWN_OP_DICT_DEL = 0x13,
    ZOWN_OP_DICT_CONTAINS = 0x14,
    ZOWN_OP_DICT_LEN = 0x15,
    ZOWN_OP_DICT_KEYS = 0x16,
    ZOWN_OP_DICT_ITEMS = 0x17,
    ZOWN_OP_DICT_CLEAR = 0x18,
    ZOWN_OP_DICT_SET_IF_ABSENT = 0x19,
    ZOWN_OP_DICT_UPDATE = 0x1A,
    ZOWN_OP_DICT_ADD = 0x1B,
    ZOWN_OP_DICT_CAS = 0x1C,
    //  value
    ZOWN_OP_VALUE_GET = 0x20,
    ZOWN_OP_VALUE_SET = 0x21,
    ZOWN_OP_VALUE_ADD = 0x22,
    ZOWN_OP_VALUE_CAS = 0x23,
    //  list
    ZOWN_OP_LIST_APPEND = 0x30,
    ZOWN_OP_LIST_EXTEND = 0x31,
    ZOWN_OP_LIST_INSERT = 0x32,
    ZOWN_OP_LIST_GET = 0x33,
    ZOWN_OP_LIST_SET = 0x34,
    ZOWN_OP_LIST_POP = 0x35,
    ZOWN_OP_LIST_REMOVE = 0x36,
    ZOWN_OP_LIST_INDEX = 0x37,
    ZOWN_OP_LIST_LEN = 0x38,
    ZOWN_OP_LIST_RANGE = 0x39,
    ZOWN_OP_LIST_CLEAR = 0x3A,
    //  array
    ZOWN_OP_ARRAY_CREATE = 0x40,
    ZOWN_OP_ARRAY_GET = 0x41,
    ZOWN_OP_ARRAY_SET = 0x42,
    ZOWN_OP_ARRAY_ADD = 0x43,
    ZOWN_OP_ARRAY_READ = 0x44,
    ZOWN_OP_ARRAY_WRITE = 0x45,
    ZOWN_OP_ARRAY_SNAPSHOT = 0x46,
    ZOWN_OP_ARRAY_LEN = 0x47,
    //  event
    ZOWN_OP_EVENT_SET = 0x50,
    ZOWN_OP_EVENT_CLEAR = 0x51,
    ZOWN_OP_EVENT_IS_SET = 0x52,
    ZOWN_OP_EVENT_WAIT = 0x53,
    //  lock
    ZOWN_OP_LOCK_ACQUIRE = 0x60,
    ZOWN_OP_LOCK_RELEASE = 0x61,
    ZOWN_OP_LOCK_LOCKED = 0x62,
    //  rlock
    ZOWN_OP_RLOCK_ACQUIRE = 0x64,
    ZOWN_OP_RLOCK_RELEASE = 0x65,
    ZOWN_OP_RLOCK_LOCKED = 0x66,
    //  semaphore
    ZOWN_OP_SEM_INIT = 0x80,
    ZOWN_OP_SEM_ACQUIRE = 0x81,
    ZOWN_OP_SEM_RELEASE = 0x82,
    ZOWN_OP_SEM_VALUE = 0x83,
    //  barrier
    ZOWN_OP_BARRIER_INIT = 0x90,
    ZOWN_OP_BARRIER_WAIT = 0x91,
    ZOWN_OP_BARRIER_ABORT = 0x92,
    ZOWN_OP_BARRIER_RESET = 0x93,
    ZOWN_OP_BARRIER_STATE = 0x94,
    //  condition
    ZOWN_OP_COND_WAIT = 0xA0,
    ZOWN_OP_COND_NOTIFY = 0xA1,
    //  queue
    ZOWN_OP_QUEUE_INIT = 0x70,
    ZOWN_OP_QUEUE_PUT = 0x71,
    ZOWN_OP_QUEUE_GET = 0x72,
    ZOWN_OP_QUEUE_GET_MANY = 0x73,
    ZOWN_OP_QUEUE_SIZE = 0x74,
    ZOWN_OP_QUEUE_TASK_DONE = 0x75,
    ZOWN_OP_QUEUE_JOIN = 0x76
} zown_op_t;

#ifdef __cplusplus
}
#endif

#endif
