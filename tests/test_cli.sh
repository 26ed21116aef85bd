#!/usr/bin/env bash
# The zown command as a user runs it: the built binary against a real
# `zown serve`, every command's output and exit code (docs/CLI.md).
# Usage: test_cli.sh ZOWN CLI_OBJECTS
set -euo pipefail
zown=$1
cli_objects=$2
work=$(mktemp -d)
export ZOWN_RUNDIR=$work/run
servers=()
cleanup () {
    local pid
    for pid in ${servers[@]+"${servers[@]}"}; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

fail () {
    echo "test_cli: FAIL: $*" >&2
    exit 1
}

# run CODE ARG...: runs zown ARG..., which must exit with CODE; its stdout is
# left in $out and its stderr in $err.
run () {
    local want=$1 code=0
    shift
    "$zown" "$@" >"$work/stdout" 2>"$work/stderr" || code=$?
    out=$(<"$work/stdout")
    err=$(<"$work/stderr")
    [ "$code" = "$want" ] || fail "zown $* exited $code, not $want (stderr: $err)"
}

expect_out () {
    [ "$out" = "$1" ] || fail "expected stdout '$1', got '$out'"
}

expect_err () {
    [[ $err == *"$1"* ]] || fail "expected '$1' on stderr, got '$err'"
}

# usage ARG...: zown ARG... is a usage error: exit 2, nothing on stdout, a
# usage line on stderr.
usage () {
    run 2 "$@"
    expect_out ""
    expect_err "usage: zown"
}

# serve NAME [OPTION...]: starts `zown serve --name NAME` in the background
# and waits (bounded) for its first line; sets $server, $endpoint and
# $serve_fd, from which its other lines can be read. Job control is on for
# the start, or the shell would start it with SIGINT ignored.
serve () {
    local fifo=$work/serve-$1.out
    mkfifo "$fifo"
    set -m
    "$zown" serve --name "$@" >"$fifo" 2>"$work/serve-$1.err" &
    server=$!
    set +m
    servers+=("$server")
    exec {serve_fd}<"$fifo"
    read -r -t 10 -u "$serve_fd" endpoint || fail "serve $1 printed no endpoint"
}

# next_line EXPECTED: the next line the last server printed.
next_line () {
    local line
    read -r -t 10 -u "$serve_fd" line || fail "serve printed no line after $endpoint"
    [ "$line" = "$1" ] || fail "serve printed '$line', expected '$1'"
}

# stop SIGNAL: the server must exit 0 on SIGNAL within 5 s and remove its
# socket file.
stop () {
    local code=0 started=$SECONDS
    kill -"$1" "$server"
    wait "$server" || code=$?
    [ "$code" = 0 ] || fail "serve exited $code on SIG$1"
    local pid rest=()
    for pid in "${servers[@]}"; do
        [ "$pid" = "$server" ] || rest+=("$pid")
    done
    servers=(${rest[@]+"${rest[@]}"})
    ((SECONDS - started <= 5)) || fail "serve took $((SECONDS - started)) s to stop on SIG$1"
    [ ! -e "${endpoint#ipc://}" ] || fail "serve left ${endpoint#ipc://} behind"
}

name=t$$
serve "$name"
first=$server
[ "$endpoint" = "ipc://$ZOWN_RUNDIR/$name.sock" ] || fail "serve printed $endpoint first"
next_line "inproc://zown-$name"

# z CODE ARG...: run against this test's owner.
z () {
    run "$1" "${@:2}" --name "$name"
}

echo "== help"
run 0 --help
commands=(serve set get del keys incr type drop "list push" "list pop" "list len" "list range"
    "queue put" "queue get" "queue len" "lock status" "event status" dump watch keygen stats)
for command in "${commands[@]}"; do
    [[ $out == *"  $command "* ]] || fail "zown --help does not list $command"
done
[ "$(grep -c '^  [a-z]' <<<"${out%%Options of serve*}")" = ${#commands[@]} ] \
    || fail "zown --help lists other commands than ${commands[*]}"
for command in "${commands[@]}"; do
    # shellcheck disable=SC2086 # "list push" is two words
    run 0 $command --help
    [[ $out == "usage: zown $command"* ]] || fail "zown $command --help: $out"
done
run 0 get -h
run 0 list --help
[[ $out == *"  list push "* && $out != *queue* ]] || fail "zown list --help: $out"
run 0 -h queue
[[ $out == *"  queue get "* && $out != *list* ]] || fail "zown -h queue: $out"

echo "== usage errors"
usage --bogus
usage - get d k
usage --name
usage frobnicate
usage list
usage list frobnicate
expect_err "unknown command: list frobnicate"
usage get
usage get d k extra
usage set d k
usage keys
usage incr c k abc
usage incr c k 1 2
usage get d k --bogus
usage get d k -x
usage get d k --timeout
usage get d k --timeout 0
usage get d k --timeout abc
usage set d k v --string=yes
usage stats --interval 0
usage get d k --name "$name" --endpoint "$endpoint"
usage get d k --name bad/name
usage get d k --endpoint nonsense://here
usage get d k --endpoint "$name"
usage frobnicate --help
usage set d k 99999999999999999999 --name "$name"
usage serve extra
usage serve --name "u$$" --endpoint tcp://127.0.0.1:5555
expect_err "needs --cert and --allow (CURVE), or --insecure"
usage serve --name "u$$" --cert "$work/none.secret"
expect_err "--cert and --allow go together"
usage get d k --endpoint tcp://127.0.0.1:5555
expect_err "tcp needs --server-key"
usage keygen
usage serve --name "u$$" --endpoint udp://nowhere
usage serve --name "u$$" --endpoint ipc://
usage watch
usage watch w extra
usage watch w --name "$name" --feed nonsense://here
usage set d k v --feed "$endpoint"
[ ! -e "$ZOWN_RUNDIR/u$$.sock" ] || fail "a refused serve left a socket behind"

echo "== set and get"
z 0 set d int 42
expect_out ""
z 0 get d int
expect_out 42
z 0 set d neg -7
z 0 get d neg
expect_out -7
z 0 set d dbl 2.5
z 0 get d dbl
expect_out 2.5
z 0 set d whole 3.0
z 0 get d whole
expect_out 3.0
z 0 set d exp -1e3
z 0 get d exp
expect_out -1000.0
z 0 set d str "hello world"
z 0 get d str
expect_out "hello world"
z 0 set d nan nan
z 0 get d nan
expect_out nan
z 0 set d forced 42 --string
z 0 get d forced
expect_out 42
z 0 set -s d short -1.5
z 0 get d short
expect_out -1.5
run 0 set --name "$name" d dash -- --literal
z 0 get d dash
expect_out --literal
z 1 get d missing
expect_out ""
expect_err "missing"
z 1 get nodict k

echo "== del and keys"
z 0 del d str
expect_out ""
z 1 del d str
z 1 get d str
z 0 keys d
expect_out "$(printf '%s\n' int neg dbl whole exp nan forced short dash | LC_ALL=C sort)"
z 0 keys nodict
expect_out ""

echo "== incr"
z 0 incr counter
expect_out 1
z 0 incr counter
expect_out 2
z 0 incr counter 10
expect_out 12
z 0 incr counter -3
expect_out 9
z 0 incr ratio 0.5
expect_out 0.5
z 0 incr ratio
expect_out 1.5
z 4 incr counter 0.5
expect_err "zown: counter: value holds the other number type"
z 4 get counter k
z 4 incr d

echo "== dump"
"$cli_objects" "$endpoint" || fail "cli_objects could not fill the owner"
z 0 dump
printf '%s\n' "$out" | python3 -c '
import json, sys

def strict(constant):
    raise ValueError("not JSON: " + constant)

lines = [json.loads(line, parse_constant=strict) for line in sys.stdin]
names = [line["name"] for line in lines]
assert names == sorted(names), names
objects = {line["name"]: line for line in lines}
def check(name, **content):
    want = dict(name=name, **content)
    assert objects[name] == want, (objects[name], want)
check("d", type="dict", items={"int": 42, "neg": -7, "dbl": 2.5, "whole": 3.0, "exp": -1000.0,
      "nan": "nan", "forced": "42", "short": "-1.5", "dash": "--literal"})
assert isinstance(objects["d"]["items"]["whole"], float)
check("counter", type="value", value=9)
check("ratio", type="value", value=1.5)
check("o.list", type="list", items=[1, 2.5, "x", None])
check("o.array", type="array", items=[0, 7, 0])
check("o.queue", type="queue", len=2, maxsize=10)
check("o.event", type="event", set=True)
check("o.lock", type="lock", locked=False)
check("o.rlock", type="rlock", locked=False)
check("o.semaphore", type="semaphore", value=3)
check("o.barrier", type="barrier", parties=2, waiting=0, broken=False)
check("o.condition", type="condition")
awkward = "q\"b\\n\n\x01\u00ff\u00e9"
check("o.dict", type="dict", items={awkward: awkward, "inf": None, "nil": None})
assert len(lines) == 13, names
' || fail "dump printed: $out"
z 0 dump counter
expect_out '{"name":"counter","type":"value","value":9}'
z 1 dump nothing
expect_err "nothing"

echo "== stats"
z 0 stats --interval 100
for field in objects requests ops errors parked sessions pid rss_kb ops_per_sec; do
    grep -Eq "^$field [0-9]+(\.[0-9])?$" <<<"$out" || fail "stats has no $field: $out"
done
grep -qx "pid $first" <<<"$out" || fail "stats names pid $(grep pid <<<"$out"), not $first"
grep -qx "objects 13" <<<"$out" || fail "stats counts $(grep objects <<<"$out")"

echo "== options before the command, --version"
run 0 --name "$name" set pre k 1
run 0 -n "$name" get pre k
expect_out 1
run 0 -e "$endpoint" get pre k
expect_out 1
run 0 --endpoint="$endpoint" -t 5000 keys pre
expect_out k
usage --interval 5 get pre k --name "$name"
expect_err "unknown option: --interval"
run 0 --version
[[ $out == "zown "[0-9]*.[0-9]*.[0-9]*" (protocol 1)" ]] || fail "--version printed '$out'"
run 0 -V
run 0 get --version
[[ $out == "zown "* ]] || fail "get --version printed '$out'"

echo "== value objects and dict fields"
z 0 incr v1 5
z 0 get v1
expect_out 5
z 1 get nothing
expect_err "nothing"
z 4 get pre
expect_err "another type"
z 0 incr fields f
expect_out 1
z 0 incr fields f 10
expect_out 11
z 0 incr fields f 0.5
expect_out 11.5
z 0 get fields f
expect_out 11.5
z 0 incr fields 7           # fields is a dict: 7 is its key, not a delta
expect_out 1
z 0 get fields 7
expect_out 1
z 0 incr v1 7               # v1 is a value: 7 is the delta
expect_out 12
z 0 set fields s text
z 4 incr fields s
expect_err "zown: fields: stored value is not a number"
usage incr fields f 99999999999999999999
usage incr v1 99999999999999999999

echo "== type and drop"
z 0 type fields
expect_out dict
z 0 type v1
expect_out value
z 0 drop fields
expect_out ""
z 1 drop fields
expect_err "fields"
z 1 type fields
z 1 get fields f

echo "== lists"
z 0 list push L a 2 2.5
expect_out 3
z 0 list len L
expect_out 3
z 0 list range L
expect_out "$(printf '%s\n' a 2 2.5)"
z 0 list range L 1 2
expect_out 2
z 0 list range L -1
expect_out 2.5
z 0 list pop L
expect_out 2.5
z 0 list pop L 0
expect_out a
z 0 list pop L
expect_out 2
z 1 list pop L
expect_err "no item at index -1 of the list 'L'"
z 0 list len L
expect_out 0
z 0 list len nolist
expect_out 0
z 4 list push v1 x
expect_err "another type"
usage list pop L x
usage list range L 1 2 3
usage list push L
usage list push L 99999999999999999999

echo "== queues"
z 0 queue put Q job 2
expect_out ""
z 0 queue len Q
expect_out 2
z 0 queue get Q
expect_out job
z 0 queue get Q
expect_out 2
z 1 queue get Q
expect_err "the queue 'Q' is empty"
z 1 queue get Q --wait 50
z 0 queue len noqueue
expect_out 0
# o.queue holds 2 of at most 10: 9 more do not fit, and none is put.
z 4 queue put o.queue 1 2 3 4 5 6 7 8 9
expect_err "the queue 'o.queue' has no room for all the items"
z 0 queue len o.queue
expect_out 2
# A joinable queue's item is acknowledged: it does not come back once
# this command's session ends.
"$cli_objects" "$endpoint" joinable || fail "cli_objects could not make j.queue"
z 0 queue get j.queue
expect_out job
z 1 queue get j.queue
usage queue get Q --wait 0

echo "== lock and event status"
z 0 lock status o.lock
expect_out unlocked
z 0 lock status o.rlock
expect_out unlocked
z 0 lock status nolock
expect_out unlocked
z 4 lock status o.event
expect_err "another type"
coproc holder { "$cli_objects" "$endpoint" hold o.held; }
read -r -t 10 -u "${holder[0]}" line || fail "cli_objects could not hold o.held"
z 0 lock status o.held
expect_out locked
exec {holder[1]}>&-
wait "$holder_PID" || fail "cli_objects could not release o.held"
z 0 lock status o.held
expect_out unlocked
z 0 event status o.event
expect_out set
z 0 event status noevent
expect_out clear

echo "== -x: the last argument from stdin"
# 400,000 bytes: more than one argument may hold (128 KiB)
head -c 300000 /dev/urandom | base64 -w0 >"$work/big"
z 0 set -x big value <"$work/big"
z 0 get big value
[ "$out" = "$(<"$work/big")" ] || fail "get big value is not what -x stored"
printf '42\n' >"$work/stdin"
z 0 set big nl -x <"$work/stdin"
z 0 dump big
[[ $out == *'"nl":"42\n"'* ]] || fail "-x did not store its input as text, byte for byte: $out"
z 0 list push -x L first <"$work/stdin"
expect_out 2
z 0 list range L
expect_out "$(printf 'first\n42\n')"
usage set -x big k v
expect_err "given already"
usage set -x big
usage get big value -x

echo "== stats --json"
z 0 stats --json --interval 1
[ "$(wc -l <<<"$out")" = 1 ] || fail "stats --json printed more than one line: $out"
python3 -c '
import json, sys
stats = json.loads(sys.argv[1])
assert isinstance(stats["objects"], int) and isinstance(stats["ops_per_sec"], float), stats
assert list(stats)[0] == "objects" and list(stats)[-1] == "ops_per_sec", list(stats)
' "$out" || fail "stats --json printed: $out"

echo "== errors say each thing once"
z 0 incr big.n 9223372036854775807
z 4 incr big.n
[ "$err" = "zown: big.n: int64 overflow" ] || fail "overflow error: $err"

echo "== no owner at an ipc endpoint: at once"
# A day's --timeout: only an exit at once passes within the bound.
code=0
timeout 60 "$zown" get d k --name "nobody$$" --timeout 86400000 2>"$work/stderr" || code=$?
[ "$code" = 3 ] || fail "no socket file: exit $code"
grep -q "no owner answers at ipc://$ZOWN_RUNDIR/nobody$$.sock: no socket file there" \
    "$work/stderr" || fail "no socket file: $(<"$work/stderr")"
python3 -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.close()' \
    "$work/stale.sock"
code=0
timeout 60 "$zown" stats --endpoint "ipc://$work/stale.sock" --timeout 86400000 \
    2>"$work/stderr" || code=$?
[ "$code" = 3 ] || fail "stale socket file: exit $code"
grep -q "nothing listens on its socket file" "$work/stderr" || fail "stale: $(<"$work/stderr")"
# An owner at its descriptor limit moves its socket file aside to
# PATH.paused: that one is waited for, and the message says why.
: >"$work/full.sock.paused"
run 3 get d k --endpoint "ipc://$work/full.sock" --timeout 300
expect_err "accepts no new client now: it is at its descriptor limit"

echo "== the prompt, stdin not a terminal: one command a line"
cat >"$work/script" <<'SCRIPT'
set p k "two words"
get p k
# a comment, then a blank line

get p nokey
list push P 'a b' "c\td\x21"
list range P
quit
get p k
SCRIPT
run 1 --name "$name" <"$work/script"
expect_out "$(printf 'two words\n2\na b\nc\td!')"
expect_err "no key 'nokey' in 'p'"
run 0 --name "$name" </dev/null
expect_out ""
run 0 -e "$endpoint" <<<"get p k"
expect_out "two words"
run 2 --name "$name" <<<"serve"
expect_err "not at the prompt"
run 2 --name "$name" <<<'get "p k'
expect_err "unclosed quote"
run 2 --name "$name" <<<'set -x p k'
expect_err "-x reads standard input, which is the prompt's"
run 0 <<<"help"
[[ $out == *"  list push "* ]] || fail "help at the prompt: $out"
run 0 <<<"help queue get"
[[ $out == "usage: zown queue get"* ]] || fail "help queue get at the prompt: $out"

echo "== the prompt on a terminal"
if command -v script >/dev/null; then
    mkdir "$work/home"
    printf 'get p k\nlist len P\nquit\n' >"$work/tty-script"
    code=0
    HOME=$work/home timeout 60 script -qec "$zown --name $name" /dev/null \
        <"$work/tty-script" >"$work/tty.out" 2>&1 || code=$?
    [ "$code" = 0 ] || fail "the prompt on a terminal exited $code: $(<"$work/tty.out")"
    grep -q "zown> " "$work/tty.out" || fail "no prompt on a terminal: $(<"$work/tty.out")"
    grep -q "two words" "$work/tty.out" || fail "the prompt did not run get: $(<"$work/tty.out")"
    if ldd "$zown" | grep -q libedit; then
        # libedit writes a blank as \040
        grep -Eq 'list( |\\040)len( |\\040)P' "$work/home/.zown_history" \
            || fail "no history in ~/.zown_history"
    fi
else
    echo "(script(1) missing: the terminal prompt is not checked)"
fi

echo "== watch"
# start_watch NAME ARG...: `zown watch NAME ARG...` in the background like
# serve; its header is read from its stderr, and its changes from its
# stdout ($watch_fd), through fifos with bounded reads, never after a sleep.
# Sets $watcher and $from, the seq of the header.
watches=0
start_watch () {
    watches=$((watches + 1))
    local out=$work/watch$watches.out errors=$work/watch$watches.err line
    mkfifo "$out" "$errors"
    set -m
    "$zown" watch "$@" >"$out" 2>"$errors" &
    watcher=$!
    set +m
    servers+=("$watcher")
    exec {watch_fd}<"$out" {watch_err_fd}<"$errors"
    read -r -t 10 -u "$watch_err_fd" line || fail "watch $* printed nothing on stderr"
    [[ $line == "watching $1 from seq "* ]] || fail "watch printed '$line' first"
    from=${line##* }
}
start_watch w --name "$name"
# watch_line EXPECTED: the next line watch printed.
watch_line () {
    local line
    read -r -t 10 -u "$watch_fd" line || fail "watch printed no line, expected '$1'"
    [ "$line" = "$1" ] || fail "watch printed '$line', expected '$1'"
}
z 0 set w k 1
z 0 set w s "two words"
z 0 set w2 k 1          # another object: not shown, but it takes a seq
z 0 del w k
z 0 set w x 2.5
z 4 incr w
expect_err "another type"
watch_line "$((from + 1)) 1 set \"k\" 1"
watch_line "$((from + 2)) 2 set \"s\" \"two words\""
watch_line "$((from + 4)) 3 del \"k\""
watch_line "$((from + 5)) 4 set \"x\" 2.5"
kill -TERM "$watcher"
code=0
wait "$watcher" || code=$?
[ "$code" = 0 ] || fail "watch exited $code on SIGTERM"
read -r -t 10 -u "$watch_fd" line && fail "watch printed '$line' after the last change"
exec {watch_fd}<&- {watch_err_fd}<&-
# A value object, stopped with SIGINT
start_watch hits --name "$name"
z 0 incr hits 5
watch_line "$((from + 1)) 1 set 5"
kill -INT "$watcher"
code=0
wait "$watcher" || code=$?
[ "$code" = 0 ] || fail "watch exited $code on SIGINT"
exec {watch_fd}<&- {watch_err_fd}<&-
run 3 watch w --name "nobody$$" --timeout 200
expect_err "no owner answers at ipc://$ZOWN_RUNDIR/nobody$$.sock"
run 3 watch w --name "$name" --feed "ipc://$work/nofeed.feed" --timeout 300
expect_err "no change feed answers at ipc://$work/nofeed.feed"

echo "== unreachable owners"
run 3 get d k --name "nobody$$" --timeout 200
expect_err "zown: no owner answers at ipc://$ZOWN_RUNDIR/nobody$$.sock: "
run 3 stats --endpoint "ipc://$work/none.sock" --timeout 200
expect_err "ipc://$work/none.sock"

echo "== a second serve"
run 5 serve --name "$name"
expect_err "$endpoint"

echo "== extra endpoints, SIGINT"
extra=ipc://$work/extra.sock
serve "x$$" --endpoint "$extra" --endpoint "inproc://extra-$$"
next_line "inproc://zown-x$$"
next_line "$extra"
next_line "inproc://extra-$$"
run 0 set --endpoint "$extra" d k v
run 0 get --name "x$$" d k
expect_out v
run 5 serve --name "y$$" --endpoint "$extra"
expect_err "$extra"
[ ! -e "$ZOWN_RUNDIR/y$$.sock" ] || fail "a refused serve left a socket behind"
# Through the extra endpoint alone, watch asks the owner where its feed is.
start_watch d --endpoint "$extra"
run 0 set --endpoint "$extra" d k w
watch_line "$((from + 1)) 2 set \"k\" \"w\""
kill -TERM "$watcher"
wait "$watcher" || fail "watch at $extra did not exit 0 on SIGTERM"
exec {watch_fd}<&- {watch_err_fd}<&-
stop INT
[ ! -e "$work/extra.sock" ] || fail "serve left $extra behind"

echo "== limits"
usage serve --name "u$$" --max-message 12
expect_err "12"
usage serve --name "u$$" --max-key 1x
usage serve --name "u$$" --max-inflight=0
usage serve --name "u$$" --max-items
serve "l$$" --max-key 4 --max-objects=1K --max-value 1k
next_line "inproc://zown-l$$"
run 0 set --name "l$$" d 1234 v
run 4 set --name "l$$" d 12345 v
[ "$err" = "zown: d: key over max_key (4 bytes)" ] || fail "over max_key: $err"
run 0 stats --name "l$$" --interval 1
grep -qx "refused_key 1" <<<"$out" || fail "stats counts $(grep refused_key <<<"$out")"
stop TERM

if [ -w /dev/full ]; then
    echo "== write errors"
    code=0
    "$zown" keys d --name "$name" >/dev/full 2>"$work/stderr" || code=$?
    [ "$code" = 4 ] || fail "keys to /dev/full exited $code"
fi

echo "== tcp with CURVE"
mkdir "$work/allow"
run 0 keygen "$work/owner"
owner_key=$out
[ ${#owner_key} = 40 ] || fail "keygen printed '$owner_key', not a key"
[ "$(stat -c %a "$work/owner.secret")" = 600 ] || fail "owner.secret is not mode 600"
run 4 keygen "$work/owner"
expect_err "exists already"
run 0 keygen "$work/worker"
mv "$work/worker.key" "$work/allow/"
run 0 keygen "$work/stranger"
usage serve --name "c$$" --endpoint "tcp://127.0.0.1:*" --cert "$work/allow/worker.key" \
    --allow "$work/allow"
expect_err "not a secret certificate"
serve "c$$" --endpoint "tcp://127.0.0.1:*" --cert "$work/owner.secret" --allow "$work/allow"
next_line "inproc://zown-c$$"
read -r -t 10 -u "$serve_fd" tcp || fail "serve printed no tcp endpoint"
[[ $tcp == tcp://127.0.0.1:[0-9]* ]] || fail "serve printed '$tcp' for tcp://127.0.0.1:*"
grep -qF -- "--server-key $owner_key" "$work/serve-c$$.err" || fail "serve did not print its key"
run 0 incr hits --endpoint "$tcp" --server-key "$owner_key" --cert "$work/worker.secret"
expect_out 1
run 0 incr hits --endpoint "$tcp" --server-key "$work/owner.key" --cert "$work/worker.secret"
expect_out 2
run 4 incr hits --endpoint "$tcp" --server-key "$owner_key" --cert "$work/stranger.secret" \
    --timeout 500
expect_err "refused"
run 3 incr hits --endpoint "$tcp" --insecure --timeout 300
run 0 incr hits 0 --name "c$$"
expect_out 2
grep -q "refused: not in the allow list" "$work/serve-c$$.err" || fail "the refusal was not logged"
stop TERM

echo "== SIGTERM"
server=$first
endpoint=ipc://$ZOWN_RUNDIR/$name.sock
stop TERM
run 3 get d k --name "$name" --timeout 200
echo "cli: every command checked"
