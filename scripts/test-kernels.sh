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
# fentry tracepoint raw" (each suite runs once per backend; where the probe offers
# BPF LSM, the default run must have attached file__lsm, and a fentry run
# file__fentry: else the kernel fails, the backend was not really in use), KERNELS_JOBS=2 (guests
# in parallel), KERNELS_SMP=1 (CPUs per guest; 2 or more loads the programs in two
# parts at once, as on a host), KERNELS_TIMEOUT=2400 (seconds per guest), KERNELS_ALLOW_MISSING=1
# (a kernel that cannot be fetched is not a failure), KERNELS_OFFLINE=1 (use
# what build/kernels/ already holds), KERNELS_DEBUG=1 (the agent's debug log,
# verifier messages included, for each backend in the serial log), KERNELS_SUITES="test_exec test_lineage test_labels
# test_file test_file_evasion test_net test_netsock test_dns test_persist test_delivery" (the suites
# of the BPF hook families, pinning and delivery; KERNELS_TWO_BACKEND_SUITES="test_lineage test_labels
# test_persist" of them run on the default and raw backends only, KERNELS_DEFAULT_ONLY_SUITES=
# "test_delivery" on the default one only; the sink suites, e.g. test_forward with its Node.js
# receiver, do not depend on the kernel and run on the host only).  Safe to run again.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
SUITES=${KERNELS_SUITES:-test_exec test_lineage test_labels test_file test_file_evasion test_net test_netsock test_dns test_persist test_delivery}
# suites whose code does not differ between the tracing backends: run on the
# default backend (BPF LSM where the kernel has it) and raw only
TWO_BACKEND_SUITES=${KERNELS_TWO_BACKEND_SUITES:-test_lineage test_labels test_persist}
# the exact count of a flood, on the default backend only: where the kernel
# preempts BPF programs (7.2) it skips runs of the tracing ones, which no
# count per process survives (docs/KERNELS.md, "Floods")
ONE_BACKEND_SUITES=${KERNELS_DEFAULT_ONLY_SUITES:-test_delivery}
KERNELS=${KERNELS:-"5.10 6.1 6.12 sid"}
BACKENDS=${KERNELS_BACKENDS:-"default fentry tracepoint raw"}
JOBS=${KERNELS_JOBS:-2}
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
BACKENDS="$BACKENDS"
TWO=" $TWO_BACKEND_SUITES "
ONE=" $ONE_BACKEND_SUITES "
DEBUG="${KERNELS_DEBUG:-}"
EOF
initramfs_init_prelude >>"$root/init"
cat >>"$root/init" <<'EOF'
export CUSTOS_E2E_BIN=/custos/build/tests/e2e/bin
echo "CUSTOS-KTEST-BEGIN kernel=$K"
echo "CUSTOS-KTEST-LSM kernel=$K lsm=$(cat /sys/kernel/security/lsm 2>/dev/null)"
echo "CUSTOS-KTEST-PROBE kernel=$K $($CUSTOS_BIN version --probe 2>&1 | tr '\n' ' ')"
for b in $BACKENDS; do
	args=""
	[ "$b" = default ] || args="--backend $b"
	# which backend and hooks the agent picks (its own words on stderr)
	dbg=""
	[ -n "$DEBUG" ] && dbg="--log-level debug"
	agent_start /tmp/agent.log --output jsonl:/tmp/probe.jsonl $args $dbg
	kill $apid 2>/dev/null; wait $apid
	[ -n "$DEBUG" ] && sed "s/^/[agent $b] /" /tmp/agent.log
	echo "CUSTOS-KTEST-HOOKS kernel=$K backend=$b $(grep -E 'backend|error|failed' /tmp/agent.log | sed 's/^custos: //' | tr '\n' ' ')"
	for t in /custos/build/tests/e2e/test_*; do
		s=${t##*/}
		case "$TWO" in *" $s "*) [ "$b" = default ] || [ "$b" = raw ] || continue ;; esac
		case "$ONE" in *" $s "*) [ "$b" = default ] || continue ;; esac
		start=$(date +%s)
		CUSTOS_E2E_ARGS="$args" CMOCKA_MESSAGE_OUTPUT=stdout timeout 600 $t >/tmp/out 2>&1
		rc=$?
		sed "s/^/[$b $s] /" /tmp/out
		p=$(grep -Eo '\[  PASSED  \] [0-9]+' /tmp/out | awk '{s+=$4} END {print s+0}')
		f=$(grep -Eo '\[  FAILED  \] [0-9]+' /tmp/out | awk '{s+=$4} END {print s+0}')
		sk=$(grep -Eo '\[  SKIPPED \] [0-9]+' /tmp/out | awk '{s+=$4} END {print s+0}')
		r=PASS
		if [ $rc -ne 0 ] || [ $f -ne 0 ] || [ $p -eq 0 ]; then r=FAIL; [ $f -eq 0 ] && f=1; fi
		echo "CUSTOS-KTEST kernel=$K backend=$b suite=$s result=$r $p $f rc=$rc skipped=$sk secs=$(($(date +%s) - start))"
	done
done
echo "CUSTOS-KTEST-END kernel=$K"
poweroff -f
EOF
chmod 755 "$root/init"
initramfs_pack "$root" "$OUT/initramfs.cpio.gz"

# --- 4. guests ---------------------------------------------------------------
t0=$(date +%s)
kernels_boot_all "$KERNELS" "$OUT/initramfs.cpio.gz" serial.log
t_guests=$(($(date +%s) - t0))

# --- 5. results --------------------------------------------------------------
pass=0 fail=0
matrix=$OUT/matrix.md
: >"$matrix"
probes=""
for k in $KERNELS; do
	if [ -n "${KMISSING[$k]:-}" ]; then
		echo "!!! kernel $k NOT TESTED: ${KMISSING[$k]}"
		echo "| $k | — | — | — | NOT TESTED (${KMISSING[$k]}) |" >>"$matrix"
		[ -n "${KERNELS_ALLOW_MISSING:-}" ] || fail=$((fail + 1))
		continue
	fi
	log=$OUT/$k/serial.log rel=$(cat "$OUT/$k/release")
	probes+="- **$k** (\`$rel\`): lsm=\`$(grep -a '^CUSTOS-KTEST-LSM' "$log" | sed 's/.*lsm=//' | tr -d '\r')\`"$'\n'
	probes+="  \`$(grep -a '^CUSTOS-KTEST-PROBE' "$log" | sed 's/^CUSTOS-KTEST-PROBE kernel=[^ ]* //' | tr -d '\r' | sed 's/ *$//')\`"$'\n'
	for b in $BACKENDS; do
		probes+="  - $b: $(grep -a "^CUSTOS-KTEST-HOOKS kernel=[^ ]* backend=$b " "$log" | sed 's/^CUSTOS-KTEST-HOOKS kernel=[^ ]* backend=[^ ]* //' | tr -d '\r' | sed 's/ *$//')"$'\n'
	done
	probe=$(grep -a '^CUSTOS-KTEST-PROBE' "$log" | tr -d '\r')
	for b in $BACKENDS; do
		# the backend really in use: the probe offers it, so the agent must attach it
		want=""
		case "$b" in
		default|lsm) [[ $probe == *" lsm=yes "* ]] && want=file__lsm ;;
		fentry) [[ $probe == *" fentry=yes "* ]] && want=file__fentry ;;
		esac
		hooks=$(grep -a "^CUSTOS-KTEST-HOOKS kernel=[^ ]* backend=$b " "$log" | tr -d '\r')
		if [ -n "$want" ] && [[ " $hooks " != *" $want "* ]]; then
			why="the probe offers it but the agent did not attach $want: ${hooks:-no hooks line}"
			echo "FAIL kernel=$k backend=$b: $why"
			echo "| $k (\`$rel\`) | $b | hooks | FAIL | $why |" >>"$matrix"
			fail=$((fail + 1))
		elif [ -n "$want" ]; then
			echo "| $k (\`$rel\`) | $b | hooks | PASS | $want attached |" >>"$matrix"
		fi
		for s in $SUITES; do
			case " $TWO_BACKEND_SUITES " in
			*" $s "*) [ "$b" = default ] || [ "$b" = raw ] || continue ;;
			esac
			case " $ONE_BACKEND_SUITES " in *" $s "*) [ "$b" = default ] || continue ;; esac
			line=$(grep -a "^CUSTOS-KTEST kernel=[^ ]* backend=$b suite=$s " "$log" | tr -d '\r' | tail -n1)
			if [ -z "$line" ]; then
				why="no result (guest crashed or timed out: $(cat "$OUT/$k/serial.log.status" 2>/dev/null))"
				echo "FAIL kernel=$k backend=$b suite=$s: $why"
				echo "| $k (\`$rel\`) | $b | $s | FAIL | $why |" >>"$matrix"
				fail=$((fail + 1))
				continue
			fi
			read -r _ _ _ _ result np nf rest <<<"$line"
			result=${result#result=}
			echo "$result kernel=$k backend=$b suite=$s: $np passed, $nf failed ($rest)"
			sk=0
			[[ $rest =~ skipped=([0-9]+) ]] && sk=${BASH_REMATCH[1]}
			echo "| $k (\`$rel\`) | $b | $s | $result | $np passed, $nf failed, $sk skipped (${rest##* }) |" >>"$matrix"
			if [ "$result" = PASS ]; then
				pass=$((pass + 1))
			else
				fail=$((fail + 1))
				# what cmocka said about the failures, from the serial log
				grep -aF "[$b $s] " "$log" | grep -avE '\[ +(RUN|OK) +\]' | head -n 20 | sed 's/^/    /'
			fi
		done
	done
done
t_total=$(($(date +%s) - t_start))

{
	echo "# Support matrix"
	echo
	echo "Generated by \`make test-kernels\` (scripts/test-kernels.sh) on $(date -u +%Y-%m-%d), custos"
	echo "$(cat VERSION) ($(git rev-parse --short HEAD 2>/dev/null)). Each Debian cloud kernel booted under QEMU (TCG,"
	echo "no network device, \`lsm=lockdown,capability,bpf\`); every e2e suite ran once per backend:"
	echo "\`default\` is \`auto\`, the others forced with \`--backend\`. See docs/KERNELS.md for how it works."
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
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
