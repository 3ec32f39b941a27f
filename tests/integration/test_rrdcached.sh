#!/usr/bin/env bash
# test_rrdcached.sh - a collector with `rrdcached = unix:...` sends its updates
# through a real rrdcached: with rrd_sync = yes each acknowledged sample is in
# the RRD file itself (flushed by the daemon before the ack), so reading the
# file without the daemon already shows the agent's latest totals; a
# collector pointed at a daemon that is not there does not acknowledge, and
# acknowledges everything once the daemon is up.
. "$(dirname "$0")/lib.sh"
command -v rrdcached >/dev/null || fail "rrdcached is not installed (make deps)"

port=$(free_port)
sock="$T/rrdcached.sock"
mkdir -p "$T/data" "$T/state" "$T/a" "$T/journal"
for i in $(seq 1 12); do head -c $((i * 100)) /dev/zero >"$T/a/f$i"; done
# a long write timeout: only a FLUSH gets values into the files in time
rc_args=(-g -l "unix:$sock" -p "$T/rrdcached.pid" -j "$T/journal" -w 3600 -z 60 -b "$T/data")
collector_conf "$T/collector.conf" "$port" "$T/data" "rrd_sync = yes
rrdcached = unix:$sock"
agent_conf "$T/agent.conf" rc01 "$port" "$T/state" 1s "alpha=$T/a"

"$BUILD/shrinkwatch-collector" -c "$T/collector.conf" --check-config | grep -q "configuration OK"
printf '[collector]\nrrdcached = tcp-is-not-an-address\n' >"$T/bad.conf"
! "$BUILD/shrinkwatch-collector" -c "$T/bad.conf" --check-config 2>"$T/bad.err" ||
	fail "a bad rrdcached address was accepted"
grep -q "rrdcached" "$T/bad.err" || fail "the error does not name the key"
ok "the rrdcached key is validated"

# first without the daemon: nothing may be acknowledged
start collector "$BUILD/shrinkwatch-collector" -c "$T/collector.conf"
cpid=$LAST_PID
wait_for 10 "collector listening" grep -q "listening on 127.0.0.1:$port" "$T/collector.log"
grep -q "through rrdcached at 'unix:$sock'" "$T/collector.log" || fail "no rrdcached log line"
start agent "$BUILD/shrinkwatch-agent" -c "$T/agent.conf"
wait_for 20 "the collector says it cannot reach rrdcached" grep -q "cannot reach rrdcached" "$T/collector.log"
[ ! -s "$T/data/rrd/rc01/agent.seq" ] || fail "samples acknowledged without rrdcached"
ok "no rrdcached: samples are not acknowledged"

start rrdcached rrdcached "${rc_args[@]}"
rpid=$LAST_PID
ra="$T/data/rrd/rc01/alpha.rrd"
wait_for 30 "samples stored through rrdcached" test -s "$T/data/rrd/rc01/agent.seq"
matches() { [ "$(rrd_last "$ra" objects)" = "$(true_objects "$T/a")" ]; }
wait_for 20 "the file itself shows the totals" matches
rm -f "$T/a/f1" "$T/a/f2"
wait_for 20 "a deletion reaches the file through rrdcached" matches
[ "$(rrd_last "$ra" objects)" = 10 ] || fail "expected 10 objects in the file"
ok "rrd_sync + rrdcached: acknowledged samples are in the file ($(rrd_last "$ra" objects) objects)"

stop "$cpid"
stop "$rpid"
grep -q "collector: stopped" "$T/collector.log" || fail "collector did not stop cleanly"
ok "collector and rrdcached stop cleanly"
