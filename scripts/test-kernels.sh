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
# in parallel), KERNELS_TIMEOUT=900 (seconds per guest), KERNELS_ALLOW_MISSING=1
# (a kernel that cannot be fetched is not a failure), KERNELS_OFFLINE=1 (use
# what build/kernels/ already holds), KERNELS_DEBUG=1 (the agent's debug log,
# verifier messages included, for each backend in the serial log), KERNELS_SUITES="test_exec test_file
# test_net" (the suites of the BPF hook families; the sink suites, e.g.
# test_forward with its Node.js receiver, do not depend on the kernel and run
# on the host only).  Safe to run again.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
SUITES=${KERNELS_SUITES:-test_exec test_file test_net}

KERNELS=${KERNELS:-"5.10 6.1 6.12 sid"}
JOBS=${KERNELS_JOBS:-2}
GUEST_TIMEOUT=${KERNELS_TIMEOUT:-900}
BACKENDS=${KERNELS_BACKENDS:-"default fentry tracepoint raw"}
OUT=build/kernels
SB=build-static
MIRROR=http://deb.debian.org/debian
SECURITY=http://deb.debian.org/debian-security
t_start=$(date +%s)

die() { echo "test-kernels.sh: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "apt-get download and the guests' setup need root"
for tool in qemu-system-x86_64 apt-get dpkg-deb; do
	command -v "$tool" >/dev/null || die "$tool missing: scripts/deps.sh test-kernels"
done
BUSYBOX=/bin/busybox	# busybox-static: no libraries to carry
[ -x "$BUSYBOX" ] || die "busybox missing: scripts/deps.sh test-kernels"
mkdir -p "$OUT"

# --- 1. kernels ------------------------------------------------------------
# name -> "suite;meta package;sources.list lines separated by |"
kernel_spec() {
	case "$1" in
	5.10) echo "bullseye;linux-image-cloud-amd64;deb $MIRROR bullseye main|deb $SECURITY bullseye-security main" ;;
	6.1) echo "bookworm;linux-image-cloud-amd64;deb $MIRROR bookworm main|deb $MIRROR bookworm-updates main|deb $SECURITY bookworm-security main" ;;
	6.12) echo "bookworm;linux-image-6.12-cloud-amd64;deb $MIRROR bookworm main|deb $MIRROR bookworm-updates main|deb $SECURITY bookworm-security main" ;;
	trixie) echo "trixie;linux-image-cloud-amd64;deb $MIRROR trixie main|deb $SECURITY trixie-security main" ;;
	sid) echo "sid;linux-image-cloud-amd64;deb $MIRROR sid main" ;;
	*) return 1 ;;
	esac
}

# apt with a private sources.list, lists and cache for one suite
apt_opts() {
	local a=$OUT/apt-$1
	echo "-o Dir::Etc::SourceList=$PWD/$a/sources.list -o Dir::Etc::SourceParts=$PWD/$a/parts" \
	     "-o Dir::State::Lists=$PWD/$a/lists -o Dir::Cache=$PWD/$a/cache -o APT::Sandbox::User=root"
}

apt_update() {
	local suite=$1 lines=$2 a=$OUT/apt-$1
	[ -e "$a/.updated" ] && return 0
	mkdir -p "$a/lists/partial" "$a/cache/archives/partial" "$a/parts"
	tr '|' '\n' <<<"$lines" >"$a/sources.list"
	# shellcheck disable=SC2046
	apt-get $(apt_opts "$suite") update -qq >"$a/update.log" 2>&1 && touch "$a/.updated"
}

# The numbered packages behind a meta package: linux-image-N (vmlinuz up to
# 6.x), linux-binary-N (vmlinuz in sid), linux-base-N (config in sid).
resolve_kernel_pkgs() {
	local suite=$1 todo=$2 seen="" p d
	for _ in 1 2 3; do
		local next=""
		for p in $todo; do
			# shellcheck disable=SC2046
			for d in $(apt-cache $(apt_opts "$suite") depends "$p" 2>/dev/null |
				   awk '$1 == "Depends:" && $2 ~ /^linux-(image|binary|base)-[0-9]/ {print $2}'); do
				case " $seen " in *" $d "*) ;; *) seen="$seen $d"; next="$next $d" ;; esac
			done
		done
		todo=$next
	done
	echo "${seen# }"
}

# Leaves $OUT/$name/vmlinuz and $OUT/$name/release; returns non-zero when it cannot.
fetch_kernel() {
	local name=$1 spec suite meta lines dir=$OUT/$1 pkgs vmlinuz opts
	spec=$(kernel_spec "$name") || { echo "unknown kernel name '$name'"; return 1; }
	IFS=';' read -r suite meta lines <<<"$spec"
	[ -n "${KERNELS_OFFLINE:-}" ] && [ -s "$dir/vmlinuz" ] && return 0
	apt_update "$suite" "$lines" || { echo "apt-get update for $suite failed (see $OUT/apt-$suite/update.log)"; return 1; }
	pkgs=$(resolve_kernel_pkgs "$suite" "$meta")
	[ -n "$pkgs" ] || { echo "$meta: no numbered kernel package found in $suite"; return 1; }
	if [ -s "$dir/vmlinuz" ] && [ "$(cat "$dir/packages" 2>/dev/null)" = "$pkgs" ]; then
		return 0
	fi
	rm -rf "$dir" && mkdir -p "$dir/debs" "$dir/root"
	opts=$(apt_opts "$suite")
	# shellcheck disable=SC2086
	(cd "$dir/debs" && apt-get $opts download $pkgs) \
		>"$dir/download.log" 2>&1 || { echo "apt-get download $pkgs failed (see $dir/download.log)"; return 1; }
	for deb in "$dir"/debs/*.deb; do dpkg-deb -x "$deb" "$dir/root" || return 1; done
	# /boot/vmlinuz-RELEASE up to 6.x, /usr/lib/modules/RELEASE/vmlinuz in sid
	vmlinuz=$(find "$dir/root" -type f \( -name 'vmlinuz-*' -o -path '*/modules/*/vmlinuz' \) | head -n1)
	[ -n "$vmlinuz" ] || { echo "no vmlinuz in $pkgs"; return 1; }
	cp "$vmlinuz" "$dir/vmlinuz"
	case "$vmlinuz" in
	*/vmlinuz) basename "$(dirname "$vmlinuz")" ;;
	*) basename "$vmlinuz" | sed 's/^vmlinuz-//' ;;
	esac >"$dir/release"
	find "$dir/root" -type f \( -name 'config-*' -o -path '*/modules/*/config' \) \
		-exec cp {} "$dir/config" \; -quit
	rm -rf "$dir/root" "$dir/debs"
	echo "$pkgs" >"$dir/packages"
}

declare -A missing=()
t0=$(date +%s)
for k in $KERNELS; do
	if msg=$(fetch_kernel "$k"); then
		echo "test-kernels: kernel $k: $(cat "$OUT/$k/release") ($(cat "$OUT/$k/packages"))"
	else
		missing[$k]=$msg
		echo "test-kernels: !!! kernel $k NOT TESTED: cannot fetch it: $msg" >&2
	fi
done
t_fetch=$(($(date +%s) - t0))

# --- 2. static build -------------------------------------------------------
t0=$(date +%s)
rm -f "$SB/user/main.o"	# it carries the git revision, which make does not track
make --no-print-directory -j2 STATIC=1 BUILD=$SB all tests >"$OUT/build-static.log" 2>&1 ||
	{ tail -n 30 "$OUT/build-static.log"; die "static build failed (see $OUT/build-static.log)"; }
t_build=$(($(date +%s) - t0))

# --- 3. initramfs ----------------------------------------------------------
root=$OUT/initramfs
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,root,run,custos/build/tests/e2e/bin}
cp "$BUSYBOX" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
cp "$SB/custos" "$root/custos/build/"
for s in $SUITES; do cp "$SB/tests/e2e/$s" "$root/custos/build/tests/e2e/"; done
cp "$SB"/tests/e2e/bin/* "$root/custos/build/tests/e2e/bin/"
rm -f "$root"/custos/build/tests/e2e/bin/*.d
cp -r rules "$root/custos/rules"
# the .so files the test binaries need (cmocka, libc, the loader), and the
# NSS module the static agent's getpwuid_r loads
for bin in "$root"/custos/build/tests/e2e/test_*; do
	ldd "$bin" 2>/dev/null | grep -Eo '/[^ ]+' || true
done | sort -u | while read -r lib; do
	mkdir -p "$root$(dirname "$lib")" && cp -L "$lib" "$root$lib"
done
nss=/lib/x86_64-linux-gnu/libnss_files.so.2
[ -e "$nss" ] && mkdir -p "$root${nss%/*}" && cp -L "$nss" "$root$nss"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
echo ktest >"$root/etc/hostname"
cat >"$root/init" <<EOF
#!/bin/sh
# PID 1 of a custos kernel-matrix guest (written by scripts/test-kernels.sh)
BACKENDS="$BACKENDS"
DEBUG="${KERNELS_DEBUG:-}"
EOF
cat >>"$root/init" <<'EOF'
export PATH=/bin:/sbin HOME=/root
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mkdir -p /sys/fs/cgroup && mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t bpf bpf /sys/fs/bpf 2>/dev/null
mount -t securityfs securityfs /sys/kernel/security
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
hostname ktest
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
K=$(uname -r)
cd /custos
export CUSTOS_BIN=/custos/build/custos CUSTOS_E2E_BIN=/custos/build/tests/e2e/bin
echo "CUSTOS-KTEST-BEGIN kernel=$K"
echo "CUSTOS-KTEST-LSM kernel=$K lsm=$(cat /sys/kernel/security/lsm 2>/dev/null)"
echo "CUSTOS-KTEST-PROBE kernel=$K $($CUSTOS_BIN version --probe 2>&1 | tr '\n' ' ')"
for b in $BACKENDS; do
	args=""
	[ "$b" = default ] || args="--backend $b"
	# which backend and hooks the agent picks (its own words on stderr)
	dbg=""
	[ -n "$DEBUG" ] && dbg="--log-level debug"
	$CUSTOS_BIN run --rules rules --output jsonl:/tmp/probe.jsonl $args $dbg >/tmp/agent.log 2>&1 &
	apid=$!
	for i in $(seq 1 300); do
		grep -q 'custos: ready' /tmp/agent.log && break
		kill -0 $apid 2>/dev/null || break	# it refused to start: its log says why
		sleep 0.2
	done
	kill $apid 2>/dev/null; wait $apid
	[ -n "$DEBUG" ] && sed "s/^/[agent $b] /" /tmp/agent.log
	echo "CUSTOS-KTEST-HOOKS kernel=$K backend=$b $(grep -E 'backend|error|failed' /tmp/agent.log | sed 's/^custos: //' | tr '\n' ' ')"
	for t in /custos/build/tests/e2e/test_*; do
		s=${t##*/}
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
(cd "$root" && find . | "$BUSYBOX" cpio -o -H newc -R 0:0 2>/dev/null) | gzip -1 >"$OUT/initramfs.cpio.gz"

# --- 4. guests ---------------------------------------------------------------
boot() {
	local k=$1 t0
	t0=$(date +%s)
	timeout "$GUEST_TIMEOUT" qemu-system-x86_64 -accel tcg -m 1G -smp 1 -nographic -no-reboot \
		-nic none -kernel "$OUT/$k/vmlinuz" -initrd "$OUT/initramfs.cpio.gz" \
		-append "console=ttyS0 panic=-1 lsm=lockdown,capability,bpf quiet" \
		</dev/null >"$OUT/$k/serial.log" 2>&1
	echo "rc=$? secs=$(($(date +%s) - t0))" >"$OUT/$k/qemu.status"
	echo "test-kernels: kernel $k: guest done ($(cat "$OUT/$k/qemu.status"))"
}

t0=$(date +%s)
running=0
for k in $KERNELS; do
	[ -n "${missing[$k]:-}" ] && continue
	rm -f "$OUT/$k/serial.log" "$OUT/$k/qemu.status"
	echo "test-kernels: kernel $k: booting $(cat "$OUT/$k/release")"
	boot "$k" &
	running=$((running + 1))
	if [ "$running" -ge "$JOBS" ]; then wait -n; running=$((running - 1)); fi
done
wait
t_guests=$(($(date +%s) - t0))

# --- 5. results --------------------------------------------------------------
pass=0 fail=0
matrix=$OUT/matrix.md
: >"$matrix"
probes=""
for k in $KERNELS; do
	if [ -n "${missing[$k]:-}" ]; then
		echo "!!! kernel $k NOT TESTED: ${missing[$k]}"
		echo "| $k | — | — | — | NOT TESTED (${missing[$k]}) |" >>"$matrix"
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
			line=$(grep -a "^CUSTOS-KTEST kernel=[^ ]* backend=$b suite=$s " "$log" | tr -d '\r' | tail -n1)
			if [ -z "$line" ]; then
				why="no result (guest crashed or timed out: $(cat "$OUT/$k/qemu.status" 2>/dev/null))"
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
