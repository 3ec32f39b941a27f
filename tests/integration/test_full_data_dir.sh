#!/usr/bin/env bash
# test_full_data_dir.sh - a loss while the collector's data_dir is full is
# still alerted.  The data directory is a small tmpfs; an exec notifier
# writes outside it.  Twice: the tmpfs is filled while an agent sends, 20
# files are deleted at the agent, the collector is restarted while the disk
# is still full, space is freed; each drop must be in the ledger and
# notified.  The first time a single dd fills the disk once: the ledger's
# reserve (released when the ledger is full) lets the collector go on.  The
# second time a filler takes every block as soon as it is free (the reserve
# too): the loss reaches the RRD but not the detector, the restart finds
# the ledger unable to open (refused with a clear message), and once space
# returns the detector derives the drop from the stored samples the saved
# state missed: recorded and notified.
# Needs root to mount the tmpfs: skipped (exit 0, said so) without it.
. "$(dirname "$0")/lib.sh"

MNT=$T/full
umount_full() { mountpoint -q "$MNT" 2>/dev/null && umount "$MNT" || true; }
cleanup_after_daemons() { umount_full; }
mkdir -p "$MNT"
if ! mount -t tmpfs -o size=192m tmpfs "$MNT" 2>/dev/null; then
	echo "skip - cannot mount a tmpfs here (needs root and mount privilege)"
	exit 0
fi

CTL=$BUILD/shrinkwatchctl
sock=$T/control.sock
port=$(free_port)
mkdir -p "$T/store" "$T/state"
for i in $(seq 60); do head -c 4096 /dev/urandom >"$T/store/clip$i.mp4"; done
purge_hour=$(( (10#$(date -u +%H) + 12) % 24 ))
exec_notifier "$T/notify.sh"
collector_conf "$T/collector.conf" "$port" "$MNT/data" "control = $sock
[detect]
interval = 1s
purge_at = $(printf %02d "$purge_hour"):00
purge_window = 1m
drop_min_bytes = 1k
drop_min_objects = 2
resolve_after = 5
[notify oncall]
type = exec
command = $T/notify.sh
min_severity = warning"
agent_conf "$T/agent.conf" evsrv01 "$port" "$T/state" 1s "bodycam=$T/store"
# No deletion reports: this test is about the samples.  (Reports the full
# ledger cannot take are not acknowledged and no longer close the link:
# tests/unit/test_ingest.c, unstored_reports_keep_the_link.)
sed -i "s|^state_dir = .*|&\ndeletion_watch = no|" "$T/agent.conf"
grep -q "^deletion_watch = no" "$T/agent.conf" || fail "could not turn the deletion watch off"

ctl() { "$CTL" --socket "$sock" "$@"; }
stored() { cat "$MNT/data/rrd/evsrv01/agent.seq" 2>/dev/null || echo 0; }
at_least() { [ "$(stored)" -ge "$1" ]; }
n=0
start_collector() {
	n=$((n + 1))
	start "collector$n" "$BUILD/shrinkwatch-collector" -v -c "$T/collector.conf"
	cpid=$LAST_PID
	wait_for 15 "collector $n listens" grep -q "collector: listening on" "$T/collector$n.log"
}

start_collector
start agent "$BUILD/shrinkwatch-agent" -c "$T/agent.conf"
wait_for 20 "samples stored" at_least 5
wait_for 20 "the detector RRD exists" test -s "$MNT/data/detect/evsrv01/bodycam.rrd"
# let the detector save its state once with the store whole
sleep 2

dd if=/dev/zero of="$MNT/filler" bs=1M 2>/dev/null || true
wait_for 20 "the collector names the full disk" grep -q "No space left on device" "$T/collector1.log"
full_at=$(stored)
rm -f "$T"/store/clip{1..20}.mp4
sleep 4 # samples of the loss reach the collector while the disk is full
stop "$cpid"
start_collector
rm -f "$MNT/filler"
has_drop() { grep -q '"kind":"drop"' "$T/exec.out" 2>/dev/null; }
wait_for 60 "the drop is notified" has_drop
recorded() { ctl alerts --all --json | grep -q '"kind":"drop"'; }
wait_for 20 "the drop is in the ledger" recorded
ctl alerts --all --json | python3 -c '
import json, sys
j = json.load(sys.stdin)
d = [a for a in j["alerts"] if a["kind"] == "drop"]
assert d and d[0]["lost_objects"] >= 20, d
' || fail "the drop alert does not carry the 20 files: $(ctl alerts --all)"
ok "a 20-file drop while data_dir was full, with a restart while full, is recorded and notified once space returns"

# ---- the second time: nothing left, not even the reserve -----------------------
resolved() { ctl alerts --all --json | python3 -c '
import json, sys
j = json.load(sys.stdin)
sys.exit(0 if all(a["state"] != "firing" for a in j["alerts"] if a["kind"] == "drop") else 1)'; }
wait_for 60 "the first drop resolves" resolved
wait_for 30 "the reserve is made again" grep -q "the reserve .* is made again" "$T/collector$n.log"
# the recorded drop alerts notified (their ids; not the "recorded": false ones)
recorded_notices() { python3 - "$T/exec.out" <<'PY'
import json, sys
ids = set()
for b in open(sys.argv[1]).read().split("--- ")[1:]:
    try:
        j = json.loads(b.split("\n", 1)[1])
    except (ValueError, IndexError):
        continue
    if j.get("kind") == "drop" and j.get("recorded", True) and j.get("id"):
        ids.add(j["id"])
print(len(ids))
PY
}
# a filler that takes every block as soon as one is free
start filler bash -c "i=0; while :; do dd if=/dev/zero of='$MNT/fill.'\$i bs=64k 2>/dev/null; i=\$((i + 1)); sleep 0.05; done"
filler=$LAST_PID
disk_full() { [ "$(df --output=avail "$MNT" | tail -n 1)" -lt 64 ]; }
wait_for 20 "the disk is full again" disk_full
rm -f "$T"/store/clip{21..40}.mp4
in_rrd() { [ "$(rrd_last "$MNT/data/rrd/evsrv01/bodycam.rrd" objects | cut -d. -f1)" -le 20 ] 2>/dev/null; }
wait_for 120 "the loss reaches the RRD (the agent reconnects with a backoff)" in_rrd
stop "$cpid"
# with no block left: the collector either cannot open its ledger (it says
# so and stops; systemd starts it again) or runs with alerts kept in memory;
# either way nothing of the loss is lost
n=$((n + 1))
rc=0
timeout -s TERM 20 "$BUILD/shrinkwatch-collector" -c "$T/collector.conf" >"$T/collector$n.log" 2>&1 || rc=$?
if [ "$rc" -eq 124 ]; then
	ok "a start on a disk without one free block runs ($(grep -c "NOT YET RECORDED" "$T/exec.out" || true) not-yet-recorded notifications)"
else
	grep -q "its disk is full" "$T/collector$n.log" ||
		fail "a collector that cannot start on a full disk does not say why: $(tail -n 3 "$T/collector$n.log")"
	ok "a start on a disk without one free block is refused, naming the full disk"
fi
stop "$filler" KILL
rm -f "$MNT"/fill.*
start_collector
grep -q "stored samples newer than the saved detector state judged again" "$T/collector$n.log" ||
	fail "the restarted collector did not judge the samples its saved state missed"
recorded2() { ctl alerts --all --json | python3 -c '
import json, sys
j = json.load(sys.stdin)
sys.exit(0 if sum(1 for a in j["alerts"] if a["kind"] == "drop" and a["lost_objects"] >= 20) >= 2 else 1)'; }
wait_for 60 "the second drop is recorded" recorded2
two_notices() { [ "$(recorded_notices)" -ge 2 ]; }
# polled: the outbox's retries after the ledger recovers take longer on a
# loaded machine than the 30 s once waited here
for _ in $(seq 120); do two_notices && break; sleep 1; done
two_notices || fail "the second drop is not notified: $(grep -o '^--- .*\|"id":[0-9]*,"agent":"[^"]*","store":"[^"]*","kind":"[a-z_]*"\|recorded' "$T/exec.out" | tr '\n' ' ') $(ctl alerts --all | cut -c1-60)"
ok "a loss that reached only the RRD on a truly full disk is derived from the stored samples at the next start, recorded and notified"
stop "$cpid"
