#!/usr/bin/env python3
"""The float32 objective kernel against the float64 one on real matrices of the suite.

Every matrix is fitted twice from the same start (the paper's initialization, --seed 1) with
the same iteration cap and stopping tests, once with `factorize --precision float64` and once
with `--precision float32`; both on the same number of threads, one after the other. Reported:
the final relative error (computed in float64 for both), iterations, evaluations, seconds, and
seconds per evaluation, so the speed-up and the error float32 costs can be read side by side.

    scripts/fetch-data.sh                      # once: the suite's matrices
    python3 Benchmarks/suite/precision.py --binary .build/release/sparsefactor
    python3 Benchmarks/suite/precision.py --render-only

Writes results/factorization/precision.jsonl (one line per fit) and precision.md.
"""
import argparse
import json
import os
import platform
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_suite as suite  # noqa: E402  (the manifest, its jobs and run_json)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The quick set (one small matrix per category) and four larger ones, none subsampled.
LARGER = ["pyamg-local_disc_galerkin_diffusion", "roget", "cgal-elk", "digits (kernel)"]
PRECISIONS = ["float64", "float32"]


def jobs(data_dir):
    every = [suite.job_from_row(row, data_dir) for row in suite.read_manifest(data_dir)]
    chosen = suite.quick_jobs(every)
    for name in LARGER:
        match = [j for j in every if j["name"] == name]
        if not match:
            raise SystemExit(f"error: {name} is not in {data_dir}/MANIFEST.tsv")
        chosen.append(match[0])
    return chosen


def fit(args, job, precision):
    cmd = [args.binary, "factorize", job["file"], *job["cli_args"], "--json", "--iterations", str(args.iterations),
           "--seed", "1", "--threads", str(args.threads), "--precision", precision, "--tsvd-rank", "0", "--init", "paper"]
    out, err, wall = suite.run_json(cmd, timeout=3600)
    row = {"matrix": job["name"], "category": job["category"], "precision": precision, "iteration_cap": args.iterations,
           "threads": args.threads, "command": " ".join(cmd[1:]), "wall_seconds": wall}
    if err:
        row["error"] = err
        return row
    for key in ("n", "factors", "links", "sf_relative_error", "start_relative_error", "iterations", "evaluations",
                "seconds", "stop_reason"):
        row[key] = out.get(key)
    row["seconds_per_evaluation"] = out["seconds"] / max(out["evaluations"], 1)
    return row


def render(rows, path):
    by = {(r["matrix"], r["precision"]): r for r in rows if "error" not in r}
    names = list(dict.fromkeys(r["matrix"] for r in rows))
    lines = ["# float32 against float64 objective kernels",
             "",
             "Each matrix fitted twice from the same start (paper's initialization, `--seed 1`, L-BFGS, the same "
             "iteration cap and default tolerances): `factorize --precision float64` and `--precision float32`. "
             "The float32 fit computes the objective and gradient in float and keeps the optimizer in double; both "
             "errors are computed in float64. Made by `Benchmarks/suite/precision.py`; every fit is in "
             "[precision.jsonl](precision.jsonl) with its command.",
             ""]
    meta = next((r for r in rows if "machine" in r), None)
    if meta:
        lines += [f"- Machine: {meta['machine']}; threads per fit: {meta['threads']}; iteration cap "
                  f"{meta['iteration_cap']}. Other jobs shared the machine, so the seconds are rough; the ratio of two "
                  "fits run one after the other is the result.", ""]
    lines += ["| matrix | N | float64 error | float32 error | difference | float64 s/eval | float32 s/eval | speed-up | "
              "iterations f64 / f32 | stop f64 / f32 |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---|---|"]
    speedups, diffs = [], []
    for name in names:
        d, s = by.get((name, "float64")), by.get((name, "float32"))
        if not d or not s:
            lines.append(f"| {name} | – | – | – | – | – | – | – | – | – |")
            continue
        speed = d["seconds_per_evaluation"] / s["seconds_per_evaluation"]
        diff = (s["sf_relative_error"] - d["sf_relative_error"]) / d["sf_relative_error"]
        speedups.append(speed)
        diffs.append(diff)
        lines.append(f"| {name} | {d['n']} | {d['sf_relative_error']:.4f} | {s['sf_relative_error']:.4f} | {diff:+.2%} | "
                     f"{d['seconds_per_evaluation'] * 1e3:.2f} ms | {s['seconds_per_evaluation'] * 1e3:.2f} ms | {speed:.2f}× | "
                     f"{d['iterations']} / {s['iterations']} | {d['stop_reason']} / {s['stop_reason']} |")
    if speedups:
        speedups.sort()
        diffs.sort()
        lines += ["", f"Speed-up per evaluation: median {speedups[len(speedups) // 2]:.2f}× "
                      f"(range {speedups[0]:.2f}–{speedups[-1]:.2f}×). Final error of float32 relative to float64: "
                      f"median {diffs[len(diffs) // 2]:+.2%} (range {diffs[0]:+.2%} to {diffs[-1]:+.2%})."]
    suite.atomic_write(path, "\n".join(lines) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    suite.add_common_arguments(parser)
    parser.add_argument("--iterations", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--render-only", action="store_true")
    args = parser.parse_args()
    jsonl = os.path.join(args.out, "precision.jsonl")
    if not args.render_only:
        rows = []
        machine = f"{platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at the start"
        for job in jobs(args.data):
            for precision in PRECISIONS:
                row = fit(args, job, precision)
                row["machine"] = machine
                row["date"] = time.strftime("%Y-%m-%d %H:%M")
                rows.append(row)
                print(json.dumps(row), flush=True)
        suite.atomic_write(jsonl, "".join(json.dumps(r) + "\n" for r in rows))
    rows = [json.loads(line) for line in open(jsonl)]
    render(rows, os.path.join(args.out, "precision.md"))


if __name__ == "__main__":
    main()
