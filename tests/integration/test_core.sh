#!/usr/bin/env bash
# test_core.sh - a real collector and a real agent with two stores on
# 127.0.0.1: samples reach RRD files and match the true counts, a deletion
# shows in the next sample, an agent killed and restarted carries on with
# rising seqs, and everything stops cleanly.
. "$(dirname "$0")/lib.sh"

port=$(free_port)
mkdir -p "$T/data" "$T/state" "$T/a" "$T/b/sub"
for i in $(seq 1 40); do head -c $((i * 1000)) /dev/urandom >"$T/a/file$i"; done
for i in $(seq 1 5); do head -c 777 /dev/zero >"$T/b/sub/doc$i"; done
collector_conf "$T/collector.conf" "$port" "$T/data"
agent_conf "$T/agent.conf" it01 "$port" "$T/state" 1s "alpha=$T/a" "beta=$T/b"

"$BUILD/shrinkwatch-collector" -c "$T/collector.conf" --check-config | grep -q "configuration OK"
"$BUILD/shrinkwatch-agent" -c "$T/agent.conf" --check-config | grep -q "2 stores"
ok "both configs validate"

start collector "$BUILD/shrinkwatch-collector" -c "$T/collector.conf"
cpid=$LAST_PID
wait_for 10 "collector listening" grep -q "listening on 127.0.0.1:$port" "$T/collector.log"
start agent "$BUILD/shrinkwatch-agent" -c "$T/agent.conf"
apid=$LAST_PID

ra="$T/data/rrd/it01/alpha.rrd"
rb="$T/data/rrd/it01/beta.rrd"
wait_for 20 "RRD files" test -f "$ra" -a -f "$rb"
matches() { # RRD DIR: the RRD's last totals equal what find says
	[ "$(rrd_last "$1" objects)" = "$(true_objects "$2")" ] &&
		[ "$(rrd_last "$1" bytes)" = "$(true_bytes "$2")" ]
}
wait_for 20 "alpha totals match find" matches "$ra" "$T/a"
wait_for 20 "beta totals match find" matches "$rb" "$T/b"
[ "$(rrd_last "$ra" objects)" = 40 ] || fail "alpha should hold 40 objects"
ok "samples arrive in RRD and match find: $(rrd_last "$ra" objects) objects, $(rrd_last "$ra" bytes) bytes"

rrdtool info "$ra" >"$T/info.txt"
grep -q '^step = 1$' "$T/info.txt" || fail "RRD step is not the agent interval"
grep -q 'rra\[1\].cf = "MIN"' "$T/info.txt" || fail "no MIN archive"

before=$(rrd_last "$ra" bytes)
rm -f "$T/a/file40" "$T/a/file39" "$T/a/file1"
wait_for 20 "the deletion shows" matches "$ra" "$T/a"
after=$(rrd_last "$ra" bytes)
[ "$((before - after))" -eq $((40000 + 39000 + 1000)) ] || fail "drop is $((before - after)), expected 80000"
ok "deletion seen in the next samples: -$((before - after)) bytes"

# kill -9 the agent; its successor continues with higher seqs
seq1=$(cat "$T/data/rrd/it01/agent.seq")
stop "$apid" KILL
start agent2 "$BUILD/shrinkwatch-agent" -c "$T/agent.conf"
apid=$LAST_PID
wait_for 10 "the restarted agent connects" grep -q "connected to collector" "$T/agent2.log"
seq_grew() { [ "$(cat "$T/data/rrd/it01/agent.seq")" -gt "$1" ]; }
wait_for 20 "stored seq rises after the restart" seq_grew "$seq1"
touch "$T/a/new-after-restart"
wait_for 20 "agent sees new files after restart" matches "$ra" "$T/a"
ok "agent restarted after kill -9 and carries on (seq $seq1 -> $(cat "$T/data/rrd/it01/agent.seq"))"

# the stored seq never went backwards and no sample was refused as malformed
! grep -qi "refusing" "$T/collector.log" || fail "collector refused something"
! grep -q "error" "$T/agent2.log" || fail "agent logged errors"

# collector restart: the agent reconnects and continues
stop "$cpid"
start collector2 "$BUILD/shrinkwatch-collector" -c "$T/collector.conf"
cpid=$LAST_PID
wait_for 10 "the restarted collector knows the agent's stores from disk" \
	grep -q "1 agents and 2 stores known" "$T/collector2.log"
seq2=$(cat "$T/data/rrd/it01/agent.seq")
wait_for 30 "samples flow after the collector restart" seq_grew "$seq2"
ok "collector restart: stores known from disk, agent reconnected"

stop "$apid"
stop "$cpid"
grep -q "agent: stopped" "$T/agent2.log" || fail "agent did not stop cleanly"
grep -q "collector: stopped" "$T/collector2.log" || fail "collector did not stop cleanly"
pgrep -f "$T/" >/dev/null && fail "a process is left behind"
ok "both daemons stop cleanly, nothing left behind"
