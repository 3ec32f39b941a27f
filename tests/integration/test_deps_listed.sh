#!/usr/bin/env bash
# test_deps_listed.sh - every program a test refuses to run without ("X is not
# installed (make deps)") comes from a Debian package that `make deps`
# installs, so `make check` works on a fresh Debian 12 root: strace was
# missing from DEBS, and only machines that happened to have it passed.
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

debs=" $(make -s -C "$ROOT" -pn deps 2>/dev/null | sed -n 's/^DEBS := //p') "
[ "$debs" != "  " ] || fail "cannot read DEBS from the Makefile"
checked=0
while read -r prog; do
	path=$(command -v "$prog" || true)
	[ -n "$path" ] || fail "$prog: a test needs it and it is not installed here either (make deps)"
	pkg=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null | head -n1 | cut -d: -f1)
	[ -n "$pkg" ] || fail "$prog ($path): no Debian package owns it"
	case "$debs" in
	*" $pkg "*) checked=$((checked + 1)) ;;
	*) fail "$prog: tests need it (package '$pkg'), but DEBS (make deps) does not list '$pkg'" ;;
	esac
done < <(grep -rhoE 'command -v [A-Za-z0-9._+-]+ >/dev/null \|\| fail "[^"]*make deps' \
	"$ROOT/tests" | awk '{print $3}' | sort -u)
[ "$checked" -gt 0 ] || fail "found no 'command -v X ... (make deps)' guard in tests/"
ok "the $checked programs tests require ('command -v ... (make deps)') come from packages make deps installs"
