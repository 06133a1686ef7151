#!/usr/bin/env bash
# Runs the test binaries and prints one closing line "N passed, N failed".
#   test.sh          unit, end-to-end, sanitized, package (root), then the kernel matrix (root)
#   test.sh unit     unit tests and the rule packs' cases (rules/tests/)
#   test.sh e2e      end-to-end tests only (auto backend, then the hook
#                    families' suites with E2E_FORCED_BACKENDS, default raw)
#   test.sh asan     unit, rule-pack cases and (root) e2e once more, built with
#                    ASan+UBSan in $ASAN_BUILD (make sanitized), then every
#                    fuzz harness over its corpus and FUZZ_SECONDS (default 5) more
#   test.sh pkg      package tests (root: make deb, dpkg -i, run, dpkg -r)
#   test.sh deploy   the .deb on a booted Debian with systemd, under QEMU
#                    (scripts/test-deploy.sh; root)
#   test.sh kernels  the kernel matrix only (scripts/test-kernels.sh)
# Each binary is a cmocka suite; its own output is shown as it runs.  The
# kernel matrix counts one per kernel x backend x suite (a run the time budget
# left out counts as skipped); KERNELS_SKIP=1 leaves it and the deployment test
# out (a host that cannot reach the Debian archive).
set -uo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
pass=0 fail=0 skip=0 failed=()

run_suite() {
	local bin=$1 out rc p f
	echo "== $bin"
	out=$(mktemp)
	CMOCKA_MESSAGE_OUTPUT=stdout timeout "${TEST_TIMEOUT:-300}" "$bin" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	p=$(grep -Eo '\[  PASSED  \] [0-9]+' "$out" | awk '{s+=$4} END {print s+0}')
	f=$(grep -Eo '\[  FAILED  \] [0-9]+' "$out" | awk '{s+=$4} END {print s+0}')
	skip=$((skip + $(grep -Eo '\[  SKIPPED \] [0-9]+' "$out" | awk '{s+=$4} END {print s+0}')))
	rm -f "$out"
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1	# crashed, timed out, or failed outside a test
		echo "!! $bin exited with $rc"
	fi
	pass=$((pass + p)); fail=$((fail + f))
	[ "$rc" -ne 0 ] && failed+=("$bin")
}

# The shipped rule packs' cases (rules/tests/*.yaml), no root needed; the
# command's own closing line "N passed, N failed" is added to the totals.
run_rule_cases() {
	local bin=${1:-build/custos} out rc p f
	echo "== $bin rules test rules rules/tests"
	out=$(mktemp)
	timeout "${TEST_TIMEOUT:-300}" "$bin" rules test rules rules/tests 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	read -r p f < <(tail -n 1 "$out" | sed -nE 's/^([0-9]+) passed, ([0-9]+) failed$/\1 \2/p')
	rm -f "$out"
	p=${p:-0} f=${f:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "!! rules test exited with $rc"
	fi
	pass=$((pass + p)); fail=$((fail + f))
	[ "$rc" -ne 0 ] && failed+=("rule cases")
}

# A command that closes with its own "N passed, N failed": added to the
# totals (one failure when the line is missing); NAME is listed when it fails.
run_tallied() {
	local name=$1 out rc tally
	shift
	out=$(mktemp)
	"$@" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	tally=$(tail -n1 "$out")
	rm -f "$out"
	if [[ $tally =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed(,\ ([0-9]+)\ skipped)?$ ]]; then
		pass=$((pass + BASH_REMATCH[1])); fail=$((fail + BASH_REMATCH[2]))
		skip=$((skip + ${BASH_REMATCH[4]:-0}))
	else
		fail=$((fail + 1))
	fi
	[ "$rc" -ne 0 ] && failed+=("$name")
}

if [ "$what" = all ] || [ "$what" = unit ]; then
	for t in build/tests/unit/test_*; do [ -x "$t" ] && run_suite "$t"; done
	run_rule_cases
fi
if [ "$what" = all ] || [ "$what" = e2e ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "test.sh: end-to-end tests load BPF programs and need root" >&2
		fail=$((fail + 1)); failed+=("e2e (not root)")
	else
		for t in build/tests/e2e/test_*; do [ -x "$t" ] && run_suite "$t"; done
		# the hook families' suites again with weaker backends forced
		# (E2E_FORCED_BACKENDS, default "raw"; the run above used auto)
		for b in ${E2E_FORCED_BACKENDS-raw}; do
			for t in build/tests/e2e/test_exec build/tests/e2e/test_lineage \
				 build/tests/e2e/test_labels build/tests/e2e/test_file \
				 build/tests/e2e/test_file_evasion build/tests/e2e/test_net \
				 build/tests/e2e/test_netsock build/tests/e2e/test_dns; do
				[ -x "$t" ] || continue
				echo "== backend $b:"
				CUSTOS_E2E_ARGS="--backend $b" run_suite "$t"
			done
		done
	fi
fi
if [ "$what" = all ] || [ "$what" = asan ]; then
	asan=${ASAN_BUILD:-build/asan}
	if [ ! -x "$asan/custos" ] || [ ! -d "$asan/fuzz" ]; then
		echo "test.sh: no sanitized build in $asan (make sanitized)" >&2
		fail=$((fail + 1)); failed+=("asan (not built)")
	else
		# every report is fatal; the commands the tests run are the sanitized ones
		export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1
		export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
		export CUSTOS_BIN=$asan/custos CUSTOS_E2E_BIN=$asan/tests/e2e/bin
		for t in "$asan"/tests/unit/test_*; do [ -x "$t" ] && run_suite "$t"; done
		run_rule_cases "$asan/custos"
		if [ "$(id -u)" -eq 0 ]; then
			for t in "$asan"/tests/e2e/test_*; do [ -x "$t" ] && run_suite "$t"; done
		else
			echo "test.sh: sanitized end-to-end tests need root; left out" >&2
		fi
		unset ASAN_OPTIONS UBSAN_OPTIONS CUSTOS_BIN CUSTOS_E2E_BIN
		echo "== fuzz harnesses (scripts/fuzz.sh ${FUZZ_SECONDS:-5})"
		ASAN_BUILD=$asan run_tallied fuzz scripts/fuzz.sh "${FUZZ_SECONDS:-5}"
	fi
fi
if [ "$what" = all ] || [ "$what" = pkg ]; then
	for t in tests/pkg/test_*.sh; do
		[ -x "$t" ] || continue
		echo "== $t"
		out=$(mktemp)
		timeout "${TEST_TIMEOUT:-300}" bash "$t" 2>&1 | tee "$out"
		rc=${PIPESTATUS[0]}
		line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -1)
		rm -f "$out"
		p=${line%% passed*}; f=${line#*, }; f=${f%% failed}
		[ -z "$line" ] && p=0 f=1
		pass=$((pass + p)); fail=$((fail + f))
		[ "$rc" -ne 0 ] && failed+=("$t")
	done
fi
if { [ "$what" = all ] && [ -z "${KERNELS_SKIP:-}" ]; } || [ "$what" = deploy ]; then
	echo "== systemd deployment (scripts/test-deploy.sh)"
	run_tallied "systemd deployment" scripts/test-deploy.sh
fi
if { [ "$what" = all ] && [ -z "${KERNELS_SKIP:-}" ]; } || [ "$what" = kernels ]; then
	# the whole run within its time budget (CUSTOS_TEST_BUDGET seconds from
	# CUSTOS_TEST_T0, which `make test` sets when it starts): the matrix gets
	# what is left, its most telling runs first (docs/KERNELS.md, "Time budget")
	if [ -z "${KERNELS_DEADLINE:-}" ] && [ -n "${CUSTOS_TEST_T0:-}" ]; then
		export KERNELS_DEADLINE=$((CUSTOS_TEST_T0 + ${CUSTOS_TEST_BUDGET:-5100}))
	fi
	echo "== kernel matrix (scripts/test-kernels.sh)${KERNELS_DEADLINE:+, $((KERNELS_DEADLINE - $(date +%s))) s left of the time budget}"
	run_tallied "kernel matrix" scripts/test-kernels.sh
fi
[ ${#failed[@]} -gt 0 ] && echo "failed suites: ${failed[*]}"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] && [ ${#failed[@]} -eq 0 ]
