#!/usr/bin/env bash
# `make run`: the agent on the shipped rules, records to stdout, until Ctrl-C
# (not pinned: nothing of it stays in the kernel afterwards).
# The agent refuses rules that anyone but root could change; a checkout owned
# by a user is therefore staged into build/run-rules (root-owned, 0644) first.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
	echo "run.sh: custos loads BPF programs and needs root: sudo make run" >&2
	exit 1
fi
rules=rules
if [ -n "$(find rules -maxdepth 1 \( ! -user root -o -perm /022 \) -print -quit)" ]; then
	rm -rf build/run-rules
	install -d -m 0755 -o root -g root build/run-rules
	install -m 0644 -o root -g root rules/*.yaml build/run-rules/
	rules=build/run-rules
	echo "run.sh: rules/ is not root-owned and read-only to others; running on a root-owned copy in $rules" >&2
fi
# a developer's run: nothing stays attached after Ctrl-C, state under build/
exec build/custos run --no-pin --state-dir build/run-state --rules "$rules" "$@"
