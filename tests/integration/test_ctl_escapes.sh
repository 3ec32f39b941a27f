#!/usr/bin/env bash
# test_ctl_escapes.sh - a name from the wire cannot rewrite what the
# operator's terminal shows (issue 16 item 8): a deletion report whose
# program path holds an ESC sequence, a carriage return, a newline, a C1
# control and bytes that are not UTF-8 is shown by `shrinkwatchctl
# deletions` with those escaped (\e, \r, \n, \u009b, \xff), and nothing of it
# reaches the terminal raw.  (The collector's JSON, which --json prints, has
# every control character as a \u escape, C1 included; bytes that are not
# UTF-8 become U+FFFD there.)
SW_TLS=0
. "$(dirname "$0")/lib.sh"
wire="$(dirname "$0")/sw_wire.py"
CTL="$BUILD/shrinkwatchctl"

port=$(free_port)
sock=$T/control.sock
mkdir -p "$T/data"
collector_conf "$T/collector.conf" "$port" "$T/data" "control = $sock"
start collector "$BUILD/shrinkwatch-collector" -c "$T/collector.conf"
cpid=$LAST_PID
wait_for 10 "control socket" test -S "$sock"

now=$(date +%s)
exe=$'/tmp/x\e[2K\r/usr/sbin/logrotate\nFORGED CULPRIT\xc2\x9b31m\xff'
dir=$'2023/\e]0;title\a'
out=$(python3 "$wire" "$port" hello2 evsrv01 10 read deletion bodycam 1 "$now" "$exe" "$dir" read)
[ "$out" = $'ACK 0\nDELACK 1' ] || fail "deletion report not stored: got '$out'"

"$CTL" deletions --socket "$sock" >"$T/deletions.txt"
# what reached the terminal: valid UTF-8 without C0 (but the newlines ending
# lines), DEL or C1 controls
python3 - "$T/deletions.txt" <<'PY' || fail "raw control or non-UTF-8 bytes reached the terminal: $(od -c "$T/deletions.txt" | head -20)"
import sys
text = open(sys.argv[1], 'rb').read().decode('utf-8')
bad = [c for c in text if c != '\n' and (ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f)]
sys.exit(1 if bad else 0)
PY
[ "$(wc -l <"$T/deletions.txt")" = 2 ] || fail "a name added lines: $(cat "$T/deletions.txt")"
grep -qF '/tmp/x\e[2K\r/usr/sbin/logrotate\nFORGED CULPRIT\u009b31m' "$T/deletions.txt" ||
	fail "the program path is not shown escaped: $(cat "$T/deletions.txt")"
grep -qF '2023/\e]0;title\a' "$T/deletions.txt" || fail "the directory is not escaped"
ok "deletions: ESC, CR, newline, BEL and C1 in a program path shown as \\e \\r \\n \\a \\u009b; invalid UTF-8 as U+FFFD"

"$CTL" deletions --socket "$sock" --json >"$T/deletions.json"
python3 - "$T/deletions.json" <<'PY' || fail "--json carries raw control characters: $(cat "$T/deletions.json")"
import sys
text = open(sys.argv[1], 'rb').read().decode('utf-8')
sys.exit(1 if [c for c in text if c != '\n' and (ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f)] else 0)
PY
grep -qF '"exe":"/tmp/x\u001b[2K\u000d/usr/sbin/logrotate\nFORGED CULPRIT\u009b31m\ufffd"' "$T/deletions.json" ||
	fail "--json: $(cat "$T/deletions.json")"
ok "--json: control characters (C1 too) stay JSON escapes"
stop "$cpid"
