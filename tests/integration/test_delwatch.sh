#!/usr/bin/env bash
# test_delwatch.sh - deletion reports end to end, with real daemons: an agent
# watching its store with fanotify (deletion_watch = yes) sees a known
# process `rm -rf` a subtree, reports who did it, and the collector's drop
# alert names the executable, the pid, the uid and the file count (in
# `shrinkwatchctl alerts --json` and `shrinkwatchctl deletions`).  Then the
# collector is killed (-9), a second subtree is deleted while it is down,
# and the report still arrives after the restart, exactly once; then the
# agent is killed (-9) between a report and its delivery (the collector is
# down), and after both restart the report still arrives (the agent's
# deletion journal), exactly once.  Skipped
# where fanotify cannot watch (no CAP_SYS_ADMIN, Linux < 5.9).
. "$(dirname "$0")/lib.sh"

CTL="$BUILD/shrinkwatchctl"
sock=$T/control.sock
port=$(free_port)
hport=$(free_port)
mkdir -p "$T/data" "$T/state" "$T/store/2023/08/01/case1" "$T/store/2023/09/02/case2" \
	"$T/store/2023/10"
for i in $(seq 40); do head -c 20000 /dev/urandom >"$T/store/2023/08/01/case1/clip$i.mp4"; done
for i in $(seq 25); do head -c 20000 /dev/urandom >"$T/store/2023/09/02/case2/clip$i.mp4"; done
for i in $(seq 30); do head -c 20000 /dev/urandom >"$T/store/2023/10/keep$i.mp4"; done
# a deleting program with a name of its own, so the alert can be checked for it
cp "$(command -v rm)" "$T/evidence-rm"

purge_hour=$(( (10#$(date -u +%H) + 12) % 24 ))
collector_conf "$T/collector.conf" "$port" "$T/data" "control = $sock
http = 127.0.0.1:$hport
[detect]
interval = 1s
purge_at = $(printf %02d "$purge_hour"):00
purge_window = 1m
drop_min_bytes = 1k
drop_min_objects = 2
resolve_after = 100000"
agent_conf "$T/agent.conf" evsrv01 "$port" "$T/state" 1s "bodycam=$T/store"
echo "deletion_watch = yes" >>"$T/agent.conf" # in [store bodycam], the last section

ctl() { "$CTL" --socket "$sock" "$@"; }
json_get() { python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"; }
attributions() { ctl alerts --all --json | json_get "'\n'.join(a['attribution'] or '' for a in j['alerts'] if a['store']=='bodycam')"; }
attributed() { attributions | grep -qF -- "$1"; }
reports_of() { ctl deletions evsrv01 bodycam --json | json_get "sum(d['files'] for d in j['deletions'] if d['pid']==$1)"; }
reported() { [ "$(reports_of "$1")" = "$2" ]; }
# the files the agent's log says it reported for a pid (a deletion may be
# reported in two parts when it spans the watch's batching window)
agent_reported() { [ "$(grep -o "[0-9]* files, [0-9]* directories deleted under .* by pid $1 " "$T/$3" |
	awk '{ n += $1 } END { print n + 0 }')" -ge "$2" ]; }
stored() { ctl status --json | json_get "[s['objects'] for s in j['stores'] if s['store']=='bodycam'][0]"; }
stored_is() { [ "$(stored)" = "$1" ]; }

start collector "$BUILD/shrinkwatch-collector" -c "$T/collector.conf"
COLL=$LAST_PID
wait_for 10 "control socket" test -S "$sock"
start agent "$BUILD/shrinkwatch-agent" -c "$T/agent.conf"
AGENT=$LAST_PID
watching() { grep -q "delwatch: store 'bodycam': watching deletions" "$T/agent.log"; }
refused() { ! kill -0 "$AGENT" 2>/dev/null; }
wait_for 10 "the agent watches or refuses" bash -c "grep -q 'delwatch: store .bodycam.: watching' '$T/agent.log' || ! kill -0 $AGENT"
if ! watching; then
	grep -q "cannot be watched" "$T/agent.log" || fail "agent died: $(cat "$T/agent.log")"
	echo "test_delwatch: SKIP (fanotify unavailable: $(grep -o 'cannot be watched.*' "$T/agent.log"))"
	exit 0
fi
grep -q "protocol 3" "$T/collector.log" || wait_for 10 "a version-3 session" grep -q "protocol 3" "$T/collector.log"
wait_for 20 "first samples stored" stored_is 95
sleep 3 # a few complete samples: the detector has a previous total
ok "agent watches deletions and speaks protocol 3 (deletion reports came with 2)"

# --- a known process deletes a subtree ---------------------------------
"$T/evidence-rm" -rf "$T/store/2023/08" &
rm1=$!
wait "$rm1"
wait_for 20 "a drop alert naming pid $rm1" attributed "by pid $rm1 $T/evidence-rm uid 0"
attributed "40 files, " || fail "attribution lacks the file count and bytes: $(attributions)"
attributed "deleted under 2023/08/ by pid $rm1" || fail "attribution lacks the directory: $(attributions)"
ctl alerts | grep -q "deleted: 40 files" || fail "ctl alerts table lacks the attribution: $(ctl alerts)"
reported "$rm1" 40 || fail "deletion reports of pid $rm1: $(ctl deletions)"
ctl deletions evsrv01 | grep -E "2023/08/ +$rm1 +0 +$T/evidence-rm" >/dev/null ||
	fail "ctl deletions: $(ctl deletions)"
id=$(ctl alerts --json | json_get "[a['id'] for a in j['alerts'] if 'pid $rm1' in (a['attribution'] or '')][0]")
curl -sS --max-time 10 "http://127.0.0.1:$hport/api/v1/alerts?state=all" | grep -qF "by pid $rm1 $T/evidence-rm uid 0" ||
	fail "/api/v1/alerts lacks the attribution"
curl -sS --max-time 10 "http://127.0.0.1:$hport/alert/$id" | grep -qF "<dt>Deleted by</dt><dd>40 files" ||
	fail "/alert/$id lacks the attribution"
ok "the drop alert names pid $rm1 $T/evidence-rm uid 0 and 40 files (ctl, API, alert page)"

# --- the collector dies; a deletion while it is down -------------------
stop "$COLL" KILL
"$T/evidence-rm" -rf "$T/store/2023/09" &
rm2=$!
wait "$rm2"
wait_for 10 "the agent reports pid $rm2's 25 files" agent_reported "$rm2" 25 agent.log
sleep 2 # the agent tries to send it (and cannot)
start collector2 "$BUILD/shrinkwatch-collector" -c "$T/collector.conf"
COLL=$LAST_PID
wait_for 20 "the report of pid $rm2 after the restart" reported "$rm2" 25
wait_for 20 "an alert naming pid $rm2" attributed "by pid $rm2 $T/evidence-rm uid 0"
ok "a report made while the collector was down arrives after its restart"
sleep 3
reported "$rm1" 40 || fail "pid $rm1's report stored more than once: $(reports_of "$rm1") files"
reported "$rm2" 25 || fail "pid $rm2's report stored more than once: $(reports_of "$rm2") files"
ok "resent reports are stored once"

# --- a report, then the agent dies before any collector has it -----------
stop "$COLL" KILL
"$T/evidence-rm" -rf "$T/store/2023/10" &
rm3=$!
wait "$rm3"
# all of it reported (else a kill -9 takes the second part of a report
# split across the batching window: the agent had not yet seen it)
wait_for 10 "the agent reports pid $rm3's 30 files" agent_reported "$rm3" 30 agent.log
stop "$AGENT" KILL
start agent2 "$BUILD/shrinkwatch-agent" -c "$T/agent.conf"
AGENT=$LAST_PID
wait_for 10 "the agent reads its journal back" grep -q "deletion reports from before the restart are sent again" "$T/agent2.log"
start collector3 "$BUILD/shrinkwatch-collector" -c "$T/collector.conf"
COLL=$LAST_PID
wait_for 30 "the report of pid $rm3 after the agent's restart" reported "$rm3" 30
sleep 3
reported "$rm1" 40 || fail "pid $rm1's report stored more than once: $(reports_of "$rm1") files"
reported "$rm2" 25 || fail "pid $rm2's report stored more than once: $(reports_of "$rm2") files"
reported "$rm3" 30 || fail "pid $rm3's report stored more than once: $(reports_of "$rm3") files"
ok "a report made before the agent was killed arrives after its restart, once"

stop "$AGENT"
stop "$COLL"
ok "daemons stopped cleanly"
