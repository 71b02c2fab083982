import ArgumentParser
import Foundation
import SparseFactor

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Factorize a built-in matrix and compare with a truncated SVD of the same budget.",
        discussion: """
            The built-in matrix is the gradient image (horizontal differences) of a synthetic N×N scene of \
            seeded rectangles and disks: sparse and high-rank, the kind of matrix where the paper finds sparse \
            factors beat a low-rank approximation. The demo also checks the chain kernels against the dense \
            product of the factors.
            """)

    @Option(parsing: .unconditional, help: "Matrix size N (≥ 16: smaller scenes hold no shapes).") var n: Int = 256
    @Option(parsing: .unconditional, help: "The most L-BFGS iterations.") var iterations: Int = 1000
    @Option(parsing: .unconditional, help: "Stop after this many seconds.") var timeLimit: Double = 30
    @Option(parsing: .unconditional, help: "Random seed of the scene and the initial factors.") var seed: UInt64 = 1
    @Flag(help: "Print one JSON object as the last line.") var json = false

    func validate() throws {
        guard n >= 16 else { throw ValidationError("--n must be at least 16 (a smaller demo scene holds no shapes), got \(n)") }
        guard iterations >= 0 else { throw ValidationError("--iterations must be at least 0, got \(iterations)") }
        guard timeLimit >= 0 else { throw ValidationError("--time-limit must be at least 0, got \(timeLimit)") }
    }

    func run() throws {
        try runReportingErrors(json: json) {
            // The scene, its gradient, the fit's target and the two dense products of the kernel check.
            try MemoryBudget.check("the demo at N = \(n)", counts: [6, n, n], scalarBytes: MemoryLayout<Double>.size)
            let scene = try Self.scene(size: n, seed: seed)
            let a = MatrixTransform.horizontalDifferences(scene)
            let topology = try ChordTopology(size: n)
            let m = topology.defaultFactorCount
            let nonzeros = topology.nonzeros(factors: m)
            if !json {
                print("Demo matrix: gradient image of a synthetic \(n)×\(n) scene, \(a.values.filter { $0 != 0 }.count) non-zero entries")
                print("Chord factors: M = \(m) factors, K = \(topology.linksPerRow) links per row, \(nonzeros) learned values (\(Parallelism.effectiveThreads) threads, \(Parallelism.cpuDispatch))")
            }

            var options = FitOptions()
            options.maxIterations = iterations
            options.timeLimit = timeLimit
            options.seed = seed
            let progress = ProgressReporter(total: iterations, label: "L-BFGS iteration")
            let fit = try fitFactors(a, options: options) { p in
                progress.update(step: p.iteration, fields: ["loss": p.loss, "rel.error": p.relativeError])
            }
            progress.finish()

            // The kernels against an independent oracle: the dense factors multiplied with BLAS.
            let kernelProduct = try fit.chain.denseMatrix()
            let blasProduct = try Self.denseFactorProduct(fit.chain)
            let kernelDifference = zip(kernelProduct.values, blasProduct.values).map { abs($0 - $1) }.max() ?? 0

            let rank = TruncatedSVDRank.paper.rank(size: n, factorCount: m, nonzeros: nonzeros)
            let tsvd = try truncatedSVD(a, rank: rank)
            if json {
                printJSONLine(["n": n, "factors": m, "links": topology.linksPerRow, "nonzeros": nonzeros,
                               "sf_relative_error": fit.relativeError, "sf_error": fit.absoluteError,
                               "tsvd_rank": rank, "tsvd_relative_error": tsvd.relativeError, "tsvd_error": tsvd.absoluteError,
                               "tsvd_params": tsvd.parameterCount, "iterations": fit.iterations, "seconds": fit.seconds,
                               "stop_reason": fit.stopReason.rawValue, "kernel_vs_blas_max_difference": kernelDifference])
            } else {
                print(String(format: "Sparse factors: relative error %.4f after %d iterations in %.1f s (%@)",
                             fit.relativeError, fit.iterations, fit.seconds, fit.stopReason.rawValue))
                print(String(format: "Truncated SVD:  relative error %.4f at rank %d (%d parameters)",
                             tsvd.relativeError, rank, tsvd.parameterCount))
                print(fit.relativeError < tsvd.relativeError
                      ? "The sparse factorization wins on this sparse, high-rank matrix."
                      : "The truncated SVD wins here (try more --iterations or a larger --time-limit).")
                print(String(format: "Kernel check: chain applied to the identity vs BLAS product of the dense factors, max difference %.2e", kernelDifference))
            }
        }
    }

    /// A piecewise-constant scene of seeded rectangles and disks with values in [0, 1].
    static func scene(size n: Int, seed: UInt64) throws -> Matrix<Double> {
        var image = try Matrix<Double>(rows: n, columns: n)
        var rng = SeededGenerator(seed: seed)
        for shape in 0..<(n / 2) {
            let cx = rng.nextUnit() * Double(n), cy = rng.nextUnit() * Double(n)
            let size = 2 + (0.01 + 0.08 * rng.nextUnit()) * Double(n)
            let value = rng.nextUnit()
            for r in 0..<n {
                for c in 0..<n {
                    let dx = Double(c) - cx, dy = Double(r) - cy
                    let inside = shape % 2 == 0 ? (abs(dx) < size && abs(dy) < size / 2) : (dx * dx + dy * dy < size * size / 4)
                    if inside { image[r, c] = value }
                }
            }
        }
        return image
    }

    /// W1·W2·…·WM from dense copies of the factors, multiplied with BLAS.
    static func denseFactorProduct(_ chain: FactorChain<Double>) throws -> Matrix<Double> {
        let t = chain.topology
        var product: Matrix<Double>?
        for m in 0..<chain.factorCount {
            var factor = try Matrix<Double>(rows: t.size, columns: t.size)
            for i in 0..<t.size {
                for k in 0..<t.linksPerRow { factor[i, t.column(row: i, link: k)] += chain.value(factor: m, row: i, link: k) }
            }
            product = try product.map { try $0.multiplied(by: factor) } ?? factor
        }
        return product!
    }
}
