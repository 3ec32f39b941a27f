#!/usr/bin/env bash
# wide_eval.sh BUILD SET [wide_score.py options] - the wide evaluation behind
# `make eval`: traces from tests/scenarios/widegen.py (an independent
# generator with every parameter drawn wide), replayed by shrinkwatchctl and
# scored by wide_score.py.
#   SET dev   seeds 1000-1069: the seeds to develop against
#   SET test  seeds 5000-5069: never tuned on; the issue-14 gates apply here
# Every seed is replayed under each data contract of WIDE_CONTRACTS (default
# "net added exact": totals only, with added_*, with the exact removal
# figures of a protocol-3 agent; widegen.py --contract) -- the same stores
# seen by three agents -- and scored per contract; with --doc the
# detectability table covers all of them.
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
contracts=${WIDE_CONTRACTS:-net added exact}
out=$build/eval/wide-$set_name
jobs=${EVAL_JOBS:-$(nproc)}
doc=
score_opts=()
while [ $# -gt 0 ]; do
	case $1 in
	--doc) doc=$2; shift 2 ;;
	*) score_opts+=("$1"); shift ;;
	esac
done

one() { # contract seed
	local p=$out-$1/w$2
	python3 "$here/widegen.py" "$2" "$p" --contract "$1"
	"$build/shrinkwatchctl" replay --config "$p.conf" --explain "$p.explain.csv" "$p.csv" >"$p.sw.jsonl"
	rm -f "$p.csv"
}
export -f one
export build out here

for c in $contracts; do
	mkdir -p "$out-$c"
	seq "$first" $((first + count - 1)) | sed "s/^/$c /"
done | xargs -P "$jobs" -L1 bash -c 'one "$@" || exit 255' _
rc=0
all=()
for c in $contracts; do
	prefixes=()
	for s in $(seq "$first" $((first + count - 1))); do prefixes+=("$out-$c/w$s"); done
	all+=("${prefixes[@]}")
	python3 "$here/wide_score.py" --limits "$here/wide_limits" ${score_opts[@]+"${score_opts[@]}"} \
		"$set_name/$c" "${prefixes[@]}" || rc=1
done
if [ -n "$doc" ]; then
	python3 "$here/wide_score.py" --limits "$here/wide_limits" --doc "$doc" "$set_name" \
		"${all[@]}" >/dev/null
fi
exit $rc
