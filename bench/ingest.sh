#!/usr/bin/env bash
# ingest.sh - collector throughput, side by side with collectd (make bench-ingest).
#
# One load for every run: AGENTS agents x STORES stores x ROUNDS samples per
# store at a step of INTERVAL seconds (bench/loadgen.h), on 127.0.0.1:
#   - shrinkwatch-collector fed by bench/loadgen over the real protocol, with
#     direct librrd writes and through rrdcached, rrd_sync yes and no: samples
#     per second stored and acknowledged, ack latency, peak RSS, and after the
#     run every RRD row and every agent.seq checked (zero loss);
#   - librrd alone writing the same samples into the same files (the ceiling);
#   - an overload run: agents that ignore the protocol's window of 4 frames
#     and push 64, to show that the collector's memory stays bounded;
#   - collectd (network plugin receiving, rrdtool or rrdcached plugin writing)
#     fed the same samples as collectd value lists over UDP, offered at the
#     rate shrinkwatch sustained durably: samples per second stored (until
#     collectd went idle) and what was lost (RRD rows counted the same way).
#   - the same over mutual TLS (*-tls rows): one certificate per agent, issued
#     with shrinkwatchctl pki before the run (not timed in samples/s; the
#     issuing time is printed), as the collector checks each agent's name.
# SCENARIO=estate runs only the large-estate rows (durable over TLS, and the
# overload run over TLS with every frame of every agent sent at once), for
# AGENTS=2000 (make bench-ingest-estate).
# Needs: $BUILD with shrinkwatch-collector, shrinkwatchctl and bench/loadgen,
# rrdcached, collectd (collectd-core), python3.  Scratch space under BENCH_DIR.
set -euo pipefail
: "${BUILD:?}" "${AGENTS:=200}" "${STORES:=5}" "${ROUNDS:=1000}" "${INTERVAL:=300}"
: "${BENCH_DIR:=/var/tmp}" "${PER_FRAME:=100}" "${SCENARIO:=full}"
LG="$BUILD/bench/loadgen"
HERE=$(cd "$(dirname "$0")" && pwd)
for c in rrdcached collectd python3; do
	command -v "$c" >/dev/null || { echo "bench-ingest: $c is missing (make deps)" >&2; exit 1; }
done
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

W=$(mktemp -d "$(cd "$BENCH_DIR" && pwd)/swbench.XXXXXX") # absolute: it goes into configs
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$W"
}
trap cleanup EXIT INT TERM

free_port() { # tcp|udp
	python3 -c 'import socket,sys; t=socket.SOCK_STREAM if sys.argv[1]=="tcp" else socket.SOCK_DGRAM
s=socket.socket(socket.AF_INET,t); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' "$1"
}
hwm_kb() { awk '/VmHWM/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
kv() { sed -n "s/^$2=//p" "$1" | tail -n 1; } # FILE KEY
stop_pid() { kill -TERM "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
udp_drops() { awk '/^Udp:/ { if (!h) { for (i = 1; i <= NF; i++) c[$i] = i; h = 1 } else print $c["RcvbufErrors"] }' /proc/net/snmp; }

start_rrdcached() { # DIR: rrdcached with a journal, files written only on FLUSH or at exit
	mkdir -p "$1/journal"
	rrdcached -g -l "unix:$1/rrdcached.sock" -p "$1/rrdcached.pid" -j "$1/journal" -F \
		-w 3600 -z 1800 -f 7200 -t 4 -b "$1/data" -B >"$1/rrdcached.log" 2>&1 &
	RC_PID=$!
	PIDS+=("$RC_PID")
	for _ in $(seq 50); do [ -S "$1/rrdcached.sock" ] && return 0; sleep 0.1; done
	echo "bench-ingest: rrdcached did not start" >&2
	exit 1
}

declare -A RATE P50 P99 LOST RSS NOTE
ROWS=()

# Disk: every RRD file is preallocated (about 3.9 MB at a 300 s step), and the
# collector keeps two per store: the samples (data_dir/rrd, 7 sources) and the
# detector's figures (data_dir/detect, collector/store/rrddetect.h: the same
# archives for 10 sources, so 10/7 the size).  A run needs them for every
# store at once; refuse rather than fill the disk other people share.  Each
# run's files are removed before the next starts.
need_disk() { # DIR: files of one run, + 10 GB to spare
	local per avail
	mkdir -p "$1/sz"
	"$LG" librrd --data-dir "$1/sz" --agents 1 --stores 1 --rounds 2 --interval "$INTERVAL" \
		--per-frame 1 --threads 1 >/dev/null
	per=$(find "$1/sz" -name '*.rrd' -printf '%s\n' | head -n 1)
	per=$((per * 17 / 7)) # + the detector's file
	rm -rf "$1/sz"
	avail=$(($(df -Pk "$1" | awk 'NR == 2 {print $4}') * 1024))
	NEED_GB=$(((per * AGENTS * STORES) >> 30))
	if [ $((per * AGENTS * STORES + (10 << 30))) -gt "$avail" ]; then
		echo "bench-ingest: $AGENTS x $STORES stores of $per bytes (two RRD files each) need $NEED_GB GB (+10 GB spare) in $1; $((avail >> 30)) GB free" >&2
		exit 1
	fi
}
need_disk "$W"

# One CA, the collector's certificate for 127.0.0.1, one per agent (issued two
# at a time with shrinkwatchctl pki; reused by every TLS row).
PKI="$W/pki"
make_pki() {
	local t0 t1
	[ -f "$PKI/ca.crt" ] && return 0
	mkdir -p "$PKI"
	"$BUILD/shrinkwatchctl" pki init "$PKI" >/dev/null
	"$BUILD/shrinkwatchctl" pki issue 127.0.0.1 --server --dir "$PKI" >/dev/null
	t0=$(date +%s.%N)
	for ((i = 0; i < AGENTS; i++)); do printf 'lg%05u\n' "$i"; done |
		xargs -P 2 -n 64 sh -c 'd=$1; shift; for n; do "$0" pki issue "$n" --dir "$d" >/dev/null || exit 255; done' \
			"$BUILD/shrinkwatchctl" "$PKI"
	t1=$(date +%s.%N)
	PKI_S=$(python3 -c "print('%.1f' % ($t1 - $t0))")
	echo "bench-ingest: $AGENTS agent certificates issued in $PKI_S s" >&2
}
PKI_S=""

# run_sw NAME SYNC DAEMON(yes|no) WINDOW [PER_FRAME] [TLS(yes|no)]
run_sw() {
	local name=$1 sync=$2 daemon=$3 window=$4 per_frame=${5:-$PER_FRAME} tls=${6:-no} d port pid rss rc_rss=0 extra="" t0
	local lgtls=()
	d="$W/$name"
	mkdir -p "$d/data"
	port=$(free_port tcp)
	if [ "$daemon" = yes ]; then
		start_rrdcached "$d"
		extra="rrdcached = unix:$d/rrdcached.sock"
	fi
	if [ "$tls" = yes ]; then
		make_pki
		extra="$extra
tls_ca = $PKI/ca.crt
tls_cert = $PKI/127.0.0.1.crt
tls_key = $PKI/127.0.0.1.key"
		lgtls=(--tls "$PKI")
	else
		extra="$extra
insecure = yes" # plaintext: loopback only
	fi
	# every agent comes from 127.0.0.1; the dashboard on a free port
	printf '[collector]\nlisten = 127.0.0.1:%s\ndata_dir = %s/data\nrrd_sync = %s\nmax_connections_per_address = %s\nhttp = 127.0.0.1:%s\n%s\n' \
		"$port" "$d" "$sync" $((AGENTS + 16)) "$(free_port tcp)" "$extra" >"$d/collector.conf"
	"$BUILD/shrinkwatch-collector" -c "$d/collector.conf" >"$d/collector.log" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	for _ in $(seq 50); do grep -q "listening on" "$d/collector.log" 2>/dev/null && break; sleep 0.1; done
	echo "bench-ingest: $name ..." >&2
	if ! "$LG" sw "${lgtls[@]}" --port "$port" --agents "$AGENTS" --stores "$STORES" --rounds "$ROUNDS" \
		--interval "$INTERVAL" --per-frame "$per_frame" --window "$window" >"$d/lg.out" 2>"$d/lg.err"; then
		{ cat "$d/lg.err"; grep -v "connected from" "$d/collector.log" | tail -n 20; } >&2
		exit 1
	fi
	rss=$(hwm_kb "$pid")
	[ "$daemon" = yes ] && rc_rss=$(hwm_kb "$RC_PID")
	stop_pid "$pid"
	[ "$daemon" = yes ] && stop_pid "$RC_PID" # -F: every update in the files
	t0=$(kv "$d/lg.out" t0)
	"$LG" verify-sw --t0 "$t0" --data-dir "$d/data" --agents "$AGENTS" --stores "$STORES" \
		--rounds "$ROUNDS" --interval "$INTERVAL" >"$d/verify.out" 2>"$d/verify.err" || true
	RATE[$name]=$(kv "$d/lg.out" rate)
	P50[$name]=$(kv "$d/lg.out" lat_p50_ms)
	P99[$name]=$(kv "$d/lg.out" lat_p99_ms)
	LOST[$name]=$(kv "$d/verify.out" lost)
	[ "$(kv "$d/verify.out" agent_seq_wrong)" = 0 ] || LOST[$name]="${LOST[$name]} (agent.seq wrong!)"
	RSS[$name]=$((rss / 1024))
	NOTE[$name]="$((per_frame * STORES)) samples/frame, $window in flight"
	[ "$tls" = yes ] && NOTE[$name]="${NOTE[$name]}, TLS 1.3 (connect+handshake+create $(kv "$d/lg.out" warmup_s) s)"
	[ "$daemon" = yes ] && NOTE[$name]="${NOTE[$name]}; + rrdcached $((rc_rss / 1024)) MB"
	ROWS+=("$name")
	rm -rf "$d"
}

# run_librrd NAME: the ceiling, librrd alone on two threads (no network, no sync)
run_librrd() {
	local name=$1 d
	d="$W/$name"
	mkdir -p "$d"
	echo "bench-ingest: $name ..." >&2
	"$LG" librrd --data-dir "$d" --agents "$AGENTS" --stores "$STORES" --rounds "$ROUNDS" \
		--interval "$INTERVAL" --per-frame "$PER_FRAME" --threads 2 >"$d/lg.out"
	RATE[$name]=$(kv "$d/lg.out" rate)
	P50[$name]="-"
	P99[$name]="-"
	LOST[$name]="-"
	RSS[$name]="-"
	NOTE[$name]="rrd_updatex_r, $PER_FRAME updates per call, 2 threads, no collector"
	ROWS+=("$name")
	rm -rf "$d"
}

# run_cd NAME PLUGIN(rrdtool|rrdcached) RATE
run_cd() {
	local name=$1 plugin=$2 rate=$3 d port pid rows t0 t1 prev cur drops0 drops1 rss
	d="$W/$name"
	mkdir -p "$d/data"
	port=$(free_port udp)
	rows=$((ROUNDS > 1200 ? ROUNDS : 1200))
	[ "$plugin" = rrdcached ] && start_rrdcached "$d"
	{
		printf 'Hostname "bench"\nFQDNLookup false\nBaseDir "%s"\nPIDFile "%s/collectd.pid"\n' "$d" "$d"
		printf 'PluginDir "/usr/lib/collectd"\nInterval %s\n' "$INTERVAL"
		printf 'TypesDB "/usr/share/collectd/types.db" "%s/collectd-types.db"\n' "$HERE"
		printf 'LoadPlugin network\nLoadPlugin %s\n' "$plugin"
		printf '<Plugin network>\n  Listen "127.0.0.1" "%s"\n</Plugin>\n' "$port"
		printf '<Plugin %s>\n  DataDir "%s/data"\n  StepSize %s\n  HeartBeat %s\n  RRARows %s\n' \
			"$plugin" "$d" "$INTERVAL" $((2 * INTERVAL)) "$rows"
		if [ "$plugin" = rrdtool ]; then
			# as many values per file and rrd_update call as shrinkwatch gets
			printf '  CacheTimeout %s\n  CacheFlush %s\n' $((PER_FRAME * INTERVAL)) \
				$((2 * PER_FRAME * INTERVAL))
		else
			printf '  DaemonAddress "unix:%s/rrdcached.sock"\n  CreateFiles true\n' "$d"
		fi
		printf '</Plugin>\n'
	} >"$d/collectd.conf"
	collectd -f -C "$d/collectd.conf" >"$d/collectd.log" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	sleep 1
	echo "bench-ingest: $name (offered $rate samples/s) ..." >&2
	drops0=$(udp_drops)
	t0=$(date +%s.%N)
	"$LG" collectd --port "$port" --agents "$AGENTS" --stores "$STORES" --rounds "$ROUNDS" \
		--interval "$INTERVAL" --rate "$rate" >"$d/lg.out"
	# stored = collectd idle again (its queues drained into RRD / rrdcached)
	prev=-100
	while :; do
		cur=$(awk '{print $14 + $15}' "/proc/$pid/stat")
		[ $((cur - prev)) -lt 3 ] && break
		prev=$cur
		sleep 1
	done
	t1=$(date +%s.%N)
	drops1=$(udp_drops)
	rss=$(hwm_kb "$pid")
	stop_pid "$pid" # the rrdtool plugin writes what it still caches
	[ "$plugin" = rrdcached ] && stop_pid "$RC_PID"
	"$LG" verify-collectd --t0 "$(kv "$d/lg.out" t0)" --data-dir "$d/data" --agents "$AGENTS" --stores "$STORES" \
		--rounds "$ROUNDS" --interval "$INTERVAL" >"$d/verify.out" 2>"$d/verify.err" || true
	local stored
	stored=$(kv "$d/verify.out" stored)
	RATE[$name]=$(python3 -c "print(round($stored / ($t1 - $t0 - 1)))")
	P50[$name]="-"
	P99[$name]="-"
	LOST[$name]="$(kv "$d/verify.out" lost)"
	RSS[$name]=$((rss / 1024))
	NOTE[$name]="offered $rate/s; UDP drops $(((drops1 - drops0)))pkts"
	ROWS+=("$name")
	rm -rf "$d"
}

total=$((AGENTS * STORES * ROUNDS))
if [ "$SCENARIO" = estate ]; then
	run_sw "sw-librrd-sync-tls" yes no 4 "$PER_FRAME" yes
	# overload: 60-sample frames, so every agent can have all of its frames
	# (ROUNDS / 12 of them) in flight at once, far past the collector's limits
	run_sw "sw-overload-w64-tls" yes no 64 12 yes
else
	run_librrd "librrd-alone-nosync"
	run_sw "sw-librrd-sync" yes no 4
	run_sw "sw-librrd-sync-tls" yes no 4 "$PER_FRAME" yes
	run_sw "sw-librrd-sync-small" yes no 4 12
	run_sw "sw-librrd-nosync" no no 4
	run_sw "sw-librrd-nosync-tls" no no 4 "$PER_FRAME" yes
	run_sw "sw-rrdcached-sync" yes yes 4
	run_sw "sw-rrdcached-nosync" no yes 4
	run_sw "sw-overload-w64" yes no 64
	offer=${RATE[sw-librrd-sync]}
	run_cd "collectd-rrdtool" rrdtool "$offer"
	run_cd "collectd-rrdcached" rrdcached "$offer"
fi

ratio() { python3 -c "a, b = float('$1'), float('$2'); print('%.1fx' % (a / b) if b > 0 else '-')"; }
declare -A VS=(
	[sw-librrd-sync]=collectd-rrdtool [sw-librrd-nosync]=collectd-rrdtool
	[sw-librrd-sync-small]=collectd-rrdtool
	[sw-overload-w64]=collectd-rrdtool
	[sw-librrd-sync-tls]=collectd-rrdtool [sw-librrd-nosync-tls]=collectd-rrdtool
	[sw-rrdcached-sync]=collectd-rrdcached [sw-rrdcached-nosync]=collectd-rrdcached
)
echo
echo "Collector throughput: $AGENTS agents x $STORES stores x $ROUNDS samples = $total samples"
echo "(step $INTERVAL s; agents catching up send $PER_FRAME samples per store per frame, as the"
echo "agent's 512-sample frames do), 127.0.0.1, $(nproc) cores, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "samples/s = stored and acknowledged (shrinkwatch; after each agent's first frame)"
echo "            or stored by the time collectd was idle (collectd); lost = RRD rows missing"
printf '%-22s %11s %9s %9s %9s %10s %8s  %s\n' setup samples/s "vs cd" "p50 ms" "p99 ms" lost "RSS MB" note
for r in "${ROWS[@]}"; do
	vs="-"
	[ -n "${VS[$r]:-}" ] && [ -n "${RATE[${VS[$r]}]:-}" ] && vs=$(ratio "${RATE[$r]}" "${RATE[${VS[$r]}]}")
	printf '%-22s %11s %9s %9s %9s %10s %8s  %s\n' "$r" "${RATE[$r]}" "$vs" "${P50[$r]}" \
		"${P99[$r]}" "${LOST[$r]}" "${RSS[$r]}" "${NOTE[$r]:-}"
done
[ -n "$PKI_S" ] && echo "TLS rows: $AGENTS agent certificates issued with shrinkwatchctl pki in $PKI_S s (2 at a time)"
echo "disk: $NEED_GB GB of RRD files per run (store + detector file per store; removed after each)"
echo "sync = rrd_sync yes: acknowledged only after syncfs (librrd) or FLUSH + syncfs (rrdcached)"
echo "vs cd = samples/s over collectd's with the same writer (rrdtool / rrdcached plugin)"
