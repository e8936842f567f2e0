#!/usr/bin/env bash
# Installs the C libraries classify links against, only when missing:
# OpenBLAS (Linux; Accelerate on macOS), librsvg + cairo (figure rasterisation), pkg-config.
set -euo pipefail
if [ "$(uname -s)" = "Darwin" ]; then
  command -v brew >/dev/null || { echo "setup: install Homebrew first (https://brew.sh)" >&2; exit 1; }
  for formula in librsvg libpng jpeg-turbo pkg-config; do brew list "$formula" >/dev/null 2>&1 || brew install "$formula"; done
  exit 0
fi
if command -v pkg-config >/dev/null && pkg-config --exists openblas librsvg-2.0 libpng libjpeg; then
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq libopenblas-dev librsvg2-dev libpng-dev libjpeg-dev pkg-config >/dev/null
pkg-config --exists openblas librsvg-2.0 libpng libjpeg || { echo "setup: OpenBLAS or librsvg still not found by pkg-config" >&2; exit 1; }
