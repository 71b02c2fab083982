"""What the training sweeps share (lengths.py, ../lra/lra.py): runs.jsonl as a dict of the latest line
of every run, one `sparsefactor train --json` run within the session's deadline, and recording a
finished run (its line appended, its checkpoint removed)."""
import json
import os
import subprocess
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


def run_train(cmd, rid, checkpoint, deadline=None):
    """Runs one `train --json` command; returns (its summary line, seconds), ({"status": "failed",
    "error": ...}, seconds) when it fails, or None when the session's deadline (a time.time() value)
    stops it first: its checkpoint is kept for the next session."""
    if deadline is not None and deadline - time.time() < 60:
        return None
    start = time.time()
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=(deadline - time.time()) if deadline else None)
    except subprocess.TimeoutExpired:
        print(f"{rid}: stopped for the session's time limit; resumes from {checkpoint}", flush=True)
        return None
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    summary = json.loads(lines[-1]) if lines else {}
    if done.returncode != 0 or summary.get("event") != "summary":
        return {"status": "failed", "error": summary.get("error") or done.stderr[-300:]}, time.time() - start
    return summary, time.time() - start


def record(path, out_dir, row):
    """Appends a finished run's line and removes its checkpoint (its result is in runs.jsonl)."""
    with open(path, "a") as f:
        f.write(json.dumps(row, sort_keys=True) + "\n")
    checkpoint = os.path.join(out_dir, "checkpoints", row["run"] + ".ckpt")
    if row["status"] != "failed" and os.path.exists(checkpoint):
        os.remove(checkpoint)


def finished(rows, rid):
    """Whether a run is done (a failed run is tried again; its new line supersedes the old one)."""
    previous = rows.get(rid)
    return bool(previous) and previous["status"] != "failed"
