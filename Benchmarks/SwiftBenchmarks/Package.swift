// swift-tools-version: 6.1
import PackageDescription

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
                .product(name: "SparseFactor", package: "SparseFactor"),
            ],
            path: "Benchmarks/ChainBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
