"""Writes the orthonormal transform matrices fitted in results/factorization/transforms.md as .npy files.

    python3 Benchmarks/transforms/make_transforms.py OUTDIR 64 128 256 512 1024

hadamardN.npy (Sylvester's Walsh–Hadamard, H[i, j] = (−1)^popcount(i & j) / √N), dctN.npy (DCT-II,
orthonormal), dft_realN.npy and dft_imagN.npy (real and imaginary parts of the unitary DFT).
Generated, nothing downloaded; needs numpy only.
"""
import sys
from pathlib import Path

import numpy as np


def hadamard(n):
    i = np.arange(n)
    bits = np.bitwise_and.outer(i, i)
    parity = np.zeros_like(bits)
    while bits.any():
        parity ^= bits & 1
        bits >>= 1
    return (1 - 2 * parity) / np.sqrt(n)


def dct(n):
    k, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    d = np.cos(np.pi * (2 * j + 1) * k / (2 * n)) * np.sqrt(2 / n)
    d[0] /= np.sqrt(2)
    return d


def dft(n):
    k, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    return np.exp(-2j * np.pi * k * j / n) / np.sqrt(n)


def main():
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for n in map(int, sys.argv[2:]):
        f = dft(n)
        for name, m in [("hadamard", hadamard(n)), ("dct", dct(n)), ("dft_real", f.real), ("dft_imag", f.imag)]:
            np.save(out / f"{name}{n}.npy", np.ascontiguousarray(m, dtype=np.float64))


if __name__ == "__main__":
    main()
