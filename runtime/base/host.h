/*  =========================================================================
    host - this host's boot id
    =========================================================================
*/
#ifndef ZOWN_HOST_H_INCLUDED
#define ZOWN_HOST_H_INCLUDED

//  This host's boot id (/proc/sys/kernel/random/boot_id: 36 characters, no
//  NUL, new at every boot) in id; returns its length, 0 if unknown. A pid
//  means a process of the owner's own only with the owner's boot id.
#define ZOWN_BOOT_ID_SIZE 36
size_t zown_boot_id (char *id);

#endif
