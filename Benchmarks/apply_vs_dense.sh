#!/usr/bin/env bash
# The table of results/factorization/apply.md: `sparsefactor bench apply` (the chain W1⋯WM·X against the
# OpenBLAS product A·X of the same N×N matrix, same run) for every N and C below, one JSON line each.
#   swift build -c release --product sparsefactor
#   bash Benchmarks/apply_vs_dense.sh > apply.jsonl
# SIZES (default 4096 8192 16384 32768 65536), CHANNELS (default 1 16 64), PRECISION (default float64).
set -euo pipefail
bin=${SPARSEFACTOR:-.build/release/sparsefactor}
for n in ${SIZES:-4096 8192 16384 32768 65536}; do
  for c in ${CHANNELS:-1 16 64}; do
    "$bin" bench apply --n "$n" --channels "$c" --precision "${PRECISION:-float64}" --json | tail -n 1
  done
done
