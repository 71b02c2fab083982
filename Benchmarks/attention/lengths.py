#!/usr/bin/env python3
"""Accuracy by sequence length (Paramixer's figure, on this machine): every model on Adding (psf,
paramixer, transformer, linformer, performer, chordmixer) and Temporal Order (psf, transformer, chordmixer) at
N = 2^7 ... 2^14, with the same budget for every model at a given N, plus three seeds of every
model at N = 1024 (Adding).

Budget of a run: stop after the epoch whose validation accuracy reaches 99%, or once training has
used the CPU budget of its N (process CPU seconds, `train --cpu-budget`; the runs use one thread,
so a CPU second is a second of one core), whichever comes first; the JSON's `stopped_by` says which.
Every run writes a checkpoint every 50 steps and resumes from it when the script is run again, so a
sweep can span sessions; finished runs (in runs.jsonl) are skipped.

  python3 Benchmarks/attention/lengths.py --binary .build/release/sparsefactor            # the whole plan
  python3 Benchmarks/attention/lengths.py --only adding:psf:1024 --only order:transformer:128
  python3 Benchmarks/attention/lengths.py --render-only

`--plan psf-full` instead trains PSF-Attn on both tasks, at every N whose budget run did not reach
99% test accuracy, to the target with no CPU budget (40,000 training sequences per epoch, up to 20 epochs; Temporal Order with a cosine
learning-rate schedule over 10 epochs; a model that fits those but misses 99% on the test set gets the paper's
200,000 distinct sequences):
the paper's claim that it reaches 99% at every length.
These runs take hours at the longest N; run them in the background, they resume across sessions:

  nohup python3 Benchmarks/attention/lengths.py --plan psf-full --threads 1 &

Writes results/attention/runs.jsonl (one line per finished run, marked "full" when it reached the
target and "budget-limited" otherwise), lengths.md and lengths.svg; checkpoints of unfinished runs
are under results/attention/checkpoints/.
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
from runs import load  # noqa: E402

MODELS = {"adding": ["psf", "paramixer", "transformer", "linformer", "performer", "chordmixer"],
          "order": ["psf", "transformer", "chordmixer"]}
LENGTHS = [2 ** k for k in range(7, 15)]
TARGET = 0.99


def cpu_budget(n):
    """CPU seconds per run: the same for every model at a given N."""
    return 150 if n <= 1024 else (300 if n <= 4096 else 480)


def eval_size(n):
    return 1000 if n <= 1024 else 400


def plan(seeds_at_1024=(1, 2, 3)):
    runs = []
    for n in LENGTHS:                      # short sequences first, both tasks, so a partial sweep already says something
        for task, models in MODELS.items():
            for model in models:
                runs.append((task, model, n, 1))
        if n == 1024:                      # the seeds right after their length: they say more than the longest budget runs
            runs += [("adding", model, 1024, seed) for model in MODELS["adding"] for seed in seeds_at_1024 if seed != 1]
    return runs


def reached(row):
    """A run that stopped at the validation target and also scores it on the test set."""
    return bool(row) and row["status"] == "full" and row.get("test_accuracy", 0) >= TARGET


# The full runs' recipes: (target, training sequences, flags per task). Attempt 1 stops at 99% validation
# accuracy; where it still missed 99% on the test set, attempt 2 aims at 99.5% with a longer cosine schedule.
# Attempt 3 is for a model that fits its 40,000 training sequences but not the test set (train ≥ 99%, test
# < 99%: Order at N = 4096 memorized them in both attempts, train 100% test 24.5%; at N = 2048 train 100% test
# 98.75%): the paper's 200,000 distinct sequences, as many steps as attempt 2. Attempt 4, where attempt 3 still
# missed 99% on the test set (Order at N = 2048: 99% validation, 98.5% test): the same data, stop at 99.5%
# validation, cosine over 8 epochs.
FULL_RECIPES = {1: (0.99, 40000, {"adding": ["--epochs", "20"], "order": ["--epochs", "10", "--lr-schedule", "cosine"]}),
                2: (0.995, 40000, {"adding": ["--epochs", "20", "--lr-schedule", "cosine"],
                                   "order": ["--epochs", "20", "--lr-schedule", "cosine"]}),
                3: (0.99, 200000, {"adding": ["--epochs", "4", "--lr-schedule", "cosine"],
                                   "order": ["--epochs", "4", "--lr-schedule", "cosine"]}),
                4: (0.995, 200000, {"adding": ["--epochs", "8", "--lr-schedule", "cosine"],
                                    "order": ["--epochs", "8", "--lr-schedule", "cosine"]})}


def memorized(row):
    """A run that fits its training set but not the test set."""
    return bool(row) and row.get("train_accuracy", 0) >= 0.99 and row.get("test_accuracy", 1) < 0.9


def overfit(row):
    """A run that fits its training set but misses the target on the test set, or one stopped because it was
    memorizing its training set (train loss falling, validation at chance: Adding at N = 16,384): more data
    is the remedy."""
    return bool(row) and ((row.get("train_accuracy", 0) >= TARGET and row.get("test_accuracy", 1) < TARGET)
                          or row.get("stopped_by") == "memorizing")


def first_attempt(task, n):
    """Order past N = 4096 starts with the 200,000 sequences (attempt 3): at N = 4096 both 40,000-sequence
    attempts memorized them (train 100%, test 24.5%, 4 hours of one core) and attempt 3 reached 98.75%."""
    return 3 if task == "order" and n > 4096 else 1


def full_plan(rows):
    """PSF-Attn on both tasks at every N whose budget run did not reach the target on the test set
    (a budget run that did counts as a full run: same model, same target, stopped by it): the first
    attempt that has not run yet, after attempts that ran and missed."""
    todo = []
    for n in LENGTHS:
        for task in ("adding", "order"):
            if reached(rows.get(run_id(task, "psf", n, 1))):
                continue
            for attempt in FULL_RECIPES:
                if attempt < first_attempt(task, n):
                    continue
                row = rows.get(run_id(task, "psf", n, 1, attempt))
                earlier = [rows.get(run_id(task, "psf", n, 1, a)) for a in (1, 2)]
                if attempt == 2 and row is None and overfit(earlier[0]):
                    continue   # attempt 2 trains longer on the same 40,000 sequences: no help against memorizing
                if attempt == 3 and first_attempt(task, n) < 3 and (not any(overfit(r) for r in earlier)
                                     or any(r and r.get("test_accuracy", 0) >= TARGET for r in earlier)):
                    break   # more data is the remedy for overfitting only, and only where no attempt reached 99% on test
                if row is None or row["status"] == "failed":
                    todo.append((task, "psf", n, 1, attempt))
                    break
                if reached(row):
                    break
    return todo


def full_row(rows, task, n):
    """PSF-Attn's run trained to the target at N, and its attempt (0: the budget run, which reached it): the
    first attempt that reached the target, else the latest one that ran; (None, None) before any ran."""
    budget_row = rows.get(run_id(task, "psf", n, 1))
    if reached(budget_row):
        return budget_row, 0
    attempts = [(rows.get(run_id(task, "psf", n, 1, a)), a) for a in FULL_RECIPES]
    return (next((ra for ra in attempts if reached(ra[0])), None)
            or next((ra for ra in reversed(attempts) if ra[0]), (None, None)))


def run_id(task, model, n, seed, attempt=0):
    """attempt 0: the budget sweep; 1, 2, 3: the full runs ("full-", "full2-", "full3-")."""
    prefix = {0: "", 1: "full-"}.get(attempt, f"full{attempt}-")
    return prefix + f"{task}-{model}-{n}-seed{seed}"


def train(args, task, model, n, seed, attempt, out_dir):
    rid = run_id(task, model, n, seed, attempt)
    checkpoint = os.path.join(out_dir, "checkpoints", rid + ".ckpt")
    os.makedirs(os.path.dirname(checkpoint), exist_ok=True)
    size = eval_size(n)
    cmd = [args.binary, "train", "--task", task, "--model", model, "--length", str(n), "--seed", str(seed),
           "--val-size", str(size), "--test-size", str(size), "--threads", str(args.threads),
           "--checkpoint", checkpoint, "--checkpoint-every", "50", "--json"]
    if attempt:
        target, train_size, recipe = FULL_RECIPES[attempt]
        cmd += ["--target-accuracy", str(target), "--train-size", str(train_size)] + recipe[task]
    else:
        cmd += ["--target-accuracy", str(TARGET)]
        cmd += ["--train-size", "10000", "--epochs", "1000", "--cpu-budget", str(cpu_budget(n))]
    cmd += ["--resume"] if os.path.exists(checkpoint) else []
    done = runs.run_train(cmd, rid, checkpoint, args.deadline if args.max_seconds else None, env=args.env)
    if done is None:
        return None
    summary, seconds = done
    if summary.get("status") == "failed":
        return {"run": rid, "task": task, "model": model, "length": n, "seed": seed, **summary}
    status = "full" if summary.get("stopped_by") == "target" else "budget-limited"
    row = {"run": rid, "status": status, "seed": seed, "wall_seconds": seconds, "command": " ".join(cmd[1:]), **summary}
    if attempt:
        row.update(held_out(args, checkpoint))
    return row


HELD_OUT = 2000


def held_out(args, checkpoint):
    """A full run's model scored on 2000 fresh sequences (`evaluate`, a stream no split used) before its
    checkpoint goes: at 400 test sequences one error is 0.25%, so 99% hinges on a single sequence."""
    cmd = [args.binary, "evaluate", "--checkpoint", checkpoint, "--test-size", str(HELD_OUT),
           "--threads", str(args.threads), "--json"]
    done = subprocess.run(cmd, capture_output=True, text=True, env=args.env)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    result = json.loads(lines[-1]) if lines else {}
    if done.returncode != 0 or "accuracy" not in result:
        return {"held_out_error": result.get("error") or done.stderr[-300:]}
    return {"held_out_accuracy": result["accuracy"], "held_out_size": HELD_OUT, "held_out_command": " ".join(cmd[1:])}


def cell(row):
    if row is None:
        return "–"
    if row["status"] == "failed":
        return "failed"
    accuracy = row.get("test_accuracy")
    text = f"{100 * accuracy:.1f}" if accuracy is not None else "?"
    return text + ("" if row["status"] == "full" else "*") + (runs.GENERIC_BLAS_MARK if runs.generic_blas(row) else "")


def render(rows, out_dir):
    lines = ["# Accuracy by sequence length", "",
             "Test accuracy (%) of every model, trained with the same budget at each N: stop after the epoch whose",
             f"validation accuracy reaches {100 * TARGET:.0f}%, or when training has used the CPU budget of that N",
             "(" + ", ".join(f"N ≤ {n}: {cpu_budget(n)} s" for n in (1024, 4096, 16384)) + " of one core; `train --cpu-budget`).",
             "`*`: the budget ended the run before the target (budget-limited); no mark: it reached the target (full).",
             "Adam lr 1e-3, batch 40, 10,000 training sequences per epoch (generated from the seed), validation and test sets",
             f"of {eval_size(1024)} (N ≤ 1024) or {eval_size(2048)} sequences. Every run is in [runs.jsonl](runs.jsonl) with its command.",
             "Chart: [lengths.svg](lengths.svg).", "", runs.GENERIC_BLAS_NOTE, ""]
    for task, models in MODELS.items():
        lines += [f"## {task.capitalize()}", "", "| model | " + " | ".join(f"2^{n.bit_length() - 1}" for n in LENGTHS) + " |",
                  "|---|" + "---:|" * len(LENGTHS)]
        for model in models:
            lines.append(f"| {model} | " + " | ".join(cell(rows.get(run_id(task, model, n, 1))) for n in LENGTHS) + " |")
        lines.append("")
    lines += ["## Three seeds at N = 1024 (Adding)", "", "| model | seed 1 | seed 2 | seed 3 |", "|---|---:|---:|---:|"]
    for model in MODELS["adding"]:
        lines.append(f"| {model} | " + " | ".join(cell(rows.get(run_id("adding", model, 1024, s))) for s in (1, 2, 3)) + " |")
    lines += ["", "## PSF-Attn trained to the target (no budget; `--plan psf-full`)", "",
              "Where the budget run above already reached 99% on the test set it is shown (marked b); otherwise the first full",
              "run (40,000 sequences per epoch, stop at 99% validation; Order: cosine schedule over 10 epochs), or where that",
              "missed 99% on the test set the second (a2: stop at 99.5% validation, cosine over 20 epochs), or where a model",
              "fit its 40,000 sequences but missed 99% on the test set the third (a3: 200,000 distinct sequences, the paper's,",
              "cosine over 4 epochs), and where that missed 99% on the test set too the fourth (a4: the same data, stop at 99.5%",
              "validation, cosine over 8 epochs). Order past N = 4096 starts with a3 (at 4096 a1 and a2 memorized their",
              "40,000 sequences). \"2000 more\": where recorded, the model's accuracy on 2000 further",
              "sequences from a stream no split used (`evaluate --checkpoint … --test-size 2000`).", "",
              "| task | " + " | ".join(f"2^{n.bit_length() - 1}" for n in LENGTHS) + " |", "|---|" + "---:|" * len(LENGTHS)]
    for task in ("adding", "order"):
        def full_cell(n):
            row, attempt = full_row(rows, task, n)
            if attempt == 0:
                return cell(row) + f" b ({row['steps']} steps)"
            tag = "" if row is None or attempt == 1 else f" a{attempt}"
            held = f"; {HELD_OUT} more: {100 * row['held_out_accuracy']:.1f}" if row and "held_out_accuracy" in row else ""
            return (cell(row) + tag + (f" ({row['steps']} steps{held})" if row and row.get("steps") else "")
                    + (f", train {100 * row['train_accuracy']:.0f}%: memorized" if memorized(row) else "")
                    + (", stopped: memorizing" if row and row.get("stopped_by") == "memorizing" else ""))
        lines.append(f"| {task} | " + " | ".join(full_cell(n) for n in LENGTHS) + " |")
    atomic_write(os.path.join(out_dir, "lengths.md"), "\n".join(lines) + "\n")
    charts = []
    for task, models in MODELS.items():
        series = {}
        for model in models:
            pts = []
            for n in LENGTHS:
                row = rows.get(run_id(task, model, n, 1))
                if row and row.get("test_accuracy") is not None:
                    pts.append((n, 100 * row["test_accuracy"]))
            series[model] = pts
        trained = f"psf, to {100 * TARGET:.0f}%"
        series[trained] = [(n, 100 * row["test_accuracy"]) for n in LENGTHS
                           for row in [full_row(rows, task, n)[0]] if row and row.get("test_accuracy") is not None]
        charts.append(line_chart(series, f"{task}: test accuracy (%) by N, equal budgets; dashed: PSF-Attn without one",
                                 "sequence length N", "accuracy %", y_range=(0, 100), dashed=(trained,)))
    body = "".join(f'<g transform="translate(0 {400 * i})">' + c.split(">", 1)[1].rsplit("</svg>", 1)[0] + "</g>\n"
                   for i, c in enumerate(charts))
    atomic_write(os.path.join(out_dir, "lengths.svg"),
                 f'<svg xmlns="http://www.w3.org/2000/svg" width="640" height="{400 * len(charts)}">\n{body}</svg>\n')


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=".build/release/sparsefactor")
    parser.add_argument("--out", default="results/attention")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--only", action="append", default=[], help="TASK:MODEL:N[:SEED], repeatable")
    parser.add_argument("--max-seconds", type=float, default=0, help="stop starting or running runs after this long")
    parser.add_argument("--render-only", action="store_true")
    parser.add_argument("--plan", choices=["sweep", "psf-full"], default="sweep")
    parser.add_argument("--rerun-generic-blas", action="store_true",
                        help="run again the baseline cells recorded on OpenBLAS's fallback kernels (marked ᵍ); the new line supersedes the old")
    args = parser.parse_args()
    args.deadline = time.time() + args.max_seconds
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "runs.jsonl")
    if not args.render_only:
        args.env = runs.blas_environment(args.binary)
        todo = [r + (0,) for r in plan()] if args.plan == "sweep" else full_plan(load(path))
        if args.only:
            wanted = {tuple(o.split(":")) for o in args.only}
            todo = [r for r in todo if (r[0], r[1], str(r[2])) in wanted or (r[0], r[1], str(r[2]), str(r[3])) in wanted]
        for task, model, n, seed, attempt in todo:
            if runs.finished(load(path), run_id(task, model, n, seed, attempt), args.rerun_generic_blas):
                continue
            row = train(args, task, model, n, seed, attempt, args.out)
            if row is None:
                break
            runs.record(path, args.out, row)
            print(f"{row['run']}: {cell(row)} ({row.get('stopped_by', row.get('error', ''))}, {row.get('steps', 0)} steps)", flush=True)
            render(load(path), args.out)
    render(load(path), args.out)


if __name__ == "__main__":
    main()
