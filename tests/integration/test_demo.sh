#!/usr/bin/env bash
# test_demo.sh - `make demo` where no private mount namespace can be made (a
# plain chroot such as sbuild or pbuilder, an unprivileged container): the
# demo says so and goes on without a journald of its own, instead of dying
# under `set -e` on `unshare` (packaging/demo/journal.sh).  The machine is
# played by PATH: an unshare that fails as it does there, and an id that says
# root, with no journald socket.  Then the whole demo runs that way: its
# month of history raises the alert on the unexplained loss and nothing
# else, the agent takes over where the history ends, and the live store's
# deletion raises its alert.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
root=$(cd "$here/../.." && pwd)
[ -x "$BUILD/bench/sendtrace" ] || fail "$BUILD/bench/sendtrace is not built (make integration builds it)"

mkdir -p "$T/nons" "$T/ns"
cat >"$T/nons/unshare" <<'SH'
#!/bin/sh
echo "unshare: unshare failed: Operation not permitted" >&2
exit 1
SH
cat >"$T/ns/unshare" <<'SH'
#!/bin/sh
# unshare --mount --propagation private PROGRAM ARGS...: runs it in place
[ "$1 $2 $3" = "--mount --propagation private" ] || exit 2
shift 3
exec "$@"
SH
cat >"$T/nons/id" <<'SH'
#!/bin/sh
if [ "$*" = "-u" ]; then echo 0; else exec /usr/bin/id "$@"; fi
SH
cp "$T/nons/id" "$T/ns/id"
chmod +x "$T"/nons/* "$T"/ns/*
export SW_DEMO_JOURNAL_SOCKET=$T/no-journald.sock SW_DEMO_JOURNALD=/bin/true

# the start-up path: with unshare failing it says why and returns
startup() { # PATH_DIR: runs demo_journal_reexec as demo.sh does, then echoes
	PATH=$1:$PATH bash -c 'set -euo pipefail; . "$1"
		demo_journal_reexec /bin/sh -c "echo re-executed SW_DEMO_NS=\$SW_DEMO_NS"
		echo "went on"' _ "$root/packaging/demo/journal.sh"
}
out=$(startup "$T/nons" 2>"$T/startup.err") || fail "start-up failed: $(cat "$T/startup.err")"
[ "$out" = "went on" ] || fail "start-up with a failing unshare printed '$out'"
grep -q "no private mount namespace to run one in (unshare: unshare failed: Operation not permitted" \
	"$T/startup.err" || fail "no fallback message: $(cat "$T/startup.err")"
# where the namespace can be made, it re-executes in it
out=$(startup "$T/ns" 2>"$T/startup.err") || fail "start-up failed: $(cat "$T/startup.err")"
[ "$out" = "re-executed SW_DEMO_NS=1" ] || fail "start-up with a working unshare printed '$out'"
# and inside, a /run that cannot be mounted is no reason to stop either
printf '#!/bin/sh\necho "mount: permission denied" >&2\nexit 32\n' >"$T/ns/mount"
chmod +x "$T/ns/mount"
out=$(PATH=$T/ns:$PATH SW_DEMO_NS=1 bash -c 'set -euo pipefail; . "$1"; demo_journal_start
	echo "went on journald=$DEMO_JOURNALD_PID"' _ "$root/packaging/demo/journal.sh" 2>"$T/startup.err") ||
	fail "demo_journal_start failed: $(cat "$T/startup.err")"
[ "$out" = "went on journald=" ] && grep -q "cannot mount a private /run" "$T/startup.err" ||
	fail "a failing mount: '$out' $(cat "$T/startup.err")"
ok "start-up: falls back with a message when unshare or mount fail, re-executes when it can"

# the history ending on four days of the week, through `shrinkwatchctl replay` (the
# same detector, offline): one alert, the drop, within two samples of the
# loss, stating all the lost clips once the loss stops (the migration loses
# them over ten minutes: an update may follow the firing); the purges and
# the declared deletion raise nothing
. "$root/packaging/demo/history.sh"
history_conf | sed "s|^\[store .*\]|[store $HISTORY_STORE]|" >"$T/detect.conf"
for d in 0 2 4 6; do
	h=$T/replay-$d
	python3 "$root/packaging/demo/history.py" "$h" --no-store --now $(($(date +%s) + d * 90000))
	(. "$h/events.sh"
	 printf 'start,end,store,bytes,objects,reason\n%s,%s,%s,%s,%s,"%s"\n' "$decl_from" \
		"$decl_to" "$HISTORY_STORE" "$decl_bytes" "$decl_objects" "$decl_reason" >"$h/explain.csv"
	 { cat "$h/trace-1.csv"; tail -n +2 "$h/trace-2.csv"; } >"$h/trace.csv"
	 "$BUILD/shrinkwatchctl" replay --config "$T/detect.conf" --explain "$h/explain.csv" \
		"$h/trace.csv" >"$h/alerts.jsonl"
	 python3 - "$h/alerts.jsonl" "$loss_time" "$loss_objects" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
assert [(e["kind"], e["state"]) for e in ev] == [("drop", "firing")] + [("drop", "updated")] * (len(ev) - 1), ev
assert 0 < ev[0]["time"] - int(sys.argv[2]) <= 2 * 300 + 600, ev
assert round(ev[-1]["lost_objects"]) == int(sys.argv[3]), ev
PY
	) || fail "the history of day +$d: $(cat "$h/alerts.jsonl")"
	rm -rf "$h"
done
ok "the history ending on four days of the week: one drop alert each, nothing for the purges and the declared deletion"

# the whole demo, on that machine
PATH=$T/nons:$PATH DEMO_DIR=$T/demo BUILD=$BUILD timeout 300 "$root/packaging/demo/demo.sh" \
	>"$T/demo.log" 2>&1 || { tail -n 40 "$T/demo.log"; fail "the demo failed"; }
grep -q "no private mount namespace" "$T/demo.log" || fail "the demo did not say why it has no journald"
grep -q "Demo done" "$T/demo.log" || fail "the demo did not finish"
if "$BUILD/shrinkwatchctl" --socket "$T/demo/control.sock" status >/dev/null 2>&1; then
	fail "the demo left its collector running"
fi
python3 - "$T/demo/data/ledger.db" <<'PY' || fail "the demo's alerts are wrong"
import sqlite3, sys
rows = sqlite3.connect(sys.argv[1]).execute(
    "SELECT agent, store, kind FROM alerts ORDER BY id").fetchall()
assert rows == [("evsrv01", "bodycam", "drop"), ("evsrv02", "interviews", "drop")], rows
PY
# the live alert's loss inventory: the deleted case folder, fetched from the
# agent's journal and printed by the demo
grep -q "^2026/11/02/case-1002/  5 items" "$T/demo.log" ||
	fail "the demo did not print its alert's loss inventory: $(grep -A12 'Which clips' "$T/demo.log")"
grep -q "clip3.mp4" "$T/demo.log" || fail "the inventory lacks the clips"
ok "the demo prints its live alert's loss inventory (case-1002, 5 clips)"
line=$(grep "its first live scan:" "$T/demo.log")
[[ $line =~ objects=([0-9]+)\ bytes=([0-9]+)\ \(the\ history\ ended\ at\ objects=([0-9]+)\ bytes=([0-9]+)\) ]] ||
	fail "no take-over line: $line"
[ "${BASH_REMATCH[1]}/${BASH_REMATCH[2]}" = "${BASH_REMATCH[3]}/${BASH_REMATCH[4]}" ] ||
	fail "the agent's first scan does not continue the history: $line"
ok "the demo runs without a namespace: history alert on evsrv01/bodycam only, the agent continues it (${BASH_REMATCH[1]} objects), live alert on evsrv02/interviews"
