#!/usr/bin/env bash
# bench/manifest.sh - what the exact accounts (issue 12) cost, side by side
# with today's scan and du -s, on a generated evidence-shaped tree made in a
# scratch directory (the benchmark deletes files from it) and removed after:
# manifest size on disk, agent peak RSS, unchanged rescan against du -s,
# rescan after 10,000 deletions in 500 directories against the unchanged
# rescan, first full scan with the manifest against without, and the
# agent's side of a 100,000-item inventory.  Called by `make bench-manifest`
# with BUILD and MANIFEST_FILES set.
set -euo pipefail
: "${BUILD:?}"
FILES=${MANIFEST_FILES:-1000000}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-manifest.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "bench-manifest: generating $FILES files in $tmp/tree"
t0=$(date +%s)
"$BUILD/bench/gentree" "$tmp/tree" "$FILES" >/dev/null
echo "bench-manifest: generated in $(( $(date +%s) - t0 )) s; load average $(cut -d' ' -f1-3 /proc/loadavg)"
sleep 3
find "$tmp/tree" >/dev/null # warm, as every run below is
best_du=
for i in 1 2 3; do
	s=$(date +%s.%N); du -s "$tmp/tree" >/dev/null; e=$(date +%s.%N)
	d=$(echo "$e - $s" | bc)
	if [ -z "$best_du" ] || [ "$(echo "$d < $best_du" | bc)" = 1 ]; then best_du=$d; fi
done
mkdir -p "$tmp/state"
"$BUILD/bench/manifestbench" -I "$tmp/tree" "$tmp/state" | tee "$tmp/out"
get() { awk -v k="$1" '$1 == k { print $2 }' "$tmp/out"; }
plain=$(get full_scan_plain_s); withm=$(get full_scan_manifest_s)
unch=$(get unchanged_rescan_s); after=$(get rescan_after_deletions_s)
mbytes=$(get manifest_bytes); rss=$(get peak_rss_kb)
echo "du_s $best_du"
echo "--- figures (targets from issue 12)"
printf 'manifest on disk:          %.1f MB (%.1f bytes/file; target <= 80 MB at 1,000,000)\n' \
	"$(echo "$mbytes / 1000000" | bc -l)" "$(echo "$mbytes / $FILES" | bc -l)"
printf 'agent peak RSS:            %.1f MB (target <= 32 MB)\n' "$(echo "$rss / 1024" | bc -l)"
printf 'du -s / unchanged rescan:  %.0fx (du %.3f s, rescan %.4f s; target >= 50x)\n' \
	"$(echo "$best_du / $unch" | bc -l)" "$best_du" "$unch"
plainafter=$(get rescan_after_deletions_plain_s)
printf 'rescan after 10,000 deletions / unchanged: %.1fx (%.4f s; target <= 3x)\n' \
	"$(echo "$after / $unch" | bc -l)" "$after"
printf '  the same rescan without the manifest (today): %.4f s; with / without: %.2fx\n' \
	"$plainafter" "$(echo "$after / $plainafter" | bc -l)"
printf 'first full scan with manifest / without: %.2fx (%.3f s vs %.3f s; target <= 1.5x)\n' \
	"$(echo "$withm / $plain" | bc -l)" "$withm" "$plain"
printf 'inventory of %s items, agent side: %s s\n' "$(get deleted_for_inventory)" "$(get inventory_s)"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
