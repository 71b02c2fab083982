#!/usr/bin/env python3
"""Checks that every target of Sanitize/Package.swift is declared as in Package.swift.

A manifest cannot import another, so Sanitize/ repeats the declarations of the targets it builds
(dependencies, excludes, settings, linked libraries). This compares the two dumped manifests
target by target, apart from the path, and fails naming the first field that differs.
Usage: scripts/check_sanitize_manifest.py ROOT
"""
import json
import subprocess
import sys


def targets(package_path):
    dumped = subprocess.run(["swift", "package", "dump-package", "--package-path", package_path],
                            check=True, capture_output=True, text=True).stdout
    return {t["name"]: t for t in json.loads(dumped)["targets"]}


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    package, sanitize = targets(root), targets(f"{root}/Sanitize")
    problems = []
    for name, declared in sanitize.items():
        if name not in package:
            problems.append(f"{name}: in Sanitize/Package.swift but not in Package.swift")
            continue
        for field in sorted(set(declared) | set(package[name])):
            if field == "path":
                continue
            if declared.get(field) != package[name].get(field):
                problems.append(f"{name}.{field}: Package.swift has {json.dumps(package[name].get(field))}, "
                                f"Sanitize/Package.swift has {json.dumps(declared.get(field))}")
    if problems:
        print("sanitize manifest: the targets differ from Package.swift's:\n  " + "\n  ".join(problems), file=sys.stderr)
        sys.exit(1)
    print(f"sanitize manifest: {len(sanitize)} targets declared as in Package.swift")


if __name__ == "__main__":
    main()
