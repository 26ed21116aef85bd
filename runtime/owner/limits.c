/*  =========================================================================
    limits - the owner's limits, their defaults, and refusals that name them
    =========================================================================
*/
#include "zown_internal.h"
#include "owner/core.h"
#include <limits.h>

int
zown_limits_resolve (zown_limits_t *limits)
{
    const struct {
        size_t *field;
        size_t fallback;
    } fields [] = {
        { &limits->max_message, ZOWN_LIMIT_MESSAGE_DEFAULT },
        { &limits->max_key, ZOWN_LIMIT_KEY_DEFAULT },
        { &limits->max_value, ZOWN_LIMIT_VALUE_DEFAULT },
        { &limits->max_objects, ZOWN_LIMIT_OBJECTS_DEFAULT },
        { &limits->max_items, ZOWN_LIMIT_ITEMS_DEFAULT },
        { &limits->max_parked_client, ZOWN_LIMIT_PARKED_CLIENT_DEFAULT },
        { &limits->max_parked, ZOWN_LIMIT_PARKED_DEFAULT },
        { &limits->max_inflight, ZOWN_LIMIT_INFLIGHT_DEFAULT },
    };
    for (size_t index = 0; index < sizeof (fields) / sizeof (fields [0]); index++)
        if (*fields [index].field == 0)
            *fields [index].field = fields [index].fallback;
    //  max_inflight becomes the ROUTER's high-water marks, which are ints.
    return limits->max_message < ZOWN_LIMIT_MESSAGE_MIN
            || limits->max_message > ZOWN_LIMIT_MESSAGE_MAX
            || limits->max_value < ZOWN_LIMIT_VALUE_MIN
            || limits->max_inflight < ZOWN_LIMIT_INFLIGHT_MIN || limits->max_inflight > INT_MAX
        ? ZOWN_INVALID
        : ZOWN_OK;
}

void
zown_registry_set_limits (zown_registry_t *self, const zown_limits_t *limits)
{
    self->limits = *limits;
    const struct {
        const char *format;
        size_t value;
    } refusals [ZOWN_REFUSAL_COUNT] = {
        [ZOWN_REFUSAL_MESSAGE] = { "request over max_message (%zu bytes)", limits->max_message },
        [ZOWN_REFUSAL_KEY] = { "key over max_key (%zu bytes)", limits->max_key },
        [ZOWN_REFUSAL_VALUE] = { "value over max_value (%zu bytes)", limits->max_value },
        [ZOWN_REFUSAL_OBJECTS] = { "objects at max_objects (%zu)", limits->max_objects },
        [ZOWN_REFUSAL_ITEMS] = { "items at max_items (%zu)", limits->max_items },
        [ZOWN_REFUSAL_PARKED_CLIENT] = { "parked requests of this client at max_parked_client "
                                         "(%zu)",
                                         limits->max_parked_client },
        [ZOWN_REFUSAL_PARKED] = { "parked requests at max_parked (%zu)", limits->max_parked },
    };
    for (size_t index = 0; index < ZOWN_REFUSAL_COUNT; index++)
        snprintf (self->refusals [index], ZOWN_REFUSAL_SIZE, refusals [index].format,
                  refusals [index].value);
}

//  Fail the call with a limit's status and message, and count it once.
int
zown_limits_refuse (zown_call_t *call, int status, int refusal, uint64_t *counter)
{
    (*counter)++;
    return zown_call_error (call, status, call->registry->refusals [refusal]);
}

int
zown_call_room (zown_call_t *call, size_t have, size_t adding)
{
    zown_registry_t *self = call->registry;
    size_t most = self->limits.max_items;
    if (self->replaying || (have <= most && adding <= most - have))
        return ZOWN_OK;
    return zown_limits_refuse (call, ZOWN_LIMIT, ZOWN_REFUSAL_ITEMS, &self->stats.refused_items);
}

bool
zown_call_replaying (const zown_call_t *call)
{
    return call->registry->replaying;
}
