#!/usr/bin/env bash
# test_copies.sh - copy verification end to end (issue 13): a real agent
# with two stores (a migration's source and destination), the real
# collector with a [copy] section, its control socket and ledger:
#   - 100 files copied with cp -a: the relation is complete;
#   - 3 deleted at the destination: copy_missing (3), and copy-check names
#     exactly those 3, the request audited with its reason;
#   - the same deletion under a relation with a 1h grace: in transit, no alert;
#   - one altered in size: copy_differs (compare = sizes);
#   - restored: complete again, both alerts resolved;
#   - an item deleted at both ends: copy_lost;
#   - the one-shot copy-check --source/--destination without a section;
#   - the dashboard (/copies, /api/v1/copies, the store page's link, the
#     relation's RRD and graph);
#   - a hostile name missing: escaped for the terminal, exact in JSON;
#   - compare = content (hash_contents on the agent): one byte changed in
#     place, the size kept: copy_differs names it;
#   - inventory_depth = 2 on the agent: copy-check shows the missing item
#     under the first two components only, marked, its name never sent.
SW_TLS=0
. "$(dirname "$0")/lib.sh"
CTL="$BUILD/shrinkwatchctl"

mkdir -p "$T/state" "$T/data" "$T/src"
for i in $(seq 100); do
	d="$T/src/2024/case$((i % 10))"
	mkdir -p "$d"
	head -c $((1000 + i)) /dev/zero >"$d/clip$i.mp4"
done
cp -a "$T/src" "$T/dst"

port=$(free_port)
hport=$(free_port)
sock="$T/control.sock"
collector_conf "$T/collector.conf" "$port" "$T/data" "control = $sock
control_mode = 0666
admin_group = shrinkwatch-test-nonexistent
http = 127.0.0.1:$hport
[copy move]
source = evsrv01/src
destination = evsrv01/dst
grace = 1s
compare = sizes
[copy slow]
source = evsrv01/src
destination = evsrv01/dst
source_prefix = 2024/case3
destination_prefix = 2024/case3/
grace = 1h
[copy content]
source = evsrv01/src
destination = evsrv01/dst
source_prefix = 2024/case6
destination_prefix = 2024/case6
grace = 1s
compare = content"
ctl() { "$CTL" --socket "$sock" "$@"; }
json_get() { python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"; }
# state: the relation's "state missing differs" from shrinkwatchctl copies --json
# rel NAME: the relation's object in shrinkwatchctl copies --json (as r)
rel() { ctl copies --json | python3 -c "import json,sys; r=[x for x in json.load(sys.stdin) if x['name']=='$1'][0]; print($2)"; }
state() { rel move "r['state'], r['missing'], r['differs']" | tr -d "(),'"; }
# slow_state: the same of relation "slow" (grace 1h), with its items in transit
slow_state() { rel slow "r['name'], r['state'], r['missing'], r['in_transit']" | tr -d "(),'"; }
is_state() { [ "$(state)" = "$1" ]; }

start collector "$BUILD/shrinkwatch-collector" -c "$T/collector.conf"
wait_for 10 "control socket" test -S "$sock"
agent_conf "$T/agent.conf" evsrv01 "$port" "$T/state" 1s "src=$T/src" "dst=$T/dst"
sed -i 's|^path = .*|&\nhash_contents = yes|' "$T/agent.conf"
start agent "$BUILD/shrinkwatch-agent" -c "$T/agent.conf"
AGENT=$LAST_PID

wait_for 60 "the copy compared complete" is_state "complete 0 0"
grep -q "^move: evsrv01/src -> evsrv01/dst" <<<"$(ctl copies)" || fail "copies: $(ctl copies)"
ok "a cp -a copy of 100 files: complete"

rm "$T/dst/2024/case3/clip13.mp4" "$T/dst/2024/case3/clip23.mp4" "$T/dst/2024/case7/clip47.mp4"
wait_for 60 "3 missing" is_state "incomplete 3 0"
alerts=$(ctl alerts --json)
echo "$alerts" | python3 -c '
import json, sys
a = [x for x in json.load(sys.stdin)["alerts"] if x["kind"] == "copy_missing"]
assert len(a) == 1 and int(a[0]["lost_objects"]) == 3, a
assert a[0]["agent"] == "evsrv01" and a[0]["store"] == "dst", a' || fail "copy_missing alert: $alerts"
grep -q "3 missing since" <<<"$(ctl copies)" || fail "copies does not say 3 missing: $(ctl copies)"
ok "3 deleted at the destination: copy_missing with 3 items, shrinkwatchctl copies says so"
slow_in_transit() { [ "$(rel slow "r['in_transit']")" = 2 ]; }
wait_for 30 "the slow relation compared after the deletion" slow_in_transit
[ "$(slow_state)" = "slow complete 0 2" ] || fail "within grace: $(slow_state)"
ok "the same two items under a 1h grace: in transit, no alert (a transfer in progress)"

curl -sf "http://127.0.0.1:$hport/api/v1/copies" | python3 -c '
import json, sys
c = json.load(sys.stdin)["copies"]
m = [x for x in c if x["name"] == "move"][0]
assert len(c) == 3 and m["missing"] == 3, c
assert m["source_files"] == 100 and m["destination_files"] == 97, c' ||
	fail "API: $(curl -s "http://127.0.0.1:$hport/api/v1/copies")"
curl -sf -o "$T/copies.html" "http://127.0.0.1:$hport/copies" || fail "no /copies page"
curl -sf -o "$T/store.html" "http://127.0.0.1:$hport/store/evsrv01/dst" || fail "no store page"
grep -q 'id="copy-move"' "$T/copies.html" || fail "/copies lacks the relation"
grep -q 'href="/copies#copy-move"' "$T/store.html" || fail "the store page does not link to its copy"
grep -q "clip13" "$T/copies.html" "$T/store.html" && fail "a name reached the dashboard"
grep -q 'src="/copies/move.png' "$T/copies.html" || fail "no graph on /copies"
test -f "$T/data/copies/move.rrd" || fail "no RRD for the relation"
[ "$(rrdtool lastupdate "$T/data/copies/move.rrd" | tail -n 1 | awk '{print $6}')" = 3 ] ||
	fail "the RRD's last missing count: $(rrdtool lastupdate "$T/data/copies/move.rrd")"
curl -sf -o "$T/move.png" "http://127.0.0.1:$hport/copies/move.png?range=day" || fail "no graph"
[ "$(head -c 4 "$T/move.png" | tail -c 3)" = PNG ] || fail "the graph is not a PNG"
grep -q 404 <<<"$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$hport/copies/nope.png")" ||
	fail "a graph of no relation is not a 404"
ok "dashboard: /copies (both ends side by side), /api/v1/copies, the store page links to its copy, the relation's RRD and graph; no names"

ctl copy-check move >/dev/null 2>"$T/noreason" && fail "copy-check without --reason accepted"
grep -q -- "--reason is required" "$T/noreason" || fail "unclear: $(cat "$T/noreason")"
ctl copy-check move --reason "migration sign-off" --json >"$T/check.json" && fail "an incomplete copy exited 0"
python3 - "$T/check.json" <<'PY' || fail "copy-check: $(cat "$T/check.json")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["check"]["state"] == "incomplete" and j["check"]["missing"] == 3, j["check"]
paths = sorted(i["path"] for i in j["items"] if i["kind"] == "missing")
assert paths == ["2024/case3/clip13.mp4", "2024/case3/clip23.mp4", "2024/case7/clip47.mp4"], paths
PY
grep -q '"action":"copy-check","target":"copy move"' <<<"$(ctl audit --json)" || fail "copy-check not audited"
ctl copy-check move --reason "migration sign-off" --csv >"$T/check.csv" || true
grep -q '^"missing","2024/case3/clip13.mp4",1013,' "$T/check.csv" || fail "csv: $(cat "$T/check.csv")"
ok "copy-check names exactly the 3 (JSON, CSV), audited with its reason"

head -c 5 /dev/zero >"$T/dst/2024/case5/clip55.mp4"
wait_for 60 "one differing" is_state "incomplete 3 1"
grep -q '"kind":"copy_differs"' <<<"$(ctl alerts --json)" || fail "no copy_differs alert"
ok "one altered in size: copy_differs"

for i in 13 23 47; do cp -a "$T/src/2024/case$((i % 10))/clip$i.mp4" "$T/dst/2024/case$((i % 10))/"; done
cp -a "$T/src/2024/case5/clip55.mp4" "$T/dst/2024/case5/"
wait_for 60 "complete again" is_state "complete 0 0"
open=$(ctl alerts --json | json_get "len([a for a in j['alerts'] if a['kind'].startswith('copy_')])")
[ "$open" = 0 ] || fail "copy alerts still open: $(ctl alerts --json)"
ok "restored: complete again, both alerts resolved"

rm "$T/src/2024/case9/clip99.mp4" "$T/dst/2024/case9/clip99.mp4"
lost_open() { grep -q '"kind":"copy_lost"' <<<"$(ctl alerts --json)"; }
wait_for 60 "copy_lost" lost_open
ctl alerts --json | python3 -c '
import json, sys
a = [x for x in json.load(sys.stdin)["alerts"] if x["kind"] == "copy_lost"]
assert len(a) == 1 and int(a[0]["lost_objects"]) == 1 and a[0]["severity"] == "critical", a' ||
	fail "copy_lost: $(ctl alerts --json)"
is_state "complete 0 0" || fail "a loss at both ends is not a missing item: $(state)"
[ "$(rel move "r['lost']")" = 1 ] || fail "copies does not count the lost item"
grep -q "1 lost at both ends" <<<"$(ctl copies)" || fail "shrinkwatchctl copies: $(ctl copies)"
ok "an item deleted at both ends: copy_lost (critical), the copy itself still complete"

ctl copy-check --source evsrv01/src --destination evsrv01/dst --reason "ad hoc" >"$T/oneshot.txt" ||
	fail "one-shot check of an equal pair failed: $(cat "$T/oneshot.txt")"
grep -q "^complete at .*: 0 missing, 0 differing" "$T/oneshot.txt" || fail "one-shot: $(cat "$T/oneshot.txt")"
ok "one-shot copy-check --source/--destination without a section"

# a hostile name missing at the destination: escaped in every form
printf 'x' >"$T/src/2024/case2/evil"$'\n'"FORGED"$'\x1b'"[31m.mp4"
wait_for 60 "the hostile name missing" is_state "incomplete 1 0"
ctl copy-check move --reason "hostile names" >"$T/hostile.txt" && fail "incomplete exited 0"
grep -q 'evil\\nFORGED\\e\[31m.mp4' "$T/hostile.txt" || fail "not escaped: $(cat -v "$T/hostile.txt")"
! grep -q "^FORGED" "$T/hostile.txt" || fail "a name forged a line"
! grep -q $'\x1b' "$T/hostile.txt" || fail "an escape character reached the terminal"
ctl copy-check move --reason "hostile names" --json >"$T/hostile.json" && fail "incomplete exited 0"
python3 - "$T/hostile.json" <<'PY' || fail "JSON does not carry the exact name: $(cat "$T/hostile.json")"
import json, sys
j = json.load(open(sys.argv[1]))
assert [i["path"] for i in j["items"]] == ["2024/case2/evil\nFORGED\x1b[31m.mp4"], j["items"]
PY
ok "a hostile name: escaped for the terminal, exact in JSON"

# compare = content: one byte changed in place, the size kept
wait_for 60 "the content relation complete (both ends hashed)" sh -c "[ \"\$(\"$CTL\" --socket '$sock' copies --json | python3 -c 'import json,sys; print([x[\"state\"] for x in json.load(sys.stdin) if x[\"name\"]==\"content\"][0])')\" = complete ]"
printf 'Z' | dd of="$T/dst/2024/case6/clip16.mp4" bs=1 seek=100 conv=notrunc status=none
content_differs() { [ "$(rel content "r['differs']")" = 1 ]; }
wait_for 60 "the altered content found" content_differs
ctl copy-check content --reason "integrity" --json >"$T/content.json" && fail "incomplete exited 0"
python3 - "$T/content.json" <<'PY' || fail "content check: $(cat "$T/content.json")"
import json, sys
j = json.load(open(sys.argv[1]))
assert [(i["kind"], i["path"]) for i in j["items"]] == [("differs", "clip16.mp4")], j["items"]
PY
grep -q '"summary":"copy .content.: 1 items differ (compare = content)' <<<"$(ctl alerts --json)" ||
	fail "no content copy_differs alert: $(ctl alerts --json)"
ok "compare = content: one byte changed in place (same size) is copy_differs, named by copy-check"

# inventory_depth = 2 on the agent: no name deeper than two components leaves
# it, on a copy-check too; the item shows under 2024/case2, marked
stop "$AGENT"
sed -i 's|^state_dir = .*|&\ninventory_depth = 2|' "$T/agent.conf"
start agent "$BUILD/shrinkwatch-agent" -c "$T/agent.conf"
AGENT=$LAST_PID
# depth_check: a copy-check answered by the restarted agent (not unknown)
depth_check() {
	ctl copy-check move --reason "depth" --json >"$T/depth.json" || true
	python3 -c "import json,sys; sys.exit(json.load(open('$T/depth.json'))['check']['state'] not in ('incomplete', 'complete'))"
}
wait_for 60 "a copy-check answered after the restart" depth_check
python3 - "$T/depth.json" <<'PY' || fail "inventory_depth: $(cat "$T/depth.json")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["check"]["missing"] == 1, j["check"]
assert [(i["path"], i["names_withheld"]) for i in j["items"]] == [("2024/case2", True)], j["items"]
PY
grep -q evil "$T/depth.json" && fail "a name below inventory_depth reached the collector"
ctl copy-check move --reason "depth" >"$T/depth.txt" && fail "incomplete exited 0"
grep -qF '2024/case2/... (deeper names withheld by inventory_depth; name hash ' "$T/depth.txt" ||
	fail "no withheld marker: $(cat -v "$T/depth.txt")"
ctl copy-check move --reason "depth" --csv >"$T/depth.csv" || true
grep -q '^"missing","2024/case2",1,.*,1'$'\r''$' "$T/depth.csv" || fail "csv: $(cat -v "$T/depth.csv")"
grep -q "names asked below inventory_depth 2" "$T/agent.log" || fail "the agent did not log withholding"
ok "inventory_depth = 2: copy-check shows the item under 2024/case2, marked, its name kept on the agent"
