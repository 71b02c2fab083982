"""Exploration in numpy (not the package's code): Levenberg–Marquardt without the dense Jacobian on the
Walsh–Hadamard target with the symmetric Chord pattern (results/factorization/transforms.md, "Matrix-free
Levenberg–Marquardt"). Each step solves (JᵀJ + λ·diag(JᵀJ)) δ = −Jᵀr by Jacobi-preconditioned conjugate
gradients, with J·v and Jᵀ·u from products of the dense masked factors (J·v = Σ_m L_m V_m R_m) and diag(JᵀJ)
from the column norms of the left products and the row norms of the right ones; λ follows Nielsen's rule.

    python3 Benchmarks/transforms/lm_matrixfree.py N SEED ITERATIONS [paper|butterfly] [NOISE] [CG_ITERATIONS] [CG_TOLERANCE]

paper:     the paper's start (1/K on every link) plus NOISE·N(0, 1) (default 0.01)
butterfly: factor m starts on its own butterfly level (links i and i XOR 2^m, N(0, 1/2)), the other links at
           NOISE·N(0, 1) (default 0)
Prints every 100 iterations and at the end: the relative error ‖H − W1⋯WM‖_F / ‖H‖_F.
"""
import sys
import time

import numpy as np


def main():
    n, seed, iterations = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    start = sys.argv[4] if len(sys.argv) > 4 else "paper"
    noise = float(sys.argv[5]) if len(sys.argv) > 5 else (0.01 if start == "paper" else 0.0)
    cg_iterations = int(sys.argv[6]) if len(sys.argv) > 6 else 50
    cg_tolerance = float(sys.argv[7]) if len(sys.argv) > 7 else 1e-3
    levels = int(np.log2(n))
    i = np.arange(n)
    h = np.array([[(-1) ** bin(a & b).count("1") for b in i] for a in i]) / np.sqrt(n)
    offsets = sorted({0} | {(1 << k) % n for k in range(levels)} | {(-(1 << k)) % n for k in range(levels)})
    k = len(offsets)
    cols = (i[:, None] + np.array(offsets)[None, :]) % n
    rng = np.random.default_rng(seed)
    if start == "butterfly":
        x = np.zeros((levels, n, k))
        for m in range(levels):
            for link, o in enumerate(offsets):
                own = (o == 0) | ((i + o) % n == (i ^ (1 << m)))
                x[m, own, link] = rng.standard_normal(own.sum()) * np.sqrt(0.5)
        x = (x + noise * rng.standard_normal((levels, n, k))).ravel()
    else:
        x = (1.0 / k + noise * rng.standard_normal((levels, n, k))).ravel()

    def dense(v):
        v = v.reshape(levels, n, k)
        out = []
        for m in range(levels):
            w = np.zeros((n, n))
            np.add.at(w, (np.repeat(i, k), cols.ravel()), v[m].ravel())
            out.append(w)
        return out

    def products(v):
        ws = dense(v)
        left = [np.eye(n)]
        for w in ws:
            left.append(left[-1] @ w)
        right = [np.eye(n)]
        for w in reversed(ws):
            right.insert(0, w @ right[0])
        return left, right

    def jvp(left, right, v):
        vs = dense(v)
        return sum(left[m] @ vs[m] @ right[m + 1] for m in range(levels)).ravel()

    def vjp(left, right, u):
        u = u.reshape(n, n)
        return np.concatenate([(left[m].T @ u @ right[m + 1].T)[i[:, None], cols].ravel() for m in range(levels)])

    def diagonal(left, right):
        return np.concatenate([((left[m] ** 2).sum(0)[:, None] * (right[m + 1] ** 2).sum(1)[cols]).ravel() for m in range(levels)])

    def loss(v):
        r = (products(v)[0][-1] - h).ravel()
        return 0.5 * r @ r, r

    f, residual = loss(x)
    damping, growth = 1e-3, 2.0
    clock = time.time()
    for it in range(1, iterations + 1):
        left, right = products(x)
        g = vjp(left, right, residual)
        d = diagonal(left, right) + 1e-12
        while True:
            precondition = 1.0 / (d * (1 + damping))
            step, r = np.zeros_like(g), -g
            z = r * precondition
            p, rz, r0 = z.copy(), r @ z, np.sqrt(r @ r)
            for _ in range(cg_iterations):
                ap = vjp(left, right, jvp(left, right, p)) + damping * d * p
                pap = p @ ap
                if pap <= 0:
                    break
                a = rz / pap
                step += a * p
                r -= a * ap
                if np.sqrt(r @ r) < cg_tolerance * r0:
                    break
                z = r * precondition
                rz_next = r @ z
                p = z + (rz_next / rz) * p
                rz = rz_next
            jd = jvp(left, right, step)
            predicted = -(g @ step + 0.5 * jd @ jd)
            f_new, residual_new = loss(x + step)
            rho = (f - f_new) / predicted if predicted > 0 else -1
            if rho > 1e-4:
                x, f, residual = x + step, f_new, residual_new
                damping *= max(1 / 3, 1 - (2 * rho - 1) ** 3)
                growth = 2.0
                break
            damping *= growth
            growth *= 2
            if damping > 1e12:
                break
        error = np.sqrt(2 * f) / np.linalg.norm(h)
        if it % 100 == 0 or it == iterations or error < 1e-12 or damping > 1e12:
            print(f"{it} relative error {error:.3e} damping {damping:.1e} {time.time() - clock:.1f} s", flush=True)
        if error < 1e-12 or damping > 1e12:
            break
    print(n, start, seed, "relative error", np.sqrt(2 * f) / np.linalg.norm(h), "iterations", it)


if __name__ == "__main__":
    main()
