/*  =========================================================================
    zown_internal - the one header zown's own .c files include: the system
    headers, CZMQ, the public API and every module's internal header
    =========================================================================
*/
#ifndef ZOWN_INTERNAL_H_INCLUDED
#define ZOWN_INTERNAL_H_INCLUDED

#define _GNU_SOURCE
#include <czmq.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pthread.h>
#include <sys/socket.h>

#include "zown.h"

#include "base/error.h"
#include "base/clock.h"
#include "base/context.h"
#include "base/datum.h"
#include "base/socket.h"
#include "base/host.h"
#include "base/rundir.h"
#include "wire/codec.h"
#include "wire/request.h"
#include "wire/reply.h"
#include "owner/registry.h"
#include "owner/session.h"
#include "client/client.h"
#include "client/handle.h"
#include "feed/replica.h"

#endif
