#!/usr/bin/env bash
# Installs what the forward-sink tests need: nodejs, npm and openssl from
# Debian (deps.sh forward) and the npm package @fluent-org/logger, whose
# FluentServer is the independent receiver, into build/npm.  Safe to run
# again; called by `make test` and `make test-e2e`.
set -euo pipefail
cd "$(dirname "$0")/.."
# node and npm may come from elsewhere (e.g. NodeSource, whose nodejs bundles
# npm and conflicts with Debian's npm package): install only what is missing.
if ! command -v node >/dev/null || ! command -v npm >/dev/null || ! command -v openssl >/dev/null; then
	scripts/deps.sh forward
fi
if [ ! -f build/npm/node_modules/@fluent-org/logger/package.json ]; then
	mkdir -p build/npm
	npm install --no-audit --no-fund --prefix build/npm @fluent-org/logger >&2
fi
