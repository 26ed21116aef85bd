/*  =========================================================================
    context - the ZeroMQ context of this process for zown sockets
    =========================================================================
*/
#ifndef ZOWN_CONTEXT_H_INCLUDED
#define ZOWN_CONTEXT_H_INCLUDED

//  How many fork()s separate this process from the first one that used zown
//  (0 there); a handle made in another generation is not ours to use.
unsigned zown_fork_generation (void);

//  The ZeroMQ context of this process for zown sockets, made anew in a
//  forked child so a child never uses its parent's context (docs/FORK.md).
//  NULL with ZOWN_SYSTEM.
void *zown_ctx (void);

#endif
