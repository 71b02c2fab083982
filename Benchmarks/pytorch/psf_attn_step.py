#!/usr/bin/env python3
"""Time one PSF-Attn training step in plain PyTorch on the CPU, for a side-by-side comparison
with `sparsefactor train` (the Swift/C engine).

The model is the paper's synthetic-task PSF-Attn (Khalitov et al., Neural Networks 2022), written
the fastest plain-PyTorch way: every Chord factor W_m (N x N, K links per row) is applied to
V (B x N x C) by gathering the K linked rows and taking their weighted sum, no sparse library.

  E  = Linear(2 -> D)(x)            (adding task: per position (x, mark))
  V0 = g(E)                         g = Linear(D, H) - GELU - Linear(H, C)
  for m in 1..M:  W_m = f_m(E)      f_m = Linear(D, H) - GELU - Linear(H, K)
                  V = W_m V + V0    (gather + weighted sum over the K links)
  y  = Linear(N*C -> 1)(flatten V)  MSE loss, Adam lr 1e-3

Paper config: D = 32, H = 32, C = 8, M = ceil(log2 N), K = M + 1, batch 40.
Prints a human-readable line per variant and, as the LAST line, one JSON object with ms_per_step.

  python3 Benchmarks/pytorch/psf_attn_step.py --length 1024 --batch 40 --threads 2
"""
import argparse
import json
import math

import torch
from torch import nn

from step_timing import adding_batch, time_steps


def chord_columns(n):
    """[N, K] column indices: self, then (i + 2^k) mod N for k = 0..ceil(log2 N)-1, duplicates dropped."""
    offsets = [0]
    for k in range(math.ceil(math.log2(n))):
        o = (2 ** k) % n
        if o not in offsets:
            offsets.append(o)
    i = torch.arange(n).unsqueeze(1)
    return (i + torch.tensor(offsets).unsqueeze(0)) % n


def mlp(inputs, hidden, outputs):
    return nn.Sequential(nn.Linear(inputs, hidden), nn.GELU(), nn.Linear(hidden, outputs))


class PSFAttn(nn.Module):
    def __init__(self, length, embedding=32, hidden=32, channels=8, mixing="gather_sum"):
        super().__init__()
        self.register_buffer("cols", chord_columns(length))
        self.links = self.cols.shape[1]
        self.factors = math.ceil(math.log2(length))
        self.mixing = mixing
        self.project = nn.Linear(2, embedding)
        self.g = mlp(embedding, hidden, channels)
        self.fs = nn.ModuleList([mlp(embedding, hidden, self.links) for _ in range(self.factors)])
        self.head = nn.Linear(length * channels, 1)
        # Scatter form (the paper's torch_sparse spmm): row index of each flattened link.
        self.register_buffer("rows_flat", torch.arange(length).repeat_interleave(self.links))
        self.register_buffer("cols_flat", self.cols.reshape(-1))

    def mix(self, w, v):
        # w: [B, N, K], v: [B, N, C] -> [B, N, C], out[b, i] = sum_k w[b, i, k] v[b, cols[i, k]]
        if self.mixing == "gather_sum":
            return (w.unsqueeze(-1) * v[:, self.cols]).sum(dim=2)
        if self.mixing == "einsum":
            return torch.einsum("bnk,bnkc->bnc", w, v[:, self.cols])
        if self.mixing == "index_add":
            b, n, c = v.shape
            gathered = v.index_select(1, self.cols_flat) * w.reshape(b, -1, 1)
            return torch.zeros_like(v).index_add_(1, self.rows_flat, gathered)
        raise ValueError(self.mixing)

    def forward(self, x):
        e = self.project(x)
        v0 = self.g(e)
        v = v0
        for f in self.fs:
            v = self.mix(f(e), v) + v0
        return self.head(v.reshape(v.shape[0], -1))


def time_variant(args, mixing):
    torch.manual_seed(args.seed)
    model = PSFAttn(args.length, args.embedding, args.hidden, args.channels, mixing)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.MSELoss()
    generator = torch.Generator().manual_seed(args.seed)
    x, y = adding_batch(args.batch, args.length, generator)

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    median, fastest, cpu_ms = time_steps(step, args.warmup, args.steps)
    params = sum(p.numel() for p in model.parameters())
    return median, fastest, cpu_ms, params


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--length", type=int, default=1024)
    parser.add_argument("--batch", type=int, default=40)
    parser.add_argument("--embedding", type=int, default=32)
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--channels", type=int, default=8)
    parser.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: PyTorch's default)")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--mixing", choices=["all", "gather_sum", "einsum", "index_add"], default="all",
                        help="how W_m V is computed; 'all' times each and reports the fastest")
    args = parser.parse_args()
    if args.length < 2:
        parser.error(f"--length must be at least 2, got {args.length}")
    if args.threads > 0:
        torch.set_num_threads(args.threads)

    variants = ["gather_sum", "einsum", "index_add"] if args.mixing == "all" else [args.mixing]
    results = {}
    cpu = {}
    for mixing in variants:
        median, best, cpu_ms, params = time_variant(args, mixing)
        results[mixing] = median
        cpu[mixing] = cpu_ms
        print(f"pytorch {torch.__version__} {mixing}: N={args.length} B={args.batch} threads={torch.get_num_threads()} "
              f"params={params}: median {median:.1f} ms/step (min {best:.1f}), process CPU {cpu_ms:.1f} ms/step", flush=True)
    fastest = min(results, key=results.get)
    # cpu_ms_per_step (process CPU time, all threads) is the steadier number on a shared machine.
    print(json.dumps({"framework": "pytorch", "torch_version": torch.__version__, "length": args.length,
                      "batch": args.batch, "threads": torch.get_num_threads(), "params": params,
                      "mixing": fastest, "ms_per_step": results[fastest], "cpu_ms_per_step": cpu[fastest],
                      "ms_per_step_by_mixing": results, "cpu_ms_per_step_by_mixing": cpu}, sort_keys=True))


if __name__ == "__main__":
    main()
