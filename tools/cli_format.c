/*  =========================================================================
    cli_format - how the zown command reads numbers from its command line
    and prints data: raw for get, JSON for dump (docs/CLI.md)
    =========================================================================
*/
#define _POSIX_C_SOURCE 200809L
#include "cli_format.h"
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  Only the shape of a JSON number counts as a number: strtod alone would
//  also take "inf", "nan", hex and leading blanks, which are words.
int
cli_number (const char *text, zown_datum_t *datum)
{
    const char *at = text + (*text == '-');
    size_t digits = strspn (at, "0123456789");
    at += digits;
    bool integer = digits > 0 && !*at;
    if (*at == '.') {
        size_t fraction = strspn (++at, "0123456789");
        at += fraction;
        digits += fraction;
    }
    if (!digits)
        return 0;
    if (*at == 'e' || *at == 'E') {
        at += at [1] == '+' || at [1] == '-' ? 2 : 1;
        size_t exponent = strspn (at, "0123456789");
        if (!exponent)
            return 0;
        at += exponent;
    }
    if (*at)
        return 0;
    errno = 0;
    if (integer) {
        long long value = strtoll (text, NULL, 10);
        *datum = zown_datum_int (value);
        return errno == ERANGE ? -1 : 1;
    }
    double value = strtod (text, NULL);
    *datum = zown_datum_double (value);
    return isinf (value) ? -1 : 1;
}

//  As Python's repr: positional for exponents -4 to 15, and always with a
//  point or an exponent, so that it reads back as a decimal, not an integer.
void
cli_format_double (char *buffer, size_t size, double value)
{
    if (!isfinite (value)) {
        snprintf (buffer, size, "%s", isnan (value) ? "nan" : value < 0 ? "-inf" : "inf");
        return;
    }
    //  The fewest significant digits that read back as the same value
    int digits = 0;
    do
        snprintf (buffer, size, "%.*e", digits++, value);
    while (digits < 17 && strtod (buffer, NULL) != value);
    int exponent = atoi (strchr (buffer, 'e') + 1);
    if (exponent >= -4 && exponent < 16) {
        snprintf (buffer, size, "%.*f", digits - 1 - exponent > 0 ? digits - 1 - exponent : 0,
                  value);
        if (!strchr (buffer, '.'))
            strncat (buffer, ".0", size - strlen (buffer) - 1);
    }
}

void
cli_print_raw (zown_datum_t datum)
{
    char number [32];
    switch (datum.tag) {
        case ZOWN_INT:
            printf ("%lld\n", (long long) datum.u.i);
            break;
        case ZOWN_DOUBLE:
            cli_format_double (number, sizeof (number), datum.u.d);
            printf ("%s\n", number);
            break;
        case ZOWN_BYTES:
            fwrite (datum.u.b.ptr, 1, datum.u.b.len, stdout);
            putchar ('\n');
            break;
        default:
            printf ("nil\n");
    }
}

//  Length of the valid UTF-8 sequence at text, or 0 if it is not one.
static size_t
s_utf8_length (const unsigned char *text, size_t left)
{
    unsigned char lead = text [0];
    size_t length = lead < 0x80        ? 1
        : lead >= 0xC2 && lead <= 0xDF ? 2
        : lead >= 0xE0 && lead <= 0xEF ? 3
        : lead >= 0xF0 && lead <= 0xF4 ? 4
                                       : 0;
    if (length > left)
        return 0;
    for (size_t index = 1; index < length; index++)
        if ((text [index] & 0xC0) != 0x80)
            return 0;
    //  Overlong forms, UTF-16 surrogates, and code points past U+10FFFF
    if (length > 2
        && ((lead == 0xE0 && text [1] < 0xA0) || (lead == 0xED && text [1] > 0x9F)
            || (lead == 0xF0 && text [1] < 0x90) || (lead == 0xF4 && text [1] > 0x8F)))
        return 0;
    return length;
}

void
cli_json_string (const void *data, size_t size)
{
    const unsigned char *text = (const unsigned char *) data;
    putchar ('"');
    for (size_t at = 0; at < size;) {
        unsigned char byte = text [at];
        size_t length = s_utf8_length (text + at, size - at);
        if (byte == '"' || byte == '\\')
            printf ("\\%c", byte);
        else if (byte == '\n')
            fputs ("\\n", stdout);
        else if (byte == '\t')
            fputs ("\\t", stdout);
        else if (byte == '\r')
            fputs ("\\r", stdout);
        else if (byte < 0x20 || !length)
            printf ("\\u%04x", byte);
        else
            fwrite (text + at, 1, length, stdout);
        at += length ? length : 1;
    }
    putchar ('"');
}

void
cli_json_value (zown_datum_t datum)
{
    char number [32];
    switch (datum.tag) {
        case ZOWN_INT:
            printf ("%lld", (long long) datum.u.i);
            break;
        case ZOWN_DOUBLE:
            cli_format_double (number, sizeof (number), datum.u.d);
            fputs (isfinite (datum.u.d) ? number : "null", stdout);
            break;
        case ZOWN_BYTES:
            cli_json_string (datum.u.b.ptr, datum.u.b.len);
            break;
        default:
            fputs ("null", stdout);
    }
}
