#!/usr/bin/env bash
# test_two_collectors.sh - an agent with two collectors (address = A B) sends
# every sample to each over mutual TLS; while one is down its samples wait in
# the spool (the other keeps acknowledging), and when it returns it gets the
# whole backlog.  (That the spool deletes a segment only once both have
# acknowledged it is tests/unit/test_spool.c's trim_at_slowest_reader.)
. "$(dirname "$0")/lib.sh"

p1=$(free_port)
p2=$(free_port)
mkdir -p "$T/d1" "$T/d2" "$T/state" "$T/store"
echo x >"$T/store/f"
collector_conf "$T/c1.conf" "$p1" "$T/d1"
collector_conf "$T/c2.conf" "$p2" "$T/d2"
agent_conf "$T/agent.conf" ha01 "$p1" "$T/state" 1s "s=$T/store"
sed -i "s|^address = 127.0.0.1:$p1\$|address = 127.0.0.1:$p1 127.0.0.1:$p2|" "$T/agent.conf"
grep -q "address = 127.0.0.1:$p1 127.0.0.1:$p2" "$T/agent.conf" || fail "could not list two collectors"

start c1 "$BUILD/shrinkwatch-collector" -c "$T/c1.conf"
c1=$LAST_PID
start c2 "$BUILD/shrinkwatch-collector" -c "$T/c2.conf"
c2=$LAST_PID
wait_for 10 "both collectors listen" grep -q "collector: listening on" "$T/c2.log"
start agent "$BUILD/shrinkwatch-agent" -c "$T/agent.conf"
apid=$LAST_PID

stored() { cat "$T/$1/rrd/ha01/agent.seq" 2>/dev/null || echo 0; }
made() { sed -n 's/^seq //p' "$T/state/agent.state" 2>/dev/null || echo 0; }
at_least() { [ "$(stored "$1")" -ge "$2" ]; }
wait_for 15 "collector 1 stores" at_least d1 3
wait_for 15 "collector 2 stores" at_least d2 3
ok "one agent, two collectors: both store its samples"

stop "$c2"
down=$(stored d2)
sleep 5
wait_for 10 "collector 1 keeps up meanwhile" at_least d1 $(( $(made) - 1 ))
[ "$(stored d2)" = "$down" ] || fail "collector 2 stored while stopped"
start c2b "$BUILD/shrinkwatch-collector" -c "$T/c2.conf"
c2=$LAST_PID
wait_for 30 "collector 2 gets the backlog" at_least d2 "$(made)"
grep -q "connected to collector 127.0.0.1:$p2 (TLS), it has stored up to seq $down;" "$T/agent.log" ||
	fail "the agent did not resume collector 2 from seq $down"
ok "collector 2 down for 5 intervals: it received the backlog from seq $down (collector 1 never waited)"

for d in d1 d2; do
	n=$(rrdtool fetch "$T/$d/rrd/ha01/s.rrd" MAX -r 1 -s -120 | awk 'NF > 1 && $2 != "-nan" && $2 != "nan"' | wc -l)
	[ "$n" -ge "$(( $(made) - 2 ))" ] || fail "$d's RRD holds only $n rows for $(made) samples"
done
ok "each collector's RRD holds every sample ($(made))"

stop "$apid"
stop "$c1"
stop "$c2"
