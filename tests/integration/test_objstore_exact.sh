#!/usr/bin/env bash
# test_objstore_exact.sh - exact accounting for an S3 bucket, end to end:
# s3rver on 127.0.0.1, real daemons over mutual TLS, a retention of 2 minutes.
#   - listings (every 3 s, the agent's interval 1 s: two rounds in three
#     repeat a listing's totals and are not exact) feed the store's
#     manifest: the collector sees exact samples split against the retention;
#   - young objects deleted behind the agent's back (two plain keys, a key
#     with a newline, a key put with invalid UTF-8): one alert of exactly
#     those four, and `shrinkwatchctl lost` lists exactly their keys as the
#     server lists them, fetched from the agent's removal journal, escaped
#     for the terminal.  (s3rver keeps a key with invalid UTF-8 as its
#     percent-encoded text, so raw invalid bytes in keys are covered by
#     tests/unit/test_objstore_replay.c;)
#   - listing files do not pile up in the agent's state directory.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/objstore_servers.sh"

CTL="$BUILD/shrinkwatchctl"
npm_servers_install
s3port=$(free_port)
port=$(free_port)
sock=$T/control.sock
EP=http://127.0.0.1:$s3port
s3rver_start "$s3port" footage
s3() { $PUT s3 "$EP" footage S3RVER S3RVER "$@"; }

s3 put case7/clip- 4 5000
s3 put keep/clip- 3 3000
s3 putkey "'case7/young\nd.mp4'" 5000
s3 putkey "b'case7/\\xff\\xfe-latin1.mp4'" 5000
uploaded=$(date +%s)
ok "uploaded 9 objects, two of them with hostile keys"

printf '[default]\naws_access_key_id = S3RVER\naws_secret_access_key = S3RVER\n' >"$T/s3.cred"
chmod 600 "$T/s3.cred"
purge_hour=$(( (10#$(date -u +%H) + 12) % 24 ))
collector_conf "$T/collector.conf" "$port" "$T/data" "control = $sock
[detect]
interval = 1s
purge_at = $(printf %02d "$purge_hour"):00
purge_window = 1m
[store objagent/footage]
retention = 2m"
agent_conf "$T/agent.conf" objagent "$port" "$T/state" 1s
cat >>"$T/agent.conf" <<CONF
[store footage]
type = s3
endpoint = $EP
bucket = footage
credentials = $T/s3.cred
list_interval = 3s
CONF

ctl() { "$CTL" --socket "$sock" "$@"; }
json_get() { python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"; }
nalerts() { ctl alerts --all --json | json_get "len(j['alerts'])"; }
has_alert() { [ "$(nalerts)" -ge 1 ]; }
exact_ret() { ctl status | grep -q "objagent/footage.*exact, retention 120s"; }

start collector "$BUILD/shrinkwatch-collector" -c "$T/collector.conf"
wait_for 10 "control socket" test -S "$sock"
start agent "$BUILD/shrinkwatch-agent" -c "$T/agent.conf" -v
AGENT=$LAST_PID
rrd="$T/data/rrd/objagent/footage.rrd"
rrd_is() { [ "$(rrd_last "$rrd" objects)" = "$1" ] && [ "$(rrd_last "$rrd" bytes)" = "$2" ]; }
wait_for 40 "9 objects in the RRD" rrd_is 9 39000
wait_for 40 "exact samples split against the retention" exact_ret
[ "$(nalerts)" = 0 ] || fail "an alert before any deletion: $(ctl alerts --all --json)"
ok "listings feed the manifest: exact samples, retention 120s from the collector"

# listing files are replayed and removed, not kept
sleep 3
n=$(find "$T/state/objlist" -type f | wc -l)
[ "$n" -le 2 ] || fail "$n listing files in the state directory: $(ls "$T/state/objlist")"
ok "listing files do not pile up ($n in flight)"

# the objects settle first: under an eighth of the retention (15 s) old they
# may be uploads in flight, judged by the statistical model (detection.md)
while [ $(( $(date +%s) - uploaded )) -lt 17 ]; do sleep 1; done
s3 del case7/clip- 2
s3 delkey "'case7/young\nd.mp4'"
s3 delkey "b'case7/\\xff\\xfe-latin1.mp4'"
wait_for 30 "an alert" has_alert
id=$(ctl alerts --all --json | json_get "j['alerts'][0]['id']")
lost_is() {
	[ "$(ctl alerts --all --json | json_get "int(j['alerts'][0]['lost_objects'])")" = "$1" ]
}
# the deletions may straddle two listings: the episode grows to all four
wait_for 20 "the alert to count 4 objects" lost_is 4
sleep 7 # two more listings and their repeat rounds: no second alert
[ "$(nalerts)" = 1 ] || fail "expected one alert: $(ctl alerts --all --json)"
ok "four young objects deleted: one alert ($id) of exactly four objects"

wait_for 20 "the inventory" sh -c "'$CTL' --socket '$sock' lost $id --reason 'which clips' --json >'$T/lost.json' && grep -q '\"state\": *\"complete\"' '$T/lost.json'"
python3 - "$T/lost.json" <<'PY' || fail "inventory: $(cat "$T/lost.json")"
import json, sys
j = json.load(open(sys.argv[1]))
paths = sorted(bytes.fromhex(i["path_hex"]) if "path_hex" in i else i["path"].encode()
               for i in j["items"])
assert paths == [b"case7/%FF%FE-latin1.mp4", b"case7/clip-000000", b"case7/clip-000001",
                 b"case7/young\nd.mp4"], paths
assert all(i["size"] == 5000 for i in j["items"]), j["items"]
assert j["inventory"]["state"] == "complete", j["inventory"]
PY
ctl lost "$id" --reason "which clips" >"$T/lost.txt"
grep -q 'young\\nd.mp4' "$T/lost.txt" || fail "newline not escaped: $(cat -A "$T/lost.txt")"
grep -q 'keep/' "$T/lost.txt" && fail "a kept object is listed: $(cat "$T/lost.txt")"
ok "shrinkwatchctl lost lists exactly the four keys, escaped for the terminal"

stop "$AGENT"
grep -q "agent: stopped" "$T/agent.log" || fail "agent did not stop cleanly"
