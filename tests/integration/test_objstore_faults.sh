#!/usr/bin/env bash
# test_objstore_faults.sh - what an S3 service does under load or failure,
# on cue (objstore_fake.py on 127.0.0.1): throttles (503 SlowDown, 429) and a
# 500 are retried with backoff and the listing completes with every object;
# a page that keeps failing, or comes back cut in the middle, makes the
# listing PARTIAL, never a smaller total; requests_per_second spaces the
# requests; the request and retry counts are in the log.  The fake server
# checks each request's SigV4 signature as S3 does (s3rver does not), with
# continuation tokens that need escaping; and a versioned bucket's listing
# (ListObjectVersions) counts current objects, and logs noncurrent versions
# and delete markers.
. "$(dirname "$0")/lib.sh"

port=$(free_port)
printf '[default]\naws_access_key_id = AK\naws_secret_access_key = SK\n' >"$T/s3.cred"
chmod 600 "$T/s3.cred"
conf() { # RPS [EXTRA-LINE]
	cat >"$T/agent.conf" <<CONF
[agent]
name = faults
state_dir = $T/state
[collector]
address = 127.0.0.1:9
insecure = yes
[store b]
type = s3
endpoint = http://127.0.0.1:$port
bucket = bkt
credentials = $T/s3.cred
requests_per_second = $1
${2:-}
CONF
}
mkdir -p "$T/state"
fake() { # SCRIPT
	[ -n "${FAKE:-}" ] && stop "$FAKE" KILL
	: >"$T/requests"
	LOG=$T/requests start fake python3 "$(dirname "$0")/objstore_fake.py" "$port" "$1"
	FAKE=$LAST_PID
	wait_for 10 "fake S3 server" python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)"
	: >"$T/requests"
}
once() { "$BUILD/shrinkwatch-agent" -c "$T/agent.conf" --once >"$T/once.json" 2>"$T/once.err" || fail "--once exited $?: $(tail -n 20 "$T/once.err")"; }

conf 100
fake "slowdown,429,ok,slowdown,500,ok"
once
grep -q '"status":"complete","objects":2500,"bytes":25000' "$T/once.json" || fail "$(cat "$T/once.json" "$T/once.err")"
grep -q "listed bucket 'bkt': 2500 objects, 25000 bytes, +0 objects, in 7 requests (4 retries)" "$T/once.err" ||
	fail "request count: $(cat "$T/once.err")"
ok "503 SlowDown, 429 and 500 retried: complete, 2500 objects, 7 requests (4 retries) logged"
ok "every request's SigV4 signature checked by the server, tokens 'p2/+= x' and 'p3&?' included"

printf '[default]\naws_access_key_id = AK\naws_secret_access_key = WRONG\n' >"$T/wrong.cred"
chmod 600 "$T/wrong.cred"
sed -i "s|credentials = $T/s3.cred|credentials = $T/wrong.cred|" "$T/agent.conf"
fake ""
once
grep -q '"status":"partial".*access denied.*SignatureDoesNotMatch' "$T/once.json" || fail "$(cat "$T/once.json")"
grep -q "objstore: store 'b': the server refuses the credentials in '$T/wrong.cred'" "$T/once.err" ||
	fail "$(cat "$T/once.err")"
ok "a wrong secret: SignatureDoesNotMatch, partial, the store named"

conf 100 "versions = yes"
fake ""
once
# current: cur0..cur2 (100 bytes) and "k/m 1" (1000); the delete marker is no object
grep -q '"status":"complete","objects":4,"bytes":1300' "$T/once.json" || fail "$(cat "$T/once.json" "$T/once.err")"
grep -q "objstore: store 'b': 2 noncurrent versions (14 bytes) and 1 delete markers" "$T/once.err" ||
	fail "versions not logged: $(cat "$T/once.err")"
ok "versions = yes: 4 current objects counted; 2 noncurrent versions and 1 delete marker logged"
conf 100

fake "ok,slowdown,slowdown,slowdown,slowdown,slowdown"
once
grep -q '"status":"partial","objects":0,"bytes":0' "$T/once.json" || fail "$(cat "$T/once.json")"
grep -q '"first_error":"listing page 2: HTTP 503 SlowDown: Please reduce your request rate. (after 5 tries)"' "$T/once.json" ||
	fail "first error: $(cat "$T/once.json")"
ok "a page throttled past its retries: PARTIAL with the first error, no total"

fake "ok,cut"
once
grep -q '"status":"partial","objects":0' "$T/once.json" || fail "$(cat "$T/once.json")"
grep -q 'listing page 2: listing: malformed XML' "$T/once.json" || fail "$(cat "$T/once.json")"
ok "a page cut in the middle: PARTIAL (malformed XML), no total"

conf 2
fake ""
once
grep -q '"status":"complete","objects":2500' "$T/once.json" || fail "$(cat "$T/once.json")"
span=$(awk 'NR == 1 { a = $1 } { b = $1 } END { printf "%.2f", b - a }' "$T/requests")
[ "$(wc -l <"$T/requests")" = 3 ] || fail "$(cat "$T/requests")"
awk -v s="$span" 'BEGIN { exit !(s >= 0.9) }' || fail "3 requests at 2 a second took only ${span}s"
ok "requests_per_second = 2: 3 pages spread over ${span}s"
