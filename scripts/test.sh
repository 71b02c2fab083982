#!/usr/bin/env bash
# Sets up the machine (system libraries) and runs the whole test suite in release mode
# (the kernels are tested at the optimization level users run them at).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift test -c release "$@"
