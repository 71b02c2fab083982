#!/usr/bin/env python3
"""The communication of SparseFactor's data-parallel training and distributed fitting, counted from
the code's rules, and a model of the time per step on R machines for a stated network. Prints the
Markdown tables of docs/distributed.md.

    python3 Benchmarks/distributed/model.py [--bandwidth-gbit 10] [--latency-us 5]

Rules (Sources/SparseFactorCore/ProcessGroup.swift, SequenceTrainer, FactorizationObjective):
  - training: a batch is cut into C pieces; the pieces' gradients are added in a fixed binary tree;
    rank r adds up the largest whole subtrees inside its share (its "cover"); every rank then takes one
    slice (1/R) of the vector: MPI_Alltoallv sends it that slice of every rank's subtrees, it adds them up
    the tree, and MPI_Allgatherv gathers the slices (a reduce-scatter and an all-gather in a fixed order);
    then 2 doubles per piece and 1 per rank of statistics;
  - dense fit: the objective's chunks (at most 8) are split; every chunk's gradient (M*N*K doubles)
    and loss is gathered on every rank, then added in chunk order.
Inputs: parameter counts and step times measured by `sparsefactor bench step` / `train` (results/attention/
scaling.jsonl, results/lra/runs.jsonl), quoted in the table rows below.
"""
import argparse
import math


def split(lo, hi):
    mid = lo + (hi - lo) // 2
    return (lo, mid), (mid, hi)


def cover(share, node):
    a, b = share
    lo, hi = node
    if a >= b or b <= lo or hi <= a:
        return []
    if a <= lo and hi <= b:
        return [node]
    left, right = split(lo, hi)
    return cover(share, left) + cover(share, right)


def vectors_sent(pieces, ranks):
    """Vectors (whole subtrees) all ranks send together: what each rank receives."""
    return sum(len(cover((r * pieces // ranks, (r + 1) * pieces // ranks), (0, pieces))) for r in range(ranks))


# (model, where the figures come from, parameters, ms per step of batch 40 on one 2-core machine)
TRAINING = [
    ("psf", "Adding N=1024, paper config", 23799, 26.7),
    ("psf", "Adding N=4096", 52005, 77.9),
    ("transformer", "Adding N=1024", 41409, 157.2),
    ("transformer", "Adding N=4096", 139713, 1811.0),
    ("linformer", "Adding N=4096", 2236865, 427.6),
    ("performer", "Adding N=4096", 139713, 399.3),
    ("chordmixer", "Adding N=4096", 75265, 1361.0),
    ("paramixer", "Adding N=4096", 171033, 458.4),
    ("psf", "ListOps N=2000 (LRA config)", 2822414, 1679.5),
    ("psf", "Text N=4096 (LRA config)", 480606, 17306.0),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bandwidth-gbit", type=float, default=10.0, help="link bandwidth per machine, Gbit/s")
    parser.add_argument("--latency-us", type=float, default=5.0, help="latency of one message, microseconds")
    parser.add_argument("--pieces-per-rank", type=int, default=4)
    args = parser.parse_args()
    beta = args.bandwidth_gbit * 1e9 / 8          # bytes per second
    alpha = args.latency_us * 1e-6
    ranks = [8, 16, 32, 64]

    print(f"Network: {args.bandwidth_gbit:g} Gbit/s per machine, {args.latency_us:g} µs a message. Per step a machine "
          "receives the other machines' subtree sums of its slice, (V − own)·S/R bytes (MPI_Alltoallv, R − 1 messages), "
          "and the other slices, (R − 1)·S/R (MPI_Allgatherv, ⌈log2 R⌉ messages), then the statistics (⌈log2 R⌉ messages).")
    print()
    print(f"### Training: weak scaling, batch 40 per machine, {args.pieces_per_rank} pieces per machine (C = {args.pieces_per_rank}·R)")
    print()
    print("| model | task | parameters | bytes per vector | received per step at R = " + ", ".join(map(str, ranks))
          + " | step on one machine | modelled step at R = " + ", ".join(map(str, ranks)) + " | efficiency at R = 64 |")
    print("|---|---|---:|---:|---|---:|---|---:|")
    for model, task, params, ms in TRAINING:
        size = 4 * params
        received, modelled = [], []
        for r in ranks:
            v = vectors_sent(args.pieces_per_rank * r, r)
            own = v / r
            nbytes = (v - own) * size / r + (r - 1) * size / r
            t = ((r - 1) + 2 * math.ceil(math.log2(r))) * alpha + nbytes / beta
            received.append(nbytes)
            modelled.append(ms + 1e3 * t)
        eff = ms / modelled[-1]
        print(f"| {model} | {task} | {params:,} | {size / 1e6:.2f} MB | " + ", ".join(f"{b / 1e6:.0f} MB" if b >= 1e7 else f"{b / 1e6:.1f} MB" for b in received)
              + f" | {ms:.0f} ms | " + ", ".join(f"{t:.0f} ms" for t in modelled) + f" | {100 * eff:.0f}% |")
    print()
    print("Subtree sums per step with the default 12 pieces of one batch (the covers, all ranks together): "
          + ", ".join(f"R = {r}: {vectors_sent(12, r)}" for r in (1, 2, 3, 4, 6, 8, 12)) + " (every piece: 12).")
    print()
    print("### Dense fit: bytes per evaluation")
    print()
    print("| N | M | K | values M·N·K | chunks | gathered per evaluation (all chunks' gradients, float64) | at 10 Gbit/s |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for n in (512, 2048, 8192):
        m = math.ceil(math.log2(n))
        k = m + 1
        values = m * n * k
        chunks = min(8, math.ceil(n / 32))
        nbytes = chunks * values * 8
        print(f"| {n} | {m} | {k} | {values:,} | {chunks} | {nbytes / 1e6:.1f} MB | {1e3 * nbytes / beta:.1f} ms |")


if __name__ == "__main__":
    main()
