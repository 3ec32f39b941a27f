#!/usr/bin/env bash
# test_rrd_every_sample.sh - a sample the collector acknowledged is in its
# RRD.  An RRD keeps one value per second; an agent that starts in the upper
# half of a second used to take its start-up scan (its time rounded up) and
# its first boundary scan in the same second, and the collector dropped the
# second sample as "not newer than their RRD" after acknowledging it.  Here
# the agent is started three times in the upper half of a second, at a 1 s
# interval, and killed -9 between (a restart must not reuse the previous
# run's last second either); its timer is made to fire late (stopped over a
# boundary); then the collector is killed -9 while a 2 s agent sends, that
# agent is made late once, and no 2-second point may stay unknown.
. "$(dirname "$0")/lib.sh"

port=$(free_port)
mkdir -p "$T/data" "$T/store" "$T/state" "$T/state2"
echo x >"$T/store/f"
collector_conf "$T/collector.conf" "$port" "$T/data"
agent_conf "$T/agent.conf" ev01 "$port" "$T/state" 1s "s=$T/store"
agent_conf "$T/agent2.conf" ev02 "$port" "$T/state2" 2s "s=$T/store"

n=0
start_collector() {
	n=$((n + 1))
	start "collector$n" "$BUILD/shrinkwatch-collector" -v -c "$T/collector.conf"
	cpid=$LAST_PID
	wait_for 10 "collector $n listens" grep -q "collector: listening on" "$T/collector$n.log"
}
stored() { cat "$T/data/rrd/$1/agent.seq" 2>/dev/null || echo 0; }
made() { sed -n 's/^seq //p' "$T/$1/agent.state" 2>/dev/null || echo 0; }
at_least() { [ "$(stored "$1")" -ge "$2" ]; }
# waits until the wall clock is in the upper half of a second (0.55-0.70 s)
upper_half() {
	local end=$((SECONDS + 5)) f
	while [ "$SECONDS" -lt "$end" ]; do
		f=$(date +%N)
		[ "$((10#$f / 1000000))" -ge 550 ] && [ "$((10#$f / 1000000))" -le 700 ] && return 0
		sleep 0.01
	done
	fail "could not catch the upper half of a second"
}
dropped_old() { # samples dropped as not newer, over every collector log
	cat "$T"/collector*.log | sed -n 's/.* stored, \([0-9]*\) not newer than their RRD.*/\1/p' |
		awk '{s += $1} END {print s + 0}'
}

start_collector
for i in 1 2 3; do
	upper_half
	start "agent$i" "$BUILD/shrinkwatch-agent" -c "$T/agent.conf"
	apid=$LAST_PID
	want=$(( $(stored ev01) + 3 ))
	wait_for 20 "agent run $i stores 3 samples" at_least ev01 "$want"
	# the next run starts in the same second as this one's last scan
	while [ "$((10#$(date +%N) / 1000000))" -ge 300 ]; do sleep 0.01; done
	stop "$apid" KILL
done
[ "$(dropped_old)" = 0 ] || fail "$(dropped_old) acknowledged samples were dropped as not newer than their RRD"
rows=$(rrdtool fetch "$T/data/rrd/ev01/s.rrd" MAX -r 1 -s -300 | awk 'NF > 1 && $2 != "-nan" && $2 != "nan"' | wc -l)
[ "$rows" -ge "$(stored ev01)" ] || fail "the RRD holds $rows rows for $(stored ev01) stored samples"
ok "three agent starts in the upper half of a second: no sample dropped as not newer; $rows rows for $(stored ev01) samples"

# A loaded machine: the agent's timer fires late.  Stopped from just before a
# boundary until 0.7 s after it, a 1 s agent scans late for that boundary;
# its sample must keep the boundary's time, not the next second's (which the
# next scan takes: one of the two was dropped as not newer).
ms_in_period() { echo $(( ($(date +%s%N) / 1000000) % ($1 * 1000) )); }
pause_over_boundary() { # PID INTERVAL SECONDS-AFTER-THE-BOUNDARY
	local p=$(( $2 * 1000 ))
	while [ "$(ms_in_period "$2")" -lt $((p - 300)) ] || [ "$(ms_in_period "$2")" -gt $((p - 150)) ]; do
		sleep 0.02
	done
	kill -STOP "$1"
	sleep "$3"
	sleep 0.3
	kill -CONT "$1"
}
start agent1b "$BUILD/shrinkwatch-agent" -c "$T/agent.conf"
apid=$LAST_PID
wait_for 20 "the 1 s agent stores again" at_least ev01 "$(( $(stored ev01) + 2 ))"
for k in 1 2 3; do pause_over_boundary "$apid" 1 0.7; sleep 0.5; done
wait_for 20 "the 1 s agent after its late scans" at_least ev01 "$(( $(made state) + 1 ))"
stop "$apid"
[ "$(dropped_old)" = 0 ] || fail "late scans: $(dropped_old) acknowledged samples were dropped as not newer than their RRD"
ok "three scans 0.7 s late at a 1 s interval: no sample dropped as not newer"

start agent2 "$BUILD/shrinkwatch-agent" -c "$T/agent2.conf"
a2=$LAST_PID
wait_for 20 "the 2 s agent stores" at_least ev02 3
for k in 1 2 3; do
	sleep "0.$((RANDOM % 10))$((RANDOM % 10))"
	stop "$cpid" KILL
	sleep 1.$((RANDOM % 10))
	start_collector
	wait_for 30 "the 2 s agent's backlog after kill $k" at_least ev02 "$(( $(made state2) ))"
done
# and one scan 2.7 s late: the samples stay within the RRD's heartbeat
pause_over_boundary "$a2" 2 2.7
wait_for 20 "one more sample after the last kill" at_least ev02 "$(( $(made state2) + 1 ))"
stop "$a2"
first=$(rrdtool first "$T/data/rrd/ev02/s.rrd" --rraindex 0)
last=$(rrdtool last "$T/data/rrd/ev02/s.rrd")
gaps=$(rrdtool fetch "$T/data/rrd/ev02/s.rrd" MAX -r 2 -s "$(( $(made state2) > 0 ? last - 2 * $(made state2) + 2 : first ))" -e "$last" |
	awk -v last="$last" 'NF > 1 && $1 + 0 <= last && ($2 == "-nan" || $2 == "nan") {print $1}' | tr -d : | tr '\n' ' ')
[ -z "$gaps" ] || { rrdtool fetch "$T/data/rrd/ev02/s.rrd" MAX -r 2 -s -60 >&2; echo "first $first last $last made $(made state2)" >&2; }
[ -z "$gaps" ] || fail "2 s points left unknown around the collector kills: $gaps ($(dropped_old) dropped as not newer)"
[ "$(dropped_old)" = 0 ] || fail "$(dropped_old) acknowledged samples were dropped as not newer than their RRD"
ok "collector killed -9 three times under a 2 s agent: every 2-second point of its $(made state2) samples is known"
stop "$cpid"
