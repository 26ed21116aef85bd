/*  =========================================================================
    zown - the command line: serve an owner in the foreground, or read and
    change the objects of a running one

    zown serve [--name NAME] [--endpoint ENDPOINT]... [--cert FILE --allow DIR]
    zown set|get|del|keys|incr|dump|stats ... [--name NAME | --endpoint E]
    zown watch NAME [--name NAME | --endpoint E] [--feed F]
    zown keygen BASE

    Every command, flag, output format and exit code is in docs/CLI.md.
    Options may come before or after the arguments; a word is an option
    only if it starts with "--", or is "-" and one letter, so "-5" and
    "-1.5" are arguments. "--" ends the options.
    =========================================================================
*/
#define _POSIX_C_SOURCE 200809L
#include "cli_format.h"
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <sys/signalfd.h>
#include <zmq.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

//  Exit codes (docs/CLI.md)
enum {
    CLI_OK = 0,           //  Success
    CLI_NOT_FOUND = 1,    //  No such key or object
    CLI_USAGE = 2,        //  Bad command line
    CLI_UNREACHABLE = 3,  //  No owner answered within the deadline
    CLI_FAILED = 4,       //  The owner refused the op, or another failure
    CLI_IN_USE = 5        //  serve: an owner already serves that name or endpoint
};

#define CLI_DEFAULT_NAME     "zown"
#define CLI_DEFAULT_TIMEOUT  2000
#define CLI_DEFAULT_INTERVAL 1000
//  Most extra endpoints one serve binds; more is surely a mistake.
#define CLI_ENDPOINTS_MAX 16

//  Which commands accept an option: bits of s_command_t.options.
#define OPT_CLIENT   1u   //  --name, --endpoint (once), --timeout
#define OPT_SERVE    2u   //  --name, --endpoint (repeatable)
#define OPT_STRING   4u   //  --string
#define OPT_INTERVAL 8u   //  --interval
#define OPT_FEED     16u  //  --feed

typedef struct _s_run_t s_run_t;

typedef struct {
    const char *name;  //  Command word
    int (*run) (s_run_t *run);
    size_t min_args;  //  Argument count range
    size_t max_args;
    unsigned options;      //  OPT_ bits
    const char *synopsis;  //  Arguments, for usage lines
    const char *summary;   //  One line, for `zown --help`
    const char *help;      //  What `zown COMMAND --help` adds
} s_command_t;

struct _s_run_t {
    const char *name;                           //  --name
    const char *endpoint;                       //  --endpoint (client commands)
    const char *endpoints [CLI_ENDPOINTS_MAX];  //  --endpoint (serve)
    size_t endpoint_count;
    int timeout;             //  --timeout, ms
    int interval;            //  --interval, ms
    bool string;             //  --string
    const char *data;        //  --data (serve)
    const char *feed;        //  --feed (watch)
    zown_fsync_t fsync;      //  --fsync (serve)
    const char *cert;        //  --cert: the owner's or the client's secret certificate
    const char *allow;       //  --allow (serve)
    const char *server_key;  //  --server-key (client commands)
    bool insecure;           //  --insecure
    zown_limits_t limits;    //  --max-* (serve)
    const char *args [3];    //  The arguments, after the options are taken out
    size_t argc;
    zown_client_t *client;       //  Connected client (client commands)
    const char *target;          //  Endpoint the client talks to, for messages
    const s_command_t *command;  //  The command run
};

typedef struct {
    const char *long_name;  //  Without the leading "--"
    char short_name;        //  Without the leading "-"
    unsigned scope;         //  Commands that accept it (OPT_ bits); 0: all
    const char *value;      //  Name of its value, NULL for a flag
    const char *help;       //  One line
} s_option_t;

static const s_option_t s_options [] = {
    { "name", 'n', OPT_CLIENT | OPT_SERVE, "NAME",
      "owner name (default " CLI_DEFAULT_NAME "); its endpoint is ipc://RUNDIR/NAME.sock" },
    { "endpoint", 'e', OPT_CLIENT, "ENDPOINT", "talk to the owner at ENDPOINT instead of --name" },
    { "endpoint", 'e', OPT_SERVE, "ENDPOINT",
      "also listen on ENDPOINT (ipc://, inproc:// or tcp://HOST:PORT; repeatable)" },
    { "cert", 'c', OPT_SERVE, "FILE",
      "tcp: the owner's secret certificate (zown keygen), for CURVE; needs --allow" },
    { "allow", 'a', OPT_SERVE, "DIR", "tcp: accept only the clients whose public keys are in DIR" },
    { "cert", 'c', OPT_CLIENT, "FILE", "tcp: this client's secret certificate (zown keygen)" },
    { "server-key", 'k', OPT_CLIENT, "KEY",
      "tcp: the owner's public key (as serve prints it, or its .key file)" },
    { "insecure", 'I', OPT_CLIENT | OPT_SERVE, NULL,
      "tcp without CURVE: no authentication, no encryption (isolated networks only)" },
    { "data", 'd', OPT_SERVE, "FILE",
      "keep the state in the journal FILE (and FILE.snap): loaded at start, every change "
      "logged" },
    { "fsync", 'f', OPT_SERVE, "MODE",
      "with --data: always (acknowledge once on disk, the default), everysec, or no" },
    { "timeout", 't', OPT_CLIENT, "MS", "deadline of each call to the owner (default 2000)" },
    { "string", 's', OPT_STRING, NULL,
      "set: store VALUE as a string even if it reads as a number" },
    { "interval", 'i', OPT_INTERVAL, "MS",
      "stats: measure ops/s over MS milliseconds (default 1000)" },
    { "feed", 'F', OPT_FEED, "ENDPOINT",
      "watch: the owner's change feed (default ipc://RUNDIR/NAME.feed of --name, or\n"
      "the one the owner names (FEED) at --endpoint)" },
    { "help", 'h', 0, NULL, "show this help" },
    //  serve's limits (s_limits): long names only
    { "max-message", 0, OPT_SERVE, "N", "largest request frame, bytes (default 128M)" },
    { "max-key", 0, OPT_SERVE, "N", "largest dict key, bytes (default 64K)" },
    { "max-value", 0, OPT_SERVE, "N", "largest byte string in a request, bytes (default 64M)" },
    { "max-objects", 0, OPT_SERVE, "N", "most objects (default 1000000)" },
    { "max-items", 0, OPT_SERVE, "N", "most items of a dict, list, queue or array (default 16M)" },
    { "max-parked", 0, OPT_SERVE, "N", "most parked (blocked) requests in all (default 100000)" },
    { "max-parked-client", 0, OPT_SERVE, "N",
      "most parked requests of one client (default 10000)" },
    { "max-inflight", 0, OPT_SERVE, "N",
      "most replies queued for one client that does not read (default 100000)" },
};
#define OPTION_COUNT (sizeof (s_options) / sizeof (s_options [0]))

//  The zown_limits_t field each --max-* option sets, and its bounds.
static const struct {
    const char *option;
    size_t offset;
    size_t least;
    size_t most;
} s_limits [] = {
    { "max-message", offsetof (zown_limits_t, max_message), ZOWN_LIMIT_MESSAGE_MIN,
      ZOWN_LIMIT_MESSAGE_MAX },
    { "max-key", offsetof (zown_limits_t, max_key), 1, SIZE_MAX },
    { "max-value", offsetof (zown_limits_t, max_value), ZOWN_LIMIT_VALUE_MIN, SIZE_MAX },
    { "max-objects", offsetof (zown_limits_t, max_objects), 1, SIZE_MAX },
    { "max-items", offsetof (zown_limits_t, max_items), 1, SIZE_MAX },
    { "max-parked", offsetof (zown_limits_t, max_parked), 1, SIZE_MAX },
    { "max-parked-client", offsetof (zown_limits_t, max_parked_client), 1, SIZE_MAX },
    { "max-inflight", offsetof (zown_limits_t, max_inflight), ZOWN_LIMIT_INFLIGHT_MIN, INT_MAX },
};

//  --------------------------------------------------------------------------
//  Failures: one line on stderr, and the exit code

static int
s_usage (const s_command_t *command, const char *problem, const char *word)
{
    fprintf (stderr, "zown: %s%s%s\n", problem, word ? ": " : "", word ? word : "");
    if (command)
        fprintf (stderr, "usage: zown %s%s%s [OPTION]...\nTry 'zown %s --help'.\n", command->name,
                 *command->synopsis ? " " : "", command->synopsis, command->name);
    else
        fprintf (stderr, "usage: zown COMMAND [ARGUMENT]... [OPTION]...\nTry 'zown --help'.\n");
    return CLI_USAGE;
}

static int
s_fail (s_run_t *run, const char *what, int status)
{
    if (status == ZOWN_UNREACHABLE || status == ZOWN_TIMEOUT) {
        fprintf (stderr, "zown: no owner answers at %s: %s\n", run->target, zown_strerror (status));
        return CLI_UNREACHABLE;
    }
    //  Then the owner's own words when it gave some (they name a limit).
    const char *message = run->client && status < 64 ? zown_client_message (run->client) : "";
    fprintf (stderr, "zown: %s: %s%s%s\n", what, zown_strerror (status), *message ? ": " : "",
             message);
    return status == ZOWN_NOT_FOUND ? CLI_NOT_FOUND
        : status == ZOWN_INVALID    ? CLI_USAGE
                                    : CLI_FAILED;
}

//  One op on the owner: ZOWN_OK, or the status it failed with. The reply
//  is borrowed until the next call.
static int
s_request (s_run_t *run, zown_op_t op, const char *name, size_t argc, const zown_datum_t *argv,
           zown_reply_t **reply_p)
{
    zown_request_t *request = zown_request_new ();
    int status = ZOWN_NO_MEMORY;
    if (request)
        status = zown_request_add (request, op, name, argc, argv) == 0
                && zown_client_call (run->client, request, reply_p) == 0
            ? ZOWN_OK
            : zown_errno ();
    zown_request_destroy (&request);
    return status == ZOWN_OK && zown_reply_results (*reply_p) != 1 ? ZOWN_PROTOCOL : status;
}

//  The same, failing with a message and an exit code.
static int
s_call (s_run_t *run, zown_op_t op, const char *name, size_t argc, const zown_datum_t *argv,
        zown_reply_t **reply_p)
{
    int status = s_request (run, op, name, argc, argv, reply_p);
    return status == ZOWN_OK ? CLI_OK : s_fail (run, name ? name : "owner", status);
}

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

//  --------------------------------------------------------------------------
//  Dict and value commands

static int
s_set (s_run_t *run)
{
    const char *text = run->args [2];
    zown_datum_t value = zown_datum_str (text);
    if (!run->string && cli_number (text, &value) < 0)
        return s_usage (run->command, "number out of range (--string stores it as text)", text);
    zown_dict_t *dict = zown_dict_new (run->client, run->args [0]);
    int code = !dict || zown_dict_set (dict, run->args [1], value, NULL)
        ? s_fail (run, run->args [0], zown_errno ())
        : CLI_OK;
    zown_dict_destroy (&dict);
    return code;
}

//  A get or del that failed; an absent key is "not found", with its name.
static int
s_key_failed (s_run_t *run)
{
    if (zown_errno () != ZOWN_NOT_FOUND)
        return s_fail (run, run->args [0], zown_errno ());
    fprintf (stderr, "zown: no key '%s' in '%s'\n", run->args [1], run->args [0]);
    return CLI_NOT_FOUND;
}

static int
s_get (s_run_t *run)
{
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

static int
s_del (s_run_t *run)
{
    zown_dict_t *dict = zown_dict_new (run->client, run->args [0]);
    int code = !dict || zown_dict_delete (dict, run->args [1]) ? s_key_failed (run) : CLI_OK;
    zown_dict_destroy (&dict);
    return code;
}

static int
s_keys (s_run_t *run)
{
    zown_reply_t *reply;
    zown_dict_t *dict = zown_dict_new (run->client, run->args [0]);
    int code = CLI_OK;
    zown_datum_t *keys = NULL;
    if (!dict || zown_dict_keys (dict, &reply))
        code = s_fail (run, run->args [0], zown_errno ());
    else if (!(keys = s_sorted (reply, zown_reply_count (reply, 0), 1)))
        code = s_fail (run, run->args [0], ZOWN_NO_MEMORY);
    else
        for (size_t index = 0; index < zown_reply_count (reply, 0); index++)
            cli_print_raw (keys [index]);
    free (keys);
    zown_dict_destroy (&dict);
    return code;
}

//  An integer delta on a value that holds a decimal is added as a decimal:
//  `zown incr x` then works whatever number x holds.
static int
s_incr (s_run_t *run)
{
    zown_datum_t delta = zown_datum_int (1);
    if (run->argc == 2 && cli_number (run->args [1], &delta) != 1)
        return s_usage (run->command, "DELTA must be a number in range", run->args [1]);
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
    int code = rc ? s_fail (run, run->args [0], zown_errno ()) : CLI_OK;
    if (!rc)
        cli_print_raw (delta.tag == ZOWN_INT ? zown_datum_int (now_int)
                                             : zown_datum_double (now_double));
    zown_value_destroy (&value);
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
s_dump_object (s_run_t *run, const char *name, const char *type)
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
        int status = s_request (run, dump->op, name, argc, range, &reply);
        if (status == ZOWN_NOT_FOUND || status == ZOWN_WRONG_TYPE)
            return CLI_OK;
        if (status != ZOWN_OK)
            return s_fail (run, name, status);
        count = zown_reply_count (reply, 0);
        if (dump->shape == DUMP_PAIRS) {
            count -= count % 2;
            if (!(pairs = s_sorted (reply, count, 2)))
                return s_fail (run, name, ZOWN_NO_MEMORY);
            //  JSON keys are strings; the owner only ever stores bytes keys.
            for (size_t index = 0; index < count; index += 2)
                if (pairs [index].tag != ZOWN_BYTES) {
                    free (pairs);
                    return s_fail (run, name, ZOWN_PROTOCOL);
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
static int
s_dump (s_run_t *run)
{
    zown_reply_t *reply;
    const char *only = run->argc ? run->args [0] : NULL;
    int code = only ? s_call (run, ZOWN_OP_TYPE, only, 0, NULL, &reply)
                    : s_call (run, ZOWN_OP_OBJECTS, NULL, 0, NULL, &reply);
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
            code = s_fail (run, "dump", ZOWN_NO_MEMORY);
    }
    if (!objects)
        return s_fail (run, "dump", ZOWN_NO_MEMORY);
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

//  --------------------------------------------------------------------------
//  stats

static int64_t
s_now_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t) now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

//  The `ops` count in a STATS reply, or -1.
static int64_t
s_ops_of (zown_reply_t *reply)
{
    for (size_t index = 0; index + 1 < zown_reply_count (reply, 0); index += 2)
        if (zown_datum_streq (zown_reply_value (reply, 0, index), "ops")
            && zown_reply_value (reply, 0, index + 1).tag == ZOWN_INT)
            return zown_reply_value (reply, 0, index + 1).u.i;
    return -1;
}

//  Two STATS calls `interval` ms apart: every pair of the second, then the
//  ops applied in between per second, less the first STATS itself.
static int
s_stats (s_run_t *run)
{
    zown_reply_t *reply;
    int code = s_call (run, ZOWN_OP_STATS, NULL, 0, NULL, &reply);
    if (code)
        return code;
    int64_t ops_before = s_ops_of (reply), started = s_now_ms ();
    struct timespec pause = { run->interval / 1000, (long) (run->interval % 1000) * 1000000 };
    while (nanosleep (&pause, &pause) == -1 && errno == EINTR)
        ;
    code = s_call (run, ZOWN_OP_STATS, NULL, 0, NULL, &reply);
    if (code)
        return code;
    int64_t ops_after = s_ops_of (reply), elapsed = s_now_ms () - started;
    for (size_t index = 0; index + 1 < zown_reply_count (reply, 0); index += 2) {
        zown_datum_t name = zown_reply_value (reply, 0, index);
        if (name.tag == ZOWN_BYTES) {
            fwrite (name.u.b.ptr, 1, name.u.b.len, stdout);
            putchar (' ');
            cli_print_raw (zown_reply_value (reply, 0, index + 1));
        }
    }
    double rate = 0;
    if (ops_before >= 0 && ops_after > ops_before && elapsed > 0)
        rate = (double) (ops_after - ops_before - 1) * 1000.0 / (double) elapsed;
    printf ("ops_per_sec %.1f\n", rate);
    return CLI_OK;
}

//  --------------------------------------------------------------------------
//  watch: one line per change of one object

//  SIGINT and SIGTERM, blocked in this thread, and so in every thread it
//  starts afterwards (ZeroMQ's among them): they are taken only where
//  serve (sigwait) and watch (signalfd) wait for them. -1 if they cannot be.
static int
s_block_stop_signals (sigset_t *signals)
{
    sigemptyset (signals);
    sigaddset (signals, SIGINT);
    sigaddset (signals, SIGTERM);
    if (pthread_sigmask (SIG_BLOCK, signals, NULL) == 0)
        return 0;
    fprintf (stderr, "zown: cannot block SIGINT and SIGTERM\n");
    return -1;
}

//  "SEQ VERSION KIND VALUE...", values as JSON (docs/CLI.md, watch).
static void
s_print_record (const zown_feed_record_t *record)
{
    static const char *kinds [] = { NULL, "set", "del", "clear", "drop", "op" };
    printf ("%llu %llu", (unsigned long long) record->seq, (unsigned long long) record->version);
    size_t first = 0;
    if (record->kind >= ZOWN_CHANGE_SET && record->kind <= ZOWN_CHANGE_OP)
        printf (" %s", kinds [record->kind]);
    else
        printf (" kind %d", record->kind);  //  Of a newer owner
    if (record->kind == ZOWN_CHANGE_OP) {
        const char *op = zown_op_name (record->op);
        if (op)
            printf (" %s", op);
        else
            printf (" 0x%02x", record->op);  //  An op of a newer owner
    }
    //  A value object's SET has a nil key: only the number is shown.
    if (record->kind == ZOWN_CHANGE_SET && record->count == 2 && record->values [0].tag == ZOWN_NIL)
        first = 1;
    for (size_t index = first; index < record->count; index++) {
        putchar (' ');
        cli_json_value (record->values [index]);
    }
    putchar ('\n');
}

//  MARK until one comes back on the feed. NAME was subscribed to before
//  the MARKs ("" topic), on the same connection, so its subscription is
//  live too once a MARK arrives. Sets *from_p to that MARK's seq.
static int
s_watch_live (s_run_t *run, zown_subscriber_t *subscriber, const char *feed, uint64_t *from_p)
{
    char token [48];
    snprintf (token, sizeof (token), "zown watch %d", (int) getpid ());
    zown_datum_t argument = zown_datum_str (token);
    int64_t deadline = s_now_ms () + run->timeout;
    while (true) {
        zown_reply_t *reply;
        int code = s_call (run, ZOWN_OP_MARK, NULL, 1, &argument, &reply);
        if (code)
            return code;
        //  A MARK the owner handled before it saw the subscription is not
        //  sent: ask again every 100 ms, until the deadline.
        int64_t left = deadline - s_now_ms ();
        int wait = left < 0 ? 0 : left < 100 ? (int) left : 100;
        zown_feed_record_t record;
        while (zown_subscriber_recv (subscriber, &record, wait) == 0)
            if (record.kind == ZOWN_CHANGE_MARK) {
                *from_p = record.seq;
                return CLI_OK;
            }
        if (zown_errno () != ZOWN_TIMEOUT && zown_errno () != ZOWN_PROTOCOL)
            return s_fail (run, feed, zown_errno ());
        if (s_now_ms () >= deadline) {
            fprintf (stderr, "zown: no change feed answers at %s\n", feed);
            return CLI_UNREACHABLE;
        }
    }
}

//  Prints each record as it comes until a stop signal is read from
//  signal_fd; CLI_OK then.
static int
s_watch_loop (zown_subscriber_t *subscriber, int signal_fd)
{
    zmq_pollitem_t items [] = { { zown_subscriber_socket (subscriber), 0, ZMQ_POLLIN, 0 },
                                { NULL, signal_fd, ZMQ_POLLIN, 0 } };
    while (true) {
        if (zmq_poll (items, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            fprintf (stderr, "zown: cannot wait for the feed: %s\n", zmq_strerror (errno));
            return CLI_FAILED;
        }
        if (items [1].revents & ZMQ_POLLIN)
            return CLI_OK;
        zown_feed_record_t record;
        while (true) {
            if (zown_subscriber_recv (subscriber, &record, 0)) {
                if (zown_errno () == ZOWN_PROTOCOL)
                    continue;  //  Not a record of this version: skipped.
                break;
            }
            //  MARKs asked for before the unsubscribe may still come.
            if (record.kind == ZOWN_CHANGE_MARK)
                continue;
            s_print_record (&record);
            if (fflush (stdout)) {
                fprintf (stderr, "zown: cannot write to stdout\n");
                return CLI_FAILED;
            }
        }
    }
}

//  The feed of the owner at --endpoint, as its FEED answer names it: the
//  first endpoint, the one other processes reach.
static int
s_announced_feed (s_run_t *run, char **feed_p)
{
    zown_reply_t *reply;
    int code = s_call (run, ZOWN_OP_FEED, NULL, 0, NULL, &reply);
    if (code)
        return code;
    zown_datum_t first =
        zown_reply_count (reply, 0) ? zown_reply_value (reply, 0, 0) : ZOWN_NIL_DATUM;
    if (first.tag != ZOWN_BYTES) {
        fprintf (stderr, "zown: the owner at %s names no change feed: give --feed\n", run->target);
        return CLI_FAILED;
    }
    *feed_p = zown_datum_strdup (first);
    return *feed_p ? CLI_OK : s_fail (run, "owner", ZOWN_NO_MEMORY);
}

//  SIGINT and SIGTERM were blocked in main, before the client started
//  ZeroMQ's threads: a signalfd polled with the feed takes them.
static int
s_watch (s_run_t *run)
{
    const char *name = run->args [0];
    char *derived = NULL;
    if (!run->feed && run->endpoint) {
        int code = s_announced_feed (run, &derived);
        if (code)
            return code;
    } else if (!run->feed && !(derived = zown_owner_feed_endpoint_for (run->name)))
        return s_fail (run, run->name, zown_errno ());
    const char *feed = run->feed ? run->feed : derived;
    zown_subscriber_t *subscriber = zown_subscriber_new (feed);
    int code = CLI_OK;
    if (!subscriber)
        code = zown_errno () == ZOWN_INVALID ? s_usage (run->command, "invalid feed endpoint", feed)
                                             : s_fail (run, feed, zown_errno ());
    else if (zown_subscriber_subscribe (subscriber, name)
             || zown_subscriber_subscribe (subscriber, ""))
        code = zown_errno () == ZOWN_INVALID ? s_usage (run->command, "object name too long", name)
                                             : s_fail (run, feed, zown_errno ());
    sigset_t signals;
    sigemptyset (&signals);
    sigaddset (&signals, SIGINT);
    sigaddset (&signals, SIGTERM);
    int signal_fd = code ? -1 : signalfd (-1, &signals, SFD_CLOEXEC);
    if (!code && signal_fd == -1) {
        fprintf (stderr, "zown: cannot wait for SIGINT or SIGTERM\n");
        code = CLI_FAILED;
    }
    uint64_t from = 0;
    if (!code)
        code = s_watch_live (run, subscriber, feed, &from);
    if (!code && zown_subscriber_unsubscribe (subscriber, ""))
        code = s_fail (run, feed, zown_errno ());
    if (!code) {
        printf ("watching %s from seq %llu\n", name, (unsigned long long) from);
        if (fflush (stdout)) {
            fprintf (stderr, "zown: cannot write to stdout\n");
            code = CLI_FAILED;
        } else
            code = s_watch_loop (subscriber, signal_fd);
    }
    if (signal_fd != -1)
        close (signal_fd);
    zown_subscriber_destroy (&subscriber);
    free (derived);
    return code;
}

//  --------------------------------------------------------------------------
//  serve

//  Binds, prints the endpoints, then waits for SIGINT or SIGTERM. They
//  are blocked before zown_owner_new starts the owner's and ZeroMQ's
//  threads, which inherit the mask, so sigwait here is the only place a
//  stop signal is ever taken.
static int
s_serve (s_run_t *run)
{
    bool tcp = false;
    for (size_t index = 0; index < run->endpoint_count; index++) {
        const char *endpoint = run->endpoints [index];
        tcp |= strncmp (endpoint, "tcp://", 6) == 0;
        if (strncmp (endpoint, "ipc://", 6) && strncmp (endpoint, "inproc://", 9)
            && strncmp (endpoint, "tcp://", 6))
            return s_usage (run->command, "only ipc://, inproc:// and tcp:// endpoints", endpoint);
    }
    if (!run->cert != !run->allow)
        return s_usage (run->command, "--cert and --allow go together", NULL);
    if (tcp && !run->cert && !run->insecure)
        return s_usage (run->command,
                        "a tcp endpoint needs --cert and --allow (CURVE), or --insecure", NULL);
    zown_owner_options_t options = { .data = run->data,
                                     .fsync = run->fsync,
                                     .cert = run->cert,
                                     .allow = run->allow,
                                     .insecure = run->insecure,
                                     .limits = run->limits };
    sigset_t signals;
    zown_owner_t *owner = NULL;
    int code = CLI_OK;
    if (s_block_stop_signals (&signals))
        code = CLI_FAILED;
    else if (!(owner = zown_owner_new_with (run->name, &options))) {
        int status = zown_errno ();
        if (status == ZOWN_INVALID && run->data)
            fprintf (stderr, "zown: cannot load the journal %s (see above)\n", run->data);
        else if (status == ZOWN_INVALID && run->cert)
            return s_usage (run->command, "not a secret certificate (zown keygen writes one)",
                            run->cert);
        else if (status == ZOWN_ADDR_IN_USE)
            fprintf (stderr, "zown: an owner already serves '%s' at %s\n", run->name, run->target);
        else
            fprintf (stderr, "zown: cannot start owner '%s' at %s: %s\n", run->name, run->target,
                     zown_strerror (status));
        code = status == ZOWN_ADDR_IN_USE ? CLI_IN_USE : CLI_FAILED;
    }
    //  Printed as bound: a port given as '*' is a number there.
    char *bound [CLI_ENDPOINTS_MAX] = { NULL };
    for (size_t index = 0; !code && index < run->endpoint_count; index++)
        if (zown_owner_bind (owner, run->endpoints [index])) {
            int status = zown_errno ();
            if (status == ZOWN_INVALID && run->allow && !strncmp (run->endpoints [index], "tcp", 3))
                code = s_usage (run->command, "invalid tcp endpoint, or --allow not a directory",
                                run->endpoints [index]);
            else if (status == ZOWN_INVALID)
                code = s_usage (run->command, "invalid endpoint", run->endpoints [index]);
            else {
                fprintf (stderr, "zown: cannot listen on %s: %s\n", run->endpoints [index],
                         zown_strerror (status));
                code = status == ZOWN_ADDR_IN_USE ? CLI_IN_USE : CLI_FAILED;
            }
        } else if (!(bound [index] = strdup (zown_owner_bound (owner))))
            code = CLI_FAILED;
    if (!code) {
        printf ("%s\n%s\n", zown_owner_ipc (owner), zown_owner_inproc (owner));
        for (size_t index = 0; index < run->endpoint_count; index++)
            printf ("%s\n", bound [index]);
        printf ("%s\n", zown_owner_feed_ipc (owner));
        if (run->cert && tcp)
            fprintf (stderr, "zown: tcp is CURVE; clients pass --server-key %s\n",
                     zown_owner_public_key (owner));
        if (run->data)
            fprintf (stderr, "zown: %s\n", zown_owner_recovery (owner));
        if (fflush (stdout)) {
            fprintf (stderr, "zown: cannot write the endpoints to stdout\n");
            code = CLI_FAILED;
        }
    }
    int received;
    if (!code && sigwait (&signals, &received)) {
        fprintf (stderr, "zown: cannot wait for SIGINT or SIGTERM\n");
        code = CLI_FAILED;
    }
    for (size_t index = 0; index < run->endpoint_count; index++)
        free (bound [index]);
    zown_owner_destroy (&owner);
    return code;
}

//  --------------------------------------------------------------------------
//  keygen

static int
s_keygen (s_run_t *run)
{
    const char *base = run->args [0];
    const char *slash = strrchr (base, '/');
    char key [ZOWN_CURVE_KEY_TEXT + 1];
    if (zown_curve_keygen (base, slash ? slash + 1 : base, key)) {
        fprintf (stderr, "zown: cannot write %s.key and %s.secret: %s\n", base, base,
                 zown_errno () == ZOWN_INVALID ? "one exists already, or no such directory"
                                               : strerror (errno));
        return CLI_FAILED;
    }
    printf ("%s\n", key);
    return CLI_OK;
}

//  --------------------------------------------------------------------------
//  Command line

static const s_command_t s_commands [] = {
    { "serve", s_serve, 0, 0, OPT_SERVE, "",
      "run an owner in the foreground until SIGINT or SIGTERM",
      "Runs the owner NAME in the foreground. Prints the endpoints it listens on, one\n"
      "per line (the first is the ipc endpoint that clients use; the last, ending in\n"
      ".feed, is its change feed), then serves until SIGINT or SIGTERM and exits 0\n"
      "after a clean stop, its journal synced. With --data, the state is loaded from\n"
      "the journal first and what was found is reported on stderr (a torn or corrupt\n"
      "tail is set aside, never applied). Exits 5 if an owner already serves that name\n"
      "or endpoint, or has that journal open.\n" },
    { "set", s_set, 3, 3, OPT_CLIENT | OPT_STRING, "DICT KEY VALUE", "set KEY of the dict DICT",
      "Sets KEY of the dict DICT (created if missing) to VALUE, stored as an integer\n"
      "(int64) if it reads as one, as a decimal (double) if it reads as one (1.5, -2e3),\n"
      "else as a string. Prints nothing.\n" },
    { "get", s_get, 2, 2, OPT_CLIENT, "DICT KEY", "print the value of KEY in the dict DICT",
      "Prints the value of KEY in the dict DICT: numbers as numbers (a decimal always\n"
      "with a point or an exponent), strings as they are. Exits 1 if KEY is absent.\n" },
    { "del", s_del, 2, 2, OPT_CLIENT, "DICT KEY", "delete KEY from the dict DICT",
      "Deletes KEY from the dict DICT. Prints nothing. Exits 1 if KEY is absent.\n" },
    { "keys", s_keys, 1, 1, OPT_CLIENT, "DICT", "print the keys of the dict DICT",
      "Prints the keys of the dict DICT, one per line, in byte order. A missing dict\n"
      "has no keys.\n" },
    { "incr", s_incr, 1, 2, OPT_CLIENT, "NAME [DELTA]", "add DELTA (default 1) to the value NAME",
      "Adds DELTA (default 1) atomically to the value object NAME (0 if missing) and\n"
      "prints the new value. An integer DELTA is added as a decimal to a value that\n"
      "holds a decimal.\n" },
    { "dump", s_dump, 0, 1, OPT_CLIENT, "[NAME]", "print objects and their contents as JSON lines",
      "Prints every object, or the object NAME, as one JSON object per line, by name:\n"
      "\"name\", \"type\", then the content (dict, list, array: \"items\"; value, semaphore:\n"
      "\"value\"; queue: \"len\", \"maxsize\"; event: \"set\"; lock, rlock: \"locked\";\n"
      "barrier: \"parties\", \"waiting\", \"broken\"). Exits 1 if NAME does not exist.\n" },
    { "watch", s_watch, 1, 1, OPT_CLIENT | OPT_FEED, "NAME",
      "print each change of the object NAME as it happens",
      "Prints \"watching NAME from seq N\" once every change after seq N will be shown,\n"
      "then one line per change of the object NAME, as the owner commits it, until\n"
      "SIGINT or SIGTERM (exit 0): \"SEQ VERSION KIND [VALUE]...\", with KEY and VALUE\n"
      "as JSON. KIND is set (dict: KEY VALUE; value object: VALUE), del (KEY), clear,\n"
      "drop, or op (the op code in hex, then its arguments: lists, queues and the\n"
      "other types). SEQ numbers every change of the owner, so other objects' changes\n"
      "leave gaps; VERSION counts this object's. With --endpoint and no --feed, the\n"
      "feed the owner names (FEED) is watched.\n" },
    { "keygen", s_keygen, 1, 1, 0, "BASE", "write a CURVE key pair for tcp",
      "Writes a new CURVE key pair: BASE.key, the public certificate (copy it into an\n"
      "owner's --allow directory, or give it to clients as --server-key), and\n"
      "BASE.secret, both keys (mode 0600; it never leaves this host). Prints the\n"
      "public key. Never replaces an existing file.\n" },
    { "stats", s_stats, 0, 0, OPT_CLIENT | OPT_INTERVAL, "", "print the owner's statistics",
      "Prints one \"name value\" line per statistic of the owner (docs/PROTOCOL.md,\n"
      "STATS), then ops_per_sec: the ops the owner applied over --interval, per second.\n"
      "This command's own session is counted in sessions.\n" },
};
#define COMMAND_COUNT (sizeof (s_commands) / sizeof (s_commands [0]))

static const s_command_t *
s_commands_find (const char *name)
{
    for (size_t index = 0; index < COMMAND_COUNT; index++)
        if (strcmp (s_commands [index].name, name) == 0)
            return &s_commands [index];
    return NULL;
}

static void
s_print_options (unsigned scope)
{
    for (size_t index = 0; index < OPTION_COUNT; index++) {
        const s_option_t *option = &s_options [index];
        if (option->scope && !(option->scope & scope))
            continue;
        char left [40];
        snprintf (left, sizeof (left), "%c%c%s--%s%s%s", option->short_name ? '-' : ' ',
                  option->short_name ? option->short_name : ' ', option->short_name ? ", " : "  ",
                  option->long_name, option->value ? " " : "", option->value ? option->value : "");
        printf ("  %-26s %s\n", left, option->help);
    }
}

static void
s_help (const s_command_t *command)
{
    if (command) {
        printf ("usage: zown %s%s%s [OPTION]...\n\n%s\nOptions:\n", command->name,
                *command->synopsis ? " " : "", command->synopsis, command->help);
        s_print_options (command->options);
        return;
    }
    printf ("usage: zown COMMAND [ARGUMENT]... [OPTION]...\n\n"
            "Serve a zown owner, or read and change the objects of a running one.\n\n"
            "Commands:\n");
    for (size_t index = 0; index < COMMAND_COUNT; index++) {
        char left [40];
        snprintf (left, sizeof (left), "%s %s", s_commands [index].name,
                  s_commands [index].synopsis);
        printf ("  %-26s %s\n", left, s_commands [index].summary);
    }
    printf ("\nOptions of serve:\n");
    s_print_options (OPT_SERVE);
    printf ("\nOptions of the other commands:\n");
    s_print_options (OPT_CLIENT | OPT_STRING | OPT_INTERVAL | OPT_FEED);
    printf ("\nExit codes: 0 success, 1 not found, 2 usage error, 3 no owner answers,\n"
            "4 other failure, 5 (serve) an owner already serves that name or endpoint.\n"
            "'zown COMMAND --help' tells more; docs/CLI.md tells everything.\n");
}

//  A positive number of milliseconds, at most a day.
static bool
s_parse_ms (const char *text, int *ms_p)
{
    zown_datum_t datum;
    if (cli_number (text, &datum) != 1 || datum.tag != ZOWN_INT || datum.u.i < 1
        || datum.u.i > 86400000)
        return false;
    *ms_p = (int) datum.u.i;
    return true;
}

//  A --max-* option: a positive count, K, M or G multiplying it by 1024,
//  1024^2 or 1024^3, within the limit's bounds. False if it is not one.
static bool
s_parse_limit (const char *option, const char *text, zown_limits_t *limits)
{
    size_t index = 0;
    while (strcmp (s_limits [index].option, option))
        index++;
    char *end;
    errno = 0;
    unsigned long long value = isdigit ((unsigned char) *text) ? strtoull (text, &end, 10) : 0;
    int shift = !value        ? -1
        : !*end               ? 0
        : end [1]             ? -1
        : strchr ("kK", *end) ? 10
        : strchr ("mM", *end) ? 20
        : strchr ("gG", *end) ? 30
                              : -1;
    if (errno || shift < 0 || value > s_limits [index].most >> shift
        || value << shift < s_limits [index].least)
        return false;
    *(size_t *) ((char *) limits + s_limits [index].offset) = (size_t) value << shift;
    return true;
}

//  Takes the options out of argv; the rest are the command's arguments.
static int
s_parse (const s_command_t *command, int argc, char **argv, s_run_t *run)
{
    bool options_done = false;
    for (int index = 0; index < argc; index++) {
        const char *word = argv [index];
        bool is_long = word [0] == '-' && word [1] == '-' && word [2];
        bool is_short = word [0] == '-' && isalpha ((unsigned char) word [1]) && !word [2];
        if (options_done || !(is_long || is_short || strcmp (word, "--") == 0)) {
            if (run->argc == command->max_args)
                return s_usage (command, "too many arguments", word);
            run->args [run->argc++] = word;
            continue;
        }
        if (!is_long && !is_short) {
            options_done = true;
            continue;
        }
        const char *inline_value = is_long ? strchr (word, '=') : NULL;
        size_t length = inline_value ? (size_t) (inline_value - word - 2) : strlen (word + 2);
        const s_option_t *option = NULL;
        for (size_t at = 0; at < OPTION_COUNT && !option; at++)
            if ((!s_options [at].scope || (s_options [at].scope & command->options))
                && (is_long ? strlen (s_options [at].long_name) == length
                            && strncmp (s_options [at].long_name, word + 2, length) == 0
                            : s_options [at].short_name == word [1]))
                option = &s_options [at];
        if (!option)
            return s_usage (command, "unknown option", word);
        const char *value = NULL;
        if (option->value) {
            value = inline_value ? inline_value + 1 : index + 1 < argc ? argv [++index] : NULL;
            if (!value)
                return s_usage (command, "option needs a value", word);
        } else if (inline_value)
            return s_usage (command, "option takes no value", word);
        switch (option->short_name) {
            case 'n':
                run->name = value;
                break;
            case 'e':
                if (command->options & OPT_SERVE) {
                    if (run->endpoint_count == CLI_ENDPOINTS_MAX)
                        return s_usage (command, "too many endpoints", value);
                    run->endpoints [run->endpoint_count++] = value;
                } else if (strstr (value, "://"))
                    run->endpoint = value;
                else  //  zown_client_new would take it for an owner name
                    return s_usage (command, "not an endpoint (ipc://PATH)", value);
                break;
            case 't':
                if (!s_parse_ms (value, &run->timeout))
                    return s_usage (command, "--timeout needs milliseconds, 1 or more", value);
                break;
            case 'i':
                if (!s_parse_ms (value, &run->interval))
                    return s_usage (command, "--interval needs milliseconds, 1 or more", value);
                break;
            case 's':
                run->string = true;
                break;
            case 'd':
                run->data = value;
                break;
            case 'F':
                run->feed = value;
                break;
            case 'c':
                run->cert = value;
                break;
            case 'a':
                run->allow = value;
                break;
            case 'k':
                run->server_key = value;
                break;
            case 'I':
                run->insecure = true;
                break;
            case 'f':
                if (strcmp (value, "always") == 0)
                    run->fsync = ZOWN_FSYNC_ALWAYS;
                else if (strcmp (value, "everysec") == 0)
                    run->fsync = ZOWN_FSYNC_EVERYSEC;
                else if (strcmp (value, "no") == 0)
                    run->fsync = ZOWN_FSYNC_NO;
                else
                    return s_usage (command, "--fsync takes always, everysec or no", value);
                break;
            case 0:
                if (!s_parse_limit (option->long_name, value, &run->limits))
                    return s_usage (command, "not a count within the limit's bounds (docs/CLI.md)",
                                    value);
                break;
        }
    }
    if (run->argc < command->min_args)
        return s_usage (command, "missing arguments", NULL);
    if (run->endpoint && run->name)
        return s_usage (command, "give --name or --endpoint, not both", NULL);
    return CLI_OK;
}

//  True if argv holds -h or --help before any "--".
static bool
s_wants_help (int argc, char **argv)
{
    for (int index = 0; index < argc && strcmp (argv [index], "--"); index++)
        if (strcmp (argv [index], "-h") == 0 || strcmp (argv [index], "--help") == 0)
            return true;
    return false;
}

int
main (int argc, char *argv [])
{
    if (argc < 2)
        return s_usage (NULL, "missing command", NULL);
    const s_command_t *command = s_commands_find (argv [1]);
    if (!command && (strcmp (argv [1], "-h") == 0 || strcmp (argv [1], "--help") == 0)) {
        s_help (NULL);
        return fflush (stdout) ? CLI_FAILED : CLI_OK;
    }
    if (!command)
        return s_usage (NULL, "unknown command", argv [1]);
    if (s_wants_help (argc - 2, argv + 2)) {
        s_help (command);
        return fflush (stdout) ? CLI_FAILED : CLI_OK;
    }
    s_run_t run = { .timeout = CLI_DEFAULT_TIMEOUT,
                    .interval = CLI_DEFAULT_INTERVAL,
                    .command = command };
    int code = s_parse (command, argc - 2, argv + 2, &run);
    if (code)
        return code;
    //  The endpoint is computed here, whatever the command, so that every
    //  message can name it and a bad name is a usage error.
    char *endpoint = NULL;
    if (!run.endpoint) {
        run.name = run.name ? run.name : CLI_DEFAULT_NAME;
        if (!(endpoint = zown_owner_endpoint_for (run.name))) {
            if (zown_errno () == ZOWN_INVALID)
                return s_usage (command,
                                "invalid owner name (1 to 64 of A-Z a-z 0-9 . _ -, "
                                "not starting with .)",
                                run.name);
            fprintf (stderr,
                     "zown: no usable run directory ($ZOWN_RUNDIR, $XDG_RUNTIME_DIR/zown or "
                     "/tmp/zown-UID must be a directory of this user that nobody else can "
                     "enter): %s\n",
                     zown_strerror (zown_errno ()));
            return CLI_FAILED;
        }
    }
    run.target = run.endpoint ? run.endpoint : endpoint;
    sigset_t signals;
    if ((command->options & OPT_FEED) && s_block_stop_signals (&signals)) {
        free (endpoint);
        return CLI_FAILED;
    }
    if (command->options & OPT_CLIENT) {
        zown_client_options_t options = { .server_key = run.server_key,
                                          .cert = run.cert,
                                          .insecure = run.insecure };
        run.client = zown_client_new_with (run.target, &options);
        if (!run.client || zown_client_set_timeout (run.client, run.timeout)) {
            int status = zown_errno ();
            free (endpoint);
            zown_client_destroy (&run.client);
            if (status == ZOWN_INVALID && strncmp (run.target, "tcp://", 6) == 0)
                return s_usage (command,
                                "tcp needs --server-key and --cert that can be read, or "
                                "--insecure",
                                run.target);
            if (status == ZOWN_INVALID)
                return s_usage (command, "invalid endpoint", run.target);
            fprintf (stderr, "zown: cannot connect to %s: %s\n", run.target,
                     zown_strerror (status));
            return CLI_FAILED;
        }
    }
    code = command->run (&run);
    zown_client_destroy (&run.client);
    free (endpoint);
    if (fflush (stdout) && !code) {
        fprintf (stderr, "zown: cannot write to stdout\n");
        code = CLI_FAILED;
    }
    return code;
}
