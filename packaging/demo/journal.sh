# journal.sh - a journald for the demo where the machine has none (source it).
# shellcheck shell=bash
#
#   demo_journal_reexec SCRIPT ARGS...
#       On a machine without journald (a container, a build machine), run as
#       root, re-executes SCRIPT in a private mount namespace
#       (SW_DEMO_NS=1), where demo_journal_start can give it a journald of
#       its own, so the journal notifier delivers for real and the machine's
#       /run and journal are left untouched.  Where that namespace cannot be
#       made -- a plain chroot (sbuild, pbuilder), an unprivileged container
#       (Docker, Podman, CI runners): unshare fails with EINVAL or EPERM --
#       it says so and returns, and the demo runs without a journald.  It
#       probes with a harmless `unshare ... true` first, because a failing
#       `exec unshare` would end the script.
#   demo_journal_start
#       In that namespace: a tmpfs on /run (and /var/log/journal) and
#       journald started; sets DEMO_JOURNALD_PID.  If a step fails it says
#       so, undoes nothing it did not do, and returns 0: the demo goes on
#       without the journal (the notification waits in the outbox).
#
# SW_DEMO_JOURNAL_SOCKET and SW_DEMO_JOURNALD name journald's socket and
# program (/run/systemd/journal/socket, /lib/systemd/systemd-journald).
: "${SW_DEMO_JOURNAL_SOCKET:=/run/systemd/journal/socket}"
: "${SW_DEMO_JOURNALD:=/lib/systemd/systemd-journald}"
DEMO_JOURNALD_PID=

demo_journal_reexec() {
	local why
	[ ! -S "$SW_DEMO_JOURNAL_SOCKET" ] && [ -z "${SW_DEMO_NS:-}" ] && [ "$(id -u)" = 0 ] &&
		[ -x "$SW_DEMO_JOURNALD" ] || return 0
	if ! command -v unshare >/dev/null; then
		echo "demo: no journald here and no unshare(1) to run one privately;" \
			"going on without the journal notifier" >&2
		return 0
	fi
	if why=$(unshare --mount --propagation private true 2>&1); then
		exec env SW_DEMO_NS=1 unshare --mount --propagation private "$@"
	fi
	echo "demo: no journald here, and no private mount namespace to run one in" \
		"(${why:-unshare failed}: a chroot or an unprivileged container?);" \
		"going on without it: the journal notification waits in the outbox" >&2
	return 0
}

demo_journal_start() {
	[ -n "${SW_DEMO_NS:-}" ] || return 0
	if ! mount -t tmpfs -o mode=0755 tmpfs /run 2>/dev/null; then
		echo "demo: cannot mount a private /run; going on without a journald" >&2
		return 0
	fi
	mkdir -p /run/systemd/journal /run/log/journal
	[ ! -d /var/log/journal ] || mount -t tmpfs tmpfs /var/log/journal 2>/dev/null || true
	"$SW_DEMO_JOURNALD" >/dev/null 2>&1 &
	DEMO_JOURNALD_PID=$!
	for _ in $(seq 50); do [ -S "$SW_DEMO_JOURNAL_SOCKET" ] && break; sleep 0.1; done
	[ -S "$SW_DEMO_JOURNAL_SOCKET" ] ||
		echo "demo: the private journald did not start; going on without it" >&2
	return 0
}
