/*  =========================================================================
    pool_strings - a pool map over C strings (include/zown_pool.h), the
    common case of a map over names: built on zown_pool_map
    =========================================================================
*/
#include "zown_internal.h"

//  After a failed map: the status of the first input that failed, and
//  in `why` which input it was and why.
static int
s_first_failure (const char *const *strings, size_t count, zown_future_t **futures, char *why,
                 size_t size)
{
    for (size_t index = 0; index < count; index++)
        if (futures [index] && zown_future_status (futures [index]) != ZOWN_OK) {
            snprintf (why, size, "%s: %s", strings [index], zown_future_error (futures [index]));
            return zown_future_status (futures [index]);
        }
    return zown_errno ();
}

int
zown_pool_map_strings (zown_pool_t *self, const char *const *strings, size_t count,
                       zown_future_t **futures)
{
    size_t slots = count ? count : 1;
    zown_bytes_t *inputs = (zown_bytes_t *) calloc (slots, sizeof (zown_bytes_t));
    //  Without futures from the caller, ours, dropped at the end.
    zown_future_t **results = futures ? futures : calloc (slots, sizeof (zown_future_t *));
    int status = inputs && results ? ZOWN_OK : ZOWN_NO_MEMORY;
    for (size_t index = 0; results && index < count; index++)
        results [index] = NULL;
    for (size_t index = 0; index < count && status == ZOWN_OK; index++)
        if (strings && strings [index])
            inputs [index] = (zown_bytes_t){ strings [index], strlen (strings [index]) + 1 };
        else
            status = ZOWN_INVALID;
    char why [256] = "";
    if (status == ZOWN_OK && zown_pool_map (self, inputs, count, results))
        status = s_first_failure (strings, count, results, why, sizeof (why));
    //  Failed, or not asked for: no future is kept.
    for (size_t index = 0; results && (status || !futures) && index < count; index++)
        zown_future_destroy (&results [index]);
    if (!futures)
        free (results);
    free (inputs);
    if (status == ZOWN_OK)
        return zown_ok ();
    return *why ? zown_fail_detail (status, "%s", why) : zown_fail (status);
}
