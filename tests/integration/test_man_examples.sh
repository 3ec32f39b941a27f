#!/usr/bin/env bash
# test_man_examples.sh - the EXAMPLE configs of shrinkwatch-agent.conf(5) and
# shrinkwatch-collector.conf(5) pass the daemons' --check-config, so the man
# pages cannot drift from what the daemons accept (they had no tls_* keys and
# were refused).  The example's absolute paths are moved under a scratch root
# and what they name is made there (a CA and certificates with shrinkwatchctl
# pki, an executable for an exec notifier, object store credentials files
# (mode 0600, made-up keys), the parents of data_dir and
# state_dir), so --check-config checks the example itself, key by key.
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
R=$T/root
mkdir -p "$R"

# example PAGE: the lines between .SH EXAMPLE's .nf and .fi, roff escapes undone.
example() {
	awk '/^\.SH EXAMPLE/ { ex = 1; next } ex && /^\.SH/ { exit }
	     ex && /^\.nf/ { nf = 1; next } ex && /^\.fi/ { nf = 0; next }
	     ex && nf { print }' "$1" | sed 's/\\-/-/g; s/\\e/\\/g'
}

# rooted FILE: the example with each "key = /path" value under $R.
rooted() { sed -E "s#^([a-z_]+ *= *)/#\\1$R/#" "$1"; }

# make_what_it_names FILE: the files and directories the rooted example names.
make_what_it_names() {
	local key val type=dir
	while IFS='=' read -r key val; do
		key=${key// /}; val=${val# }; val=${val%% *}
		case "$key" in
		type) type=$val ;;
		credentials) mkdir -p "$(dirname "$val")"
			if [ "$type" = azure ]; then
				printf 'shared_key = %s\n' "$(printf 'not-a-real-key' | base64)" >"$val"
			else
				printf '[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = not-a-real-secret\n' >"$val"
			fi
			chmod 600 "$val" ;;
		tls_ca) mkdir -p "$(dirname "$val")"
			[ -f "$val" ] || "$BUILD/shrinkwatchctl" pki init "$(dirname "$val")" >/dev/null ;;
		tls_cert) local name; name=$(basename "$val" .crt)
			if [ "$2" = collector ]; then
				"$BUILD/shrinkwatchctl" pki issue "$name" --server --dir "$(dirname "$val")" >/dev/null
			else
				"$BUILD/shrinkwatchctl" pki issue "$name" --dir "$(dirname "$val")" >/dev/null
			fi ;;
		command) mkdir -p "$(dirname "$val")"; printf '#!/bin/sh\ncat >/dev/null\n' >"$val"; chmod 755 "$val" ;;
		data_dir|state_dir) mkdir -p "$(dirname "$val")" ;;
		path) mkdir -p "$val"; type=dir ;;
		esac
	done < <(grep -E '^[a-z_]+ *= *' "$1")
}

for d in agent collector; do
	page=$ROOT/docs/man/shrinkwatch-$d.conf.5
	example "$page" >"$T/$d.example"
	[ -s "$T/$d.example" ] || fail "$page: no EXAMPLE config found"
	grep -q '^\[' "$T/$d.example" || fail "$page: the EXAMPLE holds no section"
	rooted "$T/$d.example" >"$T/$d.conf"
	make_what_it_names "$T/$d.conf" "$d"
	out=$("$BUILD/shrinkwatch-$d" --check-config -c "$T/$d.conf" 2>&1) ||
		fail "shrinkwatch-$d.conf(5)'s EXAMPLE is refused: $out"
	ok "shrinkwatch-$d.conf(5)'s EXAMPLE ($(grep -c '=' "$T/$d.example") keys) passes --check-config"
done
