#!/usr/bin/env bash
# Regenerates vmlinux/<arch>/vmlinux.h from the running kernel's BTF.
# CO-RE makes one header good for every kernel: regenerate only to use types
# that the committed header lacks.
set -euo pipefail
arch=${1:-$(uname -m)}
mkdir -p "vmlinux/$arch"
bpftool btf dump file /sys/kernel/btf/vmlinux format c > "vmlinux/$arch/vmlinux.h.tmp"
mv "vmlinux/$arch/vmlinux.h.tmp" "vmlinux/$arch/vmlinux.h"
echo "vmlinux/$arch/vmlinux.h: $(wc -l < "vmlinux/$arch/vmlinux.h") lines from $(uname -r)"
