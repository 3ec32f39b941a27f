#!/usr/bin/env bash
# test_browser.sh - a real browser on the dashboard: headless Debian Chromium
# opens pages from a collector on 127.0.0.1, saves screenshots in the test's
# temporary directory, and checks what they show.
#
# Two kinds of data: a store seeded straight into RRD and ledger files
# (vault01/archive, dashboard_seed.sh: the overview, an alert with hostile
# text, every graph image loaded), and the month of history `make demo`
# shows (evsrv01/bodycam, packaging/demo/history.sh), sent over the real
# protocol, so the store page and the alert page are the demo's own.  Its
# graphs must not be empty: the week's churn graph draws the expected purges,
# the declared deletion and the unexplained loss in their colours, the purge
# graph its windows, and the alert page the alert's mark over the store's
# bytes (pixel counts from pages.mjs).  And the demo's live part: a real
# agent with exact accounts, a case folder deleted, and the alert page showing
# the loss inventory `shrinkwatchctl lost` fetched, grouped by directory.
# SHRINKWATCH_KEEP_SCREENSHOTS=DIR copies the screenshots there to look at
# (also when a check fails).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../integration/lib.sh"
. "$here/../integration/dashboard_seed.sh"
root=$(cd "$here/../.." && pwd)
. "$root/packaging/demo/history.sh"
command -v chromium >/dev/null || fail "chromium is not installed (make deps)"
command -v node >/dev/null || fail "node is not installed (make deps)"
[ -x "$BUILD/bench/sendtrace" ] || fail "$BUILD/bench/sendtrace is not built (make browser builds it)"

port=$(free_port)
hport=$(free_port)
mkdir -p "$T/data" "$T/profile" "$T/shots"
seed_archive_rrd "$T/data"
seed_ledger "$T/data" "$(date +%s)"
collector_conf "$T/collector.conf" "$port" "$T/data" \
	"http = 127.0.0.1:$hport
dashboards = $root/dashboards
control = $T/control.sock"
history_conf >>"$T/collector.conf"
# the demo's live store: a real agent with exact accounts (31 days' retention)
cat >>"$T/collector.conf" <<CONF
[store evsrv02/interviews]
interval = 1s
retention = 31d
purge_at = $(printf %02d $(( (10#$(date -u +%H) + 12) % 24 ))):00
drop_min_bytes = 16k
drop_min_objects = 3
CONF
pki_agent "$HISTORY_AGENT"
start collector "$BUILD/shrinkwatch-collector" -c "$T/collector.conf"
wait_for 10 "dashboard listening" grep -q "http: dashboard on" "$T/collector.log"
wait_for 10 "control socket" test -S "$T/control.sock"

t0=$(date +%s.%N)
history_send "$T/history" "$port" "$PKI" "$T/control.sock" 2>"$T/history.log" ||
	{ cat "$T/history.log"; fail "the demo's history could not be sent"; }
ok "the demo's month of history: seq $HISTORY_SEQ stored in $(python3 -c "print(round($(date +%s.%N) - $t0, 1))") s"
hid=$("$BUILD/shrinkwatchctl" --socket "$T/control.sock" alerts --json | python3 -c '
import json, sys
a = [a for a in json.load(sys.stdin)["alerts"] if a["agent"] == "evsrv01"]
assert len(a) == 1 and a[0]["kind"] == "drop", a
print(a[0]["id"])') || fail "the history did not raise exactly one drop alert"
hs=$HISTORY_AGENT/$HISTORY_STORE

# as in `make demo`: a case folder deleted behind the live agent's back, an
# exact alert at once, and its loss inventory fetched from the agent's
# removal journal (shrinkwatchctl lost) for the alert page to show
for case in 1001 1002; do
	mkdir -p "$T/live/2026/11/02/case-$case"
	for clip in 1 2 3 4 5; do head -c $((20000 + clip)) /dev/urandom >"$T/live/2026/11/02/case-$case/clip$clip.mp4"; done
done
agent_conf "$T/agent.conf" evsrv02 "$port" "$T/state" 1s "interviews=$T/live"
start agent "$BUILD/shrinkwatch-agent" -c "$T/agent.conf"
exact_live() { "$BUILD/shrinkwatchctl" --socket "$T/control.sock" status | grep -q "evsrv02/interviews.*exact, retention 31d"; }
wait_for 30 "the live agent's exact accounts" exact_live
rm -rf "$T/live/2026/11/02/case-1002"
live_alert() { "$BUILD/shrinkwatchctl" --socket "$T/control.sock" alerts --json | grep -q '"store":"interviews"'; }
wait_for 30 "the live store's alert" live_alert
lid=$("$BUILD/shrinkwatchctl" --socket "$T/control.sock" alerts --json | python3 -c '
import json, sys
print([a for a in json.load(sys.stdin)["alerts"] if a["store"] == "interviews"][0]["id"])')
"$BUILD/shrinkwatchctl" --socket "$T/control.sock" lost "$lid" --reason "browser test" \
	>"$T/lost.txt" || fail "shrinkwatchctl lost: $(cat "$T/lost.txt")"
grep -q "case-1002/  5 items" "$T/lost.txt" || fail "the inventory: $(cat "$T/lost.txt")"
ok "the live store's alert $lid has its loss inventory (5 clips of case-1002)"

U="http://127.0.0.1:$hport"
node "$here/pages.mjs" "$(command -v chromium)" "$T/profile" "$T/shots" \
	"$U/" "$U/store/vault01/archive" "$U/alert/1" "$U/store/$hs" "$U/store/$hs?range=week" \
	"$U/alert/$hid" "$U/alert/$lid" \
	>"$T/pages.jsonl" 2>"$T/node.log" ||
	{ cat "$T/node.log"; fail "the browser could not load the pages"; }
# kept before the checks, so a failure can be looked at
if [ -n "${SHRINKWATCH_KEEP_SCREENSHOTS:-}" ]; then
	mkdir -p "$SHRINKWATCH_KEEP_SCREENSHOTS" && cp "$T"/shots/*.png "$SHRINKWATCH_KEEP_SCREENSHOTS/"
fi

python3 - "$T/pages.jsonl" <<'PY' || fail "what the browser shows is wrong"
import json, sys
pages = [json.loads(l) for l in open(sys.argv[1])]
assert len(pages) == 7, pages
ov, st, al, hday, hweek, hal, lal = pages
assert "vault01/archive" in ov["text"], ov["text"]
assert "alert" in ov["text"] and "#1" in ov["text"], "overview shows no alert"
assert '<script>alert("x")</script>' in ov["text"], "escaped summary not shown as text"
assert len(st["imgs"]) == 4, st["imgs"]  # bytes, objects, churn, purge
for p in (st, al, hday, hweek, hal):
    for i in p["imgs"]:
        assert i["complete"] and i["width"] == 720 and i["height"] == 240, f"broken image {i}"
assert "court-ordered deletion" in st["text"]
assert "still missing: 700 objects" in al["text"]

# the demo's store: listed with its alert, and its graphs are not empty
assert "evsrv01/bodycam" in ov["text"], "overview lacks the demo's store"
assert "court order 2026/117" in hweek["text"], "store page lacks the declared deletion"
assert "lost without explanation" in hal["text"] and "evsrv01" in hal["text"], hal["text"]
def graphs(page):
    g = {i["src"].split("?")[0].rsplit("/", 1)[1]: i["colors"] for i in page["imgs"]}
    assert set(g) == {"bytes", "objects", "churn", "purge"}, g
    return g
day, week = graphs(hday), graphs(hweek)
# colours of dashboards/graphs/*.conf and of the marks (collector/http/graph.c);
# the loss lies in the last day (3 to 24 hours ago), the declared deletion
# 3 days ago, a purge every night
want = [("day", day, "bytes", "08519c", 600, "the bytes line"),
        ("day", day, "bytes", "9ecae1", 8000, "the bytes MIN area"),
        ("day", day, "churn", "74c476", 300, "added volume"),
        ("day", day, "churn", "fdae6b", 300, "removal last night's purge explains"),
        ("day", day, "churn", "de2d26", 100, "the unexplained removal"),
        ("day", day, "churn", "d7301f", 100, "the alert's mark"),
        ("week", week, "churn", "fdae6b", 300, "removal the purges explain"),
        ("week", week, "churn", "6baed6", 25, "removal the declared deletion explains"),
        ("week", week, "purge", "fdae6b", 300, "removal in the purge windows"),
        ("week", week, "purge", "7f2704", 300, "the expected purge")]
for view, g, name, colour, least, what in want:
    n = g[name].get(colour, 0)
    assert n >= least, f"{view} {name} graph: {what} (#{colour}) has {n} pixels, " \
        f"want >= {least}; colours {g[name]}"
# the live alert's page: its loss inventory, grouped by directory, with CSV
assert "Loss inventory" in lal["text"], lal["text"]
assert "2026/11/02/case-1002/" in lal["text"], lal["text"]
assert "case-1001" not in lal["text"], "a kept folder in the inventory"
assert "browser test" in lal["text"], "the inventory's reason is not shown"
assert "Download CSV" in lal["text"], "no CSV download on the alert page"
alert_img = hal["imgs"][0]["colors"]
assert alert_img.get("d7301f", 0) >= 100 and alert_img.get("08519c", 0) >= 600, alert_img
print("ok - browser: overview, store page with %d loaded graphs, alert page; the demo's "
      "churn graphs: purge %d px, unexplained %d px, alert %d px (day), declared %d px (week)" % (
      len(st["imgs"]), day["churn"].get("fdae6b", 0), day["churn"].get("de2d26", 0),
      day["churn"].get("d7301f", 0), week["churn"].get("6baed6", 0)))
PY
for f in "$T"/shots/page-*.png; do
	[ "$(png_size "$f" | cut -dx -f1)" = 1280 ] || fail "screenshot $f is not a 1280-wide PNG"
done
ok "screenshots saved in the test directory: $(ls "$T/shots" | tr '\n' ' ')"
