#!/usr/bin/env python3
"""The real-matrix suite with converged fits, from both starts (issue 12 §2).

Every matrix of data/MANIFEST.tsv (N > 2048 subsampled as in run_suite.py) is fitted twice with
L-BFGS, float64, --seed 1:

    paper     the paper's start (rows sum to 1, noise 0.01)
    diagonal  W1 = diag(A), the other factors the identity, no noise (--init diagonal --init-noise 0)

Each fit stops by tolerance, not by time: when the best loss improved by less than 1e-4 of itself
over the last 100 iterations (`--improvement-tolerance 1e-4 --improvement-window 100`), or by the
gradient test. Caps that still apply, and are reported where they end a fit: --max-iterations
(20,000) and --fit-seconds per fit (1,800 CPU seconds, `factorize --cpu-limit`; until 2026-12-07 wall seconds;
900 for the suite's last fits, run with `--fit-seconds 900`, marked † where that cap ended them). Reported for each fit: the error, the iterations and
seconds, and the time it needed to come within 1% of its final error (`seconds_to_1_percent`).

Fits append to results/factorization/converged.jsonl as they finish, and fits already there are
skipped, so the suite spans sessions (a fit cut by the session is redone whole).

    scripts/fetch-data.sh
    python3 Benchmarks/suite/converged.py --binary .build/release/sparsefactor [--max-seconds S] [--only CATEGORY]
    python3 Benchmarks/suite/converged.py --render-only

Instances started side by side share the list (a fit is claimed before it starts), one per core.

Writes converged.jsonl and converged.md beside suite.md.
"""
import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_suite as suite  # noqa: E402  (manifest, jobs, subsampling, diagonal error, winner)

ROOT = suite.ROOT
STARTS = {"paper": ["--init", "paper"], "diagonal": ["--init", "diagonal", "--init-noise", "0"]}
# FitInitialization.automaticDiagonalError: `--init auto` (the default since 2026-12-07) takes the diagonal start
# below it, else the paper's, and fits again from the diagonal when the paper fit ends no better than diag(A).
AUTO_THRESHOLD = 0.6
STOPPING = ["--improvement-tolerance", "1e-4", "--improvement-window", "100"]


CLAIMS = os.path.join(tempfile.gettempdir(), "sparsefactor-converged-claims")


def claim(job, start):
    """Whether this process may run the fit: one claim file per fit, so instances started side by side
    (to use every core) share the list instead of running the same fit; a dead owner's claim is taken over."""
    os.makedirs(CLAIMS, exist_ok=True)
    name = f"{job['category']}__{job['name']}__{start}".replace("/", "_")
    path = os.path.join(CLAIMS, name)
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            try:
                owner = int(open(path).read() or 0)
                os.kill(owner, 0)
                return owner == os.getpid()
            except (ValueError, ProcessLookupError):
                os.remove(path)   # its owner is gone
                continue
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        return True
    return False


def load(path):
    rows = {}
    if os.path.exists(path):
        for line in open(path, encoding="utf-8"):
            if line.strip():
                row = json.loads(line)
                rows[(row["category"], row["matrix"], row["start"])] = row
    return rows


def fit(args, job, file_args, start, result):
    cmd = [args.binary, "factorize", *file_args, "--json", "--seed", "1", "--iterations", str(args.max_iterations),
           "--cpu-limit", str(args.fit_seconds), "--threads", str(args.threads), *STOPPING, *STARTS[start]]
    # The cap is CPU seconds (beside other jobs a wall-clock cap would end more fits early); the wall-clock
    # timeout only guards against a hung process.
    out, err, wall = suite.run_json(cmd, timeout=args.fit_seconds * 8 + 600)
    row = dict(result, start=start, command=" ".join(cmd[1:]), wall_seconds=wall,
               iteration_cap=args.max_iterations, time_cap=args.fit_seconds)
    if err:
        row["error"] = err
        return row
    for key in ("n", "factors", "links", "sf_params", "sf_relative_error", "tsvd_rank", "tsvd_relative_error",
                "start_relative_error", "iterations", "evaluations", "seconds", "stop_reason", "seconds_to_1_percent",
                "iterations_to_1_percent", "threads", "cpu_seconds", "cpu_seconds_to_1_percent"):
        row[key] = out.get(key)
    row["status"] = "budget-limited" if row["stop_reason"] in ("max_iterations", "time_limit", "cpu_time_limit") else "full"
    return row


def automatic(paper, diagonal):
    """What `--init auto` does on a matrix, read from its paper and diagonal fits: (D | P | P→D, its error)."""
    alone = paper["diagonal_relative_error"]
    if alone < AUTO_THRESHOLD:
        return "D", diagonal["sf_relative_error"]
    if paper["sf_relative_error"] >= alone:
        return "P→D", diagonal["sf_relative_error"]
    return "P", paper["sf_relative_error"]


def render(rows, path):
    names = list(dict.fromkeys((r["category"], r["matrix"]) for r in rows))
    by = {(r["category"], r["matrix"], r["start"]): r for r in rows}
    lines = ["# Real-matrix suite: converged fits from both starts", "",
             "Sparse Chord factors (L-BFGS, float64, `--seed 1`) from the paper's start and from the diagonal start "
             "(W1 = diag(A), the others the identity, no noise), against the truncated SVD of the paper's rank "
             "⌈M²/2⌉ and the diagonal alone; relative Frobenius error. A fit stops when its best loss improved by "
             "less than 1e-4 of itself over 100 iterations, or by the gradient test; `*` marks a fit a cap ended "
             "instead (20,000 iterations, or 1,800 s: of CPU from 2026-12-07 on, wall before; budget-limited; `*†`: a cap of "
             "900 CPU s, for the last fits of the suite, N ≥ 1487, so that it ended within a session). \"s\": the fit's "
             "seconds, \"1%\": seconds until the fit was within 1% of its final error; CPU seconds of the fit's process "
             "where recorded (marked c: other work on the machine does not stretch them), else wall seconds. N > 2048 subsampled as in suite.md. Made by `Benchmarks/suite/converged.py`; every fit "
             "is in [converged.jsonl](converged.jsonl) with its command.", ""]
    meta = next((r for r in rows if "machine" in r), None)
    if meta:
        lines += [f"- Machine: {meta['machine']}; {meta.get('threads', '?')} thread(s) per fit; other jobs may have "
                  "shared the machine, so the seconds are rough.", ""]
    done = [n for n in names if all((*n, s) in by and "error" not in by[(*n, s)] for s in STARTS)]
    better = {"paper": 0, "diagonal": 0, "tie": 0}
    wins = {"paper": 0, "diagonal": 0}
    for n in done:
        p, d = by[(*n, "paper")]["sf_relative_error"], by[(*n, "diagonal")]["sf_relative_error"]
        key = "tie" if abs(p - d) <= 0.01 * max(p, d) else ("paper" if p < d else "diagonal")
        better[key] += 1
        for s in STARTS:
            r = by[(*n, s)]
            wins[s] += suite.winner(r["sf_relative_error"], r["tsvd_relative_error"]) == "SF"
    lines += [f"Matrices with both fits: {len(done)} of {len(names)}. The better start: paper {better['paper']}, "
              f"diagonal {better['diagonal']}, within 1% of each other {better['tie']}. SF ahead of the truncated SVD: "
              f"{wins['paper']} from the paper's start, {wins['diagonal']} from the diagonal.", ""]
    outcomes = {n: automatic(by[(*n, "paper")], by[(*n, "diagonal")]) for n in done}
    best = sum(1 for n in done if outcomes[n][1] <= 1.01 * min(by[(*n, s)]["sf_relative_error"] for s in STARTS))
    twice = sum(1 for n in done if outcomes[n][0] == "P→D")
    lines += [f"The automatic start (`--init auto`, the default: the diagonal start where diag(A) alone leaves less than "
              f"{AUTO_THRESHOLD}, else the paper's, fitted again from the diagonal when that ends no better than diag(A); "
              "column \"auto\": D, P or P→D) ends within 1% of the better start's error on "
              f"{best} of {len(done)} matrices, fitting twice on {twice}; by construction it never ends worse than diag(A). "
              "Its error is read from the two fits here: its diagonal start is the diagonal column's (no noise, the same seed).", ""]
    lines += ["| category | matrix | N | TSVD | diagonal only | paper: error | its | s | 1% s | diagonal: error | its | s | 1% s | auto |",
              "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for n in names:
        cells = None
        for s in STARTS:
            r = by.get((*n, s))
            if cells is None:
                base = r or {}
                label = n[1] + (f" (subsampled {base['subsampled']})" if base.get("subsampled") else "")
                cells = [base.get("category", ""), label, str(base.get("n", "–")), suite.fmt(base.get("tsvd_relative_error")),
                         suite.fmt(base.get("diagonal_relative_error"))]
            if not r or "error" in r:
                cells += ["failed: " + r["error"] if r else "–", "", "", ""]
                continue
            mark = ("*" + ("†" if r.get("time_cap", 1800) < 1800 else "")) if r["status"] == "budget-limited" else ""
            cpu = r.get("cpu_seconds") is not None and r.get("cpu_seconds_to_1_percent") is not None
            seconds, near = (r["cpu_seconds"], r["cpu_seconds_to_1_percent"]) if cpu else (r["seconds"], r.get("seconds_to_1_percent"))
            unit = " c" if cpu else ""
            cells += [suite.fmt(r["sf_relative_error"]) + mark, str(r["iterations"]), f"{seconds:.1f}{unit}",
                      "–" if near is None else f"{near:.1f}{unit}"]
        cells.append(outcomes[n][0] if n in outcomes else "–")
        lines.append("| " + " | ".join(cells) + " |")
    suite.atomic_write(path, "\n".join(lines) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    suite.add_common_arguments(parser)
    parser.add_argument("--only", help="one category: " + ", ".join(suite.CATEGORIES))
    parser.add_argument("--max-n", type=int, default=2048)
    parser.add_argument("--max-iterations", type=int, default=20000)
    parser.add_argument("--fit-seconds", type=float, default=1800, help="the CPU-time cap of one fit (factorize --cpu-limit)")
    parser.add_argument("--max-seconds", type=float, default=0, help="start no fit after this many seconds (0: no limit)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--render-only", action="store_true")
    args = parser.parse_args()
    args.dry_run = False
    path = os.path.join(args.out, "converged.jsonl")
    os.makedirs(args.out, exist_ok=True)
    if not args.render_only:
        begin = time.time()
        jobs = [suite.job_from_row(r, args.data) for r in suite.read_manifest(args.data)]
        order = {c: i for i, c in enumerate(suite.CATEGORIES)}
        jobs.sort(key=lambda j: (order.get(j["category"], len(order)), j["n_manifest"], j["name"]))
        if args.only:
            jobs = [j for j in jobs if j["category"] == args.only]
        machine = f"{platform.machine()}, {os.cpu_count()} cores"
        tmpdir = tempfile.mkdtemp(prefix="sparsefactor-converged-")
        try:
            # One fit per claim, so that the two starts of a matrix can run side by side in two instances.
            prepared = None   # (job index, its result fields, its factorize arguments, its exported .npy)
            for index, job, start in [(i, j, s) for i, j in enumerate(jobs) for s in STARTS]:
                if (job["category"], job["name"], start) in load(path) or not claim(job, start):
                    continue
                if args.max_seconds and time.time() - begin > args.max_seconds:
                    break
                if prepared is None or prepared[0] != index:   # the matrix, exported once for both of its starts
                    if prepared is not None and os.path.exists(prepared[3]):
                        os.remove(prepared[3])
                    result = {"category": job["category"], "matrix": job["name"], "path": job["path"],
                              "transform": job["transform"], "subsampled": "", "machine": machine}
                    file_args = suite.matrix_arguments(job, args, tmpdir, index, result)
                    exported = os.path.join(tmpdir, f"d{index}.npy")
                    if file_args is not None:   # the matrix itself, for the diagonal baseline
                        out, err, _ = suite.run_json([args.binary, "factorize", *file_args, "--iterations", "0", "--tsvd-rank", "0",
                                                      "--json", "--export-matrix", exported], timeout=600)
                        result["diagonal_relative_error"] = suite.diagonal_error(exported) if not err else None
                        file_args = [exported, "--transform", "none"]
                    prepared = (index, result, file_args, exported)
                _, result, file_args, _ = prepared
                row = dict(result, start=start) if file_args is None else fit(args, job, file_args, start, result)
                row["date"] = time.strftime("%Y-%m-%d %H:%M")
                with open(path, "a", encoding="utf-8") as f:
                    f.write(json.dumps(row) + "\n")
                print(f"{job['name']} ({start}): {row.get('sf_relative_error')} {row.get('stop_reason')} "
                      f"{row.get('iterations')} it {row.get('seconds')} s", flush=True)
        finally:
            shutil.rmtree(tmpdir, ignore_errors=True)
    render(list(load(path).values()), os.path.join(args.out, "converged.md"))


if __name__ == "__main__":
    main()
