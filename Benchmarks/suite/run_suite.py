#!/usr/bin/env python3
"""Real-matrix suite of issue 3: sparse Chord factors (SF) against a truncated SVD (TSVD).

Reads data/MANIFEST.tsv (made by scripts/fetch-data.sh), factorizes every matrix with

    sparsefactor factorize FILE --transform T --json --iterations K --time-limit S --seed 1 --init paper

and writes, under results/factorization/,

    suite.md   Markdown table grouped by the paper's six categories, with a summary
    suite.csv  every number of the table (and a few more), one row per matrix
    suite.svg  relative error of SF and TSVD per matrix, grouped by category (hand-written SVG)

TSVD has the paper's budget, rank r = ceil(M^2 / 2) (the CLI's default `--tsvd-rank paper`).
With --pyfaust, every matrix is also exported (`--export-matrix`) and given to
Benchmarks/reference/pyfaust_compare.py in pyfaust's venv (Benchmarks/reference/setup-pyfaust.sh):
butterfly everywhere, palm4msa with the Chord support for N <= --palm-max-n.

Not run in CI: it takes ~15-20 minutes on a 2-core machine (the budget of every matrix is a time
limit that grows with N; see budget()). Matrices with N > --max-n (2048) are subsampled: the
matrix is exported whole, then a breadth-first ball of --max-n vertices (from vertex 0, kept in
id order) is cut out of it; a Laplacian is rebuilt from the cut adjacency. The report says so.

    python3 Benchmarks/suite/run_suite.py                   # the whole suite
    python3 Benchmarks/suite/run_suite.py --quick           # one small matrix per category, ~1 min
    python3 Benchmarks/suite/run_suite.py --only network --pyfaust
    python3 Benchmarks/suite/run_suite.py --dry-run         # the commands, nothing run

Standard library plus numpy (numpy only for the N > --max-n subsampling).
"""

import argparse
import csv
import datetime
import io
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

CATEGORIES = ["image", "gradient-image", "dense-graph", "network", "mesh", "covariance"]
CATEGORY_TITLES = {
    "image": "Square images",
    "gradient-image": "Gradient images",
    "dense-graph": "Dense graphs",
    "network": "Networks",
    "mesh": "Surface meshes",
    "covariance": "Covariance and kernel matrices",
}
CATEGORY_ALIASES = {
    "images": "image", "square-image": "image", "gradient": "gradient-image", "gradients": "gradient-image",
    "dense": "dense-graph", "graph": "dense-graph", "networks": "network", "meshes": "mesh",
    "surface-mesh": "mesh", "kernel": "covariance",
}

# The manifest's suggested transform names (docs/data-sources.md) -> the CLI's canonical names
# (docs/input-formats.md). Canonical names map to themselves.
TRANSFORM_NAMES = {
    "none": "none", "identity": "none",
    "image": "image", "square-image": "image",
    "gradient": "gradient", "gradient-image": "gradient",
    "distance": "distance", "dense-graph": "distance",
    "similarity": "similarity",
    "adjacency": "adjacency", "network": "adjacency",
    "mesh-adjacency": "mesh-adjacency", "mesh": "mesh-adjacency",
    "mesh-laplacian": "mesh-laplacian", "laplacian": "mesh-laplacian",
    "covariance": "covariance",
    "kernel": "kernel", "gaussian-kernel": "kernel",
}

# A tie when the two relative errors differ by less than this fraction of the larger one.
TIE_FRACTION = 0.01


def budget(n, quick=False, scale=1.0):
    """(time limit in seconds, iteration cap) of one fit. The time limit is what stops most fits;
    the cap only matters for tiny matrices that would otherwise iterate for the whole limit."""
    if quick:
        seconds = 3.0
    elif n <= 256:
        seconds = 5.0
    elif n <= 512:
        seconds = 10.0
    elif n <= 1024:
        seconds = 20.0
    else:
        seconds = 30.0
    return seconds * scale, 20000


def log(message):
    print(message, file=sys.stderr, flush=True)


def load_average():
    try:
        return os.getloadavg()
    except OSError:
        return None


def atomic_write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


# ---------------------------------------------------------------------------
# Manifest -> jobs


def read_manifest(data_dir):
    path = os.path.join(data_dir, "MANIFEST.tsv")
    if not os.path.exists(path):
        raise SystemExit(f"error: {path} does not exist; run scripts/fetch-data.sh first")
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f, delimiter="\t")
        need = {"path", "category", "transform", "n", "notes"}
        if not need <= set(reader.fieldnames or []):
            raise SystemExit(f"error: {path}: expected the columns {sorted(need)}, got {reader.fieldnames}")
        return list(reader)


def job_from_row(row, data_dir):
    """One fit: the CLI arguments that turn the manifest row into its matrix."""
    suggested = row["transform"].strip()
    base = suggested.split(":", 1)[0].lower()
    if base not in TRANSFORM_NAMES:
        raise SystemExit(f"error: MANIFEST.tsv: unknown transform {suggested!r} for {row['path']} "
                         f"(known: {', '.join(sorted(TRANSFORM_NAMES))})")
    transform = TRANSFORM_NAMES[base] + (":" + suggested.split(":", 1)[1] if ":" in suggested else "")
    args = ["--transform", transform]
    notes = row.get("notes", "")
    # Edge lists are read as undirected; the manifest's notes say when one is directed.
    if row["path"].endswith((".edges", ".edgelist", ".el")) and notes.lower().startswith("directed"):
        args += ["--format", "directed-edgelist"]
    name = os.path.splitext(os.path.basename(row["path"]))[0]
    if row["category"] == "covariance":
        name += " (covariance)" if transform == "covariance" else " (kernel)"
    return {
        "category": row["category"], "name": name, "path": row["path"], "file": os.path.join(data_dir, row["path"]),
        "transform": transform, "cli_args": args, "n_manifest": int(row["n"]), "notes": notes,
    }


def quick_jobs(jobs):
    """The smallest matrix of each category (camera for the images)."""
    chosen = []
    for cat in CATEGORIES:
        in_cat = [j for j in jobs if j["category"] == cat]
        if not in_cat:
            continue
        camera = [j for j in in_cat if "camera" in j["path"]]
        chosen.append(camera[0] if camera else min(in_cat, key=lambda j: j["n_manifest"]))
    return chosen


# ---------------------------------------------------------------------------
# Running the CLI and pyfaust


def run_json(cmd, timeout):
    """Runs a command, returns (last-line JSON or None, error message or None, seconds)."""
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout:.0f} s", time.perf_counter() - t0
    except OSError as exc:
        return None, f"cannot run {cmd[0]}: {exc.strerror}", time.perf_counter() - t0
    wall = time.perf_counter() - t0
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    parsed = None
    if lines:
        try:
            parsed = json.loads(lines[-1])
        except json.JSONDecodeError:
            parsed = None
    if proc.returncode != 0 or not isinstance(parsed, dict):
        message = (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
        return parsed if isinstance(parsed, dict) else None, message, wall
    return parsed, None, wall


def subsample(full_path, out_path, keep, laplacian):
    """A breadth-first ball of `keep` vertices from vertex 0 (id order kept), cut out of the exported
    matrix; for a Laplacian the diagonal is rebuilt from the cut adjacency. Returns the kept count."""
    import numpy as np

    a = np.load(full_path)
    n = a.shape[0]
    pattern = (a != 0) | (a.T != 0)
    np.fill_diagonal(pattern, False)
    neighbours = [np.flatnonzero(pattern[i]) for i in range(n)]
    seen = np.zeros(n, dtype=bool)
    order = []
    for start in range(n):  # restart at the lowest unseen id when a component runs out
        if len(order) >= keep:
            break
        if seen[start]:
            continue
        seen[start] = True
        queue = [start]
        head = 0
        while head < len(queue) and len(order) < keep:
            v = queue[head]
            head += 1
            order.append(v)
            for w in neighbours[v]:
                if not seen[w]:
                    seen[w] = True
                    queue.append(w)
    ids = np.sort(np.array(order[:keep]))
    sub = a[np.ix_(ids, ids)].copy()
    if laplacian:
        off = sub.copy()
        np.fill_diagonal(off, 0)
        np.fill_diagonal(sub, -off.sum(axis=1))
    tmp = out_path + ".tmp.npy"
    np.save(tmp, np.ascontiguousarray(sub, dtype=np.float64))
    os.replace(tmp, out_path)
    return len(ids)


def matrix_arguments(job, args, tmpdir, index, result):
    """The factorize arguments that give the job's matrix: its file and transform, or, when N >
    --max-n, a subsampled .npy cut out of the exported whole (recorded in `result`). None when the
    export failed (the error is in `result`)."""
    file_args = [job["file"]] + job["cli_args"]
    if job["n_manifest"] <= args.max_n:
        return file_args
    exported = os.path.join(tmpdir, f"m{index}.npy")
    full = os.path.join(tmpdir, f"m{index}-full.npy")
    cmd = [args.binary, "factorize"] + file_args + ["--iterations", "0", "--tsvd-rank", "0", "--json",
                                                    "--export-matrix", full]
    if args.dry_run:
        log("$ " + " ".join(cmd))
    else:
        out, err, _ = run_json(cmd, timeout=600)
        if err:
            result["error"] = f"export for subsampling failed: {err}"
            return None
        n_full = int(out["n"])
        kept = subsample(full, exported, args.max_n, laplacian=job["transform"].startswith("mesh-laplacian"))
        os.remove(full)
        result["n_source"] = n_full
        result["subsampled"] = f"{kept} of {n_full}"
    return [exported, "--transform", "none"]


def run_job(job, args, tmpdir, index):
    binary = args.binary
    result = {"category": job["category"], "matrix": job["name"], "path": job["path"], "transform": job["transform"],
              "format": "directed-edgelist" if "directed-edgelist" in job["cli_args"] else "", "n_source": job["n_manifest"],
              "subsampled": ""}
    exported = os.path.join(tmpdir, f"m{index}.npy")
    file_args = matrix_arguments(job, args, tmpdir, index, result)
    if file_args is None:
        return result

    n_guess = min(job["n_manifest"], args.max_n)
    seconds, iterations = budget(n_guess, args.quick, args.time_scale)
    cmd = [binary, "factorize"] + file_args + ["--json", "--iterations", str(iterations), "--time-limit",
                                               f"{seconds:g}", "--seed", str(args.seed), "--init", "paper"]
    if args.threads:
        cmd += ["--threads", str(args.threads)]
    if not result["subsampled"]:
        cmd += ["--export-matrix", exported]   # for the diagonal baseline and pyfaust
    result["time_limit"] = seconds
    result["iteration_cap"] = iterations
    if args.dry_run:
        log("$ " + " ".join(cmd))
        return None
    out, err, wall = run_json(cmd, timeout=seconds * 4 + 300)
    if err:
        result["error"] = err
        return result
    for key in ("n", "factors", "links", "sf_params", "sf_error", "sf_relative_error", "tsvd_rank", "tsvd_params",
                "tsvd_error", "tsvd_relative_error", "iterations", "evaluations", "seconds", "tsvd_seconds",
                "stop_reason", "threads", "matrix_norm"):
        result[key] = out.get(key)
    result["wall_seconds"] = wall
    result["winner"] = winner(result["sf_relative_error"], result["tsvd_relative_error"])
    result["diagonal_relative_error"] = diagonal_error(exported)

    if args.pyfaust:
        n = int(out["n"])
        method = "both" if n <= args.palm_max_n else "butterfly"
        pcmd = [args.pyfaust_python, os.path.join(ROOT, "Benchmarks", "reference", "pyfaust_compare.py"), exported,
                "--json", "--method", method, "--iterations", str(args.palm_iterations), "--seed", str(args.seed)]
        pout, perr, _ = run_json(pcmd, timeout=1800)
        if pout:
            for key in ("butterfly_relative_error", "butterfly_nonzeros", "butterfly_seconds", "butterfly_padded_to",
                        "palm4msa_relative_error", "palm4msa_nonzeros", "palm4msa_iterations", "palm4msa_seconds",
                        "palm4msa_seconds_per_iteration", "butterfly_failure", "palm4msa_failure"):
                if key in pout:
                    result[key] = pout[key]
        if perr:
            result["pyfaust_error"] = perr
    if os.path.exists(exported):
        os.remove(exported)
    return result


def diagonal_error(path):
    """‖A − diag(A)‖_F / ‖A‖_F: the error of the best diagonal approximation (N parameters), a
    baseline that every Chord chain can reach exactly (each factor has the self-link). None without numpy."""
    try:
        import numpy as np
    except ImportError:
        return None
    a = np.load(path)
    total = float(np.linalg.norm(a))
    off = a - np.diag(np.diag(a))
    return float(np.linalg.norm(off)) / total if total > 0 else None


def winner(sf, tsvd):
    if sf is None or tsvd is None:
        return ""
    if abs(sf - tsvd) <= TIE_FRACTION * max(sf, tsvd):
        return "tie"
    return "SF" if sf < tsvd else "TSVD"


# ---------------------------------------------------------------------------
# Report


def median_of(values):
    values = sorted(values)
    if not values:
        return None
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else 0.5 * (values[mid - 1] + values[mid])


def fmt(value, digits=4):
    if value is None or value == "":
        return "–"
    if isinstance(value, float):
        if 0 < abs(value) < 10 ** -(digits - 1):
            return f"{value:.1e}"
        return f"{value:.{digits}f}"
    return str(value)


def fmt_seconds(value):
    if value is None or value == "":
        return "–"
    return f"{value:.1f}" if value >= 1 else f"{value:.2f}"


def markdown(results, meta, args):
    with_pyfaust = args.pyfaust
    out = io.StringIO()
    w = out.write
    w("# Non-parametric sparse factorization: real-matrix suite\n\n")
    w("Sparse Chord factors (SF: M = ⌈log2 N⌉ factors, K links per row, L-BFGS from the paper's "
      "initialization) against the truncated SVD (TSVD) of rank r = ⌈M²/2⌉ (the paper's budget), "
      "relative Frobenius error ‖A − Â‖_F / ‖A‖_F, lower is better. Made by "
      "`Benchmarks/suite/run_suite.py`" + (" --quick" if args.quick else "") + (" --pyfaust" if with_pyfaust else "")
      + (f" --only {args.only}" if args.only else "") + f" on {meta['date']}.\n\n")
    cores = os.cpu_count() or 1
    busy = meta["load_start_1min"] is not None and max(meta["load_start_1min"], meta["load_end_1min"]) > 0.5 * cores
    w(f"- Machine: {meta['machine']}; load average {meta['load_start']} at the start, {meta['load_end']} at the end"
      + (" (other jobs were sharing the machine, so the time-limited fits did fewer iterations than on a quiet one)"
         if busy else "") + f". SF threads: {meta['threads']}.\n")
    if args.quick:
        limits = f"{budget(2, True, args.time_scale)[0]:g} s for every N"
    else:
        limits = (f"N ≤ 256: {budget(256, False, args.time_scale)[0]:g} s, ≤ 512: {budget(512, False, args.time_scale)[0]:g} s, "
                  f"≤ 1024: {budget(1024, False, args.time_scale)[0]:g} s, larger: {budget(2048, False, args.time_scale)[0]:g} s")
    w(f"- Budget per matrix: a time limit ({limits}) or {budget(2, args.quick)[1]} L-BFGS iterations, "
      "or L-BFGS's own stopping tests, whichever comes first; `--seed " + str(args.seed) + "`. "
      f"The whole run took {meta['total_minutes']:.1f} min. With a time limit the result depends on the machine's "
      "speed and load: these are budget-limited fits, not converged ones.\n")
    w(f"- params: non-zeros of the SF factors / numbers of the TSVD (r·2N). Winner: the lower relative error; "
      f"\"tie\" when the two differ by less than {TIE_FRACTION:.0%} of the larger.\n")
    w(f"- Matrices with N > {args.max_n} are subsampled: a breadth-first ball of {args.max_n} vertices from vertex 0 "
      "(kept in id order) is cut out of the transformed matrix; a Laplacian gets its diagonal rebuilt from the cut "
      "adjacency. Their rows say \"subsampled\".\n")
    w("- Transforms as named by the CLI (docs/input-formats.md); the kernel matrices use the CLI's `kernel` "
      "transform on the raw columns (no z-scoring), bandwidth = median pairwise distance. Roget's network is read "
      "as directed (`--format directed-edgelist`), WormNet as undirected. The pyamg `.mtx` operators are taken "
      "as they are (transform `none`).\n")
    if with_pyfaust:
        w(f"- pyfaust {meta.get('pyfaust_version', '')}: `butterfly` (type bbtree, log2 P factors with 2 non-zeros "
          "per row, P = N rounded up to a power of two, A zero-padded; error on the N × N block: a budget of "
          "2·P·log2 P, much smaller than SF's) on every matrix; `palm4msa` with every factor constrained to the "
          f"Chord support (SF's model and budget) for N ≤ {args.palm_max_n}, {args.palm_iterations} iterations "
          "from the same initialization (seconds are its whole run).\n")
    w("\n")

    cats = [c for c in CATEGORIES if any(r["category"] == c for r in results)]
    cats += sorted({r["category"] for r in results} - set(CATEGORIES))
    w("## Summary\n\n| category | matrices | SF wins | ties | TSVD wins | median SF / TSVD error |\n|---|---:|---:|---:|---:|---:|\n")
    for cat in cats + ["all"]:
        rows = [r for r in results if (cat == "all" or r["category"] == cat) and r.get("winner")]
        if not rows:
            continue
        ratios = sorted(r["sf_relative_error"] / r["tsvd_relative_error"] for r in rows if r["tsvd_relative_error"])
        median = median_of(ratios)
        title = "**all**" if cat == "all" else CATEGORY_TITLES.get(cat, cat)
        w(f"| {title} | {len(rows)} | {sum(r['winner'] == 'SF' for r in rows)} | {sum(r['winner'] == 'tie' for r in rows)} "
          f"| {sum(r['winner'] == 'TSVD' for r in rows)} | {fmt(median, 3)} |\n")
    w("\n")

    header = ["matrix", "N", "SF rel. error", "TSVD rel. error (rank ⌈M²/2⌉)", "params SF / TSVD", "winner",
              "seconds", "iterations", "diagonal only"]
    align = ["---", "---:", "---:", "---:", "---:", "---", "---:", "---:", "---:"]
    if with_pyfaust:
        header += ["butterfly rel. error", "butterfly s", "palm4msa rel. error", "palm4msa s"]
        align += ["---:"] * 4
    for cat in cats:
        w(f"## {CATEGORY_TITLES.get(cat, cat)}\n\n")
        w("| " + " | ".join(header) + " |\n|" + "|".join(align) + "|\n")
        for r in [r for r in results if r["category"] == cat]:
            label = r["matrix"] + (f" (subsampled {r['subsampled']})" if r.get("subsampled") else "")
            if r.get("error"):
                w(f"| {label} | {fmt(r.get('n_source'))} | failed: {r['error']} |" + " |" * (len(header) - 3) + "\n")
                continue
            params = f"{r['sf_params']} / {r['tsvd_params']}"
            win = {"SF": "**SF**", "TSVD": "TSVD", "tie": "tie"}.get(r["winner"], r["winner"])
            its = f"{r['iterations']}" + ("" if r["stop_reason"] == "time_limit" else f" ({r['stop_reason']})")
            cells = [label, str(r["n"]), fmt(r["sf_relative_error"]), f"{fmt(r['tsvd_relative_error'])} (r = {r['tsvd_rank']})",
                     params, win, fmt_seconds(r["seconds"]), its, fmt(r.get("diagonal_relative_error"))]
            if with_pyfaust:
                cells += [fmt(r.get("butterfly_relative_error")), fmt_seconds(r.get("butterfly_seconds")),
                          fmt(r.get("palm4msa_relative_error")), fmt_seconds(r.get("palm4msa_seconds"))]
            w("| " + " | ".join(cells) + " |\n")
        w("\n")
    w("Iterations: L-BFGS iterations done; a reason in brackets when the fit stopped before its time limit "
      "(`relative_improvement`, `gradient_tolerance`, `max_iterations`). Diagonal only: ‖A − diag(A)‖_F / ‖A‖_F, "
      "the error of keeping just the diagonal (N numbers). Every Chord factor has the self-link, so a chain can "
      "represent any diagonal exactly: the best SF approximation is at least as good as this column, and an SF "
      "error above it means the fit stopped short of that (budget-limited, or a poorer local minimum; SF starts "
      "from an averaging matrix, not the identity). "
      "pyfaust's butterfly factors also contain the diagonal, which is why butterfly scores close to this column "
      "on the diagonally dominant mesh Laplacians and pyamg operators.\n\n")
    w("Chart: [suite.svg](suite.svg). Numbers: [suite.csv](suite.csv).\n")
    # What --render-only needs to redraw this page from suite.csv (invisible in rendered Markdown).
    run = dict(meta, **{k: getattr(args, k) for k in RUN_OPTIONS})
    w(f"\n<!-- suite-run: {json.dumps(run, sort_keys=True)} -->\n")
    return out.getvalue()


RUN_OPTIONS = ("quick", "pyfaust", "only", "seed", "time_scale", "max_n", "palm_max_n", "palm_iterations")
INT_FIELDS = {"n_source", "n", "factors", "links", "sf_params", "tsvd_rank", "tsvd_params", "iterations", "evaluations",
              "iteration_cap", "threads", "butterfly_nonzeros", "butterfly_padded_to", "palm4msa_nonzeros",
              "palm4msa_iterations"}
TEXT_FIELDS = {"category", "matrix", "path", "transform", "format", "subsampled", "winner", "stop_reason", "error"}


def load_previous(out_dir):
    """The results and run description of an earlier run, from suite.csv and suite.md."""
    csv_path, md_path = os.path.join(out_dir, "suite.csv"), os.path.join(out_dir, "suite.md")
    try:
        with open(md_path, encoding="utf-8") as f:
            marker = [ln for ln in f if ln.startswith("<!-- suite-run: ")]
        run = json.loads(marker[-1][len("<!-- suite-run: "):].rsplit("-->", 1)[0])
        with open(csv_path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except (OSError, IndexError, json.JSONDecodeError) as exc:
        raise SystemExit(f"error: --render-only needs {csv_path} and {md_path} from an earlier run ({exc})")
    results = []
    for row in rows:
        r = {}
        for key, value in row.items():
            if value == "" and key not in TEXT_FIELDS:
                continue
            r[key] = value if key in TEXT_FIELDS else int(value) if key in INT_FIELDS else float(value)
        results.append(r)
    return results, run


CSV_COLUMNS = ["category", "matrix", "path", "transform", "format", "n_source", "subsampled", "n", "factors", "links",
               "sf_params", "sf_error", "sf_relative_error", "tsvd_rank", "tsvd_params", "tsvd_error",
               "tsvd_relative_error", "winner", "iterations", "evaluations", "stop_reason", "seconds", "tsvd_seconds",
               "time_limit", "iteration_cap", "threads", "diagonal_relative_error", "butterfly_relative_error", "butterfly_nonzeros",
               "butterfly_padded_to", "butterfly_seconds", "palm4msa_relative_error", "palm4msa_nonzeros",
               "palm4msa_iterations", "palm4msa_seconds", "palm4msa_seconds_per_iteration", "error"]


def csv_text(results):
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for r in results:
        row = dict(r)
        for failure in ("pyfaust_error", "butterfly_failure", "palm4msa_failure"):
            if r.get(failure):
                row["error"] = "; ".join(x for x in (row.get("error"), f"{failure}: {r[failure]}") if x)
        writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in CSV_COLUMNS})
    return buf.getvalue()


def xml_escape(text):
    return (str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;"))


def svg_chart(results, title):
    """Horizontal grouped bars: per matrix, SF and TSVD relative error; a header row per category."""
    rows = [r for r in results if r.get("sf_relative_error") is not None]
    label_w, plot_w, right = 300, 520, 70
    bar_h, row_gap, head_h, top = 7, 6, 26, 70
    width = label_w + plot_w + right
    vmax = max([1.0] + [max(r["sf_relative_error"], r["tsvd_relative_error"]) for r in rows])
    vmax = math.ceil(vmax * 10) / 10

    def x(v):
        return label_w + plot_w * min(max(v, 0.0), vmax) / vmax

    items = []
    y = top
    cats = [c for c in CATEGORIES if any(r["category"] == c for r in rows)]
    cats += sorted({r["category"] for r in rows} - set(CATEGORIES))
    layout = []
    for cat in cats:
        layout.append(("head", cat, y))
        y += head_h
        for r in [r for r in rows if r["category"] == cat]:
            layout.append(("row", r, y))
            y += 2 * bar_h + row_gap
        y += 4
    height = y + 50
    sf_colour, tsvd_colour = "#1f77b4", "#ff7f0e"

    items.append(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
                 f'viewBox="0 0 {width} {height}" font-family="Helvetica, Arial, sans-serif" font-size="11">')
    items.append(f'<rect width="{width}" height="{height}" fill="white"/>')
    items.append(f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">{xml_escape(title)}</text>')
    # legend
    items.append(f'<rect x="{label_w}" y="34" width="12" height="10" fill="{sf_colour}"/>'
                 f'<text x="{label_w + 16}" y="43">SF (sparse Chord factors)</text>')
    items.append(f'<rect x="{label_w + 190}" y="34" width="12" height="10" fill="{tsvd_colour}"/>'
                 f'<text x="{label_w + 206}" y="43">TSVD, rank ⌈M²/2⌉</text>')
    items.append(f'<line x1="{label_w + 346}" y1="33" x2="{label_w + 346}" y2="45" stroke="#222" stroke-width="2"/>'
                 f'<text x="{label_w + 352}" y="43">diagonal only</text>')
    items.append(f'<text x="{width / 2}" y="{height - 6}" text-anchor="middle" fill="#444">'
                 'relative Frobenius error ‖A − Â‖ / ‖A‖ (lower is better)</text>')
    # grid
    ticks = [i / 10 * vmax for i in range(11)] if vmax <= 1.0 else [i * 0.2 for i in range(int(vmax / 0.2) + 1)]
    for t in ticks:
        items.append(f'<line x1="{x(t):.1f}" y1="{top - 6}" x2="{x(t):.1f}" y2="{height - 38}" stroke="#ddd"/>')
        items.append(f'<text x="{x(t):.1f}" y="{height - 24}" text-anchor="middle" fill="#444">{t:.1f}</text>')
        items.append(f'<text x="{x(t):.1f}" y="{top - 9}" text-anchor="middle" fill="#444" font-size="9">{t:.1f}</text>')
    for kind, item, yy in layout:
        if kind == "head":
            items.append(f'<rect x="4" y="{yy + 2}" width="{width - 8}" height="{head_h - 6}" fill="#f0f0f0"/>')
            items.append(f'<text x="10" y="{yy + 16}" font-weight="bold">{xml_escape(CATEGORY_TITLES.get(item, item))}</text>')
            continue
        r = item
        label = f"{r['matrix']} (N = {r['n']}{', subsampled' if r.get('subsampled') else ''})"
        items.append(f'<text x="{label_w - 6}" y="{yy + bar_h + 4}" text-anchor="end">{xml_escape(label)}</text>')
        for j, (key, colour) in enumerate((("sf_relative_error", sf_colour), ("tsvd_relative_error", tsvd_colour))):
            v = r[key]
            by = yy + j * bar_h
            items.append(f'<rect x="{label_w}" y="{by}" width="{x(v) - label_w:.1f}" height="{bar_h - 1}" fill="{colour}">'
                         f'<title>{xml_escape(r["matrix"])}: {key.split("_")[0].upper()} {v:.4f}</title></rect>')
        if r.get("diagonal_relative_error") is not None:
            dx = x(r["diagonal_relative_error"])
            items.append(f'<line x1="{dx:.1f}" y1="{yy - 2}" x2="{dx:.1f}" y2="{yy + 2 * bar_h + 1}" stroke="#222" '
                         f'stroke-width="2"><title>diagonal only {r["diagonal_relative_error"]:.4f}</title></line>')
        mark = {"SF": "SF", "TSVD": "TSVD", "tie": "tie"}.get(r.get("winner"), "")
        colour = {"SF": sf_colour, "TSVD": tsvd_colour}.get(r.get("winner"), "#666")
        end = max(x(r["sf_relative_error"]), x(r["tsvd_relative_error"]), x(r.get("diagonal_relative_error") or 0))
        items.append(f'<text x="{end + 4:.1f}" y="{yy + bar_h + 4}" fill="{colour}" font-size="9">{mark}</text>')
    items.append(f'<line x1="{label_w}" y1="{top - 6}" x2="{label_w}" y2="{height - 38}" stroke="#333"/>')
    items.append("</svg>")
    return "\n".join(items) + "\n"


# ---------------------------------------------------------------------------


def write_reports(results, meta, args):
    title = "Relative error per matrix: sparse Chord factors vs truncated SVD"
    atomic_write(os.path.join(args.out, "suite.md"), markdown(results, meta, args))
    atomic_write(os.path.join(args.out, "suite.svg"), svg_chart(results, title))


def add_common_arguments(parser):
    """--binary, --data and --out, as every script of this folder takes them."""
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "sparsefactor"),
                        help="the sparsefactor binary (default .build/release/sparsefactor)")
    parser.add_argument("--data", default=os.path.join(ROOT, "data"), help="data folder with MANIFEST.tsv (default data/)")
    parser.add_argument("--out", default=os.path.join(ROOT, "results", "factorization"), help="output folder")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_arguments(parser)
    parser.add_argument("--quick", action="store_true", help="one small matrix per category, 3 s each")
    parser.add_argument("--only", help="one category: " + ", ".join(CATEGORIES))
    parser.add_argument("--max-n", type=int, default=2048, help="subsample matrices larger than this (default 2048)")
    parser.add_argument("--time-scale", type=float, default=1.0, help="multiply every time limit (default 1)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, help="SF kernel threads (default: the OpenMP default)")
    parser.add_argument("--pyfaust", action="store_true", help="also run pyfaust (butterfly, palm4msa) on every matrix")
    parser.add_argument("--pyfaust-python", default="/tmp/sparsefactor-pyfaust/bin/python",
                        help="python of pyfaust's venv (Benchmarks/reference/setup-pyfaust.sh)")
    parser.add_argument("--palm-max-n", type=int, default=512, help="palm4msa only up to this N (default 512)")
    parser.add_argument("--palm-iterations", type=int, default=10, help="palm4msa iterations (default 10)")
    parser.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
    parser.add_argument("--render-only", action="store_true",
                        help="run nothing: redraw suite.md and suite.svg from the suite.csv of an earlier run")
    args = parser.parse_args(argv)

    if args.only:
        key = args.only.lower()
        key = CATEGORY_ALIASES.get(key, key)
        if key not in CATEGORIES:
            raise SystemExit(f"error: --only expects one of {', '.join(CATEGORIES)}, got {args.only!r}")
        args.only = key
    if args.max_n < 2 or args.time_scale <= 0 or args.palm_iterations < 1:
        raise SystemExit("error: --max-n must be >= 2, --time-scale > 0, --palm-iterations >= 1")
    if not args.dry_run and not os.access(args.binary, os.X_OK):
        raise SystemExit(f"error: {args.binary} is not an executable; build it with swift build -c release "
                         "(or give --binary)")
    if args.render_only:
        results, run = load_previous(args.out)
        for key in RUN_OPTIONS:
            if key in run:
                setattr(args, key, run[key])
        meta = {k: v for k, v in run.items() if k not in RUN_OPTIONS}
        write_reports(results, meta, args)
        return 0
    meta = {}
    if args.pyfaust and not args.dry_run:
        out, err, _ = run_json([args.pyfaust_python, "-W", "ignore", "-c",
                                "import json, pyfaust; print(json.dumps({'v': pyfaust.version()}))"], timeout=120)
        if err or not out:
            raise SystemExit(f"error: pyfaust is not usable with {args.pyfaust_python} ({err}); "
                             "run Benchmarks/reference/setup-pyfaust.sh or leave out --pyfaust")
        meta["pyfaust_version"] = out["v"]

    jobs = [job_from_row(r, args.data) for r in read_manifest(args.data)]
    if args.only:
        jobs = [j for j in jobs if j["category"] == args.only]
    if args.quick:
        jobs = quick_jobs(jobs)
    order = {c: i for i, c in enumerate(CATEGORIES)}
    jobs.sort(key=lambda j: (order.get(j["category"], len(order)), j["n_manifest"], j["name"]))
    missing = [j["path"] for j in jobs if not os.path.exists(j["file"])]
    if missing:
        raise SystemExit(f"error: missing data files ({', '.join(missing[:5])}…); run scripts/fetch-data.sh")

    load_start = load_average()
    start = time.perf_counter()
    tmpdir = tempfile.mkdtemp(prefix="sparsefactor-suite-")
    results = []
    try:
        for i, job in enumerate(jobs):
            r = run_job(job, args, tmpdir, i)
            if r is None:
                continue
            results.append(r)
            if r.get("error"):
                log(f"[{i + 1}/{len(jobs)}] {job['category']}/{job['name']}: FAILED: {r['error']}")
                continue
            extra = ""
            if "butterfly_relative_error" in r:
                extra += f", butterfly {r['butterfly_relative_error']:.4f}"
            if "palm4msa_relative_error" in r:
                extra += f", palm4msa {r['palm4msa_relative_error']:.4f}"
            if r.get("pyfaust_error"):
                extra += f", pyfaust: {r['pyfaust_error']}"
            log(f"[{i + 1}/{len(jobs)}] {job['category']}/{job['name']} N={r['n']}: SF {r['sf_relative_error']:.4f} "
                f"({r['iterations']} it, {r['seconds']:.1f} s, {r['stop_reason']}) vs TSVD {r['tsvd_relative_error']:.4f} "
                f"-> {r['winner']}{extra}  [{(time.perf_counter() - start) / 60:.1f} min]")
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    if args.dry_run:
        return 0

    load_end = load_average()
    threads = sorted({r.get("threads") for r in results if r.get("threads")})
    meta.update({
        "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
        "load_start": " / ".join(f"{v:.1f}" for v in load_start) if load_start else "?",
        "load_start_1min": load_start[0] if load_start else None,
        "load_end_1min": load_end[0] if load_end else None,
        "load_end": " / ".join(f"{v:.1f}" for v in load_end) if load_end else "?",
        "threads": ", ".join(map(str, threads)) or "?",
        "total_minutes": (time.perf_counter() - start) / 60,
    })
    atomic_write(os.path.join(args.out, "suite.csv"), csv_text(results))
    write_reports(results, meta, args)
    failed = [r for r in results if r.get("error")]
    log(f"wrote {os.path.join(args.out, 'suite.md')}, suite.csv, suite.svg: {len(results)} matrices, "
        f"{len(failed)} failed, {meta['total_minutes']:.1f} min")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
