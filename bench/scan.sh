#!/usr/bin/env bash
# bench/scan.sh - the agent's walker side by side with what users would run
# otherwise, on one generated evidence-shaped tree, warm cache:
#   du -s, find -type f | wc -l, collectd's filecount plugin (timed to its
#   first value), our full scan (default threads and one thread) and our
#   incremental rescan of the unchanged tree.
# Prints each tool's best time over BENCH_RUNS interleaved rounds, the
# speed-up over du -s, the CPU seconds (user + system) of that best round and
# the peak RSS, then the issue's targets.  The machine may be shared: wall
# times move with other load, CPU seconds much less, so the CPU column says
# how much work each tool does per file and the wall column what a user
# waits.  The load average is printed before and after.  Called by `make
# bench-scan` with BUILD, BENCH_DIR, BENCH_FILES and BENCH_RUNS set.
set -euo pipefail
: "${BUILD:?}" "${BENCH_DIR:?}"
FILES=${BENCH_FILES:-1000000}
RUNS=${BENCH_RUNS:-5}
TREE=$BENCH_DIR/tree-$FILES
SCANBENCH=$BUILD/bench/scanbench
TIME=/usr/bin/time

[ -x "$TIME" ] || { echo "bench-scan: needs GNU time (/usr/bin/time): make deps" >&2; exit 1; }
if [ "$(cat "$TREE.complete" 2>/dev/null)" != "$FILES" ]; then
	echo "bench-scan: generating $FILES files in $TREE (once; reused afterwards)"
	rm -rf "$TREE" "$TREE.complete"
	"$BUILD/bench/gentree" "$TREE" "$FILES"
fi

# The rescan measures an unchanged store: the walker re-reads directories
# holding files modified in the last minute (scanbench's hot window), so a
# freshly made tree first has to age past it.
age=$(( $(date +%s) - $(stat -c %Y "$TREE.complete") ))
if [ "$age" -lt 65 ]; then
	echo "bench-scan: letting the new tree age $((65 - age)) s (recently written files are re-read)"
	sleep $((65 - age))
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-scan.XXXXXX")
collectd_pid=
cleanup() {
	[ -n "$collectd_pid" ] && kill "$collectd_pid" 2>/dev/null && wait "$collectd_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

now() { date +%s.%N; }
# cpu_of FILE: user + system seconds from GNU time's "%M %U %S" line.
cpu_of() { tail -n1 "$1" | awk '{printf "%.2f", $2 + $3}'; }

# Warm cache: every tool below meets the same cached metadata.
find "$TREE" > /dev/null
du -s "$TREE" > /dev/null
dirs=$(find "$TREE" -type d | wc -l)

declare -A SEC CPU RSS COUNT
# Each tool appends a line "seconds cpu-seconds" to $tmp/NAME.sec, its peak
# RSS (KB) to $tmp/NAME.rss and leaves its count in $tmp/NAME.count.  The
# rounds run the tools in turn, so that load from elsewhere on the machine
# falls on all of them alike; the table takes each tool's best time (with
# that round's CPU seconds) and its largest RSS.

# plain NAME CMD...: wall time of the whole command.
plain() {
	local name=$1 t0 t1; shift
	t0=$(now)
	"$TIME" -f '%M %U %S' -o "$tmp/t" "$@" > "$tmp/out"
	t1=$(now)
	echo "$(echo "$t1 - $t0" | bc -l) $(cpu_of "$tmp/t")" >> "$tmp/$name.sec"
	tail -n1 "$tmp/t" | cut -d' ' -f1 >> "$tmp/$name.rss"
	grep -o '[0-9]\+' "$tmp/out" | head -n1 > "$tmp/$name.count"
}

# ours NAME MODE ARGS...: our walker; the scan's own time (what the agent
# measures: for the rescan, the cache lives in the agent between scans),
# the peak RSS of the whole process.
ours() {
	local name=$1 mode=$2; shift 2
	"$TIME" -f '%M %U %S' -o "$tmp/t" "$SCANBENCH" "$@" "$TREE" > "$tmp/out"
	echo "$(grep "^$mode " "$tmp/out" | awk '{print $2}' | sort -g | head -n1) $(cpu_of "$tmp/t")" \
		>> "$tmp/$name.sec"
	tail -n1 "$tmp/t" | cut -d' ' -f1 >> "$tmp/$name.rss"
	grep "^$mode " "$tmp/out" | tail -n1 | sed 's/.*objects=\([0-9]*\).*/\1/' > "$tmp/$name.count"
	grep '^full ' "$tmp/out" | sed 's/.*threads=\([0-9]*\).*/\1/' > "$tmp/$name.threads"
}

# collectd's filecount plugin: one read, timed from start to the first value
# its csv writer stores.
collectd_bin=$(command -v collectd || echo /usr/sbin/collectd)
collectd_run() {
	local t0 t1 f=
	rm -rf "$tmp/cd"; mkdir -p "$tmp/cd/csv"
	cat > "$tmp/cd/collectd.conf" <<-CONF
	Hostname "bench"
	FQDNLookup false
	BaseDir "$tmp/cd"
	PIDFile "$tmp/cd/collectd.pid"
	PluginDir "/usr/lib/collectd"
	TypesDB "/usr/share/collectd/types.db"
	Interval 3600
	LoadPlugin filecount
	LoadPlugin csv
	<Plugin filecount>
	  <Directory "$TREE">
	    Instance "tree"
	    Recursive true
	  </Directory>
	</Plugin>
	<Plugin csv>
	  DataDir "$tmp/cd/csv"
	</Plugin>
	CONF
	t0=$(now)
	"$collectd_bin" -f -C "$tmp/cd/collectd.conf" > "$tmp/cd/log" 2>&1 &
	collectd_pid=$!
	while :; do
		f=$(find "$tmp/cd/csv" -type f -name 'files-*' 2>/dev/null | head -n1)
		[ -n "$f" ] && grep -q '^[0-9]' "$f" && break
		kill -0 "$collectd_pid" 2>/dev/null || { cat "$tmp/cd/log" >&2; exit 1; }
		sleep 0.005
	done
	t1=$(now)
	echo "$(echo "$t1 - $t0" | bc -l) -" >> "$tmp/collectd.sec"
	awk '/VmHWM/ {print $2}' "/proc/$collectd_pid/status" >> "$tmp/collectd.rss"
	grep '^[0-9]' "$f" | head -n1 | cut -d, -f2 | cut -d. -f1 > "$tmp/collectd.count"
	kill "$collectd_pid"; wait "$collectd_pid" 2>/dev/null || true
	collectd_pid=
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for ((round = 1; round <= RUNS; round++)); do
	echo "bench-scan: round $round of $RUNS"
	plain du du -s "$TREE"
	plain find bash -c 'find "$1" -type f | wc -l' _ "$TREE"
	[ -x "$collectd_bin" ] && collectd_run
	ours full full
	ours full1 full -t 1
	ours incr incremental -i 5
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
for name in du find collectd full full1 incr; do
	[ -s "$tmp/$name.sec" ] || continue
	SEC[$name]=$(sort -g "$tmp/$name.sec" | head -n1 | cut -d' ' -f1)
	CPU[$name]=$(sort -g "$tmp/$name.sec" | head -n1 | cut -d' ' -f2)
	RSS[$name]=$(sort -g "$tmp/$name.rss" | tail -n1)
	COUNT[$name]=$(cat "$tmp/$name.count")
done
COUNT[du]="(KB)"
# The rescan's process also ran the full scan that filled its cache.
CPU[incr]=-
# Each round's du time over its full-scan time: a paired comparison, so the
# median says how often the target holds, not only in the best round.
paste -d' ' <(cut -d' ' -f1 "$tmp/du.sec") <(cut -d' ' -f1 "$tmp/full.sec") |
	awk '{printf "%.4f\n", $1 / $2}' | sort -g > "$tmp/ratios"
median_ratio=$(awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}' "$tmp/ratios")
threads=$(cat "$tmp/full.threads")

cpus=$(nproc)
echo
echo "scan benchmark: $FILES files in $dirs directories (year/month/day/case), warm cache,"
echo "best of $RUNS interleaved rounds, $cpus CPUs ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n1)),"
echo "$(uname -sr), $(findmnt -n -o FSTYPE -T "$TREE") at $TREE"
echo "load average before: $load_before, after: $load_after"
printf '%-40s %10s %10s %8s %12s %10s\n' tool seconds 'vs du -s' 'CPU s' 'peak RSS MB' files
row() {
	local name=$1 label=$2
	[ -n "${SEC[$name]:-}" ] || { printf '%-40s %10s\n' "$label" "not run (collectd-core missing: make deps)"; return; }
	printf '%-40s %10.4f %9.1fx %8s %12.1f %10s\n' "$label" "${SEC[$name]}" \
		"$(echo "${SEC[du]} / ${SEC[$name]}" | bc -l)" "${CPU[$name]}" \
		"$(echo "${RSS[$name]} / 1024" | bc -l)" "${COUNT[$name]}"
}
row du "du -s"
row find "find -type f | wc -l"
row collectd "collectd filecount (to 1st value)"
row full "shrinkwatch full scan ($threads threads)"
row full1 "shrinkwatch full scan (1 thread)"
row incr "shrinkwatch incremental rescan"
echo
target() { # label, value, op, limit
	if [ "$(echo "$2 $3 $4" | bc -l)" = 1 ]; then r=met; else r=MISSED; fi
	printf 'target %-48s %8.1f (%s %s): %s\n' "$1" "$2" "$3" "$4" "$r"
}
target "full scan speed-up over du -s" "$(echo "${SEC[du]} / ${SEC[full]}" | bc -l)" '>=' 2
target "full scan speed-up, median of paired rounds" "$median_ratio" '>=' 2
echo "per-round speed-ups over du -s: $(tr '\n' ' ' < "$tmp/ratios")"
# The least CPU each needed in any round: the work per file, least disturbed
# by other processes sharing the caches.
cpu_min() { cut -d' ' -f2 "$tmp/$1.sec" | sort -g | head -n1; }
echo "least CPU seconds, du -s / one walker thread: $(cpu_min du) / $(cpu_min full1) =" \
	"$(echo "$(cpu_min du) / $(cpu_min full1)" | bc -l | xargs printf '%.2f')" \
	"(work per file; the 2x rests on the second thread)"
target "incremental rescan speed-up over du -s" "$(echo "${SEC[du]} / ${SEC[incr]}" | bc -l)" '>=' 50
target "full scan peak RSS (MB)" "$(echo "${RSS[full]} / 1024" | bc -l)" '<=' 16
target "incremental scanner peak RSS (MB)" "$(echo "${RSS[incr]} / 1024" | bc -l)" '<=' 16
