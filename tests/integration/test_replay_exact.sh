#!/usr/bin/env bash
# test_replay_exact.sh - `shrinkwatchctl replay` carries the exact removal
# figures of a protocol-3 agent (trace columns flags, removed_*,
# removed_young_*, removed_min_age, retention; ctl/trace.h) into the
# detector, as the collector does live:
#   - one 10 MB file younger than the retention deleted at noon from a 1 TB
#     store fires a drop at once with the exact columns, and nothing without
#     them (the same totals: far below any statistical threshold);
#   - the same removal reported without the young split (flags 8) stays
#     quiet: only young removal is never a purge;
#   - rows the collector would refuse are refused, naming line and problem.
set -u
ctl=$BUILD/shrinkwatchctl
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi; }

# a day of 5-minute samples of a 1 TB store: 10 MB/sample ingest; at noon
# one 10 MB file (born 2 days ago, retention 31 days) is deleted
gen() { # FLAGS_OF_THE_NOON_ROW (empty: no exact columns at all)
	local t0=1767225600 b=1000000000000 o=100000 i t fl
	if [ "$1" = none ]; then
		echo "time,store,bytes,objects,added_bytes,added_objects"
	else
		echo "time,store,bytes,objects,added_bytes,added_objects,flags,removed_bytes,removed_objects,removed_young_bytes,removed_young_objects,removed_min_age,retention"
	fi
	for i in $(seq 0 287); do
		t=$((t0 + 300 * i))
		b=$((b + 10000000))
		o=$((o + 1))
		if [ "$i" -eq 144 ]; then
			b=$((b - 10000000))
			o=$((o - 1))
		fi
		if [ "$1" = none ]; then
			echo "$t,s1,$b,$o,10000000,1"
		elif [ "$i" -eq 0 ]; then
			echo "$t,s1,$b,$o,10000000,1,0,,,,,,"
		elif [ "$i" -eq 144 ] && [ "$1" = 24 ]; then
			echo "$t,s1,$b,$o,10000000,1,24,10000000,1,10000000,1,172800,2678400"
		elif [ "$i" -eq 144 ]; then
			echo "$t,s1,$b,$o,10000000,1,8,10000000,1,,,172800,"
		else
			echo "$t,s1,$b,$o,10000000,1,24,0,0,0,0,,2678400"
		fi
	done
}

gen 24 >"$tmp/exact.csv"
gen 8 >"$tmp/nosplit.csv"
gen none >"$tmp/totals.csv"
"$ctl" replay "$tmp/exact.csv" >"$tmp/exact.jsonl"
check "exact trace replays" '[ $? -eq 0 ]'
check "young removal fires a drop at the noon sample" \
	'grep -q "\"time\":$((1767225600 + 300 * 144)),\"store\":\"s1\",\"kind\":\"drop\",\"state\":\"firing\"" "$tmp/exact.jsonl"'
check "the summary says exact accounting" 'grep -q "younger than the retention (31d)" "$tmp/exact.jsonl"'
"$ctl" replay "$tmp/totals.csv" >"$tmp/totals.jsonl"
check "the same totals without exact columns stay quiet" '[ $? -eq 0 ] && [ ! -s "$tmp/totals.jsonl" ]'
"$ctl" replay "$tmp/nosplit.csv" >"$tmp/nosplit.jsonl"
check "exact figures without the young split stay quiet" '[ $? -eq 0 ] && [ ! -s "$tmp/nosplit.jsonl" ]'

# a case folder of 30 items (2 days old) deleted with one fresh decoy file
# (5 minutes old) at noon: with the fresh split (flags 152) the 30 settled
# items fire at once; without it (flags 24) the decoy takes the whole
# removal to the statistical model (the known gap the split closes)
decoy() { # FLAGS
	local t0=1767225600 b=1000000000000 o=100000 i t
	echo "time,store,bytes,objects,added_bytes,added_objects,flags,removed_bytes,removed_objects,removed_young_bytes,removed_young_objects,removed_min_age,retention,fresh_age,removed_fresh_bytes,removed_fresh_objects,removed_min_settled_age"
	for i in $(seq 0 287); do
		t=$((t0 + 300 * i))
		b=$((b + 10000000))
		o=$((o + 1))
		if [ "$i" -eq 144 ]; then
			b=$((b - 310000000))
			o=$((o - 31))
		fi
		if [ "$i" -eq 0 ]; then
			echo "$t,s1,$b,$o,10000000,1,0,,,,,,,,,,"
		elif [ "$i" -eq 144 ] && [ "$1" = 152 ]; then
			echo "$t,s1,$b,$o,10000000,1,152,310000000,31,310000000,31,300,2678400,7200,10000000,1,172800"
		elif [ "$i" -eq 144 ]; then
			echo "$t,s1,$b,$o,10000000,1,24,310000000,31,310000000,31,300,2678400,,,,"
		else
			echo "$t,s1,$b,$o,10000000,1,152,0,0,0,0,,2678400,7200,0,0,"
		fi
	done
}
decoy 152 >"$tmp/fresh.csv"
decoy 24 >"$tmp/nofresh.csv"
"$ctl" replay "$tmp/fresh.csv" >"$tmp/fresh.jsonl"
check "fresh split: the case folder with a decoy fires at the noon sample" \
	'grep -q "\"time\":$((1767225600 + 300 * 144)),\"store\":\"s1\",\"kind\":\"drop\",\"state\":\"firing\"" "$tmp/fresh.jsonl" && grep -q "30 items" "$tmp/fresh.jsonl"'
"$ctl" replay "$tmp/nofresh.csv" >"$tmp/nofresh.jsonl"
check "without the fresh split the decoy hides it at that sample" \
	'! grep -q "\"time\":$((1767225600 + 300 * 144)),\"store\":\"s1\",\"kind\":\"drop\",\"state\":\"firing\"" "$tmp/nofresh.jsonl"'

# rows the collector refuses
bad() { # NAME ROW EXPECTED_ERROR
	{ head -n 3 "$tmp/exact.csv"; echo "$2"; } >"$tmp/bad.csv"
	"$ctl" replay "$tmp/bad.csv" >/dev/null 2>"$tmp/err"
	rc=$? want=$3
	check "$1: exit 1 naming line 4" '[ $rc -eq 1 ] && grep -q "bad.csv:4: $want" "$tmp/err"'
}
bad "young split without exact" "1767226500,s1,1,1,0,0,16,1,1,1,1,5,100" "flags: young split (16) without exact (8)"
bad "young split without retention" "1767226500,s1,1,1,0,0,24,1,1,1,1,5," "flags: young split (16) without a retention"
bad "young above the whole" "1767226500,s1,1,1,0,0,24,1,1,2,2,5,100" "removed_young_\* above removed_\*"
bad "exact on a partial scan" "1767226500,s1,,,,,8,1,1,,,5," "flags: exact (8) on a scan that is not complete"
fbad() { # NAME FLAGS,FIGURES EXPECTED_ERROR: in the fresh-split trace
	{ head -n 3 "$tmp/fresh.csv"; echo "1767226500,s1,1,1,0,0,$2"; } >"$tmp/bad.csv"
	"$ctl" replay "$tmp/bad.csv" >/dev/null 2>"$tmp/err"
	rc=$? want=$3
	check "$1: exit 1 naming line 4" '[ $rc -eq 1 ] && grep -q "bad.csv:4: $want" "$tmp/err"'
}
fbad "fresh split without exact" "128,,,,,,,7200,0,0," "flags: fresh split (128) without exact (8)"
fbad "fresh above young" "152,3,3,2,2,5,100,10,3,3," "removed_fresh_\* above removed_young_\*"
fbad "fresh above the whole" "136,3,3,,,5,,10,4,4," "removed_fresh_\* above removed_\*"
fbad "fresh age 0" "136,3,3,,,5,,0,1,1," "fresh_age: must be above 0"
fbad "fresh age above retention" "152,3,3,2,2,5,100,101,1,1," "fresh_age: must be above 0 and at most the retention"
fbad "settled below fresh age" "136,3,3,,,5,,10,1,1,9" "removed_min_settled_age below fresh_age"
bad "a bad count" "1767226500,s1,1,1,0,0,24,x,1,1,1,5,100" "column .removed_bytes.: invalid value .x."
exit $fail
