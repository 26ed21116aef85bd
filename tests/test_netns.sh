#!/usr/bin/env bash
# Hosts in network namespaces: `zown serve` with a CURVE tcp endpoint in one,
# netns_worker clients in two others over veth links, a stranger in a third.
# Exact totals from two workers; one worker's link cut and brought back (its
# calls fail in bounded time, no acknowledged update is lost, work resumes);
# a key not in the allow list, and plain tcp, change nothing.
# Root only: exits 77 (skipped) where namespaces cannot be made.
# Usage: test_netns.sh ZOWN NETNS_WORKER
set -euo pipefail
zown=$1
worker=$2

skip () {
    echo "test_netns: SKIPPED: $*"
    exit 77
}
[ "$(id -u)" = 0 ] || skip "needs root to make network namespaces"
command -v ip >/dev/null || skip "no ip command (iproute2; scripts/setup installs it)"

# A run killed outright (ctest's timeout sends SIGKILL) cannot clean up:
# the next run removes the namespaces of runs that are gone.
for ns in $(ip netns list 2>/dev/null | grep -oE '^zn[0-9]+-(srv|[0-9])' || true); do
    pid=${ns#zn}
    ! kill -0 "${pid%%-*}" 2>/dev/null || continue
    for pid in $(ip netns pids "$ns" 2>/dev/null); do
        kill -9 "$pid" 2>/dev/null || true
    done
    ip netns del "$ns" 2>/dev/null || true
done

work=$(mktemp -d)
export ZOWN_RUNDIR=$work/run
tag=$$
name=n$tag
port=7300
# Namespaces (the server, two workers, a stranger) and the server's end of
# each veth pair, zsK-$tag, with 10.77.K.1; its peer zwK-$tag has 10.77.K.2.
srv=zn$tag-srv
namespaces=()
links=()
children=()
cleanup () {
    local ns pid link
    for pid in ${children[@]+"${children[@]}"}; do
        kill -9 "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    for ns in ${namespaces[@]+"${namespaces[@]}"}; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do
            kill -9 "$pid" 2>/dev/null || true
        done
    done
    # Deleting one end of a veth pair deletes both, at once; a namespace
    # goes only when its last process has.
    for link in ${links[@]+"${links[@]}"}; do
        ip -n "$srv" link del "$link" 2>/dev/null || true
    done
    for ns in ${namespaces[@]+"${namespaces[@]}"}; do
        ip netns del "$ns" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

fail () {
    echo "test_netns: FAIL: $*" >&2
    exit 1
}

# namespace NS: a new namespace, its loopback up.
namespace () {
    ip netns add "$1" 2>"$work/stderr" || skip "ip netns add: $(<"$work/stderr")"
    namespaces+=("$1")
    ip -n "$1" link set lo up
}

# link K NS: a veth pair from the server to NS, made inside the namespaces.
link () {
    local server=zs$1-$tag peer=zw$1-$tag
    ip -n "$srv" link add "$server" type veth peer name "$peer" netns "$2"
    links+=("$server")
    ip -n "$srv" addr add "10.77.$1.1/24" dev "$server"
    ip -n "$2" addr add "10.77.$1.2/24" dev "$peer"
    ip -n "$srv" link set "$server" up
    ip -n "$2" link set "$peer" up
}

# run NS CODE ARG...: zown ARG..., run in namespace NS, must exit with CODE;
# its stdout is left in $out and its stderr in $err.
run () {
    local ns=$1 want=$2 code=0
    shift 2
    ip netns exec "$ns" "$zown" "$@" >"$work/stdout" 2>"$work/stderr" || code=$?
    out=$(<"$work/stdout")
    err=$(<"$work/stderr")
    [ "$code" = "$want" ] || fail "zown $* in $ns exited $code, not $want (stderr: $err)"
}

expect_out () {
    [ "$out" = "$1" ] || fail "expected stdout '$1', got '$out'"
}

# dict NAME ID:COUNT...: the dump line of the dict NAME holding ID:i = i for
# i = 1..COUNT of each ID, keys sorted by byte value as dump sorts them.
dict () {
    local pair key i items=""
    for key in $(for pair in "${@:2}"; do
                     for ((i = 1; i <= ${pair#*:}; i++)); do echo "${pair%:*}:$i"; done
                 done | LC_ALL=C sort); do
        items+="\"$key\":${key#*:},"
    done
    echo "{\"name\":\"$1\",\"type\":\"dict\",\"items\":{${items%,}}}"
}

value () {
    echo "{\"name\":\"$1\",\"type\":\"value\",\"value\":$2}"
}

echo "== namespaces and links"
namespace "$srv"
ip netns exec "$srv" true 2>"$work/stderr" || skip "ip netns exec: $(<"$work/stderr")"
for k in 1 2 3; do
    ns=zn$tag-$k
    namespace "$ns"
    link "$k" "$ns"
done

echo "== keys and the owner"
mkdir "$work/allow"
"$zown" keygen "$work/owner" >/dev/null
for id in 1 2; do
    "$zown" keygen "$work/w$id" >/dev/null
    mv "$work/w$id.key" "$work/allow/"
done
stranger_key=$("$zown" keygen "$work/stranger")
mkfifo "$work/serve.out"
# Job control for the start, or the shell would start it with SIGINT ignored.
set -m
ip netns exec "$srv" "$zown" serve --name "$name" --endpoint "tcp://0.0.0.0:$port" \
    --cert "$work/owner.secret" --allow "$work/allow" >"$work/serve.out" 2>"$work/serve.err" &
server=$!
set +m
children+=("$server")
exec {serve_fd}<"$work/serve.out"
for want in "ipc://$ZOWN_RUNDIR/$name.sock" "inproc://zown-$name" "tcp://0.0.0.0:$port" \
    "ipc://$ZOWN_RUNDIR/$name.feed"; do
    read -r -t 10 -u "$serve_fd" line || fail "serve printed no '$want'"
    [ "$line" = "$want" ] || fail "serve printed '$line', expected '$want'"
done

# start ID IN OUT MODE ARG...: netns_worker MODE ARG... in namespace
# zn$tag-ID, against the owner's address on that worker's link, reading IN
# and writing OUT; sets $pid.
start () {
    local id=$1 in=$2 out=$3 mode=$4
    shift 4
    ip netns exec "zn$tag-$id" "$worker" "$mode" "tcp://10.77.$id.1:$port" "$work/owner.key" \
        "$work/w$id.secret" "$id" "$@" <"$in" >"$out" &
    pid=$!
    children+=("$pid")
}

# reap PID: wait for PID, its exit code in $code; once reaped, cleanup must
# not signal it.
reap () {
    local pid rest=()
    code=0
    wait "$1" || code=$?
    for pid in "${children[@]}"; do
        [ "$pid" = "$1" ] || rest+=("$pid")
    done
    children=(${rest[@]+"${rest[@]}"})
}

# finish PID WHAT: PID must exit 0.
finish () {
    reap "$1"
    [ "$code" = 0 ] || fail "$2 exited $code"
}

echo "== two workers on two links: exact totals"
n=1000
start 1 /dev/null /dev/null count "$n"
first=$pid
start 2 /dev/null /dev/null count "$n"
finish "$first" w1
finish "$pid" w2
run "$srv" 0 dump total --name "$name"
expect_out "$(value total $((2 * n)))"
run "$srv" 0 dump seen --name "$name"
expect_out "$(dict seen "1:$n" "2:$n")"

echo "== a link cut and brought back"
steps=100
bound=4000 # ms: a send may wait its 1000 ms, then its reply 1000 ms more
mkfifo "$work/w1.in" "$work/w1.out" "$work/w2.out"
start 1 "$work/w1.in" "$work/w1.out" resilient "$steps" "$work/w1.log"
w1=$pid
exec {w1_in}>"$work/w1.in"
exec {w1_fd}<"$work/w1.out"
# w2 runs alongside on its own link, which stays up; stdin at its end
# already, it stops after $steps steps.
start 2 /dev/null "$work/w2.out" resilient "$steps" "$work/w2.log"
w2=$pid
exec {w2_fd}<"$work/w2.out"
# next FD: the next line a worker printed, in $line.
next () {
    read -r -t 60 -u "$1" line || fail "a worker printed nothing for 60 s"
}
line=""
while [ "$line" != progress ]; do next "$w1_fd"; done
ip -n "$srv" link set "zs1-$tag" down
down=$SECONDS
# The link stays down until w1 has no connection left: its calls time out
# until the heartbeats give up on the connection, then fail at once.
while [[ $line != "fail UNREACHABLE "* ]]; do
    next "$w1_fd"
    [[ $line == "fail "* ]] || fail "w1 printed '$line' while its link was down"
    ((SECONDS - down <= 60)) || fail "w1 still had a connection 60 s after the cut"
done
ip -n "$srv" link set "zs1-$tag" up
echo "link down for $((SECONDS - down)) s"
exec {w1_in}>&-
while [[ $line != "done "* ]]; do next "$w1_fd"; done
read -r _ total1 fails late <<<"$line"
finish "$w1" w1
line=""
while [[ $line != "done "* ]]; do next "$w2_fd"; done
read -r _ total2 fails2 _ <<<"$line"
finish "$w2" w2
[ "$total2" = "$steps" ] || fail "w2 made $total2 steps, not $steps"
((total1 >= 2 * steps)) || fail "w1 made only $total1 steps"
# Every failed call of w1 failed as it should, in bounded time.
timeouts=0 unreachable=0 longest=0
while read -r kind status ms; do
    [ "$kind" = fail ] || continue
    case $status in
        TIMEOUT) timeouts=$((timeouts + 1)) ;;
        UNREACHABLE) unreachable=$((unreachable + 1)) ;;
        *) fail "a call failed with $status" ;;
    esac
    ((ms <= bound)) || fail "a call took $ms ms to fail with $status"
    ((ms <= longest)) || longest=$ms
done <"$work/w1.log"
[ "$((timeouts + unreachable))" = "$fails" ] || fail "w1 said $fails failures, logged others"
((unreachable >= 1)) || fail "w1 saw no UNREACHABLE"
[ "$(grep -c '^late ' "$work/w1.log" || true)" = "$late" ] || fail "w1 said $late late"
# Every step acknowledged, once and in order, is in the owner's state.
for id in 1 2; do
    total=total$id
    diff <(grep '^ack ' "$work/w$id.log") <(seq 1 "${!total}" | sed 's/^/ack /') >/dev/null \
        || fail "w$id did not acknowledge steps 1 to ${!total} once each"
    run "$srv" 0 dump "pos.$id" --name "$name"
    expect_out "$(value "pos.$id" "${!total}")"
done
run "$srv" 0 dump acked --name "$name"
expect_out "$(dict acked "1:$total1" "2:$total2")"
echo "w1: $total1 steps, $fails failed calls ($timeouts TIMEOUT, $unreachable UNREACHABLE," \
    "longest $longest ms), $late applied though their call failed; w2: $total2 steps," \
    "$fails2 failed calls"

echo "== a lock holder on another host dies"
# w2 holds the lock; w1 waits for it; w2's process is killed: its host
# closes the connection, the owner ends its session, and w1 gets the lock,
# told that its holder died.
mkfifo "$work/holder.in" "$work/holder.out" "$work/taker.out"
start 2 "$work/holder.in" "$work/holder.out" lock 30000
holder=$pid
exec {holder_in}>"$work/holder.in"
exec {holder_fd}<"$work/holder.out"
next "$holder_fd"
[ "$line" = "held 0" ] || fail "the holder printed '$line'"
start 1 /dev/null "$work/taker.out" lock 30000
taker=$pid
exec {taker_fd}<"$work/taker.out"
# Awaited through the owner: the taker's acquire is parked.
for ((tries = 0; ; tries++)); do
    run "$srv" 0 stats --interval 1 --name "$name"
    [ "$(sed -n 's/^parked //p' <<<"$out")" = 1 ] && break
    ((tries < 1000)) || fail "the taker's acquire never parked"
done
kill -KILL "$holder"
reap "$holder" 2>/dev/null
[ "$code" = 137 ] || fail "the holder exited $code, not by SIGKILL"
exec {holder_in}>&-
next "$taker_fd"
[ "$line" = "held 1" ] || fail "the taker printed '$line', not 'held 1'"
finish "$taker" "the taker"
run "$srv" 0 dump lock --name "$name"
[[ $out == *'"locked":false'* ]] || fail "the lock is still held: $out"

echo "== a stranger from a third namespace"
run "$srv" 0 dump --name "$name"
before=$out
owner=tcp://10.77.3.1:$port
run "zn$tag-3" 4 incr total --endpoint "$owner" --server-key "$work/owner.key" \
    --cert "$work/stranger.secret" --timeout 3000
[[ $err == *refused* ]] || fail "the stranger was not told it was refused: $err"
run "zn$tag-3" 3 incr total --endpoint "$owner" --insecure --timeout 1000
run "$srv" 0 dump --name "$name"
[ "$out" = "$before" ] || fail "the stranger changed the owner's state"
grep -qF "zown: tcp client 10.77.3.2 refused: not in the allow list: $stranger_key" \
    "$work/serve.err" || fail "the refusal was not logged: $(<"$work/serve.err")"
run "$srv" 0 stats --interval 1 --name "$name"
refused=$(sed -n 's/^auth_refused //p' <<<"$out")
((${refused:-0} >= 1)) || fail "stats: auth_refused is '$refused'"

kill -TERM "$server"
finish "$server" "serve, on SIGTERM,"
echo "netns: every check passed"
