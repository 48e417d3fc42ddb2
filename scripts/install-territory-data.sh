#!/usr/bin/env bash
# Installs the data of the territory module (« Territoire d'une CPTS »): the npm package
# @etalab/decoupage-administratif (communes, postal codes, municipal populations; code
# MIT, data Licence Ouverte), at the exact version seed-content/territory/package.json
# pins, into seed-content/territory/node_modules. The server imports it into SQLite at
# start when its version changed. Idempotent: nothing is done or printed when the pinned
# version is there. Needs node and npm (scripts/install-deps.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/../seed-content/territory"
stale=$(node -e '
  const fs = require("fs");
  const pins = JSON.parse(fs.readFileSync("package.json", "utf8")).dependencies;
  for (const [name, pinned] of Object.entries(pins)) {
    let installed = "none";
    try { installed = JSON.parse(fs.readFileSync(`node_modules/${name}/package.json`, "utf8")).version; } catch {}
    if (installed !== pinned) console.log(`${name}: installed ${installed}, package.json pins ${pinned}`);
  }')
if [[ -n "$stale" ]]; then
  echo "$stale: npm ci"
  npm ci --no-audit --no-fund --omit=dev
fi
