#!/usr/bin/env bash
# Fits the Walsh–Hadamard, DCT and DFT matrices with the Chord pattern and its symmetric variant, and
# prints one JSON line per fit (results/factorization/transforms.md). Usage, from the repository root:
#   swift build -c release --product sparsefactor
#   bash Benchmarks/transforms/run_transforms.sh OUTDIR > fits.jsonl
# ITERATIONS (default 2000), TIME_LIMIT (seconds per fit, default 300), THREADS (default 2), SIZES,
# MATRICES (default "hadamard dct dft_real dft_imag"), PATTERNS (default "symmetric chord"),
# INIT (paper, diagonal or gaussian; default paper), SPARSITY (pattern or butterfly; default pattern),
# GRADIENT_TOLERANCE and IMPROVEMENT_TOLERANCE (default: factorize's).
set -euo pipefail
out=${1:?usage: run_transforms.sh OUTDIR}
bin=${SPARSEFACTOR:-.build/release/sparsefactor}
sizes=${SIZES:-64 128 256 512 1024}
python3 "$(dirname "$0")/make_transforms.py" "$out" $sizes
for n in $sizes; do
  for name in ${MATRICES:-hadamard dct dft_real dft_imag}; do
    for pattern in ${PATTERNS:-symmetric chord}; do
      flags=(--sparsity "${SPARSITY:-pattern}"); [ "$pattern" = symmetric ] && flags+=(--symmetric)
      [ -n "${GRADIENT_TOLERANCE:-}" ] && flags+=(--gradient-tolerance "$GRADIENT_TOLERANCE")
      [ -n "${IMPROVEMENT_TOLERANCE:-}" ] && flags+=(--improvement-tolerance "$IMPROVEMENT_TOLERANCE")
      "$bin" factorize "$out/$name$n.npy" "${flags[@]}" --iterations "${ITERATIONS:-2000}" \
        --time-limit "${TIME_LIMIT:-300}" --threads "${THREADS:-2}" --init "${INIT:-paper}" --seed 0 --json | tail -n 1 \
        | python3 -c "import json,sys; d=json.load(sys.stdin); d['matrix']='$name'; d['pattern']='$pattern'; print(json.dumps(d))"
    done
  done
done
