#!/usr/bin/env bash
# Quick start, command 2: installs what is missing, builds, and runs every test
# (unit, integration against the real binary, browser) through ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
scripts/build.sh
# npm ci again when playwright-core is missing or is not the version that package.json pins
# (an existing checkout picks up a change of version); nothing is done or printed otherwise.
(cd tests/browser
 pinned=$(node -p 'JSON.parse(require("fs").readFileSync("package.json", "utf8")).devDependencies["playwright-core"]')
 installed=$(node -p 'try { JSON.parse(require("fs").readFileSync("node_modules/playwright-core/package.json", "utf8")).version } catch { "none" }')
 if [[ "$installed" != "$pinned" ]]; then
   echo "playwright-core: installed $installed, package.json pins $pinned: npm ci"
   npm ci --no-audit --no-fund
 fi)
exec ctest --preset release -j 2 "$@"
