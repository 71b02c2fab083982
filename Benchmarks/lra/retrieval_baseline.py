#!/usr/bin/env python3
"""A non-neural reference point for the Retrieval task: how far plain word overlap gets.

Each document of a pair becomes a TF-IDF vector of its words (IDF from the training split's documents);
a pair is called linked when the two vectors' cosine similarity is above a threshold, the threshold that
is best on the validation split. Prints the validation and test accuracy, and with --json one JSON line.
It reads the same split files as the models (`sparsefactor data retrieval`, see lra.py), so it sees the
same 4,000 bytes of each page.

    python3 Benchmarks/lra/retrieval_baseline.py [--data-dir data/lra-files] [--json]
"""
import argparse
import collections
import json
import math
import os
import re

WORD = re.compile(rb"[A-Za-z_][A-Za-z0-9_]+")


def unescape(field):
    out, i = bytearray(), 0
    while i < len(field):
        b = field[i]
        if b == 0x5C and i + 1 < len(field):
            out.append({0x5C: 0x5C, 0x74: 0x09, 0x6E: 0x0A}[field[i + 1]])
            i += 2
        else:
            out.append(b)
            i += 1
    return bytes(out)


def read_pairs(path):
    """[(label, text1, text2)] of an LRA Retrieval TSV (label, id1, id2, text1, text2)."""
    pairs = []
    with open(path, "rb") as f:
        for line in f:
            fields = line.rstrip(b"\n").split(b"\t")
            pairs.append((int(float(fields[0])), unescape(fields[3]), unescape(fields[4])))
    return pairs


def words(text):
    return collections.Counter(w.lower() for w in WORD.findall(text))


def vectorizer(train):
    documents = [words(t) for _, a, b in train for t in (a, b)]
    df = collections.Counter(w for d in documents for w in d)
    n = len(documents)
    idf = {w: math.log((1 + n) / (1 + c)) + 1 for w, c in df.items()}

    def vector(text):
        v = {w: c * idf.get(w, math.log(1 + n) + 1) for w, c in words(text).items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        return {w: x / norm for w, x in v.items()}
    return vector


def similarities(pairs, vector):
    out = []
    for label, a, b in pairs:
        va, vb = vector(a), vector(b)
        if len(va) > len(vb):
            va, vb = vb, va
        out.append((sum(x * vb.get(w, 0.0) for w, x in va.items()), label))
    return out


def accuracy(scored, threshold):
    return sum((s > threshold) == (label == 1) for s, label in scored) / len(scored)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default="data/lra-files")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    split = {s: read_pairs(os.path.join(args.data_dir, f"retrieval-{s}.tsv")) for s in ("train", "validation", "test")}
    vector = vectorizer(split["train"])
    validation = similarities(split["validation"], vector)
    test = similarities(split["test"], vector)
    candidates = sorted({s for s, _ in validation})
    best = max(candidates, key=lambda t: accuracy(validation, t))
    result = {"event": "retrieval_baseline", "method": "TF-IDF cosine of words, threshold best on validation",
              "threshold": best, "val_accuracy": accuracy(validation, best), "test_accuracy": accuracy(test, best),
              "train_pairs": len(split["train"]), "validation_pairs": len(validation), "test_pairs": len(test)}
    if args.json:
        print(json.dumps(result, sort_keys=True))
    else:
        print(f"TF-IDF cosine, threshold {best:.4f} (best on validation): validation {100 * result['val_accuracy']:.2f}%, "
              f"test {100 * result['test_accuracy']:.2f}%")


if __name__ == "__main__":
    main()
