#!/usr/bin/env bash
# test_http_slow.sh - slow clients cannot take the dashboard away (issue 16
# item 9): 70 connections from 127.0.0.1 that trickle their requests one
# byte a second, reopened as soon as they are closed, and /metrics, the API
# and the dashboard still answer within a deadline (a reverse proxy makes
# every user one address, so this is also "everyone behind the proxy"); and
# each trickling connection is closed once http_request_timeout has passed.
. "$(dirname "$0")/lib.sh"

port=$(free_port)
hport=$(free_port)
mkdir -p "$T/data"
collector_conf "$T/collector.conf" "$port" "$T/data" "http = 127.0.0.1:$hport
http_request_timeout = 3s"
start collector "$BUILD/shrinkwatch-collector" -c "$T/collector.conf"
cpid=$LAST_PID
wait_for 10 "dashboard listening" grep -q "http: dashboard on http://127.0.0.1:$hport/" "$T/collector.log"

# the slow clients: N connections, each sending one byte of its request a
# second, reopened when closed; at the end they report how long the longest
# lived and how many the server closed
cat >"$T/trickle.py" <<'PY'
import socket, sys, time
port, n, secs = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
def open_one():
    s = socket.create_connection(('127.0.0.1', port), timeout=5)
    s.setblocking(False)
    s.sendall(b'GET /metrics HTTP/1.1\r\nHost: x\r\n')
    return [s, time.monotonic()]
conns = [open_one() for _ in range(n)]
open('%s.ready' % sys.argv[4], 'w').close()
closed, longest, end = 0, 0.0, time.monotonic() + secs
while time.monotonic() < end:
    time.sleep(1)
    for c in conns:
        gone = False
        try:
            c[0].send(b'X')
            if c[0].recv(4096) == b'':
                gone = True
        except BlockingIOError:
            pass
        except OSError:
            gone = True
        if gone:
            closed += 1
            longest = max(longest, time.monotonic() - c[1])
            c[0].close()
            try:
                c[:] = open_one()
            except OSError:
                c[1] = time.monotonic()
print('closed %d longest %.1f' % (closed, longest))
PY
python3 "$T/trickle.py" "$hport" 70 20 "$T/trickle" >"$T/trickle.out" 2>"$T/trickle.err" &
tpid=$!
PIDS+=("$tpid")
wait_for 10 "slow clients connected" test -e "$T/trickle.ready"

# while they trickle, every request is answered within 5 s
for i in $(seq 1 8); do
	for path in /metrics /api/v1/stores /; do
		t0=$(date +%s%N)
		code=$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' \
			"http://127.0.0.1:$hport$path") || fail "$path: no answer within 5 s (round $i)"
		[ "$code" = 200 ] || fail "$path answered $code (round $i)"
		ms=$(( ($(date +%s%N) - t0) / 1000000 ))
		[ "$ms" -gt "${worst:-0}" ] && worst=$ms
	done
	sleep 1
done
ok "70 slow connections from 127.0.0.1: /metrics, the API and the dashboard answered 24 requests, slowest in $worst ms"

wait "$tpid" || fail "the slow client failed: $(cat "$T/trickle.err")"
read -r _ closed _ longest <"$T/trickle.out"
[ "$closed" -ge 70 ] || fail "only $closed slow connections were closed in 20 s"
awk -v l="$longest" 'BEGIN { exit !(l <= 6.5) }' ||
	fail "a trickling connection lived $longest s (http_request_timeout = 3s)"
grep -q "http: closing a connection from 127.0.0.1: no whole request within 3000 ms" "$T/collector.log" ||
	grep -q "http: 127.0.0.1 holds" "$T/collector.log" || fail "nothing logged"
ok "slow connections closed ($closed in 20 s), none lived longer than $longest s"
stop "$cpid"
