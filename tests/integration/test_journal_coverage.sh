#!/usr/bin/env bash
# test_journal_coverage.sh - a loss inventory never reads as complete when the
# agent's removal journal no longer holds the window's oldest entries, even
# after the agent restarted (journal_dropped in the samples counts only since
# the start):
#   - a real agent with removal_journal_max = 1M; 7,000 files deleted, then
#     7,000 more: the second batch pushes the first out of the journal
#     (logged);
#   - the agent restarts; `shrinkwatchctl lost --from ... STORE` over both
#     deletions says the inventory is incomplete (truncated counts the entries
#     that went), in the table and in JSON.
SW_TLS=0
. "$(dirname "$0")/lib.sh"
CTL="$BUILD/shrinkwatchctl"

mkdir -p "$T/state" "$T/data" "$T/store/case-0001" "$T/store/case-0002"
(cd "$T/store/case-0001" && seq -f 'clip-%06g.mp4' 7000 | xargs touch)
(cd "$T/store/case-0002" && seq -f 'clip-%06g.mp4' 7000 | xargs touch)
t_start=$(date +%s)

port=$(free_port)
sock="$T/control.sock"
collector_conf "$T/collector.conf" "$port" "$T/data" "control = $sock"
ctl() { "$CTL" --socket "$sock" "$@"; }
start collector "$BUILD/shrinkwatch-collector" -c "$T/collector.conf"
wait_for 10 "control socket" test -S "$sock"
agent_conf "$T/agent.conf" evsrv01 "$port" "$T/state" 1s "cam=$T/store"
sed -i 's|^state_dir = .*|&\nremoval_journal_max = 1M|' "$T/agent.conf"
start agent "$BUILD/shrinkwatch-agent" -c "$T/agent.conf"
AGENT=$LAST_PID

journal_bytes() { cat "$T"/state/journal/*.jnl 2>/dev/null | wc -c; }
journal_over() { [ "$(journal_bytes)" -gt "$1" ]; }
wait_for 60 "the store's first sample" test -f "$T/data/rrd/evsrv01/cam.rrd"
wait_for 30 "a committed manifest" sh -c "ls '$T/state/manifest' | grep -q ."
sleep 2 # a scan that has seen every file, committed (the next ones find the deletions)
rm -r "$T/store/case-0001"
wait_for 60 "the first 7,000 removals journaled" journal_over 500000
rm -r "$T/store/case-0002"
wait_for 60 "the journal over its cap" grep -q "journal: over removal_journal_max" "$T/agent.log"
ok "7,000 then 7,000 removals: the first batch left the 1M journal (logged)"

stop "$AGENT"
start agent "$BUILD/shrinkwatch-agent" -c "$T/agent.conf"
AGENT=$LAST_PID
# lost_now: the inventory of both deletions, once the restarted agent has
# scanned the store (before that it refuses: not scanned yet)
lost_now() { ctl lost --from "$((t_start - 60))" --to now evsrv01/cam --reason "coverage" "$@"; }
wait_for 60 "an inventory from the restarted agent" lost_now --json
lost_now --json >"$T/lost.json"
python3 - "$T/lost.json" <<'PY' || fail "inventory after the restart: $(head -c 600 "$T/lost.json")"
import json, sys
j = json.load(open(sys.argv[1]))
inv = j["inventory"]
assert inv["journal_dropped"] == 0, inv      # the restarted agent dropped nothing itself
assert inv["truncated"] > 0, inv             # but the window reaches back to what went
assert inv["matched"] + inv["truncated"] >= 14000, inv
PY
lost_now >"$T/lost.txt"
grep -q "^Incomplete: .* items are not listed" "$T/lost.txt" || fail "not said incomplete: $(tail -n 4 "$T/lost.txt")"
grep -q "accounts: inventory request .* the journal no longer holds" "$T/agent.log" ||
	fail "the agent did not log the incomplete answer"
ok "after a restart, an inventory reaching back to the dropped entries says it is incomplete"

stop "$AGENT"
