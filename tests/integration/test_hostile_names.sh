#!/usr/bin/env bash
# test_hostile_names.sh - names from the wire are untrusted: a HELLO or a
# sample with a name outside [A-Za-z0-9._-] is refused with a clear, safe log
# line and an ERROR frame, never becomes a path, and the collector keeps
# serving well-behaved peers.
# This test speaks the wire protocol in the clear (sw_wire.py), so its
# collector takes plaintext on 127.0.0.1; TLS is test_faults.sh's.
SW_TLS=0
. "$(dirname "$0")/lib.sh"
wire="$(dirname "$0")/sw_wire.py"

port=$(free_port)
mkdir -p "$T/data"
collector_conf "$T/collector.conf" "$port" "$T/data"
start collector "$BUILD/shrinkwatch-collector" -c "$T/collector.conf"
cpid=$LAST_PID
wait_for 10 "collector listening" grep -q "listening on 127.0.0.1:$port" "$T/collector.log"

out=$(python3 "$wire" "$port" hello "../../etc" read)
[[ "$out" == "ERROR 3 agent name '../../etc' is not acceptable"* ]] || fail "bad agent name: got '$out'"
wait_for 5 "refusal logged" grep -q "refusing 127.0.0.1:[0-9]*: agent name '../../etc' is not acceptable" "$T/collector.log"
ok "agent '../../etc' refused: $out"

python3 "$wire" "$port" hello $'evil\nFORGED LOG LINE' read >/dev/null
wait_for 5 "refusal logged" grep -q "agent name 'evil?FORGED LOG LINE' is not acceptable" "$T/collector.log"
! grep -q "^FORGED" "$T/collector.log" || fail "a name forged a log line"
ok "control characters in a name are neutralised in the log"

out=$(python3 "$wire" "$port" hello goodagent 1 read sample "x/../../y" 1 1700000000 read)
[[ "$out" == *"ERROR 3 store name 'x/../../y' is not acceptable"* ]] || fail "bad store name: got '$out'"
[ ! -e "$T/data/rrd/goodagent/x" ] && [ ! -e "$T/y.rrd" ] && [ ! -e "$T/data/y.rrd" ] ||
	fail "a hostile store name reached the filesystem"
ok "store 'x/../../y' refused, nothing created"

out=$(python3 "$wire" "$port" sample s 1 1700000000 read)
[[ "$out" == "ERROR 1 SAMPLES before HELLO"* ]] || fail "samples before hello: got '$out'"
out=$(python3 "$wire" "$port" raw 474554202f20485454502f312e310d0a0d0a read)
[[ "$out" == "ERROR 1 not a shrinkwatch frame"* ]] || fail "HTTP request: got '$out'"
out=$(python3 "$wire" "$port" raw 53570102ffffffff read)
[[ "$out" == "ERROR 1 frame larger than the maximum"* ]] || fail "oversized frame: got '$out'"
ok "out-of-order, foreign and oversized frames refused"

# a well-behaved peer is still served and its sample stored
out=$(python3 "$wire" "$port" hello goodagent 1 read sample store1 1 1700000000 read)
[ "$out" = $'ACK 0\nACK 1' ] || fail "good peer: got '$out'"
[ -f "$T/data/rrd/goodagent/store1.rrd" ] || fail "good sample not stored"
ok "the collector keeps serving well-behaved agents"
stop "$cpid"
