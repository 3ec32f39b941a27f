#!/usr/bin/env bash
# test_alerts.sh - the live alert pipeline end to end, with real daemons:
# a real agent watches a store, files are deleted behind its back, the
# collector's detector raises an alert visible in `shrinkwatchctl alerts`
# and delivered to an exec notifier; an unauthorised user (nobody) may read
# but is refused ack and explain (and the refusal is audited); root
# acknowledges and explains it after the fact; a deletion declared ahead
# raises nothing; a restart and a kill -9 keep alerts and explanations; a
# stopped agent raises silence, and its return resolves it; every operator
# action is in the audit log.
. "$(dirname "$0")/lib.sh"

CTL="$BUILD/shrinkwatchctl"
sock=$T/control.sock
port=$(free_port)
chmod 0755 "$T" # nobody must reach the socket to be refused by the collector
mkdir -p "$T/store" "$T/data" "$T/state"
for i in $(seq 60); do head -c 20000 /dev/urandom >"$T/store/clip$i.mp4"; done

# the purge hour far from now, so no purge window explains our deletions
purge_hour=$(( (10#$(date -u +%H) + 12) % 24 ))
exec_notifier "$T/notify.sh"
collector_conf "$T/collector.conf" "$port" "$T/data" "control = $sock
control_mode = 0666
admin_group = shrinkwatch-test-nonexistent
repeat_interval = 1h
[detect]
interval = 1s
silence_intervals = 3
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
ctl_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$CTL" --socket "$sock" "$@"; }
# json_get EXPR: evaluates a python expression on the JSON from stdin (j)
json_get() { python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"; }
open_alert_of_kind() { # prints the id of the open alert of kind $1
	ctl alerts --json | json_get "next((a['id'] for a in j['alerts'] if a['kind']=='$1'), '')"
}
has_open_alert() { [ -n "$(open_alert_of_kind "$1")" ]; }
alert_state() { ctl alerts --all --json | json_get "[a['state'] for a in j['alerts'] if a['id']==$1][0]"; }
state_is() { [ "$(alert_state "$1")" = "$2" ]; }

start collector "$BUILD/shrinkwatch-collector" -c "$T/collector.conf"
COLL=$LAST_PID
wait_for 10 "control socket" test -S "$sock"
start agent "$BUILD/shrinkwatch-agent" -c "$T/agent.conf"
AGENT=$LAST_PID
stored() { ctl status --json | json_get "[s['objects'] for s in j['stores'] if s['store']=='bodycam'][0]"; }
stored_is() { [ "$(stored)" = "$1" ]; }
wait_for 20 "first samples stored" stored_is 60
sleep 3 # a few complete samples: the detector has a previous total
ctl status | grep -q 'evsrv01/bodycam' || fail "status does not list the store"
ok "status lists the store"

# --- an unexplained drop ------------------------------------------------
rm -f "$T"/store/clip{1..6}.mp4
wait_for 20 "a drop alert" has_open_alert drop
id=$(open_alert_of_kind drop)
ctl alerts | grep -E "^$id +firing +critical +drop +evsrv01/bodycam" >/dev/null ||
	fail "alerts table: $(ctl alerts)"
lost=$(ctl alerts --json | json_get "[a['lost_objects'] for a in j['alerts'] if a['id']==$id][0]")
[ "${lost%.*}" = 6 ] || fail "alert $id lost $lost objects, want 6"
ok "drop alert $id firing, 6 objects lost"
delivered() { grep -q -- "--- firing" "$T/exec.out" 2>/dev/null; }
wait_for 10 "exec notifier got the firing alert" delivered
grep -q "\"id\":$id," "$T/exec.out" || fail "exec notifier's JSON lacks the alert id"
ok "exec notifier received the alert as JSON"
sleep 3
[ "$(ctl alerts --json | json_get "len([a for a in j['alerts'] if a['kind']=='drop'])")" = 1 ] ||
	fail "more than one drop alert for one episode"
ok "one alert per episode"

# --- permissions --------------------------------------------------------
ctl_nobody alerts | grep -q "^$id " || fail "nobody cannot read alerts"
if ctl_nobody ack "$id" --comment "not mine" 2>"$T/nobody.err"; then fail "nobody could ack"; fi
grep -q "permission denied" "$T/nobody.err" || fail "no clear refusal: $(cat "$T/nobody.err")"
if ctl_nobody explain --alert "$id" --reason "hide it" 2>/dev/null; then fail "nobody could explain"; fi
state_is "$id" firing || fail "a refused ack changed the alert"
ok "nobody may read but not ack or explain"

# --- ack, explain after the fact ----------------------------------------
ctl ack "$id" --comment "on it, checking the evidence share" | grep -q "acknowledged alert $id"
state_is "$id" acknowledged || fail "alert $id not acknowledged: $(alert_state "$id")"
if ctl ack "$id" --comment again 2>/dev/null; then fail "acked twice"; fi
ok "alert $id acknowledged"
ctl explain --alert "$id" --reason "case 4711 closed, clips released by court order" >/dev/null
state_is "$id" explained || fail "alert $id not explained: $(alert_state "$id")"
has_open_alert drop && fail "an explained alert is still open"
explained_notified() { grep -q -- "--- explained" "$T/exec.out" 2>/dev/null; }
wait_for 10 "exec notifier got the explanation" explained_notified
ok "alert $id explained after the fact and notified"

# --- a deletion declared ahead raises nothing ---------------------------
ctl explain evsrv01/bodycam --from -1m --to +10m --bytes 1M --objects 20 \
	--reason "retention job for case 4712" >"$T/ahead.out"
ahead=$(awk '{print $3}' "$T/ahead.out")
ctl explanations | grep -E "^$ahead +evsrv01/bodycam" >/dev/null || fail "explanations: $(ctl explanations)"
rm -f "$T"/store/clip{7..11}.mp4
wait_for 20 "store shrank to 49" stored_is 49
sleep 3
has_open_alert drop && fail "a declared deletion raised an alert: $(ctl alerts)"
ok "a declared deletion raises no alert"
ctl revoke "$ahead" --reason "job finished" | grep -q "revoked explanation $ahead"
ctl explanations --all | grep -E "^$ahead .* revoked" >/dev/null || fail "revoke not shown"
if ctl revoke "$ahead" --reason again 2>/dev/null; then fail "revoked twice"; fi
ok "explanation $ahead revoked"

# --- restarts keep everything -------------------------------------------
stop "$COLL" TERM
start collector2 "$BUILD/shrinkwatch-collector" -c "$T/collector.conf"
COLL=$LAST_PID
wait_for 10 "control socket after restart" test -S "$sock"
state_is "$id" explained || fail "restart lost alert $id"
ctl explanations --all | grep -E "^$ahead .* revoked" >/dev/null || fail "restart lost explanation"
stop "$COLL" KILL
rm -f "$sock"
start collector3 "$BUILD/shrinkwatch-collector" -c "$T/collector.conf"
COLL=$LAST_PID
wait_for 10 "control socket after kill -9" test -S "$sock"
state_is "$id" explained || fail "kill -9 lost alert $id"
ok "alerts and explanations survive a restart and kill -9"

# --- silence: the dead man's switch -------------------------------------
wait_for 20 "the agent is back" stored_is 49
stop "$AGENT" TERM
wait_for 20 "a silence alert" has_open_alert silence
sid=$(open_alert_of_kind silence)
ok "silence alert $sid when the agent stopped"
start agent2 "$BUILD/shrinkwatch-agent" -c "$T/agent.conf"
AGENT=$LAST_PID
silence_resolved() { state_is "$sid" resolved; }
wait_for 20 "silence resolved" silence_resolved
ok "silence resolved when samples came back"

# --- the audit trail ----------------------------------------------------
ctl audit >"$T/audit.txt"
for action in alert-fired refused ack explain alert-explained revoke alert-resolved; do
	grep -qE "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z +[^ ]+ +$action " "$T/audit.txt" || fail "audit lacks '$action': $(cat "$T/audit.txt")"
done
grep -qE " nobody +refused " "$T/audit.txt" || fail "refusal not attributed to nobody"
grep -qE " root +ack +alert $id " "$T/audit.txt" || fail "ack not attributed to root"
[ "$(ctl audit --since +1h --json | json_get "len(j['audit'])")" = 0 ] || fail "audit --since"
ok "every action is in the audit log, with who"
