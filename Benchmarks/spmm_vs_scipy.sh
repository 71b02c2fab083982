#!/usr/bin/env bash
# Runs `sparsefactor bench spmm` and scipy.sparse CSR @ dense on the same Chord pattern, in
# the same run, and prints the speed-up. Usage: Benchmarks/spmm_vs_scipy.sh [N] [C] [B]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-16384}; c=${2:-64}; b=${3:-1}
swift build -c release --product sparsefactor >/dev/null
ours=$(.build/release/sparsefactor bench spmm --n "$n" --channels "$c" --batch "$b" --json | tail -n 1)
theirs=$(python3 Benchmarks/reference/scipy_spmm.py --n "$n" --channels "$c" --batch "$b" --json | tail -n 1)
python3 - "$ours" "$theirs" <<'PY'
import json, sys
o, t = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"sparsefactor: {o['ms']:.3f} ms ({o['gflops']:.1f} GFLOP/s, {o['threads']} threads, {o['cpu']})")
print(f"scipy CSR:    {t['ms']:.3f} ms ({t['gflops']:.1f} GFLOP/s)")
print(json.dumps({"n": o["n"], "channels": o["channels"], "batch": o["batch"], "sparsefactor_ms": o["ms"],
                  "scipy_ms": t["ms"], "speedup": t["ms"] / o["ms"]}))
PY
