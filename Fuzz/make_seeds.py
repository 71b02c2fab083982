#!/usr/bin/env python3
"""Writes the small seed corpora of the fuzz harnesses (Fuzz/corpus/<target>/), from the standard
library only. The factor-file and checkpoint seeds come from the command line (scripts/fuzz.sh makes
them when they are missing). Usage: python3 Fuzz/make_seeds.py"""
import gzip
import os
import struct
import zlib

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def put(target, name, data):
    os.makedirs(os.path.join(root, target), exist_ok=True)
    with open(os.path.join(root, target, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def npy(descr, shape, payload, fortran=False, major=1):
    header = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (descr, fortran, shape)
    prefix = 10 if major == 1 else 12
    header += " " * ((64 - (prefix + len(header) + 1) % 64) % 64) + "\n"
    length = struct.pack("<H", len(header)) if major == 1 else struct.pack("<I", len(header))
    return b"\x93NUMPY" + bytes([major, 0]) + length + header.encode("latin1") + payload


put("npy", "f8.npy", npy("<f8", "(2, 3)", struct.pack("<6d", 1, 2, 3, 4, 5, 6)))
put("npy", "f4-fortran.npy", npy("<f4", "(2, 2)", struct.pack("<4f", 1, 2, 3, 4), fortran=True))
put("npy", "i4-vector.npy", npy("<i4", "(3,)", struct.pack("<3i", 7, -1, 0), major=2))
put("npy", "u1-big.npy", npy(">u2", "(1, 2)", struct.pack(">2H", 1, 65535)))


def png(width, height, color_type, bit_depth, rows):
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + row for row in rows)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


put("png", "gray8.png", png(4, 3, 0, 8, [bytes([0, 64, 128, 255])] * 3))
put("png", "rgb8.png", png(2, 2, 2, 8, [bytes([255, 0, 0, 0, 255, 0]), bytes([0, 0, 255, 9, 9, 9])]))
put("png", "gray16.png", png(2, 1, 0, 16, [struct.pack(">2H", 0, 65535)]))

put("gzip", "text.gz", gzip.compress(b"0 1\n1 2\n2 0\n", mtime=0))
put("gzip", "two-members.gz", gzip.compress(b"a,b\n", mtime=0) + gzip.compress(b"1,2\n", mtime=0))
put("gzip", "zlib.z", zlib.compress(b"%%MatrixMarket matrix array real general\n1 1\n1\n"))

put("mtx", "coordinate.mtx", "%%MatrixMarket matrix coordinate real general\n% c\n3 3 3\n1 1 1.5\n2 3 -2\n3 2 4\n")
put("mtx", "symmetric.mtx", "%%MatrixMarket matrix coordinate integer symmetric\n2 2 2\n1 1 3\n2 1 1\n")
put("mtx", "pattern.mtx", "%%MatrixMarket matrix coordinate pattern general\n2 2 2\n1 2\n2 1\n")
put("mtx", "array.mtx", "%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n4\n")

put("csv", "table.csv", "x,y,z\n1,2,3\n4.5,-6,7e2\n")
put("csv", "plain.csv", "1,2\n3,4\n")
put("csv", "tabs.tsv", "a\tb\n1\t2\n")

put("edgelist", "numbers.txt", "# edges\n0 1\n1 2 0.5\n2 0\n")
put("edgelist", "labels.txt", "alice bob\nbob carol 2\n")
put("edgelist", "commas.csv", "1,2\n2,3\n")

put("off", "tetra.off", "OFF\n4 4 6\n0 0 0\n1 0 0\n0 1 0\n0 0 1\n3 0 1 2\n3 0 1 3\n3 0 2 3\n3 1 2 3\n")
put("off", "noff.off", "nOFF\n3\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n")

put("ply", "ascii.ply", "ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\nproperty float z\n"
    "element face 1\nproperty list uchar int vertex_indices\nend_header\n0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n")
body = b"".join(struct.pack("<3f", *p) for p in [(0, 0, 0), (1, 0, 0), (0, 1, 0)]) + bytes([3]) + struct.pack("<3i", 0, 1, 2)
put("ply", "binary.ply", b"ply\nformat binary_little_endian 1.0\nelement vertex 3\nproperty float x\nproperty float y\n"
    b"property float z\nelement face 1\nproperty list uchar int vertex_indices\nend_header\n" + body)

put("knuth-miles", "miles.dat", '* File "miles.dat" from the Stanford GraphBase\nYoungstown, OH[4110,8065]115436\n'
    "Yankton, SD[4288,9739]12011\n966\nYakima, WA[4660,12051]49826\n1513 2410\n* End of file\n")
put("roget", "roget.dat", "* Roget\n1existence:2 3 1\n2inexistence:1 \\\n 3\n3substantiality:\n")
print("seeds written to", root)


# The tasks' data files (LRA-style suite).
def idx(dtype, dims, payload):
    return bytes([0, 0, dtype, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + payload


put("idx", "images-2x3x3.idx", idx(0x08, [2, 3, 3], bytes(range(18))))
put("idx", "labels-4.idx", idx(0x08, [4], bytes([0, 9, 3, 1])))
put("idx", "images.idx.gz", gzip.compress(idx(0x08, [1, 2, 2], bytes([1, 2, 3, 4])), mtime=0))
put("images", "two-2x2.npy", npy("|u1", "(2, 5)", bytes([3, 0, 64, 128, 255, 9, 1, 2, 3, 4])))
put("images", "one-3x3.npy", npy("|u1", "(1, 10)", bytes([1] + list(range(9)))))
put("documents", "two.tsv", "Source\tTarget\ngood\\tvalue\\n\\\\ok\t1\nbad\t0\n")
put("documents", "utf8.tsv", "Source\tTarget\n\u4ef7\u683c\u4fbf\u5b9c\t1\n")
put("listops", "lra.tsv", "Source\tTarget\n( ( ( ( [MIN 3 ) ( ( ( [MAX 8 ) 1 ) ] ) ) 5 ) ] )\t3\n")
put("listops", "plain.tsv", "Source\tTarget\n[SM 9 9 [MAX 3 4 ] ]\t2\n[MED 1 2 7 8 ]\t4\n")
