#!/usr/bin/env bash
# test_objstore_s3.sh - an S3 bucket as a store, against a real S3-protocol
# server (s3rver from npm) on 127.0.0.1: objects uploaded show as totals in
# the collector's RRD; more than 1,000 objects take several pages; objects
# deleted behind the agent's back raise a drop alert; the server stopped in
# the middle of a listing makes the sample PARTIAL and raises no drop; bad
# credentials are a clear error naming the store; hostile keys (newlines,
# invalid UTF-8, 1 KB) are counted like any other.
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

# 1,200 objects of 1,000 bytes: two pages of ListObjectsV2
s3 put clip/ 1200 1000
ok "uploaded 1200 objects to s3rver"

printf '[default]\naws_access_key_id = S3RVER\naws_secret_access_key = S3RVER\n' >"$T/s3.cred"
printf '[default]\naws_access_key_id = NOBODY\naws_secret_access_key = TOPSECRET42\n' >"$T/bad.cred"
chmod 600 "$T/s3.cred" "$T/bad.cred"

purge_hour=$(( (10#$(date -u +%H) + 12) % 24 ))
collector_conf "$T/collector.conf" "$port" "$T/data" "control = $sock
[detect]
interval = 1s
purge_at = $(printf %02d "$purge_hour"):00
purge_window = 1m
drop_min_bytes = 1k
drop_min_objects = 2
resolve_after = 100000"
agent_conf "$T/agent.conf" objagent "$port" "$T/state" 1s
cat >>"$T/agent.conf" <<CONF
[store footage]
type = s3
endpoint = $EP
bucket = footage
credentials = $T/s3.cred
list_interval = 1s
requests_per_second = 4
[store denied]
type = s3
endpoint = $EP
bucket = footage
credentials = $T/bad.cred
list_interval = 1s
CONF

# configuration checks: http only on loopback, the credentials file's mode
"$BUILD/shrinkwatch-agent" -c "$T/agent.conf" --check-config | grep -q "2 stores" ||
	fail "the config does not validate"
sed "s|endpoint = $EP|endpoint = http://grid.example.org:$s3port|" "$T/agent.conf" >"$T/remote.conf"
"$BUILD/shrinkwatch-agent" -c "$T/remote.conf" --check-config 2>"$T/remote.err" &&
	fail "plain http to a remote endpoint was accepted"
grep -q "http is allowed only on a loopback address" "$T/remote.err" || fail "$(cat "$T/remote.err")"
chmod 644 "$T/s3.cred"
"$BUILD/shrinkwatch-agent" -c "$T/agent.conf" --check-config 2>"$T/mode.err" &&
	fail "a world-readable credentials file was accepted"
grep -q "\[store footage\] credentials file '$T/s3.cred' has mode 0644" "$T/mode.err" ||
	fail "$(cat "$T/mode.err")"
chmod 600 "$T/s3.cred"
ok "http only to loopback, credentials file must be 0600"

ctl() { "$CTL" --socket "$sock" "$@"; }
json_get() { python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"; }
field() { ctl status --json | json_get "[s['$2'] for s in j['stores'] if s['store']=='$1'][0]"; }
field_is() { [ "$(field "$1" "$2")" = "$3" ]; }
open_alert_of_kind() {
	ctl alerts --json | json_get "next((a['id'] for a in j['alerts'] if a['kind']=='$1'), '')"
}
has_open_alert() { [ -n "$(open_alert_of_kind "$1")" ]; }

start collector "$BUILD/shrinkwatch-collector" -c "$T/collector.conf"
wait_for 10 "control socket" test -S "$sock"
start agent "$BUILD/shrinkwatch-agent" -c "$T/agent.conf" -v
AGENT=$LAST_PID
rrd="$T/data/rrd/objagent/footage.rrd"
rrd_is() { [ "$(rrd_last "$rrd" objects)" = "$1" ] && [ "$(rrd_last "$rrd" bytes)" = "$2" ]; }
wait_for 40 "1200 objects in the RRD" rrd_is 1200 1200000
ok "the bucket's totals reach RRD: 1200 objects, 1200000 bytes"
grep -q "objstore: store 'footage': listed bucket 'footage': 1200 objects, 1200000 bytes, .* in 2 requests" \
	"$T/agent.log" || fail "no two-page listing with its request count in the agent log"
ok "pagination: 1200 objects in 2 requests, logged"

# bad credentials: a clear error naming the store, partial, never a total
wait_for 20 "the denied store is partial" field_is denied scan partial
grep -q "objstore: store 'denied': the server refuses the credentials in '$T/bad.cred'" "$T/agent.log" ||
	fail "no error naming the store"
grep -q "InvalidAccessKeyId" "$T/agent.log" || fail "the server's reason is not logged"
! grep -q "TOPSECRET42" "$T/agent.log" "$T/collector.log" || fail "a secret reached a log"
ok "bad credentials: partial, the log names store 'denied' and the file, no secret"

# hostile keys: a newline, invalid UTF-8 (percent-encoded on the wire), 1 KB
s3 putkey "'odd/line\nbreak'" 10
s3 putkey "b'odd/\\xff\\xfe-latin1'" 10
# (s3rver keeps keys as file names: a 1 KB key in 200-byte components)
k200=$(printf 'k%.0s' $(seq 200))
s3 putkey "'odd/$k200/$k200/$k200/$k200/$k200/x'" 10
wait_for 30 "hostile keys counted" rrd_is 1203 1200030
ok "keys with a newline, invalid UTF-8 and 1 KB are counted"

# an unexplained deletion: the drop alert
sleep 2 # a few complete samples: the detector has a previous total
s3 del clip/ 100
wait_for 30 "the deletion in RRD" rrd_is 1103 1100030
wait_for 30 "a drop alert" has_open_alert drop
id=$(open_alert_of_kind drop)
lost() { ctl alerts --json | json_get "[a['lost_objects'] for a in j['alerts'] if a['id']==$id][0]"; }
lost_is() { local l; l=$(lost); [ "${l%.*}" = "$1" ]; }
# the deletions may straddle two listings: the episode's loss grows to all of them
wait_for 20 "alert $id to count 100 objects lost (now $(lost))" lost_is 100
ok "100 objects deleted from the bucket: drop alert $id, 100 objects lost"

# the server stops in the middle of a listing: partial, no new alert
s3 put more/ 1500 1000 # three pages at 4 requests a second: a listing takes ~0.75 s
wait_for 40 "2603 objects" rrd_is 2603 2600030
alerts_before=$(ctl alerts --all --json | json_get "len(j['alerts'])")
n=$(grep -c "listed bucket 'footage'" "$T/agent.log")
listed_more() { [ "$(grep -c "listed bucket 'footage'" "$T/agent.log")" -gt "$n" ]; }
wait_for 20 "a listing ends" listed_more
sleep 0.6
stop "$S3_PID" KILL
wait_for 60 "a partial listing" grep -q "objstore: store 'footage': listing of bucket 'footage' is PARTIAL" "$T/agent.log"
wait_for 20 "the collector sees it partial" field_is footage scan partial
grep "store 'footage': listing of bucket 'footage' is PARTIAL" "$T/agent.log" | head -n 1
sleep 3
[ "$(ctl alerts --all --json | json_get "len(j['alerts'])")" = "$alerts_before" ] ||
	fail "a stopped server raised an alert: $(ctl alerts --all)"
last=$(rrd_last "$rrd" objects)
[ -z "$last" ] || [ "$last" -ge 2603 ] || fail "the partial listing stored a smaller total: $last"
ok "server stopped mid-listing: PARTIAL, no drop, no new alert"

# the server comes back with its data: complete again, totals as before
s3rver_start "$s3port" footage
wait_for 60 "complete again" field_is footage scan complete
wait_for 20 "totals as before" rrd_is 2603 2600030
[ "$(ctl alerts --all --json | json_get "len(j['alerts'])")" = "$alerts_before" ] ||
	fail "the return raised an alert"
ok "server back: complete, 2603 objects, no alert"

stop "$AGENT"
grep -q "agent: stopped" "$T/agent.log" || fail "agent did not stop cleanly"
ok "agent stops cleanly with listings in flight"
