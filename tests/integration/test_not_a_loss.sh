#!/usr/bin/env bash
# test_not_a_loss.sh - operator feedback end to end, with real daemons: a
# real agent watches a store, files are deleted behind its back and a drop
# alert fires; root says `ack ID --not-a-loss --comment ...`; the alert
# closes as not-a-loss, visible in `shrinkwatchctl alerts`, the API and the
# dashboard, notified to an exec notifier, in the audit log with who and the
# comment; the store's detector learned it: after a restart the same loss
# again raises nothing, three times it still alerts.
. "$(dirname "$0")/lib.sh"

CTL="$BUILD/shrinkwatchctl"
sock=$T/control.sock
port=$(free_port)
hport=$(free_port)
mkdir -p "$T/store" "$T/data" "$T/state"
for i in $(seq 80); do head -c 20000 /dev/urandom >"$T/store/clip$i.mp4"; done

# the purge hour far from now, so no purge window explains our deletions
purge_hour=$(( (10#$(date -u +%H) + 12) % 24 ))
exec_notifier "$T/notify.sh"
collector_conf "$T/collector.conf" "$port" "$T/data" "control = $sock
control_mode = 0600
http = 127.0.0.1:$hport
[detect]
interval = 1s
silence_intervals = 30
purge_at = $(printf %02d "$purge_hour"):00
purge_window = 1m
drop_min_bytes = 1k
drop_min_objects = 2
resolve_after = 100000
[notify oncall]
type = exec
command = $T/notify.sh
min_severity = warning"
agent_conf "$T/agent.conf" evsrv01 "$port" "$T/state" 1s "bodycam=$T/store"

ctl() { "$CTL" --socket "$sock" "$@"; }
json_get() { python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"; }
open_alert_of_kind() {
	ctl alerts --json | json_get "next((a['id'] for a in j['alerts'] if a['kind']=='$1'), '')"
}
has_open_alert() { [ -n "$(open_alert_of_kind "$1")" ]; }
alert_state() { ctl alerts --all --json | json_get "[a['state'] for a in j['alerts'] if a['id']==$1][0]"; }
stored() { ctl status --json | json_get "[s['objects'] for s in j['stores'] if s['store']=='bodycam'][0]"; }
stored_is() { [ "$(stored)" = "$1" ]; }
# the store's last sample time; samples come every second
last_sample() { ctl status --json | json_get "[s['last_time'] for s in j['stores'] if s['store']=='bodycam'][0]"; }
sampled_past() { [ "$(last_sample)" -ge "$1" ]; }
# quiet_for N: N more seconds of samples arrive and no drop alert opens
quiet_for() {
	local until=$(( $(last_sample) + $1 ))
	wait_for 30 "$1 more seconds of samples" sampled_past "$until"
	! has_open_alert drop
}

start collector "$BUILD/shrinkwatch-collector" -c "$T/collector.conf"
COLL=$LAST_PID
wait_for 10 "control socket" test -S "$sock"
start agent "$BUILD/shrinkwatch-agent" -c "$T/agent.conf"
wait_for 20 "first samples stored" stored_is 80
quiet_for 3 || fail "an alert before anything was deleted: $(ctl alerts)"

# --- a drop an operator knows to be normal ------------------------------
rm -f "$T"/store/clip{1..6}.mp4
wait_for 20 "a drop alert" has_open_alert drop
id=$(open_alert_of_kind drop)
ok "drop alert $id firing"
if ctl ack "$id" --not-a-loss 2>"$T/nocomment.err"; then fail "not-a-loss without a comment"; fi
grep -q -- "--comment" "$T/nocomment.err" || fail "no clear usage error: $(cat "$T/nocomment.err")"
if ctl revoke 1 --not-a-loss --reason x 2>/dev/null; then fail "--not-a-loss taken by revoke"; fi
ctl ack "$id" --not-a-loss --comment "nightly re-index <job> of case 4711" >"$T/ack.out"
grep -q "not a loss: closed alert $id" "$T/ack.out" || fail "ack said: $(cat "$T/ack.out")"
[ "$(alert_state "$id")" = not-a-loss ] || fail "alert $id is $(alert_state "$id")"
has_open_alert drop && fail "the alert stays open: $(ctl alerts)"
ctl alerts --all >"$T/alerts.txt"
grep -qE "^$id +not-a-loss +critical +drop " "$T/alerts.txt" || fail "alerts: $(cat "$T/alerts.txt")"
grep -qE "not a loss, said root at .*: nightly re-index <job> of case 4711" "$T/alerts.txt" ||
	fail "alerts does not say who and why: $(cat "$T/alerts.txt")"
if ctl ack "$id" --not-a-loss --comment again 2>"$T/twice.err"; then fail "said twice"; fi
grep -q "already not-a-loss" "$T/twice.err" || fail "twice: $(cat "$T/twice.err")"
ok "alert $id closed as not-a-loss, shown with who and why"

notified() { grep -q -- "--- not-a-loss" "$T/exec.out" 2>/dev/null; }
wait_for 10 "the notifier got the not-a-loss" notified
sed -n '/^--- not-a-loss/,$p' "$T/exec.out" |
	grep -qF '"ack_comment":"nightly re-index \u003cjob\u003e of case 4711"' ||
	fail "notification lacks the comment: $(cat "$T/exec.out")"
sed -n '/^--- not-a-loss/,$p' "$T/exec.out" | grep -q '"transition":"not-a-loss"' ||
	fail "notification lacks the transition"
ok "the resolve notification says not-a-loss"

U="http://127.0.0.1:$hport"
curl -sS --max-time 20 "$U/api/v1/alerts?state=all" >"$T/api.json"
python3 -c "
import json,sys
a=[a for a in json.load(open('$T/api.json'))['alerts'] if a['id']==$id][0]
assert a['state']=='not-a-loss' and a['ack_by']=='root' and a['ack_at'], a
assert a['ack_comment']=='nightly re-index <job> of case 4711', a
" || fail "API: $(cat "$T/api.json")"
curl -sS --max-time 20 "$U/alert/$id" >"$T/page.html"
grep -q 'st-not-a-loss' "$T/page.html" && grep -q '<dt>Not a loss</dt>' "$T/page.html" &&
	grep -q 'nightly re-index &lt;job&gt; of case 4711' "$T/page.html" ||
	fail "the dashboard does not show it: $(cat "$T/page.html")"
ok "API and dashboard show not-a-loss with who and the (escaped) comment"

ctl audit >"$T/audit.txt"
grep -qE " root +not-a-loss +alert $id .*nightly re-index <job> of case 4711" "$T/audit.txt" ||
	fail "audit: $(cat "$T/audit.txt")"
ok "audited with who, when and the comment"

# --- the detector learned it, across a restart ---------------------------
stop "$COLL" TERM
start collector2 "$BUILD/shrinkwatch-collector" -c "$T/collector.conf"
COLL=$LAST_PID
wait_for 10 "control socket after restart" test -S "$sock"
wait_for 20 "the agent is back" stored_is 74
rm -f "$T"/store/clip{7..12}.mp4
wait_for 20 "store shrank to 68" stored_is 68
quiet_for 5 || fail "the same loss alerted again: $(ctl alerts)"
ok "the same loss again raises nothing (after a restart)"
rm -f "$T"/store/clip{13..30}.mp4
wait_for 20 "a drop alert for three times the loss" has_open_alert drop
ok "three times the loss still alerts"
