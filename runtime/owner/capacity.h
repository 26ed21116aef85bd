/*  =========================================================================
    capacity - how many clients the owner's descriptors allow

    libzmq 4.3.4 aborts the whole process when its ipc accept meets EMFILE,
    and every client costs the owner's process about two descriptors (its
    connection and the pidfd that watches its process). The owner raises
    its soft descriptor limit to the hard one, keeps a reserve free, and
    stops accepting (its ipc socket files moved aside, their names held;
    connections accepted meanwhile refused) while the reserve is in use.
    =========================================================================
*/
#ifndef ZOWN_CAPACITY_H_INCLUDED
#define ZOWN_CAPACITY_H_INCLUDED

#include <sys/types.h>

//  A connection refused while paused: its descriptor and the socket's
//  inode, which tells it from a later connection given the same number.
typedef struct {
    int fd;
    ino_t inode;
} zown_refused_t;

typedef struct {
    size_t limit;             //  The process's descriptor limit (soft, raised)
    size_t reserve;           //  Kept free of connections
    size_t connections;       //  ipc and tcp connections accepted and open
    bool paused;              //  Not accepting: the reserve is in use
    zown_refused_t *refused;  //  Connections refused during this pause
    size_t refused_count;     //  Entries in refused
    size_t refused_capacity;  //  Room in refused
} zown_capacity_t;

//  Raise the soft descriptor limit to the hard one and size the reserve.
void zown_capacity_init (zown_capacity_t *self);
//  A connection was accepted: true if accepting must pause now.
bool zown_capacity_accepted (zown_capacity_t *self);
//  A connection closed: true if a paused owner may accept again (once
//  half a reserve more is free than when it paused).
bool zown_capacity_closed (zown_capacity_t *self);
//  Clients the owner can hold at its limit, about (limit - reserve) / 2.
size_t zown_capacity_clients (const zown_capacity_t *self);
//  Remember connection fd as refused until the pause ends; -1 if fd is
//  no longer open or there is no memory.
int zown_capacity_refuse (zown_capacity_t *self, int fd);
//  Whether the request that came on connection fd (ZMQ_SRCFD) came on a
//  connection refused during this pause: it must not be served.
bool zown_capacity_refused (const zown_capacity_t *self, int fd);
//  Free what the capacity holds.
void zown_capacity_release (zown_capacity_t *self);

#endif
