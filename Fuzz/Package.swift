// swift-tools-version: 6.1
import PackageDescription

// libFuzzer harnesses for every reader of SparseFactor, one binary whose target is chosen by
// SF_FUZZ_TARGET. A package of its own, so that neither its unsafe flag nor the sanitizers reach the
// library's users. Built and run by scripts/fuzz.sh (swift build --sanitize fuzzer --sanitize address).
let package = Package(
    name: "SparseFactorFuzz",
    dependencies: [.package(name: "SparseFactor", path: "..")],
    targets: [
        .executableTarget(
            name: "sparsefactor-fuzz",
            dependencies: [.product(name: "SparseFactor", package: "SparseFactor")],
            // libFuzzer brings main(); the harness defines LLVMFuzzerTestOneInput only.
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
    ]
)
