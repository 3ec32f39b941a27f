#!/usr/bin/env bash
# wide_eval.sh BUILD SET [wide_score.py options] - the wide evaluation behind
# `make eval`: traces from tests/scenarios/widegen.py (an independent
# generator with every parameter drawn wide), replayed by shrinkwatchctl and
# scored by wide_score.py.
#   SET dev   seeds 1000-1069: the seeds to develop against
#   SET test  seeds 5000-5069: never tuned on; the issue-14 gates apply here
set -eu
build=$1
set_name=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
case $set_name in
dev) first=1000 ;;
test) first=5000 ;;
*) echo "wide_eval: SET must be dev or test, not '$set_name'" >&2; exit 2 ;;
esac
count=${WIDE_COUNT:-70}
out=$build/eval/wide-$set_name
mkdir -p "$out"
jobs=${EVAL_JOBS:-$(nproc)}

one() { # seed
	local p=$out/w$1
	python3 "$here/widegen.py" "$1" "$p"
	"$build/shrinkwatchctl" replay --config "$p.conf" --explain "$p.explain.csv" "$p.csv" >"$p.sw.jsonl"
	rm -f "$p.csv"
}
export -f one
export build out here

seq "$first" $((first + count - 1)) | xargs -P "$jobs" -I{} bash -c 'one "$@" || exit 255' _ {}
prefixes=()
for s in $(seq "$first" $((first + count - 1))); do prefixes+=("$out/w$s"); done
python3 "$here/wide_score.py" --limits "$here/wide_limits" "$@" "$set_name" "${prefixes[@]}"
