# lib.sh - helpers for integration tests (source it; needs $BUILD).
#
# Every test gets its own temporary directory ($T), free ports on 127.0.0.1
# only, and a trap that stops every daemon it started and removes $T, so a
# failing test leaves nothing behind.  A test that must undo more (unmount a
# file system it mounted) defines cleanup_after_daemons(), which the trap
# calls once every daemon is gone.

set -euo pipefail
: "${BUILD:?BUILD must name the build directory}"
T=$(mktemp -d /tmp/swit.XXXXXX)
PIDS=()

cleanup() {
	local rc=$?
	# every background job of the test's shell is one of its daemons too
	# (a README block starts them with &, outside start())
	for p in $(jobs -p); do PIDS+=("$p"); done
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; command sleep 0.1; done
		kill -KILL "$p" 2>/dev/null || true
	done
	# A daemon started under a wrapper (strace detaches from its tracee when
	# killed) outlives the PID we know; every daemon a test starts has $T in
	# its arguments, so nothing of this test survives it.
	pkill -TERM -f -- "$T/" 2>/dev/null && command sleep 0.5
	pkill -KILL -f -- "$T/" 2>/dev/null || true
	# a test's own clean-up (an unmount), once nothing of it runs any more
	if declare -F cleanup_after_daemons >/dev/null; then cleanup_after_daemons || true; fi
	if [ "$rc" -ne 0 ]; then
		echo "--- test failed (exit $rc); logs:"
		for f in "$T"/*.log; do [ -f "$f" ] && { echo "--- $f"; tail -n 40 "$f"; }; done
	fi
	# SWIT_KEEP=1 keeps a failed test's directory for a post-mortem
	if [ "$rc" -ne 0 ] && [ "${SWIT_KEEP:-0}" = 1 ]; then
		echo "--- kept $T (SWIT_KEEP=1)"
	else
		rm -rf "$T"
	fi
	exit "$rc"
}
trap cleanup EXIT INT TERM

# (the helpers say `command sleep`: a test may define a sleep() of its own,
# as test_readme.sh does for the README's waits)
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok - $*"; }

# free_port: a TCP port on 127.0.0.1 nobody listens on now.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND every 0.2 s.
wait_for() {
	local secs=$1 what=$2; shift 2
	local end=$((SECONDS + secs))
	while ! "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$end" ] || fail "timed out after ${secs}s waiting for: $what"
		command sleep 0.2
	done
}

# start NAME COMMAND...: runs a daemon in the background, logging to $T/NAME.log;
# sets LAST_PID.
start() {
	local name=$1; shift
	"$@" >"$T/$name.log" 2>&1 &
	LAST_PID=$!
	PIDS+=("$LAST_PID")
}

# stop PID [SIGNAL]: signals a daemon and waits until it is gone.  On SIGTERM
# the daemon must exit 0: a sanitizer report or a leak fails the test.
stop() {
	local pid=$1 sig=${2:-TERM} rc=0
	kill -"$sig" "$pid" 2>/dev/null || true
	for _ in $(seq 100); do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid" 2>/dev/null || rc=$?
			[ "$sig" != TERM ] || [ "$rc" -eq 0 ] || fail "process $pid exited with status $rc after SIGTERM"
			return 0
		fi
		command sleep 0.1
	done
	fail "process $pid did not stop on SIG$sig"
}

# Mutual TLS is the default, as in production: the first config written makes
# a CA in $T/pki with `shrinkwatchctl pki`, a collector certificate for
# 127.0.0.1 and one agent certificate per agent name.  SW_TLS=0 writes
# `insecure = yes` (plaintext on 127.0.0.1) instead.
PKI=$T/pki

# pki_ensure: the CA and the collector's certificate, made once per test.
pki_ensure() {
	[ -f "$PKI/ca.crt" ] && return 0
	"$BUILD/shrinkwatchctl" pki init "$PKI" >/dev/null
	"$BUILD/shrinkwatchctl" pki issue 127.0.0.1 --server --dir "$PKI" >/dev/null
}

# pki_agent NAME: an agent certificate for NAME (once).
pki_agent() {
	pki_ensure
	[ -f "$PKI/$1.crt" ] || "$BUILD/shrinkwatchctl" pki issue "$1" --dir "$PKI" >/dev/null
}

# tls_keys NAME: the [collector] TLS lines for NAME's certificate.
tls_keys() {
	if [ "${SW_TLS:-1}" = 0 ]; then
		echo "insecure = yes"
		return
	fi
	printf 'tls_ca = %s\ntls_cert = %s\ntls_key = %s\n' "$PKI/ca.crt" "$PKI/$1.crt" "$PKI/$1.key"
}

# collector_conf FILE PORT DATA_DIR [EXTRA]: writes a collector config.  The
# dashboard is off unless EXTRA sets http (tests run in parallel: no test may
# take the default port 7406).
collector_conf() {
	local http="http = off" floor="min_interval = 1s"
	case "${4:-}" in *http\ =*|*http=*) http="" ;; esac
	# the tests' agents sample every second, below the default floor of 10 s
	case "${4:-}" in *min_interval*) floor="" ;; esac
	[ "${SW_TLS:-1}" = 0 ] || pki_ensure
	cat >"$1" <<CONF
[collector]
listen = 127.0.0.1:$2
data_dir = $3
$http
$floor
$(tls_keys 127.0.0.1)
${4:-}
CONF
}

# agent_conf FILE NAME PORT STATE_DIR INTERVAL STORE=PATH...
agent_conf() {
	local f=$1 name=$2 port=$3 state=$4 interval=$5; shift 5
	[ "${SW_TLS:-1}" = 0 ] || pki_agent "$name"
	{
		printf '[agent]\nname = %s\ninterval = %s\nstate_dir = %s\n' "$name" "$interval" "$state"
		printf '[collector]\naddress = 127.0.0.1:%s\n' "$port"
		tls_keys "$name"
		for s in "$@"; do printf '[store %s]\npath = %s\n' "${s%%=*}" "${s#*=}"; done
	} >"$f"
}

# rrd_last FILE DS: the last value of a data source (empty if unknown).
rrd_last() {
	rrdtool lastupdate "$1" | awk -v ds="$2" '
		NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
		NF > 1 { v = $(col[ds] + 1); if (v == "U") v = ""; print v }' | tail -n 1
}

# true_objects DIR / true_bytes DIR: what find says (regular files).
true_objects() { find "$1" -type f | wc -l; }
true_bytes() { find "$1" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}'; }

# exec_notifier FILE: writes an exec notifier script to FILE that appends
# each notification to exec.out beside it as "--- STATE SUMMARY", the JSON
# body and a blank line.  The collector runs exec notifications
# concurrently: each is one write, under a lock, so two never interleave.
exec_notifier() {
	cat >"$1" <<'SH'
#!/bin/sh
body=$(cat)
exec 9>>"$(dirname "$0")/exec.out"
flock 9
printf -- '--- %s %s\n%s\n\n' "$SHRINKWATCH_STATE" "$SHRINKWATCH_SUMMARY" "$body" >&9
SH
	chmod 0755 "$1"
}
