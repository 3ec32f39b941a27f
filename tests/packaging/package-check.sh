#!/usr/bin/env bash
# package-check.sh DEBDIR - checks the .debs `make deb` left in DEBDIR the way
# an administrator would meet them: lintian, systemd-analyze verify and the
# offline security rating of the installed units, an install into a scratch
# root with dpkg --root (users, enabled units, conffiles, layout), both
# daemons' --check-config against the shipped example configs, a reinstall
# (the upgrade path) and a purge that leaves nothing behind.
#
# The maintainer scripts run "chrootless" with DPKG_ROOT set: debhelper's
# snippets (systemd-sysusers --root, deb-systemd-helper) then work on the
# scratch root.  One snippet (postinst start/restart) tests only for
# /run/systemd/system, so where the host runs systemd the install runs in a
# private mount namespace with an empty /run/systemd, and the host's systemd
# is never asked to start anything.
set -euo pipefail

debdir=$(cd "$1" && pwd)
max_exposure=${MAX_EXPOSURE:-2.5}
work=$(mktemp -d "${TMPDIR:-/tmp}/sw-package-check.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root
passed=0
failed=0

ok() { echo "ok   $*"; passed=$((passed + 1)); }
bad() { echo "FAIL $*"; failed=$((failed + 1)); }
# check DESCRIPTION COMMAND... - one named check; its output is shown on failure.
check() {
	local what=$1 out
	shift
	if out=$("$@" 2>&1); then ok "$what"; else bad "$what"; printf '%s\n' "$out" | sed 's/^/     /'; fi
}

shopt -s nullglob
debs=("$debdir"/shrinkwatch-agent_*.deb "$debdir"/shrinkwatch-collector_*.deb \
	"$debdir"/shrinkwatch-tools_*.deb)
changes=("$debdir"/shrinkwatch_*.changes)
shopt -u nullglob
if [ "${#debs[@]}" -ne 3 ] || [ "${#changes[@]}" -ne 1 ]; then
	echo "package-check: expected 3 .debs and one .changes in '$debdir'" >&2
	exit 1
fi

# ---- lintian ------------------------------------------------------------
check "lintian: no errors" lintian --fail-on error --suppress-tags \
	package-supports-alternative-init-but-no-init.d-script "${changes[0]}"

# ---- install into a scratch root -----------------------------------------
in_private_run() {
	if [ -d /run/systemd/system ]; then
		unshare --mount -- sh -c 'mount -t tmpfs tmpfs /run/systemd && exec "$@"' sh "$@"
	else
		"$@"
	fi
}
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/var/log" "$root/etc"
touch "$root/var/lib/dpkg/status" "$root/var/lib/dpkg/available"
rdpkg() {
	in_private_run dpkg --root="$root" --force-script-chrootless --force-depends "$@"
}
check "dpkg --root install of ${#debs[@]} packages" rdpkg -i "${debs[@]}"
for p in shrinkwatch-agent shrinkwatch-collector shrinkwatch-tools; do
	check "$p is installed" test "$(dpkg-query --root="$root" -W -f='${Status}' "$p")" = \
		"install ok installed"
done

# ---- installed layout ----------------------------------------------------
for f in usr/sbin/shrinkwatch-agent usr/sbin/shrinkwatch-collector usr/bin/shrinkwatchctl; do
	check "executable /$f" test -x "$root/$f"
done
for f in lib/systemd/system/shrinkwatch-agent.service \
	lib/systemd/system/shrinkwatch-collector.service \
	lib/systemd/system/shrinkwatch-collector.socket \
	usr/lib/sysusers.d/shrinkwatch-agent.conf usr/lib/sysusers.d/shrinkwatch-collector.conf \
	usr/share/man/man8/shrinkwatch-agent.8.gz usr/share/man/man8/shrinkwatch-collector.8.gz \
	usr/share/man/man8/shrinkwatchctl.8.gz usr/share/man/man5/shrinkwatch-agent.conf.5.gz \
	usr/share/man/man5/shrinkwatch-collector.conf.5.gz; do
	check "file /$f" test -f "$root/$f"
done
for p in shrinkwatch-agent shrinkwatch-collector; do
	# dh_compress gzips documents larger than 4 kB
	check "/usr/share/doc/$p/operations.md" test -n \
		"$(find "$root/usr/share/doc/$p" -name 'operations.md*' -size +1k)"
done
for c in agent collector; do
	check "conffile /etc/shrinkwatch/$c.conf" grep -qx "/etc/shrinkwatch/$c.conf" \
		"$root/var/lib/dpkg/info/shrinkwatch-$c.conffiles"
done
for l in multi-user.target.wants/shrinkwatch-agent.service \
	multi-user.target.wants/shrinkwatch-collector.service \
	sockets.target.wants/shrinkwatch-collector.socket; do
	check "enabled: /etc/systemd/system/$l" test -L "$root/etc/systemd/system/$l"
done
for u in _shrinkwatch-agent _shrinkwatch; do
	check "system user $u" grep -q "^$u:x:[0-9]*:[0-9]*:.*:/usr/sbin/nologin\$" "$root/etc/passwd"
done
check "no setuid or world-writable files" test -z \
	"$(find "$root" -path "$root/var/lib/dpkg" -prune -o -type f \( -perm -4000 -o -perm -0002 \) -print)"

# ---- the daemons against the shipped configs ------------------------------
# The shipped configs name certificates under /etc/shrinkwatch/pki that the
# administrator makes (README): --check-config refuses them until they exist,
# saying how to make them, and accepts them once they do (a scratch PKI).
"$root/usr/bin/shrinkwatchctl" pki init "$work/pki" >/dev/null
"$root/usr/bin/shrinkwatchctl" pki issue monitor.example.org --server --dir "$work/pki" >/dev/null
"$root/usr/bin/shrinkwatchctl" pki issue evsrv01 --dir "$work/pki" >/dev/null
for d in agent collector; do
	out=$("$root/usr/sbin/shrinkwatch-$d" --check-config -c "$root/etc/shrinkwatch/$d.conf" 2>&1) && rc=0 || rc=$?
	if [ -e /etc/shrinkwatch/pki/ca.crt ] || { [ "$rc" -eq 1 ] && grep -q "shrinkwatchctl pki init" <<<"$out"; }; then
		ok "shrinkwatch-$d --check-config says how to make the shipped $d.conf's missing CA"
	else
		bad "shrinkwatch-$d --check-config says how to make the shipped $d.conf's missing CA (exit $rc)"
		printf '%s\n' "$out" | sed 's/^/     /'
	fi
	sed "s|/etc/shrinkwatch/pki/|$work/pki/|" "$root/etc/shrinkwatch/$d.conf" >"$work/$d.conf"
	check "shrinkwatch-$d --check-config accepts the shipped $d.conf (its certificates made)" \
		"$root/usr/sbin/shrinkwatch-$d" --check-config -c "$work/$d.conf"
	cp "$work/$d.conf" "$work/broken-$d.conf"
	printf '[%s]\nno_such_key = 1\n' "$d" >>"$work/broken-$d.conf"
	out=$("$root/usr/sbin/shrinkwatch-$d" --check-config -c "$work/broken-$d.conf" 2>&1) && rc=0 || rc=$?
	if [ "$rc" -eq 1 ] && grep -q "broken-$d.conf:[0-9]*: .*no_such_key" <<<"$out"; then
		ok "shrinkwatch-$d --check-config rejects an unknown key with FILE:LINE"
	else
		bad "shrinkwatch-$d --check-config rejects an unknown key with FILE:LINE (exit $rc)"
		printf '%s\n' "$out" | sed 's/^/     /'
	fi
done

# ---- systemd-analyze on the installed units -------------------------------
# A verification root: the installed tree plus the host's own units (for
# sysinit.target and friends) and the programs the units name.
vroot=$work/vroot
cp -a "$root" "$vroot"
mkdir -p "$vroot/usr/lib/systemd" "$vroot/bin"
cp -rL /usr/lib/systemd/system "$vroot/usr/lib/systemd/"
cp /bin/kill "$vroot/bin/kill"
units=(shrinkwatch-agent.service shrinkwatch-collector.service shrinkwatch-collector.socket)
for u in "${units[@]}"; do
	check "systemd-analyze verify $u (incl. its man pages)" env MANPATH="$vroot/usr/share/man" \
		systemd-analyze verify --man=yes --root="$vroot" "$u"
done
for u in shrinkwatch-agent.service shrinkwatch-collector.service; do
	out=$(systemd-analyze security --offline=yes --root="$vroot" "$u" 2>&1) || true
	level=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' <<<"$out")
	if [ -n "$level" ] && awk -v l="$level" -v m="$max_exposure" 'BEGIN { exit !(l <= m) }'; then
		ok "systemd-analyze security $u: $level (limit $max_exposure)"
	else
		bad "systemd-analyze security $u: '${level:-none}' (limit $max_exposure)"
		printf '%s\n' "$out" | grep -E '✗|Overall' | sed 's/^/     /'
	fi
done

# ---- upgrade path and purge ----------------------------------------------
check "reinstall over the installed packages (upgrade path)" rdpkg -i "${debs[@]}"
check "conffile survives: /etc/shrinkwatch/agent.conf" test -f "$root/etc/shrinkwatch/agent.conf"
check "dpkg --purge of all three" rdpkg --purge shrinkwatch-agent shrinkwatch-collector shrinkwatch-tools
left=$(cd "$root" && find etc/shrinkwatch etc/systemd usr/sbin usr/bin lib/systemd -mindepth 1 \
	\( -type f -o -type l \) 2>/dev/null | sort || true)
check "purge leaves no files or unit links behind" test -z "$left"
[ -z "$left" ] || printf '     %s\n' $left

echo "package-check: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
