#!/usr/bin/env bash
# test_config_refused.sh - a collector config that cannot work is refused at
# start-up with its file, line and section named, and (run with an ASan
# build, BUILD=build/asan: LeakSanitizer reports fail the test) what the
# modules had parsed before the error is freed: issue 16 item 24 found leaks
# in detect/config.c and collector/net/delivery.c on exactly these configs.
SW_TLS=0
. "$(dirname "$0")/lib.sh"

base="[collector]
listen = 127.0.0.1:$(free_port)
data_dir = $T/data
insecure = yes
allow_agents = evsrv01 evsrv02 evsrv03
[store evsrv01/bwv]
retention = 31d"

# refuse CONFIG-TAIL EXPECTED: the collector must exit 1 saying EXPECTED, with
# no sanitizer report
refuse() {
	local out rc=0
	printf '%s\n%s\n' "$base" "$1" >"$T/c.conf"
	out=$("$BUILD/shrinkwatch-collector" -n -c "$T/c.conf" 2>&1) || rc=$?
	[ "$rc" = 1 ] || fail "config with '$1' was not refused (exit $rc): $out"
	[[ "$out" == *"$2"* ]] || fail "config with '$1': expected '$2', got: $out"
	[[ "$out" != *Sanitizer* ]] || fail "config with '$1': sanitizer report: $out"
}

refuse $'[store evsrv01]\nretention = 30d' \
	"c.conf:9: [store evsrv01] retention: 'evsrv01' does not name a store: write [store AGENT/STORE]"
refuse $'[store a/b/c]\npurge_at = 02:00' "c.conf:9: [store a/b/c] purge_at: 'a/b/c' does not name a store"
refuse $'[store */x]\nretention = 30d' "c.conf:9: [store */x] retention: '*/x' does not name a store"
ok "[store evsrv01], [store a/b/c], [store */x] refused, naming the line and the section"
refuse $'[detect]\nbogus = 1' "c.conf:9: [detect] bogus: unknown key 'bogus'"
ok "an unknown key after an allow-list and a [store] section: refused"

printf '%s\n' "$base" >"$T/c.conf"
out=$("$BUILD/shrinkwatch-collector" -n -c "$T/c.conf" 2>&1) || fail "good config refused: $out"
[[ "$out" == *"configuration OK"* && "$out" != *Sanitizer* ]] || fail "good config: $out"
ok "the same config without the error passes --check-config"
