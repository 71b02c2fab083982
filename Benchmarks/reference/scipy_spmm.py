#!/usr/bin/env python3
"""scipy.sparse CSR @ dense on the same Chord pattern as `sparsefactor bench spmm`.

Prints one JSON object as its last line: n, links, channels, batch, ms (median of one
product), gflops. The pattern: row i links to i and (i + 2^k) mod N, k = 0..ceil(log2 N)-1,
duplicates merged, exactly as ChordTopology(size: N).
"""
import argparse
import json
import time

import numpy as np
import scipy.sparse as sp


def chord_offsets(n):
    offsets, p = [0], 1
    while p < n:
        offsets.append(p % n)
        p *= 2
    seen, out = set(), []
    for o in offsets:
        if o not in seen:
            seen.add(o)
            out.append(o)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=16384)
    ap.add_argument("--channels", type=int, default=64)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    ap.add_argument("--repeats", type=int, default=0)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    n, c, b = a.n, a.channels, a.batch
    offs = chord_offsets(n)
    k = len(offs)
    rows = np.repeat(np.arange(n), k)
    cols = (np.arange(n)[:, None] + np.array(offs)[None, :]) % n
    rng = np.random.default_rng(1)
    vals = rng.random(n * k).astype(a.dtype)
    w = sp.csr_matrix((vals, (rows, cols.ravel())), shape=(n, n), dtype=a.dtype)
    x = rng.uniform(-1, 1, size=(b, n, c)).astype(a.dtype)

    def once():
        t0 = time.perf_counter()
        for i in range(b):
            w @ x[i]
        return (time.perf_counter() - t0) * 1e3

    for _ in range(3):
        once()
    probe = once()
    reps = a.repeats or max(5, min(1000, int(500 / max(probe, 1e-3))))
    times = sorted(once() for _ in range(reps))
    ms = times[len(times) // 2]
    gflops = 2.0 * b * n * k * c / (ms * 1e6)
    result = {"n": n, "links": k, "channels": c, "batch": b, "ms": ms, "ms_min": times[0],
              "repeats": reps, "gflops": gflops, "dtype": a.dtype, "library": f"scipy {sp.__name__} {__import__('scipy').__version__}"}
    if not a.json:
        print(f"scipy CSR @ dense N={n} K={k} C={c} B={b}: median {ms:.3f} ms, {gflops:.2f} GFLOP/s")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
