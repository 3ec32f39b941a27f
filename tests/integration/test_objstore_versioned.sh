#!/usr/bin/env bash
# test_objstore_versioned.sh - a versioned S3 bucket end to end: objects
# deleted from it leave delete markers, the agent's samples carry them with
# the noncurrent versions and the listing's request count (protocol v3), and
# the collector's drop alert and its notification say the deletion is recoverable ("N delete
# markers appeared: the objects are recoverable as noncurrent versions");
# `shrinkwatchctl status` and /metrics show the markers, the noncurrent
# versions and shrinkwatch_store_list_requests_total.  The bucket is
# objstore_versioned.py on 127.0.0.1 (s3rver has no versioning).
. "$(dirname "$0")/lib.sh"

CTL="$BUILD/shrinkwatchctl"
s3port=$(free_port)
port=$(free_port)
hport=$(free_port)
sock=$T/control.sock
state() { # OBJECTS DELETED PURGED
	printf '{"objects": %s, "deleted": %s, "purged": %s}\n' "$1" "$2" "$3" >"$T/bucket.new"
	mv "$T/bucket.new" "$T/bucket.json"
}
state 1500 0 0
LOG=$T/requests start bucket python3 "$(dirname "$0")/objstore_versioned.py" "$s3port" "$T/bucket.json"
wait_for 10 "versioned S3 server" python3 -c "import socket; socket.create_connection(('127.0.0.1', $s3port), 1)"
printf '[default]\naws_access_key_id = AK\naws_secret_access_key = SK\n' >"$T/s3.cred"
chmod 600 "$T/s3.cred"

purge_hour=$(( (10#$(date -u +%H) + 12) % 24 ))
exec_notifier "$T/notify.sh"
collector_conf "$T/collector.conf" "$port" "$T/data" "control = $sock
http = 127.0.0.1:$hport
[detect]
interval = 1s
purge_at = $(printf %02d "$purge_hour"):00
purge_window = 1m
drop_min_bytes = 1k
drop_min_objects = 2
resolve_after = 100000
[notify oncall]
type = exec
command = $T/notify.sh
min_severity = warning"
agent_conf "$T/agent.conf" veragent "$port" "$T/state" 1s
cat >>"$T/agent.conf" <<CONF
[store footage]
type = s3
endpoint = http://127.0.0.1:$s3port
bucket = footage
credentials = $T/s3.cred
versions = yes
list_interval = 1s
CONF

ctl() { "$CTL" --socket "$sock" "$@"; }
json_get() { python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"; }
field() { ctl status --json | json_get "[s.get('$1') for s in j['stores'] if s['store']=='footage'][0]"; }
field_is() { [ "$(field "$1")" = "$2" ]; }
alert_summary() {
	ctl alerts --json | json_get "next((a['summary'] for a in j['alerts'] if a['kind']=='$1'), '')"
}
has_open_alert() { [ -n "$(alert_summary "$1")" ]; }
metric() { curl -sS --max-time 5 "http://127.0.0.1:$hport/metrics" |
	awk -v m="$1{agent=\"veragent\",store=\"footage\"}" '$1 == m { print $2 }'; }

start collector "$BUILD/shrinkwatch-collector" -c "$T/collector.conf"
wait_for 10 "control socket" test -S "$sock"
start agent "$BUILD/shrinkwatch-agent" -c "$T/agent.conf" -v
AGENT=$LAST_PID
wait_for 40 "1500 objects in the collector" field_is objects 1500
wait_for 10 "the bucket known as versioned" field_is versioned True
[ "$(field delete_markers)" = 0 ] || fail "markers before any deletion: $(field delete_markers)"
# 1,500 versions take two pages
grep -q "objstore: store 'footage': listed bucket 'footage': 1500 objects, 1500000 bytes, .* in 2 requests" \
	"$T/agent.log" || fail "no two-page listing: $(grep objstore "$T/agent.log" | tail -n 3)"
ok "a versioned bucket of 1500 objects: complete, 2 requests a listing, versioned in the status"

# listing requests reach the collector: a counter that grows with the listings
wait_for 10 "list requests in /metrics" test -n "$(metric shrinkwatch_store_list_requests_total)"
r1=$(metric shrinkwatch_store_list_requests_total)
grows() { [ "$(metric shrinkwatch_store_list_requests_total)" -gt "$r1" ]; }
wait_for 20 "the request counter to grow past $r1" grows
ok "shrinkwatch_store_list_requests_total{store=\"footage\"} counts listing requests ($r1, then more)"

# 120 objects deleted the versioned way: the drop alert says they are recoverable
sleep 2 # a few complete samples: the detector has a previous total
state 1500 120 0
wait_for 30 "1380 objects in the collector" field_is objects 1380
wait_for 30 "a drop alert" has_open_alert drop
sum=$(alert_summary drop)
echo "$sum"
case $sum in
*"120 delete markers appeared: the objects are recoverable as noncurrent versions"*) ;;
*) fail "the alert does not say the deletion is recoverable: $sum" ;;
esac
grep -q "alert: .* drop firing on 'veragent/footage'.*120 delete markers appeared: the objects are recoverable" \
	"$T/collector.log" || fail "the collector's alert log line lacks the note"
notified() { grep -q "^--- firing .*120 delete markers appeared: the objects are recoverable as noncurrent versions" \
	"$T/exec.out" 2>/dev/null; }
wait_for 20 "the notification to say recoverable" notified
ok "120 objects deleted from a versioned bucket: the drop alert and its notification say 120 delete markers appeared, recoverable"

[ "$(field delete_markers)" = 120 ] && [ "$(field noncurrent_objects)" = 120 ] &&
	[ "$(field noncurrent_bytes)" = 120000 ] || fail "status: $(ctl status --json)"
ctl status >"$T/status.txt"
grep -q "versioned: 120 delete markers, 120 noncurrent versions (.*) can be restored" "$T/status.txt" ||
	fail "status text: $(cat "$T/status.txt")"
grep -q "listing requests" "$T/status.txt" || fail "status text: $(cat "$T/status.txt")"
[ "$(metric shrinkwatch_store_delete_markers)" = 120 ] && [ "$(metric shrinkwatch_store_noncurrent_objects)" = 120 ] ||
	fail "metrics: $(curl -sS "http://127.0.0.1:$hport/metrics" | grep -E 'delete_markers|noncurrent')"
if command -v promtool >/dev/null; then
	curl -sS --max-time 5 "http://127.0.0.1:$hport/metrics" | promtool check metrics ||
		fail "promtool check metrics"
fi
ok "status and /metrics show 120 delete markers and 120 noncurrent versions"

stop "$AGENT"
grep -q "agent: stopped" "$T/agent.log" || fail "agent did not stop cleanly"
