"""Exploration in numpy (not the package's code): fitting the orthonormal Walsh–Hadamard matrix
H = W1⋯WM, M = log2 N, by scipy's L-BFGS-B with dense masked factors, to see what makes the
symmetric-Chord fit hard (results/factorization/transforms.md).

    python3 Benchmarks/transforms/butterfly_numpy.py N MODE SEED [ITERATIONS]

MODE
  butterfly   factor m may use only its own butterfly level (links i and i XOR 2^m), Dao et al.'s
              fixed butterfly sparsity; start N(0, 1/2) on those links
  chord-bfly  every factor has the whole symmetric Chord pattern (i, i ± 2^k); start as `butterfly`
              (the other links at 0)
  chord-gauss every factor has the whole symmetric Chord pattern; start N(0, 1/(2K)) on every link
Prints N, MODE, SEED, the relative error ‖H − W1⋯WM‖_F / ‖H‖_F, the iterations and scipy's message.
"""
import sys

import numpy as np
import scipy.optimize as so


def hadamard(n):
    i = np.arange(n)
    return np.array([[(-1) ** bin(a & b).count("1") for b in i] for a in i]) / np.sqrt(n)


def main():
    n, mode, seed = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    iterations = int(sys.argv[4]) if len(sys.argv) > 4 else 3000
    levels = int(np.log2(n))
    target = hadamard(n)
    rng = np.random.default_rng(seed)
    rows = np.arange(n)
    masks, starts = [], []
    for m in range(levels):
        own = np.zeros((n, n))
        own[rows, rows] = 1
        own[rows, rows ^ (1 << m)] = 1
        full = np.zeros((n, n))
        for k in range(levels):
            for o in (0, 1 << k, -(1 << k)):
                full[rows, (rows + o) % n] = 1
        mask = own if mode == "butterfly" else full
        start = np.zeros((n, n))
        if mode == "chord-gauss":
            start[mask > 0] = rng.standard_normal(int(mask.sum())) * np.sqrt(1 / (2 * full[0].sum()))
        else:
            start[own > 0] = rng.standard_normal(int(own.sum())) * np.sqrt(0.5)
        masks.append(np.nonzero(mask))
        starts.append(start[masks[-1]])
    sizes = np.cumsum([0] + [len(s) for s in starts])

    def factors(x):
        out = []
        for m in range(levels):
            w = np.zeros((n, n))
            w[masks[m]] = x[sizes[m]:sizes[m + 1]]
            out.append(w)
        return out

    def objective(x):
        ws = factors(x)
        left = [np.eye(n)]
        for w in ws:
            left.append(left[-1] @ w)
        residual = left[-1] - target
        right, grads = np.eye(n), [None] * levels
        for m in range(levels - 1, -1, -1):
            grads[m] = (left[m].T @ residual @ right.T)[masks[m]]
            right = ws[m] @ right
        return 0.5 * np.sum(residual * residual), np.concatenate(grads)

    r = so.minimize(objective, np.concatenate(starts), jac=True, method="L-BFGS-B",
                    options=dict(maxiter=iterations, maxfun=2 * iterations, ftol=1e-15, gtol=1e-12))
    print(n, mode, seed, np.sqrt(2 * r.fun) / np.sqrt(n), r.nit, r.message)


if __name__ == "__main__":
    main()
