#!/usr/bin/env python3
"""Is our Pathfinder learnable? A small convolutional network (PyTorch) on the same split files as the
sequence models, under the same budget of CPU seconds on one thread.

A CNN sees the image as an image (neighbouring pixels are neighbours), which is the easy way to follow a
contour: where the sequence models of the LRA-style suite stay at chance on Pathfinder (lra.md) and a CNN does
not, reading the image as a sequence is what holds them back; where it stays at 50% too, the budget or the data
are (the labels can be checked against the pixels, as the package's tests do). On the first generator's
images (r1, denser than LRA's) it stayed at 50% in every setting tried (results/lra/pathfinder-r1/). Four 3×3 convolutions (32, 32, 64, 64
channels, ReLU, a 2×2 max-pool after the second and the fourth), a linear layer of 128 and two classes;
Adam (lr 1e-3), batch 64; trained by epochs until the budget is spent, then scored on the validation and
test splits. PyTorch is not a dependency of the package: install it in a venv
(`python3 -m venv V && V/bin/pip install torch numpy`).

    V/bin/python Benchmarks/lra/pathfinder_cnn.py [--data-dir data/lra-files] [--budget 600] [--json]

Reads PREFIX-train.npy, -validation.npy and -test.npy (PREFIX: pathfinder-r2, the current generator's files) (`sparsefactor data pathfinder`, labelled-image .npy:
uint8 rows of label then 32×32 pixels; lra.py writes them) and, with --out, writes the result as JSON.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
from torch import nn


def load(path):
    rows = np.load(path)
    side = int(round((rows.shape[1] - 1) ** 0.5))
    if rows.ndim != 2 or side * side != rows.shape[1] - 1:
        sys.exit(f"{path}: expected rows of a label and a square image, got shape {rows.shape}")
    images = torch.from_numpy(rows[:, 1:].astype(np.float32) / 255.0).reshape(-1, 1, side, side)
    return images, torch.from_numpy(rows[:, 0].astype(np.int64))


def model(side):
    return nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(64 * (side // 4) ** 2, 128), nn.ReLU(), nn.Linear(128, 2))


def accuracy(net, images, labels):
    net.eval()
    with torch.no_grad():
        correct = sum(int((net(images[i:i + 500]).argmax(1) == labels[i:i + 500]).sum()) for i in range(0, len(labels), 500))
    net.train()
    return correct / len(labels)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default="data/lra-files")
    parser.add_argument("--prefix", default="pathfinder-r2", help="split files PREFIX-train.npy etc. (pathfinder-6-r2: the easy set)")
    parser.add_argument("--train-file", help="another training file (e.g. pathfinder-train-160000.npy, the longer runs')")
    parser.add_argument("--budget", type=float, default=600, help="CPU seconds of training (one thread)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", help="write the result here as JSON")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    train_file = args.train_file or f"{args.prefix}-train.npy"
    train = load(os.path.join(args.data_dir, train_file))
    validation, test = (load(os.path.join(args.data_dir, f"{args.prefix}-{split}.npy")) for split in ("validation", "test"))
    net = model(train[0].shape[-1])
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(args.seed)
    start, steps, epochs, history = time.process_time(), 0, 0, []
    while time.process_time() - start < args.budget:
        order = torch.randperm(len(train[1]), generator=generator)
        for i in range(0, len(order), 64):
            batch = order[i:i + 64]
            optimizer.zero_grad()
            loss_fn(net(train[0][batch]), train[1][batch]).backward()
            optimizer.step()
            steps += 1
            if time.process_time() - start >= args.budget:
                break
        epochs += 1
        history.append({"epoch": epochs, "steps": steps, "val_accuracy": accuracy(net, *validation)})
        print(f"epoch {epochs}: {steps} steps, validation {100 * history[-1]['val_accuracy']:.2f}%, "
              f"{time.process_time() - start:.0f} CPU s", file=sys.stderr, flush=True)
    result = {"model": "cnn (4 conv 3x3, 32-32-64-64, 2 max-pools, linear 128)", "data": train_file,
              "params": sum(p.numel() for p in net.parameters()), "train_size": len(train[1]), "budget_cpu_seconds": args.budget,
              "train_cpu_seconds": time.process_time() - start, "steps": steps, "epochs": epochs, "batch": 64, "threads": 1,
              "val_accuracy": accuracy(net, *validation), "test_accuracy": accuracy(net, *test), "epochs_history": history,
              "torch": torch.__version__,
              "command": "Benchmarks/lra/pathfinder_cnn.py " + " ".join(sys.argv[1:])}
    print(f"test {100 * result['test_accuracy']:.2f}%, validation {100 * result['val_accuracy']:.2f}% after {steps} steps")
    if args.json:
        print(json.dumps(result, sort_keys=True))
    if args.out:
        with open(args.out + ".tmp", "w") as f:
            json.dump(result, f, indent=1, sort_keys=True)
        os.replace(args.out + ".tmp", args.out)


if __name__ == "__main__":
    main()
