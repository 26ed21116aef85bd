/*  =========================================================================
    cli_prompt - zown without a command: one command a line, as redis-cli
    does. On a terminal, a prompt with line editing and a history kept in
    ~/.zown_history (libedit, when the build found it); otherwise lines are
    read as they come, with no prompt, so a file of commands can be piped
    in (docs/CLI.md, "The prompt").
    =========================================================================
*/
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef ZOWN_HAVE_LIBEDIT
#include <editline/readline.h>
#endif

#define PROMPT "zown> "
//  Most history lines kept
#define HISTORY_MAX 1000

//  The value of \xHH's digit, or -1.
static int
s_hex (char digit)
{
    return digit >= '0' && digit <= '9' ? digit - '0'
        : digit >= 'a' && digit <= 'f'  ? digit - 'a' + 10
        : digit >= 'A' && digit <= 'F'  ? digit - 'A' + 10
                                        : -1;
}

//  Splits line into words, in place: blanks separate them; "..." holds
//  blanks and the escapes \" \\ \n \r \t \xHH; '...' holds anything but
//  '. Returns the number of words, or -1 for an unclosed quote.
static int
s_split (char *line, char **words, int most)
{
    int count = 0;
    char *in = line, *out = line;
    while (true) {
        while (*in == ' ' || *in == '\t' || *in == '\n' || *in == '\r')
            in++;
        if (!*in)
            return count;
        if (count == most)
            return -1;
        words [count++] = out;
        while (*in && *in != ' ' && *in != '\t' && *in != '\n' && *in != '\r') {
            char quote = *in;
            if (quote != '"' && quote != '\'') {
                *out++ = *in++;
                continue;
            }
            for (in++; *in != quote; in++) {
                if (!*in)
                    return -1;
                if (quote == '\'' || *in != '\\' || !in [1]) {
                    *out++ = *in;
                    continue;
                }
                char escaped = *++in;
                if (escaped == 'x' && s_hex (in [1]) >= 0 && s_hex (in [2]) >= 0) {
                    *out++ = (char) (s_hex (in [1]) * 16 + s_hex (in [2]));
                    in += 2;
                } else
                    *out++ = escaped == 'n' ? '\n'
                        : escaped == 'r'    ? '\r'
                        : escaped == 't'    ? '\t'
                                            : escaped;
            }
            in++;
        }
        //  The end of the word is written where the blank after it was, or
        //  behind it: never past the line's end.
        bool last = !*in;
        *out++ = '\0';
        if (last)
            return count;
        in++;
    }
}

//  The next line, or NULL at the end of the input. Freed by the caller.
static char *
s_read_line (bool terminal)
{
#ifdef ZOWN_HAVE_LIBEDIT
    if (terminal)
        return readline (PROMPT);
#else
    if (terminal) {
        fputs (PROMPT, stdout);
        fflush (stdout);
    }
#endif
    char *line = NULL;
    size_t size = 0;
    if (getline (&line, &size, stdin) >= 0)
        return line;
    free (line);
    return NULL;
}

//  The history file, $HOME/.zown_history, loaded; NULL without one (not
//  a terminal, no HOME, or no libedit).
static char *
s_history_open (bool terminal)
{
    const char *home = getenv ("HOME");
#ifdef ZOWN_HAVE_LIBEDIT
    char *path = terminal && home && *home
        ? (char *) malloc (strlen (home) + sizeof ("/.zown_history"))
        : NULL;
    if (path) {
        sprintf (path, "%s/.zown_history", home);
        using_history ();
        stifle_history (HISTORY_MAX);
        read_history (path);
    }
    return path;
#else
    (void) terminal;
    (void) home;
    return NULL;
#endif
}

//  Adds a line that is not blank, and saves the history at once: Ctrl-C
//  ends the prompt (as redis-cli's), and must not lose it.
static void
s_history_add (const char *path, const char *line)
{
#ifdef ZOWN_HAVE_LIBEDIT
    if (!path || strspn (line, " \t\n") == strlen (line))
        return;
    add_history (line);
    if (write_history (path))
        fprintf (stderr, "zown: cannot write the history to %s\n", path);
#else
    (void) path;
    (void) line;
#endif
}

//  Runs one line; what it changes in *failed: the exit code of the last
//  line that failed. False for quit or exit.
static bool
s_run_line (char *line, int global_count, char **global, int *failed)
{
    char *words [256];
    int count = s_split (line, words, 256);
    if (count < 0) {
        fprintf (stderr, "zown: unclosed quote, or over 256 words\n");
        *failed = CLI_USAGE;
        return true;
    }
    if (count == 0 || words [0][0] == '#')
        return true;
    if (strcmp (words [0], "quit") == 0 || strcmp (words [0], "exit") == 0)
        return false;
    int code = strcmp (words [0], "help") == 0
        ? cli_help (count - 1, words + 1)
        : cli_main (global_count, global, count, words, true);
    fflush (stdout);
    if (code)
        *failed = code;
    return true;
}

int
cli_prompt (int global_count, char **global)
{
    bool terminal = isatty (STDIN_FILENO) == 1;
    char *history = s_history_open (terminal);
    int failed = CLI_OK;
    char *line;
    bool more = true;
    while (more && (line = s_read_line (terminal))) {
        s_history_add (history, line);
        more = s_run_line (line, global_count, global, &failed);
        free (line);
    }
    free (history);
    if (terminal && more)
        putchar ('\n');  //  After ^D, the shell's prompt on a line of its own
    return failed;
}
