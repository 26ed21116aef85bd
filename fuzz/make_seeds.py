#!/usr/bin/env python3
"""Writes the fuzzers' seed corpus: real requests, replies and change
records encoded as docs/PROTOCOL.md says, so that the fuzzers start from
every op code instead of having to guess the format.

    fuzz/make_seeds.py    # rewrites fuzz/corpus/codec and fuzz/corpus/registry

The registry target reads `u16 length, u8 who, frame` steps
(fuzz/fuzz_registry.c): who is the client (0 none, 1..3), 0x04 a REQ
envelope, 0x08 rejected as a multi-frame request, 0x10 (first step) no
journal, 0x20 no feed subscriber for this frame, 0x40 expire deadlines
after the frame, 0x80 that client's process dies after the frame.
Standard library only; the output is the same on every run.
"""
import os
import re
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
REJECT, NO_LOG, QUIET, EXPIRE, DIES = 0x08, 0x10, 0x20, 0x40, 0x80
INT64_MAX = 2**63 - 1


def read_manifest():
    """Op name -> code, from the op manifest (include/zown_ops.def)."""
    ops = {}
    with open(os.path.join(HERE, '..', 'include', 'zown_ops.def')) as manifest:
        for line in manifest:
            match = re.match(r'ZOWN_OP \((\w+),\s*(0x[0-9A-Fa-f]+),', line)
            if match:
                ops[match.group(1)] = int(match.group(2), 16)
    return ops


OP = read_manifest()


def value(v):
    """One value (2.1): None, int, float or bytes."""
    if v is None:
        return b'\x00'
    if isinstance(v, int):
        return struct.pack('>Bq', 1, v)
    if isinstance(v, float):
        return struct.pack('>Bd', 2, v)
    return struct.pack('>BI', 3, len(v)) + v


USED = set()  # op codes that op() encoded


def op(name, obj=b'', *args):
    """One op of a request (2.2)."""
    USED.add(OP[name])
    return (struct.pack('>BB', OP[name], len(obj)) + obj + struct.pack('>H', len(args))
            + b''.join(value(a) for a in args))


def request(rid, *ops, kind=1):
    """A request (2.2): kind 1 all or nothing, kind 3 independent ops."""
    return struct.pack('>2sBBQH', b'ZO', 1, kind, rid, len(ops)) + b''.join(ops)


def reply(rid, status, *results):
    """A reply (2.3); results are (status, [values])."""
    out = struct.pack('>2sBBQBH', b'ZO', 1, 2, rid, status, len(results))
    for st, vals in results:
        out += struct.pack('>BI', st, len(vals)) + b''.join(value(v) for v in vals)
    return out


def change(name, kind, seq, version, code, *vals):
    """A change record in journal form (runtime/wire/codec.h)."""
    body = b''.join(value(v) for v in vals)
    return (struct.pack('>B', len(name)) + name + struct.pack('>BQQBHI', kind, seq, version, code,
                                                             len(vals), len(body)) + body)


def steps(*items):
    """Registry target input: (who, frame) steps."""
    return b''.join(struct.pack('>HB', len(frame), who) + frame for who, frame in items)


def tight(data):
    """The same steps under tight limits: the top bit of the first length."""
    return bytes([data[0] | 0x80]) + data[1:]


def one(who, rid, name, obj=b'', *args):
    return who, request(rid, op(name, obj, *args))


FOREVER = -1
SET, DEL, CLEAR, DROP, OPREC, VERSION = 1, 2, 3, 4, 5, 7

CODEC = {
    'req_value_add': request(1, op('VALUE_ADD', b'counter', 1)),
    'req_dict_get': request(2, op('DICT_GET', b'config', b'missing')),
    'req_dict_set': request(3, op('DICT_SET', b'config', b'retries', 3)),
    'req_list_ops': request(4, op('LIST_EXTEND', b'l', 1, 2.5, b'x', None),
                            op('LIST_RANGE', b'l', 0, -1)),
    'req_batch': request(5, op('DICT_SET', b'd', b'k', b'v'), op('VALUE_ADD', b'v', 1.0),
                         op('LIST_APPEND', b'l', None)),
    'req_independent': request(8, op('VALUE_ADD', b'v', 1), op('DICT_DEL', b'd', b'k'),
                               op('QUEUE_GET', b'q', 1000), kind=3),
    'req_queue': request(6, op('QUEUE_PUT', b'q', b'job', 1000)),
    'req_lock': request(7, op('LOCK_ACQUIRE', b'm', FOREVER)),
    'req_bad_version': struct.pack('>2sBBQH', b'ZO', 2, 1, 3, 1),
    'reply_value_add': reply(1, 0, (0, [1])),
    'reply_not_found': reply(2, 1, (1, [b'no such key'])),
    'reply_failed_batch': reply(7, 2, (10, []), (2, [b'value holds the other number type'])),
    'changes': (change(b'd', SET, 1, 1, OP['DICT_SET'], b'k', 1)
                + change(b'v', SET, 2, 1, OP['VALUE_SET'], None, 2.5)
                + change(b'l', OPREC, 3, 1, OP['LIST_APPEND'], b'x')
                + change(b'd', DEL, 4, 2, OP['DICT_DEL'], b'k')),
    'feed_header': struct.pack('>2sBBQQB', b'ZF', 1, SET, 9, 4, OP['DICT_SET']),
}

D, V, L, A = b'd', b'v', b'l', b'a'
USED.clear()
REGISTRY = {
    'owner': steps(one(0, 1, 'PING'), one(1, 0, 'HELLO', b'', 1), one(1, 2, 'STATS'),
                   one(1, 3, 'DICT_SET', D, b'k', 1), one(1, 4, 'OBJECTS'), one(1, 5, 'SEQ'),
                   one(1, 6, 'MARK', b'', b'token'), one(1, 7, 'TYPE', D), one(1, 8, 'DROP', D),
                   one(1, 9, 'TYPE', D), one(1, 10, 'FEED'), one(1, 11, 'BYE')),
    'dict': steps(one(1, 1, 'DICT_SET', D, b'a', 1), one(1, 2, 'DICT_GET', D, b'a'),
                  one(1, 3, 'DICT_GET_OR', D, b'b', None), one(1, 4, 'DICT_CONTAINS', D, b'a'),
                  one(1, 5, 'DICT_SET_IF_ABSENT', D, b'b', 2.0),
                  one(1, 6, 'DICT_UPDATE', D, b'c', b'x', b'a', 5),
                  one(1, 7, 'DICT_ADD', D, b'a', 1), one(1, 8, 'DICT_CAS', D, b'a', 4, 7),
                  one(1, 9, 'DICT_LEN', D), one(1, 10, 'DICT_KEYS', D),
                  one(1, 11, 'DICT_ITEMS', D), one(1, 12, 'DICT_DEL', D, b'c'),
                  one(1, 13, 'DICT_CLEAR', D)),
    'value': steps(one(1 | NO_LOG, 1, 'VALUE_SET', V, 5), one(1 | QUIET, 2, 'VALUE_ADD', V, 1),
                   one(1, 3, 'VALUE_CAS', V, 6, 7), one(1, 4, 'VALUE_CAS', V, 1, 2),
                   one(1, 5, 'VALUE_GET', V), one(1, 6, 'VALUE_ADD', V, 1.5),
                   one(1, 7, 'VALUE_SET', V, INT64_MAX), one(1, 8, 'VALUE_ADD', V, 1),
                   one(1, 9, 'DICT_ADD', D, b'k', INT64_MAX), one(1, 10, 'DICT_ADD', D, b'k', 1)),
    'list': steps(one(1, 1, 'LIST_APPEND', L, 1), one(1, 2, 'LIST_EXTEND', L, b'x', 2.0, None),
                  one(1, 3, 'LIST_INSERT', L, -1, 7), one(1, 4, 'LIST_GET', L, 0),
                  one(1, 5, 'LIST_SET', L, 1, b'y'), one(1, 6, 'LIST_POP', L),
                  one(1, 7, 'LIST_POP', L, 0), one(1, 8, 'LIST_REMOVE', L, b'y'),
                  one(1, 9, 'LIST_INDEX', L, 7), one(1, 10, 'LIST_LEN', L),
                  one(1, 11, 'LIST_RANGE', L, 0, 10), one(1, 12, 'LIST_CLEAR', L)),
    'array': steps(one(1, 1, 'ARRAY_CREATE', A, 1100, 0), one(1, 2, 'ARRAY_SET', A, 3, 9),
                   one(1, 3, 'ARRAY_ADD', A, 3, 1), one(1, 4, 'ARRAY_GET', A, 3),
                   one(1, 5, 'ARRAY_WRITE', A, 1, 4, 5), one(1, 6, 'ARRAY_READ', A, 0, 5),
                   one(1, 7, 'ARRAY_LEN', A), one(1, 8, 'ARRAY_SNAPSHOT', A),
                   one(1, 9, 'ARRAY_SET', A, 0, INT64_MAX), one(1, 10, 'ARRAY_ADD', A, 0, 1)),
    'event': steps(one(2, 1, 'EVENT_WAIT', b'e', FOREVER), one(3, 1, 'EVENT_WAIT', b'e', 5000),
                   one(1, 2, 'EVENT_IS_SET', b'e'), one(1, 3, 'EVENT_SET', b'e'),
                   one(1, 4, 'EVENT_CLEAR', b'e'), one(2, 2, 'EVENT_WAIT', b'e', FOREVER),
                   one(1, 5, 'DROP', b'e')),
    'lock': steps(one(1, 0, 'HELLO', b'', 1), one(1, 1, 'LOCK_ACQUIRE', b'm', FOREVER),
                  one(2, 1, 'LOCK_ACQUIRE', b'm', FOREVER), one(3, 1, 'LOCK_LOCKED', b'm'),
                  (1 | DIES, request(2, op('PING'))), one(2, 2, 'LOCK_RELEASE', b'm'),
                  one(1, 3, 'RLOCK_ACQUIRE', b'r', 0), one(1, 4, 'RLOCK_ACQUIRE', b'r', 0),
                  one(1, 5, 'RLOCK_LOCKED', b'r'), one(1, 6, 'RLOCK_RELEASE', b'r'),
                  one(1, 7, 'RLOCK_RELEASE', b'r')),
    'queue': steps(one(1, 1, 'QUEUE_INIT', b'q', 2), one(1, 2, 'QUEUE_PUT', b'q', b'a', 0),
                   one(1, 3, 'QUEUE_PUT', b'q', 2, 0), one(2, 1, 'QUEUE_PUT', b'q', None, FOREVER),
                   one(1, 4, 'QUEUE_GET', b'q', 0), one(1, 5, 'QUEUE_GET_MANY', b'q', 5, 0),
                   one(1, 6, 'QUEUE_SIZE', b'q'), one(3, 1, 'QUEUE_JOIN', b'q', FOREVER),
                   one(1, 7, 'QUEUE_TASK_DONE', b'q'), one(1, 8, 'QUEUE_TASK_DONE', b'q'),
                   one(1, 9, 'QUEUE_TASK_DONE', b'q'), one(2, 2, 'QUEUE_GET', b'q', FOREVER),
                   one(1, 10, 'QUEUE_PUT', b'q', 1.5, 0)),
    'semaphore': steps(one(1, 1, 'SEMAPHORE_INIT', b's', 1, 1), one(1, 2, 'SEMAPHORE_ACQUIRE', b's', 1, 0),
                       one(2, 1, 'SEMAPHORE_ACQUIRE', b's', 1, FOREVER), one(1, 3, 'SEMAPHORE_VALUE', b's'),
                       one(1, 4, 'SEMAPHORE_RELEASE', b's', 1), one(2 | DIES, 2, 'SEMAPHORE_VALUE', b's')),
    'barrier': steps(one(1, 1, 'BARRIER_INIT', b'b', 2), one(1, 2, 'BARRIER_WAIT', b'b', FOREVER),
                     one(2, 1, 'BARRIER_WAIT', b'b', FOREVER), one(3, 1, 'BARRIER_STATE', b'b'),
                     one(1, 3, 'BARRIER_WAIT', b'b', FOREVER), one(2, 2, 'BARRIER_ABORT', b'b'),
                     one(2, 3, 'BARRIER_RESET', b'b')),
    'condition': steps(one(1, 1, 'LOCK_ACQUIRE', b'm', 0), one(1, 2, 'CONDITION_WAIT', b'c', b'm', FOREVER),
                       one(2, 1, 'LOCK_ACQUIRE', b'm', 0), one(2, 2, 'CONDITION_NOTIFY', b'c', b'm', -1),
                       one(2, 3, 'LOCK_RELEASE', b'm'), one(1, 3, 'LOCK_RELEASE', b'm')),
    'batch': steps((1, request(1, op('DICT_SET', D, b'k', 1), op('VALUE_ADD', V, 2),
                               op('LIST_APPEND', L, b'x'), op('QUEUE_PUT', b'q', 1, 0))),
                   (1, request(2, op('VALUE_ADD', V, 1), op('VALUE_ADD', V, 1.0))),
                   (1, request(3, op('DROP', D), op('QUEUE_GET', b'q', 0), op('EVENT_WAIT', b'e', 0))),
                   (1, request(4, op('DICT_SET', D, b'k', 2), op('LOCK_ACQUIRE', b'm', 0)))),
    # Batches that change every type, then fail on their last op: all
    # rolls back. The last batch commits its clears.
    'rollback': steps(one(1, 1, 'DICT_UPDATE', D, b'a', 1, b'b', 2),
                      one(1, 2, 'LIST_EXTEND', L, 1, 2, 3),
                      one(1, 3, 'ARRAY_CREATE', A, 4, 0.5),
                      one(1, 4, 'QUEUE_PUT', b'q', b'x', 0), one(1, 5, 'VALUE_SET', V, 1),
                      (1, request(6, op('DICT_SET', D, b'c', 3), op('DICT_DEL', D, b'a'),
                                  op('DICT_ADD', D, b'b', 1), op('DICT_CAS', D, b'b', 0, 9),
                                  op('DICT_SET_IF_ABSENT', D, b'd', None),
                                  op('DICT_CLEAR', D), op('DROP', b'missing'))),
                      (1, request(7, op('LIST_APPEND', L, 4), op('LIST_INSERT', L, 0, 0),
                                  op('LIST_SET', L, 1, b'y'), op('LIST_POP', L),
                                  op('LIST_REMOVE', L, 2), op('LIST_CLEAR', L),
                                  op('DROP', b'missing'))),
                      (1, request(8, op('ARRAY_SET', A, 0, 1.5), op('ARRAY_ADD', A, 1, 1.0),
                                  op('ARRAY_WRITE', A, 2, 7.0, 8.0), op('DROP', b'missing'))),
                      (1, request(9, op('QUEUE_PUT', b'q', b'y', 0), op('QUEUE_GET', b'q', 0),
                                  op('QUEUE_TASK_DONE', b'q'), op('EVENT_SET', b'e'),
                                  op('VALUE_ADD', V, 1), op('DROP', D), op('DROP', b'missing'))),
                      (1, request(10, op('DICT_CLEAR', D), op('LIST_CLEAR', L), op('DROP', A),
                                  op('QUEUE_GET', b'q', 0)))),
    # A batch that would wake a waiter, then rolls back: it wakes nobody.
    'wake_rollback': steps(one(2, 1, 'EVENT_WAIT', b'e', FOREVER),
                           one(3, 1, 'QUEUE_GET', b'q', FOREVER),
                           (1, request(1, op('EVENT_SET', b'e'), op('QUEUE_PUT', b'q', 1, 0),
                                       op('DROP', b'missing'))),
                           one(1, 2, 'QUEUE_PUT', b'q', 2, 0)),
    # A queue's ring wraps, then grows past its first 16 slots.
    'queue_ring': steps(one(1, 1, 'QUEUE_PUT', b'q', 0, 0), one(1, 2, 'QUEUE_GET', b'q', 0),
                        (1, request(3, *[op('QUEUE_PUT', b'q', n, 0) for n in range(20)])),
                        one(1, 4, 'QUEUE_GET_MANY', b'q', 30, 0)),
    # A joinable queue, 2 deliveries at most (item ids: the versions of the
    # puts, 2, 3, 4): leases to two clients, an ack by id and a task_done,
    # a client that dies holding an item (it comes back), another that dies
    # on its last delivery (it goes to j.dead); journal forms from a client
    # are refused.
    'joinable': steps(one(1, 1, 'QUEUE_INIT', b'j', 0, 1, 2), one(1, 2, 'QUEUE_PUT', b'j', b'a', 0),
                      one(1, 3, 'QUEUE_PUT', b'j', b'b', 0), one(1, 4, 'QUEUE_PUT', b'j', b'c', 0),
                      one(2, 1, 'QUEUE_GET_MANY', b'j', 2, 0), one(1, 5, 'QUEUE_GET', b'j', 0),
                      one(1, 6, 'QUEUE_ACK', b'j', 4), one(3, 1, 'QUEUE_JOIN', b'j', FOREVER),
                      one(2 | DIES, 2, 'QUEUE_TASK_DONE', b'j'),
                      one(3 | DIES, 2, 'QUEUE_GET', b'j', 0),
                      one(1, 7, 'QUEUE_DELIVERED', b'j', 2), one(1, 8, 'QUEUE_RESTORE', b'j', 9, 0, 1),
                      one(1, 9, 'QUEUE_GET', b'j.dead', 0), one(0, 10, 'QUEUE_ACK', b'j', 3)),
    # Deadlines: waits that expire (0x40), a barrier broken by one.
    'expire': steps(one(1, 1, 'BARRIER_INIT', b'b', 3), one(1, 2, 'BARRIER_WAIT', b'b', 1),
                    one(2, 1, 'QUEUE_GET', b'q', 1), one(3, 1, 'EVENT_WAIT', b'e', 1),
                    (REJECT, request(9, op('PING'))),
                    (EXPIRE, b''), (2, request(2, op('BARRIER_WAIT', b'b', 0)))),
    'bad_frames': steps((1, b'XX\x01\x01'), (1, struct.pack('>2sBBQH', b'ZO', 2, 1, 3, 1)),
                        (1, request(4, op('PING')) + b'\x00'), (1, request(5)),
                        (1, request(6, b'\xff\x00\x00\x00')),
                        (1, request(7, op('DICT_GET', b'a\x00b', b'k'))),
                        (1, request(8, op('DICT_GET', D, b'k'))[:-2]), (5, b'')),
    # Under tight limits (fuzz_registry.c, S_TIGHT): too many items, a long
    # key, too many objects in a batch (all rolls back), a long value, and
    # one parked request more than a client may have.
    'limits': tight(steps(one(1, 1, 'DICT_UPDATE', D, b'a', 1, b'b', 2, b'c', 3, b'd', 4, b'e', 5),
                          one(1, 2, 'DICT_SET', D, b'a long key', 1),
                          (1, request(3, *[op('VALUE_SET', b'v%d' % n, n) for n in range(5)])),
                          one(1, 4, 'LIST_APPEND', L, b'x' * 65),
                          one(2, 1, 'EVENT_WAIT', b'e', FOREVER),
                          one(2, 2, 'EVENT_WAIT', b'e', FOREVER),
                          one(2, 3, 'EVENT_WAIT', b'e', FOREVER),
                          one(1, 5, 'EVENT_SET', b'e'))),
    'journal': (change(D, SET, 1, 1, OP['DICT_SET'], b'k', 1)
                + change(V, SET, 2, 1, OP['VALUE_SET'], None, 2.5)
                + change(L, OPREC, 3, 1, OP['LIST_EXTEND'], b'x', 2)
                + change(b'q', OPREC, 4, 1, OP['QUEUE_PUT'], b'job', 0)
                + change(D, DEL, 5, 2, OP['DICT_DEL'], b'k')
                + change(b'e', OPREC, 6, 1, OP['EVENT_SET'])
                + change(A, OPREC, 7, 1, OP['ARRAY_CREATE'], 4, 1.0)
                + change(D, VERSION, 8, 9, OP['DICT_SET'])
                + change(V, DROP, 9, 0, OP['DROP'])),
    # A joinable queue's journal forms: a snapshot's items, a get, an ack.
    'joinable_journal': (change(b'j', OPREC, 1, 3, OP['QUEUE_INIT'], 0, 1, 5)
                         + change(b'j', OPREC, 2, 3, OP['QUEUE_RESTORE'], 2, 1, b'a')
                         + change(b'j', OPREC, 3, 3, OP['QUEUE_RESTORE'], 3, 0, b'b')
                         + change(b'j', VERSION, 4, 3, OP['QUEUE_INIT'])
                         + change(b'j', OPREC, 5, 4, OP['QUEUE_DELIVERED'], 2, 3)
                         + change(b'j', OPREC, 6, 5, OP['QUEUE_ACK'], 2)
                         + change(b'j', OPREC, 7, 6, OP['QUEUE_PUT'], b'c', 0)),
}


def write(directory, seeds):
    path = os.path.join(HERE, 'corpus', directory)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    for name, data in sorted(seeds.items()):
        with open(os.path.join(path, name), 'wb') as out:
            out.write(data)


# The registry seeds reach every op code of include/zown_ops.h.
assert USED == set(OP.values()), sorted(set(OP.values()) - USED)

if __name__ == '__main__':
    write('codec', CODEC)
    write('registry', REGISTRY)
