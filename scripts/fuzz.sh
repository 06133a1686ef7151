#!/usr/bin/env bash
# Runs the libFuzzer harnesses that `make fuzz` / `make sanitized` built in
# $ASAN_BUILD/fuzz (default build/asan/fuzz):
#   fuzz.sh SECONDS [NAME...]
# Each harness first runs every input of its seed corpus tests/fuzz/corpus/NAME/,
# then fuzzes for SECONDS more in a scratch corpus (new inputs never land in
# the tree), with tests/fuzz/NAME.dict when there is one.  A crash, a leak, a
# sanitizer report, an input slower than 10 s or above 2 GB fails the harness;
# its reproducer is kept as $ASAN_BUILD/fuzz/crashes/NAME-*.  Prints one line
# per harness and closes with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
secs=${1:?usage: fuzz.sh SECONDS [NAME...]}
shift
dir=${ASAN_BUILD:-build/asan}/fuzz
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
	for b in "$dir"/fuzz_*; do
		[ -x "$b" ] && names+=("${b##*/fuzz_}")
	done
fi
[ ${#names[@]} -gt 0 ] || { echo "fuzz.sh: no harness in $dir (make sanitized)" >&2; exit 1; }
mkdir -p "$dir/crashes"
pass=0 fail=0
for n in "${names[@]}"; do
	bin=$dir/fuzz_$n seeds=tests/fuzz/corpus/$n
	[ -x "$bin" ] || { echo "fuzz.sh: no harness $bin" >&2; fail=$((fail + 1)); continue; }
	scratch=$(mktemp -d)
	opts=(-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
	      -artifact_prefix="$dir/crashes/$n-")
	[ -f "tests/fuzz/$n.dict" ] && opts+=(-dict="tests/fuzz/$n.dict")
	log=$dir/$n.log
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
		timeout $((secs + 120)) "$bin" "${opts[@]}" "$scratch" "$seeds" >"$log" 2>&1
	rc=$?
	rm -rf "$scratch"
	runs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+)/\1/p' "$log" | tail -1)
	if [ "$rc" -eq 0 ]; then
		echo "ok   fuzz_$n: ${runs:-?} inputs in ${secs}s over $(ls "$seeds" | wc -l) seeds"
		pass=$((pass + 1))
	else
		echo "FAIL fuzz_$n (exit $rc): see $log"
		grep -E "ERROR|SUMMARY|property broken|Test unit written" "$log" | head -5
		fail=$((fail + 1))
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
