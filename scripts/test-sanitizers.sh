#!/usr/bin/env bash
# The unit and integration tests built with AddressSanitizer and UndefinedBehaviorSanitizer
# (the `debug` preset, in build-debug/). Slower than the release tests; run it after
# touching coroutines, lifetimes or parsing. Extra arguments go to ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
if [[ ! -f build-debug/build.ninja ]]; then
  cmake --preset debug >/dev/null
fi
cmake --build --preset debug
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
exec ctest --preset debug -j 2 -L 'unit|integration' "$@"
