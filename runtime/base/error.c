/*  =========================================================================
    error - the calling thread's last status, and status names
    =========================================================================
*/
#include "zown_internal.h"

static _Thread_local int s_status;
//  What the last failure said beyond its status ("" for most)
static _Thread_local char s_detail [256];

int
zown_fail (int status)
{
    s_status = status;
    s_detail [0] = 0;
    return -1;
}

void *
zown_fail_null (int status)
{
    zown_fail (status);
    return NULL;
}

int
zown_fail_detail (int status, const char *format, ...)
{
    s_status = status;
    va_list args;
    va_start (args, format);
    vsnprintf (s_detail, sizeof (s_detail), format, args);
    va_end (args);
    return -1;
}

const char *
zown_fail_detail_text (void)
{
    return s_detail;
}

int
zown_ok (void)
{
    s_status = ZOWN_OK;
    return 0;
}

int
zown_errno (void)
{
    return s_status;
}

typedef struct {
    int status;
    const char *name;
    const char *text;
} s_status_info_t;

static const s_status_info_t s_statuses [] = {
    { ZOWN_OK, "OK", "success" },
    { ZOWN_NOT_FOUND, "NOT_FOUND", "no such object or key" },
    { ZOWN_WRONG_TYPE, "WRONG_TYPE", "object or stored value is of another type" },
    { ZOWN_BAD_REQUEST, "BAD_REQUEST", "malformed request" },
    { ZOWN_BAD_VERSION, "BAD_VERSION", "protocol version not supported by the owner" },
    { ZOWN_UNKNOWN_OP, "UNKNOWN_OP", "unknown op code" },
    { ZOWN_BAD_ARGS, "BAD_ARGS", "wrong argument count, argument type or name" },
    { ZOWN_TOO_LARGE, "TOO_LARGE", "request, key or value over the owner's size limits" },
    { ZOWN_CONFLICT, "CONFLICT", "compare-and-swap found another value or version" },
    { ZOWN_OVERFLOW, "OVERFLOW", "int64 overflow" },
    { ZOWN_ABORTED, "ABORTED", "not applied: another op of the batch failed" },
    { ZOWN_TIMEOUT, "TIMEOUT", "no reply within the deadline" },
    { ZOWN_NO_MEMORY, "NO_MEMORY", "out of memory" },
    { ZOWN_OUT_OF_RANGE, "OUT_OF_RANGE", "index or range outside the list or array" },
    { ZOWN_NOT_HELD, "NOT_HELD", "the caller does not hold this lock" },
    { ZOWN_BROKEN, "BROKEN", "the barrier is broken (aborted, reset, or a party left)" },
    { ZOWN_NOT_DURABLE, "NOT_DURABLE", "the owner cannot write its journal; writes are refused" },
    { ZOWN_LIMIT, "LIMIT", "an owner limit was reached: objects, items, parked requests" },
    { ZOWN_NO_SESSION, "NO_SESSION",
      "the owner has no session for this client (it restarted, or the client's process died)" },
    { ZOWN_DEADLOCK, "DEADLOCK",
      "the caller holds this lock already, and it is not reentrant: it would wait for itself" },
    { ZOWN_UNREACHABLE, "UNREACHABLE", "no owner accepted the request within the deadline" },
    { ZOWN_FORKED, "FORKED", "handle belongs to another process (see docs/FORK.md)" },
    { ZOWN_INVALID, "INVALID", "invalid argument" },
    { ZOWN_BUSY, "BUSY", "too many requests or tasks pending" },
    { ZOWN_ADDR_IN_USE, "ADDR_IN_USE", "a live owner already serves this endpoint" },
    { ZOWN_SYSTEM, "SYSTEM", "operating-system or ZeroMQ failure" },
    { ZOWN_PROTOCOL, "PROTOCOL", "undecodable reply from the owner" },
    { ZOWN_THREADED, "THREADED",
      "this process already runs threads: start the fork server first (docs/FORK.md)" },
    { ZOWN_TASK_FAILED, "TASK_FAILED", "the task function reported a failure" },
    { ZOWN_WORKER_DIED, "WORKER_DIED", "the worker running the task died" },
    { ZOWN_CLOSED, "CLOSED", "the pool is closed or terminated" },
    { ZOWN_DENIED, "DENIED",
      "the owner refused this client: its key is not allowed, or the server key is wrong" },
    { ZOWN_CANCELLED, "CANCELLED", "the pool was cancelled before the task completed" },
    { ZOWN_UPDATES_FAILED, "UPDATES_FAILED",
      "buffered updates of this client failed: see zown_client_failures" },
};

static const s_status_info_t *
s_info (int status)
{
    for (size_t index = 0; index < sizeof (s_statuses) / sizeof (s_statuses [0]); index++)
        if (s_statuses [index].status == status)
            return &s_statuses [index];
    return NULL;
}

const char *
zown_status_name (int status)
{
    const s_status_info_t *info = s_info (status);
    return info ? info->name : "UNKNOWN";
}

const char *
zown_strerror (int status)
{
    const s_status_info_t *info = s_info (status);
    return info ? info->text : "unknown status";
}
