#!/usr/bin/env bash
# Builds the DocC documentation of every library module (swift-docc-plugin) and fails on a symbol
# link DocC cannot resolve. The archives land in .build/plugins/Swift-DocC/outputs/.
set -euo pipefail
cd "$(dirname "$0")/.."
modules=(SparseFactorCore SparseFactorFitting SparseFactorIO SparseFactorNN SparseFactorAttention SparseFactor SparseFactorDistributed)
args=()
for m in "${modules[@]}"; do args+=(--target "$m"); done
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! swift package generate-documentation "${args[@]}" >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "docs: FAILED: swift package generate-documentation did not finish" >&2
    exit 1
fi
if grep -E "doesn't exist at|can't be resolved|is ambiguous" "$log" >&2; then
    echo "docs: FAILED: unresolved symbol links (above)" >&2
    exit 1
fi
for m in "${modules[@]}"; do
    [ -d ".build/plugins/Swift-DocC/outputs/$m.doccarchive" ] || { echo "docs: FAILED: no archive for $m" >&2; exit 1; }
done
echo "docs: OK (${#modules[@]} DocC archives in .build/plugins/Swift-DocC/outputs, every symbol link resolved)"
