#!/usr/bin/env bash
# test_agent_caps.sh - the agent's privilege model, as shrinkwatch-agent.service
# sets it up: an unprivileged user whose only capability is
# CAP_DAC_READ_SEARCH (CapabilityBoundingSet= and AmbientCapabilities=).
# With it, `--once` reads a store whose files and directories are closed to
# everyone and reports it complete; without it the same scan is partial,
# never smaller-but-complete; and the capability gives no way to write
# there.  Needs root to switch users (setpriv); skipped otherwise.
set -euo pipefail
: "${BUILD:?BUILD must name the build directory}"
if [ "$(id -u)" -ne 0 ]; then
	echo "test_agent_caps: SKIP (needs root to drop to an unprivileged user)"
	exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/test_agent_caps.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
chmod 0755 "$tmp"
fail=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }

# A store as evidence systems leave it: owned by root, closed to others.
store=$tmp/store
mkdir -p "$store/case-17/cam-3"
printf 'footage' >"$store/case-17/cam-3/clip.mp4"
printf 'index' >"$store/index.db"
chmod 0000 "$store/case-17/cam-3/clip.mp4"
chmod 0600 "$store/index.db"
chmod 0700 "$store/case-17" "$store/case-17/cam-3" "$store"
chmod 0755 "$tmp"
mkdir "$tmp/state"
chown nobody "$tmp/state"
cat >"$tmp/agent.conf" <<CONF
[agent]
name = captest
interval = 60s
state_dir = $tmp/state
[collector]
address = 127.0.0.1:9
[store evidence]
path = $store
CONF
chmod 0644 "$tmp/agent.conf"

as_agent() { # CAPS COMMAND... - runs as nobody with only CAPS (or none)
	local caps=$1
	shift
	if [ -n "$caps" ]; then
		setpriv --reuid=nobody --regid=nogroup --clear-groups --bounding-set=-all,+"$caps" \
			--inh-caps=-all,+"$caps" --ambient-caps=-all,+"$caps" -- "$@"
	else
		setpriv --reuid=nobody --regid=nogroup --clear-groups --bounding-set=-all \
			--inh-caps=-all -- "$@"
	fi
}

with=$(as_agent dac_read_search "$BUILD/shrinkwatch-agent" --once -c "$tmp/agent.conf" 2>"$tmp/err1")
echo "     with CAP_DAC_READ_SEARCH: $with"
if grep -q '"status":"complete"' <<<"$with" && grep -q '"objects":2[,}]' <<<"$with" &&
	grep -q '"bytes":12[,}]' <<<"$with"; then
	ok "with CAP_DAC_READ_SEARCH the closed store is read completely (2 objects, 12 bytes)"
else
	bad "with CAP_DAC_READ_SEARCH the closed store is read completely"
	cat "$tmp/err1"
fi

without=$(as_agent "" "$BUILD/shrinkwatch-agent" --once -c "$tmp/agent.conf" 2>"$tmp/err2") || true
echo "     without it: $without"
if grep -q '"status":"partial"' <<<"$without"; then
	ok "without it the scan is reported partial, not as a smaller store"
else
	bad "without it the scan is reported partial"
	cat "$tmp/err2"
fi

if as_agent dac_read_search sh -c "printf x >>'$store/index.db'" 2>/dev/null ||
	as_agent dac_read_search sh -c "printf x >'$store/new.mp4'" 2>/dev/null ||
	as_agent dac_read_search rm -f "$store/case-17/cam-3/clip.mp4" 2>/dev/null; then
	bad "CAP_DAC_READ_SEARCH must not allow writing to the store"
else
	ok "CAP_DAC_READ_SEARCH gives no way to write, create or delete in the store"
fi
[ -f "$store/case-17/cam-3/clip.mp4" ] && [ "$(cat "$store/index.db")" = index ] ||
	bad "the store was modified"
exit $fail
