#!/usr/bin/env bash
# test_seq_forged.sh - a forged seq cannot make the genuine agent wrap or lose
# its samples (issue 16, item 7; docs/security.md, "A stolen agent
# certificate").  A collector (tests/integration/v1_collector.py with a forge
# file) first answers HELLO with "stored up to 2^64-1", as one whose record a
# holder of the agent's certificate raised: the agent does not believe it,
# keeps every sample spooled and its seq small.  Once the record is corrected
# it delivers the whole backlog from seq 1.  Then an ACK above anything
# the agent ever sent: it reconnects and still delivers every seq.
. "$(dirname "$0")/lib.sh"
SW_TLS=0
port=$(free_port)
MAX=18446744073709551615
mkdir -p "$T/state" "$T/store/2023/08"
for i in $(seq 5); do head -c 1000 /dev/urandom >"$T/store/2023/08/clip$i.mp4"; done
agent_conf "$T/agent.conf" evsrv01 "$port" "$T/state" 1s "bodycam=$T/store"
echo "hello $MAX" >"$T/forge"

start fake python3 "$(dirname "$0")/v1_collector.py" "$port" "$T/fake.events" "$T/forge"
wait_for 10 "the fake collector" python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), timeout=1)"
start agent "$BUILD/shrinkwatch-agent" -c "$T/agent.conf"
AGENT=$LAST_PID
state_seq() { awk '$1 == "seq" { print $2 }' "$T/state/agent.state" 2>/dev/null; }
seq_at_least() { [ "$(state_seq)" -ge "$1" ] 2>/dev/null; }

wait_for 20 "the agent refuses the forged seq" grep -q "Not believed" "$T/agent.log"
wait_for 20 "three rounds spooled" seq_at_least 3
s=$(state_seq)
[ "$s" -lt 1000 ] || fail "the agent took the forged seq: agent.state seq $s"
grep -q "^samples" "$T/fake.events" && fail "samples were sent under a forged record"
kill -0 "$AGENT" || fail "the agent died"
ok "forged 'stored up to 2^64-1' not believed; agent.state seq $s; nothing sent"

# the administrator corrects the collector's record
echo forget >"$T/forge"
delivered() { grep -q "^samples" "$T/fake.events"; }
wait_for 90 "the backlog delivered" delivered
read -r _ n last first < <(grep "^samples" "$T/fake.events" | head -1)
[ "$first" = 1 ] || fail "the first sample delivered is seq $first, not 1: $(cat "$T/fake.events")"
[ "$last" -ge "$s" ] || fail "the backlog ends at seq $last, below $s"
[ "$n" = "$last" ] || fail "seqs missing from the backlog: $n samples for 1..$last"
ok "after the correction the backlog seq 1..$last was delivered"

# an ACK above anything the agent sent
before=$(awk '/^samples/ { l = $3 } END { print l }' "$T/fake.events")
echo "samples $MAX" >"$T/forge"
wait_for 20 "the over-acknowledgement refused" grep -q "acknowledged seq $MAX, above the highest this agent sent" "$T/agent.log"
: >"$T/forge"
after_more() { [ "$(awk '/^samples/ { l = $3 } END { print l }' "$T/fake.events")" -gt $((before + 3)) ]; }
wait_for 90 "samples flow again" after_more
# every seq from 1 to the last was delivered at least once (none trimmed
# from the spool by the forged ACK)
python3 - "$T/fake.events" <<'PY' || fail "seqs lost: $(grep '^samples' "$T/fake.events" | tr '\n' ' ')"
import sys
got = set()
for line in open(sys.argv[1]):
    w = line.split()
    if w[0] == 'samples':
        got.update(range(int(w[3]), int(w[2]) + 1))
top = max(got)
missing = sorted(set(range(1, top + 1)) - got)
sys.exit(1 if missing else 0)
PY
s=$(state_seq)
[ "$s" -lt 1000 ] || fail "agent.state seq $s after the over-acknowledgement"
ok "an ACK above what was sent: reconnected, no seq lost, agent.state seq $s"
stop "$AGENT"
