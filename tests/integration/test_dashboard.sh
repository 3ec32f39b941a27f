#!/usr/bin/env bash
# test_dashboard.sh - the collector's dashboard, JSON API and /metrics against
# a real collector on 127.0.0.1: one store with two days of seeded RRD history
# and a seeded alert ledger, one store fed live by a real agent.  Every page
# and endpoint is fetched; graphs are real PNGs (and SVGs) of the requested
# size; hostile text from the ledger comes out escaped; bad paths are 404;
# other methods 405; /metrics passes promtool.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dashboard_seed.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)

port=$(free_port)
hport=$(free_port)
mkdir -p "$T/data" "$T/state" "$T/a"
for i in $(seq 1 20); do head -c $((i * 1000)) /dev/urandom >"$T/a/clip$i.mp4"; done
seed_archive_rrd "$T/data"
seed_ledger "$T/data" "$(date +%s)"
collector_conf "$T/collector.conf" "$port" "$T/data" \
	"http = 127.0.0.1:$hport
dashboards = $root/dashboards"
agent_conf "$T/agent.conf" it01 "$port" "$T/state" 1s "alpha=$T/a"

"$BUILD/shrinkwatch-collector" -c "$T/collector.conf" --check-config | grep -q "configuration OK"
cp -r "$root/dashboards" "$T/baddash"
printf '[def x]\nds = no_such_ds\ncf = MIN\n' >"$T/baddash/graphs/broken.conf"
sed "s|dashboards = .*|dashboards = $T/baddash|" "$T/collector.conf" >"$T/bad.conf"
out=$("$BUILD/shrinkwatch-collector" -c "$T/bad.conf" --check-config 2>&1) && fail "bad graph file accepted"
grep -q "broken.conf:2: \[def x\] ds: 'no_such_ds' is not a data source" <<<"$out" ||
	fail "bad graph file error does not name file and line: $out"
ok "--check-config loads the graphs and names a bad file's line"

start collector "$BUILD/shrinkwatch-collector" -c "$T/collector.conf"
cpid=$LAST_PID
wait_for 10 "dashboard listening" grep -q "http: dashboard on http://127.0.0.1:$hport/" "$T/collector.log"
start agent "$BUILD/shrinkwatch-agent" -c "$T/agent.conf"
apid=$LAST_PID
wait_for 20 "alpha RRD" test -f "$T/data/rrd/it01/alpha.rrd"
U="http://127.0.0.1:$hport"
get() { curl -sS --max-time 20 -o "$2" -w '%{http_code} %{content_type}' "$U$1"; }
has_alpha() { curl -sS --max-time 5 "$U/api/v1/stores" | grep -q '"store":"alpha"'; }
wait_for 20 "alpha on the board" has_alpha
# a deletion, so the live store has a removal in its last interval
rm -f "$T/a/clip20.mp4" "$T/a/clip19.mp4"
removed_seen() { curl -sS --max-time 5 "$U/api/v1/stores/it01/alpha" | grep -q '"removed_bytes":39000'; }
wait_for 20 "removal of the deleted clips in the API" removed_seen
ok "live store on the board; removed bytes of the last interval = 39000"

# the live detector keeps what it expected beside the samples: the detector
# RRD of alpha has the interval with the removal, with a non-zero expected
# purge (the store is warming up, so the whole day is a purge window)
drrd=$T/data/detect/it01/alpha.rrd
detector_row() {
	[ -f "$drrd" ] || return 1
	rrdtool fetch "$drrd" AVERAGE -s end-10min >"$T/detect.fetch" 2>/dev/null || return 1
	python3 - "$T/detect.fetch" <<'PY'
import math, sys
lines = open(sys.argv[1]).read().split("\n")
names = lines[0].split()
for l in lines[1:]:
    if ":" not in l:
        continue
    v = dict(zip(names, (float(x) for x in l.split(":")[1].split())))
    if v["removed"] == 39000 and v["purge_allow"] > 0 and v["purge_done"] == 39000:
        assert abs(v["removed"] - v["declared"] - v["unexplained"] - min(v["purge_allow"], 39000)) < 1e-6, v
        print(int(v["purge_allow"]), int(v["unexplained"]))
        sys.exit(0)
sys.exit(1)
PY
}
wait_for 20 "the removal in the detector RRD" detector_row
read -r allow unexpl < <(detector_row)
[ "$(rrdtool info "$drrd" | grep -c '^ds\[.*\]\.type')" = 10 ] || fail "detector RRD lacks its 10 data sources"
[ "$(rrdtool info "$drrd" | grep -c '^rra\[.*\]\.cf')" = "$(rrdtool info "$T/data/rrd/it01/alpha.rrd" | grep -c '^rra\[.*\]\.cf')" ] ||
	fail "detector RRD archives differ from the store RRD's"
ok "detector RRD of it01/alpha: removed 39000, expected purge $allow, unexplained $unexpl"

# ---- pages
r=$(get / "$T/overview.html"); [[ $r == "200 text/html"* ]] || fail "overview: $r"
grep -q 'href="/store/vault01/archive"' "$T/overview.html" || fail "overview lacks vault01/archive"
grep -q 'href="/store/it01/alpha"' "$T/overview.html" || fail "overview lacks it01/alpha"
grep -q 'st-alert">alert<' "$T/overview.html" || fail "overview shows no alert state"
grep -q 'href="/alert/1"' "$T/overview.html" || fail "overview lacks the open alert"
[ "$(grep -o 'href="/store/[^"]*"' "$T/overview.html" | grep -m1 -n 'vault01' | cut -d: -f1)" = 1 ] ||
	fail "the store with an open alert is not listed first"
! grep -q '<script>' "$T/overview.html" || fail "ledger text reached the page unescaped"
grep -q '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more' "$T/overview.html" ||
	fail "summary not escaped as expected"
ok "overview: both stores, alert state first, ledger text escaped"

r=$(get /store/vault01/archive "$T/store.html"); [[ $r == "200 text/html"* ]] || fail "store: $r"
for g in bytes objects churn; do
	grep -q "src=\"/graph/vault01/archive/$g?range=day" "$T/store.html" || fail "store page lacks graph $g"
done
grep -q 'court-ordered deletion, case 4711' "$T/store.html" || fail "store page lacks the explanation"
grep -q 'slow leak, resolved' "$T/store.html" || fail "store page lacks the past alert"
grep -q 'src="/graph/vault01/archive/purge?range=day' "$T/store.html" || fail "store page lacks the purge graph"
grep -q 'the expected purge' "$T/store.html" || fail "store page does not explain the expected purge"
# the seeded store was never judged by this collector: its history is not
# judged again at start (only what a saved state missed is), so it has no
# detector RRD yet and the page says so
grep -q 'no detector RRD yet' "$T/store.html" || fail "store page does not say the seeded store has no detector RRD"
r=$(get /store/it01/alpha "$T/store-alpha.html"); [[ $r == 200* ]] || fail "store alpha: $r"
! grep -q 'no detector RRD yet' "$T/store-alpha.html" || fail "store page of alpha says it has no detector RRD"
r=$(get "/store/vault01/archive?range=year" "$T/store-year.html"); [[ $r == 200* ]] || fail "store year: $r"
grep -q 'range=year&amp;w=' "$T/store-year.html" || fail "year range not applied"
ok "store page: graphs for every range, alerts, declared deletion"

r=$(get /alert/1 "$T/alert.html"); [[ $r == "200 text/html"* ]] || fail "alert: $r"
for want in 'still missing: 700 objects' 'email to evidence-team' 'Expected change' 'Observed change' \
	'What was lost'; do
	grep -q "$want" "$T/alert.html" || fail "alert page lacks '$want'"
done
! grep -q '<script>' "$T/alert.html" || fail "alert page has unescaped ledger text"
ok "alert page: what was lost, expected vs observed, timeline, audit trail"

# ---- graphs: real PNGs of the requested size, SVG on request, bad sizes refused
for rg in day week month year; do
	r=$(get "/graph/vault01/archive/bytes?range=$rg&w=640&h=200" "$T/g-$rg.png")
	[[ $r == "200 image/png" ]] || fail "graph $rg: $r"
	[ "$(png_size "$T/g-$rg.png")" = 640x200 ] || fail "graph $rg is $(png_size "$T/g-$rg.png"), not 640x200"
done
r=$(get "/graph/it01/alpha/churn?w=800&h=300" "$T/churn.png"); [[ $r == "200 image/png" ]] || fail "churn: $r"
[ "$(png_size "$T/churn.png")" = 800x300 ] || fail "churn graph size"
# churn and purge read the detector RRD: they render from alpha's, and for
# vault01, which has none yet, with empty series (not an error)
for st in it01/alpha vault01/archive; do
	for g in churn purge; do
		r=$(get "/graph/$st/$g?w=640&h=200" "$T/g.png"); [[ $r == "200 image/png" ]] || fail "$g of $st: $r"
		[ "$(png_size "$T/g.png")" = 640x200 ] || fail "$g graph of $st is $(png_size "$T/g.png")"
	done
done
# what the purge graph draws for alpha: its own definitions' data sources
# through rrdtool give the expected purge of the removal seen above
peak=$(rrdtool graphv /dev/null -s end-10min \
	"DEF:allow=$drrd:$(sed -n '/^\[def allow\]/,/^$/s/^ds = //p' "$root/dashboards/graphs/purge.conf"):MAX" \
	"VDEF:m=allow,MAXIMUM" "PRINT:m:%.0lf" | sed -n 's/^print\[0\] = "\(.*\)"/\1/p')
[ "$peak" = "$allow" ] || fail "purge graph's expected purge peaks at '$peak', not $allow"
r=$(get "/graph/vault01/archive/objects?format=svg" "$T/g.svg"); [[ $r == "200 image/svg+xml" ]] || fail "svg: $r"
grep -q '<svg' "$T/g.svg" || fail "SVG graph is not SVG"
r=$(get "/graph/vault01/archive/bytes?w=99999" /dev/null); [[ $r == 400* ]] || fail "huge width: $r"
r=$(get "/graph/vault01/archive/nosuchgraph" /dev/null); [[ $r == 404* ]] || fail "unknown graph: $r"
ok "graphs: PNGs of the requested size for day/week/month/year, SVG, limits; churn and purge with and without a detector RRD (expected purge peaks at $peak)"

# graph rendering runs on the HTTP threads: ingest carries on under a burst of
# uncached renders (every width differs, so none comes from the cache)
seq0=$(cat "$T/data/rrd/it01/agent.seq")
t0=$(date +%s.%N)
seq 300 499 | xargs -P 8 -I{} curl -sS -o /dev/null --max-time 60 \
	"$U/graph/vault01/archive/bytes?range=week&w={}&h=200"
t1=$(date +%s.%N)
wait_for 20 "samples stored after the render burst" \
	test "$(cat "$T/data/rrd/it01/agent.seq")" -gt "$seq0"
ok "200 uncached graph renders (8 in parallel) in $(python3 -c "print(round($t1 - $t0, 2))") s; ingest went on (seq $seq0 -> $(cat "$T/data/rrd/it01/agent.seq"))"

# ---- API
r=$(get /api/v1/stores "$T/stores.json"); [[ $r == "200 application/json" ]] || fail "api stores: $r"
python3 - "$T/stores.json" <<'PY' || fail "api stores content"
import json, sys
d = json.load(open(sys.argv[1]))
s = {(x["agent"], x["store"]): x for x in d["stores"]}
assert d["ledger"] == "ok" and d["ledger_version"] == 4, d  # the collector migrated the seeded v1 ledger
a = s[("vault01", "archive")]
assert a["state"] == "alert" and a["open_alerts"] == 1 and a["worst_kind"] == "drop", a
assert a["change_24h_bytes"] is not None, a
assert s[("it01", "alpha")]["last"]["objects"] == 18, s[("it01", "alpha")]
assert d["stores"][0]["agent"] == "vault01"
PY
r=$(get /api/v1/stores/vault01/archive "$T/store.json"); [[ $r == 200* ]] || fail "api store: $r"
python3 - "$T/store.json" <<'PY' || fail "api store content"
import json, sys
d = json.load(open(sys.argv[1]))
assert [a["id"] for a in d["alerts"]] == [1, 2], d["alerts"]
assert d["alerts"][0]["summary"].startswith('archive lost 70 MB <script>'), d["alerts"][0]
assert d["explanations"][0]["who"] == "jsmith" and d["explanations"][0]["objects"] is None
PY
grep -q '\\u003cscript\\u003e' "$T/store.json" || fail "JSON does not escape '<'"
r=$(get "/api/v1/alerts?state=open" "$T/open.json"); [[ $r == 200* ]] || fail "api alerts: $r"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert [a["id"] for a in d["alerts"]]==[1], d' "$T/open.json" ||
	fail "open alerts"
get "/api/v1/alerts" "$T/all.json" >/dev/null
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["alerts"])==2' "$T/all.json" || fail "all alerts"
r=$(get "/api/v1/alerts?state=bogus" /dev/null); [[ $r == 400* ]] || fail "bad state: $r"
r=$(get /api/v1/explanations "$T/ex.json"); [[ $r == 200* ]] || fail "api explanations: $r"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["explanations"][0]["reason"].startswith("court")' "$T/ex.json" ||
	fail "explanations"
ok "JSON API: stores, store, alerts (open/all), explanations; '<' escaped"

# ---- /metrics
r=$(get /metrics "$T/metrics.txt"); [[ $r == "200 text/plain; version=0.0.4"* ]] || fail "metrics: $r"
promtool check metrics <"$T/metrics.txt" >"$T/promtool.log" 2>&1 || { cat "$T/promtool.log"; fail "promtool check metrics"; }
grep -q '^shrinkwatch_store_open_alerts{agent="vault01",store="archive"} 1$' "$T/metrics.txt" || fail "open alerts metric"
grep -q '^shrinkwatch_store_state{agent="vault01",store="archive",state="alert"} 1$' "$T/metrics.txt" || fail "state metric"
grep -q '^shrinkwatch_store_removed_bytes{agent="it01",store="alpha"} ' "$T/metrics.txt" || fail "removed metric"
grep -q '^shrinkwatch_notify_outbox_rows 2$' "$T/metrics.txt" || fail "outbox rows"
grep -Eq '^shrinkwatch_samples_stored_total [1-9]' "$T/metrics.txt" || fail "samples stored"
grep -q '^shrinkwatch_agents_connected 1$' "$T/metrics.txt" || fail "agents connected"
for m in $(grep -o 'shrinkwatch_[a-z_]*' "$root/dashboards/grafana/shrinkwatch.json" | sort -u); do
	grep -q "^# TYPE $m " "$T/metrics.txt" || fail "the Grafana dashboard uses $m, which /metrics lacks"
done
ok "/metrics passes promtool check metrics ($(grep -vc '^#' "$T/metrics.txt") samples)"

# ---- safety: unknown and hostile paths, methods, sizes
for p in /nope /store/vault01 /store/vault01/archive/x /store/vault01/nosuch /alert/999 /alert/0 \
	/alert/abc "/store/..%2F..%2Fetc/passwd" "/store/%3Cscript%3E/x" "/graph/vault01/..%2Farchive/bytes" \
	"/graph/.hidden/archive/bytes" "/api/v1/stores/vault01/archive/extra" /api/v1 /api/v1/stores/; do
	r=$(get "$p" /dev/null); [[ $r == 404* ]] || fail "$p gave $r, not 404"
done
r=$(get "/store/vault01/archive%00.rrd" /dev/null); [[ $r == 400* ]] || fail "encoded NUL: $r"
r=$(get "/graph/vault01/archive/bytes?x=$(printf 'q%.0s' $(seq 1 3000))" /dev/null)
[[ $r == 414* ]] || fail "long query: $r"
long=$(printf 'a%.0s' $(seq 1 600))
r=$(get "/store/$long/x" /dev/null); [[ $r == 414* || $r == 404* ]] || fail "long path: $r"
huge=$(printf 'h%.0s' $(seq 1 40000))
r=$(curl -sS -o /dev/null -w '%{http_code}' -H "X-Big: $huge" "$U/") || true
[[ $r == 4* ]] || fail "oversized request: $r"
r=$(curl -sS -o /dev/null -w '%{http_code}' -X POST -d x=1 "$U/api/v1/alerts"); [ "$r" = 405 ] || fail "POST: $r"
r=$(curl -sS -o /dev/null -w '%{http_code}' -X DELETE "$U/alert/1"); [ "$r" = 405 ] || fail "DELETE: $r"
r=$(curl -sS -o /dev/null -w '%{http_code}' -I "$U/"); [ "$r" = 200 ] || fail "HEAD: $r"
sqlite3 "$T/data/ledger.db" 'SELECT count(*) FROM alerts' | grep -qx 2 || fail "the ledger changed"
ok "unknown and hostile paths 404, encoded NUL 400, long 414, oversized refused, POST/DELETE 405, HEAD 200"

# ---- without a ledger: pages still work
mv "$T/data/ledger.db" "$T/ledger.db.away"
rm -f "$T/data/ledger.db-wal" "$T/data/ledger.db-shm"
r=$(get / "$T/noledger.html"); [[ $r == 200* ]] || fail "overview without ledger: $r"
r=$(get /api/v1/alerts "$T/noledger.json"); [[ $r == 200* ]] || fail "alerts without ledger: $r"
grep -q '"ledger":"absent"' "$T/noledger.json" || fail "API does not say the ledger is absent"
r=$(get /alert/1 /dev/null); [[ $r == 404* ]] || fail "alert without ledger: $r"
ok "no ledger: pages and API work, alerts are simply absent"

! grep -q "http: .*failed" "$T/collector.log" || fail "the collector logged HTTP failures"

stop "$apid"
stop "$cpid"
grep -q "collector: stopped" "$T/collector.log" || fail "collector did not stop cleanly"
! grep -Eq "ERROR: AddressSanitizer|runtime error" "$T/collector.log" || fail "sanitizer error"
ok "collector with the dashboard stops cleanly"
