/*  =========================================================================
    cli - what the files of the zown command share: exit codes, the parsed
    command line of one run, failures, calls to the owner, and each
    command's entry point (docs/CLI.md)

    zown.c        options, help, the command table, main
    cli_prompt.c  the prompt: commands read line by line
    cli_commands.c commands on the objects (dict, value, list, queue, ...)
    cli_owner.c   commands about the owner: serve, stats, watch, keygen
    cli_format.c  numbers read from the command line, data printed
    =========================================================================
*/
#ifndef CLI_H_INCLUDED
#define CLI_H_INCLUDED

#include "cli_format.h"
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

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
//  max_args of a command whose last argument repeats
#define CLI_ARGS_ANY ((size_t) -1)

//  Which commands accept an option: bits of cli_command_t.options.
#define OPT_CLIENT   1u    //  --name, --endpoint (once), --timeout
#define OPT_SERVE    2u    //  --name, --endpoint (repeatable)
#define OPT_STRING   4u    //  --string
#define OPT_INTERVAL 8u    //  --interval
#define OPT_FEED     16u   //  --feed
#define OPT_JSON     32u   //  --json
#define OPT_WAIT     64u   //  --wait
#define OPT_STDIN    128u  //  -x: the last argument comes from stdin

typedef struct _cli_run_t cli_run_t;

typedef struct {
    const char *name;  //  Command word(s): "get", or "list push"
    int (*run) (cli_run_t *run);
    size_t min_args;  //  Argument count range
    size_t max_args;
    unsigned options;      //  OPT_ bits
    const char *synopsis;  //  Arguments, for usage lines
    const char *summary;   //  One line, for `zown --help`
    const char *help;      //  What `zown COMMAND --help` adds
} cli_command_t;

struct _cli_run_t {
    const char *name;                           //  --name
    const char *endpoint;                       //  --endpoint (client commands)
    const char *endpoints [CLI_ENDPOINTS_MAX];  //  --endpoint (serve)
    size_t endpoint_count;
    int timeout;             //  --timeout, ms
    int interval;            //  --interval, ms
    int wait;                //  --wait, ms (0: none)
    bool string;             //  --string
    bool json;               //  --json
    bool from_stdin;         //  -x: the last argument is stdin's content
    const char *data;        //  --data (serve)
    const char *feed;        //  --feed (watch)
    zown_fsync_t fsync;      //  --fsync (serve)
    const char *cert;        //  --cert: the owner's or the client's secret certificate
    const char *allow;       //  --allow (serve)
    const char *server_key;  //  --server-key (client commands)
    bool insecure;           //  --insecure
    zown_limits_t limits;    //  --max-* (serve)
    const char **args;       //  The arguments, after the options are taken out
    size_t argc;
    char *input;                   //  -x: what stdin held, NUL added
    size_t input_size;             //  Its size, without that NUL
    zown_client_t *client;         //  Connected client (client commands)
    const char *target;            //  Endpoint the client talks to, for messages
    const char *absent;            //  Why no owner can be at target, or NULL
    const cli_command_t *command;  //  The command run
};

//  Failures: one line on stderr; each returns the exit code.
int cli_usage (const cli_command_t *command, const char *problem, const char *word);
int cli_fail (cli_run_t *run, const char *what, int status);

//  One op on the owner: ZOWN_OK, or the status it failed with. *reply_p
//  is the reply, borrowed until the next call, or NULL if none came (an
//  owner's TIMEOUT has a reply; a deadline passed has none).
int cli_request (cli_run_t *run, zown_op_t op, const char *name, size_t argc,
                 const zown_datum_t *argv, zown_reply_t **reply_p);

//  The same, failing with a message and an exit code.
int cli_call (cli_run_t *run, zown_op_t op, const char *name, size_t argc, const zown_datum_t *argv,
              zown_reply_t **reply_p);

//  Argument `index` as bytes: its text, or with -x and the last one, all
//  of stdin.
zown_datum_t cli_arg (cli_run_t *run, size_t index);

//  Argument `index` as a value to store: a number if it reads as one
//  (not with --string, nor from stdin), else its bytes. CLI_USAGE for a
//  number out of range.
int cli_value (cli_run_t *run, size_t index, zown_datum_t *value_p);

//  Blocks SIGINT and SIGTERM in this thread (and the threads it starts
//  afterwards); -1 with a message if they cannot be.
int cli_block_stop_signals (sigset_t *signals);

//  Runs one command line (without the program name): the words of
//  `global` (options given before the command) then `argc` words. The
//  exit code. at_prompt: a line of the prompt, which cannot serve.
int cli_main (int global_count, char **global, int argc, char **argv, bool at_prompt);

//  `zown --help` with no words, else `zown WORDS --help`. The exit code.
int cli_help (int argc, char **argv);

//  The prompt: reads command lines from stdin, with line editing and
//  history on a terminal, and runs each with the global options. Exit 0,
//  or the exit code of the last line that failed.
int cli_prompt (int global_count, char **global);

//  The commands
int cli_set (cli_run_t *run);
int cli_get (cli_run_t *run);
int cli_del (cli_run_t *run);
int cli_keys (cli_run_t *run);
int cli_incr (cli_run_t *run);
int cli_type (cli_run_t *run);
int cli_drop (cli_run_t *run);
int cli_list_push (cli_run_t *run);
int cli_list_pop (cli_run_t *run);
int cli_list_len (cli_run_t *run);
int cli_list_range (cli_run_t *run);
int cli_queue_put (cli_run_t *run);
int cli_queue_get (cli_run_t *run);
int cli_queue_len (cli_run_t *run);
int cli_lock_status (cli_run_t *run);
int cli_event_status (cli_run_t *run);
int cli_dump (cli_run_t *run);
int cli_stats (cli_run_t *run);
int cli_watch (cli_run_t *run);
int cli_serve (cli_run_t *run);
int cli_keygen (cli_run_t *run);

#endif
