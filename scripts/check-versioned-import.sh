#!/usr/bin/env bash
# Checks that a package depending on SparseFactor *by version* builds and runs the kernels
# multi-threaded: clones the committed HEAD into a temporary folder, tags it 0.1.0, builds
# scripts/versioned-consumer against it, and runs it with OMP_NUM_THREADS=2.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
git clone -q "$root" "$work/library"
git -C "$work/library" -c user.name=check -c user.email=check@localhost tag 0.1.0
mkdir -p "$work/consumer"
cp -r "$root/scripts/versioned-consumer/Sources" "$work/consumer/"
sed "s|@LIBRARY@|$work/library|" "$root/scripts/versioned-consumer/Package.swift.in" > "$work/consumer/Package.swift"
echo "versioned import: building a consumer of SparseFactor 0.1.0 (from: \"0.1.0\")"
swift build -c release --package-path "$work/consumer" 2>&1 | tail -n 1
out="$(OMP_NUM_THREADS=2 "$work/consumer/.build/release/Consumer")"
echo "$out"
case "$out" in
    *"threads=2 "*) echo "versioned import: OK (built without unsafe flags, kernels ran on 2 threads)" ;;
    *) echo "versioned import: FAILED, the kernels did not run on 2 threads" >&2; exit 1 ;;
esac
