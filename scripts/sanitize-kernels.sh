#!/usr/bin/env bash
# Runs the C kernel tests (fast kernels against the naive oracles) under AddressSanitizer and
# UndefinedBehaviorSanitizer, in a build folder of their own (.build-sanitize). Any report fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1:halt_on_error=1 SWIFT_BACKTRACE=enable=no
swift test --scratch-path .build-sanitize --sanitize address --sanitize undefined --filter CSparseFactorKernelsTests
