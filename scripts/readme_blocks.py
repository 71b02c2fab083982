#!/usr/bin/env python3
"""Turns README.md's ```swift blocks into a consumer package (scripts/check-versioned-import.sh readme).

The block that starts with `// swift-tools-version` is the consumer's Package.swift, as written, except
that the repository URL (https://github.com/<you>/SparseFactor.git) becomes the local clone. Every
other block becomes the main.swift of an executable target ReadmeBlockK (K counts the README's swift
blocks from 1) that depends on every library product, so each block compiles exactly as written.
Usage: readme_blocks.py README.md CONSUMER_DIR LIBRARY_CLONE
"""
import os
import re
import sys

readme, consumer, library = sys.argv[1:4]
blocks = re.findall(r"^```swift\n(.*?)^```", open(readme, encoding="utf-8").read(), flags=re.S | re.M)
manifests = [b for b in blocks if b.startswith("// swift-tools-version")]
if len(manifests) != 1:
    sys.exit(f"README blocks: expected one Package.swift block, found {len(manifests)}")
url = "https://github.com/<you>/SparseFactor.git"
manifest = manifests[0]
if url not in manifest:
    sys.exit(f"README blocks: the Package.swift block does not name {url}")
manifest = manifest.replace(url, library)
targets = re.findall(r'\.executableTarget\(\s*name:\s*"([^"]+)"', manifest)
products = ["SparseFactor", "SparseFactorCore", "SparseFactorFitting", "SparseFactorIO", "SparseFactorNN", "SparseFactorAttention"]
dependencies = ", ".join(f'.product(name: "{p}", package: "SparseFactor")' for p in products)
os.makedirs(consumer, exist_ok=True)
for name in targets:
    os.makedirs(f"{consumer}/Sources/{name}", exist_ok=True)
    with open(f"{consumer}/Sources/{name}/main.swift", "w") as f:
        f.write("import SparseFactor\nprint(SparseFactorVersion.string)\n")
count = 0
for index, block in enumerate(blocks, start=1):
    if block is manifests[0]:
        continue
    name = f"ReadmeBlock{index}"
    os.makedirs(f"{consumer}/Sources/{name}", exist_ok=True)
    with open(f"{consumer}/Sources/{name}/main.swift", "w") as f:
        f.write(block)
    manifest += f'\npackage.targets.append(.executableTarget(name: "{name}", dependencies: [{dependencies}]))\n'
    count += 1
with open(f"{consumer}/Package.swift", "w") as f:
    f.write(manifest)
print(f"README blocks: the manifest and {count} code blocks")
