#!/usr/bin/env bash
# Sets up the machine, builds the command line and runs its demo: a sparse factorization of
# an embedded default matrix, compared with a truncated SVD of the same budget.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product sparsefactor
.build/release/sparsefactor demo "$@"
