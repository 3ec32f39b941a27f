#!/usr/bin/env bash
# demo.sh - shrinkwatch end to end on this machine, on 127.0.0.1 only.
#
# Starts a collector and gives it a month of history of a body-worn-video
# evidence store, evsrv01/bodycam, sent the way its agent would have sent it
# (packaging/demo/history.sh: over the real protocol and mutual TLS, with
# back-dated samples): nightly retention purges the detector explains, a
# court-ordered deletion an operator declared with `shrinkwatchctl explain`,
# and an unexplained loss this morning that raised an alert.  Then the real
# agent takes over that store where the history ends, and a second agent,
# evsrv02, samples a small store every 2 seconds; part of it is deleted
# behind the agent's back and the live detector raises an alert -- in
# `shrinkwatchctl alerts`, delivered to an exec notifier and to the journal
# -- whose loss inventory (`shrinkwatchctl lost`) lists the deleted clips,
# fetched from the agent's removal journal.
# Everything lives under build/demo/; it is removed at the start of the next
# demo.  DEMO_KEEP=1 leaves the daemons running at the end until you press
# Ctrl-C, to look at the dashboard.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/journal.sh"
. "$here/history.sh"

# No journald here (a container, a build machine)?  Then run the demo in a
# private mount namespace with a journald of its own, where one can be made.
demo_journal_reexec "$0" "$@"
demo_journal_start
: "${BUILD:=$(cd "$(dirname "$0")/../.." && pwd)/build}"
root=$(cd "$(dirname "$0")/../.." && pwd)
D=${DEMO_DIR:-$root/build/demo}
interval=2
pids=()

stop_all() {
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	[ -z "$DEMO_JOURNALD_PID" ] || kill -TERM "$DEMO_JOURNALD_PID" 2>/dev/null || true
	wait 2>/dev/null || true
}
trap stop_all EXIT INT TERM

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
wait_for() {
	local secs=$1; shift
	local end=$((SECONDS + secs))
	until "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$end" ] || { echo "demo: timed out waiting for: $*" >&2; exit 1; }
		sleep 0.3
	done
}
last() { # last value of a data source in an RRD
	rrdtool lastupdate "$1" | awk -v ds="$2" 'NR==1{for(i=1;i<=NF;i++)c[$i]=i;next} NF>1{print $(c[ds]+1)}' | tail -n1
}

rm -rf "$D"
mkdir -p "$D/store" "$D/data" "$D/state" "$D/state-evsrv01"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# the dashboard (docs/api.md): a free port of its own
hport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
hist=$HISTORY_AGENT/$HISTORY_STORE
ctl() { "$BUILD/shrinkwatchctl" --socket "$D/control.sock" "$@"; }

say "A CA and certificates for mutual TLS (shrinkwatchctl pki)"
"$BUILD/shrinkwatchctl" pki init "$D/pki"
"$BUILD/shrinkwatchctl" pki issue 127.0.0.1 --server --dir "$D/pki"
"$BUILD/shrinkwatchctl" pki issue "$HISTORY_AGENT" --dir "$D/pki"
"$BUILD/shrinkwatchctl" pki issue evsrv02 --dir "$D/pki"

# evsrv02's store is watched every 2 seconds so the live part reacts within
# seconds: a known sample interval, small loss floors, and a purge hour far
# from now (so no retention purge explains the deletion below).  The
# history's store has its own section (history_conf).
purge_hour=$(( (10#$(date -u +%H) + 12) % 24 ))
cat >"$D/page-oncall" <<'SH'
#!/bin/sh
# stand-in for a paging command: the alert arrives as JSON on stdin
{ echo "== $SHRINKWATCH_STATE: alert $SHRINKWATCH_ALERT_ID"; cat; echo; } >>"$(dirname "$0")/paged.txt"
SH
chmod 0755 "$D/page-oncall"
cat >"$D/collector.conf" <<CONF
[collector]
listen = 127.0.0.1:$port
data_dir = $D/data
; the demo samples faster than the default floor of 10 s
min_interval = ${interval}s
control = $D/control.sock
http = 127.0.0.1:$hport
dashboards = $root/dashboards
tls_ca = $D/pki/ca.crt
tls_cert = $D/pki/127.0.0.1.crt
tls_key = $D/pki/127.0.0.1.key
[store evsrv02/interviews]
interval = ${interval}s
purge_at = $(printf %02d "$purge_hour"):00
drop_min_bytes = 16k
drop_min_objects = 3
resolve_after = 1000
; clips are kept 31 days: the agent's exact accounts (its manifest) tell
; the collector how many removed clips were younger than that -- never a
; purge, so their removal alerts on the first sample that shows it
retention = 31d
$(history_conf)
[notify oncall]
type = exec
command = $D/page-oncall
[notify journal]
type = journal
CONF

say "Starting the collector (127.0.0.1:$port, mutual TLS; dashboard on 127.0.0.1:$hport)"
"$BUILD/shrinkwatch-collector" -c "$D/collector.conf" >"$D/collector.log" 2>&1 &
pids+=($!)
wait_for 10 grep -q "listening on" "$D/collector.log"

say "A month of $hist: the samples its agent would have sent, over the real protocol"
echo "(packaging/demo/history.py models the store; bench/sendtrace sends the samples"
echo " back-dated, every 5 minutes, as agent $HISTORY_AGENT over mutual TLS)"
t0=$SECONDS
history_send "$D/history" "$port" "$D/pki" "$D/control.sock" 2>>"$D/history.log"
. "$D/history/events.sh"
iso() { date -u -d "@$1" '+%Y-%m-%d %H:%M UTC'; }
echo "$samples samples up to $(iso "$last_time"), stored and judged in $((SECONDS - t0)) s:"
echo "  - every night at 02:00 UTC the retention purge deletes clips older than 31 days"
echo "    (except cases kept as evidence): expected, no alert"
echo "  - $(iso "$decl_from"): an operator declared a deletion before it happened:"
echo "      shrinkwatchctl explain $hist --from '$(iso "$decl_from" | cut -c1-16)' --to '$(iso "$decl_to" | cut -c1-16)' \\"
echo "        --bytes $decl_bytes --objects $decl_objects --reason \"$decl_reason\""
echo "    and the footage went ten minutes later: explained, no alert"
echo "  - $(iso "$loss_time"): a migration lost $loss_objects clips ($loss_bytes bytes):"
echo "      $loss_folders"
echo "    nothing explains it: the detector raised an alert"
ctl alerts
echo
ctl explanations --all

say "The agent takes over $hist where the history ends (every ${HISTORY_STEP}s)"
# the history was this agent's last month: its state goes on from the
# history's last sequence number (agent/state.h), as if it had sent it
printf 'version 1\nseq %s\n' "$HISTORY_SEQ" >"$D/state-evsrv01/agent.state"
cat >"$D/agent-evsrv01.conf" <<CONF
[agent]
name = $HISTORY_AGENT
interval = ${HISTORY_STEP}s
state_dir = $D/state-evsrv01
[collector]
address = 127.0.0.1:$port
tls_ca = $D/pki/ca.crt
tls_cert = $D/pki/$HISTORY_AGENT.crt
tls_key = $D/pki/$HISTORY_AGENT.key
[store $HISTORY_STORE]
path = $D/history/store
CONF
"$BUILD/shrinkwatch-agent" -c "$D/agent-evsrv01.conf" >"$D/agent-evsrv01.log" 2>&1 &
pids+=($!)
hrrd=$D/data/rrd/$HISTORY_AGENT/$HISTORY_STORE.rrd
agent_took_over() { [ "$(rrdtool last "$hrrd")" -gt "$last_time" ]; }
wait_for 30 agent_took_over
echo "the store: $D/history/store ($store_objects clips, sparse files of their real sizes)"
echo "its first live scan: objects=$(last "$hrrd" objects) bytes=$(last "$hrrd" bytes)" \
	"(the history ended at objects=$store_objects bytes=$store_bytes)"

say "A second store, watched live: $D/store"
for day in 01 02 03; do
	for case in 1001 1002 1003 1004; do
		d="$D/store/2026/11/$day/case-$case"
		mkdir -p "$d"
		for clip in 1 2 3 4 5; do head -c $((20000 + RANDOM)) /dev/urandom >"$d/clip$clip.mp4"; done
	done
done
echo "$(find "$D/store" -type f | wc -l) clips, $(find "$D/store" -type f -printf '%s\n' | awk '{s+=$1} END {print s}') bytes"
cat >"$D/agent.conf" <<CONF
[agent]
name = evsrv02
interval = ${interval}s
state_dir = $D/state
[collector]
address = 127.0.0.1:$port
tls_ca = $D/pki/ca.crt
tls_cert = $D/pki/evsrv02.crt
tls_key = $D/pki/evsrv02.key
[store interviews]
path = $D/store
CONF

say "Starting agent evsrv02 (every ${interval}s)"
"$BUILD/shrinkwatch-agent" -c "$D/agent.conf" >"$D/agent.log" 2>&1 &
pids+=($!)
rrd=$D/data/rrd/evsrv02/interviews.rrd
wait_for 20 test -f "$rrd"
grep -m1 "connected to collector" "$D/agent.log"
sleep $((interval * 2))
echo "the agent's own view (shrinkwatch-agent --once):"
"$BUILD/shrinkwatch-agent" -c "$D/agent.conf" --once
echo "stored in $rrd: objects=$(last "$rrd" objects) bytes=$(last "$rrd" bytes)"

say "Someone deletes case 1002 of 2026-11-02 and truncates a clip, behind the agent's back"
before_b=$(last "$rrd" bytes); before_o=$(last "$rrd" objects)
rm -rf "$D/store/2026/11/02/case-1002"
: >"$D/store/2026/11/03/case-1004/clip5.mp4"
want_o=$(find "$D/store" -type f | wc -l)
stored_objects_are() { [ "$(last "$rrd" objects)" = "$1" ]; }
wait_for 20 stored_objects_are "$want_o"
sleep "$interval"
echo "objects: $before_o -> $(last "$rrd" objects)    bytes: $before_b -> $(last "$rrd" bytes)"

say "The live detector raised an alert: shrinkwatchctl alerts"
has_alert() { ctl alerts --json | grep -q '"store":"interviews"'; }
wait_for 20 has_alert
ctl alerts
paged() { grep -q '"store":"interviews"' "$D/paged.txt"; }
wait_for 20 paged
echo
echo "the exec notifier ($D/page-oncall) received (the last alert):"
awk '/^== /{buf=""} {buf=buf $0 "\n"} END{printf "%s", buf}' "$D/paged.txt" | head -c 600; echo ...
if [ -S "$SW_DEMO_JOURNAL_SOCKET" ]; then
	journal_done() { grep -q "delivered notification .* to 'journal'" "$D/collector.log"; }
	wait_for 20 journal_done
	echo "the journal notifier (journalctl MESSAGE_ID=04757486c1ac4d639935951c3b15f541 -o verbose):"
	journalctl -q --no-pager MESSAGE_ID=04757486c1ac4d639935951c3b15f541 -n 1 -o verbose |
		grep -E '^ +(MESSAGE|PRIORITY|AGENT|STORE|KIND|LOST_BYTES)=' || true
else
	echo "no journald on this machine: the journal notification waits in the durable"
	echo "outbox and is retried with backoff until journald is there ('queued' below)"
fi
ctl status

say "Which clips? shrinkwatchctl lost ID --reason TEXT"
echo "(paths never leave the evidence server unasked: an administrator asks for one"
echo " alert's inventory, with a reason; the collector fetches it from the agent's"
echo " removal journal over mutual TLS, keeps it in the ledger and audits the request)"
live_id=$(ctl alerts --json | python3 -c 'import json,sys; print(max(a["id"] for a in json.load(sys.stdin)["alerts"] if a["store"] == "interviews"))')
echo "  shrinkwatchctl lost $live_id --reason \"demo: which clips did the alert lose\""
ctl lost "$live_id" --reason "demo: which clips did the alert lose"

say "What the collector keeps"
echo "RRD files: $hrrd (a month, 5-minute step) and $rrd (2-second step)"
echo "  rrdtool info $hrrd | grep -E '^(step|ds|rra\\[[0-9]+\\]\\.cf)'"
rrdtool info "$hrrd" | grep -E '^(step|ds\[bytes\]\.type|rra\[[0-2]\]\.cf)'
echo "  rrdtool fetch $hrrd MIN -s $((loss_time - 900)) -e $((loss_time + 900))"
rrdtool fetch "$hrrd" MIN -s $((loss_time - 900)) -e $((loss_time + 900)) | cut -c1-60
echo "  rrdtool graph $D/bytes.png -s -7d DEF:b=$hrrd:bytes:MIN LINE2:b#c00:bytes"
rrdtool graph "$D/bytes.png" -s -7d -w 600 -h 160 -t "$hist bytes (MIN)" \
	"DEF:b=$hrrd:bytes:MIN" "LINE2:b#cc0000:bytes" >/dev/null
echo "  -> $D/bytes.png"
echo
echo "ledger (alerts, declared deletions, audit trail, outbox): $D/data/ledger.db"
echo "  shrinkwatchctl --socket $D/control.sock audit"
ctl audit
echo
echo "logs: $D/collector.log $D/agent-evsrv01.log $D/agent.log $D/history.log"

# ---- dashboard ----
say "Dashboard: http://127.0.0.1:$hport/"
dash=http://127.0.0.1:$hport
curl -sf "$dash/" | grep -q "$hist" && echo "the overview lists $hist and evsrv02/interviews"
echo "the month:   $dash/store/$hist?range=month   (purges, the declared deletion, the loss)"
echo "the alert:   $dash/alert/$(ctl alerts --json | python3 -c 'import json,sys; print(min(a["id"] for a in json.load(sys.stdin)["alerts"]))' 2>/dev/null || echo 1)"
echo "live alert:  $dash/alert/$live_id   (the loss inventory, grouped by folder, CSV download)"
echo "live store:  $dash/store/evsrv02/interviews   (graphs: $dash/graph/evsrv02/interviews/bytes)"
echo "JSON API:    $dash/api/v1/stores    metrics: $dash/metrics"
[ "${DEMO_KEEP:-0}" = 1 ] || echo "(run DEMO_KEEP=1 make demo to keep it up and open it in a browser)"

if [ "${DEMO_KEEP:-0}" = 1 ]; then
	say "Running until Ctrl-C"
	wait
fi
say "Demo done; stopping the daemons (data stays in $D)"
