# shellcheck shell=bash
# Sourced by scripts/test-kernels.sh and scripts/bench-kernels.sh: what both
# need to boot custos on Debian kernels under QEMU.
#
#   kernels_setup NAME        checks root and tools (NAME prefixes messages)
#   kernels_fetch_all LIST    fetches each kernel into build/kernels/NAME/
#                             (vmlinuz, release, packages); fills KMISSING[name]
#                             with the reason for those it cannot fetch
#   kernels_static_build T..  make STATIC=1 BUILD=build-static T..
#   initramfs_base ROOT       busybox, the static agent, rules/, a minimal /etc
#   initramfs_libs ROOT BIN.. the .so files BIN.. need, copied into ROOT
#   initramfs_init_prelude    the start of a guest's /init (mounts, lo, cd /custos,
#                             agent_start)
#   initramfs_pack ROOT OUT   ROOT packed as a gzipped newc cpio
#   kernels_boot K INITRD LOGNAME [APPEND]
#                             one guest, bounded by KERNELS_TIMEOUT
#   kernels_slot              waits for a free one of KERNELS_JOBS (KPIDS: the guests)
#   kernels_boot_all LIST INITRD LOGNAME
#                             boots each kernel (KMISSING ones left out),
#                             KERNELS_JOBS at a time, bounded by KERNELS_TIMEOUT;
#                             serial log in build/kernels/NAME/LOGNAME, exit
#                             status and seconds in LOGNAME.status
#
# Environment: KERNELS_JOBS=2, KERNELS_TIMEOUT=2400, KERNELS_OFFLINE=1 (use what
# build/kernels/ holds).
OUT=build/kernels
SB=build-static
MIRROR=http://deb.debian.org/debian
SECURITY=http://deb.debian.org/debian-security
BUSYBOX=/bin/busybox	# busybox-static: no libraries to carry
KNAME=kernels
declare -A KMISSING=()

die() { echo "$KNAME: $*" >&2; exit 1; }

kernels_setup() {
	KNAME=$1
	[ "$(id -u)" -eq 0 ] || die "apt-get download and the guests' setup need root"
	local tool
	for tool in qemu-system-x86_64 apt-get dpkg-deb; do
		command -v "$tool" >/dev/null || die "$tool missing: scripts/deps.sh test-kernels"
	done
	[ -x "$BUSYBOX" ] || die "busybox missing: scripts/deps.sh test-kernels"
	mkdir -p "$OUT"
}

# --- kernels -----------------------------------------------------------------
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

kernels_fetch_all() {
	local k msg
	for k in $1; do
		if msg=$(fetch_kernel "$k"); then
			echo "$KNAME: kernel $k: $(cat "$OUT/$k/release") ($(cat "$OUT/$k/packages"))"
		else
			KMISSING[$k]=$msg
			echo "$KNAME: !!! kernel $k NOT TESTED: cannot fetch it: $msg" >&2
		fi
	done
}

# --- static build --------------------------------------------------------------
kernels_static_build() {
	rm -f "$SB/user/cmd/main.o"	# it carries the git revision, which make does not track
	make --no-print-directory -j2 STATIC=1 BUILD=$SB "$@" >"$OUT/build-static.log" 2>&1 ||
		{ tail -n 30 "$OUT/build-static.log"; die "static build failed (see $OUT/build-static.log)"; }
}

# --- initramfs -----------------------------------------------------------------
initramfs_base() {
	local root=$1
	rm -rf "$root"
	mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,root,run,custos/build}
	cp "$BUSYBOX" "$root/bin/busybox"
	ln -s busybox "$root/bin/sh"
	cp "$SB/custos" "$root/custos/build/"
	cp -r rules "$root/custos/rules"
	# the NSS module the static agent's getpwuid_r loads
	local nss=/lib/x86_64-linux-gnu/libnss_files.so.2
	[ -e "$nss" ] && mkdir -p "$root${nss%/*}" && cp -L "$nss" "$root$nss"
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
	echo ktest >"$root/etc/hostname"
}

# the .so files dynamic binaries need (with the loader), copied into ROOT
initramfs_libs() {
	local root=$1 bin lib
	shift
	for bin in "$@"; do
		ldd "$bin" 2>/dev/null | grep -Eo '/[^ ]+' || true
	done | sort -u | while read -r lib; do
		mkdir -p "$root$(dirname "$lib")" && cp -L "$lib" "$root$lib"
	done
}

# PID 1's set-up; leaves K (the release) and CUSTOS_BIN set, in /custos
initramfs_init_prelude() {
	cat <<'PRELUDE'
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
export CUSTOS_BIN=/custos/build/custos
# agent_start LOG ARGS..: the agent on the shipped rules (/custos/rules), back
# once it is ready or has given up (LOG says why); its pid in $apid.  Not
# pinned: its programs go when it is killed, before the suites run.
agent_start() {
	alog=$1
	shift
	$CUSTOS_BIN run --no-pin --rules rules "$@" >"$alog" 2>&1 &
	apid=$!
	for _w in $(seq 1 300); do	# not $i: the callers' loops use it
		grep -q 'custos: ready' "$alog" && break
		kill -0 $apid 2>/dev/null || break
		sleep 0.2
	done
}
PRELUDE
}

initramfs_pack() {
	(cd "$1" && find . | "$BUSYBOX" cpio -o -H newc -R 0:0 2>/dev/null) | gzip -1 >"$2"
}

# --- guests --------------------------------------------------------------------
# kernels_boot K INITRD LOGNAME [APPEND]: one guest, APPEND added to its command line
kernels_boot() {
	local k=$1 initrd=$2 log=$OUT/$1/$3 t0
	t0=$(date +%s)
	timeout "${KERNELS_TIMEOUT:-2400}" qemu-system-x86_64 -accel tcg -m 1G -smp "${KERNELS_SMP:-1}" -nographic -no-reboot \
		-nic none -kernel "$OUT/$k/vmlinuz" -initrd "$initrd" \
		-append "console=ttyS0 panic=-1 lsm=lockdown,capability,bpf quiet${4:+ $4}" \
		</dev/null >"$log" 2>&1
	echo "rc=$? secs=$(($(date +%s) - t0))" >"$log.status"
	echo "$KNAME: kernel $k: guest done, $3 ($(cat "$log.status"))"
}

# kernels_slot: waits until fewer than KERNELS_JOBS of the guests whose pids
# are in KPIDS still run (only those: not the caller's other background jobs)
KPIDS=()
kernels_slot() {
	[ "${#KPIDS[@]}" -ge "${KERNELS_JOBS:-2}" ] || return 0
	wait -n "${KPIDS[@]}"
	mapfile -t KPIDS < <(for p in "${KPIDS[@]}"; do kill -0 "$p" 2>/dev/null && echo "$p"; done)
}

kernels_boot_all() {
	local k
	for k in $1; do
		[ -n "${KMISSING[$k]:-}" ] && continue
		rm -f "$OUT/$k/$3" "$OUT/$k/$3.status"
		echo "$KNAME: kernel $k: booting $(cat "$OUT/$k/release")"
		kernels_boot "$k" "$2" "$3" &
		KPIDS+=($!)
		kernels_slot
	done
	[ "${#KPIDS[@]}" -eq 0 ] || wait "${KPIDS[@]}"
	KPIDS=()
}
