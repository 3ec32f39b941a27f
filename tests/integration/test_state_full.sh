#!/usr/bin/env bash
# test_state_full.sh - the agent's state_dir full must not hide a loss
# (issue 16, item 1).  The state_dir is a small tmpfs; once the agent's
# samples reach the collector, the tmpfs is filled with dd.  During the
# outage 20 files are deleted and 20 others created (100 -> 100 objects).
# The agent says once that it cannot record, does not reuse the failed
# round's seqs (the collector logs the missing ones), and when space returns
# says so once with a summary; its first sample counts the 20 new files as
# added, so the collector's detector sees 20 files lost and raises an alert.
# Needs root for the tmpfs (skipped otherwise).
. "$(dirname "$0")/lib.sh"

MNT=$T/statefs
umount_state() { mountpoint -q "$MNT" 2>/dev/null && umount "$MNT" || true; }
cleanup_after_daemons() { umount_state; }
mkdir -p "$MNT"
if ! mount -t tmpfs -o size=2m tmpfs "$MNT" 2>/dev/null; then
	echo "test_state_full: SKIP (cannot mount a tmpfs: needs root)"
	exit 0
fi

CTL="$BUILD/shrinkwatchctl"
sock=$T/control.sock
port=$(free_port)
mkdir -p "$T/store" "$T/data" "$MNT/state"
for i in $(seq 100); do head -c 20000 /dev/urandom >"$T/store/clip$i.mp4"; done
purge_hour=$(( (10#$(date -u +%H) + 12) % 24 ))
collector_conf "$T/collector.conf" "$port" "$T/data" "control = $sock
[detect]
interval = 1s
silence_intervals = 100000
purge_at = $(printf %02d "$purge_hour"):00
purge_window = 1m
drop_min_bytes = 1k
drop_min_objects = 2
resolve_after = 100000"
agent_conf "$T/agent.conf" evsrv01 "$port" "$MNT/state" 1s "bodycam=$T/store"

ctl() { "$CTL" --socket "$sock" "$@"; }
json_get() { python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"; }
stored() { ctl status --json | json_get "[s['objects'] for s in j['stores'] if s['store']=='bodycam'][0]"; }
stored_is() { [ "$(stored)" = "$1" ]; }
alerts() { ctl alerts --json | json_get "' '.join(a['kind'] for a in j['alerts'])"; }
loss_alert() { alerts | grep -Eqw "drop|object_loss"; }
count() { grep -c "$1" "$2" || true; }

start collector "$BUILD/shrinkwatch-collector" -v -c "$T/collector.conf"
wait_for 10 "control socket" test -S "$sock"
start agent "$BUILD/shrinkwatch-agent" -v -c "$T/agent.conf"
AGENT=$LAST_PID
wait_for 20 "first samples stored" stored_is 100
state_seq() { awk '$1 == "seq" { print $2 }' "$MNT/state/agent.state"; }
seq_above() { [ "$(state_seq)" -gt "$1" ]; }
s0=$(state_seq)
wait_for 20 "a few complete samples" seq_above $((s0 + 2))
[ -z "$(alerts)" ] || fail "alerts before the outage: $(alerts)"

dd if=/dev/zero of="$MNT/filler" bs=64k 2>/dev/null || true
wait_for 90 "the agent says it cannot record (once the slack in the spool's last page is used)" grep -q "cannot write samples to the spool" "$T/agent.log"
rm -f "$T"/store/clip{1..20}.mp4
for i in $(seq 101 120); do head -c 20000 /dev/urandom >"$T/store/clip$i.mp4"; done
[ "$(find "$T/store" -type f | wc -l)" = 100 ] || fail "the store does not hold 100 files"
rounds_lost() { grep -q "spool still not writable .*; [3-9][0-9]* rounds not recorded" "$T/agent.log"; }
wait_for 30 "three rounds not recorded after the swap" rounds_lost
rm -f "$MNT/filler"
wait_for 30 "the agent says the spool takes samples again" grep -q "takes samples again" "$T/agent.log"
[ "$(count "cannot write samples to the spool" "$T/agent.log")" = 1 ] ||
	fail "the outage was logged $(count "cannot write samples to the spool" "$T/agent.log") times"
[ "$(count "takes samples again" "$T/agent.log")" = 1 ] || fail "the summary was logged more than once"
if grep "spool: cannot append" "$T/agent.log" | grep -qv " debug: "; then
	fail "the spool logs every failed round above debug level"
fi
ok "outage logged once, summary once: $(grep -o "takes samples again.*" "$T/agent.log" | cut -c1-120)..."

wait_for 30 "the collector sees the missing seqs" grep -q "seqs [0-9]*-[0-9]* never arrived" "$T/collector.log"
ok "seqs not reused: $(grep -o "seqs [0-9]*-[0-9]* never arrived" "$T/collector.log" | head -1)"
wait_for 30 "an alert for the 20 files lost during the outage" loss_alert
ok "alert after the outage: $(alerts)"
kill -0 "$AGENT" || fail "the agent died"
stop "$AGENT"
