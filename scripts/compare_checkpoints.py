#!/usr/bin/env python3
"""Compares training checkpoints (SFCK container) bit for bit, except for the clock readings they
record (train, CPU and evaluation seconds), which no two runs share. Exits 0 when every tensor's bytes
and every other header field are equal, 1 (naming the first difference) otherwise.

    python3 scripts/compare_checkpoints.py A.ckpt B.ckpt [C.ckpt ...]
"""
import json
import struct
import sys

MAGIC = b"\x89SFCK\r\n\x1a"


def read(path):
    data = open(path, "rb").read()
    if data[:8] != MAGIC:
        sys.exit(f"{path}: not a sparsefactor checkpoint")
    (length,) = struct.unpack_from("<Q", data, 12)
    header = json.loads(data[20:20 + length])
    return header, data[20 + length:-4]   # the tensors' bytes, without the checksum


def without_clocks(value):
    if isinstance(value, dict):
        return {k: without_clocks(v) for k, v in value.items() if "seconds" not in k}
    if isinstance(value, list):
        return [without_clocks(v) for v in value]
    return value


def first_difference(a, b, path=""):
    if type(a) is not type(b):
        return path or "/"
    if isinstance(a, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                return f"{path}/{key}"
            found = first_difference(a[key], b[key], f"{path}/{key}")
            if found:
                return found
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return path
        for i, (x, y) in enumerate(zip(a, b)):
            found = first_difference(x, y, f"{path}[{i}]")
            if found:
                return found
        return None
    return None if a == b else path


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    reference_header, reference_tensors = read(sys.argv[1])
    reference_header = without_clocks(reference_header)
    for other in sys.argv[2:]:
        header, tensors = read(other)
        where = first_difference(reference_header, without_clocks(header))
        if where:
            print(f"{other} differs from {sys.argv[1]} in its header at {where}")
            sys.exit(1)
        if tensors != reference_tensors:
            at = next(i for i, (x, y) in enumerate(zip(tensors, reference_tensors)) if x != y) if len(tensors) == len(reference_tensors) else "length"
            print(f"{other} differs from {sys.argv[1]} in its tensors (byte {at})")
            sys.exit(1)
    print(f"{len(sys.argv) - 1} checkpoints equal (parameters, optimizer state, progress; clocks aside)")


if __name__ == "__main__":
    main()
