#!/usr/bin/env bash
# test_delwatch_compat.sh - a new agent and a collector that knows only
# protocol version 1 (tests/integration/v1_collector.py, which refuses a
# version-2 frame with ERROR 2 as the old frame parser does): the agent steps
# down one version per refusal (3, then 2), says HELLO in version 1, ships
# its samples, and never sends that collector a deletion report, even while
# it watches and reports deletions.
. "$(dirname "$0")/lib.sh"
SW_TLS=0
port=$(free_port)
mkdir -p "$T/state" "$T/store/2023/08"
for i in $(seq 10); do head -c 1000 /dev/urandom >"$T/store/2023/08/clip$i.mp4"; done
agent_conf "$T/agent.conf" evsrv01 "$port" "$T/state" 1s "bodycam=$T/store"

start v1 python3 "$(dirname "$0")/v1_collector.py" "$port" "$T/v1.events"
wait_for 10 "the version-1 collector" python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), timeout=1)"
start agent "$BUILD/shrinkwatch-agent" -c "$T/agent.conf"
AGENT=$LAST_PID
acked() { grep -q "^samples " "$T/v1.events"; }
wait_for 20 "samples acknowledged by the version-1 collector" acked
grep -q "^refused 3 1$" "$T/v1.events" || fail "the agent did not try version 3 first: $(cat "$T/v1.events")"
grep -q "^refused 2 1$" "$T/v1.events" || fail "the agent did not try version 2 next: $(cat "$T/v1.events")"
grep -q "^hello$" "$T/v1.events" || fail "no version-1 HELLO: $(cat "$T/v1.events")"
ok "refused version-3 and version-2 HELLOs, fell back to version 1, samples acknowledged"

if grep -q "watching deletions" "$T/agent.log"; then
	rm -rf "$T/store/2023/08"
	wait_for 10 "the agent reports the deletion" grep -q "10 files, .* deleted under 2023/08/" "$T/agent.log"
	sleep 3
fi
n=$(grep -c "warning: ship: .* refused protocol version" "$T/agent.log")
[ "$n" = 1 ] || fail "the step-down warning was logged $n times"
[ "$(grep -c '^refused' "$T/v1.events")" = 2 ] || fail "version 3 or 2 tried again: $(cat "$T/v1.events")"
grep -q "^unexpected" "$T/v1.events" && fail "the version-1 collector got a message it does not know"
kill -0 "$AGENT" || fail "the agent died"
ok "one warning, no second version-2 attempt, no report sent to a version-1 collector"
stop "$AGENT"
