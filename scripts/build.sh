#!/usr/bin/env bash
# Configures (once) and builds the release preset. Incremental and idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -f build/build.ninja ]]; then
  cmake --preset release >/dev/null
fi
cmake --build --preset release
