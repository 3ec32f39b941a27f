#!/usr/bin/env bash
# test_accounts_crash.sh - kill -9 of the agent while it scans a store of
# 40,000 files (scans long enough to be hit: the first one builds the
# manifest), again and again at random moments, then a restart: no sample
# ever claims a removal (nothing was removed), the manifest is never found
# damaged, and the agent is exact again afterwards.  The collector is
# vn_collector.py in version 3 (it logs every sample's exact figures).
. "$(dirname "$0")/lib.sh"
SW_TLS=0
port=$(free_port)
mkdir -p "$T/state" "$T/store"
python3 - "$T/store" <<'PY'
import os, sys
root = sys.argv[1]
for d in range(40):
    p = os.path.join(root, '2024', 'case%03d' % d)
    os.makedirs(p)
    for f in range(1000):
        with open(os.path.join(p, 'clip%04d.mp4' % f), 'wb') as fh:
            fh.write(b'x' * (f % 7))
PY
agent_conf "$T/agent.conf" evsrv01 "$port" "$T/state" 1s "bodycam=$T/store"
start v3 python3 "$(dirname "$0")/vn_collector.py" "$port" "$T/v3.events" 3 bodycam 3600
V3=$LAST_PID
wait_for 10 "the collector" python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), timeout=1)"
kills=0
for i in $(seq 15); do
	# new files in every directory: the restart's full scan rewrites records
	for d in "$T"/store/2024/case*; do : >"$d/new$i.mp4"; done
	start "agent$i" "$BUILD/shrinkwatch-agent" -c "$T/agent.conf"
	sleep "0.$(( RANDOM % 3 ))$(( RANDOM % 10 ))"
	kill -9 "$LAST_PID"
	wait "$LAST_PID" 2>/dev/null || true
	kills=$((kills + 1))
done
nexact() { awk '$1 == "sample" && int($3 / 8) % 2 == 1 { n++ } END { print n + 0 }' "$T/v3.events"; }
# exact samples of the killed agents may be there already: wait for two of
# the last agent's own (and so for it to be up before it is stopped)
before=$(nexact)
start agent "$BUILD/shrinkwatch-agent" -c "$T/agent.conf"
AGENT=$LAST_PID
exact() { [ "$(nexact)" -ge $((before + 2)) ]; }
wait_for 60 "exact samples after the kills" exact
awk '$1 == "sample" && $4 != 0 { exit 1 }' "$T/v3.events" ||
	fail "a removal claimed although nothing was removed: $(awk '$1 == "sample" && $4 != 0' "$T/v3.events" | head -n 3)"
grep -q "is damaged" "$T"/agent*.log && fail "kill -9 damaged the manifest: $(grep 'is damaged' "$T"/agent*.log)"
cut=$(cat "$T"/agent*.log | grep -c "of a scan that did not finish" || true)
ok "$kills kills during scans ($cut unfinished scans cut off on restart): no false removal, no damage, exact again"
stop "$AGENT"
kill "$V3"
