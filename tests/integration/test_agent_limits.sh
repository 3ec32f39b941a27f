#!/usr/bin/env bash
# test_agent_limits.sh - no single agent certificate can make the collector
# keep more than its limits (issue 16 items 6, 7 and 1, collector side):
#   - a HELLO announcing an interval below min_interval is refused;
#   - an agent's stores past max_stores_per_agent are refused, its other
#     stores keep being stored and acknowledged;
#   - a SAMPLES frame with seq 2^64-1 is refused, and the genuine agent's
#     next samples are stored (not "already accepted");
#   - seqs that never arrive, and samples flagged as after a spool overflow,
#     are counted per agent in `shrinkwatchctl status` and /metrics;
# and the collector keeps serving everyone else.  Raw frames from
# sw_wire.py, so the collector takes plaintext on 127.0.0.1.
SW_TLS=0
. "$(dirname "$0")/lib.sh"
wire="$(dirname "$0")/sw_wire.py"
CTL="$BUILD/shrinkwatchctl"

port=$(free_port)
hport=$(free_port)
sock=$T/control.sock
mkdir -p "$T/data"
collector_conf "$T/collector.conf" "$port" "$T/data" "control = $sock
http = 127.0.0.1:$hport
min_interval = 10s
max_stores_per_agent = 3"
start collector "$BUILD/shrinkwatch-collector" -c "$T/collector.conf"
cpid=$LAST_PID
wait_for 10 "collector listening" grep -q "listening on 127.0.0.1:$port" "$T/collector.log"
wait_for 10 "control socket" test -S "$sock"
t0=$(( $(date +%s) / 10 * 10 - 600 ))

# ---- the interval floor -----------------------------------------------------
out=$(python3 "$wire" "$port" hello fast 1 read)
[[ "$out" == "ERROR 4 interval 1 s is below this collector's floor of 10 s"* ]] ||
	fail "interval 1 s: got '$out'"
wait_for 5 "refusal logged" grep -q "session: refusing 127.0.0.1:[0-9]*: interval 1 s is below this collector's floor of 10 s: set interval to 10 s or more" "$T/collector.log"
ok "HELLO with a 1 s interval refused (floor 10 s): $out"

# ---- stores per agent ---------------------------------------------------------
out=$(python3 "$wire" "$port" hello good 10 read samples g0,g1 1 "$t0" read)
[ "$out" = $'ACK 0\nACK 2' ] || fail "good agent: got '$out'"
# five new stores in one frame: the first three are kept, x3 and x4 refused
out=$(python3 "$wire" "$port" hello evil 10 read samples 'x*5' 1 "$t0" read)
[ "$out" = $'ACK 0\nACK 3' ] || fail "evil agent's first frame: got '$out'"
wait_for 5 "store refusal logged" grep -q "admit: refusing store 'x3' of agent 'evil': agent 'evil' has 3 stores, the most one agent may have (max_stores_per_agent = 3)" "$T/collector.log"
n=$(find "$T/data/rrd/evil" -name '*.rrd' | wc -l)
[ "$n" = 3 ] || fail "evil agent has $n RRD files, expected 3"
# its genuine stores keep working, and the refused samples are acknowledged by
# the next stored one, so the agent does not resend them for ever
out=$(python3 "$wire" "$port" hello evil 10 read samples x0,x9,x1 6 $((t0 + 10)) read)
[ "$out" = $'ACK 3\nACK 8' ] || fail "evil agent's kept stores: got '$out'"
[ ! -e "$T/data/rrd/evil/x9.rrd" ] && [ ! -e "$T/data/rrd/evil/x3.rrd" ] ||
	fail "a refused store reached the disk"
ok "stores past max_stores_per_agent refused (logged); the agent's 3 stores kept"

# ---- seq 2^64-1 -------------------------------------------------------------
out=$(python3 "$wire" "$port" hello good 10 read samples g0 18446744073709551615 $((t0 + 10)) read)
[[ "$out" == $'ACK 2\nERROR 1 seq 18446744073709551615 jumps'*"past seq 2, the last this collector has from the agent (at most 10000"*": max_seq_jump, plus max_stores_per_agent samples per min_interval"* ]] ||
	fail "seq 2^64-1: got '$out'"
wait_for 5 "seq refusal logged" grep -q "session: refusing 127.0.0.1:[0-9]* (agent 'good'): seq 18446744073709551615 jumps" "$T/collector.log"
out=$(python3 "$wire" "$port" hello good 10 read samples g0,g1 3 $((t0 + 10)) read)
[ "$out" = $'ACK 2\nACK 4' ] || fail "the genuine agent after seq 2^64-1: got '$out'"
out=$(python3 "$wire" "$port" hello newcomer 10 read samples n0 18446744073709551615 "$t0" read)
[[ "$out" == $'ACK 0\nERROR 1 seq 18446744073709551615 is not a sequence number an agent reaches'* ]] ||
	fail "seq 2^64-1 of a new agent: got '$out'"
ok "a frame with seq 2^64-1 refused; the genuine agent's next samples stored"

# ---- samples lost on the agent ------------------------------------------------
# seqs 5-9 never arrive; then a sample flagged "after a spool overflow" (4)
out=$(python3 "$wire" "$port" hello good 10 read samples g0 10 $((t0 + 20)) read samples g0 11 $((t0 + 30)) 4 read)
[ "$out" = $'ACK 4\nACK 10\nACK 11' ] || fail "gap: got '$out'"
wait_for 5 "gap logged" grep -q "admit: agent 'good': seqs 5-9 never arrived (lost or removed on the agent; 5 since start-up)" "$T/collector.log"
grep -q "admit: agent 'good': its spool overflowed: samples before seq 11 were dropped on the agent" "$T/collector.log" ||
	fail "spool overflow not logged"
st=$("$CTL" status --socket "$sock")
grep -q "^agent good: 5 samples lost on the agent (2 gaps): that history is missing; 1 frames refused (max_seq_jump)$" <<<"$st" ||
	fail "status does not show the lost samples: $st"
grep -q "^agent evil: 3 samples of 3 stores refused (max_stores_per_agent, max_new_stores_per_hour)$" <<<"$st" ||
	fail "status does not show the refused stores: $st"
for x in x3 x4 x9; do
	grep -q "^  store $x NOT WATCHED: refused since [0-9T:-]*Z (1 samples dropped): agent 'evil' has 3 stores, the most one agent may have (max_stores_per_agent = 3)$" <<<"$st" ||
		fail "status does not name refused store $x and why: $st"
done
grep -q "^agent fast: 1 connections refused (min_interval)$" <<<"$st" || fail "status: $st"
"$CTL" status --socket "$sock" --json | grep -q '"agent":"good","samples_lost":5,"gaps":2' ||
	fail "status --json lacks the counters"
metrics() { curl -sS --max-time 5 "http://127.0.0.1:$hport/metrics"; }
wait_for 10 "/metrics counters" sh -c "curl -sS --max-time 5 http://127.0.0.1:$hport/metrics | grep -q '^shrinkwatch_agent_samples_lost_total{agent=\"good\"} 5$'"
m=$(metrics)
grep -q '^shrinkwatch_agent_samples_refused_total{agent="evil"} 3$' <<<"$m" || fail "/metrics: refused"
grep -q '^shrinkwatch_agent_frames_refused_total{agent="good"} 1$' <<<"$m" || fail "/metrics: frames"
grep -q '^shrinkwatch_agent_stores_refused{agent="evil"} 3$' <<<"$m" || fail "/metrics: stores refused now"
grep -q '^# TYPE shrinkwatch_agent_sample_gaps_total counter$' <<<"$m" || fail "/metrics: TYPE"
ok "lost samples counted per agent: status, status --json, /metrics"

# everyone else was served all along
out=$(python3 "$wire" "$port" hello other 10 read samples o0 1 "$t0" read)
[ "$out" = $'ACK 0\nACK 1' ] || fail "another agent: got '$out'"
ok "the collector keeps serving other agents"
stop "$cpid"
