"""Matrix-free fitting at scale (issue 12 §1): seconds per evaluation and peak memory against N, and the
fit of a real sparse operator with N >= 65,536.

    python3 Benchmarks/matrixfree/scale.py synthetic [--sizes 12,13,14,15,16,17] [--iterations 20] [--threads 2]
    python3 Benchmarks/matrixfree/scale.py real [--file data/network/wordnet.mtx] [--time-limit 1500] [--threads 2]
    python3 Benchmarks/matrixfree/scale.py report

`synthetic` generates, for each N = 2^k, a random sparse matrix (8 entries a row at random columns, values
±1, from a fixed seed; Matrix Market, under data/generated/, never committed) and runs
`sparsefactor factorize FILE --matrix-free` for a fixed number of Adam steps (64 fresh probes each) under
/usr/bin/time: seconds per evaluation are the fit's seconds over its evaluations, memory the process's
peak resident set. `real` fits the WordNet 3.0 pointer graph (or its Laplacian, `--transform laplacian --init diagonal`) (N = 117,659, from Debian's wordnet-base:
`scripts/fetch-data.sh --only wordnet`) with a time limit, its error estimated from 256 held-out probes.
Each run appends one line to results/factorization/matrix-free.jsonl (with its command and whether it ran
to its step count, "full", or was ended by the time limit, "budget-limited"); `report` (run after each)
rewrites matrix-free.md and matrix-free.svg from it.
"""
import argparse
import json
import math
import os
import random
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(os.path.dirname(here))
sys.path.insert(0, os.path.join(root, "Benchmarks", "attention"))
from charts import atomic_write, line_chart  # noqa: E402

RESULTS = os.path.join(root, "results", "factorization")
RUNS = os.path.join(RESULTS, "matrix-free.jsonl")
PER_ROW = 8


def synthetic_matrix(k, seed=1):
    """Writes (once) the N = 2^k random sparse matrix; returns its path."""
    n = 2 ** k
    path = os.path.join(root, "data", "generated", f"random-sparse-2^{k}.mtx")
    if os.path.exists(path):
        return path
    os.makedirs(os.path.dirname(path), exist_ok=True)
    rng = random.Random(seed * 1000 + k)
    entries = set()
    for i in range(n):
        columns = set()
        while len(columns) < PER_ROW:
            columns.add(rng.randrange(n))
        entries.update((i, j) for j in columns)
    lines = ["%%MatrixMarket matrix coordinate real general",
             f"% random sparse matrix: {PER_ROW} entries a row at random columns, values +-1, seed {seed}",
             f"{n} {n} {len(entries)}"]
    lines += [f"{i + 1} {j + 1} {rng.choice((-1, 1))}" for i, j in sorted(entries)]
    atomic_write(path, "\n".join(lines) + "\n")
    return path


def run(binary, args, label, extra):
    """Runs one fit under /usr/bin/time; appends its row to matrix-free.jsonl and returns it."""
    with tempfile.NamedTemporaryFile(suffix=".time", delete=False) as t:
        time_file = t.name
    command = ["/usr/bin/time", "-f", "%M %e", "-o", time_file, binary] + args + ["--json"]
    print("scale:", " ".join(command[5:]), flush=True)
    r = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with open(time_file) as f:
        peak_kb, wall = f.read().split()[-2:]
    os.unlink(time_file)
    lines = [l for l in r.stdout.splitlines() if l.startswith("{")]
    if r.returncode != 0 or not lines:
        sys.exit(f"scale: {label} failed (exit {r.returncode}): {r.stderr.strip()[-500:]}")
    j = json.loads(lines[-1])
    row = {"run": label, "command": "sparsefactor " + " ".join(args + ["--json"]), "n": j["n"],
           "operator_nonzeros": j["operator_nonzeros"], "factors": j["factors"], "links": j["links"],
           "params": j["sf_params"], "probes": j["probes"], "iterations": j["iterations"],
           "evaluations": j["evaluations"], "fit_seconds": j["seconds"], "read_seconds": j["read_seconds"],
           "seconds_per_evaluation": j["seconds"] / max(1, j["evaluations"]), "wall_seconds": float(wall),
           "peak_memory_mb": int(peak_kb) / 1024, "threads": j["threads"], "stop_reason": j["stop_reason"],
           "start_relative_error": j["start_relative_error"], "error_estimate": j["error_estimate"],
           "status": "budget-limited" if j["stop_reason"] == "time_limit" else "full"}
    row.update(extra)
    with open(RUNS, "a") as f:
        f.write(json.dumps(row, sort_keys=True) + "\n")
    return row


def diagonal_error(path, transform):
    """‖A − diag(A)‖_F / ‖A‖_F of a Matrix Market file (or of its Laplacian D − (A + Aᵀ)/2): the error of
    the best diagonal alone, which a Chord chain represents exactly (an independent evaluator, in Python)."""
    off, diag = {}, {}
    with open(path) as f:
        header = f.readline()
        if "symmetric" in header or "pattern" in header:
            sys.exit(f"scale: {path}: only general real coordinate files are read here")
        line = f.readline()
        while line.startswith("%"):
            line = f.readline()
        for line in f:
            i, j, v = line.split()
            i, j, v = int(i), int(j), float(v)
            if transform == "laplacian":
                if i != j:
                    for a, b in ((i, j), (j, i)):
                        off[(a, b)] = off.get((a, b), 0) - v / 2
                        diag[a] = diag.get(a, 0) + v / 2
            elif i == j:
                diag[i] = diag.get(i, 0) + v
            else:
                off[(i, j)] = off.get((i, j), 0) + v
    o = sum(v * v for v in off.values())
    return (o / (o + sum(v * v for v in diag.values()))) ** 0.5


def load():
    if not os.path.exists(RUNS):
        return []
    with open(RUNS) as f:
        return [json.loads(l) for l in f if l.strip()]


def report():
    rows = load()
    synthetic = {}
    for r in rows:
        if r.get("kind") == "synthetic":
            synthetic[r["n"]] = r          # the last run of each N
    real = [r for r in rows if r.get("kind") == "real"]
    cache = {}

    def diagonal(r):
        key = (r["file"], r.get("transform", "identity"))
        if key not in cache:
            cache[key] = diagonal_error(os.path.join(root, r["file"]), key[1])
        return cache[key]

    def start_label(r):
        c = r["command"].split()
        value = lambda flag, default: c[c.index(flag) + 1] if flag in c else default
        return f"{value('--init', 'paper')}, noise {value('--init-noise', '0.01')}, lr {value('--lr', '0.001')}"
    lines = ["# Matrix-free fitting at scale", "",
             "`sparsefactor factorize FILE --matrix-free`: Adam with 64 fresh Rademacher probes a step, never an N×N array",
             "(issue 12 §1). Rows: [matrix-free.jsonl](matrix-free.jsonl), each with its command; chart:",
             "[matrix-free.svg](matrix-free.svg). Made by `python3 Benchmarks/matrixfree/scale.py synthetic|real|report`.", "",
             "## Seconds per evaluation and memory against N", "",
             f"Random sparse matrices ({PER_ROW} entries a row, values ±1, generated from a seed), M = ⌈log2 N⌉ factors,",
             "K = M + 1 values a row. One evaluation is the loss and gradient on one probe block (forward and backward",
             "through the chain, one product with A and one with Aᵀ); memory is the process's peak resident set, with the",
             "Adam state (4 copies of the M·N·K values) and the kept activations.", "",
             "| N | M | values M·N·K | s / evaluation | µs / evaluation / (N·M·K) | peak memory (MB) | read s |",
             "|---:|---:|---:|---:|---:|---:|---:|"]
    for n in sorted(synthetic):
        r = synthetic[n]
        per = r["seconds_per_evaluation"] / (r["n"] * r["factors"] * r["links"]) * 1e6
        lines.append(f"| 2^{n.bit_length() - 1} = {n} | {r['factors']} | {r['params']:,} | {r['seconds_per_evaluation']:.3f} | "
                     f"{per:.4f} | {r['peak_memory_mb']:.0f} | {r['read_seconds']:.2f} |")
    if len(synthetic) >= 2:
        ns = sorted(synthetic)
        a, b = synthetic[ns[0]], synthetic[ns[-1]]
        slope = math.log(b["seconds_per_evaluation"] / a["seconds_per_evaluation"]) / math.log(b["n"] / a["n"])
        law = math.log((b["n"] * b["factors"] * b["links"]) / (a["n"] * a["factors"] * a["links"])) / math.log(b["n"] / a["n"])
        mem = math.log(b["peak_memory_mb"] / a["peak_memory_mb"]) / math.log(b["n"] / a["n"])
        lines += ["", f"From N = {a['n']} to {b['n']}, time per evaluation grows as N^{slope:.2f}; the cost law O(N·M·K·p)",
                  f"= O(N log² N) predicts N^{law:.2f} over this range. Peak memory grows as N^{mem:.2f}.",
                  f"Machine: {a['threads']} threads, the kernels' OpenMP; this machine's speed drifts by about ±20%."]
    lines += ["", "## A real operator with N ≥ 65,536", "",
              "The fit runs on A / ‖A‖_F, whose entries shrink like 1/√(non-zeros): at N = 117,659 the normalized degrees on",
              "the Laplacian's diagonal are about 1e-3, so the default start noise (0.01 on every value) swamps the diagonal",
              "start (its error is 1.00, not the diagonal's 0.21), and Adam's steps of about lr per value are large against",
              "the values it must find. `--init-noise 0` starts exactly at the diagonal.", ""]
    if not real:
        lines.append("Not run yet.")
    for key in sorted({(r["file"], r.get("transform", "identity")) for r in real}):
        group = [r for r in real if (r["file"], r.get("transform", "identity")) == key]
        first = group[0]
        lines += [f"`{key[0]}`, transform {key[1]}: N = {first['n']:,}, {first['operator_nonzeros']:,} non-zeros. {first['source']}.",
                  "Best diagonal: ‖A − diag(A)‖_F / ‖A‖_F, computed in Python from the file.", "",
                  "| start | steps | stopped by | fit s | s / step | peak memory (MB) | start error | best diagonal | relative error (95% interval) | status |",
                  "|---|---:|---|---:|---:|---:|---:|---:|---|---|"]
        for r in group:
            e = r["error_estimate"]
            lines.append(f"| {start_label(r)} | {r['iterations']} | {r['stop_reason']} | {r['fit_seconds']:.0f} | {r['seconds_per_evaluation']:.2f} | "
                         f"{r['peak_memory_mb']:.0f} | {r['start_relative_error']:.4f} | {diagonal(r):.4f} | {e['relative_error']:.4f} "
                         f"[{e['lower']:.4f}, {e['upper']:.4f}] ({e['kind']}, {e['probes']} held-out probes) | {r['status']} |")
        best = min(group, key=lambda r: r["error_estimate"]["relative_error"])
        gain = 1 - best["error_estimate"]["relative_error"] / diagonal(best)
        lines += ["", f"The best of these fits ({start_label(best)}) ends {100 * gain:.1f}% below the best diagonal's error"
                  f" after {best['fit_seconds'] / 60:.0f} minutes within {best['peak_memory_mb'] / 1024:.1f} GB."]
        lines += ["", "Commands:", ""] + [f"- `{r['command']}`" for r in group] + [""]
    atomic_write(os.path.join(RESULTS, "matrix-free.md"), "\n".join(lines) + "\n")
    if synthetic:
        ns = sorted(synthetic)
        time_series = {"s / evaluation": [(n, synthetic[n]["seconds_per_evaluation"]) for n in ns],
                       "N·M·K / 1e8 (the law)": [(n, n * synthetic[n]["factors"] * synthetic[n]["links"] / 1e8) for n in ns]}
        memory_series = {"peak memory (GB)": [(n, synthetic[n]["peak_memory_mb"] / 1024) for n in ns]}
        chart = line_chart(time_series, "Matrix-free fit: time per evaluation", "N", "seconds (log)", log_y=True)
        chart2 = line_chart(memory_series, "Matrix-free fit: peak memory", "N", "GB (log)", log_y=True)
        # two charts side by side in one SVG
        body = lambda c: c.split(">", 1)[1].rsplit("</svg>", 1)[0]
        atomic_write(os.path.join(RESULTS, "matrix-free.svg"),
                     '<svg xmlns="http://www.w3.org/2000/svg" width="1280" height="400" font-family="sans-serif" font-size="11">\n'
                     f'<g>{body(chart)}</g>\n<g transform="translate(640,0)">{body(chart2)}</g>\n</svg>\n')


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("what", choices=["synthetic", "real", "report"])
    p.add_argument("--binary", default=os.path.join(root, ".build", "release", "sparsefactor"))
    p.add_argument("--sizes", default="12,13,14,15,16,17")
    p.add_argument("--iterations", type=int, default=20)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--file", default=os.path.join(root, "data", "network", "wordnet.mtx"))
    p.add_argument("--time-limit", type=float, default=1500)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--lr", type=float, default=0.01, help="Adam's learning rate for `real` (default 0.01)")
    p.add_argument("--transform", help="for `real`: a transform, e.g. laplacian (D − (A + Aᵀ)/2)")
    p.add_argument("--init", help="the start: paper (default here) or diagonal")
    p.add_argument("--init-noise", type=float, help="for `real`: the start's noise (0: exactly the diagonal)")
    a = p.parse_args()
    os.makedirs(RESULTS, exist_ok=True)
    if a.what == "synthetic":
        for k in [int(s) for s in a.sizes.split(",")]:
            path = synthetic_matrix(k)
            run(a.binary, ["factorize", os.path.relpath(path, root), "--matrix-free", "--iterations", str(a.iterations),
                           "--exact-error-limit", "0", "--threads", str(a.threads), "--init", a.init or "paper"],
                f"synthetic-2^{k}", {"kind": "synthetic", "file": os.path.relpath(path, root)})
            report()
    elif a.what == "real":
        if not os.path.exists(a.file):
            sys.exit(f"scale: {a.file} is missing; run scripts/fetch-data.sh --only wordnet")
        args = ["factorize", os.path.relpath(a.file, root), "--matrix-free", "--iterations", "100000",
                "--time-limit", str(a.time_limit), "--held-out-probes", "256", "--seed", str(a.seed),
                "--threads", str(a.threads), "--lr", str(a.lr)]
        if a.transform:
            args += ["--transform", a.transform]
        args += ["--init", a.init or "paper"]   # the runs recorded so far; the CLI's default is auto
        if a.init_noise is not None:
            args += ["--init-noise", str(a.init_noise)]
        run(a.binary, args, "real-" + os.path.basename(a.file) + (f"-{a.transform}" if a.transform else ""),
            {"kind": "real", "file": os.path.relpath(a.file, root), "transform": a.transform or "identity",
                                                  "source": "WordNet 3.0 pointer graph, debian:wordnet-base (docs/data-sources.md)"})
        report()
    else:
        report()


if __name__ == "__main__":
    main()
