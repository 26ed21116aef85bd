/*  =========================================================================
    socket - socket options and socket monitors
    =========================================================================
*/
#include "zown_internal.h"
#include <inttypes.h>
#include <stdatomic.h>

int
zown_set_int (void *socket, int option, int value)
{
    return zmq_setsockopt (socket, option, &value, sizeof (value));
}

void *
zown_monitor_new (void *socket, int events)
{
    static atomic_uint_fast64_t monitors;
    char endpoint [64];
    snprintf (endpoint, sizeof (endpoint), "inproc://zown-monitor-%" PRIuFAST64,
              atomic_fetch_add (&monitors, 1));
    void *monitor = NULL;
    if (zmq_socket_monitor (socket, endpoint, events) == 0) {
        monitor = zmq_socket (zown_ctx (), ZMQ_PAIR);
        if (monitor
            && (zown_set_int (monitor, ZMQ_LINGER, 0) || zown_set_int (monitor, ZMQ_RCVHWM, 0)
                || zmq_connect (monitor, endpoint))) {
            zmq_close (monitor);
            monitor = NULL;
        }
        if (!monitor)
            zmq_socket_monitor (socket, NULL, 0);
    }
    return monitor ? monitor : zown_fail_null (ZOWN_SYSTEM);
}

void
zown_monitor_stop (void *socket, void **monitor_p)
{
    if (!*monitor_p)
        return;
    zmq_socket_monitor (socket, NULL, 0);
    zmq_close (*monitor_p);
    *monitor_p = NULL;
}
