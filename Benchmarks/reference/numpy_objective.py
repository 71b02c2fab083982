#!/usr/bin/env python3
"""Plain numpy reference for the sparse-factorization objective and its gradient.

This is the speed baseline of issue 3: the same objective as the Swift/C
implementation, computed the straightforward way with dense N x N matrices.

    f(W1..WM) = 1/2 * || A - W1 W2 ... WM ||_F^2

Every factor Wm has the Chord pattern: row i is non-zero at column i and at
columns (i + 2^k) mod N for k = 0 .. ceil(log2 N) - 1 (equal columns merged),
and M = ceil(log2 N).

The paper writes the gradient of factor m as

    grad_m = ( -L^T A R^T + L^T L Wm R R^T ) restricted to the pattern,
    L = W1 ... W(m-1),  R = W(m+1) ... WM.

Since L Wm R = P (the full product), that is  L^T (P - A) R^T  on the pattern.
The default `backprop` form computes exactly that with 3M dense products per
evaluation (prefix products forward, residual pulled back through the factors);
`--form literal` evaluates the paper's two-term expression as written (more
products, slower) — both are checked against finite differences by `--check`.

Timing notes: `seconds_per_evaluation` is the best of --repeat runs after --warmup runs. On a
machine whose cores are busy with other work, multi-threaded OpenBLAS can be far slower than one
thread for small N (threads wait on each other); `--threads 1` shows whether that is happening.
Where OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are set for old OpenBLAS builds, they slow a current
numpy: for a fair timing unset both in that one command (the JSON records them).

Usage:
    python3 numpy_objective.py --n 512 --repeat 3 --json     # timing, JSON last line
    python3 numpy_objective.py --check                       # finite differences at N = 8
    python3 numpy_objective.py --matrix A.npy --repeat 3 --json
"""

import argparse
import json
import os
import sys
import time


def _threads_from_argv(argv):
    """--threads must act before numpy (and its BLAS) is imported."""
    for i, arg in enumerate(argv):
        if arg == "--threads" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--threads="):
            return arg.split("=", 1)[1]
    return None


if __name__ == "__main__":
    _threads = _threads_from_argv(sys.argv[1:])
    if _threads is not None:
        for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[_var] = _threads

import numpy as np  # noqa: E402


# ---------------------------------------------------------------------------
# Chord topology


def chord_factor_count(n):
    """M = ceil(log2 N) (exact integer arithmetic, N >= 2)."""
    return (n - 1).bit_length()


def chord_columns(n):
    """Sorted column lists per row: i and (i + 2^k) mod N, k = 0..ceil(log2 N)-1, merged."""
    offsets = [1 << k for k in range(chord_factor_count(n))]
    return [sorted({i} | {(i + d) % n for d in offsets}) for i in range(n)]


def chord_mask(n, dtype=np.float64):
    """Dense 0/1 N x N mask of the Chord pattern."""
    mask = np.zeros((n, n), dtype=dtype)
    for i, cols in enumerate(chord_columns(n)):
        mask[i, cols] = 1
    return mask


def initial_factors(n, seed=0, noise=1e-2, dtype=np.float64):
    """The paper's initialization: the pattern with rows summing to 1, plus row-normalized
    uniform noise x `noise` on the pattern. Dense N x N arrays, zero off the pattern."""
    rng = np.random.default_rng(seed)
    mask = chord_mask(n, dtype)
    base = mask / mask.sum(axis=1, keepdims=True)
    factors = []
    for _ in range(chord_factor_count(n)):
        u = rng.random((n, n)) * mask
        u /= u.sum(axis=1, keepdims=True)
        factors.append((base + noise * u).astype(dtype))
    return factors, mask


# ---------------------------------------------------------------------------
# Objective and gradient (dense)


def product(factors):
    p = factors[0]
    for w in factors[1:]:
        p = p @ w
    return p


def objective_and_gradient(a, factors, mask, form="backprop"):
    """Returns (f, [grad_1 .. grad_M]) with every grad_m restricted to the pattern."""
    m_count = len(factors)
    if form == "backprop":
        # prefixes[m] = W1 ... W(m)   (prefixes[0] = identity, not materialized)
        prefixes = [None] * (m_count + 1)
        prefixes[1] = factors[0]
        for m in range(2, m_count + 1):
            prefixes[m] = prefixes[m - 1] @ factors[m - 1]
        residual = prefixes[m_count] - a                      # P - A
        f = 0.5 * float(np.vdot(residual, residual))
        grads = [None] * m_count
        pulled = residual                                     # (P - A) R_m^T, R_M = I
        for m in range(m_count, 0, -1):
            left = prefixes[m - 1]
            g = pulled if left is None else left.T @ pulled   # L^T (P - A) R^T
            grads[m - 1] = g * mask
            if m > 1:
                pulled = pulled @ factors[m - 1].T
        return f, grads
    if form == "literal":
        n = a.shape[0]
        eye = np.eye(n, dtype=a.dtype)
        p = product(factors)
        diff = a - p
        f = 0.5 * float(np.vdot(diff, diff))
        grads = []
        for m in range(m_count):
            left = product(factors[:m]) if m > 0 else eye
            right = product(factors[m + 1:]) if m + 1 < m_count else eye
            g = -left.T @ a @ right.T + left.T @ left @ factors[m] @ right @ right.T
            grads.append(g * mask)
        return f, grads
    raise ValueError(f"unknown form {form!r} (expected 'backprop' or 'literal')")


# ---------------------------------------------------------------------------
# Self-check against finite differences


def finite_difference_check(n=8, seed=1, step=1e-6):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n, n))
    factors, mask = initial_factors(n, seed=seed, noise=0.3)
    # move away from the symmetric starting point so every entry matters
    factors = [w + 0.2 * rng.standard_normal((n, n)) * mask for w in factors]
    worst = 0.0
    results = {}
    for form in ("backprop", "literal"):
        f, grads = objective_and_gradient(a, factors, mask, form)
        direct = 0.5 * float(np.sum((a - product(factors)) ** 2))
        if abs(f - direct) > 1e-12 * max(1.0, abs(direct)):
            raise AssertionError(f"{form}: objective {f} != direct {direct}")
        max_abs = 0.0
        max_rel = 0.0
        for m, w in enumerate(factors):
            rows, cols = np.nonzero(mask)
            for i, j in zip(rows, cols):
                saved = w[i, j]
                w[i, j] = saved + step
                fp = 0.5 * float(np.sum((a - product(factors)) ** 2))
                w[i, j] = saved - step
                fm = 0.5 * float(np.sum((a - product(factors)) ** 2))
                w[i, j] = saved
                numeric = (fp - fm) / (2 * step)
                err = abs(numeric - grads[m][i, j])
                max_abs = max(max_abs, err)
                max_rel = max(max_rel, err / max(1.0, abs(numeric)))
            off = grads[m] * (1 - mask)
            if np.any(off != 0):
                raise AssertionError(f"{form}: gradient of factor {m} is non-zero off the pattern")
        results[form] = {"max_abs_error": max_abs, "max_rel_error": max_rel}
        worst = max(worst, max_rel)
    fb, gb = objective_and_gradient(a, factors, mask, "backprop")
    fl, gl = objective_and_gradient(a, factors, mask, "literal")
    form_gap = max(float(np.max(np.abs(x - y))) for x, y in zip(gb, gl))
    ok = worst < 1e-6 and form_gap < 1e-10
    return ok, {"check": "finite_differences", "n": n, "factors": len(factors),
                "links": int(mask[0].sum()), "forms": results,
                "backprop_vs_literal_max_abs": form_gap, "ok": ok}


# ---------------------------------------------------------------------------
# Timing


def blas_info():
    try:
        from threadpoolctl import threadpool_info  # optional
        return [{k: d.get(k) for k in ("internal_api", "num_threads", "architecture")}
                for d in threadpool_info()]
    except Exception:
        pass
    try:  # numpy >= 1.25: build configuration as a dict
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return [{"name": blas.get("name"), "version": blas.get("version")}]
    except Exception:
        return None


def load_matrix(path, dtype):
    try:
        with open(path, "rb") as f:
            magic = f.read(6)
    except OSError as exc:
        raise SystemExit(f"error: cannot open {path}: {exc.strerror}")
    if magic != b"\x93NUMPY":
        raise SystemExit(f"error: {path} is not a .npy file (expected the magic bytes \\x93NUMPY)")
    try:
        a = np.load(path, allow_pickle=False)
    except Exception as exc:  # corrupt / not an npy file
        raise SystemExit(f"error: cannot read {path} as .npy: {exc}")
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] < 2:
        raise SystemExit(f"error: {path}: expected a square N x N matrix with N >= 2, got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise SystemExit(f"error: {path}: matrix has NaN or Inf entries")
    return np.ascontiguousarray(a, dtype=dtype)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=512, help="matrix size N (random A), default 512")
    parser.add_argument("--matrix", help="a square .npy matrix to use instead of a random one")
    parser.add_argument("--repeat", type=int, default=3, help="timed evaluations (default 3)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed evaluations first (default 1)")
    parser.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    parser.add_argument("--form", choices=("backprop", "literal"), default="backprop")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, help="BLAS threads (sets OPENBLAS/OMP/MKL_NUM_THREADS "
                        "before numpy loads; default: the environment's)")
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    parser.add_argument("--check", action="store_true", help="finite-difference self-check at N = 8 and exit")
    args = parser.parse_args(argv)

    if args.check:
        ok, report = finite_difference_check()
        print(json.dumps(report) if args.json else json.dumps(report, indent=2))
        return 0 if ok else 1

    dtype = np.float64 if args.dtype == "float64" else np.float32
    if args.matrix:
        a = load_matrix(args.matrix, dtype)
    else:
        if args.n < 2:
            raise SystemExit(f"error: --n must be >= 2, got {args.n}")
        a = np.random.default_rng(args.seed).standard_normal((args.n, args.n)).astype(dtype)
    n = a.shape[0]
    if args.repeat < 1:
        raise SystemExit(f"error: --repeat must be >= 1, got {args.repeat}")
    factors, mask = initial_factors(n, seed=args.seed, dtype=dtype)

    for _ in range(args.warmup):
        objective_and_gradient(a, factors, mask, args.form)
    times = []
    f = None
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        f, grads = objective_and_gradient(a, factors, mask, args.form)
        times.append(time.perf_counter() - t0)
    report = {
        "implementation": "numpy-dense",
        "form": args.form,
        "n": n,
        "factors": len(factors),
        "links": int(mask[0].sum()),
        "dtype": args.dtype,
        "repeat": args.repeat,
        "seconds_per_evaluation": min(times),
        "seconds_median": float(np.median(times)),
        "seconds_all": times,
        "objective": f,
        "numpy": np.__version__,
        "blas": blas_info(),
        "env": {k: os.environ.get(k) for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                                 "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")},
    }
    if not args.json:
        print(f"N={n} M={len(factors)} {args.dtype} {args.form}: "
              f"{min(times):.4f} s per objective+gradient (best of {args.repeat})", file=sys.stderr)
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
