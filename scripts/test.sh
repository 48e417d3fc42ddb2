#!/usr/bin/env bash
# Quick start, command 2: installs what is missing, builds, and runs every test
# (unit, integration against the real binary, browser) through ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
scripts/build.sh
(cd tests/browser && if [[ ! -d node_modules/playwright-core ]]; then npm ci --no-audit --no-fund; fi)
exec ctest --preset release -j 2 "$@"
