#!/usr/bin/env bash
# The paper's start against the diagonal start on the generated matrices of make_matrices.py, one JSON
# line per fit (results/factorization/initialization.md). From the repository root:
#   swift build -c release --product sparsefactor
#   bash Benchmarks/initialization/run_initializations.sh OUTDIR > fits.jsonl
# ITERATIONS (default 1000), TIME_LIMIT (seconds per fit, default 120).
set -euo pipefail
out=${1:?usage: run_initializations.sh OUTDIR}
bin=${SPARSEFACTOR:-.build/release/sparsefactor}
python3 "$(dirname "$0")/make_matrices.py" "$out"
for name in laplacian1d laplacian2d shifted2d dominant; do
  for init in paper diagonal; do
    "$bin" factorize "$out/$name.npy" --init "$init" --iterations "${ITERATIONS:-1000}" --time-limit "${TIME_LIMIT:-120}" \
      --seed 0 --json | tail -n 1 \
      | python3 -c "import json,sys; d=json.load(sys.stdin); d['matrix']='$name'; print(json.dumps(d))"
  done
done
