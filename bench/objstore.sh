#!/usr/bin/env bash
# objstore.sh - `make bench-objstore`: the agent listing an S3 bucket of
# BENCH_OBJECTS objects on a local s3rver, against `rclone size` on the same
# bucket: wall time, objects per second, and the agent's peak RSS (it must
# stay under 32 MB whatever the bucket holds: a listing keeps one page, not
# the bucket).  The bucket is filled once and kept in $BENCH_DIR/s3-N.
set -euo pipefail
: "${BUILD:?}" "${BENCH_DIR:?}"
N=${BENCH_OBJECTS:-100000}
RUNS=${BENCH_RUNS:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/tests/integration/lib.sh"
. "$here/tests/integration/objstore_servers.sh"
command -v rclone >/dev/null || fail "rclone is missing (make deps installs it)"
npm_servers_install

data=$BENCH_DIR/s3-$N
mkdir -p "$data"
ln -s "$data" "$T/s3data" # s3rver_start keeps its data in $T/s3data: here, the kept bucket
s3port=$(free_port)
EP=http://127.0.0.1:$s3port
s3rver_start "$s3port" footage
if [ ! -f "$data/.filled" ]; then
	echo "bench-objstore: filling bucket with $N objects of 1 KB (once; kept in $data)"
	per=$(( (N + 3) / 4 )) uploaders=()
	for p in 0 1 2 3; do
		first=$((p * per)); cnt=$(( first + per > N ? N - first : per ))
		$PUT s3 "$EP" footage S3RVER S3RVER put "p$p/" "$cnt" 1024 &
		uploaders+=($!)
	done
	for u in "${uploaders[@]}"; do wait "$u" || fail "an upload failed"; done
	touch "$data/.filled"
fi

printf '[default]\naws_access_key_id = S3RVER\naws_secret_access_key = S3RVER\n' >"$T/s3.cred"
chmod 600 "$T/s3.cred"
mkdir -p "$T/state"
cat >"$T/agent.conf" <<CONF
[agent]
name = bench
state_dir = $T/state
[collector]
address = 127.0.0.1:9
insecure = yes
[store footage]
type = s3
endpoint = $EP
bucket = footage
credentials = $T/s3.cred
requests_per_second = 10000
CONF
export RCLONE_CONFIG_B_TYPE=s3 RCLONE_CONFIG_B_PROVIDER=Other RCLONE_CONFIG_B_ENDPOINT=$EP \
	RCLONE_CONFIG_B_ACCESS_KEY_ID=S3RVER RCLONE_CONFIG_B_SECRET_ACCESS_KEY=S3RVER \
	RCLONE_CONFIG_B_FORCE_PATH_STYLE=true RCLONE_CONFIG_B_LIST_VERSION=2

# timed TOOL-NAME COMMAND...: runs it, keeps "wall cpu rss_kb" of the best
# (least wall time) run in best_<name>
timed() {
	local name=$1; shift
	/usr/bin/time -f "%e %U %S %M" -o "$T/time" "$@" >"$T/out" 2>"$T/err" ||
		fail "$name failed: $(tail -n 5 "$T/err")"
	read -r wall usr sys rss <"$T/time"
	cpu=$(echo "$usr + $sys" | bc -l)
	echo "  $name: ${wall}s wall, ${cpu}s CPU, RSS $((rss / 1024)) MB"
	local var=best_$name
	if [ -z "${!var:-}" ] || awk "BEGIN{exit !($wall < ${!var%% *})}"; then
		printf -v "$var" '%s %s %s' "$wall" "$cpu" "$rss"
	fi
	[ "$name" != agent ] || [ "$rss" -le "${rss_max:-0}" ] || rss_max=$rss
}
# (a site-wide AWS_CA_BUNDLE breaks rclone 1.60 on plain http; the bench is local)
export AWS_CA_BUNDLE=
for r in $(seq "$RUNS"); do
	echo "run $r:"
	timed agent "$BUILD/shrinkwatch-agent" -c "$T/agent.conf" --once
	grep -q "\"status\":\"complete\",\"objects\":$N," "$T/out" ||
		fail "the agent did not count $N objects: $(cat "$T/out" "$T/err")"
	requests=$(grep -o "in [0-9]* requests" "$T/err" | tail -n 1)
	timed rclone rclone size B:footage --json
	grep -q "\"count\":$N," "$T/out" || fail "rclone counted: $(cat "$T/out")"
	timed rclone_fast rclone size --fast-list B:footage --json
	grep -q "\"count\":$N," "$T/out" || fail "rclone --fast-list counted: $(cat "$T/out")"
done
printf '\nbench-objstore: %d objects on s3rver, best of %d runs\n' "$N" "$RUNS"
printf '%-32s %9s %12s %9s %9s %10s\n' tool "wall s" objects/s "CPU s" "RSS MB" "wall ratio"
row() { # LABEL "wall cpu rss"
	set -- "$1" $2
	printf '%-32s %9s %12.0f %9.2f %9d %10.2f\n' "$1" "$2" "$(echo "$N / $2" | bc -l)" "$3" \
		$(($4 / 1024)) "$(echo "$2 / ${best_agent%% *}" | bc -l)"
}
row "shrinkwatch-agent --once" "$best_agent"
row "rclone size" "$best_rclone"
row "rclone size --fast-list" "$best_rclone_fast"
echo "agent listing: $requests; agent peak RSS over all runs: $((rss_max / 1024)) MB"
[ "$rss_max" -le $((32 * 1024)) ] || fail "agent peak RSS $((rss_max / 1024)) MB is over 32 MB"
echo "bench-objstore: agent RSS within 32 MB"
