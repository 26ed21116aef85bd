/*  =========================================================================
    zap - the owner's ZAP handler: which CURVE clients may connect

    libzmq asks a ZAP handler (RFC 27), on "inproc://zeromq.zap.01" in the
    socket's context, whether a CURVE client may connect. The owner answers
    on its own thread from an allow-list directory of public certificates
    (CZMQ's zcertstore, which reads files only and starts no thread).
    =========================================================================
*/
#include "zown_internal.h"
#include "base/curve.h"
#include "owner/zap.h"
#include <inttypes.h>
#include <sys/stat.h>
#include <time.h>

#define S_ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define S_ZAP_FRAMES   7    //  Frames of a CURVE request (RFC 27)
#define S_ZAP_FRAME    256  //  Longest frame kept; longer ones are cut

struct _zown_zap_t {
    void *socket;         //  REP bound to the ZAP endpoint
    char *allow;          //  Allow-list directory
    zcertstore_t *store;  //  Its certificates
    int64_t logged_at;    //  When the last refusal was logged
    uint64_t unlogged;    //  Refusals not logged since then
};

zown_zap_t *
zown_zap_new (void *ctx, const char *allow, int *status_p)
{
    struct stat info;
    if (!allow || stat (allow, &info) || !S_ISDIR (info.st_mode)) {
        *status_p = ZOWN_INVALID;
        return NULL;
    }
    zown_zap_t *self = (zown_zap_t *) calloc (1, sizeof (zown_zap_t));
    *status_p = ZOWN_NO_MEMORY;
    if (!self)
        return NULL;
    self->allow = strdup (allow);
    self->store = self->allow ? zcertstore_new (self->allow) : NULL;
    if (self->store) {
        *status_p = ZOWN_SYSTEM;
        self->socket = zmq_socket (ctx, ZMQ_REP);
        if (self->socket && zown_set_int (self->socket, ZMQ_LINGER, 0) == 0) {
            if (zmq_bind (self->socket, S_ZAP_ENDPOINT) == 0)
                *status_p = ZOWN_OK;
            else if (errno == EADDRINUSE)
                *status_p = ZOWN_ADDR_IN_USE;
        }
    }
    if (*status_p != ZOWN_OK)
        zown_zap_destroy (&self);
    return self;
}

void
zown_zap_destroy (zown_zap_t **self_p)
{
    zown_zap_t *self = *self_p;
    if (!self)
        return;
    if (self->socket) {
        //  Unbound now, not when libzmq's reaper gets to it: the next
        //  owner of this process can take the endpoint at once.
        zmq_unbind (self->socket, S_ZAP_ENDPOINT);
        zmq_close (self->socket);
    }
    zcertstore_destroy (&self->store);
    free (self->allow);
    free (self);
    *self_p = NULL;
}

void *
zown_zap_socket (zown_zap_t *self)
{
    return self->socket;
}

static void
s_log_refusal (zown_zap_t *self, const char *address, const char *key, const char *why)
{
    int64_t now = zown_now_ms ();
    if (self->logged_at && now - self->logged_at < 1000) {
        self->unlogged++;
        return;
    }
    if (self->unlogged)
        fprintf (stderr, "zown: %" PRIu64 " more tcp clients refused\n", self->unlogged);
    fprintf (stderr, "zown: tcp client %s refused: %s%s\n", address, why, key);
    self->logged_at = now;
    self->unlogged = 0;
}

//  Reads one request: its frames, each cut to S_ZAP_FRAME octets.
static int
s_read_request (void *socket, char frames [S_ZAP_FRAMES][S_ZAP_FRAME + 1],
                size_t sizes [S_ZAP_FRAMES])
{
    int count = 0;
    int more = 1;
    while (more) {
        char buffer [S_ZAP_FRAME + 1];
        int size = zmq_recv (socket, buffer, S_ZAP_FRAME, ZMQ_DONTWAIT);
        if (size == -1)
            return count ? count : -1;
        size = size > S_ZAP_FRAME ? S_ZAP_FRAME : size;
        if (count < S_ZAP_FRAMES) {
            memcpy (frames [count], buffer, (size_t) size);
            frames [count][size] = 0;
            sizes [count] = (size_t) size;
        }
        count++;
        size_t more_size = sizeof (more);
        if (zmq_getsockopt (socket, ZMQ_RCVMORE, &more, &more_size))
            more = 0;
    }
    return count;
}

static void
s_reply (void *socket, const char *request_id, size_t id_size, const char *code, const char *text,
         const char *user)
{
    zmq_send (socket, "1.0", 3, ZMQ_SNDMORE);
    zmq_send (socket, request_id, id_size, ZMQ_SNDMORE);
    zmq_send (socket, code, strlen (code), ZMQ_SNDMORE);
    zmq_send (socket, text, strlen (text), ZMQ_SNDMORE);
    zmq_send (socket, user, strlen (user), ZMQ_SNDMORE);
    zmq_send (socket, "", 0, 0);
}

void
zown_zap_handle (zown_zap_t *self, uint64_t *refused)
{
    char frames [S_ZAP_FRAMES][S_ZAP_FRAME + 1];
    size_t sizes [S_ZAP_FRAMES];
    int count;
    //  Frames: version, request id, domain, address, routing id,
    //  mechanism, then the client's public key for CURVE.
    while ((count = s_read_request (self->socket, frames, sizes)) >= 0) {
        if (count < 2) {
            //  Not a ZAP request; a REP must still answer before reading on.
            s_reply (self->socket, "", 0, "500", "bad request", "");
            continue;
        }
        char key [ZOWN_CURVE_KEY_TEXT + 1] = "";
        const char *why = "";
        zcert_t *cert = NULL;
        if (count != S_ZAP_FRAMES || strcmp (frames [5], "CURVE") != 0)
            why = "not a CURVE request";
        else if (sizes [6] != ZOWN_CURVE_KEY)
            why = "no public key";
        else {
            zmq_z85_encode (key, (const uint8_t *) frames [6], ZOWN_CURVE_KEY);
            cert = zcertstore_lookup (self->store, key);
            why = "not in the allow list: ";
        }
        if (cert) {
            const char *name = zcert_meta (cert, "name");
            s_reply (self->socket, frames [1], sizes [1], "200", "OK", name && *name ? name : key);
        } else {
            (*refused)++;
            s_log_refusal (self, count > 3 ? frames [3] : "?", key, why);
            s_reply (self->socket, frames [1], sizes [1], "400", "key not allowed", "");
        }
    }
}
