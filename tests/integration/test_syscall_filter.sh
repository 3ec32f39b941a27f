#!/usr/bin/env bash
# test_syscall_filter.sh - every system call the daemons make is one their
# shipped unit's SystemCallFilter= allows.  A call outside it fails with
# EPERM only in production, under systemd, so this runs both daemons under
# strace through a real session (scan rounds, samples shipped and stored in
# a new RRD file, a store shrinking, SIGHUP, SIGTERM, and the agent's --once)
# and compares what they called with the filter as systemd-analyze expands it
# from packaging/systemd/*.service.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
units=$here/../../packaging/systemd
command -v strace >/dev/null || fail "strace is not installed (make deps)"

# allowed UNIT > FILE: the system calls the unit's SystemCallFilter= lines allow.
allowed() {
	systemd-analyze syscall-filter --no-pager >"$T/groups.txt" 2>/dev/null
	python3 - "$1" "$T/groups.txt" <<'PY'
import sys
unit, groups_txt = sys.argv[1], sys.argv[2]
groups, cur = {}, None
for line in open(groups_txt):
    if line.startswith("@"):
        cur = line.split()[0]
        groups[cur] = []
    elif cur and line.strip() and not line.lstrip().startswith("#"):
        groups[cur].append(line.split()[0])
def expand(name, seen=()):
    if not name.startswith("@"):
        return {name}
    if name not in groups:
        sys.exit(f"unknown syscall group {name}")
    out = set()
    for x in groups[name]:
        if x not in seen:
            out |= expand(x, seen + (name,))
    return out
# systemd applies the lines in order once the first (an allow list) set the
# default: a later "~..." line removes calls, a later allow line adds them back
allow, have_allow = set(), False
for line in open(unit):
    if line.startswith("SystemCallFilter="):
        v = line.split("=", 1)[1].strip()
        deny = v.startswith("~")
        names = set()
        for item in (v[1:] if deny else v).split():
            names |= expand(item)
        if deny:
            allow -= names
        else:
            allow |= names
            have_allow = True
if not have_allow:
    sys.exit(f"{unit}: no SystemCallFilter= allow list")
print("\n".join(sorted(allow)))
PY
}

# called TRACE... : the distinct system calls in strace -f output files.
called() {
	cat "$@" | awk '{print $2}' | sed 's/(.*//' | grep -E '^[a-z_0-9]+$' | sort -u
}

# The daemon strace started (strace's only child).
traced_pid() {
	cat "/proc/$1/task/$1/children" | awk '{print $1}'
}

port=$(free_port)
mkdir -p "$T/data" "$T/store/case-1"
head -c 20000 /dev/urandom >"$T/store/case-1/clip.mp4"
head -c 10000 /dev/urandom >"$T/store/case-1/clip2.mp4"
# the dashboard is on, as in production (its threads, librrd's graph code, SQLite)
hport=$(free_port)
collector_conf "$T/collector.conf" "$port" "$T/data" "http = 127.0.0.1:$hport
dashboards = $here/../../dashboards"
agent_conf "$T/agent.conf" sctest "$port" "$T/state" 1s evidence="$T/store"
# The shipped unit grants no CAP_SYS_ADMIN and refuses fanotify_init: there
# the deletion watch fails at once (EPERM) and the agent scans alone.  Run as
# root here it would watch, so it is off, as under the unit (security.md).
echo "deletion_watch = no" >>"$T/agent.conf"

start collector strace -f -qq -o "$T/collector.trace" "$BUILD/shrinkwatch-collector" \
	-c "$T/collector.conf"
cstrace=$LAST_PID
wait_for 30 "collector listening" grep -q "listening" "$T/collector.log"
start agent strace -f -qq -o "$T/agent.trace" "$BUILD/shrinkwatch-agent" -c "$T/agent.conf"
astrace=$LAST_PID
wait_for 60 "the first RRD file" test -f "$T/data/rrd/sctest/evidence.rrd"
# the file is written before the stored batch reaches the loop and the board:
# wait until the dashboard knows the store
wait_for 30 "the dashboard knows the store" \
	curl -sf -o /dev/null --max-time 30 "http://127.0.0.1:$hport/store/sctest/evidence"
rm "$T/store/case-1/clip2.mp4"
for p in / /store/sctest/evidence /graph/sctest/evidence/bytes "/graph/sctest/evidence/churn?format=svg" \
	/api/v1/stores /api/v1/alerts /metrics; do
	curl -sf -o /dev/null --max-time 30 "http://127.0.0.1:$hport$p" || fail "dashboard: $p"
done
sleep 2 # two more scan rounds, one with the store smaller
# The agent defers a reload that arrives during a scan round: ask until it
# has done one.
hup_until_reloaded() { # PID LOG
	kill -HUP "$1"
	sleep 0.3
	grep -q "configuration reloaded" "$2"
}
wait_for 30 "the agent's reload" hup_until_reloaded "$(traced_pid "$astrace")" "$T/agent.log"
wait_for 30 "the collector's reload" hup_until_reloaded "$(traced_pid "$cstrace")" \
	"$T/collector.log"
apid=$(traced_pid "$astrace")
cpid=$(traced_pid "$cstrace")
kill -TERM "$apid"
wait_for 30 "the agent to stop" sh -c "! kill -0 $apid"
kill -TERM "$cpid"
wait_for 30 "the collector to stop" sh -c "! kill -0 $cpid"
stop "$astrace"
stop "$cstrace"
strace -f -qq -o "$T/once.trace" "$BUILD/shrinkwatch-agent" --once -c "$T/agent.conf" \
	>/dev/null 2>&1

status=0
check_unit() { # UNIT TRACE...
	local unit=$1
	shift
	allowed "$units/$unit" >"$T/$unit.allowed"
	called "$@" >"$T/$unit.called"
	[ -s "$T/$unit.called" ] || fail "$unit: strace recorded no system calls"
	local outside
	outside=$(comm -23 "$T/$unit.called" "$T/$unit.allowed" | tr '\n' ' ')
	if [ -z "$outside" ]; then
		ok "$unit: all $(wc -l <"$T/$unit.called") system calls made are allowed by its filter"
	else
		echo "FAIL: $unit: its SystemCallFilter= refuses: $outside" >&2
		status=1
	fi
}
check_unit shrinkwatch-collector.service "$T/collector.trace"
check_unit shrinkwatch-agent.service "$T/agent.trace" "$T/once.trace"
exit $status
