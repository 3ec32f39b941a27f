#!/usr/bin/env bash
# test_browser.sh - a real browser on the dashboard: headless Debian Chromium
# opens the overview and a store page from a collector on 127.0.0.1 (seeded
# RRD history and alert ledger, as test_dashboard.sh), saves screenshots in
# the test's temporary directory, and checks that the stores, the alert and
# every graph image are there and loaded (naturalWidth > 0: no broken image).
# SHRINKWATCH_KEEP_SCREENSHOTS=DIR copies the screenshots there to look at.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../integration/lib.sh"
. "$here/../integration/dashboard_seed.sh"
root=$(cd "$here/../.." && pwd)
command -v chromium >/dev/null || fail "chromium is not installed (make deps)"
command -v node >/dev/null || fail "node is not installed (make deps)"

port=$(free_port)
hport=$(free_port)
mkdir -p "$T/data" "$T/profile" "$T/shots"
seed_archive_rrd "$T/data"
seed_ledger "$T/data" "$(date +%s)"
collector_conf "$T/collector.conf" "$port" "$T/data" \
	"http = 127.0.0.1:$hport
dashboards = $root/dashboards"
start collector "$BUILD/shrinkwatch-collector" -c "$T/collector.conf"
wait_for 10 "dashboard listening" grep -q "http: dashboard on" "$T/collector.log"

U="http://127.0.0.1:$hport"
node "$here/pages.mjs" "$(command -v chromium)" "$T/profile" "$T/shots" \
	"$U/" "$U/store/vault01/archive" "$U/alert/1" >"$T/pages.jsonl" 2>"$T/node.log" ||
	{ cat "$T/node.log"; fail "the browser could not load the pages"; }

python3 - "$T/pages.jsonl" <<'PY' || fail "what the browser shows is wrong"
import json, sys
pages = [json.loads(l) for l in open(sys.argv[1])]
assert len(pages) == 3, pages
ov, st, al = pages
assert "vault01/archive" in ov["text"], ov["text"]
assert "alert" in ov["text"] and "#1" in ov["text"], "overview shows no alert"
assert '<script>alert("x")</script>' in ov["text"], "escaped summary not shown as text"
assert len(st["imgs"]) == 4, st["imgs"]  # bytes, objects, churn, purge
for p in (st, al):
    for i in p["imgs"]:
        assert i["complete"] and i["width"] == 720 and i["height"] == 240, f"broken image {i}"
assert "court-ordered deletion" in st["text"]
assert "still missing: 700 objects" in al["text"]
print(f"ok - browser: overview, store page with {len(st['imgs'])} loaded graphs, alert page")
PY
for f in "$T"/shots/page-*.png; do
	[ "$(png_size "$f" | cut -dx -f1)" = 1280 ] || fail "screenshot $f is not a 1280-wide PNG"
done
if [ -n "${SHRINKWATCH_KEEP_SCREENSHOTS:-}" ]; then
	mkdir -p "$SHRINKWATCH_KEEP_SCREENSHOTS" && cp "$T"/shots/*.png "$SHRINKWATCH_KEEP_SCREENSHOTS/"
fi
ok "screenshots saved in the test directory: $(ls "$T/shots" | tr '\n' ' ')"
