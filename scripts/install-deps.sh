#!/usr/bin/env bash
# Installs what Relais needs from Debian 12 packages, only what is missing.
# Usage: scripts/install-deps.sh [--test]   (--test adds Chromium and sqlite3 for the tests)
# Node.js and npm are always needed: they install the territory module's data
# (scripts/install-territory-data.sh).
set -euo pipefail

packages=(g++ cmake ninja-build ccache pkg-config
          libboost1.81-dev libsqlite3-dev libxapian-dev nlohmann-json3-dev catch2
          libsodium-dev libspdlog-dev libtomlplusplus-dev
          libpoppler-cpp-dev libzip-dev libexpat1-dev libxml2-dev
          libpng-dev libturbojpeg0-dev libwebp-dev
          libcurl4-openssl-dev zlib1g-dev libdtl-dev
          libpango1.0-dev libcairo2-dev fonts-dejavu-core libqrencode-dev)
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(chromium sqlite3)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "Installing: ${missing[*]}"
sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
