/*  =========================================================================
    handle - what every typed handle is: a client and an object name
    =========================================================================
*/
#ifndef ZOWN_HANDLE_H_INCLUDED
#define ZOWN_HANDLE_H_INCLUDED

//  What every typed handle is: a client and an object name, no data.
typedef struct {
    zown_client_t *client;                 //  Borrowed
    char name [ZOWN_OBJECT_NAME_MAX + 1];  //  Object name
} zown_handle_t;

//  Allocate a handle of `size` bytes starting with a zown_handle_t.
void *zown_handle_new (size_t size, zown_client_t *client, const char *name);
void zown_handle_destroy (void **self_p);
//  Call one op on the handle's object; expects at least `values` values in
//  a successful result (ZOWN_PROTOCOL otherwise).
int zown_handle_call (zown_handle_t *self, zown_op_t op, size_t argc, const zown_datum_t *argv,
                      size_t values, zown_reply_t **reply_p);
//  The same for a blocking op the owner may hold up to wait_ms.
int zown_handle_call_wait (zown_handle_t *self, zown_op_t op, size_t argc, const zown_datum_t *argv,
                           size_t values, int64_t wait_ms, zown_reply_t **reply_p);
//  The same on the object `name` through `client`, without a handle.
int zown_handle_call_named (zown_client_t *client, const char *name, zown_op_t op, size_t argc,
                            const zown_datum_t *argv, size_t values, int64_t wait_ms,
                            zown_reply_t **reply_p);
//  Sets the `argc` arguments of item `index` of a bulk call; -1 with a
//  status for an item that cannot be sent.
typedef int (zown_handle_item_fn) (const void *context, size_t index, zown_datum_t *argv);
//  Calls `op` once per item for n items, in requests of at most
//  ZOWN_REQUEST_OPS_MAX ops (each all or none), one after the other.
int zown_handle_call_each (zown_client_t *client, const char *name, zown_op_t op, size_t n,
                           size_t argc, zown_handle_item_fn *item, const void *context);
//  Value `index` of the first result as an int64 / any number; -1 with
//  ZOWN_PROTOCOL or ZOWN_WRONG_TYPE if it is not one.
int zown_handle_int (zown_reply_t *reply, size_t index, int64_t *value_p);
//  A C string key as a datum; -1 with ZOWN_INVALID for NULL.
int zown_handle_key (const char *key, zown_datum_t *datum);

#endif
