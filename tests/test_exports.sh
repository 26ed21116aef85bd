#!/usr/bin/env bash
# libzown.so exports exactly the calls its public headers declare with
# ZOWN_EXPORT, no more and no fewer: internals stay out of the ABI.
#   tests/test_exports.sh LIBZOWN_SO INCLUDE_DIR
set -euo pipefail
library=$1 include=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

nm -D --defined-only "$library" | awk '{ print $NF }' | sort > "$work/exported"
grep -h '^ZOWN_EXPORT ' "$include"/zown*.h | sed 's/ *(.*//; s/.*[ *]//' | sort > "$work/declared"

[ -s "$work/declared" ] || { echo "exports: no ZOWN_EXPORT declaration in $include" >&2; exit 1; }
if ! diff -u "$work/declared" "$work/exported" > "$work/diff"; then
    echo "exports: libzown.so (+) and the public headers (-) disagree:" >&2
    grep '^[-+][^-+]' "$work/diff" >&2
    exit 1
fi
echo "exports: $(wc -l < "$work/exported") symbols, each declared in include/"
