/*  =========================================================================
    progress - the progress line of long work on a terminal
    =========================================================================
*/
#include "zown_internal.h"
#include "workers/progress.h"
#include <inttypes.h>

void
zown_progress_start (zown_progress_t *self, const char *label, const char *unit, bool always,
                     int64_t now)
{
    *self = (zown_progress_t){ .label = label, .unit = unit, .always = always, .started = now };
    self->next = now + (always ? ZOWN_PROGRESS_PERIOD_MS : ZOWN_PROGRESS_QUIET_MS);
}

int
zown_progress_timeout (const zown_progress_t *self, int64_t now, int timeout_ms)
{
    int64_t left = self->next > now ? self->next - now : 0;
    return timeout_ms < 0 || left < timeout_ms ? (int) left : timeout_ms;
}

//  M:SS, or H:MM:SS from an hour.
static void
s_duration (char *buffer, size_t size, int64_t ms)
{
    int64_t seconds = (ms + 500) / 1000;
    if (seconds >= 3600)
        snprintf (buffer, size, "%" PRId64 ":%02d:%02d", seconds / 3600, (int) (seconds / 60 % 60),
                  (int) (seconds % 60));
    else
        snprintf (buffer, size, "%d:%02d", (int) (seconds / 60), (int) (seconds % 60));
}

size_t
zown_progress_format (char *buffer, size_t size, const char *label, const char *unit,
                      const zown_progress_counts_t *counts, int64_t elapsed_ms)
{
    double rate = elapsed_ms > 0 ? (double) counts->done * 1000.0 / (double) elapsed_ms : 0.0;
    int length = snprintf (buffer, size,
                           "%s: %" PRIu64 " of %" PRIu64 " %s done, %.0f %s/s, %" PRIu64 " failed",
                           label, counts->done, counts->total, unit, rate, unit, counts->failed);
    //  Time left once the total is known and something is done to tell
    //  the pace by; the whole time at the end.
    char duration [32];
    const char *format = NULL;
    if (counts->total_final && counts->done >= counts->total) {
        s_duration (duration, sizeof (duration), elapsed_ms);
        format = ", took %s";
    } else if (counts->total_final && counts->done > 0) {
        double left =
            (double) (counts->total - counts->done) * (double) elapsed_ms / (double) counts->done;
        s_duration (duration, sizeof (duration), (int64_t) left);
        format = ", %s left";
    }
    if (format && length >= 0 && (size_t) length < size)
        length += snprintf (buffer + length, size - (size_t) length, format, duration);
    if (length < 0)
        length = 0;
    return (size_t) length < size ? (size_t) length : size ? size - 1 : 0;
}

static void
s_draw (zown_progress_t *self, int64_t now, const zown_progress_counts_t *counts, const char *end)
{
    char line [512] = "\r";
    size_t length = 1
        + zown_progress_format (line + 1, sizeof (line) - 1, self->label, self->unit, counts,
                                now - self->started);
    //  Blank what is left of a longer line before.
    size_t width = length - 1;
    while (length - 1 < self->width && length < sizeof (line) - 2)
        line [length++] = ' ';
    length += (size_t) snprintf (line + length, sizeof (line) - length, "%s", end);
    (void) !write (STDERR_FILENO, line, length);
    self->width = width;
    self->shown = true;
}

void
zown_progress_tick (zown_progress_t *self, int64_t now, const zown_progress_counts_t *counts)
{
    if (now < self->next)
        return;
    s_draw (self, now, counts, "");
    self->next = now + ZOWN_PROGRESS_PERIOD_MS;
}

void
zown_progress_end (zown_progress_t *self, int64_t now, const zown_progress_counts_t *counts)
{
    if (self->shown || self->always)
        s_draw (self, now, counts, "\n");
    self->shown = false;
    self->width = 0;
}
