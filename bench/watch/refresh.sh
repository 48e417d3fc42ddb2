#!/usr/bin/env bash
# A refresh of many loopback sources with the search latency meanwhile (refresh.mjs,
# bench/watch/README.md). Appends a table to bench/RESULTS.md.
#
#   bench/watch/refresh.sh              1000 sources
#   SOURCES=200 bench/watch/refresh.sh  fewer
#   RESULTS=/dev/null                   print only
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
BUILD_DIR=${BUILD_DIR:-build}
SOURCES=${SOURCES:-1000}
RESULTS=${RESULTS:-$root/bench/RESULTS.md}
cmake --build "$BUILD_DIR" --target relais >&2
load=$(cut -d' ' -f1-3 /proc/loadavg)
out=$(node "$here/refresh.mjs" "$BUILD_DIR/relais" "$SOURCES")
machine="$(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), kernel $(uname -r)"
commit="$(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo ' (with uncommitted changes)')"
{
  echo
  echo "## Watch refresh of $SOURCES sources — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Machine: $machine; load average before the run: $load. Relais $commit, default settings (watch.fetch_parallel = $(sed -n 's/^fetch_parallel = //p' config/relais.toml))."
  echo
  echo "Sources served by a Node server on loopback: 12 in 20 fresh (200, ten items, a new one each time), 5 in 20 answering 304 to their ETag, 2 in 20 slow (2 s), 1 in 20 failing (500). First read after an OPML import; then every source made due and refreshed, alone (wall time, server CPU), and again while four clients search the library in a loop (latency against the same loop on the idle server)."
  echo
  echo "$out" | tail -n 3
  echo
  echo "Raw: \`$(echo "$out" | head -n 1)\`"
} | tee -a "$RESULTS"
