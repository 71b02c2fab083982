#!/usr/bin/env python3
"""One training step, sparsefactor against PyTorch on the CPU, side by side.

Alternates `sparsefactor bench step --json` and the PyTorch script of the same model for
--rounds rounds, so both see the same machine load, and writes a Markdown report: every round's
medians, the median over rounds for each side and their ratio. Both time the same thing: one
fixed generated Adding batch, a step = zero gradients, forward, MSE, backward, Adam; the median of
the timed steps after warm-up steps.

- `--model psf` (default): the paper's PSF-Attn against `psf_attn_step.py` (every mixing variant;
  the fastest counts); report results/psf/step_vs_pytorch.md.
- `--model transformer`: the Transformer baseline against `transformer_step.py`
  (`nn.TransformerEncoderLayer`, same shapes); report results/attention/transformer_vs_pytorch_N.md.

    python3 Benchmarks/pytorch/compare_step.py --python /path/to/venv-with-torch/bin/python
    python3 Benchmarks/pytorch/compare_step.py --python V/bin/python --model transformer --length 4096 --rounds 3

Standard library only; torch is needed by the interpreter given with --python.
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def last_json(text):
    for line in reversed(text.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError("no JSON line in:\n" + text)


def run(cmd):
    print("  $ " + " ".join(cmd), file=sys.stderr, flush=True)
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({done.returncode}):\n{done.stderr}")
    return last_json(done.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--python", required=True, help="a python with torch installed")
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "sparsefactor"))
    parser.add_argument("--length", type=int, default=1024)
    parser.add_argument("--batch", type=int, default=40)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--model", choices=["psf", "transformer"], default="psf")
    parser.add_argument("--out", help="the report (default: see above)")
    args = parser.parse_args()
    psf = args.model == "psf"
    out = args.out or (os.path.join(ROOT, "results", "psf", "step_vs_pytorch.md") if psf
                       else os.path.join(ROOT, "results", "attention", f"transformer_vs_pytorch_{args.length}.md"))
    steps = "20" if psf else "5"

    ours_cmd = [args.binary, "bench", "step", "--model", args.model, "--task", "adding", "--length", str(args.length),
                "--batch", str(args.batch), "--threads", str(args.threads), "--steps", steps, "--json"]
    script = "psf_attn_step.py" if psf else "transformer_step.py"
    torch_cmd = [args.python, os.path.join(ROOT, "Benchmarks", "pytorch", script), "--length", str(args.length),
                 "--batch", str(args.batch), "--threads", str(args.threads)] + ([] if psf else ["--steps", steps])
    load_start = os.getloadavg()
    rows = []
    for r in range(args.rounds):
        print(f"round {r + 1}/{args.rounds}", file=sys.stderr, flush=True)
        ours = run(ours_cmd)
        theirs = run(torch_cmd)
        rows.append((ours, theirs))
    load_end = os.getloadavg()

    ours_ms = [o["ms_per_step"] for o, _ in rows]
    torch_ms = [t["ms_per_step"] for _, t in rows]
    ours_median, torch_median = statistics.median(ours_ms), statistics.median(torch_ms)
    o0, t0 = rows[0]
    if o0["params"] != t0["params"]:
        raise RuntimeError(f"the models differ: {o0['params']} vs {t0['params']} parameters")

    model = ("the paper's Adding-task PSF-Attn" if psf else
             "the Transformer baseline (input projection 2 → 32, one pre-LayerNorm encoder layer of 4 heads of 8, "
             "feed-forward 64, GELU, no dropout, flatten head; PyTorch: `nn.TransformerEncoderLayer(norm_first=True)`)")
    lines = [
        f"# One {'PSF-Attn' if psf else 'Transformer'} training step: sparsefactor vs PyTorch (CPU)",
        "",
        f"Made by `Benchmarks/pytorch/compare_step.py --model {args.model}` on {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC: "
        f"{args.rounds} rounds, each `sparsefactor bench step` then `{script}`"
        + (" (all three mixing variants, the fastest counts)" if psf else "") + ", so both see the same load.",
        "",
        f"- Model: {model}, N = {args.length}, batch {args.batch}, {o0['params']} parameters "
        "on both sides; a step = zero gradients, forward, MSE loss, backward, Adam, on one fixed batch; "
        f"median of {steps} (ours) / {10 if psf else steps} (PyTorch) timed steps after warm-up.",
        f"- Machine: {platform.machine()}, {os.cpu_count()} cores, Linux {platform.release()}; "
        f"{args.threads} threads on both sides; sparsefactor kernels: {o0['cpu']}; PyTorch {t0['torch_version']}.",
        f"- Load average {load_start[0]:.1f} / {load_start[1]:.1f} at the start, {load_end[0]:.1f} / {load_end[1]:.1f} at the end.",
        "",
        "| round | sparsefactor ms/step (min) | PyTorch ms/step, fastest variant | variant | ratio |",
        "|---:|---:|---:|---|---:|",
    ]
    for i, (o, t) in enumerate(rows, 1):
        lines.append(f"| {i} | {o['ms_per_step']:.1f} ({o['ms_min']:.1f}) | {t['ms_per_step']:.1f} | {t.get('mixing', 'nn.TransformerEncoderLayer')} | "
                     f"{t['ms_per_step'] / o['ms_per_step']:.1f}× |")
    lines += [
        "",
        f"**Median over rounds: sparsefactor {ours_median:.1f} ms, PyTorch {torch_median:.1f} ms: "
        f"{torch_median / ours_median:.1f}× faster** (per-round ratios {min(t / o for o, t in zip(ours_ms, torch_ms)):.1f}–"
        f"{max(t / o for o, t in zip(ours_ms, torch_ms)):.1f}×). "
        + ("The issue asks for at least 10×." if psf else
           f"sparsefactor/PyTorch = {ours_median / torch_median:.2f} (the issue asks for at most 1.5)."),
        "",
    ]
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
