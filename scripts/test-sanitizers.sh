#!/usr/bin/env bash
# The unit and integration tests built with AddressSanitizer and UndefinedBehaviorSanitizer
# (the `debug` preset, in build-debug/). Slower than the release tests; run it after
# touching coroutines, lifetimes or parsing. Extra arguments go to ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
scripts/install-territory-data.sh
if [[ ! -f build-debug/build.ninja ]]; then
  cmake --preset debug >/dev/null
fi
cmake --build --preset debug
# ASAN_OPTIONS and UBSAN_OPTIONS come from the debug test preset (CMakePresets.json).
exec ctest --preset debug -j 2 -L 'unit|integration' "$@"
