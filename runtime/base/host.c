/*  =========================================================================
    host - this host's boot id, which tells a local pid from a remote one
    =========================================================================
*/
#include "zown_internal.h"

//  Read once per process: it cannot change while the host runs, and the
//  owner checks it at every HELLO.
static char s_boot_id [ZOWN_BOOT_ID_SIZE];
static size_t s_boot_id_size;
static pthread_once_t s_boot_id_once = PTHREAD_ONCE_INIT;

static void
s_boot_id_read (void)
{
    FILE *file = fopen ("/proc/sys/kernel/random/boot_id", "r");
    if (!file)
        return;
    size_t size = fread (s_boot_id, 1, ZOWN_BOOT_ID_SIZE, file);
    fclose (file);
    s_boot_id_size = size == ZOWN_BOOT_ID_SIZE ? size : 0;
}

size_t
zown_boot_id (char *id)
{
    pthread_once (&s_boot_id_once, s_boot_id_read);
    memcpy (id, s_boot_id, s_boot_id_size);
    return s_boot_id_size;
}
