/*  =========================================================================
    spawner - what zown's own workers use of the fork server beyond its
    public API (runtime/workers/spawner.c)
    =========================================================================
*/
#ifndef ZOWN_SPAWNER_INTERNAL_H_INCLUDED
#define ZOWN_SPAWNER_INTERNAL_H_INCLUDED

//  As zown_spawner_spawn, and the child also gets a copy of fd (the
//  caller keeps its own), found with zown_spawner_passed_fd.
pid_t zown_spawner_spawn_fd (zown_spawner_t *self, zown_spawn_fn *fn, void *args,
                             const void *payload, size_t size, int fd);

//  In a spawned child: the descriptor its spawn passed; -1 if none.
int zown_spawner_passed_fd (void);

//  True once the server is gone (its channel closed): its children are
//  dead too (PR_SET_PDEATHSIG), and no exit report will come.
bool zown_spawner_lost (zown_spawner_t *self);

#endif
