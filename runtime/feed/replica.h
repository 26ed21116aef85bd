/*  =========================================================================
    replica - test hooks of the read replica
    =========================================================================
*/
#ifndef ZOWN_REPLICA_INTERNAL_H_INCLUDED
#define ZOWN_REPLICA_INTERNAL_H_INCLUDED

//  Test hook (tests/test_replica.c): the replica throws away the next
//  `records` change records it receives, as if the feed had lost them.
void zown_replica_lose (zown_replica_t *self, size_t records);

#endif
