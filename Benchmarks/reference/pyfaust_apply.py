#!/usr/bin/env python3
"""Applying factors: sparsefactor's Chord chain against pyfaust's butterfly factorization of the same matrix.

For each N, the matrix A is the product of M = ceil(log2 N) Chord factors with random weights (so
sparsefactor's chain represents it exactly). pyfaust factorizes A with `pyfaust.fact.butterfly`
(type bbtree: log2 N factors with 2 non-zeros per row) and reports the relative error of its
approximation. Then, for each C, the median time of one product with an N x C block X:
  chain      `sparsefactor bench apply --n N --channels C --no-dense --json` (the chain kernels)
  pyfaust    F @ X, F the butterfly Faust (pyfaust's C++ backend)
  scipy      W1 @ (W2 @ (... @ X)) with the Chord factors as scipy CSR matrices
  dense      A @ X with numpy (OpenBLAS)
Every product is timed after one untimed warm-up, repeated for about a second (at least 3 times).
One JSON line per (N, C); the times of the chain do not depend on its values, only on N, M, K and C.

pyfaust is not a project dependency: make its venv with Benchmarks/reference/setup-pyfaust.sh and run

    swift build -c release --product sparsefactor
    /tmp/sparsefactor-pyfaust/bin/python Benchmarks/reference/pyfaust_apply.py --sizes 4096 16384 > apply-pyfaust.jsonl
"""

import argparse
import json
import os
import subprocess
import sys
import time
import warnings

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from numpy_objective import chord_columns, chord_factor_count  # noqa: E402


def chord_factors(n, seed):
    """M random Chord factors as CSR matrices: row i has weights on i and (i + 2^k) mod N, uniform in
    [-1, 1] scaled by 1/sqrt(K) so that the product neither grows nor vanishes with M."""
    rng = np.random.default_rng(seed)
    columns = chord_columns(n)
    k = len(columns[0])
    indptr = np.arange(0, n * k + 1, k)
    indices = np.array(columns, dtype=np.int64).ravel()
    return [sp.csr_matrix((rng.uniform(-1, 1, n * k) / np.sqrt(k), indices, indptr), shape=(n, n))
            for _ in range(chord_factor_count(n))]


def apply_chain(factors, x):
    for w in reversed(factors):          # W_M first
        x = w @ x
    return x


def dense_product(factors, n, block=512):
    a = np.empty((n, n))
    for j in range(0, n, block):
        width = min(block, n - j)
        identity = np.zeros((n, width))
        identity[j + np.arange(width), np.arange(width)] = 1
        a[:, j:j + width] = apply_chain(factors, identity)
    return a


def median_ms(body):
    body()
    start = time.perf_counter()
    body()
    once = time.perf_counter() - start
    reps = max(3, min(200, int(1.0 / max(once, 1e-6))))
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        body()
        times.append((time.perf_counter() - start) * 1e3)
    return float(np.median(times)), min(times), reps


def relative_error(faust, a, block=512):
    """||F - A||_F / ||A||_F, F applied to the identity a block of columns at a time (no dense F)."""
    n = a.shape[0]
    residual = 0.0
    for j in range(0, n, block):
        width = min(block, n - j)
        identity = np.zeros((n, width))
        identity[j + np.arange(width), np.arange(width)] = 1
        residual += float(np.sum((faust @ np.asfortranarray(identity) - a[:, j:j + width]) ** 2))
    return np.sqrt(residual) / np.linalg.norm(a)


def chain_ms(binary, n, c):
    out = subprocess.run([binary, "bench", "apply", "--n", str(n), "--channels", str(c), "--no-dense", "--json"],
                         check=True, capture_output=True, text=True).stdout
    d = json.loads(out.strip().splitlines()[-1])
    return d["ms"], d["ms_min"], d["repeats"], d["threads"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[4096, 16384])
    parser.add_argument("--channels", type=int, nargs="+", default=[1, 16, 64])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sparsefactor", default=".build/release/sparsefactor")
    args = parser.parse_args()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pyfaust
        import pyfaust.fact
    rng = np.random.default_rng(args.seed)
    for n in args.sizes:
        if n & (n - 1):
            sys.exit(f"pyfaust_apply: --sizes must be powers of two (pyfaust's butterfly pads otherwise), got {n}")
        factors = chord_factors(n, args.seed)
        a = dense_product(factors, n)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            faust = pyfaust.fact.butterfly(a, type="bbtree")
        factor_seconds = time.perf_counter() - start
        error = relative_error(faust, a)
        faust_nonzeros = int(faust.nnz_sum())
        chain_nonzeros = sum(w.nnz for w in factors)
        for c in args.channels:
            x = rng.standard_normal((n, c))
            x_columns = np.asfortranarray(x)    # pyfaust's layout (it converts a row-major X on every product)
            chain = chain_ms(args.sparsefactor, n, c)
            faust_times = median_ms(lambda: faust @ x_columns)
            scipy_times = median_ms(lambda: apply_chain(factors, x))
            dense_times = median_ms(lambda: a @ x)
            print(json.dumps({
                "n": n, "channels": c, "factors": len(factors), "chain_nonzeros": chain_nonzeros,
                "pyfaust_factors": faust.numfactors(), "pyfaust_nonzeros": faust_nonzeros,
                "pyfaust_relative_error": error, "pyfaust_factorization_s": factor_seconds,
                "chain_ms": chain[0], "chain_ms_min": chain[1], "chain_threads": chain[3],
                "pyfaust_ms": faust_times[0], "pyfaust_ms_min": faust_times[1],
                "scipy_chain_ms": scipy_times[0], "dense_ms": dense_times[0],
                "pyfaust_version": pyfaust.version(), "numpy_version": np.__version__,
            }), flush=True)


if __name__ == "__main__":
    main()
