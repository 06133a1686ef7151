#!/usr/bin/env bash
# `make test-kernels`: the end-to-end suite on other kernels, under QEMU.
#
#   1. fetch Debian cloud kernels with apt (download only, private apt state
#      under build/kernels/, /etc/apt untouched), extract them with dpkg-deb;
#   2. build a static agent and the e2e tests (make STATIC=1 BUILD=build-static);
#   3. pack them, busybox, rules/ and a minimal /etc into one initramfs;
#   4. boot each kernel (qemu TCG, no network device, bounded by timeout), where
#      /init runs every e2e suite once per backend (the default, then forced
#      with --backend), printing one "CUSTOS-KTEST ..." line per run;
#   5. read the serial logs, write docs/SUPPORT-MATRIX.md, print the tally.
#
# Environment: KERNELS="5.10 6.1 6.12 sid" (which ones), KERNELS_BACKENDS="default
# raw fentry tracepoint" (in this order of priority; where the probe offers BPF
# LSM, the default run must have attached file__lsm, and a fentry run
# file__fentry: else the kernel fails, the backend was not really in use),
# KERNELS_SUITES="test_exec test_lineage test_labels test_file test_file_evasion
# test_net test_netsock test_dns test_persist test_delivery" (the suites of the BPF
# hook families, pinning and delivery; each runs on the backends whose programs
# it exercises: backend_suites below; the sink suites, e.g. test_forward with its
# Node.js receiver, do not depend on the kernel and run on the host only),
# KERNELS_JOBS=2 (guests in parallel), KERNELS_SMP=1 (CPUs per guest; 2 or more
# loads the programs in two parts at once, as on a host), KERNELS_TIMEOUT=2400
# (seconds per guest), KERNELS_DEADLINE (epoch seconds: the time budget; `make
# test` sets it so that the whole run fits CI's limit, docs/KERNELS.md "Time
# budget"), KERNELS_ALLOW_MISSING=1 (a kernel that cannot be fetched is not a
# failure), KERNELS_OFFLINE=1 (use what build/kernels/ already holds),
# KERNELS_DEBUG=1 (the agent's debug log, verifier messages included, for each
# backend in the serial log).  Safe to run again.
#
# Each kernel boots twice: phase 1 runs the first backend (default: BPF LSM where
# the kernel has it, what no host without it can test), phase 2 the others; every
# kernel's phase 1 goes before any phase 2.  With a deadline, a run that cannot
# start in time is reported NOT RUN (counted as skipped, listed by name), never
# as passed; one that starts runs to its end or to the deadline.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
SUITES=${KERNELS_SUITES:-test_exec test_lineage test_labels test_file test_file_evasion test_net test_netsock test_dns test_persist test_delivery}
KERNELS=${KERNELS:-"5.10 6.1 6.12 sid"}
BACKENDS=${KERNELS_BACKENDS:-"default raw fentry tracepoint"}
JOBS=${KERNELS_JOBS:-2}
DEADLINE=${KERNELS_DEADLINE:-0}

# The suites that run on backend B: those whose programs differ there.  The
# default backend (BPF LSM) runs all of them.  raw has its own exec, fork,
# exit and file programs: all but test_delivery (its exact flood counts do not
# survive the runs 7.2 skips, docs/KERNELS.md "Floods").  tracepoint and
# fentry differ from the default only in the file program and the AF_PACKET
# watch, and tracepoint from fentry in the exec program's company (no exec
# guard): the file suites and test_netsock on both, test_exec on tracepoint.
# The cgroup programs (test_net, test_dns) are the same objects on every
# backend: default and raw run them.
backend_suites() {
	local want s out=""
	case "$1" in
	default|lsm) want="$SUITES" ;;
	raw) want="test_exec test_lineage test_labels test_file test_file_evasion test_net test_netsock test_dns test_persist" ;;
	tracepoint) want="test_exec test_file test_file_evasion test_netsock" ;;
	fentry) want="test_file test_file_evasion test_netsock" ;;
	*) want="$SUITES" ;;
	esac
	for s in $SUITES; do
		case " $want " in *" $s "*) out+="$s " ;; esac
	done
	echo "${out% }"
}

# "backend:suite ..." of phase 1 (the first backend) or phase 2 (the others)
phase_runs() {
	local b s n=0 out=""
	for b in $BACKENDS; do
		n=$((n + 1))
		if { [ "$1" = 1 ] && [ $n -eq 1 ]; } || { [ "$1" = 2 ] && [ $n -gt 1 ]; }; then
			for s in $(backend_suites "$b"); do out+="$b:$s "; done
		fi
	done
	echo "${out% }"
}
t_start=$(date +%s)
# shellcheck source=scripts/kernels-lib.sh
. scripts/kernels-lib.sh
kernels_setup test-kernels

# --- 1. kernels ------------------------------------------------------------
t0=$(date +%s)
kernels_fetch_all "$KERNELS"
t_fetch=$(($(date +%s) - t0))

# --- 2. static build -------------------------------------------------------
t0=$(date +%s)
kernels_static_build all tests
t_build=$(($(date +%s) - t0))

# --- 3. initramfs ----------------------------------------------------------
root=$OUT/initramfs
initramfs_base "$root"
mkdir -p "$root/custos/build/tests/e2e/bin"
for s in $SUITES; do cp "$SB/tests/e2e/$s" "$root/custos/build/tests/e2e/"; done
cp "$SB"/tests/e2e/bin/* "$root/custos/build/tests/e2e/bin/"
rm -f "$root"/custos/build/tests/e2e/bin/*.d
# the .so files the test binaries need (cmocka, libc, the loader)
initramfs_libs "$root" "$root"/custos/build/tests/e2e/test_*
cat >"$root/init" <<EOF
#!/bin/sh
# PID 1 of a custos kernel-matrix guest (written by scripts/test-kernels.sh)
RUNS_1="$(phase_runs 1)"
RUNS_2="$(phase_runs 2)"
DEBUG="${KERNELS_DEBUG:-}"
EOF
initramfs_init_prelude >>"$root/init"
cat >>"$root/init" <<'EOF'
export CUSTOS_E2E_BIN=/custos/build/tests/e2e/bin
# custos.phase=N picks the runs; custos.left=S is the time budget in seconds of
# uptime (0: none): a run that cannot start 90 s before it is NOT RUN, one that
# runs is cut at it
PHASE=1 LEFT=0
for a in $(cat /proc/cmdline); do
	case "$a" in custos.phase=*) PHASE=${a#*=} ;; custos.left=*) LEFT=${a#*=} ;; esac
done
RUNS=$RUNS_1
[ "$PHASE" = 2 ] && RUNS=$RUNS_2
# the seconds a run may take (600 at most), or nothing when it cannot start
budget() {
	[ "$LEFT" -gt 0 ] || { echo 600; return; }
	rem=$((LEFT - $(cut -d. -f1 /proc/uptime)))
	[ "$rem" -ge 90 ] || return 0
	if [ "$rem" -lt 600 ]; then echo "$rem"; else echo 600; fi
}
notrun() {
	echo "CUSTOS-KTEST kernel=$K backend=$1 suite=$2 result=NOTRUN 0 0 rc=0 skipped=0 secs=0"
}
echo "CUSTOS-KTEST-BEGIN kernel=$K phase=$PHASE"
echo "CUSTOS-KTEST-LSM kernel=$K lsm=$(cat /sys/kernel/security/lsm 2>/dev/null)"
echo "CUSTOS-KTEST-PROBE kernel=$K $($CUSTOS_BIN version --probe 2>&1 | tr '\n' ' ')"
probed=" "
for r in $RUNS; do
	b=${r%%:*} s=${r#*:}
	args=""
	[ "$b" = default ] || args="--backend $b"
	to=$(budget)
	[ -n "$to" ] || { notrun "$b" "$s"; continue; }
	case "$probed" in
	*" $b "*) ;;
	*)
		probed="$probed$b "
		# which backend and hooks the agent picks (its own words on stderr)
		dbg=""
		[ -n "$DEBUG" ] && dbg="--log-level debug"
		agent_start /tmp/agent.log --output jsonl:/tmp/probe.jsonl $args $dbg
		kill $apid 2>/dev/null; wait $apid
		[ -n "$DEBUG" ] && sed "s/^/[agent $b] /" /tmp/agent.log
		echo "CUSTOS-KTEST-HOOKS kernel=$K backend=$b $(grep -E 'backend|error|failed' /tmp/agent.log | sed 's/^custos: //' | tr '\n' ' ')"
		to=$(budget)
		[ -n "$to" ] || { notrun "$b" "$s"; continue; }
		;;
	esac
	start=$(date +%s)
	CUSTOS_E2E_ARGS="$args" CMOCKA_MESSAGE_OUTPUT=stdout timeout "$to" /custos/build/tests/e2e/$s >/tmp/out 2>&1
	rc=$?
	sed "s/^/[$b $s] /" /tmp/out
	p=$(grep -Eo '\[  PASSED  \] [0-9]+' /tmp/out | awk '{s+=$4} END {print s+0}')
	f=$(grep -Eo '\[  FAILED  \] [0-9]+' /tmp/out | awk '{s+=$4} END {print s+0}')
	sk=$(grep -Eo '\[  SKIPPED \] [0-9]+' /tmp/out | awk '{s+=$4} END {print s+0}')
	r=PASS
	if [ $rc -ne 0 ] || [ $f -ne 0 ] || [ $p -eq 0 ]; then r=FAIL; [ $f -eq 0 ] && f=1; fi
	# killed by the budget rather than by its own 600 s, with no test failed
	# before: cut, i.e. not run to its end (a failure before the cut stays one)
	if [ $rc -eq 124 ] && [ "$to" -lt 600 ] && ! grep -q '\[  FAILED  \]' /tmp/out; then
		r=CUT
	fi
	echo "CUSTOS-KTEST kernel=$K backend=$b suite=$s result=$r $p $f rc=$rc skipped=$sk secs=$(($(date +%s) - start))"
done
echo "CUSTOS-KTEST-END kernel=$K phase=$PHASE"
poweroff -f
EOF
chmod 755 "$root/init"
initramfs_pack "$root" "$OUT/initramfs.cpio.gz"

# --- 4. guests ---------------------------------------------------------------
# every kernel's phase 1, then every kernel's phase 2, KERNELS_JOBS at a time; a
# guest that cannot boot 120 s before the deadline is not booted (its runs are
# NOT RUN), one that boots gets the budget left on its command line
t0=$(date +%s)
units=()
# no log of an earlier run is read as this one's (a phase with no runs now)
for k in $KERNELS; do rm -f "$OUT/$k"/serial-[12].log "$OUT/$k"/serial-[12].log.status; done
for ph in 1 2; do
	[ -n "$(phase_runs $ph)" ] || continue
	for k in $KERNELS; do
		[ -n "${KMISSING[$k]:-}" ] || units+=("$k:$ph")
	done
done
for u in "${units[@]}"; do
	k=${u%%:*} ph=${u#*:}
	log=serial-$ph.log left=0 tmo=${KERNELS_TIMEOUT:-2400}
	rm -f "$OUT/$k/$log" "$OUT/$k/$log.status"
	if [ "$DEADLINE" -gt 0 ]; then
		left=$((DEADLINE - $(date +%s)))
		if [ "$left" -lt 120 ]; then
			echo "not booted: ${left}s left of the time budget" >"$OUT/$k/$log.status"
			echo "test-kernels: kernel $k phase $ph: NOT BOOTED, ${left}s left of the time budget"
			continue
		fi
		# the guest stops itself at the deadline; this only catches a hang
		[ $((left + 120)) -lt "$tmo" ] && tmo=$((left + 120))
	fi
	echo "test-kernels: kernel $k phase $ph: booting $(cat "$OUT/$k/release")$([ "$left" -gt 0 ] && echo " (${left}s of budget left)")"
	KERNELS_TIMEOUT=$tmo kernels_boot "$k" "$OUT/initramfs.cpio.gz" "$log" "custos.phase=$ph custos.left=$left" &
	KPIDS+=($!)
	kernels_slot
done
[ "${#KPIDS[@]}" -eq 0 ] || wait "${KPIDS[@]}"
t_guests=$(($(date +%s) - t0))

# --- 5. results --------------------------------------------------------------
pass=0 fail=0 notrun=0
matrix=$OUT/matrix.md
: >"$matrix"
probes=""
first_backend=${BACKENDS%% *}
for k in $KERNELS; do
	if [ -n "${KMISSING[$k]:-}" ]; then
		echo "!!! kernel $k NOT TESTED: ${KMISSING[$k]}"
		echo "| $k | — | — | — | NOT TESTED (${KMISSING[$k]}) |" >>"$matrix"
		[ -n "${KERNELS_ALLOW_MISSING:-}" ] || fail=$((fail + 1))
		continue
	fi
	# one log per kernel for the reader: phase 1's, then phase 2's
	log=$OUT/$k/serial.log rel=$(cat "$OUT/$k/release")
	cat "$OUT/$k"/serial-[12].log >"$log" 2>/dev/null
	probes+="- **$k** (\`$rel\`): lsm=\`$(grep -a -m1 '^CUSTOS-KTEST-LSM' "$log" | sed 's/.*lsm=//' | tr -d '\r')\`"$'\n'
	probes+="  \`$(grep -a -m1 '^CUSTOS-KTEST-PROBE' "$log" | sed 's/^CUSTOS-KTEST-PROBE kernel=[^ ]* //' | tr -d '\r' | sed 's/ *$//')\`"$'\n'
	for b in $BACKENDS; do
		probes+="  - $b: $(grep -a "^CUSTOS-KTEST-HOOKS kernel=[^ ]* backend=$b " "$log" | sed 's/^CUSTOS-KTEST-HOOKS kernel=[^ ]* backend=[^ ]* //' | tr -d '\r' | sed 's/ *$//')"$'\n'
	done
	probe=$(grep -a -m1 '^CUSTOS-KTEST-PROBE' "$log" | tr -d '\r')
	for b in $BACKENDS; do
		ph=2
		[ "$b" = "$first_backend" ] && ph=1
		status=$(cat "$OUT/$k/serial-$ph.log.status" 2>/dev/null)
		ran=0 rows=""
		for s in $(backend_suites "$b"); do
			line=$(grep -a "^CUSTOS-KTEST kernel=[^ ]* backend=$b suite=$s " "$log" | tr -d '\r' | tail -n1)
			if [ -z "$line" ] && [[ $status == "not booted"* ]]; then
				line="CUSTOS-KTEST kernel=$k backend=$b suite=$s result=NOTRUN 0 0 rc=0 skipped=0 secs=0"
			fi
			if [ -z "$line" ]; then
				why="no result (guest crashed or timed out: $status)"
				echo "FAIL kernel=$k backend=$b suite=$s: $why"
				rows+="| $k (\`$rel\`) | $b | $s | FAIL | $why |"$'\n'
				fail=$((fail + 1)) ran=$((ran + 1))
				continue
			fi
			read -r _ _ _ _ result np nf rest <<<"$line"
			result=${result#result=}
			sk=0
			[[ $rest =~ skipped=([0-9]+) ]] && sk=${BASH_REMATCH[1]}
			case "$result" in
			NOTRUN|CUT)
				why="not run: the time budget ran out"
				[ "$result" = CUT ] && why="cut by the time budget after $np passed, ${rest##* }"
				echo "NOT RUN kernel=$k backend=$b suite=$s: $why"
				rows+="| $k (\`$rel\`) | $b | $s | NOT RUN | $why |"$'\n'
				notrun=$((notrun + 1))
				continue
				;;
			esac
			ran=$((ran + 1))
			# opens made again after a nested loss record (docs/KERNELS.md, "Floods")
			redone=$(grep -aF "[$b $s] " "$log" | grep -ac 'the kernel skipped a run')
			again=""
			[ "$redone" -gt 0 ] && again=", $redone made again after a nested loss"
			echo "$result kernel=$k backend=$b suite=$s: $np passed, $nf failed ($rest)$again"
			rows+="| $k (\`$rel\`) | $b | $s | $result | $np passed, $nf failed, $sk skipped (${rest##* })$again |"$'\n'
			if [ "$result" = PASS ]; then
				pass=$((pass + 1))
			else
				fail=$((fail + 1))
				# what cmocka said about the failures, from the serial log
				grep -aF "[$b $s] " "$log" | grep -avE '\[ +(RUN|OK) +\]' | head -n 20 | sed 's/^/    /'
			fi
		done
		# the backend really in use: the probe offers it, so the agent must
		# attach it (only where one of its suites ran)
		want=""
		case "$b" in
		default|lsm) [[ $probe == *" lsm=yes "* ]] && want=file__lsm ;;
		fentry) [[ $probe == *" fentry=yes "* ]] && want=file__fentry ;;
		esac
		hooks=$(grep -a "^CUSTOS-KTEST-HOOKS kernel=[^ ]* backend=$b " "$log" | tr -d '\r')
		if [ -n "$want" ] && [ "$ran" -eq 0 ]; then
			echo "| $k (\`$rel\`) | $b | hooks | NOT RUN | not run: the time budget ran out |" >>"$matrix"
		elif [ -n "$want" ] && [[ " $hooks " != *" $want "* ]]; then
			why="the probe offers it but the agent did not attach $want: ${hooks:-no hooks line}"
			echo "FAIL kernel=$k backend=$b: $why"
			echo "| $k (\`$rel\`) | $b | hooks | FAIL | $why |" >>"$matrix"
			fail=$((fail + 1))
		elif [ -n "$want" ]; then
			echo "| $k (\`$rel\`) | $b | hooks | PASS | $want attached |" >>"$matrix"
		fi
		printf '%s' "$rows" >>"$matrix"
	done
done
t_total=$(($(date +%s) - t_start))

{
	echo "# Support matrix"
	echo
	echo "Generated by \`make test-kernels\` (scripts/test-kernels.sh) on $(date -u +%Y-%m-%d), custos"
	echo "$(cat VERSION) ($(git rev-parse --short HEAD 2>/dev/null)). Each Debian cloud kernel booted under QEMU (TCG,"
	echo "no network device, \`lsm=lockdown,capability,bpf\`); each e2e suite ran on the backends whose"
	echo "programs it exercises: \`default\` is \`auto\`, the others forced with \`--backend\`. NOT RUN: the"
	echo "time budget ran out first. See docs/KERNELS.md for how it works."
	echo
	echo "| kernel | backend | suite | result | tests |"
	echo "|---|---|---|---|---|"
	cat "$matrix"
	echo
	echo "## What each kernel offers (\`custos version --probe\`) and what the agent attached"
	echo
	printf '%s' "$probes"
	echo
	echo "Timing of that run: fetch ${t_fetch}s, static build ${t_build}s, guests ${t_guests}s"
	echo "($JOBS in parallel), total ${t_total}s."
} >docs/SUPPORT-MATRIX.md

echo "test-kernels: fetch ${t_fetch}s, static build ${t_build}s, guests ${t_guests}s, total ${t_total}s; serial logs in $OUT/*/serial.log"
if [ "$notrun" -gt 0 ]; then
	echo "!!! $notrun kernel x backend x suite runs NOT RUN: the time budget ran out (listed above)"
fi
echo "$pass passed, $fail failed, $notrun skipped"
[ "$fail" -eq 0 ]
