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
//  Remove the socket file at path and its lock file, under that lock.
void zown_ipc_unlink (const char *path);
//  Remove from the run directory the files of processes that died without
//  cleaning up: owners' and pipelines' (NAME.sock, NAME.sock.lock,
//  NAME.feed) where nothing listens, pools' (pool-PID-N.sock, .run) whose
//  process is gone. Never a live owner's or pool's, and never waits.
void zown_rundir_sweep (void);

#endif
