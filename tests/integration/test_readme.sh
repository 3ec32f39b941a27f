#!/usr/bin/env bash
# test_readme.sh - the README's "Try it by hand from a source build" runs as
# written: its shell blocks are taken from README.md and run in a scratch
# copy of the tree layout (build/ and dashboards/ linked), under set -e, so a
# command that fails fails the test.  Only the ports are changed (tests run in
# parallel) and `sleep N` waits for samples instead of wall time (the machine
# may be loaded).  Then what the README promises: --check-config passes,
# status shows the store's floors and calibration, 3 of 20 clips raise
# nothing, 12 more raise an alert, which is explained, and the audit trail
# shows ISO 8601 times.
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
port=$(free_port)
hport=$(free_port)

# The fenced sh blocks of the README's section, one file.
awk '/^## Try it by hand from a source build/ { sec = 1; next }
     sec && /^## / { exit }
     sec && /^```sh$/ { blk = 1; next } blk && /^```$/ { blk = 0; next }
     sec && blk { print }' "$ROOT/README.md" |
	sed -e "s/127\.0\.0\.1:7405/127.0.0.1:$port/g; s/127\.0\.0\.1:7406/127.0.0.1:$hport/g" \
	    -e 's/^make$/: make  # built already/' >"$T/readme.sh"
grep -q 'shrinkwatch-collector -c collector.conf' "$T/readme.sh" || fail "README: no source-build block found"

mkdir -p "$T/src"
ln -s "$BUILD" "$T/src/build"
ln -s "$ROOT/dashboards" "$T/src/dashboards"

# sleep N in the README waits for samples: here, for three more stored ones
# (polled, with a deadline), and the daemons it started are this test's.
stored() { cat "$T/src/try/data/rrd/evsrv01/agent.seq" 2>/dev/null || echo 0; }
stored_at_least() { [ "$(stored)" -ge "$1" ]; }
sleep() {
	local p want=$(($(stored) + 3)) end=$((SECONDS + 120))
	for p in $(jobs -p); do PIDS+=("$p"); done
	until stored_at_least "$want"; do
		[ "$SECONDS" -lt "$end" ] || fail "timed out after 120s waiting for three more samples"
		command sleep 0.2
	done
}

cd "$T/src"
# shellcheck disable=SC1091
. "$T/readme.sh" >"$T/readme.out" 2>&1 || { cat "$T/readme.out"; fail "a README command failed"; }
cd "$T"
out=$T/readme.out
grep -q "configuration OK" "$out" || fail "no --check-config OK: $(cat "$out")"
! grep -q "warning" "$out" || fail "--check-config warned: $(grep warning "$out")"
grep -q "^evsrv01/bodycam" "$out" || fail "status shows no store: $(cat "$out")"
grep -qE '^  evsrv01/bodycam +(un)?calibrated +now 16\.0 MiB or 10 objects \(floors 16\.0 MiB / 10 objects, threshold 0\.25%\)' "$out" ||
	fail "status shows no floors: $(cat "$out")"
grep -q "^uncalibrated: the detector is still learning the store" "$out" || fail "'uncalibrated' not explained"
grep -q "^no open alerts" "$out" || fail "3 of 20 clips raised an alert: $(cat "$out")"
grep -qE '^1 +firing +[a-z]+ +(drop|object_loss|overpurge)' "$out" || fail "15 of 20 clips raised no alert: $(cat "$out")"
grep -qE '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z +[^ ]+ +explain ' "$out" ||
	fail "the audit trail has no ISO-timed explain row: $(cat "$out")"
ok "the README's source-build walk-through runs as written: $(grep -c . "$T/src/try/collector.log") collector log lines, alert 1 explained"
