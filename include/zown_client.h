/*  =========================================================================
    zown_client - talk to an owner: synchronous calls, pipelining, batches

    One client per thread (a client is a DEALER socket; ZeroMQ sockets are not
    thread-safe). A client belongs to the process that created it: in a
    forked child every call on an inherited client fails with ZOWN_FORKED and
    never touches the parent's socket; create a new client in the child
    (docs/FORK.md).

    Every request carries a request id, and every reply is matched to its
    request by id. A reply whose id the client no longer waits for (its call
    timed out, or it was abandoned) is dropped, never returned to a later
    call.
    =========================================================================
*/
#ifndef ZOWN_CLIENT_H_INCLUDED
#define ZOWN_CLIENT_H_INCLUDED

#include "zown_export.h"

#include "zown_reply.h"
#include "zown_request.h"
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _zown_client_t zown_client_t;

//  Default deadline of a call, in milliseconds.
#define ZOWN_CLIENT_TIMEOUT_DEFAULT 5000
//  Longest wait in zown_client_destroy for the owner to acknowledge BYE.
#define ZOWN_CLIENT_BYE_TIMEOUT 1000
//  Pass as a timeout to wait without a deadline (must be asked for).
#define ZOWN_FOREVER (-1)
//  Default and largest number of pipelined requests in flight per client:
//  well below the owner's send high-water mark, so no reply is ever dropped.
#define ZOWN_CLIENT_WINDOW_DEFAULT 1000
#define ZOWN_CLIENT_WINDOW_MAX     10000

//  Connect to an owner. `target` is an endpoint ("inproc://zown-demo",
//  "ipc:///run/user/0/zown/demo.sock") or an owner name ("demo"), which
//  means that owner's default ipc endpoint. Returns NULL with ZOWN_INVALID,
//  ZOWN_SYSTEM or ZOWN_NO_MEMORY. Connecting never waits for the owner.
ZOWN_EXPORT zown_client_t *zown_client_new (const char *target);

typedef struct {
    //  For tcp:// targets (docs/SECURITY.md): the owner's public key (Z85
    //  text, or its public certificate file) and this client's secret
    //  certificate file (zown_curve_keygen). Both are needed for tcp,
    //  unless `insecure`: plain tcp, to an owner that serves it.
    const char *server_key;
    const char *cert;
    bool insecure;
} zown_client_options_t;

//  The same with options (NULL: as zown_client_new). Fails also with
//  ZOWN_INVALID for a tcp target without keys (and not `insecure`), or a
//  key or certificate that cannot be read. A call to an owner that refuses
//  the handshake fails with ZOWN_DENIED.
ZOWN_EXPORT zown_client_t *zown_client_new_with (const char *target,
                                                 const zown_client_options_t *options);

//  Close the client; accepts NULL and nulls the caller's pointer. Pending
//  replies are discarded. Tells the owner the client is leaving (so what it
//  held is released, not reported as left by a dead process) and waits at
//  most ZOWN_CLIENT_BYE_TIMEOUT for the owner to acknowledge it.
ZOWN_EXPORT void zown_client_destroy (zown_client_t **self_p);

//  Endpoint the client is connected to.
ZOWN_EXPORT const char *zown_client_endpoint (zown_client_t *self);

//  Deadline of each call in ms (ZOWN_FOREVER for none); default
//  ZOWN_CLIENT_TIMEOUT_DEFAULT. A timeout of 0 is refused (ZOWN_INVALID).
ZOWN_EXPORT int zown_client_set_timeout (zown_client_t *self, int timeout_ms);

ZOWN_EXPORT int zown_client_timeout (zown_client_t *self);

//  Most pipelined requests in flight (1..ZOWN_CLIENT_WINDOW_MAX).
ZOWN_EXPORT int zown_client_set_window (zown_client_t *self, int window);

//  Send the request and wait for its reply. Returns 0 if every op
//  succeeded. Returns -1 with the failing op's status (a reply is still
//  given), or with ZOWN_UNREACHABLE / ZOWN_TIMEOUT (no reply; *reply_p is
//  NULL), ZOWN_BUSY (pipelined requests still pending), ZOWN_FORKED.
//  When the connection to the owner drops (ipc, tcp), a call waiting for
//  its reply fails at once with ZOWN_UNREACHABLE (its outcome is unknown);
//  the next call goes to the owner once it is back, and says HELLO again.
//  An owner that lost this client's session (it restarted) answers
//  ZOWN_NO_SESSION: the call then says HELLO and sends the request once
//  more by itself. A call refused with ZOWN_DENIED leaves the next call to
//  start on a new connection, so a key allowed since gets in.
//  The reply is borrowed until the next call on this client. reply_p may
//  be NULL.
ZOWN_EXPORT int zown_client_call (zown_client_t *self, zown_request_t *request,
                                  zown_reply_t **reply_p);

//  Pipelining: send the request without waiting. Sets *id_p (may be NULL)
//  to its request id. Returns -1 with ZOWN_BUSY when the window is full
//  (collect replies first), ZOWN_UNREACHABLE, ZOWN_FORKED.
ZOWN_EXPORT int zown_client_send (zown_client_t *self, zown_request_t *request, uint64_t *id_p);

//  Wait up to the client's timeout for the next reply to any pipelined
//  request, in the order replies arrive, and match it to its request by id
//  (zown_reply_id). Requests the owner completes at once are answered in
//  the order sent; a request it parks (a blocking op that must wait) is
//  answered when it completes, times out or its object is dropped, so
//  after the replies to requests sent later: its reply is still returned
//  by a later recv, as long as it is pending. Returns 0 and sets
//  *reply_p, even when the reply carries an error status (see
//  zown_reply_status: ZOWN_NO_SESSION means the request was not applied
//  and may be sent again; the next send says HELLO first); -1 with
//  ZOWN_TIMEOUT (the request stays pending), ZOWN_UNREACHABLE (the
//  connection dropped; pending requests stay pending, outcome unknown, until
//  abandoned), ZOWN_INVALID (nothing pending), ZOWN_FORKED, ZOWN_PROTOCOL.
ZOWN_EXPORT int zown_client_recv (zown_client_t *self, zown_reply_t **reply_p);

//  Number of pipelined requests sent and not yet answered nor abandoned.
ZOWN_EXPORT size_t zown_client_pending (zown_client_t *self);

//  Give up on every pending request; their replies will be dropped.
ZOWN_EXPORT void zown_client_abandon (zown_client_t *self);

//  Number of late replies dropped so far (replies to abandoned requests).
ZOWN_EXPORT uint64_t zown_client_dropped (zown_client_t *self);

//  Round trip to the owner; 0 if it answered within the deadline.
ZOWN_EXPORT int zown_client_ping (zown_client_t *self);

//  Buffered updates (write combining, as stdio buffers writes), off by
//  default. A buffered client queues each update that needs no answer
//  (value set and add, dict set, add and delete, list append and extend,
//  array set and add, event set and clear, a queue put with timeout 0,
//  task_done and ack: every op that may write, takes an object name, may
//  share its request and does not wait, called without asking for a value
//  back, e.g. zown_value_add with now_p NULL) and returns at once. The
//  queued updates go to the owner as one message of independent ops
//  (docs/PROTOCOL.md 3.2: each applied on its own, in the order made) when
//  `max_ops` are queued (or 64 KiB), when the oldest has waited
//  `linger_ms` (looked at in each call on the client), before any other
//  call on the client (a read, a blocking call, an update that returns a
//  value: so a client always reads its own writes), at zown_client_flush
//  and at destroy. Up to 4 sent messages await their replies at once.
//
//  The contract, as with stdio: another client sees a buffered update at
//  most linger + one round trip after it was made, as long as this client
//  keeps making calls (an idle one sends nothing until its next call:
//  flush it); updates still queued when the process dies, or exits without
//  destroying the client, are lost. A failure is reported by the next call
//  on the client, or its flush: that call fails with ZOWN_UPDATES_FAILED
//  and does nothing else, and zown_client_failures says what failed. In a
//  forked child the inherited client refuses every call (ZOWN_FORKED) and
//  its destroy sends nothing: the parent's buffer is never sent twice.
//
//  max_ops: 1..1024 updates per message, or 0 to stop buffering (after a
//  flush, whose result is returned); linger_ms: 0 or more. -1 with
//  ZOWN_INVALID, ZOWN_FORKED.
ZOWN_EXPORT int zown_client_set_buffered (zown_client_t *self, int max_ops, int linger_ms);

//  Defaults for zown_client_set_buffered.
#define ZOWN_CLIENT_BUFFER_DEFAULT 256
#define ZOWN_CLIENT_LINGER_DEFAULT 1

//  Send the buffered updates and wait (up to the timeout per message) for
//  the owner to have applied every update sent. 0 if none failed since the
//  last report; -1 with ZOWN_UPDATES_FAILED (zown_client_failures), with
//  ZOWN_BUSY while pipelined requests are pending, ZOWN_FORKED. An update
//  whose reply did not come in time counts as failed (ZOWN_TIMEOUT or
//  ZOWN_UNREACHABLE: its outcome is unknown). 0 on an unbuffered client.
ZOWN_EXPORT int zown_client_flush (zown_client_t *self);

//  What the last ZOWN_UPDATES_FAILED reported: returns how many updates
//  failed (0 if none was reported yet), and sets the first one's number
//  among this client's buffered updates (1 for its first), op, status and
//  the owner's message ("" if none; borrowed until the next report). Any
//  pointer may be NULL.
ZOWN_EXPORT size_t zown_client_failures (zown_client_t *self, uint64_t *update_p, zown_op_t *op_p,
                                         int *status_p, const char **message_p);

//  The owner's message for the failed op of the last call that failed with
//  a wire status ("key over max_key (65536 bytes)"), or for an ipc call that
//  failed UNREACHABLE, why when the socket file tells (no such file; the
//  owner is at its descriptor limit); at most 255 bytes; "" if there is
//  none. Borrowed until the next call on this client.
ZOWN_EXPORT const char *zown_client_message (zown_client_t *self);

//  The last failure of this thread, in one place: returns a line saying
//  what went wrong ("no such object or key", then ": " and the owner's
//  own message, or what the library knows more, when there is one: "key
//  over max_key (65536 bytes)", "a request holds at most 1024 ops"), and
//  sets *status_p (may be NULL) to its status (zown_errno). "success"
//  and ZOWN_OK if the last call succeeded. `self` may be NULL (a failed
//  zown_client_new, or a call on no client): then the owner's message is
//  left out. The text is borrowed until the next call on this thread.
//      if (zown_incr (client, "hits", 1, NULL))
//          fprintf (stderr, "hits: %s\n", zown_client_error (client, NULL));
ZOWN_EXPORT const char *zown_client_error (zown_client_t *self, int *status_p);

//  ---------------------------------------------------------------------
//  In an application's event loop (poll, epoll, libuv, zloop): send
//  requests with zown_client_send, watch the descriptor, and collect
//  replies with zown_client_step.
//
//  The descriptor is ZeroMQ's ZMQ_FD: it is edge-triggered and only says
//  "look again", not "a reply is there". Whenever it polls readable, and
//  after every zown_client_send, call zown_client_step until it returns 0;
//  a reply may be waiting with the descriptor quiet otherwise. Never read
//  from or write to the descriptor. It belongs to the client: it is valid
//  until zown_client_destroy, and -1 with ZOWN_FORKED in a forked child.
//  An owner that goes away does not wake it (ipc and tcp report that on a
//  socket of their own): poll with a timeout, and step then too, to learn
//  of a dropped connection (-1 with ZOWN_UNREACHABLE) while replies are
//  pending.
ZOWN_EXPORT int zown_client_fd (zown_client_t *self);

//  Collect one reply to a pipelined request, never waiting: returns 1 and
//  sets *reply_p (borrowed until the next call on this client) when one
//  was there, 0 when none is there now (or nothing is pending), -1 with
//  ZOWN_UNREACHABLE (the connection dropped), ZOWN_FORKED, ZOWN_PROTOCOL.
//  A reply with an error status is returned as zown_client_recv does.
ZOWN_EXPORT int zown_client_step (zown_client_t *self, zown_reply_t **reply_p);

#ifdef __cplusplus
}
#endif

#endif
