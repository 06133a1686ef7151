#!/usr/bin/env bash
# make test-deploy (root): the built .deb on a real Debian system with
# systemd as PID 1, under QEMU.
#
#   1. a bookworm root file system (mmdebstrap, minbase + systemd + the
#      package's Depends and nothing else), cached as build/deploy/rootfs-HASH.tar
#   2. the .deb (make deb) and tests/deploy/guest-test.sh copied in, the test
#      enabled as a oneshot unit, the whole tree packed as the initramfs
#      (cloud kernels have no 9p and virtio-blk is a module), /init -> systemd
#   3. booted with the matrix kernel DEPLOY_KERNEL (default 6.1, fetched into
#      build/kernels/ as scripts/test-kernels.sh does), BPF LSM on, no network
#      device; the test drives the unit through systemctl and powers off
#
# Prints the guest's "ok/not ok" lines and, last, "N passed, N failed".
# Environment: DEPLOY_KERNEL, DEPLOY_TIMEOUT (s, default 900), DEPLOY_MIRROR.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
# shellcheck source=scripts/kernels-lib.sh
. scripts/kernels-lib.sh
kernels_setup test-deploy
command -v mmdebstrap >/dev/null || die "mmdebstrap missing: scripts/deps.sh test-deploy"

D=build/deploy
KERNEL=${DEPLOY_KERNEL:-6.1}
mkdir -p "$D"

# --- 1. the root file system, cached by what goes into it ----------------------
depends=$(sed -n 's/^Depends: //p' packaging/debian/control.in | tr ',' '\n' |
	  sed 's/(.*//; s/ //g' | grep . | paste -sd, -)
include="systemd,systemd-sysv,$depends"
# no documentation, manuals or translations: a smaller initramfs
excludes=(--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*'
	  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*')
key=$(printf '%s\n' bookworm minbase "$include" "${excludes[@]}" | sha256sum | cut -c1-16)
rootfs=$D/rootfs-$key.tar
if [ ! -s "$rootfs" ]; then
	echo "test-deploy: building the root file system ($include)"
	t0=$(date +%s)
	rm -rf "$D"/rootfs-*.tar
	# mmdebstrap picks the output format from the name: keep .tar last
	mmdebstrap --variant=minbase --include="$include" "${excludes[@]}" bookworm \
		"$D/partial.tar" "${DEPLOY_MIRROR:-$MIRROR}" >"$D/mmdebstrap.log" 2>&1 ||
		{ tail -20 "$D/mmdebstrap.log"; die "mmdebstrap failed (see $D/mmdebstrap.log)"; }
	mv "$D/partial.tar" "$rootfs"
	echo "test-deploy: root file system built in $(($(date +%s) - t0)) s ($(du -h "$rootfs" | cut -f1))"
fi

# --- 2. the package and the guest's test, packed as the initramfs -----------------
make --no-print-directory deb >"$D/deb.log" 2>&1 || { tail -20 "$D/deb.log"; die "make deb failed"; }
deb=$(ls -t build/custos_*.deb | head -1)
kernels_fetch_all "$KERNEL"
[ -z "${KMISSING[$KERNEL]:-}" ] || die "kernel $KERNEL: ${KMISSING[$KERNEL]}"
root=$D/root
rm -rf "$root" && mkdir -p "$root"
tar -C "$root" -xf "$rootfs"
cp "$deb" "$root/root/custos.deb"
install -m 0755 tests/deploy/guest-test.sh "$root/usr/local/sbin/custos-deploy-test"
cat >"$root/etc/systemd/system/custos-deploy-test.service" <<'UNIT'
[Unit]
Description=custos deploy test
After=multi-user.target
[Service]
Type=oneshot
ExecStart=/usr/local/sbin/custos-deploy-test
ExecStopPost=/bin/systemctl poweroff --force --force
StandardOutput=journal+console
StandardError=journal+console
TimeoutStartSec=0
UNIT
mkdir -p "$root/etc/systemd/system/multi-user.target.wants"
ln -sf ../custos-deploy-test.service "$root/etc/systemd/system/multi-user.target.wants/"
# a quiet console: no login prompts
for u in serial-getty@ttyS0.service getty@tty1.service; do
	ln -sf /dev/null "$root/etc/systemd/system/$u"
done
echo deploy-guest >"$root/etc/hostname"
: >"$root/etc/machine-id"
ln -sf /lib/systemd/systemd "$root/init"
initramfs_pack "$root" "$D/initrd.gz"
rm -rf "$root"

# --- 3. boot ---------------------------------------------------------------------
log=$D/serial-$KERNEL.log
echo "test-deploy: booting kernel $KERNEL ($(cat "$OUT/$KERNEL/release")) with $(du -h "$D/initrd.gz" | cut -f1) of initramfs"
t0=$(date +%s)
timeout "${DEPLOY_TIMEOUT:-900}" qemu-system-x86_64 -accel tcg -m 2G -smp 1 -nographic -no-reboot \
	-nic none -kernel "$OUT/$KERNEL/vmlinuz" -initrd "$D/initrd.gz" \
	-append "console=ttyS0 panic=-1 lsm=lockdown,capability,bpf quiet systemd.show_status=0" \
	</dev/null >"$log" 2>&1
rc=$?
echo "test-deploy: guest done in $(($(date +%s) - t0)) s (rc $rc), serial log $log"
# the test's lines, without the console's "[ 12.3] custos-deploy-test[131]: "
tr -d '\r' <"$log" | sed -n 's/^\[[ 0-9.]*\] custos-deploy-test\[[0-9]*\]: //p' >"$log.test"
grep -E '^(ok|not ok|#|deploy:) ' "$log.test" || true
tally=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log.test" | tail -1)
if [ -z "$tally" ]; then
	tr -d '\r' <"$log" | tail -40
	echo "0 passed, 1 failed"
	exit 1
fi
echo "$tally"
[ "${tally#*, }" = "0 failed" ]
