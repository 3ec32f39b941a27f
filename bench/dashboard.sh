#!/usr/bin/env bash
# dashboard.sh - how fast the dashboard answers, on this machine: a collector
# on 127.0.0.1 with the seeded store and ledger of the dashboard tests; median
# and worst of 10 requests each for an uncached graph render (every width
# differs), a cached graph, the overview page and /metrics.  Then the same
# with BENCH_DASH_STORES (2,000) more stores of 26 hours of history each: the
# overview and the stores API show every store's change over 24 hours, which
# comes from each store's RRD file; the first request reads every file (what
# every request cost before the reference totals were cached, see
# collector/http/change24.h), later ones come from the cache.  Prints
# numbers, asserts nothing (the machine may be shared and noisy).
# Run: make bench-dashboard
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
cpid=$LAST_PID
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

stop "$cpid"

# ---- many stores: BENCH_DASH_STORES RRD files, 26 hours of 5-minute samples
nstores=${BENCH_DASH_STORES:-2000}
t_seed0=$(date +%s.%N)
python3 - "$T/data/rrd" "$nstores" <<'PY' | rrdtool - >/dev/null
import os, sys, time
root, n = sys.argv[1], int(sys.argv[2])
now = int(time.time()) // 300 * 300
start = now - 26 * 3600
for k in range(n):
    agent = "fleet%02d" % (k // 100)
    os.makedirs(os.path.join(root, agent), exist_ok=True)
    path = os.path.join(root, agent, "store%04d.rrd" % k)
    print("create %s --step 300 --start %d DS:bytes:GAUGE:600:0:U DS:objects:GAUGE:600:0:U "
          "DS:added_bytes:GAUGE:600:0:U DS:added_objects:GAUGE:600:0:U DS:fs_used:GAUGE:600:0:U "
          "DS:fs_size:GAUGE:600:0:U DS:fs_inodes:GAUGE:600:0:U RRA:AVERAGE:0.5:1:400 "
          "RRA:MIN:0.5:1:400 RRA:MAX:0.5:1:400" % (path, start - 300))
    rows = " ".join("%d:%d:%d:1000:1:1:2:3" % (t, 10**9 + 1000 * i, 10000 + i)
                    for i, t in enumerate(range(start, now + 1, 300)))
    print("update %s %s" % (path, rows))
PY
t_seed1=$(date +%s.%N)
restart() {
	stop "$cpid"
	start collector "$BUILD/shrinkwatch-collector" -c "$T/c.conf"
	cpid=$LAST_PID
	wait_for 60 "dashboard listening" grep -q "dashboard on" "$T/collector.log"
	sleep 1
}
restart
echo "with $((nstores + 1)) stores (seeded in $(python3 -c "print(round($t_seed1 - $t_seed0, 1))") s):"
cold_o=$(timed "/")
warm_o=$(for _ in $(seq 10); do timed "/"; done | sort -n | sed -n 6p)
restart
cold_a=$(timed "/api/v1/stores")
warm_a=$(for _ in $(seq 10); do timed "/api/v1/stores"; done | sort -n | sed -n 6p)
curl -sf "$U/api/v1/stores" | python3 -c 'import json, sys
d = json.load(sys.stdin)["stores"]
print("  (%d stores listed, %d with a 24-hour change)" % (len(d), sum(x["change_24h_bytes"] is not None for x in d)))'
python3 - "$cold_o" "$warm_o" "$cold_a" "$warm_a" <<'PY'
import sys
co, wo, ca, wa = (float(x) * 1000 for x in sys.argv[1:])
print("%-34s %8.1f ms (reads every RRD file: the cost of each request before the cache)" % ("overview page, first request", co))
print("%-34s %8.1f ms   (%.1fx faster)" % ("overview page, cached (median)", wo, co / wo))
print("%-34s %8.1f ms (after a restart: reads every RRD file)" % ("/api/v1/stores, first request", ca))
print("%-34s %8.1f ms   (%.1fx faster)" % ("/api/v1/stores, cached (median)", wa, ca / wa))
PY
stop "$cpid"
