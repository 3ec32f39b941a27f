#!/usr/bin/env bash
# demo.sh - shrinkwatch end to end on this machine, on 127.0.0.1 only.
#
# Starts a collector and an agent watching a small sample evidence store
# (body-worn-video style: year/month/day/case/clip files), lets samples flow
# into RRD files, deletes part of the store behind the agent's back, and shows
# what the collector recorded: the RRD history, and the alert the live
# detector raised -- in `shrinkwatchctl alerts`, delivered to an exec notifier
# and to the journal.  Everything lives under build/demo/; it is
# removed at the start of the next demo.  DEMO_KEEP=1 leaves both daemons
# running at the end until you press Ctrl-C.
set -euo pipefail

# No journald here (a container, a build machine)?  Then run the demo in a
# private mount namespace with a journald of its own, so the journal notifier
# delivers for real; the machine's /run and journal are left untouched.
if [ ! -S /run/systemd/journal/socket ] && [ -z "${SW_DEMO_NS:-}" ] && [ "$(id -u)" = 0 ] &&
	[ -x /lib/systemd/systemd-journald ] && command -v unshare >/dev/null; then
	exec env SW_DEMO_NS=1 unshare --mount --propagation private "$0" "$@"
fi
journald_pid=
if [ -n "${SW_DEMO_NS:-}" ]; then
	mount -t tmpfs -o mode=0755 tmpfs /run
	mkdir -p /run/systemd/journal /run/log/journal
	[ ! -d /var/log/journal ] || mount -t tmpfs tmpfs /var/log/journal
	/lib/systemd/systemd-journald >/dev/null 2>&1 &
	journald_pid=$!
	for _ in $(seq 50); do [ -S /run/systemd/journal/socket ] && break; sleep 0.1; done
fi
: "${BUILD:=$(cd "$(dirname "$0")/../.." && pwd)/build}"
root=$(cd "$(dirname "$0")/../.." && pwd)
D=$root/build/demo
interval=2
pids=()

stop_all() {
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	[ -z "$journald_pid" ] || kill -TERM "$journald_pid" 2>/dev/null || true
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
mkdir -p "$D/store" "$D/data" "$D/state"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# the dashboard (docs/api.md): a free port of its own
hport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

say "A sample evidence store: $D/store"
for day in 01 02 03; do
	for case in 1001 1002 1003 1004; do
		d="$D/store/2026/11/$day/case-$case"
		mkdir -p "$d"
		for clip in 1 2 3 4 5; do head -c $((20000 + RANDOM)) /dev/urandom >"$d/clip$clip.mp4"; done
	done
done
echo "$(find "$D/store" -type f | wc -l) clips, $(find "$D/store" -type f -printf '%s\n' | awk '{s+=$1} END {print s}') bytes"

# the demo's detector reacts within seconds: a known sample interval, small
# loss floors, and a purge hour far from now (so no retention purge explains
# the deletion below)
purge_hour=$(( (10#$(date -u +%H) + 12) % 24 ))
cat >"$D/page-oncall" <<'SH'
#!/bin/sh
# stand-in for a paging command: the alert arrives as JSON on stdin
{ echo "== $SHRINKWATCH_STATE: alert $SHRINKWATCH_ALERT_ID"; cat; echo; } >>"$(dirname "$0")/paged.txt"
SH
chmod 0755 "$D/page-oncall"

say "A CA and certificates for mutual TLS (shrinkwatchctl pki)"
"$BUILD/shrinkwatchctl" pki init "$D/pki"
"$BUILD/shrinkwatchctl" pki issue 127.0.0.1 --server --dir "$D/pki"
"$BUILD/shrinkwatchctl" pki issue evsrv01 --dir "$D/pki"

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
[detect]
interval = ${interval}s
purge_at = $(printf %02d "$purge_hour"):00
drop_min_bytes = 16k
drop_min_objects = 3
resolve_after = 1000
[notify oncall]
type = exec
command = $D/page-oncall
[notify journal]
type = journal
CONF
cat >"$D/agent.conf" <<CONF
[agent]
name = evsrv01
interval = ${interval}s
state_dir = $D/state
[collector]
address = 127.0.0.1:$port
tls_ca = $D/pki/ca.crt
tls_cert = $D/pki/evsrv01.crt
tls_key = $D/pki/evsrv01.key
[store bodycam]
path = $D/store
CONF

say "Starting the collector (127.0.0.1:$port, mutual TLS) and the agent (every ${interval}s)"
"$BUILD/shrinkwatch-collector" -c "$D/collector.conf" >"$D/collector.log" 2>&1 &
pids+=($!)
wait_for 10 grep -q "listening on" "$D/collector.log"
"$BUILD/shrinkwatch-agent" -c "$D/agent.conf" >"$D/agent.log" 2>&1 &
pids+=($!)
rrd=$D/data/rrd/evsrv01/bodycam.rrd
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
ctl() { "$BUILD/shrinkwatchctl" --socket "$D/control.sock" "$@"; }
has_alert() { ctl alerts --json | grep -q '"kind":"drop"'; }
wait_for 20 has_alert
ctl alerts
paged() { grep -q "firing" "$D/paged.txt"; }
wait_for 20 paged
echo
echo "the exec notifier ($D/page-oncall) received:"
head -c 600 "$D/paged.txt"; echo ...
if [ -S /run/systemd/journal/socket ]; then
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

say "What the collector keeps"
echo "RRD file: $rrd"
echo "  rrdtool info $rrd | grep -E '^(step|ds|rra\\[[0-9]+\\]\\.cf)'"
rrdtool info "$rrd" | grep -E '^(step|ds\[bytes\]\.type|rra\[[0-2]\]\.cf)'
echo "  rrdtool fetch $rrd MIN -s -60 | tail -n 5"
rrdtool fetch "$rrd" MIN -s -60 | tail -n 5
echo "  rrdtool graph $D/bytes.png -s -10min DEF:b=$rrd:bytes:MIN LINE2:b#c00:bytes"
rrdtool graph "$D/bytes.png" -s -10min -w 600 -h 160 -t "bodycam bytes (MIN)" \
	"DEF:b=$rrd:bytes:MIN" "LINE2:b#cc0000:bytes" >/dev/null
echo "  -> $D/bytes.png"
echo
echo "ledger (alerts, audit trail, outbox): $D/data/ledger.db"
echo "  shrinkwatchctl --socket $D/control.sock audit"
ctl audit
echo
echo "logs: $D/collector.log $D/agent.log"

# ---- dashboard ----
say "Dashboard: http://127.0.0.1:$hport/"
dash=http://127.0.0.1:$hport
curl -sf "$dash/" | grep -q 'evsrv01/bodycam' && echo "the overview lists evsrv01/bodycam"
echo "store page:  $dash/store/evsrv01/bodycam   (graphs: $dash/graph/evsrv01/bodycam/bytes)"
echo "JSON API:    $dash/api/v1/stores    metrics: $dash/metrics"
[ "${DEMO_KEEP:-0}" = 1 ] || echo "(run DEMO_KEEP=1 make demo to keep it up and open it in a browser)"

if [ "${DEMO_KEEP:-0}" = 1 ]; then
	say "Running until Ctrl-C"
	wait
fi
say "Demo done; stopping the daemons (data stays in $D)"
