#!/usr/bin/env bash
# Quick start, command 1: installs what is missing, builds, and serves Relais on
# http://127.0.0.1:8080 with its data (SQLite + Xapian) in ./data. The first start
# loads the seed content and prints how to sign in. Extra arguments go to
# `relais serve` (e.g. --listen 0.0.0.0:8080, --data-dir /var/lib/relais).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# The communes and populations of « Territoire d'une CPTS »: without them the server still
# runs (those routes answer 503), so a failure here (offline) is only a warning.
scripts/install-territory-data.sh || echo "warning: territory data not installed (scripts/install-territory-data.sh)" >&2
scripts/build.sh
exec build/relais serve "$@"
