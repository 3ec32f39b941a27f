#!/usr/bin/env bash
# test_exact_e2e.sh - exact accounting end to end, real daemons over mutual
# TLS, a real tree, a retention of 2 minutes:
#   - the collector's POLICY gives the agent the configured retention;
#   - a whole case folder renamed: no alert (a move is no loss);
#   - old files (over 2 minutes) purged and young files deleted in the same
#     second, inside the purge window: one alert, at once, of exactly the
#     young files, and `shrinkwatchctl lost` lists exactly them, fetched
#     from the agent's removal journal.
# Takes about two and a half minutes: the old files must age past 2m.
. "$(dirname "$0")/lib.sh"
CTL="$BUILD/shrinkwatchctl"
port=$(free_port)
sock="$T/control.sock"
mkdir -p "$T/data" "$T/state" "$T/store/2020/old" "$T/store/2021/case4411"
for i in 1 2 3 4 5; do head -c 2000 /dev/urandom >"$T/store/2020/old/clip$i.mp4"; done
for i in 1 2 3 4; do head -c 3000 /dev/urandom >"$T/store/2021/case4411/keep$i.mp4"; done
start_t=$(date +%s)
# the purge window opens a minute from now and lasts ten: the deletion
# below (two and a half minutes from now) falls inside it
collector_conf "$T/collector.conf" "$port" "$T/data" "control = $sock
[detect]
interval = 1s
purge_at = $(date -u -d "@$((start_t + 60))" +%H:%M)
purge_window = 10m
[store evsrv01/bodycam]
retention = 2m"
agent_conf "$T/agent.conf" evsrv01 "$port" "$T/state" 1s "bodycam=$T/store"
ctl() { "$CTL" --socket "$sock" "$@"; }
json_get() { python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"; }
nalerts() { ctl alerts --all --json | json_get "len(j['alerts'])"; }
has_alert() { [ "$(nalerts)" -ge 1 ]; }

start collector "$BUILD/shrinkwatch-collector" -c "$T/collector.conf"
wait_for 10 "control socket" test -S "$sock"
start agent "$BUILD/shrinkwatch-agent" -c "$T/agent.conf"
wait_for 30 "samples stored" test -f "$T/data/rrd/evsrv01/bodycam.rrd"
exact_ret() { ctl status | grep -q "evsrv01/bodycam.*exact, retention 120s"; }
wait_for 30 "exact samples split against the retention" exact_ret
ok "the agent keeps exact accounts with the collector's retention (2m)"

mv "$T/store/2021/case4411" "$T/store/2021/case4411-reviewed"
sleep 4
[ "$(nalerts)" = 0 ] || fail "a rename raised an alert: $(ctl alerts --all --json)"
ok "a whole case folder renamed: no alert"

# young files arrive and scans see them; they settle (past an eighth of the
# retention: 15 s, else they may be uploads in flight) while the old files
# age past the retention
while [ $(( $(date +%s) - start_t )) -lt 100 ]; do sleep 1; done
mkdir -p "$T/store/2022/case7"
for n in a b c; do head -c 5000 /dev/urandom >"$T/store/2022/case7/young-$n.mp4"; done
head -c 5000 /dev/urandom >"$T/store/2022/case7/young"$'\n'"d.mp4"
while [ $(( $(date +%s) - start_t )) -lt 128 ]; do sleep 1; done
rm -f "$T/store/2020/old/"*.mp4 "$T/store/2022/case7/young-"[ab].mp4 "$T/store/2022/case7/young"$'\n'"d.mp4"
wait_for 20 "an alert" has_alert
sleep 3
alerts=$(ctl alerts --all --json)
[ "$(echo "$alerts" | json_get "len(j['alerts'])")" = 1 ] || fail "expected one alert: $alerts"
[ "$(echo "$alerts" | json_get "j['alerts'][0]['kind']")" = overpurge ] || fail "not an overpurge: $alerts"
[ "$(echo "$alerts" | json_get "int(j['alerts'][0]['lost_objects'])")" = 3 ] ||
	fail "the alert should count exactly the 3 young files: $alerts"
id=$(echo "$alerts" | json_get "j['alerts'][0]['id']")
ok "old files purged and young ones deleted in the same second: one alert of the 3 young files"

ctl lost "$id" --reason "which clips of case 7" --json >"$T/lost.json"
python3 - "$T/lost.json" <<'PY' || fail "inventory: $(cat "$T/lost.json")"
import json, sys
j = json.load(open(sys.argv[1]))
paths = sorted(bytes.fromhex(i["path_hex"]) if "path_hex" in i else i["path"].encode()
               for i in j["items"])
assert paths == [b"2022/case7/young\nd.mp4", b"2022/case7/young-a.mp4",
                 b"2022/case7/young-b.mp4"], paths
assert all(i["size"] == 5000 for i in j["items"]), j["items"]
assert j["inventory"]["state"] == "complete", j["inventory"]
PY
ctl lost "$id" --reason "which clips of case 7" | grep -q 'young\\nd.mp4' || fail "terminal output"
ok "shrinkwatchctl lost lists exactly the young files, from the agent's journal over mutual TLS"
