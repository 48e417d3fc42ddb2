#!/usr/bin/env bash
# Quick start, command 2: installs what is missing, builds, and runs every test
# (unit, integration against the real binary, browser) through ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
scripts/install-territory-data.sh
scripts/build.sh
# npm ci again when a pinned browser-test package (playwright-core, axe-core) is missing or
# is not the version that package.json pins (an existing checkout picks up a change of
# version); nothing is done or printed otherwise.
(cd tests/browser
 stale=$(node -e '
   const fs = require("fs");
   const pins = JSON.parse(fs.readFileSync("package.json", "utf8")).devDependencies;
   for (const [name, pinned] of Object.entries(pins)) {
     let installed = "none";
     try { installed = JSON.parse(fs.readFileSync(`node_modules/${name}/package.json`, "utf8")).version; } catch {}
     if (installed !== pinned) console.log(`${name}: installed ${installed}, package.json pins ${pinned}`);
   }')
 if [[ -n "$stale" ]]; then
   echo "$stale: npm ci"
   npm ci --no-audit --no-fund
 fi)
exec ctest --preset release -j 2 "$@"
