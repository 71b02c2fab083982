"""What the training sweeps share (lengths.py, ../lra/lra.py): runs.jsonl as a dict of the latest line
of every run, one `sparsefactor train --json` run within the session's deadline, and recording a
finished run (its line appended, its checkpoint and log removed)."""
import json
import os
import subprocess
import threading
import time


def load(path, key=lambda row: row["run"]):
    """The latest line of every run in a runs.jsonl (a later line supersedes an earlier one)."""
    rows = {}
    if os.path.exists(path):
        for line in open(path):
            if line.strip():
                row = json.loads(line)
                rows[key(row)] = row
    return rows


def blas_environment(binary):
    """The environment the runs start with: the caller's, plus OPENBLAS_CORETYPE when OpenBLAS would fall back
    to its pre-AVX2 kernels on this CPU (Debian 12's 0.3.21 on a newer Xeon runs "Prescott"), set to the family
    that `sparsefactor bench step` names for it. On those kernels the baselines' steps take 1.1–2× the time
    (PSF-Attn's barely changes), which a comparison under one CPU budget must not carry. A value the caller set is
    kept. The family is named in every run's line (`blas_core`)."""
    env = dict(os.environ)
    if env.get("OPENBLAS_CORETYPE"):
        return env
    probe = subprocess.run([binary, "bench", "step", "--task", "order", "--length", "16", "--batch", "2",
                            "--warmup", "0", "--steps", "1", "--json"], capture_output=True, text=True)
    lines = [line for line in probe.stdout.splitlines() if line.startswith("{")]
    suggested = json.loads(lines[-1]).get("blas_core_suggested") if probe.returncode == 0 and lines else None
    if suggested:
        env["OPENBLAS_CORETYPE"] = suggested
        print(f"OpenBLAS: OPENBLAS_CORETYPE={suggested} for every run (it would run its generic kernels here)", flush=True)
    return env


def generic_blas(row):
    """Whether a run's dense layers ran on OpenBLAS's fallback kernels, all or some of its steps: it says so
    (`blas_core_suggested`), or it was recorded before runs named their kernels, or it resumed a checkpoint written
    before (`blas_cores` starts "unrecorded"); on this machine all those steps ran on the fallback "Prescott" ones."""
    return ("blas_core" not in row or row.get("blas_core_suggested") is not None
            or "unrecorded" in row.get("blas_cores", []))


def rerun_for_blas(row):
    """Whether `--rerun-generic-blas` runs a recorded cell again: a baseline's run on the fallback kernels (PSF-Attn's
    step takes the same time on either, blas-kernels.md, so its cells stand)."""
    return row.get("model") != "psf" and generic_blas(row)


# The mark of such a run's cell, and the sentence that explains it under a table.
GENERIC_BLAS_MARK = "ᵍ"
GENERIC_BLAS_NOTE = ("`ᵍ`: run on OpenBLAS's generic pre-AVX2 kernels (every run before 2026-12-07 on this machine): a training "
                     "step at N = 1024 then takes 1.1–1.2× the CPU time for the Transformer, 1.7–2.0× Linformer, 1.2–1.4× "
                     "Performer, 2.0× ChordMixer, 1.1× Paramixer and 1.0× PSF-Attn "
                     "(results/attention/blas-kernels.md), so under a CPU budget those baselines made "
                     "fewer steps than the machine allows. Runs now start with `OPENBLAS_CORETYPE` set (`runs.blas_environment`), "
                     "and `--rerun-generic-blas` runs a baseline's marked cell again.")


def run_train(cmd, rid, checkpoint, deadline=None, env=None):
    """Runs one `train --json` command; returns (its summary line, seconds), ({"status": "failed",
    "error": ...}, seconds) when it fails, or None when the session's deadline (a time.time() value)
    stops it first: its checkpoint is kept for the next session."""
    if deadline is not None and deadline - time.time() < 60:
        return None
    start = time.time()
    # The run's JSON lines (one per epoch) and its progress lines (standard error: step, loss, ETA once a
    # minute) are appended to RUN.log beside its checkpoint as they come, so `tail -f` shows where it is and an
    # unfinished run's curve survives the session with its checkpoint (the log goes when the run is recorded).
    log_path = checkpoint[:-len(".ckpt")] + ".log" if checkpoint.endswith(".ckpt") else checkpoint + ".log"
    lines, stderr, expired, writing = [], [], threading.Event(), threading.Lock()
    with open(log_path, "a") as log, subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                                      text=True, env=env) as child:
        def expire():
            expired.set()
            child.kill()
        timer = threading.Timer(deadline - time.time(), expire) if deadline is not None else None
        if timer:
            timer.start()
        def append(line):
            with writing:
                log.write(line)
                log.flush()

        def drain_stderr():   # progress lines and errors
            for line in child.stderr:
                stderr.append(line)
                append(line)
        drain = threading.Thread(target=drain_stderr, daemon=True)
        drain.start()
        print(f"{rid}: started {time.strftime('%H:%M:%S')}: {' '.join(cmd[1:])}", flush=True)
        for line in child.stdout:
            if line.startswith("{"):
                lines.append(line)
                append(line)
                progress_line(rid, line, start)
        child.wait()
        drain.join()
        if timer:
            timer.cancel()
    if expired.is_set():
        print(f"{rid}: stopped for the session's time limit; resumes from {checkpoint}", flush=True)
        return None
    summary = json.loads(lines[-1]) if lines else {}
    if child.returncode != 0 or summary.get("event") != "summary":
        return {"status": "failed", "error": summary.get("error") or "".join(stderr)[-300:]}, time.time() - start
    return summary, time.time() - start


def progress_line(rid, line, start):
    """One plain line per epoch in the sweep's own log: where a long run is, without opening RUN.log."""
    try:
        event = json.loads(line)
    except ValueError:
        return
    if event.get("event") != "epoch":
        return
    def pct(key):
        return f"{100 * event[key]:.2f}%" if isinstance(event.get(key), (int, float)) else "–"
    print(f"{rid}: epoch {event.get('epoch')} of {event.get('epochs')}, step {event.get('steps')}, train {pct('train_accuracy')}, "
          f"validation {pct('val_accuracy')}, {(time.time() - start) / 60:.1f} min", flush=True)


def record(path, out_dir, row):
    """Appends a finished run's line and removes its checkpoint and log (its result is in runs.jsonl)."""
    with open(path, "a") as f:
        f.write(json.dumps(row, sort_keys=True) + "\n")
    for suffix in (".ckpt", ".log"):
        leftover = os.path.join(out_dir, "checkpoints", row["run"] + suffix)
        if row["status"] != "failed" and os.path.exists(leftover):
            os.remove(leftover)


def finished(rows, rid, rerun_generic_blas=False):
    """Whether a run is done (a failed run is tried again; its new line supersedes the old one); with
    `rerun_generic_blas`, a baseline's run on OpenBLAS's fallback kernels is not (`rerun_for_blas`)."""
    previous = rows.get(rid)
    return bool(previous) and previous["status"] != "failed" and not (rerun_generic_blas and rerun_for_blas(previous))
