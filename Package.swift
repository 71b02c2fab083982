// swift-tools-version: 6.1
import PackageDescription

// No unsafe build flags anywhere: a package that depends on SparseFactor by version must build.
// OpenMP comes from libomp (Debian libomp-dev, linked as omp5) through its GOMP_parallel
// entry point, so the C kernels need no -fopenmp.
//
// Products and what they depend on (the compiler enforces the direction):
//   SparseFactorCore       Matrix, ChordTopology, FactorChain, kernel wrappers   -> C kernels
//   SparseFactorFitting    fitFactors, L-BFGS, Adam, truncated SVD                -> Core
//   SparseFactorIO         readers, writers, FactorFile, transforms               -> Core, libpng, zlib
//   SparseFactorNN         Tensor, Parameter, layers, losses, optimizers          -> Core
//   SparseFactorAttention  PSF-Attn, tasks, trainer, checkpoints                  -> NN, IO
//   SparseFactor           the umbrella: re-exports all five
//   SparseFactorDistributed  the MPI process group (the only product linking MPI)  -> Core, Open MPI
// Fitting and training take any ProcessGroup (Core); only SparseFactorDistributed and the
// command line link Open MPI, so the five libraries build and run without it.
let package = Package(
    name: "SparseFactor",
    products: [
        .library(name: "SparseFactor", targets: ["SparseFactor"]),
        .library(name: "SparseFactorCore", targets: ["SparseFactorCore"]),
        .library(name: "SparseFactorFitting", targets: ["SparseFactorFitting"]),
        .library(name: "SparseFactorIO", targets: ["SparseFactorIO"]),
        .library(name: "SparseFactorNN", targets: ["SparseFactorNN"]),
        .library(name: "SparseFactorAttention", targets: ["SparseFactorAttention"]),
        .library(name: "SparseFactorDistributed", targets: ["SparseFactorDistributed"]),
        .executable(name: "sparsefactor", targets: ["SparseFactorCLI"]),
    ],
    dependencies: [
        // Only the command line uses it; a library consumer resolves it but does not build it.
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // Documentation only (`swift package generate-documentation`); nothing links it.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
    ],
    targets: [
        // The C hot path: one public umbrella header over one header per area.
        .target(
            name: "CSparseFactorKernels",
            exclude: ["factor_kernels.inc", "objective_kernels.inc", "adam_kernels.inc"],
            linkerSettings: [
                .linkedLibrary("omp5"),
                .linkedLibrary("openblas"),
                .linkedLibrary("lapacke"),
                .linkedLibrary("m"),
            ]
        ),
        // The naive single-thread oracles: linked by the tests and the C microbenchmark, shipped in no product.
        .target(name: "CSparseFactorReference", dependencies: ["CSparseFactorKernels"], exclude: ["reference_kernels.inc"],
                linkerSettings: [.linkedLibrary("m")]),
        .systemLibrary(name: "CLibPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // Open MPI's header and library (pkg-config ompi), behind a C shim: mpi.h's handles are macros.
        .systemLibrary(name: "CMPI", pkgConfig: "ompi", providers: [.apt(["libopenmpi-dev"])]),
        .target(name: "CSparseFactorMPI", dependencies: ["CMPI"]),

        .target(name: "SparseFactorCore", dependencies: ["CSparseFactorKernels"]),
        .target(name: "SparseFactorFitting", dependencies: ["SparseFactorCore", "CSparseFactorKernels"]),
        .target(name: "SparseFactorIO", dependencies: ["SparseFactorCore", "CLibPNG", "CZlib"]),
        .target(name: "SparseFactorNN", dependencies: ["SparseFactorCore", "CSparseFactorKernels"]),
        .target(name: "SparseFactorAttention", dependencies: ["SparseFactorNN", "SparseFactorIO", "CSparseFactorKernels"]),
        .target(name: "SparseFactor", dependencies: ["SparseFactorCore", "SparseFactorFitting", "SparseFactorIO",
                                                     "SparseFactorNN", "SparseFactorAttention"]),
        .target(name: "SparseFactorDistributed", dependencies: ["SparseFactorCore", "CSparseFactorMPI"]),

        .executableTarget(
            name: "SparseFactorCLI",
            dependencies: ["SparseFactor", "SparseFactorDistributed", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // The C microbenchmark: runnable from a clone (`swift run -c release sparsefactor-kernel-bench`), not a product.
        .executableTarget(name: "sparsefactor-kernel-bench", dependencies: ["CSparseFactorKernels", "CSparseFactorReference"],
                          path: "Benchmarks/KernelBench"),

        // Helpers the test targets share (random data, tolerances); shipped in no product.
        .target(name: "SparseFactorTestSupport", dependencies: ["SparseFactorCore", "SparseFactorNN"], path: "Tests/SparseFactorTestSupport"),
        .testTarget(name: "CSparseFactorKernelsTests", dependencies: ["CSparseFactorKernels", "CSparseFactorReference", "SparseFactorTestSupport"]),
        .testTarget(name: "SparseFactorCoreTests", dependencies: ["SparseFactorCore", "SparseFactorTestSupport"]),
        .testTarget(name: "SparseFactorFittingTests", dependencies: ["SparseFactorFitting", "SparseFactorTestSupport"]),
        .testTarget(name: "SparseFactorIOTests", dependencies: ["SparseFactorIO", "SparseFactorTestSupport"]),
        .testTarget(name: "SparseFactorNNTests", dependencies: ["SparseFactorNN", "SparseFactorTestSupport"]),
        .testTarget(name: "SparseFactorAttentionTests", dependencies: ["SparseFactorAttention", "SparseFactorTestSupport"]),
        .testTarget(name: "SparseFactorDistributedTests", dependencies: ["SparseFactorDistributed", "SparseFactorCore"]),
        .testTarget(name: "SparseFactorCLITests", dependencies: ["SparseFactorCLI", "SparseFactor", "SparseFactorTestSupport"]),
    ]
)
