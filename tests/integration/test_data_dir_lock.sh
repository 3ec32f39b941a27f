#!/usr/bin/env bash
# test_data_dir_lock.sh - a second collector started with the same config
# (the same data_dir and control socket) refuses to start, names the running
# one's pid, and leaves its control socket, RRD files and ledger alone; once
# the first one is gone (even by kill -9) the lock no longer blocks a start.
. "$(dirname "$0")/lib.sh"

CTL=$BUILD/shrinkwatchctl
sock=$T/control.sock
port=$(free_port)
mkdir -p "$T/data"
collector_conf "$T/collector.conf" "$port" "$T/data" "control = $sock"

start first "$BUILD/shrinkwatch-collector" -c "$T/collector.conf"
first=$LAST_PID
wait_for 10 "control socket" test -S "$sock"
wait_for 10 "the first collector listens" grep -q "collector: listening on" "$T/first.log"
ino=$(stat -c %i "$sock")

rc=0
"$BUILD/shrinkwatch-collector" -c "$T/collector.conf" >"$T/second.log" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "a second collector on the same data_dir started (exit 0)"
grep -q "data_dir '$T/data' is in use by another shrinkwatch-collector (pid $first)" "$T/second.log" ||
	fail "the second collector did not name the running one: $(cat "$T/second.log")"
test -S "$sock" || fail "the second collector removed the running one's control socket"
[ "$(stat -c %i "$sock")" = "$ino" ] || fail "the control socket was replaced"
"$CTL" --socket "$sock" status >/dev/null || fail "the running collector's control socket does not answer"
kill -0 "$first" || fail "the first collector died"
ok "a second collector on the same data_dir is refused, naming pid $first; the first one's socket answers"

stop "$first" KILL
start again "$BUILD/shrinkwatch-collector" -c "$T/collector.conf"
again=$LAST_PID
wait_for 10 "a collector after kill -9 listens" grep -q "collector: listening on" "$T/again.log"
stop "$again"
ok "after kill -9 the lock is gone with its process: the next start succeeds"
