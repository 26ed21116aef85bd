/*  =========================================================================
    cli_format - how the zown command reads numbers from its command line
    and prints data: raw for get, JSON for dump (docs/CLI.md)
    =========================================================================
*/
#ifndef CLI_FORMAT_H_INCLUDED
#define CLI_FORMAT_H_INCLUDED

#include <zown.h>

//  Reads a word as an int64 or a decimal if it has the shape of a JSON
//  number (so "inf", "0x10" and " 1" stay text). Returns 1 for a number
//  (*datum set), 0 for text, -1 for a number out of range.
int cli_number (const char *text, zown_datum_t *datum);

//  Shortest text that reads back as the same double, as Python's repr
//  writes it ("2.5", "3.0", "1e+16", "nan", "-inf").
void cli_format_double (char *buffer, size_t size, double value);

//  A datum on stdout as `get` prints it, then a newline: numbers as
//  numbers, bytes raw, nil as "nil".
void cli_print_raw (zown_datum_t datum);

//  Bytes as a JSON string on stdout. Bytes that are not UTF-8 come out as
//  \u00XX, as if they were Latin-1, so the output is always valid JSON.
void cli_json_string (const void *data, size_t size);

//  A datum as a JSON value on stdout. JSON has no inf or nan: they, and
//  nil, print as null.
void cli_json_value (zown_datum_t datum);

#endif
