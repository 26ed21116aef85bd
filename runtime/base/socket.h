/*  =========================================================================
    socket - socket options and socket monitors
    =========================================================================
*/
#ifndef ZOWN_SOCKET_H_INCLUDED
#define ZOWN_SOCKET_H_INCLUDED

//  Set an int socket option; 0, or -1 (zmq_errno) as zmq_setsockopt.
int zown_set_int (void *socket, int option, int value);
//  A PAIR receiving the `events` of socket (zmq_socket_monitor), or NULL
//  with ZOWN_SYSTEM. libzmq sends events with a blocking send from its own
//  threads: the PAIR queues without limit, so an unread event never stalls
//  them, and zown_monitor_stop must come before the socket is closed.
void *zown_monitor_new (void *socket, int events);
//  Stop monitoring socket and close the PAIR; accepts NULL, nulls it.
void zown_monitor_stop (void *socket, void **monitor_p);

#endif
