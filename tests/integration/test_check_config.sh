#!/usr/bin/env bash
# test_check_config.sh - --check-config refuses what would fail at start (or
# never work), each with a message that names the problem and what to do:
# data_dir missing with its parent, or not writable; an exec notifier whose
# command does not exist or is not executable; TLS files missing or
# unreadable; a 'dashboards' directory that does not exist.  It warns (and
# passes) when the default control socket's directory is missing, naming the
# key to set, and when the default dashboards are not installed.
. "$(dirname "$0")/lib.sh"
C="$BUILD/shrinkwatch-collector"
A="$BUILD/shrinkwatch-agent"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$T/data" "$T/st" "$T/store"
chmod 755 "$T"

# refused CONF TEXT: --check-config exits non-zero and says TEXT.
refused() {
	local out
	if out=$("$C" -c "$1" --check-config 2>&1); then
		fail "$1 passed --check-config: $out"
	fi
	grep -qF -- "$2" <<<"$out" || fail "$1: expected '$2' in: $out"
	ok "refused: ${out#shrinkwatch-collector: }"
}
# as_nobody COMMAND...: runs it as nobody (root passes every access check).
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; }

# the good config passes, and says what it could not check
collector_conf "$T/good.conf" 7405 "$T/data" "control = $T/control.sock"
"$C" -c "$T/good.conf" --check-config >"$T/good.out" 2>&1 || { cat "$T/good.out"; fail "a good config was refused"; }

collector_conf "$T/c1.conf" 7405 /nonexistent/shrinkwatch/data
refused "$T/c1.conf" "data_dir '/nonexistent/shrinkwatch/data' does not exist and neither does '/nonexistent/shrinkwatch': create it"

collector_conf "$T/c2.conf" 7405 "$T/data" "$(printf '[notify oncall]\ntype = exec\ncommand = %s/no-such-pager --team x' "$T")"
refused "$T/c2.conf" "[notify oncall] command: '$T/no-such-pager': No such file or directory: install it"

printf 'not a program\n' >"$T/notexec"
collector_conf "$T/c3.conf" 7405 "$T/data" "$(printf '[notify oncall]\ntype = exec\ncommand = %s/notexec' "$T")"
refused "$T/c3.conf" "command: '$T/notexec': Permission denied"

collector_conf "$T/c4.conf" 7405 "$T/data" "http = 127.0.0.1:7406
dashboards = $T/no-dashboards"
refused "$T/c4.conf" "'$T/no-dashboards/graphs' does not exist: no graph definitions; set 'dashboards' in [collector]"

sed 's|^tls_ca = .*|tls_ca = /nonexistent/ca.crt|' "$T/good.conf" >"$T/c5.conf"
refused "$T/c5.conf" "tls_ca '/nonexistent/ca.crt': No such file or directory: make a CA with 'shrinkwatchctl pki init DIR'"

sed 's|^tls_cert = .*|tls_cert = /nonexistent/c.crt|' "$T/good.conf" >"$T/c6.conf"
refused "$T/c6.conf" "pki issue ADDRESS --server"

# as nobody: an unwritable data_dir, an unreadable key
chmod 755 "$T/data"
chmod 644 "$T"/*.conf
chmod 755 "$PKI"; chmod 644 "$PKI"/*.crt
out=$(as_nobody "$C" -c "$T/good.conf" --check-config 2>&1) && fail "nobody passed with root's data_dir and an unreadable key: $out"
grep -qF "tls_key '$PKI/127.0.0.1.key': Permission denied: the daemon's user must be able to read it" <<<"$out" ||
	fail "unreadable key: $out"
ok "refused (as nobody): ${out#shrinkwatch-collector: }"
chmod 644 "$PKI/127.0.0.1.key"
out=$(as_nobody "$C" -c "$T/good.conf" --check-config 2>&1) && fail "nobody passed with root's data_dir: $out"
grep -qF "data_dir '$T/data': Permission denied: the collector's user must be able to read, write and search it" <<<"$out" ||
	fail "unwritable data_dir: $out"
ok "refused (as nobody): ${out#shrinkwatch-collector: }"

# the default control socket's place and the default dashboards: warnings
# that name the key to set, not failures (a source build has neither)
collector_conf "$T/c7.conf" 7405 "$T/data" "http = 127.0.0.1:7406"
"$C" -c "$T/c7.conf" --check-config >"$T/c7.out" 2>&1 || { cat "$T/c7.out"; fail "c7 refused"; }
if [ ! -d /run/shrinkwatch ]; then
	grep -qF "shrinkwatchctl's operator commands will not work; set 'control = " "$T/c7.out" ||
		fail "no warning about the control socket: $(cat "$T/c7.out")"
fi
if [ ! -d /usr/share/shrinkwatch/dashboards/graphs ]; then
	grep -qF "set 'dashboards' in [collector]" "$T/c7.out" ||
		fail "no word about 'dashboards': $(cat "$T/c7.out")"
fi
ok "warned: $(grep -c . "$T/c7.out") lines, naming 'control' and 'dashboards'"
collector_conf "$T/c8.conf" 7405 "$T/data" "http = 127.0.0.1:7406
dashboards = $ROOT/dashboards"
"$C" -c "$T/c8.conf" --check-config >"$T/c8.out" 2>&1 || { cat "$T/c8.out"; fail "c8 refused"; }
! grep -q "dashboards" "$T/c8.out" || fail "warned about a good dashboards dir: $(cat "$T/c8.out")"

# the agent: its TLS files too
agent_conf "$T/a.conf" a1 7405 "$T/st" 60s "s=$T/store"
"$A" -c "$T/a.conf" --check-config >/dev/null || fail "a good agent config was refused"
sed 's|^tls_key = .*|tls_key = /nonexistent/a1.key|' "$T/a.conf" >"$T/a2.conf"
out=$("$A" -c "$T/a2.conf" --check-config 2>&1) && fail "agent passed a missing key: $out"
grep -qF "tls_key '/nonexistent/a1.key': No such file or directory: make it with 'shrinkwatchctl pki issue AGENT" <<<"$out" ||
	fail "agent: $out"
ok "agent refused: ${out#shrinkwatch-agent: }"
