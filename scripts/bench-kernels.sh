#!/usr/bin/env bash
# `make bench-kernels`: the innocent-workload overhead of each file backend,
# measured inside Debian kernels under QEMU, where BPF LSM and fentry attach
# (this host refuses them).
#
#   1. fetch the kernels, build a static agent and workload (scripts/kernels-lib.sh,
#      shared with test-kernels.sh);
#   2. pack them, busybox, bpftool (with its libraries) and rules/ into an initramfs;
#   3. boot each kernel; its /init runs PAIRS rounds; in each, for each backend
#      (default = auto, the others forced with --backend; their order rotated
#      per round), `workload MODE -t SECS` for each mode once without a
#      monitor, once with the agent on the shipped rules and once under the
#      floor (tests/bench/floor.c on the hooks the agent attached on that
#      backend), the order of the three rotated per round;
#      then per backend one profile run per mode with kernel.bpf_stats_enabled=1
#      (the BPF run time of each program);
#   4. parse the serial logs: a table per kernel, mode and backend (median
#      ratio with/without, min-max, ns added per op) and build/bench/kernels.json.
#
# Environment: BENCH_KERNELS="6.12" (which kernels, names as in test-kernels.sh),
# BENCH_BACKENDS="default fentry tracepoint", BENCH_MODES="open connect exec",
# BENCH_PAIRS=5, BENCH_SECS=2 (per workload run), KERNELS_JOBS=1 (guests in
# parallel: more than one skews the timings), KERNELS_TIMEOUT=900 (seconds per
# guest), KERNELS_OFFLINE=1.  Under TCG every absolute time is ~7-11x the
# host's: compare ratios and ns added between backends, not with the host.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
KERNELS=${BENCH_KERNELS:-6.12}
BACKENDS=${BENCH_BACKENDS:-default fentry tracepoint}
MODES=${BENCH_MODES:-open connect exec}
PAIRS=${BENCH_PAIRS:-5}
SECS=${BENCH_SECS:-2}
export KERNELS_JOBS=${KERNELS_JOBS:-1}
# 3 modes x 2 runs x PAIRS + 3 profile runs per backend, plus agent starts
export KERNELS_TIMEOUT=${KERNELS_TIMEOUT:-900}
# shellcheck source=scripts/kernels-lib.sh
. scripts/kernels-lib.sh
kernels_setup bench-kernels
BPFTOOL=$(command -v bpftool) || die "bpftool missing: scripts/deps.sh"
mkdir -p build/bench

kernels_fetch_all "$KERNELS"
kernels_static_build all "$SB/bench/workload" "$SB/bench/floor"

root=$OUT/bench-initramfs
initramfs_base "$root"
cp "$SB/bench/workload" "$SB/bench/floor" "$root/custos/build/"
cp "$BPFTOOL" "$root/bin/bpftool"
initramfs_libs "$root" "$BPFTOOL"
cat >"$root/init" <<EOF
#!/bin/sh
# PID 1 of a custos benchmark guest (written by scripts/bench-kernels.sh)
BACKENDS="$BACKENDS" MODES="$MODES" PAIRS=$PAIRS SECS=$SECS
EOF
initramfs_init_prelude >>"$root/init"
cat >>"$root/init" <<'EOF'
W=/custos/build/workload
F=/custos/build/floor
echo "CUSTOS-KBENCH-BEGIN kernel=$K"
echo "CUSTOS-KBENCH-PROBE kernel=$K $($CUSTOS_BIN version --probe 2>&1 | tr '\n' ' ')"
# one line per mode: the workload's own result line, tagged
run_modes() {
	for m in $MODES; do
		out=$($W $m -t $SECS 2>&1) || out="error=1 $out"
		echo "CUSTOS-KBENCH kernel=$K backend=$b pair=$i agent=$1 $(echo "$out" | tr '\n' ' ')"
	done
}
# prog_id run_time_ns run_cnt of each BPF program the agent holds
prog_snap() {
	for f in /proc/$apid/fdinfo/*; do
		awk '/^prog_id:/ {id = $2} /^run_time_ns:/ {t = $2} /^run_cnt:/ {c = $2}
		     END {if (id != "") print id, t, c}' "$f" 2>/dev/null
	done | sort -n
}
agent_up() {
	agent_start /tmp/agent.log --output jsonl:/tmp/bench.jsonl $args
	if ! grep -q 'custos: ready' /tmp/agent.log; then
		echo "CUSTOS-KBENCH-ERROR kernel=$K backend=$b the agent did not start: $(tr '\n' ' ' </tmp/agent.log)"
		kill $apid 2>/dev/null; wait $apid
		return 1
	fi
}
agent_down() {
	kill $apid 2>/dev/null; wait $apid
	echo "CUSTOS-KBENCH-RECORDS kernel=$K backend=$b pair=$i records=$(wc -l </tmp/bench.jsonl)"
	rm -f /tmp/bench.jsonl
}
backend_args() { args=""; [ "$b" = default ] || args="--backend $b"; }
# the backend the agent attaches for b (default: what auto picks), which the
# floor then loads on the same hooks
for b in $BACKENDS; do
	backend_args
	agent_up || continue
	eval "fb_$b=$(sed -n 's/.*agent: backend \([a-z]*\);.*/\1/p' /tmp/agent.log | head -n 1)"
	agent_down >/dev/null
done
floor_up() {
	eval "fb=\$fb_$b"
	$F --backend "${fb:-tracepoint}" 2>/tmp/floor.log &
	fpid=$!
	for _w in $(seq 1 100); do grep -q 'floor: ready' /tmp/floor.log && return 0; sleep 0.1; done
	echo "CUSTOS-KBENCH-ERROR kernel=$K backend=$b the floor did not start: $(tr '\n' ' ' </tmp/floor.log)"
	kill $fpid 2>/dev/null; wait $fpid
	return 1
}
# each round runs one pair per backend, the backends' order rotated and the
# order within the pairs alternated from round to round, so that a burst of
# load on the host falls on all of them alike
for i in $(seq 1 $PAIRS); do
	set -- $BACKENDS
	for _r in $(seq 2 $i); do x=$1; shift; set -- "$@" $x; done
	for b in "$@"; do
		backend_args
		case $((i % 3)) in 1) order="0 1 floor" ;; 2) order="1 floor 0" ;; *) order="floor 0 1" ;; esac
		for a in $order; do
			if [ $a = 0 ]; then run_modes 0; continue; fi
			if [ $a = floor ]; then
				floor_up || continue
				run_modes floor
				kill $fpid; wait $fpid
				continue
			fi
			agent_up || continue
			[ $i = 1 ] && echo "CUSTOS-KBENCH-HOOKS kernel=$K backend=$b $(grep -E 'backend|error|failed' /tmp/agent.log | sed 's/^custos: //' | tr '\n' ' ')"
			run_modes 1
			agent_down
		done
	done
done
# profile: kernel.bpf_stats_enabled on for these runs only (it adds two clock
# reads to every program run)
i=profile
for b in $BACKENDS; do
	backend_args
	agent_up || continue
	bpftool prog show 2>/dev/null | awk -v k=$K -v b=$b '/^[0-9]+: / {sub(":", "", $1); print "CUSTOS-KBENCH-PROGNAME kernel=" k " backend=" b " id=" $1 " name=" $4}'
	echo 1 >/proc/sys/kernel/bpf_stats_enabled
	for m in $MODES; do
		prog_snap >/tmp/s0
		out=$($W $m -t $SECS 2>&1) || out="error=1 $out"
		prog_snap >/tmp/s1
		echo "CUSTOS-KBENCH-PROFILE kernel=$K backend=$b $(echo "$out" | tr '\n' ' ')"
		awk -v k=$K -v b=$b -v m=$m 'NR == FNR {t[$1] = $2; c[$1] = $3; next}
			$3 > c[$1] {print "CUSTOS-KBENCH-PROG kernel=" k " backend=" b " mode=" m " id=" $1 " runs=" $3 - c[$1] " ns=" $2 - t[$1]}' /tmp/s0 /tmp/s1
	done
	echo 0 >/proc/sys/kernel/bpf_stats_enabled
	agent_down
done
echo "CUSTOS-KBENCH-END kernel=$K"
poweroff -f
EOF
chmod 755 "$root/init"
initramfs_pack "$root" "$OUT/bench-initramfs.cpio.gz"

# the host's load while the guests run (other jobs share the cores)
loadlog=$OUT/bench-load.log
: >"$loadlog"
(while :; do cut -d' ' -f1 /proc/loadavg >>"$loadlog"; sleep 10; done) &
sampler=$!
t0=$(date +%s)
kernels_boot_all "$KERNELS" "$OUT/bench-initramfs.cpio.gz" bench-serial.log
kill "$sampler" 2>/dev/null
wait "$sampler" 2>/dev/null
echo "bench-kernels: guests ${KERNELS_JOBS} at a time, $(($(date +%s) - t0)) s"

logs=()
for k in $KERNELS; do
	[ -n "${KMISSING[$k]:-}" ] && die "kernel $k: ${KMISSING[$k]}"
	logs+=("$k=$OUT/$k/bench-serial.log")
done
python3 scripts/bench-kernels.py --out build/bench/kernels.json --load "$loadlog" \
	--backends "$BACKENDS" --modes "$MODES" --pairs "$PAIRS" "${logs[@]}"
