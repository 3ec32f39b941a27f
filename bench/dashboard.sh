#!/usr/bin/env bash
# dashboard.sh - how fast the dashboard answers, on this machine: a collector
# on 127.0.0.1 with the seeded store and ledger of the dashboard tests; median
# and worst of 10 requests each for an uncached graph render (every width
# differs), a cached graph, the overview page and /metrics.  Prints numbers,
# asserts nothing (the machine may be shared and noisy).  Run: make bench-dashboard
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
. "$root/tests/integration/lib.sh"
. "$root/tests/integration/dashboard_seed.sh"

port=$(free_port)
hport=$(free_port)
mkdir -p "$T/data"
seed_archive_rrd "$T/data"
seed_ledger "$T/data" "$(date +%s)"
collector_conf "$T/c.conf" "$port" "$T/data" "http = 127.0.0.1:$hport
dashboards = $root/dashboards"
start collector "$BUILD/shrinkwatch-collector" -c "$T/c.conf"
wait_for 10 "dashboard listening" grep -q "dashboard on" "$T/collector.log"
U=http://127.0.0.1:$hport

stats() { sort -n | awk -v what="$1" '{a[NR] = $1 * 1000}
	END { printf "%-34s median %7.2f ms   max %7.2f ms\n", what, a[int(NR / 2) + 1], a[NR] }'; }
timed() { curl -sf -o /dev/null -w '%{time_total}\n' "$U$1"; }

for w in $(seq 601 610); do timed "/graph/vault01/archive/bytes?range=week&w=$w"; done |
	stats "graph, uncached (rrd_graph_v)"
for _ in $(seq 10); do timed "/graph/vault01/archive/bytes?range=week&w=601"; done |
	stats "graph, cached"
for _ in $(seq 10); do timed "/"; done | stats "overview page"
for _ in $(seq 10); do timed "/store/vault01/archive"; done | stats "store page"
for _ in $(seq 10); do timed "/metrics"; done | stats "/metrics"
