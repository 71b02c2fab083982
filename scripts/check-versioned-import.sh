#!/usr/bin/env bash
# Checks what a user who depends on SparseFactor *by version* gets. Clones the committed HEAD into a
# temporary folder, tags it with the library's version, and builds two consumer packages against it:
#   1. scripts/consumers/core: depends on SparseFactorCore alone. It must build without unsafe flags,
#      run the kernels on 2 threads (OMP_NUM_THREADS=2), link no libpng, build no swift-argument-parser,
#      and fail to compile a file that uses Tensor (the NN engine is another product).
#   2. the README: its Package.swift block is the consumer's manifest, as written but for the URL,
#      and every other ```swift block of the README is compiled as a target of its own.
#   3. scripts/consumers/distributed: depends on SparseFactorDistributed and SparseFactorFitting; run under
#      mpirun with 1, 2 and 3 ranks, every rank must print the same fit (error and factors' checksum).
# Usage: scripts/check-versioned-import.sh [core|readme|distributed]   (all three by default)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
what="${1:-all}"
version="$(sed -n 's/.*public static let string = "\(.*\)".*/\1/p' "$root/Sources/SparseFactorCore/Version.swift")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
git clone -q "$root" "$work/SparseFactor"
git -C "$work/SparseFactor" -c user.name=check -c user.email=check@localhost tag "$version"
fail() { echo "versioned import: FAILED: $*" >&2; exit 1; }

# make_consumer NAME: scripts/consumers/NAME as a package in $work/NAME, depending on this clone by version.
make_consumer() {
    mkdir -p "$work/$1"
    cp -r "$root/scripts/consumers/$1/Sources" "$work/$1/"
    sed "s|@LIBRARY@|$work/SparseFactor|; s|@VERSION@|$version|" "$root/scripts/consumers/$1/Package.swift.in" > "$work/$1/Package.swift"
}

check_core() {
    local consumer="$work/core"
    make_consumer core
    echo "versioned import: building a consumer of SparseFactorCore $version (from: \"$version\")"
    swift build -c release --package-path "$consumer" --product CoreConsumer 2>&1 | tail -n 1
    local binary="$consumer/.build/release/CoreConsumer"
    local out
    out="$(OMP_NUM_THREADS=2 "$binary")"
    echo "$out"
    case "$out" in *"threads=2 "*) ;; *) fail "the kernels did not run on 2 threads" ;; esac
    if ldd "$binary" | grep -q libpng; then fail "a SparseFactorCore consumer links libpng"; fi
    if ldd "$binary" | grep -q libmpi; then fail "a SparseFactorCore consumer links MPI"; fi
    echo "versioned import: the Core consumer links no libpng and no MPI"
    # SwiftPM lays out a folder for every target of the graph; only the built ones hold objects.
    for target in ArgumentParser SparseFactorCLI SparseFactorIO SparseFactorNN SparseFactorAttention SparseFactorDistributed CSparseFactorMPI; do
        if [ -n "$(find "$consumer/.build/release/$target.build" -name '*.o' 2>/dev/null | head -n 1)" ]; then
            fail "a SparseFactorCore consumer built $target"
        fi
    done
    echo "versioned import: swift-argument-parser was resolved but not built, nor any module beyond Core"
    local log="$work/cannot-see-nn.log"
    if swift build -c release --package-path "$consumer" --product CoreCannotSeeNN >"$log" 2>&1; then
        fail "a SparseFactorCore consumer compiled code that uses Tensor"
    fi
    grep -q "cannot find 'Tensor' in scope" "$log" || { cat "$log" >&2; fail "CoreCannotSeeNN failed for another reason than the missing Tensor"; }
    echo "versioned import: OK (SparseFactorCore alone builds without unsafe flags, runs on 2 threads, cannot see Tensor)"
}

check_readme() {
    local consumer="$work/readme"
    mkdir -p "$consumer"
    python3 "$root/scripts/readme_blocks.py" "$root/README.md" "$consumer" "$work/SparseFactor"
    echo "README blocks: building them in a consumer of SparseFactor $version (from: \"$version\")"
    local log="$work/readme.log"
    if ! swift build --package-path "$consumer" >"$log" 2>&1; then
        grep -E "error:" "$log" >&2 || tail -n 40 "$log" >&2
        fail "a README block does not compile (blocks are in $consumer/Sources/ReadmeBlock*, numbered from the top)"
    fi
    tail -n 1 "$log"
    echo "README blocks: OK (every swift block of README.md compiles as written)"
}

check_distributed() {
    local consumer="$work/distributed"
    make_consumer distributed
    echo "versioned import: building a consumer of SparseFactorDistributed $version (from: \"$version\")"
    swift build -c release --package-path "$consumer" --product DistributedConsumer 2>&1 | tail -n 1
    local binary="$consumer/.build/release/DistributedConsumer" lines
    for np in 1 2 3; do
        lines="$(mpirun --allow-run-as-root --oversubscribe -np "$np" "$binary" | sed 's/rank [0-9]* of/rank of/' | sort -u)"
        echo "$lines"
        [ "$(printf '%s\n' "$lines" | wc -l)" -eq 1 ] || fail "the ranks of a $np-rank run disagree"
        case "$lines" in *"of $np:"*) ;; *) fail "the consumer did not run on $np ranks" ;; esac
        local result="${lines#*"of $np:"}"
        [ -n "${first:-}" ] || first="$result"
        [ "$result" = "$first" ] || fail "a $np-rank fit differs from the 1-rank fit"
    done
    echo "versioned import: OK (SparseFactorDistributed builds by version; fits under mpirun -np 1, 2, 3 agree bit for bit)"
}

case "$what" in
    core) check_core ;;
    readme) check_readme ;;
    distributed) check_distributed ;;
    all) check_core; check_readme; check_distributed ;;
    *) echo "usage: $0 [core|readme|distributed]" >&2; exit 64 ;;
esac
