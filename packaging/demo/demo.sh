#!/usr/bin/env bash
# demo.sh - shrinkwatch end to end on this machine, on 127.0.0.1 only.
#
# Starts a collector and an agent watching a small sample evidence store
# (body-worn-video style: year/month/day/case/clip files), lets samples flow
# into RRD files, deletes part of the store behind the agent's back, and shows
# what the collector recorded.  Everything lives under build/demo/; it is
# removed at the start of the next demo.  DEMO_KEEP=1 leaves both daemons
# running at the end until you press Ctrl-C.
set -euo pipefail
: "${BUILD:=$(cd "$(dirname "$0")/../.." && pwd)/build}"
root=$(cd "$(dirname "$0")/../.." && pwd)
D=$root/build/demo
interval=2
pids=()

stop_all() {
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
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

cat >"$D/collector.conf" <<CONF
[collector]
listen = 127.0.0.1:$port
data_dir = $D/data
http = 127.0.0.1:$hport
dashboards = $root/dashboards
CONF
cat >"$D/agent.conf" <<CONF
[agent]
name = evsrv01
interval = ${interval}s
state_dir = $D/state
[collector]
address = 127.0.0.1:$port
[store bodycam]
path = $D/store
CONF

say "Starting the collector (127.0.0.1:$port) and the agent (every ${interval}s)"
"$BUILD/shrinkwatch-collector" -c "$D/collector.conf" >"$D/collector.log" 2>&1 &
pids+=($!)
wait_for 10 grep -q "listening on" "$D/collector.log"
"$BUILD/shrinkwatch-agent" -c "$D/agent.conf" >"$D/agent.log" 2>&1 &
pids+=($!)
rrd=$D/data/rrd/evsrv01/bodycam.rrd
wait_for 20 test -f "$rrd"
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
