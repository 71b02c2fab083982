#!/usr/bin/env bash
# Runs the C kernel tests (fast kernels against the naive oracles) under AddressSanitizer and
# UndefinedBehaviorSanitizer, at -O2 as users run them (a debug build takes 15 minutes here). Any report
# fails the run. They are built from the package Sanitize/ (links to these sources, and only the targets the
# kernel tests need), in a build folder of its own.
# swiftc has no -sanitize=undefined, so UBSan is given to the C compiles only (-Xcc); its handlers
# come with the AddressSanitizer runtime that --sanitize address links. The tests are Swift Testing ones;
# XCTest's empty run is skipped (its runner leaks two objects at exit, which LeakSanitizer would report).
set -euo pipefail
cd "$(dirname "$0")/.."
# Sanitize/Package.swift repeats the declarations of the targets it builds: they must be Package.swift's.
python3 scripts/check_sanitize_manifest.py .
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 SWIFT_BACKTRACE=enable=no
swift test -c release --package-path Sanitize --sanitize address \
    -Xcc -fsanitize=undefined -Xcc -fno-sanitize-recover=undefined \
    --disable-xctest
echo "sanitizers: OK (the C kernel tests passed under AddressSanitizer and UndefinedBehaviorSanitizer)"
