#!/usr/bin/env bash
# `make run`: the agent on the shipped rules, records to stdout, until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
	echo "run.sh: custos loads BPF programs and needs root: sudo make run" >&2
	exit 1
fi
exec build/custos run --rules rules "$@"
