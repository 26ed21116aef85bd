/*  =========================================================================
    zown_internal - the one header zown's own .c files include
    =========================================================================
*/
#ifndef ZOWN_INTERNAL_H_INCLUDED
#define ZOWN_INTERNAL_H_INCLUDED

#define _GNU_SOURCE
#include <czmq.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pthread.h>
#include <sys/socket.h>

#include "zown.h"
#include "codec.h"
#include "registry.h"

//  Set the calling thread's status (zown_errno) and return -1.
int zown_fail (int status);
//  Same, returning NULL, for constructors.
void *zown_fail_null (int status);
//  Reset the calling thread's status to ZOWN_OK and return 0.
int zown_ok (void);

//  A datum that owns its bytes (a malloc'd copy), as the types store them:
//  copy in (-1 if out of memory, target then unset) and release.
int zown_datum_own (zown_datum_t *target, zown_datum_t source);
void zown_datum_release (zown_datum_t *datum);

//  How many fork()s separate this process from the first one that used zown
//  (0 there); a handle made in another generation is not ours to use.
unsigned zown_fork_generation (void);

//  The ZeroMQ context of this process for zown sockets, made anew in a
//  forked child so a child never uses its parent's context (docs/FORK.md).
//  NULL with ZOWN_SYSTEM.
void *zown_ctx (void);

//  Reply internals, filled by the client.
struct _zown_reply_t {
    uint64_t id;                  //  Request id answered
    uint8_t status;               //  Overall status
    zown_result_view_t *results;  //  One per op
    size_t result_count;
    size_t results_capacity;
    zown_datum_t *values;  //  Every value of every result
    size_t values_capacity;
};

void zown_reply_init (zown_reply_t *self);
void zown_reply_fini (zown_reply_t *self);
//  Decode a reply frame into self (reusing its arrays); -1 if malformed.
int zown_reply_decode (zown_reply_t *self, const void *data, size_t size);

//  Request internals, read by the client.
const zown_buf_t *zown_request_buffer (zown_request_t *self);
//  Write the request id and op count into the buffer before sending.
void zown_request_seal (zown_request_t *self, uint64_t id);

//  Monotonic clock, in milliseconds.
int64_t zown_now_ms (void);
//  The deadline timeout_ms from now; -1 for ZOWN_FOREVER (any negative).
int64_t zown_deadline_ms (int timeout_ms);
//  Milliseconds left until a deadline: ZOWN_FOREVER for none, 0 once it
//  has passed, at most INT32_MAX.
int zown_left_ms (int64_t deadline);

//  A byte-string key (it may hold zeros) of a table from zown_key_table_new.
typedef struct {
    const uint8_t *ptr;
    size_t len;
} zown_key_t;
//  A zhashx table keyed by zown_key_t: a key is copied with its bytes on
//  insert; items are freed by `destructor` (may be NULL). Hashed with FNV-1a
//  from a per-process random basis, so chains differ from run to run.
zhashx_t *zown_key_table_new (zhashx_destructor_fn *destructor);
//  A copy of a key and its bytes, in one allocation (free it with free);
//  NULL if out of memory.
zown_key_t *zown_key_dup (const zown_key_t *key);
//  Set an int socket option; 0, or -1 (zmq_errno) as zmq_setsockopt.
int zown_set_int (void *socket, int option, int value);

//  This host's boot id (/proc/sys/kernel/random/boot_id: 36 characters, no
//  NUL, new at every boot) in id; returns its length, 0 if unknown. A pid
//  means a process of the owner's own only with the owner's boot id.
#define ZOWN_BOOT_ID_SIZE 36
size_t zown_boot_id (char *id);
//  A PAIR receiving the `events` of socket (zmq_socket_monitor), or NULL
//  with ZOWN_SYSTEM. libzmq sends events with a blocking send from its own
//  threads: the PAIR queues without limit, so an unread event never stalls
//  them, and zown_monitor_stop must come before the socket is closed.
void *zown_monitor_new (void *socket, int events);
//  Stop monitoring socket and close the PAIR; accepts NULL, nulls it.
void zown_monitor_stop (void *socket, void **monitor_p);
//  Validated owner names and their run-directory paths (runtime/process.c)
bool zown_name_valid (const char *name);
//  Directory for ipc sockets, created 0700 if missing; caller frees.
char *zown_rundir (void);
//  Bind socket to "ipc://" + path, file mode 0600, unless a live socket
//  already answers at path (ZOWN_ADDR_IN_USE); a stale file is replaced.
//  Returns ZOWN_OK or the failure's status (not -1).
int zown_ipc_bind (void *socket, const char *path);
//  Remove the socket file at path, under the same lock as zown_ipc_bind.
void zown_ipc_unlink (const char *path);

//  Calls one op with the client's own request object. A failed op still
//  sets *reply_p when the owner answered (CONFLICT carries values).
int zown_client_call_op (zown_client_t *self, zown_op_t op, const char *name, size_t argc,
                         const zown_datum_t *argv, zown_reply_t **reply_p);

//  The same for an op the owner may hold up to wait_ms (-1: no limit)
//  before it answers: the call's deadline is extended by that much.
int zown_client_call_op_wait (zown_client_t *self, zown_op_t op, const char *name, size_t argc,
                              const zown_datum_t *argv, int64_t wait_ms, zown_reply_t **reply_p);

//  What every typed handle is: a client and an object name, no data.
typedef struct {
    zown_client_t *client;                 //  Borrowed
    char name [ZOWN_OBJECT_NAME_MAX + 1];  //  Object name
} zown_handle_t;

//  Allocate a handle of `size` bytes starting with a zown_handle_t.
void *zown_handle_new (size_t size, zown_client_t *client, const char *name);
void zown_handle_destroy (void **self_p);
//  Call one op on the handle's object; expects at least `values` values in
//  a successful result (ZOWN_PROTOCOL otherwise).
int zown_handle_call (zown_handle_t *self, zown_op_t op, size_t argc, const zown_datum_t *argv,
                      size_t values, zown_reply_t **reply_p);
//  The same for a blocking op the owner may hold up to wait_ms.
int zown_handle_call_wait (zown_handle_t *self, zown_op_t op, size_t argc, const zown_datum_t *argv,
                           size_t values, int64_t wait_ms, zown_reply_t **reply_p);
//  Value `index` of the first result as an int64 / any number; -1 with
//  ZOWN_PROTOCOL or ZOWN_WRONG_TYPE if it is not one.
int zown_handle_int (zown_reply_t *reply, size_t index, int64_t *value_p);
//  A C string key as a datum; -1 with ZOWN_INVALID for NULL.
int zown_handle_key (const char *key, zown_datum_t *datum);

//  Test hook (tests/test_replica.c): the replica throws away the next
//  `records` change records it receives, as if the feed had lost them.
void zown_replica_lose (zown_replica_t *self, size_t records);

#endif
