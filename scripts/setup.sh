#!/usr/bin/env bash
# Installs the C libraries classify links against, only when missing:
# OpenBLAS (Linux; Accelerate on macOS), librsvg + cairo (figure rasterisation), Pango (the PDF
# report's text), poppler-utils (the PDF tests read the PDF back), libarchive + zlib (dataset
# .gz and .tar.gz files), pkg-config.
set -euo pipefail
if [ "$(uname -s)" = "Darwin" ]; then
  command -v brew >/dev/null || { echo "setup: install Homebrew first (https://brew.sh)" >&2; exit 1; }
  for formula in librsvg pango poppler libpng jpeg-turbo libarchive pkg-config; do brew list "$formula" >/dev/null 2>&1 || brew install "$formula"; done
  # Homebrew's libarchive is keg-only (macOS ships an older one without headers): SwiftPM finds
  # its libarchive.pc only with PKG_CONFIG_PATH="$(brew --prefix libarchive)/lib/pkgconfig".
  pkg-config --exists libarchive || echo "setup: before swift build, export PKG_CONFIG_PATH=\"$(brew --prefix libarchive)/lib/pkgconfig:\${PKG_CONFIG_PATH:-}\"" >&2
  exit 0
fi
if command -v pkg-config >/dev/null && pkg-config --exists openblas librsvg-2.0 pangocairo libpng libjpeg libarchive zlib && command -v pdftotext >/dev/null; then
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq libopenblas-dev librsvg2-dev libpango1.0-dev poppler-utils libpng-dev libjpeg-dev libarchive-dev zlib1g-dev pkg-config >/dev/null
pkg-config --exists openblas librsvg-2.0 pangocairo libpng libjpeg libarchive zlib || { echo "setup: OpenBLAS, librsvg, Pango, libpng, libjpeg, libarchive or zlib still not found by pkg-config" >&2; exit 1; }
