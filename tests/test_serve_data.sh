#!/usr/bin/env bash
# zown serve --data as a user runs it: every write acknowledged before a
# kill -9 of the server is there after a restart; a journal cut inside its
# last record loads up to the record before and says what it set aside.
# Usage: test_serve_data.sh ZOWN
set -euo pipefail
zown=$1
work=$(mktemp -d)
export ZOWN_RUNDIR=$work/run
server=
cleanup () {
    if [ -n "$server" ]; then
        kill -9 "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

fail () {
    echo "test_serve_data: FAIL: $*" >&2
    exit 1
}

# serve: starts the server on the journal and waits (bounded) for its
# first line, the endpoint it serves.
serve () {
    local fifo=$work/serve.out
    rm -f "$fifo"
    mkfifo "$fifo"
    "$zown" serve --name data --data "$work/state.log" --fsync always >"$fifo" 2>"$work/serve.err" &
    server=$!
    exec {serve_fd}<"$fifo"
    local endpoint
    read -r -t 10 -u "$serve_fd" endpoint || fail "serve printed no endpoint: $(<"$work/serve.err")"
}

kill9 () {
    kill -9 "$server"
    wait "$server" 2>/dev/null || true
    server=
    exec {serve_fd}<&-
}

serve
acknowledged=0
for index in $(seq 1 100); do
    "$zown" incr --name data counter >/dev/null || fail "incr $index"
    "$zown" set --name data keys "k$index" "$index" || fail "set $index"
    acknowledged=$index
done
kill9

serve
grep -q "log records, last seq 200" "$work/serve.err" || fail "report: $(<"$work/serve.err")"
[ "$("$zown" dump --name data counter)" = '{"name":"counter","type":"value","value":100}' ] \
    || fail "counter after kill -9: $("$zown" dump --name data counter)"
[ "$("$zown" keys --name data keys | wc -l)" = "$acknowledged" ] || fail "keys after kill -9"
[ "$("$zown" get --name data keys k100)" = 100 ] || fail "k100 after kill -9"
kill9

# Cut inside the last record (the set of k100).
truncate -s -2 "$work/state.log"
serve
grep -q "set aside in $work/state.log.corrupt-" "$work/serve.err" || fail "report: $(<"$work/serve.err")"
"$zown" get --name data keys k99 >/dev/null || fail "k99 lost"
code=0
"$zown" get --name data keys k100 >/dev/null 2>&1 || code=$?
[ "$code" = 1 ] || fail "k100 should be gone after the cut, get exited $code"
ls "$work"/state.log.corrupt-* >/dev/null || fail "no set-aside file"
kill -TERM "$server"
wait "$server" || fail "serve did not exit 0 on SIGTERM"
server=
echo "test_serve_data: ok"
