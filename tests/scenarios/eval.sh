#!/usr/bin/env bash
# eval.sh BUILD [--assert] - the evaluation suite behind `make eval`.
#
# Writes labelled traces with tests/scenarios/simulate into $BUILD/eval/, runs
# `shrinkwatchctl replay` (with the store's config for odd seeds, learned
# retention otherwise, and the declared deletions) and both reference
# detectors on each, then prints the table (tests/scenarios/score.c).
# Traces: every kind x seeds 1-3 small (60 s samples) and 4-5 large (300 s),
# all with added_*, seeds 6 (small) and 7 (large) net-only, seed 8 tiny.
set -eu
build=$1; shift
score_args=("$@")
out=$build/eval
mkdir -p "$out"
kinds="normal declared drop masked leak overpurge truncate object_loss vanished silence"
jobs=${EVAL_JOBS:-$(nproc)}

one() { # kind seed size mode
	local p=$out/$1-$2-$3-$4
	"$build/eval/simulate" "$1" "$2" "$3" "$4" "$p"
	"$build/shrinkwatchctl" replay --config "$p.conf" --explain "$p.explain.csv" "$p.csv" >"$p.sw.jsonl"
	local wd
	wd=$(mktemp -d)
	"$build/eval/refdetect" "$p.csv" "$wd" >"$p.ref.jsonl"
	rm -rf "$wd" "$p.csv"
}
export -f one
export build out

list=()
for k in $kinds; do
	for s in 1 2 3; do list+=("$k $s small added"); done
	for s in 4 5; do list+=("$k $s large added"); done
	list+=("$k 6 small net" "$k 7 large net" "$k 8 tiny added")
done
printf '%s\n' "${list[@]}" | xargs -P "$jobs" -L 1 bash -c 'one "$@" || exit 255' _
prefixes=()
for l in "${list[@]}"; do prefixes+=("$out/${l// /-}"); done
"$build/eval/score" "${score_args[@]}" "${prefixes[@]}"
