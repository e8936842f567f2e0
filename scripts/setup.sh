#!/usr/bin/env bash
# Installs the C libraries classify links against, only when missing:
# OpenBLAS (Linux; Accelerate on macOS), librsvg + cairo (figure rasterisation), Pango (the PDF
# report's text), poppler-utils (the PDF tests read the PDF back), pkg-config.
set -euo pipefail
if [ "$(uname -s)" = "Darwin" ]; then
  command -v brew >/dev/null || { echo "setup: install Homebrew first (https://brew.sh)" >&2; exit 1; }
  for formula in librsvg pango poppler libpng jpeg-turbo pkg-config; do brew list "$formula" >/dev/null 2>&1 || brew install "$formula"; done
  exit 0
fi
if command -v pkg-config >/dev/null && pkg-config --exists openblas librsvg-2.0 pangocairo libpng libjpeg && command -v pdftotext >/dev/null; then
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq libopenblas-dev librsvg2-dev libpango1.0-dev poppler-utils libpng-dev libjpeg-dev pkg-config >/dev/null
pkg-config --exists openblas librsvg-2.0 pangocairo libpng libjpeg || { echo "setup: OpenBLAS, librsvg or Pango still not found by pkg-config" >&2; exit 1; }
