#!/usr/bin/env python3
"""The scaling table of the attention baselines: ms per training step and peak memory of every
model (Adding, batch 40) at N = 2^7 ... 2^16, measured by `sparsefactor bench step --json`, one
process per (model, N) so the peak memory is that run's alone.

A model whose step is refused by the memory estimate is marked "does not fit"; one whose single
step takes longer than --cap-seconds is marked "over CAP s/step" and not tried at larger N.

  python3 Benchmarks/attention/scaling.py --binary .build/release/sparsefactor
  python3 Benchmarks/attention/scaling.py --render-only      # redraw from results/attention/scaling.jsonl

Writes results/attention/scaling.jsonl (one line per model and N, appended), scaling.md and
scaling.svg (log-log time and memory against N).
"""
import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from charts import atomic_write, line_chart  # noqa: E402
import runs  # noqa: E402

MODELS = ["psf", "paramixer", "transformer", "linformer", "performer", "chordmixer"]


def measure(binary, model, n, args):
    cmd = [binary, "bench", "step", "--model", model, "--task", args.task, "--length", str(n), "--batch", str(args.batch),
           "--steps", str(args.steps), "--warmup", str(args.warmup), "--json"]
    if args.threads:
        cmd += ["--threads", str(args.threads)]
    timeout = args.cap_seconds * (args.steps + args.warmup) + 60
    start = time.time()
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=args.env)
    except subprocess.TimeoutExpired:
        return {"status": "over_cap", "seconds": time.time() - start}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    result = json.loads(lines[-1]) if lines else {}
    if done.returncode == 65 and result.get("kind") == "too-large":
        return {"status": "does_not_fit", "message": result.get("error", "")}
    if done.returncode != 0:
        return {"status": "failed", "code": done.returncode, "message": (result.get("error") or done.stderr)[-300:]}
    status = "over_cap" if result["ms_per_step"] > args.cap_seconds * 1e3 else "ok"
    return {"status": status, "ms_per_step": result["ms_per_step"], "cpu_ms_per_step": result.get("cpu_ms_per_step"),
            "peak_memory_mb": result.get("peak_memory_mb"), "estimated_step_mb": result.get("estimated_step_mb"),
            "params": result.get("params"), "threads": result.get("threads"),
            "blas_core": result.get("blas_core"), "blas_core_suggested": result.get("blas_core_suggested")}


def load(path):
    rows = {}
    if os.path.exists(path):
        for line in open(path):
            if line.strip():
                row = json.loads(line)
                rows[(row["model"], row["length"])] = row   # the latest measurement of each cell
    return rows


def cell(row, cap):
    if row is None:
        return "–"
    if row["status"] == "does_not_fit":
        return "does not fit"
    if row["status"] == "over_cap":
        return f"over {row.get('cap_seconds', cap):g} s/step"   # the cap the row was measured with
    if row["status"] != "ok":
        return "failed"
    return f"{row['ms_per_step']:.0f} ms, {row['peak_memory_mb']:.0f} MB" + (runs.GENERIC_BLAS_MARK if runs.generic_blas(row) else "")


def render(rows, out_dir, cap):
    lengths = sorted({n for _, n in rows})
    models = [m for m in MODELS if any(k[0] == m for k in rows)]
    lines = ["# Training-step time and peak memory against N (Adding, batch 40)", "",
             "Each cell: median ms per training step (forward, backward, Adam) and the process's peak resident memory, from",
             "`sparsefactor bench step --model M --length N --json`, one process per cell, on the 2-core development machine",
             "(AVX-512, Debian 12, Swift 6.3.1). \"does not fit\": refused by the memory estimate before allocating;",
             f"\"over {cap:g} s/step\": one step took longer and larger N were not tried. Chart: [scaling.svg](scaling.svg).",
             "Measured on " + ", ".join(sorted({r["date"] for r in rows.values() if r.get("date")})) + " (a sweep's cells share a date;",
             "the host's speed drifts between days, so compare models within one sweep).",
             "", runs.GENERIC_BLAS_NOTE, "",
             "| model | params at 2^10 | " + " | ".join(f"N = {n}" for n in lengths) + " |",
             "|---|---:|" + "---:|" * len(lengths)]
    for m in models:
        params = rows.get((m, 1024), {}).get("params", "–")
        lines.append(f"| {m} | {params} | " + " | ".join(cell(rows.get((m, n)), cap) for n in lengths) + " |")
    atomic_write(os.path.join(out_dir, "scaling.md"), "\n".join(lines) + "\n")
    time_series = {m: [(n, rows[(m, n)]["ms_per_step"]) for n in lengths if rows.get((m, n), {}).get("status") == "ok"] for m in models}
    memory_series = {m: [(n, rows[(m, n)]["peak_memory_mb"]) for n in lengths if rows.get((m, n), {}).get("status") == "ok"] for m in models}
    top = line_chart(time_series, "ms per training step (Adding, batch 40)", "sequence length N", "ms / step", log_y=True)
    bottom = line_chart(memory_series, "peak memory", "sequence length N", "MB", log_y=True)
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="640" height="800">\n<g>' + top.split(">", 1)[1].rsplit("</svg>", 1)[0]
           + '</g>\n<g transform="translate(0 400)">' + bottom.split(">", 1)[1].rsplit("</svg>", 1)[0] + "</g>\n</svg>\n")
    atomic_write(os.path.join(out_dir, "scaling.svg"), svg)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=".build/release/sparsefactor")
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--lengths", default=",".join(str(2 ** k) for k in range(7, 17)))
    parser.add_argument("--task", default="adding")
    parser.add_argument("--batch", type=int, default=40)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--cap-seconds", type=float, default=60)
    parser.add_argument("--out", default="results/attention")
    parser.add_argument("--render-only", action="store_true")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "scaling.jsonl")
    if not args.render_only:
        args.env = runs.blas_environment(args.binary)
        for model in args.models.split(","):
            for n in [int(v) for v in args.lengths.split(",")]:
                result = measure(args.binary, model, n, args)
                row = {"model": model, "length": n, "task": args.task, "batch": args.batch, "cap_seconds": args.cap_seconds,
                       "date": time.strftime("%Y-%m-%d"), **result}
                with open(path, "a") as f:
                    f.write(json.dumps(row, sort_keys=True) + "\n")
                print(f"{model:12s} N={n:6d}: {cell(row, args.cap_seconds)}", flush=True)
                render(load(path), args.out, args.cap_seconds)
                if result["status"] in ("over_cap", "does_not_fit"):
                    break
    render(load(path), args.out, args.cap_seconds)


if __name__ == "__main__":
    main()
