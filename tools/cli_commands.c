/*  =========================================================================
    cli_commands - the zown commands that read and change objects: dict,
    value, list, queue, lock and event, type, drop and dump (docs/CLI.md)
    =========================================================================
*/
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  Byte order of two byte-string data, for sorted output.
static int
s_compare_bytes (const void *left, const void *right)
{
    const zown_datum_t *a = (const zown_datum_t *) left, *b = (const zown_datum_t *) right;
    size_t a_len = a->tag == ZOWN_BYTES ? a->u.b.len : 0;
    size_t b_len = b->tag == ZOWN_BYTES ? b->u.b.len : 0;
    int order =
        memcmp (a_len ? a->u.b.ptr : "", b_len ? b->u.b.ptr : "", a_len < b_len ? a_len : b_len);
    return order ? order : (a_len > b_len) - (a_len < b_len);
}

//  The first `count` values of a reply's one result, copied into an array
//  of entries of `stride` data each, sorted on each entry's first datum.
static zown_datum_t *
s_sorted (zown_reply_t *reply, size_t count, size_t stride)
{
    zown_datum_t *data = (zown_datum_t *) malloc ((count ? count : 1) * sizeof (zown_datum_t));
    if (!data)
        return NULL;
    for (size_t index = 0; index < count; index++)
        data [index] = zown_reply_value (reply, 0, index);
    qsort (data, count / stride, stride * sizeof (zown_datum_t), s_compare_bytes);
    return data;
}

//  The op on the object named by the first argument, then the first value
//  of its reply printed as get prints it.
static int
s_call_print (cli_run_t *run, zown_op_t op, size_t argc, const zown_datum_t *argv)
{
    zown_reply_t *reply;
    int code = cli_call (run, op, run->args [0], argc, argv, &reply);
    if (!code)
        cli_print_raw (zown_reply_value (reply, 0, 0));
    return code;
}

//  --------------------------------------------------------------------------
//  Dict and value commands

int
cli_set (cli_run_t *run)
{
    zown_datum_t value;
    int code = cli_value (run, 2, &value);
    if (code)
        return code;
    zown_dict_t *dict = zown_dict_new (run->client, run->args [0]);
    code = !dict || zown_dict_set (dict, run->args [1], value, NULL)
        ? cli_fail (run, run->args [0], zown_errno ())
        : CLI_OK;
    zown_dict_destroy (&dict);
    return code;
}

//  A get or del that failed; an absent key is "not found", with its name.
static int
s_key_failed (cli_run_t *run)
{
    if (zown_errno () != ZOWN_NOT_FOUND)
        return cli_fail (run, run->args [0], zown_errno ());
    fprintf (stderr, "zown: no key '%s' in '%s'\n", run->args [1], run->args [0]);
    return CLI_NOT_FOUND;
}

//  One argument: the value object NAME; two: KEY of the dict DICT.
int
cli_get (cli_run_t *run)
{
    if (run->argc == 1)
        return s_call_print (run, ZOWN_OP_VALUE_GET, 0, NULL);
    zown_datum_t value;
    zown_dict_t *dict = zown_dict_new (run->client, run->args [0]);
    int code = CLI_OK;
    if (!dict || zown_dict_get (dict, run->args [1], &value, NULL))
        code = s_key_failed (run);
    else
        cli_print_raw (value);
    zown_dict_destroy (&dict);
    return code;
}

int
cli_del (cli_run_t *run)
{
    zown_dict_t *dict = zown_dict_new (run->client, run->args [0]);
    int code = !dict || zown_dict_delete (dict, run->args [1]) ? s_key_failed (run) : CLI_OK;
    zown_dict_destroy (&dict);
    return code;
}

int
cli_keys (cli_run_t *run)
{
    zown_reply_t *reply;
    zown_dict_t *dict = zown_dict_new (run->client, run->args [0]);
    int code = CLI_OK;
    zown_datum_t *keys = NULL;
    if (!dict || zown_dict_keys (dict, &reply))
        code = cli_fail (run, run->args [0], zown_errno ());
    else if (!(keys = s_sorted (reply, zown_reply_count (reply, 0), 1)))
        code = cli_fail (run, run->args [0], ZOWN_NO_MEMORY);
    else
        for (size_t index = 0; index < zown_reply_count (reply, 0); index++)
            cli_print_raw (keys [index]);
    free (keys);
    zown_dict_destroy (&dict);
    return code;
}

//  A number from the command line, or a usage error naming `what`.
static int
s_number (cli_run_t *run, size_t index, const char *what, zown_datum_t *number_p)
{
    if (cli_number (run->args [index], number_p) == 1)
        return CLI_OK;
    char problem [64];
    snprintf (problem, sizeof (problem), "%s must be a number in range", what);
    return cli_usage (run->command, problem, run->args [index]);
}

//  An integer delta on a value that holds a decimal is added as a decimal:
//  `zown incr x` then works whatever number x holds.
static int
s_incr_value (cli_run_t *run, zown_datum_t delta)
{
    zown_value_t *value = zown_value_new (run->client, run->args [0]);
    int64_t now_int = 0;
    double now_double = 0;
    int rc = -1;
    if (value && delta.tag == ZOWN_INT) {
        rc = zown_value_add (value, delta.u.i, &now_int);
        if (rc && zown_errno () == ZOWN_WRONG_TYPE) {
            delta = zown_datum_double ((double) delta.u.i);
            rc = zown_value_add_double (value, delta.u.d, &now_double);
        }
    } else if (value)
        rc = zown_value_add_double (value, delta.u.d, &now_double);
    int code = rc ? cli_fail (run, run->args [0], zown_errno ()) : CLI_OK;
    if (!rc)
        cli_print_raw (delta.tag == ZOWN_INT ? zown_datum_int (now_int)
                                             : zown_datum_double (now_double));
    zown_value_destroy (&value);
    return code;
}

//  DICT_ADD: the owner adds any number to any number, as Python would.
static int
s_incr_field (cli_run_t *run, zown_datum_t delta)
{
    zown_datum_t args [2] = { cli_arg (run, 1), delta };
    return s_call_print (run, ZOWN_OP_DICT_ADD, 2, args);
}

//  NAME [DELTA] or DICT KEY [DELTA]. Two words are a dict's KEY when the
//  second is not a number or when NAME is a dict; else NAME and DELTA.
int
cli_incr (cli_run_t *run)
{
    zown_datum_t delta = zown_datum_int (1);
    if (run->argc == 3)
        return s_number (run, 2, "DELTA", &delta) ? CLI_USAGE : s_incr_field (run, delta);
    if (run->argc == 1)
        return s_incr_value (run, delta);
    int number = cli_number (run->args [1], &delta);
    if (number < 0)
        return s_number (run, 1, "DELTA", &delta);
    if (number == 0)
        return s_incr_field (run, zown_datum_int (1));
    zown_reply_t *reply;
    int status = cli_request (run, ZOWN_OP_TYPE, run->args [0], 0, NULL, &reply);
    if (status != ZOWN_OK && status != ZOWN_NOT_FOUND)
        return cli_fail (run, run->args [0], status);
    if (status == ZOWN_OK && zown_datum_streq (zown_reply_value (reply, 0, 0), "dict"))
        return s_incr_field (run, zown_datum_int (1));
    return s_incr_value (run, delta);
}

//  --------------------------------------------------------------------------
//  Any object: type, drop

int
cli_type (cli_run_t *run)
{
    return s_call_print (run, ZOWN_OP_TYPE, 0, NULL);
}

int
cli_drop (cli_run_t *run)
{
    zown_reply_t *reply;
    return cli_call (run, ZOWN_OP_DROP, run->args [0], 0, NULL, &reply);
}

//  --------------------------------------------------------------------------
//  Lists

//  The values of arguments first to the last, for one op.
static int
s_values (cli_run_t *run, size_t first, zown_datum_t **values_p)
{
    size_t count = run->argc - first;
    zown_datum_t *values = (zown_datum_t *) calloc (count, sizeof (zown_datum_t));
    if (!values)
        return cli_fail (run, run->args [0], ZOWN_NO_MEMORY);
    for (size_t index = 0; index < count; index++) {
        int code = cli_value (run, first + index, &values [index]);
        if (code) {
            free (values);
            return code;
        }
    }
    *values_p = values;
    return CLI_OK;
}

//  LIST_EXTEND: all the values at once, or none.
int
cli_list_push (cli_run_t *run)
{
    zown_datum_t *values = NULL;
    int code = s_values (run, 1, &values);
    if (code)
        return code;
    code = s_call_print (run, ZOWN_OP_LIST_EXTEND, run->argc - 1, values);
    free (values);
    return code;
}

int
cli_list_pop (cli_run_t *run)
{
    zown_datum_t index = zown_datum_int (-1);
    if (run->argc == 2 && (cli_number (run->args [1], &index) != 1 || index.tag != ZOWN_INT))
        return cli_usage (run->command, "INDEX must be an integer in range", run->args [1]);
    zown_reply_t *reply;
    int status = cli_request (run, ZOWN_OP_LIST_POP, run->args [0], 1, &index, &reply);
    if (status == ZOWN_OUT_OF_RANGE) {
        fprintf (stderr, "zown: no item at index %lld of the list '%s'\n", (long long) index.u.i,
                 run->args [0]);
        return CLI_NOT_FOUND;
    }
    if (status != ZOWN_OK)
        return cli_fail (run, run->args [0], status);
    cli_print_raw (zown_reply_value (reply, 0, 0));
    return CLI_OK;
}

int
cli_list_len (cli_run_t *run)
{
    return s_call_print (run, ZOWN_OP_LIST_LEN, 0, NULL);
}

//  [START [STOP]] as Python's slice, one value per line as get prints it.
int
cli_list_range (cli_run_t *run)
{
    zown_datum_t bounds [2] = { zown_datum_int (0), zown_datum_int (INT64_MAX) };
    for (size_t index = 1; index < run->argc; index++)
        if (cli_number (run->args [index], &bounds [index - 1]) != 1
            || bounds [index - 1].tag != ZOWN_INT)
            return cli_usage (run->command, "START and STOP must be integers in range",
                              run->args [index]);
    zown_reply_t *reply;
    int code = cli_call (run, ZOWN_OP_LIST_RANGE, run->args [0], 2, bounds, &reply);
    for (size_t index = 0; !code && index < zown_reply_count (reply, 0); index++)
        cli_print_raw (zown_reply_value (reply, 0, index));
    return code;
}

//  --------------------------------------------------------------------------
//  Queues: --wait is the op's own timeout; main gives the call that much
//  more time than --timeout.

//  A QUEUE_PUT per value in one request: all of them, or none.
int
cli_queue_put (cli_run_t *run)
{
    zown_datum_t *values = NULL;
    int code = s_values (run, 1, &values);
    if (code)
        return code;
    zown_request_t *request = zown_request_new ();
    int status = request ? ZOWN_OK : ZOWN_NO_MEMORY;
    for (size_t index = 0; status == ZOWN_OK && index + 1 < run->argc; index++) {
        zown_datum_t args [2] = { values [index], zown_datum_int (run->wait) };
        if (zown_request_add (request, ZOWN_OP_QUEUE_PUT, run->args [0], 2, args))
            status = zown_errno ();
    }
    zown_reply_t *reply = NULL;
    if (status == ZOWN_OK && zown_client_call (run->client, request, &reply))
        status = zown_errno ();
    zown_request_destroy (&request);
    free (values);
    if (status == ZOWN_TIMEOUT && reply) {
        fprintf (stderr, "zown: the queue '%s' has no room for %s\n", run->args [0],
                 run->argc > 2 ? "all the items" : "the item");
        return CLI_FAILED;
    }
    return status == ZOWN_OK ? CLI_OK : cli_fail (run, run->args [0], status);
}

//  An item of a joinable queue is acknowledged once printed: one that this
//  command took and could not show goes back to the queue when it exits.
int
cli_queue_get (cli_run_t *run)
{
    zown_datum_t timeout = zown_datum_int (run->wait);
    zown_reply_t *reply;
    int status = cli_request (run, ZOWN_OP_QUEUE_GET, run->args [0], 1, &timeout, &reply);
    if (status == ZOWN_TIMEOUT && reply) {
        fprintf (stderr, "zown: the queue '%s' is empty\n", run->args [0]);
        return CLI_NOT_FOUND;
    }
    if (status != ZOWN_OK)
        return cli_fail (run, run->args [0], status);
    zown_datum_t id = zown_reply_value (reply, 0, 1);
    cli_print_raw (zown_reply_value (reply, 0, 0));
    if (id.tag != ZOWN_INT)
        return CLI_OK;
    if (fflush (stdout)) {
        fprintf (stderr, "zown: cannot write to stdout\n");
        return CLI_FAILED;
    }
    return cli_call (run, ZOWN_OP_QUEUE_ACK, run->args [0], 1, &id, &reply);
}

int
cli_queue_len (cli_run_t *run)
{
    return s_call_print (run, ZOWN_OP_QUEUE_SIZE, 0, NULL);
}

//  --------------------------------------------------------------------------
//  Lock and event status

//  "locked" or "unlocked", of a lock or a reentrant lock.
int
cli_lock_status (cli_run_t *run)
{
    zown_reply_t *reply;
    int status = cli_request (run, ZOWN_OP_LOCK_LOCKED, run->args [0], 0, NULL, &reply);
    if (status == ZOWN_WRONG_TYPE)
        status = cli_request (run, ZOWN_OP_RLOCK_LOCKED, run->args [0], 0, NULL, &reply);
    if (status != ZOWN_OK)
        return cli_fail (run, run->args [0], status);
    puts (zown_reply_value (reply, 0, 0).u.i ? "locked" : "unlocked");
    return CLI_OK;
}

int
cli_event_status (cli_run_t *run)
{
    zown_reply_t *reply;
    int code = cli_call (run, ZOWN_OP_EVENT_IS_SET, run->args [0], 0, NULL, &reply);
    if (!code)
        puts (zown_reply_value (reply, 0, 0).u.i ? "set" : "clear");
    return code;
}

//  --------------------------------------------------------------------------
//  dump: one JSON line per object

typedef enum {
    DUMP_FIELDS,  //  Each reply value is a named field
    DUMP_LIST,    //  Every reply value, as "items":[...]
    DUMP_PAIRS    //  Key, value, ..., as "items":{...}
} s_dump_shape_t;

typedef struct {
    const char *type;        //  Type name, as OBJECTS and TYPE give it
    zown_op_t op;            //  The op that reads its content, changing nothing
    s_dump_shape_t shape;    //  How to print its reply
    const char *fields [3];  //  DUMP_FIELDS: field names, in reply order
    unsigned booleans;       //  DUMP_FIELDS: bit n set if field n is 0/1
} s_dump_t;

//  A condition has no op that reads it: it is printed with its name and
//  type only, as is any type this table does not know.
static const s_dump_t s_dumps [] = {
    { "dict", ZOWN_OP_DICT_ITEMS, DUMP_PAIRS, { NULL }, 0 },
    { "value", ZOWN_OP_VALUE_GET, DUMP_FIELDS, { "value" }, 0 },
    { "list", ZOWN_OP_LIST_RANGE, DUMP_LIST, { NULL }, 0 },
    { "array", ZOWN_OP_ARRAY_SNAPSHOT, DUMP_LIST, { NULL }, 0 },
    { "queue", ZOWN_OP_QUEUE_SIZE, DUMP_FIELDS, { "len", "maxsize" }, 0 },
    { "event", ZOWN_OP_EVENT_IS_SET, DUMP_FIELDS, { "set" }, 1 },
    { "lock", ZOWN_OP_LOCK_LOCKED, DUMP_FIELDS, { "locked" }, 1 },
    { "rlock", ZOWN_OP_RLOCK_LOCKED, DUMP_FIELDS, { "locked" }, 1 },
    { "semaphore", ZOWN_OP_SEMAPHORE_VALUE, DUMP_FIELDS, { "value" }, 0 },
    { "barrier", ZOWN_OP_BARRIER_STATE, DUMP_FIELDS, { "parties", "waiting", "broken" }, 4 },
};

static void
s_dump_fields (const s_dump_t *dump, zown_reply_t *reply)
{
    for (size_t index = 0; index < 3 && dump->fields [index]; index++) {
        zown_datum_t value = zown_reply_value (reply, 0, index);
        printf (",\"%s\":", dump->fields [index]);
        if ((dump->booleans >> index & 1) && value.tag == ZOWN_INT)
            fputs (value.u.i ? "true" : "false", stdout);
        else
            cli_json_value (value);
    }
}

//  Prints the line of one object. An object dropped (or replaced by one
//  of another type) since OBJECTS listed it is left out, silently.
static int
s_dump_object (cli_run_t *run, const char *name, const char *type)
{
    const s_dump_t *dump = NULL;
    for (size_t index = 0; index < sizeof (s_dumps) / sizeof (s_dumps [0]); index++)
        if (strcmp (s_dumps [index].type, type) == 0)
            dump = &s_dumps [index];
    zown_reply_t *reply = NULL;
    zown_datum_t *pairs = NULL;
    size_t count = 0;
    if (dump) {
        //  LIST_RANGE [0, INT64_MAX) is the whole list, clamped by the owner.
        zown_datum_t range [2] = { zown_datum_int (0), zown_datum_int (INT64_MAX) };
        size_t argc = dump->op == ZOWN_OP_LIST_RANGE ? 2 : 0;
        int status = cli_request (run, dump->op, name, argc, range, &reply);
        if (status == ZOWN_NOT_FOUND || status == ZOWN_WRONG_TYPE)
            return CLI_OK;
        if (status != ZOWN_OK)
            return cli_fail (run, name, status);
        count = zown_reply_count (reply, 0);
        if (dump->shape == DUMP_PAIRS) {
            count -= count % 2;
            if (!(pairs = s_sorted (reply, count, 2)))
                return cli_fail (run, name, ZOWN_NO_MEMORY);
            //  JSON keys are strings; the owner only ever stores bytes keys.
            for (size_t index = 0; index < count; index += 2)
                if (pairs [index].tag != ZOWN_BYTES) {
                    free (pairs);
                    return cli_fail (run, name, ZOWN_PROTOCOL);
                }
        }
    }
    fputs ("{\"name\":", stdout);
    cli_json_string (name, strlen (name));
    fputs (",\"type\":", stdout);
    cli_json_string (type, strlen (type));
    if (dump && dump->shape == DUMP_FIELDS)
        s_dump_fields (dump, reply);
    else if (dump && dump->shape == DUMP_LIST) {
        fputs (",\"items\":[", stdout);
        for (size_t index = 0; index < count; index++) {
            if (index)
                putchar (',');
            cli_json_value (zown_reply_value (reply, 0, index));
        }
        putchar (']');
    } else if (dump) {
        fputs (",\"items\":{", stdout);
        for (size_t index = 0; index + 1 < count; index += 2) {
            if (index)
                putchar (',');
            cli_json_string (pairs [index].u.b.ptr, pairs [index].u.b.len);
            putchar (':');
            cli_json_value (pairs [index + 1]);
        }
        putchar ('}');
    }
    puts ("}");
    free (pairs);
    return CLI_OK;
}

typedef struct {
    char *name;  //  Object name
    char *type;  //  Its type
} s_object_t;

static int
s_compare_objects (const void *left, const void *right)
{
    return strcmp (((const s_object_t *) left)->name, ((const s_object_t *) right)->name);
}

//  OBJECTS, copied out of the reply (the next call reuses it), by name.
int
cli_dump (cli_run_t *run)
{
    zown_reply_t *reply;
    const char *only = run->argc ? run->args [0] : NULL;
    int code = only ? cli_call (run, ZOWN_OP_TYPE, only, 0, NULL, &reply)
                    : cli_call (run, ZOWN_OP_OBJECTS, NULL, 0, NULL, &reply);
    if (code)
        return code;
    size_t count = only ? 1 : zown_reply_count (reply, 0) / 2;
    s_object_t *objects = (s_object_t *) calloc (count ? count : 1, sizeof (s_object_t));
    for (size_t index = 0; objects && index < count; index++) {
        zown_datum_t name = only ? zown_datum_str (only) : zown_reply_value (reply, 0, 2 * index);
        zown_datum_t type = zown_reply_value (reply, 0, only ? 0 : 2 * index + 1);
        objects [index].name = zown_datum_strdup (name);
        objects [index].type = zown_datum_strdup (type);
        if (!objects [index].name || !objects [index].type)
            code = cli_fail (run, "dump", ZOWN_NO_MEMORY);
    }
    if (!objects)
        return cli_fail (run, "dump", ZOWN_NO_MEMORY);
    if (!code)
        qsort (objects, count, sizeof (s_object_t), s_compare_objects);
    for (size_t index = 0; !code && index < count; index++)
        code = s_dump_object (run, objects [index].name, objects [index].type);
    for (size_t index = 0; index < count; index++) {
        free (objects [index].name);
        free (objects [index].type);
    }
    free (objects);
    return code;
}
