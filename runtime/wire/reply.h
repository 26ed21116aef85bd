/*  =========================================================================
    reply - decoding a reply frame into a zown_reply_t
    =========================================================================
*/
#ifndef ZOWN_REPLY_INTERNAL_H_INCLUDED
#define ZOWN_REPLY_INTERNAL_H_INCLUDED

//  Reply internals, filled by the client.
struct _zown_reply_t {
    uint64_t id;                  //  Request id answered
    uint8_t status;               //  Overall status
    zown_result_view_t *results;  //  One per op
    size_t result_count;
    size_t results_capacity;
    zown_datum_t *values;  //  Every value of every result
    size_t values_capacity;
};

void zown_reply_init (zown_reply_t *self);
void zown_reply_fini (zown_reply_t *self);
//  Decode a reply frame into self (reusing its arrays); -1 if malformed.
int zown_reply_decode (zown_reply_t *self, const void *data, size_t size);

#endif
