#!/usr/bin/env bash
# zown(1) documents every command that `zown --help` lists (a paragraph
# ".TP" / ".B COMMAND ..." each), and both man pages read without a
# warning from groff when it is installed.
#   tests/test_man.sh ZOWN_BINARY MAN_DIR
set -euo pipefail
zown=$1 man=$2

# The commands of --help: the lines under "Commands:" up to the first
# blank line; of each, the words of its first column (up to two blanks)
# that come before its arguments ("get", "list push").
mapfile -t commands < <("$zown" --help | awk '/^Commands:/ { on = 1; next } on && /^$/ { exit }
    on {
        sub (/^ +/, ""); split ($0, columns, /  +/); count = split (columns [1], words, " ")
        command = words [1]
        for (i = 2; i <= count && words [i] ~ /^[a-z]+$/; i++) command = command " " words [i]
        print command
    }')
((${#commands[@]})) || { echo "man: no commands in 'zown --help'" >&2; exit 1; }

missing=()
for command in "${commands[@]}"; do
    grep -qE "^\.B $command( |\$)" "$man/zown.1" || missing+=("$command")
done
if ((${#missing[@]})); then
    echo "man: zown.1 has no section for: ${missing[*]} (a '.TP', then '.B COMMAND ARGS')" >&2
    exit 1
fi

if command -v groff >/dev/null; then
    for page in "$man/zown.1" "$man/zown.3"; do
        warnings=$(LC_ALL=C groff -man -ww -z "$page" 2>&1)
        [ -z "$warnings" ] || { echo "man: $page: $warnings" >&2; exit 1; }
    done
fi
echo "man: zown.1 covers the ${#commands[@]} commands of zown --help"
