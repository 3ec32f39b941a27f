#!/usr/bin/env bash
# test_replay_golden.sh - `shrinkwatchctl replay` on a small committed trace
# must print exactly the committed alerts (tests/integration/golden/):
#   s1: an unexplained 1% drop (fires one sample later, then is explained by
#       a deletion declared after the fact), a silent agent (6 missing
#       samples), a partial scan and a declared deletion (both quiet), nightly
#       purges under `retention = 1d`, `purge_at = 02:00`;
#   s2: net-only (no added_*), its volume disappears on the last day.
# Any change in the detector's behaviour shows up as a diff.  Also checks the
# command's error handling: line numbers for bad rows, exit codes.
set -u
here=$(cd "$(dirname "$0")" && pwd)
g=$here/golden
ctl=$BUILD/shrinkwatchctl
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi; }

"$ctl" replay --config "$g/config.ini" --explain "$g/explain.csv" "$g/trace.csv" >"$tmp/out.jsonl"
check "replay exits 0" '[ $? -eq 0 ]'
if ! diff -u "$g/expected.jsonl" "$tmp/out.jsonl"; then
	echo "FAIL: replay output differs from golden/expected.jsonl"
	fail=1
else
	echo "ok: golden output matches ($(wc -l <"$tmp/out.jsonl") events)"
fi

# the same trace from stdin gives the same events
"$ctl" replay --config "$g/config.ini" --explain "$g/explain.csv" - <"$g/trace.csv" >"$tmp/stdin.jsonl"
check "stdin replay is identical" 'cmp -s "$tmp/out.jsonl" "$tmp/stdin.jsonl"'

# --figures: a row per judged sample (complete scans after each store's
# first, less those a vanished store holds back), the same events on
# stdout, s1's configured purge window with its allowance, the loss that
# fired among the rows
"$ctl" replay --config "$g/config.ini" --explain "$g/explain.csv" --figures "$tmp/fig.csv" \
	"$g/trace.csv" >"$tmp/fig.jsonl"
check "--figures leaves the events alone" 'cmp -s "$tmp/out.jsonl" "$tmp/fig.jsonl"'
check "--figures header" 'head -n 1 "$tmp/fig.csv" | grep -q "^time,store,in_purge,removed_bytes,removed_objects,purge_allow_bytes"'
complete=$(awk -F, 'NR > 1 && $3 != "" { n[$2]++ } END { for (s in n) t += n[s] - 1; print t }' "$g/trace.csv")
rows=$(($(wc -l <"$tmp/fig.csv") - 1))
check "--figures has a row per judged sample ($rows of $complete complete)" \
	'[ "$rows" -le "$complete" ] && [ "$rows" -ge $((complete * 9 / 10)) ]'
check "--figures: s1 purges inside its window, with an allowance" \
	'awk -F, "\$2 == \"\\\"s1\\\"\" && \$3 == 1 && \$6 > 0 && \$8 > 0 { f = 1 } END { exit !f }" "$tmp/fig.csv"'
check "--figures rows name their store, quoted" 'grep -q "^[0-9]*,\"s1\",[01]," "$tmp/fig.csv" && grep -q "^[0-9]*,\"s2\",[01]," "$tmp/fig.csv"'
check "--figures: some sample fed the alarms a loss" 'awk -F, "NR > 1 && \$12 > 0 { f = 1 } END { exit !f }" "$tmp/fig.csv"'
"$ctl" replay --figures /nonexistent/dir/fig.csv "$g/trace.csv" >/dev/null 2>"$tmp/err"
check "--figures to an unwritable path exits 1 and says so" '[ $? -eq 1 ] && grep -q "cannot write ./nonexistent/dir/fig.csv.: No such file" "$tmp/err"'

# bad input: the line number and the column are named, exit status 1
{ head -n 5 "$g/trace.csv"; echo "1735691400,s1,12x,1,0,0"; } >"$tmp/bad.csv"
"$ctl" replay "$tmp/bad.csv" >/dev/null 2>"$tmp/err"
rc=$?
check "bad row exits 1" '[ $rc -eq 1 ]'
check "bad row error names line 6" 'grep -q "bad.csv:6: column .bytes.: invalid value .12x." "$tmp/err"'
printf 'time,store,bytes\n' >"$tmp/hdr.csv"
"$ctl" replay "$tmp/hdr.csv" >/dev/null 2>"$tmp/err"
check "missing column is named" 'grep -q "hdr.csv:1: header: missing column .objects." "$tmp/err"'
{ head -n 3 "$g/trace.csv"; echo "1735689000,s1,1,1,0,0"; } >"$tmp/order.csv"
"$ctl" replay "$tmp/order.csv" >/dev/null 2>"$tmp/err"
check "rows out of time order are refused" 'grep -q "order.csv:4: time" "$tmp/err"'
printf '[store s1]\nretention = soon\n' >"$tmp/bad.ini"
"$ctl" replay --config "$tmp/bad.ini" "$g/trace.csv" >/dev/null 2>"$tmp/err"
check "bad config names file and line" 'grep -q "bad.ini:2: \[store s1\] retention: retention must be a duration like 30d" "$tmp/err"'

# usage errors exit 2, help exits 0
"$ctl" replay >/dev/null 2>&1
check "replay without a trace exits 2" '[ $? -eq 2 ]'
"$ctl" frobnicate >/dev/null 2>"$tmp/err"
check "unknown subcommand exits 2" '[ $? -eq 2 ] && grep -q "unknown command" "$tmp/err"'
"$ctl" --help | grep -q replay
check "--help lists replay" '[ $? -eq 0 ]'
"$ctl" --version | grep -q '^shrinkwatchctl '
check "--version" '[ $? -eq 0 ]'
exit $fail
