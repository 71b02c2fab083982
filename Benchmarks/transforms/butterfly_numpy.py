"""Exploration in numpy (not the package's code): fitting the orthonormal Walsh–Hadamard matrix
H = W1⋯WM, M = log2 N, by scipy's L-BFGS-B with dense masked factors, to see what makes the
symmetric-Chord fit hard (results/factorization/transforms.md).

    python3 Benchmarks/transforms/butterfly_numpy.py N MODE SEED [ITERATIONS] [lbfgs|lm]

MODE
  butterfly   factor m may use only its own butterfly level (links i and i XOR 2^m), Dao et al.'s
              fixed butterfly sparsity; start N(0, 1/2) on those links
  chord-bfly  every factor has the whole symmetric Chord pattern (i, i ± 2^k); start as `butterfly`
              (the other links at 0)
  chord-gauss every factor has the whole symmetric Chord pattern; start N(0, 1/(2K)) on every link
  chord-paper every factor has the whole symmetric Chord pattern; the paper's start (1/K on every link,
              plus N(0, 0.01²))
The optimizer: scipy's L-BFGS-B (default), or lm: Levenberg–Marquardt on the residual H − W1⋯WM with
the dense N² × (values) Jacobian (so only small N: N = 64 has a 4096 × 4992 Jacobian, about 6 s per
iteration here). A zero-residual problem: Gauss–Newton steps converge fast near a solution, where
L-BFGS crawls along the flat directions of the factors' rescalings.
Prints N, MODE, SEED, the relative error ‖H − W1⋯WM‖_F / ‖H‖_F, the iterations and the stop.
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
    optimizer = sys.argv[5] if len(sys.argv) > 5 else "lbfgs"
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
        if mode == "chord-paper":
            start[mask > 0] = 1 / full[0].sum() + 0.01 * rng.standard_normal(int(mask.sum()))
        elif mode == "chord-gauss":
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

    def residual_and_jacobian(x):
        ws = factors(x)
        left = [np.eye(n)]
        for w in ws:
            left.append(left[-1] @ w)
        right = [np.eye(n)]
        for w in reversed(ws):
            right.insert(0, w @ right[0])   # right[m] = W_{m+1} ... W_M (0-based: factors m ... M-1)
        blocks = []
        for m in range(levels):
            r, c = masks[m]   # d(W1⋯WM)[a, b] / dW_m[r, c] = left[m][a, r] · right[m + 1][c, b]
            blocks.append(np.einsum("ap,pb->abp", left[m][:, r], right[m + 1][c, :]).reshape(n * n, -1))
        return (left[-1] - target).ravel(), np.concatenate(blocks, axis=1)

    if optimizer == "lm":
        x, damping = np.concatenate(starts), 1e-3
        res, jac = residual_and_jacobian(x)
        loss, it, stop = res @ res, 0, "max iterations"
        for it in range(1, iterations + 1):
            g, a = jac.T @ res, jac.T @ jac
            while damping < 1e12:   # raise the damping until the step lowers the loss
                step = np.linalg.solve(a + damping * np.diag(np.diag(a) + 1e-12), -g)
                trial_res, trial_jac = residual_and_jacobian(x + step)
                if trial_res @ trial_res < loss:
                    x, res, jac, loss = x + step, trial_res, trial_jac, trial_res @ trial_res
                    damping = max(damping / 3, 1e-12)
                    break
                damping *= 4
            if damping >= 1e12:
                stop = "no step lowers the loss"
                break
            if np.sqrt(loss / n) < 1e-12:
                stop = "error below 1e-12"
                break
        print(n, mode, seed, np.sqrt(loss) / np.sqrt(n), it, stop)
        return
    r = so.minimize(objective, np.concatenate(starts), jac=True, method="L-BFGS-B",
                    options=dict(maxiter=iterations, maxfun=2 * iterations, ftol=1e-15, gtol=1e-12))
    print(n, mode, seed, np.sqrt(2 * r.fun) / np.sqrt(n), r.nit, r.message)


if __name__ == "__main__":
    main()
