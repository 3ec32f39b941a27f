#!/usr/bin/env bash
# bench/digests.sh - what the copy digests (issue 13) cost, against what a
# user would otherwise do to compare two trees (`find | sort | sha256sum` on
# each), on a generated evidence-shaped tree in a scratch directory removed
# afterwards: the digests' build from the manifest, the agent's peak RSS,
# and the bytes a collector's first look takes on the wire (the root's own
# digest and its one-level listing).  Called by `make bench-digests` with
# BUILD and DIGEST_FILES set.
set -euo pipefail
: "${BUILD:?}"
FILES=${DIGEST_FILES:-1000000}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-digests.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "bench-digests: generating $FILES files in $tmp/tree"
"$BUILD/bench/gentree" "$tmp/tree" "$FILES" >/dev/null
echo "bench-digests: load average $(cut -d' ' -f1-3 /proc/loadavg)"
find "$tmp/tree" >/dev/null # warm, as every run below is
mkdir -p "$tmp/state"
"$BUILD/bench/digestbench" "$tmp/tree" "$tmp/state" | tee "$tmp/out"
get() { awk -v k="$1" '$1 == k { print $2 }' "$tmp/out"; }
s=$(date +%s.%N)
( cd "$tmp/tree" && find . -printf '%p %s\n' | LC_ALL=C sort | sha256sum >/dev/null )
e=$(date +%s.%N)
base=$(echo "$e - $s" | bc)
listing=$(cd "$tmp/tree" && find . -printf '%p %s\n' | wc -c)
build=$(get digest_build_s)
echo "find_sort_sha256sum_s $base"
echo "--- figures"
printf 'digests built from the manifest: %.3f s for %s files in %s directories\n' "$build" \
	"$(get files)" "$(get dirs_with_files)"
printf 'find | sort | sha256sum (names and sizes): %.3f s; digests / find: %.2fx\n' "$base" \
	"$(echo "$build / $base" | bc -l)"
printf 'peak RSS: %.1f MB after the scan, %.1f MB after the digests\n' \
	"$(echo "$(get peak_rss_after_scan_kb) / 1024" | bc -l)" \
	"$(echo "$(get peak_rss_after_digests_kb) / 1024" | bc -l)"
printf 'on the wire: root SELF %s bytes + root listing %s bytes (a full listing: %s bytes)\n' \
	"$(get wire_root_self_bytes)" "$(get wire_root_listing_bytes)" "$listing"
# content hashing: 128 MB in 32 files, the agent's way against sha256sum
mkdir -p "$tmp/blobs"
for i in $(seq 32); do head -c $((4 << 20)) /dev/urandom >"$tmp/blobs/clip$i.mp4"; done
cat "$tmp/blobs"/* >/dev/null # warm
s=$(date +%s.%N); sha256sum "$tmp/blobs"/* >/dev/null; e=$(date +%s.%N)
sha=$(echo "$e - $s" | bc)
"$BUILD/bench/hashbench" $((100 << 30)) "$tmp/blobs"/* >"$tmp/hu"
"$BUILD/bench/hashbench" $((20 << 20)) "$tmp/blobs"/* >"$tmp/hc"
hget() { awk -v k="$2" '$1 == k { print $2 }' "$1"; }
printf 'content hashing of 128 MB: sha256sum %.3f s; agent uncapped %.3f s (%.0f MB/s, %.2fx sha256sum); at the 20M cap %.3f s (%.1f MB/s)\n' \
	"$sha" "$(hget "$tmp/hu" hash_s)" "$(hget "$tmp/hu" hash_mb_s)" \
	"$(echo "$(hget "$tmp/hu" hash_s) / $sha" | bc -l)" "$(hget "$tmp/hc" hash_s)" \
	"$(hget "$tmp/hc" hash_mb_s)"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
