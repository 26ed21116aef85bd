/*  =========================================================================
    zown_error - the one error convention of zown

    Every zown call that can fail returns -1 (or NULL) and leaves a status
    code for the calling thread, read with zown_errno() and described with
    zown_strerror(). The codes below 64 travel on the wire as the status of a
    reply (docs/PROTOCOL.md); the codes from 64 up are produced by the client
    library itself and never appear on the wire.
    =========================================================================
*/
#ifndef ZOWN_ERROR_H_INCLUDED
#define ZOWN_ERROR_H_INCLUDED

#include "zown_export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    ZOWN_OK = 0,  //  Success
    //  Wire statuses (an owner replies with these)
    ZOWN_NOT_FOUND = 1,      //  No such object, or no such key
    ZOWN_WRONG_TYPE = 2,     //  Object or stored value is of another type
    ZOWN_BAD_REQUEST = 3,    //  Malformed message: signature, framing, truncation
    ZOWN_BAD_VERSION = 4,    //  Protocol version not spoken by this owner
    ZOWN_UNKNOWN_OP = 5,     //  Op code not in the command table
    ZOWN_BAD_ARGS = 6,       //  Wrong argument count, argument type or name
    ZOWN_TOO_LARGE = 7,      //  A request, key or byte string over the owner's size limits
    ZOWN_CONFLICT = 8,       //  Compare-and-swap saw another value or version
    ZOWN_OVERFLOW = 9,       //  Integer arithmetic would overflow int64
    ZOWN_ABORTED = 10,       //  Op of a batch that failed elsewhere; not applied
    ZOWN_TIMEOUT = 11,       //  No reply (client) or no completion (parked ops) in time
    ZOWN_NO_MEMORY = 12,     //  Out of memory; the op was not applied
    ZOWN_OUT_OF_RANGE = 13,  //  Index or range outside a list or array
    ZOWN_NOT_HELD = 14,      //  Releasing a lock the caller does not hold
    ZOWN_BROKEN = 15,        //  Barrier broken: aborted, reset, or a party left
    ZOWN_NOT_DURABLE = 16,   //  The owner cannot write its journal: the write was undone
    ZOWN_LIMIT = 17,         //  An owner limit was reached: objects, items, parked requests
    ZOWN_NO_SESSION = 18,    //  The owner has no session for this client: say HELLO again
    ZOWN_DEADLOCK = 19,      //  Acquiring a lock the caller holds already (not reentrant)
    //  Client-side statuses (never on the wire)
    ZOWN_UNREACHABLE = 64,  //  No owner accepted the request within the deadline
    ZOWN_FORKED = 65,       //  Handle created in another process (see docs/FORK.md)
    ZOWN_INVALID = 66,      //  Invalid argument to an API call
    ZOWN_BUSY = 67,         //  Too many requests or tasks pending, or a call while some are
    ZOWN_ADDR_IN_USE = 68,  //  A live owner already serves that endpoint
    ZOWN_SYSTEM = 69,       //  Operating-system or libzmq failure (errno kept)
    ZOWN_PROTOCOL = 70,     //  The owner sent a reply this client cannot decode
    ZOWN_THREADED = 71,     //  Fork server asked for in a process already running threads
    ZOWN_TASK_FAILED = 72,  //  The task function reported a failure
    ZOWN_WORKER_DIED = 73,  //  The worker running the task died, on every attempt
    ZOWN_CLOSED = 74,       //  Pool closed or terminated: the task was refused or never ran
    ZOWN_DENIED = 75,       //  The owner refused this client's CURVE handshake (key or server key)
    ZOWN_CANCELLED =
        76,  //  Pool cancelled (zown_pool_cancel): the task never ran, or was cut short
    ZOWN_UPDATES_FAILED =
        77  //  Buffered updates failed since the last report (zown_client_failures)
} zown_status_t;

//  Status code of the last failed zown call on this thread.
ZOWN_EXPORT int zown_errno (void);

//  Uppercase name of a status code, as in docs/PROTOCOL.md ("NOT_FOUND").
//  Returns "UNKNOWN" for a code that is not defined. Never NULL.
ZOWN_EXPORT const char *zown_status_name (int status);

//  One-line description of a status code. Never NULL.
ZOWN_EXPORT const char *zown_strerror (int status);

#ifdef __cplusplus
}
#endif

#endif
