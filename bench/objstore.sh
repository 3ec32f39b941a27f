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

best_agent=""; best_rclone=""; rss_max=0
for r in $(seq "$RUNS"); do
	/usr/bin/time -f "%e %M" -o "$T/time" "$BUILD/shrinkwatch-agent" -c "$T/agent.conf" --once \
		>"$T/once.json" 2>"$T/once.err"
	read -r secs rss <"$T/time"
	grep -q "\"status\":\"complete\",\"objects\":$N," "$T/once.json" ||
		fail "the agent did not count $N objects: $(cat "$T/once.json" "$T/once.err")"
	[ "$rss" -gt "$rss_max" ] && rss_max=$rss
	[ -z "$best_agent" ] || awk "BEGIN{exit !($secs < $best_agent)}" && best_agent=$secs
	# (a site-wide AWS_CA_BUNDLE breaks rclone 1.60 on plain http; the bench is local)
	AWS_CA_BUNDLE= /usr/bin/time -f "%e %M" -o "$T/rtime" rclone size B:footage --json >"$T/rclone.json" 2>"$T/rclone.err"
	read -r rsecs rrss <"$T/rtime"
	grep -q "\"count\":$N," "$T/rclone.json" || fail "rclone counted: $(cat "$T/rclone.json" "$T/rclone.err")"
	[ -z "$best_rclone" ] || awk "BEGIN{exit !($rsecs < $best_rclone)}" && best_rclone=$rsecs
	echo "run $r: agent ${secs}s (RSS $((rss / 1024)) MB), rclone size ${rsecs}s (RSS $((rrss / 1024)) MB)"
done
requests=$(grep -o "in [0-9]* requests" "$T/once.err" | tail -n 1)
printf '\nbench-objstore: %d objects on s3rver (best of %d runs)\n' "$N" "$RUNS"
printf '%-22s %10s %14s %12s\n' tool seconds objects/s "peak RSS"
printf '%-22s %10s %14.0f %9d MB\n' "shrinkwatch-agent" "$best_agent" "$(echo "$N / $best_agent" | bc -l)" $((rss_max / 1024))
printf '%-22s %10s %14.0f %9d MB\n' "rclone size" "$best_rclone" "$(echo "$N / $best_rclone" | bc -l)" $((rrss / 1024))
printf 'agent / rclone time ratio: %.2f; agent listing: %s\n' "$(echo "$best_agent / $best_rclone" | bc -l)" "$requests"
[ "$rss_max" -le $((32 * 1024)) ] || fail "agent peak RSS $((rss_max / 1024)) MB is over 32 MB"
echo "bench-objstore: agent RSS within 32 MB"
