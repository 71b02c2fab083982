#!/usr/bin/env python3
"""Time one training step of the Transformer baseline in PyTorch on the CPU, beside
`sparsefactor bench step --model transformer` (the Swift/C engine), with the same shapes:

  E = Linear(2 -> D)(x)                                   (adding task: per position (x, mark))
  E = nn.TransformerEncoderLayer(D, heads, feed-forward, dropout 0, GELU, pre-LayerNorm)(E)
  y = Linear(N*D -> 1)(flatten E)                         MSE loss, Adam lr 1e-3

Defaults: D = 32, 4 heads of 8, feed-forward 64, batch 40 (the synthetic-task baseline).
PyTorch picks its own attention kernel (scaled_dot_product_attention; on the CPU a fused
flash-style kernel where it applies). Prints a human-readable line and, as the LAST line, one
JSON object with ms_per_step.

  python3 Benchmarks/pytorch/transformer_step.py --length 1024 --batch 40 --threads 2
"""
import argparse
import json
import resource

import torch
from torch import nn

from step_timing import adding_batch, time_steps


class TransformerBaseline(nn.Module):
    def __init__(self, length, embedding=32, heads=4, feed_forward=64, layers=1):
        super().__init__()
        self.project = nn.Linear(2, embedding)
        self.layers = nn.ModuleList([
            nn.TransformerEncoderLayer(embedding, heads, dim_feedforward=feed_forward, dropout=0.0, activation="gelu",
                                       batch_first=True, norm_first=True)
            for _ in range(layers)])
        self.head = nn.Linear(length * embedding, 1)

    def forward(self, x):
        e = self.project(x)
        for layer in self.layers:
            e = layer(e)
        return self.head(e.reshape(e.shape[0], -1))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--length", type=int, default=1024)
    parser.add_argument("--batch", type=int, default=40)
    parser.add_argument("--embedding", type=int, default=32)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--feed-forward", type=int, default=64)
    parser.add_argument("--layers", type=int, default=1)
    parser.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: PyTorch's default)")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.length < 2 or args.batch < 1 or args.steps < 1:
        parser.error("--length must be at least 2, --batch and --steps at least 1")
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    model = TransformerBaseline(args.length, args.embedding, args.heads, args.feed_forward, args.layers)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.MSELoss()
    x, y = adding_batch(args.batch, args.length, torch.Generator().manual_seed(args.seed))

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()

    median, fastest, cpu_ms = time_steps(step, args.warmup, args.steps)
    params = sum(p.numel() for p in model.parameters())
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"pytorch {torch.__version__} transformer: N={args.length} B={args.batch} threads={torch.get_num_threads()} "
          f"params={params}: median {median:.1f} ms/step (min {fastest:.1f}), process CPU {cpu_ms:.1f} ms/step, "
          f"peak memory {peak_mb:.0f} MB", flush=True)
    print(json.dumps({"framework": "pytorch", "model": "transformer", "torch_version": torch.__version__,
                      "length": args.length, "batch": args.batch, "threads": torch.get_num_threads(), "params": params,
                      "ms_per_step": median, "ms_min": fastest, "cpu_ms_per_step": cpu_ms, "peak_memory_mb": peak_mb},
                     sort_keys=True))


if __name__ == "__main__":
    main()
