// swift-tools-version: 6.1
import PackageDescription

// The C kernel tests and only what they need, for scripts/sanitize-kernels.sh: built under
// AddressSanitizer and UndefinedBehaviorSanitizer without compiling Fitting, IO, Attention, the CLI and
// the other test targets (a release build of the whole package under ASan took 340 s of CI; this one 130 s).
// The folders are symbolic links to the package's own sources, so there is one copy of every file; the
// target settings below must stay those of ../Package.swift for these targets
// (scripts/check_sanitize_manifest.py compares the two before every sanitizer run).
let package = Package(
    name: "SparseFactorSanitize",
    targets: [
        .target(name: "CSparseFactorKernels", exclude: ["factor_kernels.inc", "objective_kernels.inc", "adam_kernels.inc"],
                linkerSettings: [.linkedLibrary("omp5"), .linkedLibrary("openblas"), .linkedLibrary("lapacke"), .linkedLibrary("m")]),
        .target(name: "CSparseFactorReference", dependencies: ["CSparseFactorKernels"], exclude: ["reference_kernels.inc"],
                linkerSettings: [.linkedLibrary("m")]),
        .target(name: "SparseFactorCore", dependencies: ["CSparseFactorKernels"]),
        .target(name: "SparseFactorNN", dependencies: ["SparseFactorCore", "CSparseFactorKernels"]),
        .target(name: "SparseFactorTestSupport", dependencies: ["SparseFactorCore", "SparseFactorNN"], path: "Tests/SparseFactorTestSupport"),
        .testTarget(name: "CSparseFactorKernelsTests", dependencies: ["CSparseFactorKernels", "CSparseFactorReference", "SparseFactorTestSupport"]),
    ]
)
