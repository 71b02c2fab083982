// swift-tools-version: 6.1
import PackageDescription

// No unsafe build flags anywhere: a package that depends on SparseFactor by version must build.
// OpenMP comes from libomp (Debian libomp-dev, linked as omp5) through its GOMP_parallel
// entry point, so the C kernels need no -fopenmp.
let package = Package(
    name: "SparseFactor",
    products: [
        .library(name: "SparseFactor", targets: ["SparseFactor"]),
        .executable(name: "sparsefactor", targets: ["SparseFactorCLI"]),
        .executable(name: "sparsefactor-kernel-bench", targets: ["KernelBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .target(
            name: "CKernels",
            path: "CKernels",
            exclude: ["factor_kernels.inc", "objective_kernels.inc", "reference_kernels.inc"],
            linkerSettings: [
                .linkedLibrary("omp5"),
                .linkedLibrary("openblas"),
                .linkedLibrary("lapacke"),
                .linkedLibrary("m"),
            ]
        ),
        .systemLibrary(name: "CLibPNG", path: "Sources/CLibPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "SparseFactor", dependencies: ["CKernels", "CLibPNG", "CZlib"]),
        .executableTarget(
            name: "SparseFactorCLI",
            dependencies: ["SparseFactor", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(name: "KernelBench", dependencies: ["CKernels"], path: "Benchmarks/KernelBench"),
        .testTarget(name: "CKernelsTests", dependencies: ["CKernels"]),
        .testTarget(name: "SparseFactorTests", dependencies: ["SparseFactor"]),
        .testTarget(name: "SparseFactorCLITests", dependencies: ["SparseFactor"]),
    ]
)
