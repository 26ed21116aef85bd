/*  =========================================================================
    rundir - owner names, the private run directory and safe ipc binds
    =========================================================================
*/
#ifndef ZOWN_RUNDIR_H_INCLUDED
#define ZOWN_RUNDIR_H_INCLUDED

//  Validated owner names and their run-directory paths
bool zown_name_valid (const char *name);
//  Directory for ipc sockets, created 0700 if missing; caller frees.
char *zown_rundir (void);
//  Bind socket to "ipc://" + path, file mode 0600, unless a live socket
//  already answers at path (ZOWN_ADDR_IN_USE); a stale file is replaced.
//  Returns ZOWN_OK or the failure's status (not -1).
int zown_ipc_bind (void *socket, const char *path);
//  Take the lock beside path that zown_ipc_bind takes, and keep it: an fd
//  to close to let go, or -1. While it is held no other process binds the
//  path (its zown_ipc_bind waits).
int zown_ipc_hold (const char *path);
//  Remove the socket file at path, under the same lock as zown_ipc_bind.
void zown_ipc_unlink (const char *path);

#endif
