#!/usr/bin/env bash
# test_reload_tls.sh - a reload (SIGHUP) puts new TLS files and a new
# allow-list in force without a restart: a certificate revoked with
# `shrinkwatchctl pki revoke` loses its live connection and cannot come back,
# an agent taken off the allow-list is closed, the others keep storing; a
# reload with a broken certificate keeps the running settings.
. "$(dirname "$0")/lib.sh"

port=$(free_port)
mkdir -p "$T/data" "$T/sa" "$T/sb" "$T/store"
echo x >"$T/store/f"
collector_conf "$T/c.conf" "$port" "$T/data"
agent_conf "$T/a.conf" alpha "$port" "$T/sa" 1s "s=$T/store"
agent_conf "$T/b.conf" bravo "$port" "$T/sb" 1s "s=$T/store"
# a CRL to point tls_crl at from the start (it revokes a certificate nobody uses)
"$BUILD/shrinkwatchctl" pki issue retired --dir "$PKI" >/dev/null
"$BUILD/shrinkwatchctl" pki revoke retired --dir "$PKI" >/dev/null
echo "tls_crl = $PKI/crl.pem" >>"$T/c.conf"

start collector "$BUILD/shrinkwatch-collector" -c "$T/c.conf"
cpid=$LAST_PID
wait_for 10 "the collector listens" grep -q "collector: listening on" "$T/collector.log"
start alpha "$BUILD/shrinkwatch-agent" -c "$T/a.conf"
apid=$LAST_PID
start bravo "$BUILD/shrinkwatch-agent" -c "$T/b.conf"
bpid=$LAST_PID

stored() { cat "$T/data/rrd/$1/agent.seq" 2>/dev/null || echo 0; }
grows() { local before=$2; [ "$(stored "$1")" -gt "$before" ]; }
wait_for 15 "alpha stores" grows alpha 2
wait_for 15 "bravo stores" grows bravo 2
ok "two agents deliver over mutual TLS"

# 1. a broken certificate: the reload is refused, the running context stays
cp "$T/c.conf" "$T/c.good"
sed -i "s|^tls_cert = .*|tls_cert = $T/missing.crt|" "$T/c.conf"
kill -HUP "$cpid"
wait_for 10 "the refused reload is logged" grep -q "keeping the running TLS settings" "$T/collector.log"
a=$(stored alpha)
wait_for 10 "alpha still stores" grows alpha "$a"
cp "$T/c.good" "$T/c.conf"
ok "a reload with a missing certificate keeps the running TLS settings"

# 2. revoke alpha: its live session is closed and it cannot reconnect
"$BUILD/shrinkwatchctl" pki revoke alpha --dir "$PKI" >/dev/null
kill -HUP "$cpid"
wait_for 10 "alpha's session is closed" \
	grep -q "closing .* (agent 'alpha'): certificate no longer accepted: certificate revoked" "$T/collector.log"
wait_for 15 "alpha's reconnection is refused" grep -q "certificate revoked" "$T/alpha.log"
sleep 2
a=$(stored alpha)
b=$(stored bravo)
sleep 3
[ "$(stored alpha)" = "$a" ] || fail "a revoked agent still stores samples"
[ "$(stored bravo)" -gt "$b" ] || fail "bravo stopped storing after alpha was revoked"
ok "revoked alpha lost its connection on reload; bravo kept storing"

# 3. take bravo off the allow-list
echo "allow_agents = alpha" >>"$T/c.conf"
kill -HUP "$cpid"
wait_for 10 "bravo is closed" grep -q "agent 'bravo' is no longer on the allow-list" "$T/collector.log"
wait_for 15 "bravo hears why" grep -q "not on the allow-list\|no longer on the allow-list" "$T/bravo.log"
ok "an agent taken off the allow-list is closed on reload"

stop "$apid"
stop "$bpid"
stop "$cpid"
