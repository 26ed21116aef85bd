/*  =========================================================================
    capacity - how many clients the owner's descriptors allow

    libzmq 4.3.4 aborts the whole process when its ipc accept meets EMFILE,
    and every client costs the owner's process about two descriptors (its
    connection and the pidfd that watches its process). The owner raises
    its soft descriptor limit to the hard one, keeps a reserve free, and
    stops accepting (its ipc socket files moved aside, their names held)
    while the reserve is in use.
    =========================================================================
*/
#ifndef ZOWN_CAPACITY_H_INCLUDED
#define ZOWN_CAPACITY_H_INCLUDED

typedef struct {
    size_t limit;        //  The process's descriptor limit (soft, raised)
    size_t reserve;      //  Kept free of connections
    size_t connections;  //  ipc and tcp connections accepted and open
    bool paused;         //  Not accepting: the reserve is in use
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

#endif
