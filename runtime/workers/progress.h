/*  =========================================================================
    progress - the progress line of long work on a terminal: a pipeline's
    run, a pool's map

        wordcount: 3993 of 4994 items done, 2282 items/s, 2 failed, 0:01 left

    Redrawn in place with a carriage return, at most every
    ZOWN_PROGRESS_PERIOD_MS; a last line with a newline says how long the
    work took. One write per line, on stderr.
    =========================================================================
*/
#ifndef ZOWN_PROGRESS_H_INCLUDED
#define ZOWN_PROGRESS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  Period of the line.
#define ZOWN_PROGRESS_PERIOD_MS 250
//  Work shorter than this draws no line unless told to: short runs stay
//  quiet.
#define ZOWN_PROGRESS_QUIET_MS 1000

typedef struct {
    uint64_t done;     //  Completed, with any outcome
    uint64_t total;    //  Known so far
    uint64_t failed;   //  Of those done
    bool total_final;  //  No more will come: time left can be told
} zown_progress_counts_t;

typedef struct {
    const char *label;  //  Names the work: a pipeline's name, "pool"
    const char *unit;   //  What is counted: "items", "tasks"
    bool always;        //  Lines from the first period and a last one, however short the work
    int64_t started;    //  ms
    int64_t next;       //  Next line due, ms
    size_t width;       //  Of the last line, to blank what a shorter one leaves
    bool shown;         //  A line is on the terminal
} zown_progress_t;

//  Start a line's clock at now (ms). label and unit must outlive it.
void zown_progress_start (zown_progress_t *self, const char *label, const char *unit, bool always,
                          int64_t now);

//  timeout_ms (-1: none) shortened to when the next line is due.
int zown_progress_timeout (const zown_progress_t *self, int64_t now, int timeout_ms);

//  Draw the line if it is due.
void zown_progress_tick (zown_progress_t *self, int64_t now, const zown_progress_counts_t *counts);

//  The work is over: the last line, ended by a newline, if any line was
//  drawn (or `always`).
void zown_progress_end (zown_progress_t *self, int64_t now, const zown_progress_counts_t *counts);

//  The text of a line after elapsed_ms, without carriage return or
//  newline, into buffer (truncated to size). Returns its length.
size_t zown_progress_format (char *buffer, size_t size, const char *label, const char *unit,
                             const zown_progress_counts_t *counts, int64_t elapsed_ms);

#endif
