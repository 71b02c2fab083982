// swift-tools-version: 6.1
import Foundation
import PackageDescription

// SwiftPM names a path dependency after its folder, which depends on where the repository
// was cloned: read it off this file's location (Benchmarks/SwiftBenchmarks/Package.swift).
let libraryPackage = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

// Swift-level benchmarks of SparseFactor with ordo-one/benchmark. A separate package so the
// library's users never resolve the benchmark harness. Run from this folder:
//   swift package benchmark
let package = Package(
    name: "SparseFactorBenchmarks",
    dependencies: [
        .package(path: "../.."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "ChainBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "SparseFactor", package: libraryPackage),
            ],
            path: "Benchmarks/ChainBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
