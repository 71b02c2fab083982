"""Writes the generated matrices of results/factorization/initialization.md as .npy files.

    python3 Benchmarks/initialization/make_matrices.py OUTDIR

laplacian1d.npy  the 1-D Laplacian (2 on the diagonal, −1 beside it), N = 1024
laplacian2d.npy  the 5-point Laplacian of a 32×32 grid, N = 1024
dominant.npy     diagonal in [2, 4), off-diagonal entries uniform in ±0.02, seed 1, N = 1024
shifted2d.npy    laplacian2d + 10·I (a diffusion step's matrix, strongly diagonal), N = 1024
"""
import sys
from pathlib import Path

import numpy as np


def main():
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    n = 1024
    l1 = 2 * np.eye(n) - np.eye(n, k=1) - np.eye(n, k=-1)
    side = 32
    t = 2 * np.eye(side) - np.eye(side, k=1) - np.eye(side, k=-1)
    l2 = np.kron(t, np.eye(side)) + np.kron(np.eye(side), t)
    rng = np.random.default_rng(1)
    d = rng.uniform(-0.02, 0.02, (n, n))
    np.fill_diagonal(d, rng.uniform(2, 4, n))
    for name, m in [("laplacian1d", l1), ("laplacian2d", l2), ("dominant", d), ("shifted2d", l2 + 10 * np.eye(n))]:
        np.save(out / f"{name}.npy", np.ascontiguousarray(m, dtype=np.float64))


if __name__ == "__main__":
    main()
