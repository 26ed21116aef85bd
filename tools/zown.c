/*  =========================================================================
    zown - the command line: serve an owner in the foreground, read and
    change the objects of a running one, or type commands at a prompt

    zown [OPTION]... COMMAND [ARGUMENT]... [OPTION]...
    zown [OPTION]...                  (the prompt: one command per line)

    Every command, flag, output format and exit code is in docs/CLI.md.
    Options may come before the command or after it, before or after the
    arguments; a word is an option only if it starts with "--", or is "-"
    and one letter, so "-5" and "-1.5" are arguments. "--" ends the
    options. The files of the command are listed in cli.h.
    =========================================================================
*/
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

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
    { "json", 'j', OPT_JSON, NULL, "stats: print one JSON object" },
    { "wait", 'w', OPT_WAIT, "MS",
      "queue put, queue get: wait up to MS for room or an item (default: no wait)" },
    { "stdin", 'x', OPT_STDIN, NULL,
      "read the last argument (a VALUE) from standard input, all of it, as bytes" },
    { "help", 'h', 0, NULL, "show this help" },
    { "version", 'V', 0, NULL, "print the version of zown and of its protocol" },
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

int
cli_usage (const cli_command_t *command, const char *problem, const char *word)
{
    fprintf (stderr, "zown: %s%s%s\n", problem, word ? ": " : "", word ? word : "");
    if (command)
        fprintf (stderr, "usage: zown %s%s%s [OPTION]...\nTry 'zown %s --help'.\n", command->name,
                 *command->synopsis ? " " : "", command->synopsis, command->name);
    else
        fprintf (stderr, "usage: zown COMMAND [ARGUMENT]... [OPTION]...\nTry 'zown --help'.\n");
    return CLI_USAGE;
}

int
cli_fail (cli_run_t *run, const char *what, int status)
{
    if (status == ZOWN_UNREACHABLE || status == ZOWN_TIMEOUT) {
        //  The client says why when an ipc socket file tells (an owner at
        //  its descriptor limit).
        const char *why = run->client ? zown_client_message (run->client) : "";
        fprintf (stderr, "zown: no owner answers at %s: %s\n", run->target,
                 run->absent ? run->absent
                     : *why  ? why
                             : zown_strerror (status));
        return CLI_UNREACHABLE;
    }
    //  The owner's own words when it gave some: they say the status's
    //  generic text more precisely ("key over max_key (4 bytes)"), and
    //  both together would say one thing twice.
    const char *message = run->client && status < 64 ? zown_client_message (run->client) : "";
    fprintf (stderr, "zown: %s: %s\n", what, *message ? message : zown_strerror (status));
    return status == ZOWN_NOT_FOUND ? CLI_NOT_FOUND
        : status == ZOWN_INVALID    ? CLI_USAGE
                                    : CLI_FAILED;
}

int
cli_request (cli_run_t *run, zown_op_t op, const char *name, size_t argc, const zown_datum_t *argv,
             zown_reply_t **reply_p)
{
    *reply_p = NULL;
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

int
cli_call (cli_run_t *run, zown_op_t op, const char *name, size_t argc, const zown_datum_t *argv,
          zown_reply_t **reply_p)
{
    int status = cli_request (run, op, name, argc, argv, reply_p);
    return status == ZOWN_OK ? CLI_OK : cli_fail (run, name ? name : "owner", status);
}

//  --------------------------------------------------------------------------
//  Arguments

static bool
s_from_stdin (cli_run_t *run, size_t index)
{
    return run->from_stdin && index + 1 == run->argc;
}

zown_datum_t
cli_arg (cli_run_t *run, size_t index)
{
    return s_from_stdin (run, index) ? zown_datum_bytes (run->input, run->input_size)
                                     : zown_datum_str (run->args [index]);
}

int
cli_value (cli_run_t *run, size_t index, zown_datum_t *value_p)
{
    *value_p = cli_arg (run, index);
    if (run->string || s_from_stdin (run, index) || cli_number (run->args [index], value_p) >= 0)
        return CLI_OK;
    return cli_usage (run->command, "number out of range (--string stores it as text)",
                      run->args [index]);
}

//  All of stdin, for -x, as the last argument.
static int
s_read_stdin (cli_run_t *run)
{
    size_t capacity = 65536;
    run->input = (char *) malloc (capacity);
    while (run->input) {
        size_t got = fread (run->input + run->input_size, 1, capacity - run->input_size - 1, stdin);
        run->input_size += got;
        if (got == 0)
            break;
        if (run->input_size + 1 == capacity) {
            char *larger = (char *) realloc (run->input, capacity *= 2);
            if (!larger)
                free (run->input);
            run->input = larger;
        }
    }
    if (!run->input || ferror (stdin)) {
        fprintf (stderr, "zown: cannot read standard input%s\n",
                 run->input ? "" : ": out of memory");
        return CLI_FAILED;
    }
    run->input [run->input_size] = '\0';
    run->args [run->argc++] = run->input;
    return CLI_OK;
}

//  --------------------------------------------------------------------------
//  The commands: `zown --help` lists them in this order, one a line.

static const cli_command_t s_commands [] = {
    { "serve", cli_serve, 0, 0, OPT_SERVE, "",
      "run an owner in the foreground until SIGINT or SIGTERM",
      "Runs the owner NAME in the foreground. Prints the endpoints it listens on, one\n"
      "per line (the first is the ipc endpoint that clients use; the last, ending in\n"
      ".feed, is its change feed), then serves until SIGINT or SIGTERM and exits 0\n"
      "after a clean stop, its journal synced. With --data, the state is loaded from\n"
      "the journal first and what was found is reported on stderr (a torn or corrupt\n"
      "tail is set aside, never applied). Exits 5 if an owner already serves that name\n"
      "or endpoint, or has that journal open.\n" },
    { "set", cli_set, 3, 3, OPT_CLIENT | OPT_STRING | OPT_STDIN, "DICT KEY VALUE",
      "set KEY of the dict DICT",
      "Sets KEY of the dict DICT (created if missing) to VALUE, stored as an integer\n"
      "(int64) if it reads as one, as a decimal (double) if it reads as one (1.5, -2e3),\n"
      "else as a string. Prints nothing. With -x, VALUE is all of standard input,\n"
      "stored as a string, byte for byte.\n" },
    { "get", cli_get, 1, 2, OPT_CLIENT, "NAME|DICT KEY",
      "print the value object NAME, or KEY of the dict DICT",
      "Prints the number the value object NAME holds, or the value of KEY in the dict\n"
      "DICT: numbers as numbers (a decimal always with a point or an exponent),\n"
      "strings as they are. Exits 1 if NAME or KEY is absent.\n" },
    { "del", cli_del, 2, 2, OPT_CLIENT, "DICT KEY", "delete KEY from the dict DICT",
      "Deletes KEY from the dict DICT. Prints nothing. Exits 1 if KEY is absent.\n" },
    { "keys", cli_keys, 1, 1, OPT_CLIENT, "DICT", "print the keys of the dict DICT",
      "Prints the keys of the dict DICT, one per line, in byte order. A missing dict\n"
      "has no keys.\n" },
    { "incr", cli_incr, 1, 3, OPT_CLIENT, "NAME|DICT KEY [DELTA]",
      "add DELTA (default 1) to a value object or a dict's KEY",
      "Adds DELTA (default 1) atomically to the value object NAME (0 if missing), or\n"
      "to KEY of the dict DICT (0 if absent), and prints the new number. Two words\n"
      "are DICT KEY when the second is not a number or when the first names a dict,\n"
      "else NAME DELTA. An integer DELTA is added as a decimal to a value object that\n"
      "holds a decimal.\n" },
    { "type", cli_type, 1, 1, OPT_CLIENT, "NAME", "print the type of the object NAME",
      "Prints the type of the object NAME: dict, value, list, array, event, lock,\n"
      "rlock, queue, semaphore, barrier or condition. Exits 1 if NAME does not exist.\n" },
    { "drop", cli_drop, 1, 1, OPT_CLIENT, "NAME", "delete the object NAME, of any type",
      "Deletes the object NAME, whatever its type, with all it holds; requests waiting\n"
      "on it fail. Prints nothing. Exits 1 if NAME does not exist.\n" },
    { "list push", cli_list_push, 2, CLI_ARGS_ANY, OPT_CLIENT | OPT_STRING | OPT_STDIN,
      "LIST VALUE...", "append values to the list LIST",
      "Appends each VALUE, read as set reads it, to the end of the list LIST (created\n"
      "if missing), all in one step, and prints the new length.\n" },
    { "list pop", cli_list_pop, 1, 2, OPT_CLIENT, "LIST [INDEX]",
      "remove and print a value of the list LIST",
      "Removes the value at INDEX (default -1, the last; negative counts from the end)\n"
      "from the list LIST and prints it as get does. Exits 1 if there is none there.\n" },
    { "list len", cli_list_len, 1, 1, OPT_CLIENT, "LIST", "print the length of the list LIST",
      "Prints how many values the list LIST holds (0 if missing).\n" },
    { "list range", cli_list_range, 1, 3, OPT_CLIENT, "LIST [START [STOP]]",
      "print the values of the list LIST",
      "Prints the values of the list LIST from START (default 0) up to, not including,\n"
      "STOP (default: the end), one per line as get prints them. Negative indices\n"
      "count from the end; bounds past either end are clamped, as Python's slices.\n" },
    { "queue put", cli_queue_put, 2, CLI_ARGS_ANY, OPT_CLIENT | OPT_STRING | OPT_STDIN | OPT_WAIT,
      "QUEUE VALUE...", "put values into the queue QUEUE",
      "Puts each VALUE, read as set reads it, into the queue QUEUE (created if\n"
      "missing), all of them or none: exits 4 if they do not fit (a bounded queue)\n"
      "within --wait. Prints nothing.\n" },
    { "queue get", cli_queue_get, 1, 1, OPT_CLIENT | OPT_WAIT, "QUEUE",
      "take the oldest item of the queue QUEUE and print it",
      "Takes the oldest item of the queue QUEUE and prints it as get does, waiting up\n"
      "to --wait for one. Exits 1 if the queue stays empty. An item of a joinable\n"
      "queue is acknowledged once printed.\n" },
    { "queue len", cli_queue_len, 1, 1, OPT_CLIENT, "QUEUE",
      "print how many items the queue QUEUE holds",
      "Prints how many items wait in the queue QUEUE (0 if missing); items handed out\n"
      "and not yet acknowledged (joinable queue) are not counted.\n" },
    { "lock status", cli_lock_status, 1, 1, OPT_CLIENT, "LOCK",
      "print whether the lock LOCK is held",
      "Prints \"locked\" if a client holds the lock (or reentrant lock) LOCK, else\n"
      "\"unlocked\" (also for a missing lock).\n" },
    { "event status", cli_event_status, 1, 1, OPT_CLIENT, "EVENT",
      "print whether the event EVENT is set",
      "Prints \"set\" if the event EVENT is set, else \"clear\" (also for a missing\n"
      "event).\n" },
    { "dump", cli_dump, 0, 1, OPT_CLIENT, "[NAME]",
      "print objects and their contents as JSON lines",
      "Prints every object, or the object NAME, as one JSON object per line, by name:\n"
      "\"name\", \"type\", then the content (dict, list, array: \"items\"; value, semaphore:\n"
      "\"value\"; queue: \"len\", \"maxsize\"; event: \"set\"; lock, rlock: \"locked\";\n"
      "barrier: \"parties\", \"waiting\", \"broken\"). Exits 1 if NAME does not exist.\n" },
    { "watch", cli_watch, 1, 1, OPT_CLIENT | OPT_FEED, "NAME",
      "print each change of the object NAME as it happens",
      "Prints \"watching NAME from seq N\" on stderr once every change after seq N will\n"
      "be shown, then one line per change of the object NAME on stdout, as the owner\n"
      "commits it, until SIGINT or SIGTERM (exit 0): \"SEQ VERSION KIND [VALUE]...\",\n"
      "with KEY and VALUE as JSON. KIND is set (dict: KEY VALUE; value object: VALUE),\n"
      "del (KEY), clear, drop, or op (the op's name, then its arguments: lists,\n"
      "queues and the other types). SEQ numbers every change of the owner, so other\n"
      "objects' changes leave gaps; VERSION counts this object's. With --endpoint and\n"
      "no --feed, the feed the owner names (FEED) is watched.\n" },
    { "keygen", cli_keygen, 1, 1, 0, "BASE", "write a CURVE key pair for tcp",
      "Writes a new CURVE key pair: BASE.key, the public certificate (copy it into an\n"
      "owner's --allow directory, or give it to clients as --server-key), and\n"
      "BASE.secret, both keys (mode 0600; it never leaves this host). Prints the\n"
      "public key. Never replaces an existing file.\n" },
    { "stats", cli_stats, 0, 0, OPT_CLIENT | OPT_INTERVAL | OPT_JSON, "",
      "print the owner's statistics",
      "Prints one \"name value\" line per statistic of the owner (docs/PROTOCOL.md,\n"
      "STATS), then ops_per_sec: the ops the owner applied over --interval, per second.\n"
      "With --json, one JSON object of the same names and values instead. This\n"
      "command's own session is counted in sessions.\n" },
};
#define COMMAND_COUNT (sizeof (s_commands) / sizeof (s_commands [0]))

//  The command that the first words of argv name, and how many words its
//  name takes (1, or 2 for "list push"); NULL if none.
static const cli_command_t *
s_commands_find (int argc, char **argv, int *words_p)
{
    for (size_t index = 0; index < COMMAND_COUNT; index++) {
        const char *name = s_commands [index].name;
        const char *space = strchr (name, ' ');
        size_t first = space ? (size_t) (space - name) : strlen (name);
        if (strlen (argv [0]) != first || strncmp (argv [0], name, first))
            continue;
        if (!space) {
            *words_p = 1;
            return &s_commands [index];
        }
        if (argc > 1 && strcmp (argv [1], space + 1) == 0) {
            *words_p = 2;
            return &s_commands [index];
        }
    }
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

//  The lines of `zown --help` of the commands whose name starts so.
static void
s_print_commands (const char *start)
{
    for (size_t index = 0; index < COMMAND_COUNT; index++) {
        if (strncmp (s_commands [index].name, start, strlen (start)))
            continue;
        char left [48];
        snprintf (left, sizeof (left), "%s %s", s_commands [index].name,
                  s_commands [index].synopsis);
        printf ("  %-32s %s\n", left, s_commands [index].summary);
    }
}

static void
s_help (const cli_command_t *command)
{
    if (command) {
        printf ("usage: zown %s%s%s [OPTION]...\n\n%s\nOptions:\n", command->name,
                *command->synopsis ? " " : "", command->synopsis, command->help);
        s_print_options (command->options);
        return;
    }
    printf ("usage: zown [OPTION]... COMMAND [ARGUMENT]... [OPTION]...\n"
            "       zown [OPTION]...   (a prompt: one command a line, from a terminal or not)\n\n"
            "Serve a zown owner, or read and change the objects of a running one.\n\n"
            "Commands:\n");
    s_print_commands ("");
    printf ("\nOptions of serve:\n");
    s_print_options (OPT_SERVE);
    printf ("\nOptions of the other commands:\n");
    s_print_options (OPT_CLIENT | OPT_STRING | OPT_INTERVAL | OPT_FEED | OPT_JSON | OPT_WAIT
                     | OPT_STDIN);
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
s_parse (const cli_command_t *command, int argc, char **argv, cli_run_t *run)
{
    bool options_done = false;
    for (int index = 0; index < argc; index++) {
        const char *word = argv [index];
        bool is_long = word [0] == '-' && word [1] == '-' && word [2];
        bool is_short = word [0] == '-' && isalpha ((unsigned char) word [1]) && !word [2];
        if (options_done || !(is_long || is_short || strcmp (word, "--") == 0)) {
            if (run->argc == command->max_args)
                return cli_usage (command, "too many arguments", word);
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
            return cli_usage (command, "unknown option", word);
        const char *value = NULL;
        if (option->value) {
            value = inline_value ? inline_value + 1 : index + 1 < argc ? argv [++index] : NULL;
            if (!value)
                return cli_usage (command, "option needs a value", word);
        } else if (inline_value)
            return cli_usage (command, "option takes no value", word);
        switch (option->short_name) {
            case 'n':
                run->name = value;
                break;
            case 'e':
                if (command->options & OPT_SERVE) {
                    if (run->endpoint_count == CLI_ENDPOINTS_MAX)
                        return cli_usage (command, "too many endpoints", value);
                    run->endpoints [run->endpoint_count++] = value;
                } else if (strstr (value, "://"))
                    run->endpoint = value;
                else  //  zown_client_new would take it for an owner name
                    return cli_usage (command, "not an endpoint (ipc://PATH)", value);
                break;
            case 't':
                if (!s_parse_ms (value, &run->timeout))
                    return cli_usage (command, "--timeout needs milliseconds, 1 or more", value);
                break;
            case 'i':
                if (!s_parse_ms (value, &run->interval))
                    return cli_usage (command, "--interval needs milliseconds, 1 or more", value);
                break;
            case 's':
                run->string = true;
                break;
            case 'j':
                run->json = true;
                break;
            case 'x':
                run->from_stdin = true;
                break;
            case 'w':
                if (!s_parse_ms (value, &run->wait))
                    return cli_usage (command, "--wait needs milliseconds, 1 or more", value);
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
                    return cli_usage (command, "--fsync takes always, everysec or no", value);
                break;
            case 0:
                if (!s_parse_limit (option->long_name, value, &run->limits))
                    return cli_usage (command,
                                      "not a count within the limit's bounds (docs/CLI.md)", value);
                break;
        }
    }
    //  -x: the last argument is still to come.
    if (run->from_stdin && run->argc == command->max_args)
        return cli_usage (command, "-x reads the last argument, which is given already", NULL);
    if (run->argc + run->from_stdin < command->min_args)
        return cli_usage (command, "missing arguments", NULL);
    if (run->endpoint && run->name)
        return cli_usage (command, "give --name or --endpoint, not both", NULL);
    return CLI_OK;
}

//  True if argv holds one of the two words before any "--".
static bool
s_wants (int argc, char **argv, const char *short_word, const char *long_word)
{
    for (int index = 0; index < argc && strcmp (argv [index], "--"); index++)
        if (strcmp (argv [index], short_word) == 0 || strcmp (argv [index], long_word) == 0)
            return true;
    return false;
}

static int
s_version (void)
{
    printf ("zown %d.%d.%d (protocol %d)\n", ZOWN_VERSION_MAJOR, ZOWN_VERSION_MINOR,
            ZOWN_VERSION_PATCH, ZOWN_PROTOCOL_VERSION);
    return fflush (stdout) ? CLI_FAILED : CLI_OK;
}

//  An ipc endpoint that no owner can be at: its socket file is missing (and
//  not moved aside to PATH.paused by an owner at its descriptor limit,
//  which may accept again before the deadline), or nothing listens on it
//  (a stale file). libzmq would retry it silently until the deadline;
//  saying so at once is more use. NULL if an owner may be there.
static const char *
s_ipc_absent (const char *target)
{
    if (strncmp (target, "ipc://", 6))
        return NULL;
    struct sockaddr_un address = { .sun_family = AF_UNIX };
    const char *path = target + 6;
    struct stat status;
    if (*path == '@' || strlen (path) >= sizeof (address.sun_path))
        return NULL;  //  Abstract, or too long to try: libzmq tells
    char paused [sizeof (address.sun_path) + sizeof (".paused")];
    snprintf (paused, sizeof (paused), "%s.paused", path);
    if (stat (path, &status))
        return errno == ENOENT && stat (paused, &status)
            ? "no socket file there (is the owner running?)"
            : NULL;
    strcpy (address.sun_path, path);
    int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool refused = fd >= 0 && connect (fd, (struct sockaddr *) &address, sizeof (address))
        && errno == ECONNREFUSED;
    if (fd >= 0)
        close (fd);
    return refused ? "nothing listens on its socket file (the owner has stopped)" : NULL;
}

//  The endpoint from --name or --endpoint, and the client for it.
static int
s_connect (cli_run_t *run, char **endpoint_p)
{
    if (!run->endpoint) {
        run->name = run->name ? run->name : CLI_DEFAULT_NAME;
        if (!(*endpoint_p = zown_owner_endpoint_for (run->name))) {
            if (zown_errno () == ZOWN_INVALID)
                return cli_usage (run->command,
                                  "invalid owner name (1 to 64 of A-Z a-z 0-9 . _ -, "
                                  "not starting with .)",
                                  run->name);
            fprintf (stderr,
                     "zown: no usable run directory ($ZOWN_RUNDIR, $XDG_RUNTIME_DIR/zown or "
                     "/tmp/zown-UID must be a directory of this user that nobody else can "
                     "enter): %s\n",
                     zown_strerror (zown_errno ()));
            return CLI_FAILED;
        }
    }
    run->target = run->endpoint ? run->endpoint : *endpoint_p;
    if (!(run->command->options & OPT_CLIENT))
        return CLI_OK;
    //  No owner can answer: the first call fails at once (but a usage
    //  error found before it still comes first).
    run->absent = s_ipc_absent (run->target);
    zown_client_options_t options = { .server_key = run->server_key,
                                      .cert = run->cert,
                                      .insecure = run->insecure };
    //  A queue op may wait --wait at the owner before its reply is due.
    run->client = zown_client_new_with (run->target, &options);
    if (run->client
        && !zown_client_set_timeout (run->client, run->absent ? 1 : run->timeout + run->wait))
        return CLI_OK;
    int status = zown_errno ();
    if (status == ZOWN_INVALID && strncmp (run->target, "tcp://", 6) == 0)
        return cli_usage (run->command,
                          "tcp needs --server-key and --cert that can be read, or --insecure",
                          run->target);
    if (status == ZOWN_INVALID)
        return cli_usage (run->command, "invalid endpoint", run->target);
    fprintf (stderr, "zown: cannot connect to %s: %s\n", run->target, zown_strerror (status));
    return CLI_FAILED;
}

//  The command named, or NULL with *code_p: a usage error, or CLI_OK
//  after the help of a group of commands (`zown list --help`).
static const cli_command_t *
s_command (int argc, char **argv, bool help, int *words_p, int *code_p)
{
    const cli_command_t *command = s_commands_find (argc, argv, words_p);
    if (command)
        return command;
    char name [64];
    snprintf (name, sizeof (name), "%s%s%s", argv [0], argc > 1 ? " " : "",
              argc > 1 ? argv [1] : "");
    char group [48];
    snprintf (group, sizeof (group), "%s ", argv [0]);
    bool is_group = false;
    for (size_t index = 0; index < COMMAND_COUNT; index++)
        is_group |= strncmp (s_commands [index].name, group, strlen (group)) == 0;
    //  `zown list --help`: the list commands
    if (is_group && (help || s_wants (argc - 1, argv + 1, "-h", "--help"))) {
        s_print_commands (group);
        *code_p = fflush (stdout) ? CLI_FAILED : CLI_OK;
        return NULL;
    }
    *code_p = cli_usage (NULL, "unknown command", is_group ? name : argv [0]);
    return NULL;
}

int
cli_main (int global_count, char **global, int argc, char **argv, bool at_prompt)
{
    int words = 0, code = CLI_USAGE;
    bool help = s_wants (global_count, global, "-h", "--help");
    const cli_command_t *command = s_command (argc, argv, help, &words, &code);
    if (!command)
        return code;
    argc -= words;
    argv += words;
    if (help || s_wants (argc, argv, "-h", "--help")) {
        s_help (command);
        return fflush (stdout) ? CLI_FAILED : CLI_OK;
    }
    if (s_wants (argc, argv, "-V", "--version"))
        return s_version ();
    if (at_prompt && command->run == cli_serve)
        return cli_usage (command, "serve runs on its own, not at the prompt", NULL);
    //  The options given before the command come first: any "--" is after.
    int count = global_count + argc;
    char **words_all = (char **) calloc ((size_t) count + 1, sizeof (char *));
    cli_run_t run = { .timeout = CLI_DEFAULT_TIMEOUT,
                      .interval = CLI_DEFAULT_INTERVAL,
                      .command = command,
                      .args = (const char **) calloc ((size_t) count + 1, sizeof (char *)) };
    if (!words_all || !run.args) {
        fprintf (stderr, "zown: out of memory\n");
        code = CLI_FAILED;
    } else {
        memcpy (words_all, global, (size_t) global_count * sizeof (char *));
        memcpy (words_all + global_count, argv, (size_t) argc * sizeof (char *));
        code = s_parse (command, count, words_all, &run);
    }
    if (!code && run.from_stdin && at_prompt)
        code = cli_usage (command, "-x reads standard input, which is the prompt's", NULL);
    else if (!code && run.from_stdin)
        code = s_read_stdin (&run);
    sigset_t signals, before;
    pthread_sigmask (SIG_SETMASK, NULL, &before);
    if (!code && (command->options & OPT_FEED) && cli_block_stop_signals (&signals))
        code = CLI_FAILED;
    char *endpoint = NULL;
    if (!code)
        code = s_connect (&run, &endpoint);
    if (!code)
        code = command->run (&run);
    zown_client_destroy (&run.client);
    if (at_prompt)
        pthread_sigmask (SIG_SETMASK, &before, NULL);
    free (endpoint);
    free (run.input);
    free (run.args);
    free (words_all);
    if (fflush (stdout) && !code) {
        fprintf (stderr, "zown: cannot write to stdout\n");
        code = CLI_FAILED;
    }
    return code;
}

int
cli_help (int argc, char **argv)
{
    int words = 0, code = CLI_USAGE;
    const cli_command_t *command = argc ? s_command (argc, argv, true, &words, &code) : NULL;
    if (argc && !command)
        return code;
    s_help (command);
    return fflush (stdout) ? CLI_FAILED : CLI_OK;
}

//  The options before the command: how many words they take, or -1 after
//  a usage error.
static int
s_leading_options (int argc, char **argv)
{
    int index = 0;
    while (index < argc && argv [index][0] == '-' && strcmp (argv [index], "--")) {
        const char *word = argv [index];
        bool is_long = word [1] == '-';
        size_t length = is_long ? strcspn (word + 2, "=") : 0;
        const s_option_t *option = NULL;
        for (size_t at = 0; at < OPTION_COUNT && !option; at++)
            if (is_long ? strlen (s_options [at].long_name) == length
                        && strncmp (s_options [at].long_name, word + 2, length) == 0
                        : word [1] && !word [2] && s_options [at].short_name == word [1])
                option = &s_options [at];
        if (!option) {
            cli_usage (NULL, "unknown option", word);
            return -1;
        }
        index += option->value && !(is_long && word [2 + length] == '=') ? 2 : 1;
    }
    if (index > argc) {
        cli_usage (NULL, "option needs a value", argv [argc - 1]);
        return -1;
    }
    return index;
}

int
main (int argc, char *argv [])
{
    int global = s_leading_options (argc - 1, argv + 1);
    if (global < 0)
        return CLI_USAGE;
    if (s_wants (global, argv + 1, "-V", "--version"))
        return s_version ();
    if (1 + global < argc)
        return cli_main (global, argv + 1, argc - 1 - global, argv + 1 + global, false);
    if (s_wants (global, argv + 1, "-h", "--help"))
        return cli_help (0, NULL);
    return cli_prompt (global, argv + 1);
}
