/*  =========================================================================
    zown - shared state with a single owner actor, on ZeroMQ

    The one header applications include.
    =========================================================================
*/
#ifndef ZOWN_H_INCLUDED
#define ZOWN_H_INCLUDED

#define ZOWN_VERSION_MAJOR 0
#define ZOWN_VERSION_MINOR 1
#define ZOWN_VERSION_PATCH 0

//  Version of the wire protocol this library speaks (docs/PROTOCOL.md).
#define ZOWN_PROTOCOL_VERSION 1

#include "zown_error.h"
#include "zown_datum.h"
#include "zown_ops.h"
#include "zown_request.h"
#include "zown_reply.h"
#include "zown_client.h"
#include "zown_owner.h"
#include "zown_dict.h"
#include "zown_value.h"
#include "zown_list.h"
#include "zown_array.h"
#include "zown_event.h"
#include "zown_lock.h"
#include "zown_queue.h"
#include "zown_semaphore.h"
#include "zown_barrier.h"
#include "zown_condition.h"
#include "zown_spawner.h"
#include "zown_pool.h"
#include "zown_pipeline.h"
#include "zown_subscriber.h"
#include "zown_replica.h"
#include "zown_curve.h"

#endif
