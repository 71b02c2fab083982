#!/usr/bin/env python3
"""Factorize one square matrix with pyfaust, for the side-by-side table of issue 3.

Two methods (both by default):
  butterfly  pyfaust.fact.butterfly(A, type='bbtree'): log2(P) butterfly factors with 2 non-zeros
             per row (P = N rounded up to a power of two; A is zero-padded to P x P when N is not
             one, and the error is measured on the N x N block).
  palm4msa   pyfaust.fact.palm4msa with M = ceil(log2 N) factors, each constrained to the Chord
             support (row i: columns i and (i + 2^k) mod N), started from the paper's
             initialization (pattern with rows summing to 1 plus 1e-2 row-normalized noise) —
             the same model and budget as sparsefactor's non-parametric factorization.

Prints relative/absolute Frobenius error, non-zeros and seconds; with --json the last line is
one JSON object (keys prefixed by the method name).

pyfaust is not a project dependency: make a venv with Benchmarks/reference/setup-pyfaust.sh
and run this script with that venv's python.

    /tmp/sparsefactor-pyfaust/bin/python Benchmarks/reference/pyfaust_compare.py A.npy --json
"""

import argparse
import json
import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from numpy_objective import chord_factor_count, initial_factors, load_matrix  # noqa: E402


def import_pyfaust():
    # pyfaust warns at import that PyTorch/einops are absent (it falls back to numpy): not our concern
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            import pyfaust
            import pyfaust.fact  # noqa: F401
            import pyfaust.factparams  # noqa: F401
            import pyfaust.proj  # noqa: F401
        except ImportError as exc:
            raise SystemExit(
                f"error: pyfaust is not importable with {sys.executable} ({exc}).\n"
                "Create its venv with Benchmarks/reference/setup-pyfaust.sh and run this script "
                "with /tmp/sparsefactor-pyfaust/bin/python.")
    return pyfaust


def errors(a, approx):
    absolute = float(np.linalg.norm(a - approx))
    return absolute, absolute / float(np.linalg.norm(a))


def run_butterfly(pyfaust, a):
    n = a.shape[0]
    padded = 1 << (n - 1).bit_length()
    work = a
    if padded != n:
        work = np.zeros((padded, padded), dtype=a.dtype)
        work[:n, :n] = a
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        faust = pyfaust.fact.butterfly(work, type="bbtree")
        seconds = time.perf_counter() - t0
    approx = faust.toarray()[:n, :n]
    absolute, relative = errors(a, approx)
    return {"butterfly_padded_to": padded, "butterfly_factors": int(faust.numfactors()),
            "butterfly_nonzeros": int(faust.nnz_sum()), "butterfly_error": absolute,
            "butterfly_relative_error": relative, "butterfly_seconds": seconds}


def run_palm4msa(pyfaust, a, iterations, seed, backend):
    from pyfaust.factparams import ParamsPalm4MSA, StoppingCriterion
    from pyfaust.proj import supp

    n = a.shape[0]
    factors, mask = initial_factors(n, seed=seed, dtype=np.float64)
    init_absolute, init_relative = errors(a, np.linalg.multi_dot(factors) if len(factors) > 1 else factors[0])
    # normalized=False: keep the factors' scale (pyfaust's lambda then stays near 1);
    # pyfaust wants column-major (Fortran) arrays for the initial factors.
    constraints = [supp(mask, normalized=False) for _ in factors]
    params = ParamsPalm4MSA(constraints, StoppingCriterion(num_its=iterations),
                            init_facts=[np.asfortranarray(f) for f in factors])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        faust, lam = pyfaust.fact.palm4msa(np.asfortranarray(a), params, ret_lambda=True, backend=backend)
        seconds = time.perf_counter() - t0
    absolute, relative = errors(a, faust.toarray())
    return {"palm4msa_support": "chord", "palm4msa_backend": backend, "palm4msa_iterations": iterations,
            "palm4msa_factors": int(faust.numfactors()), "palm4msa_nonzeros": int(faust.nnz_sum()),
            "palm4msa_pattern_links": int(mask.sum()) * len(factors),
            "palm4msa_initial_relative_error": init_relative, "palm4msa_lambda": float(lam),
            "palm4msa_error": absolute, "palm4msa_relative_error": relative,
            "palm4msa_seconds": seconds, "palm4msa_seconds_per_iteration": seconds / iterations}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("matrix", help="a square .npy matrix (float32/float64)")
    parser.add_argument("--method", choices=("butterfly", "palm4msa", "both"), default="both")
    parser.add_argument("--iterations", type=int, default=30, help="palm4msa iterations (default 30)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the palm4msa initial noise")
    parser.add_argument("--backend", type=int, choices=(2016, 2020), default=2016,
                        help="pyfaust palm4msa implementation (default 2016, pyfaust's default)")
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    args = parser.parse_args(argv)
    if args.iterations < 1:
        raise SystemExit(f"error: --iterations must be >= 1, got {args.iterations}")

    a = load_matrix(args.matrix, np.float64)
    if not np.any(a):
        raise SystemExit(f"error: {args.matrix}: matrix is all zeros (relative error undefined)")
    pyfaust = import_pyfaust()
    n = a.shape[0]
    report = {"matrix": args.matrix, "n": n, "pyfaust": pyfaust.version(),
              "chord_factors": chord_factor_count(n)}
    status = 0
    if args.method in ("butterfly", "both"):
        try:
            report.update(run_butterfly(pyfaust, a))
        except Exception as exc:  # report and go on with the other method
            report["butterfly_failure"] = f"{type(exc).__name__}: {exc}"
            status = 1
    if args.method in ("palm4msa", "both"):
        try:
            report.update(run_palm4msa(pyfaust, a, args.iterations, args.seed, args.backend))
        except Exception as exc:
            report["palm4msa_failure"] = f"{type(exc).__name__}: {exc}"
            status = 1
    if not args.json:
        for key in ("butterfly", "palm4msa"):
            if f"{key}_relative_error" in report:
                print(f"{key}: relative error {report[key + '_relative_error']:.4f}, "
                      f"{report[key + '_nonzeros']} non-zeros, {report[key + '_seconds']:.2f} s",
                      file=sys.stderr)
            elif f"{key}_failure" in report:
                print(f"{key}: failed: {report[key + '_failure']}", file=sys.stderr)
    print(json.dumps(report))
    return status


if __name__ == "__main__":
    sys.exit(main())
