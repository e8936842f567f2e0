#!/usr/bin/env bash
# Paired A/B on a noisy host (docs/BENCHMARKS.md, "A steadier A/B on this host"): runs two commands
# at the same time, each pinned to its own core, swapping the cores every round, and prints the
# median and range of B's rate over A's. Both see the same moment of the host, so an A/A check
# comes out within a few per cent of 1, where interleaved runs differ by up to 30 %.
#
#   scripts/bench/paired.sh ROUNDS "COMMAND A" "COMMAND B" [PATTERN]
#
# PATTERN is an extended regular expression whose last number on the output is the rate (higher is
# better); the default reads `Benchmarks forward-loop`'s "N img/s". For example, two release builds
# copied aside:
#   scripts/bench/paired.sh 6 "/tmp/before forward-loop 224 8 2 --threads 1" \
#     "/tmp/after forward-loop 224 8 2 --threads 1"
# or two builds of scripts/bench/nhwc_direct_conv.c with PATTERN 'mean [0-9.]+'.
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: paired.sh ROUNDS \"COMMAND A\" \"COMMAND B\" [PATTERN]" >&2
  exit 64
fi
rounds=$1 a=$2 b=$3 pattern=${4:-'[0-9.]+ img/s'}
if ! command -v taskset > /dev/null; then
  echo "paired.sh: taskset (util-linux) is needed to pin each command to a core" >&2
  exit 1
fi
if [ "$(nproc)" -lt 2 ]; then
  echo "paired.sh: needs at least 2 cores, this machine has $(nproc)" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rate() { { grep -oE "$pattern" "$1" || true; } | tail -1 | { grep -oE '[0-9]+(\.[0-9]+)?' || true; } | head -1; }
ratios=()
for round in $(seq "$rounds"); do
  if (( round % 2 )); then core_a=0 core_b=1; else core_a=1 core_b=0; fi
  taskset -c "$core_a" bash -c "$a" > "$work/a" 2>&1 &
  taskset -c "$core_b" bash -c "$b" > "$work/b" 2>&1
  wait
  ra=$(rate "$work/a") rb=$(rate "$work/b")
  if [ -z "$ra" ] || [ -z "$rb" ]; then
    echo "paired.sh: round $round printed no rate matching '$pattern'" >&2
    exit 1
  fi
  echo "round $round: A $ra, B $rb"
  ratios+=("$(awk -v x="$rb" -v y="$ra" 'BEGIN { printf "%.4f", x / y }')")
done
printf '%s\n' "${ratios[@]}" | sort -n | awk '{ v[NR] = $1 } END {
  median = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
  printf "B/A median %.3f (%.3f–%.3f), %d rounds\n", median, v[1], v[NR], NR }'
