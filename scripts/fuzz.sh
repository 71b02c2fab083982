#!/usr/bin/env bash
# Fuzzes every reader with libFuzzer for SECONDS each (default 20), two at a time, and fails on any
# crash, trap, leak (AddressSanitizer), hang (10 s per input) or allocation past 2 GiB. The library's
# own memory limit is lowered to 512 MiB (SPARSEFACTOR_MEMORY_LIMIT), so an input announcing a huge
# matrix must be refused, not allocated. The committed seeds (Fuzz/corpus/TARGET) are copied, never
# changed; findings go to Fuzz/findings/ (not committed: turn each into a regression input under
# Fuzz/regressions/TARGET/, which the normal test suite reads).
# Usage: scripts/fuzz.sh [SECONDS | --runs N] [TARGET ...]
# With SECONDS, libFuzzer explores with a fresh random seed each time (for finding new inputs).
# With --runs N, each target runs exactly N inputs from seed FUZZ_SEED (default 1): the same
# inputs on every machine, so a CI result is reproducible (CI uses this form).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
budget=(-max_total_time="${1:-20}")
label="${1:-20} s each"
if [ "${1:-}" = "--runs" ]; then
    [[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || { echo "fuzz: --runs needs a positive count, got '${2:-}'" >&2; exit 64; }
    budget=(-runs="$2" -seed="${FUZZ_SEED:-1}")
    label="$2 inputs each from seed ${FUZZ_SEED:-1}"
    shift 2
elif [ $# -gt 0 ]; then
    [[ "$1" =~ ^[1-9][0-9]*$ ]] || { echo "fuzz: expected SECONDS or --runs N, got '$1'" >&2; exit 64; }
    shift
fi
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(npy png mtx csv edgelist directed-edgelist off ply knuth-miles roget gzip factorfile checkpoint idx images documents listops)
echo "fuzz: building the harness (swift build --sanitize fuzzer --sanitize address)"
# Swift code needs its coverage kind named: libFuzzer reads inline 8-bit counters and PC tables
# (the trace-pc-guard kind that swiftc picks otherwise is no longer supported by it).
swift build --package-path "$root/Fuzz" --sanitize fuzzer --sanitize address \
    -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp 2>&1 | tail -n 1
binary="$root/Fuzz/.build/debug/sparsefactor-fuzz"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
findings="$root/Fuzz/findings"
mkdir -p "$findings"

run_one() {
    local target="$1" corpus="$work/corpus-$1"
    mkdir -p "$corpus"
    local seeds="$root/Fuzz/corpus/$target"
    [ -d "$seeds" ] || seeds="$root/Fuzz/corpus/${target#directed-}"
    cp "$seeds"/* "$corpus/"
    [ -d "$root/Fuzz/regressions/$target" ] && cp "$root/Fuzz/regressions/$target"/* "$corpus/" 2>/dev/null || true
    SF_FUZZ_TARGET="$target" SWIFT_BACKTRACE=enable=no SPARSEFACTOR_MEMORY_LIMIT=512M \
        ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
        "$binary" "$corpus" "${budget[@]}" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 \
        -max_len=65536 -print_final_stats=1 -artifact_prefix="$findings/$target-" >"$work/$target.log" 2>&1
}

pids=()
names=()
status=0
for target in "${targets[@]}"; do
    run_one "$target" &
    pids+=($!)
    names+=("$target")
    if [ ${#pids[@]} -ge 2 ]; then
        wait "${pids[0]}" || echo "${names[0]}" >>"$work/failed"
        pids=("${pids[@]:1}")
        names=("${names[@]:1}")
    fi
done
for i in "${!pids[@]}"; do wait "${pids[$i]}" || echo "${names[$i]}" >>"$work/failed"; done

printf "%-18s %12s %8s %8s %8s  %s\n" target executions cov ft corpus result
for target in "${targets[@]}"; do
    log="$work/$target.log"
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 || true)
    cov=$(echo "$done_line" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
    ft=$(echo "$done_line" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
    corp=$(echo "$done_line" | sed -n 's/.*corp: \([0-9]*\).*/\1/p')
    result=ok
    if [ -f "$work/failed" ] && grep -qx "$target" "$work/failed"; then
        result="FAILED: $(grep -m1 -E 'ERROR: |==ERROR|Fatal error|deadly signal|timeout|out-of-memory' "$log" || echo 'see log')"
        status=1
        cp "$log" "$findings/$target.log"
    fi
    printf "%-18s %12s %8s %8s %8s  %s\n" "$target" "${runs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$result"
done
if [ $status -ne 0 ]; then
    echo "fuzz: FAILED: findings and logs are in $findings" >&2
    exit 1
fi
echo "fuzz: OK (${#targets[@]} harnesses, $label, no crash, leak, hang or runaway allocation)"
