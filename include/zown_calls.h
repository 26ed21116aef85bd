/*  =========================================================================
    zown_calls - one-off calls by object name, straight on a client

    The common ops without a handle to make and destroy: each call names
    its object and does what the handle's call of the same meaning does
    (one round trip, the client's deadline, the same statuses). The names
    are Redis's: INCR and GET for a shared value, an `h` for a field of a
    dict (HSET, HGET, HINCRBY), and put/take for a queue. A handle is still
    the way to every other op.

        zown_incr (client, "hits", 1, &now);                   //  hits += 1
        zown_hset_str (client, "config", "mode", "fast");      //  config["mode"] = "fast"
        char *mode = zown_hget_str (client, "config", "mode"); //  a copy: free it
    =========================================================================
*/
#ifndef ZOWN_CALLS_H_INCLUDED
#define ZOWN_CALLS_H_INCLUDED

#include "zown_export.h"

#include "zown_client.h"

#ifdef __cplusplus
extern "C" {
#endif

//  Shared value `value` (zown_value_add): add delta atomically; *now_p (may
//  be NULL) gets the new value. A value never written starts at 0.
ZOWN_EXPORT int zown_incr (zown_client_t *client, const char *value, int64_t delta, int64_t *now_p);

//  Shared value `value` (zown_value_get): its int64; ZOWN_NOT_FOUND if never
//  written, ZOWN_WRONG_TYPE if it holds a double.
ZOWN_EXPORT int zown_get (zown_client_t *client, const char *value, int64_t *value_p);

//  dict[key] = datum / int / C string (zown_dict_set).
ZOWN_EXPORT int zown_hset (zown_client_t *client, const char *dict, const char *key,
                           zown_datum_t datum);
ZOWN_EXPORT int zown_hset_int (zown_client_t *client, const char *dict, const char *key,
                               int64_t value);
ZOWN_EXPORT int zown_hset_str (zown_client_t *client, const char *dict, const char *key,
                               const char *string);

//  dict[key], copied out (zown_dict_get_int, zown_dict_get_str): -1 (NULL)
//  with ZOWN_NOT_FOUND when absent, ZOWN_WRONG_TYPE for another type. The
//  string is the caller's to free.
ZOWN_EXPORT int zown_hget_int (zown_client_t *client, const char *dict, const char *key,
                               int64_t *value_p);
ZOWN_EXPORT char *zown_hget_str (zown_client_t *client, const char *dict, const char *key);

//  dict[key] += delta, atomically, for an int (zown_dict_add; absent: 0);
//  *now_p (may be NULL) gets the new value.
ZOWN_EXPORT int zown_hincr (zown_client_t *client, const char *dict, const char *key, int64_t delta,
                            int64_t *now_p);

//  zown_hincr for many keys at once (zown_dict_add_many): deltas [i] to
//  keys [i], deltas NULL for 1 each; split into requests of at most
//  ZOWN_REQUEST_OPS_MAX ops, each all or none.
ZOWN_EXPORT int zown_hincr_many (zown_client_t *client, const char *dict, size_t n,
                                 const char *const *keys, const int64_t *deltas);

//  Queue `queue`: put an int, waiting for room in a full bounded queue up
//  to the client's timeout / take the oldest item as an int, waiting up to
//  timeout_ms for one (zown_queue_put, zown_queue_get_int).
ZOWN_EXPORT int zown_put_int (zown_client_t *client, const char *queue, int64_t value);
ZOWN_EXPORT int zown_take_int (zown_client_t *client, const char *queue, int timeout_ms,
                               int64_t *value_p);

#ifdef __cplusplus
}
#endif

#endif
