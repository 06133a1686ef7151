#!/usr/bin/env bash
# Installs the Debian packages custos needs to build, run and test, when any
# is missing.  Called by `make run` and `make test`; safe to run again.
# Extra groups: `deps.sh test` what the host's e2e tests add, `deps.sh
# test-kernels` what the kernel matrix needs, `deps.sh test-deploy` what
# the systemd deployment test needs, forward, bench.
set -euo pipefail

pkgs=(make gcc clang llvm pkg-config bpftool libbpf-dev libelf-dev zlib1g-dev
      libyaml-dev libmsgpack-dev libssl-dev libcmocka-dev libjansson-dev
      iproute2 procps util-linux python3
      systemd prometheus)   # systemd-analyze and promtool check the unit and metrics
for group in "$@"; do
	case "$group" in
	forward) pkgs+=(nodejs npm openssl) ;;
	bench) pkgs+=(auditd linux-perf) ;;
	# test_net: an exempt binary on btrfs; the sanitizer and libFuzzer runtimes
	# of the default clang (make test-asan, make fuzz)
	test) pkgs+=(btrfs-progs libclang-rt-dev) ;;
	test-kernels) pkgs+=(qemu-system-x86 busybox-static libzstd-dev) ;;
	test-deploy) pkgs+=(mmdebstrap qemu-system-x86 busybox-static) ;;	# scripts/test-deploy.sh
	*) echo "deps.sh: unknown group '$group'" >&2; exit 2 ;;
	esac
done

missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages: ${missing[*]}; run as root (or: sudo apt-get install ${missing[*]})" >&2
	exit 1
fi
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
