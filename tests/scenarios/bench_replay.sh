#!/usr/bin/env bash
# bench_replay.sh BUILD - times `shrinkwatchctl replay` on a year of 60-second
# samples for one store (525,600 rows: shift-end uploads, a nightly purge).
# A benchmark, not a test: it prints the time and never fails on it.
set -eu
build=$1
trace=$build/eval/year.csv
mkdir -p "$build/eval"
awk 'BEGIN {
	t0 = 1735689600; b = 1e13; o = 1e6
	print "time,store,bytes,objects,added_bytes,added_objects"
	for (i = 0; i < 525600; i++) {
		t = t0 + i * 60; tod = (i * 60) % 86400
		ab = (tod >= 25200 && tod < 32400) ? 2e9 : 1e8
		b += ab; o += ab / 5e8
		if (tod == 7200) { b -= 3e11; o -= 600 }
		printf "%d,s1,%.0f,%.0f,%.0f,%.0f\n", t, b, o, ab, ab / 5e8
	}
}' >"$trace"
start=$(date +%s.%N)
"$build/shrinkwatchctl" replay "$trace" >/dev/null
end=$(date +%s.%N)
echo "bench: replay of $(($(wc -l <"$trace") - 1)) samples (a year at 60 s) took $(echo "$end - $start" | bc -l | cut -c1-5) s"
rm -f "$trace"
