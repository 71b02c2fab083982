import ArgumentParser
import Foundation
import SparseFactor

/// `sparsefactor bench apply`: what the factors pay back. The median time of W1⋯WM·X with the chain
/// kernels against, in the same run, the dense product A·X through OpenBLAS of the same matrix
/// A = W1⋯WM (built column block by column block from the chain, so it is the very operator).
///
/// The dense side runs only where A fits in the memory limit; otherwise the JSON says why it was skipped.
/// Both products are compared, so a report whose two sides disagree is visible (`max_difference`).
/// With `--factors` the chain is a saved one (N from the file), and with `--matrix` the dense side is the
/// matrix it approximates: then the report is the payoff, time saved per product and the error paid for it.
struct BenchApply: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Time W1⋯WM·X (M = ⌈log2 N⌉ Chord factors, X N×C) against the dense OpenBLAS product A·X of the same N×N matrix.",
        discussion: """
            Without --factors the chain has random values (the time depends on N, M, K and C only). With \
            --factors FILE (from `factorize --save`) it is that chain, and with --matrix FILE (for example \
            from `factorize --export-matrix`) the dense side is that N×N matrix instead of the chain's own \
            dense form: the JSON then gives the chain's relative error on X, ‖(W1⋯WM − A)·X‖_F / ‖A·X‖_F.
            """)

    @Option(parsing: .unconditional, help: "Matrix size N (≥ 2; default 16384, or the size of --factors).") var n: Int?
    @Option(help: "Time this saved chain (SFCHAIN1, from `factorize --save`) instead of random factors.") var factors: String?
    @Option(help: "Time the dense product with this N×N matrix file (.npy, .mtx, .csv, …) instead of the chain's dense form.")
    var matrix: String?
    @Option(parsing: .unconditional, help: "Channels C (columns of X).") var channels: Int = 64
    @Option(help: "Scalar type: float32 or float64.") var precision: ScalarType = .float64
    @Option(parsing: .unconditional, help: "Threads (default: the OpenMP default, OMP_NUM_THREADS).") var threads: Int?
    @Option(parsing: .unconditional, help: "Timed repetitions of each product (default: enough for about one second, at least 3).")
    var repeats: Int?
    @Flag(help: "Time the chain only (no dense matrix).") var noDense = false
    @Flag(help: "Print one JSON object as the last line.") var json = false

    /// Columns of the identity pushed through the chain at a time while A is built.
    static let buildBlock = 256

    func validate() throws {
        if let n { guard n >= 2 else { throw ValidationError("--n must be at least 2, got \(n)") } }
        if matrix != nil && noDense { throw ValidationError("--matrix names the dense side, and --no-dense turns it off: give one of them") }
        guard channels >= 1 else { throw ValidationError("--channels must be at least 1, got \(channels)") }
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1, got \(t)") }
        if let r = repeats, r < 1 { throw ValidationError("--repeats must be at least 1, got \(r)") }
    }

    func run() throws {
        try runReportingErrors(json: json) {
            if let threads { Parallelism.threads = threads }
            switch precision {
            case .float32: try measure(Float.self)
            case .float64: try measure(Double.self)
            }
        }
    }

    private func measure<Scalar: KernelScalar>(_: Scalar.Type) throws {
        let bytes = MemoryLayout<Scalar>.size
        let chain = try factors.map { try FactorFile.load(from: URL(fileURLWithPath: $0), as: Scalar.self) }
            ?? FactorChain<Scalar>.rowNormalized(topology: ChordTopology(size: n ?? 16384), seed: 1)
        let topology = chain.topology
        let n = topology.size
        if let asked = self.n, asked != n {
            throw SparseFactorError.shapeMismatch(expected: "--n \(asked)", got: "factors of N = \(n) in \(factors ?? "")")
        }
        // X, the chain's output and the dense output, before anything is allocated.
        try MemoryBudget.check("bench apply's blocks X and Y of \(n)×\(channels)", counts: [3, n, channels], scalarBytes: bytes)
        var rng = SeededGenerator(seed: 2)
        let x = try Matrix<Scalar>(rows: n, columns: channels, values: (0..<(n * channels)).map { _ in Scalar(rng.nextUnit() * 2 - 1) })
        let xBatch = try MatrixBatch(single: x)
        var y = try MatrixBatch<Scalar>(count: 1, rows: n, columns: channels)
        let chainTimes = try timings { try chain.apply(xBatch, into: &y) }

        var object: [String: Any] = [
            "n": n, "channels": channels, "factors": chain.factorCount, "links": topology.linksPerRow,
            "nonzeros": chain.values.count, "dtype": Scalar.dtypeName, "threads": Parallelism.effectiveThreads,
            "ms": chainTimes.median, "ms_min": chainTimes.min, "repeats": chainTimes.count, "cpu": Parallelism.cpuDispatch,
        ]
        var line = String(format: "apply N=%d C=%d M=%d K=%d %@ threads=%d: chain median %.3f ms (min %.3f, %d reps)",
                          n, channels, chain.factorCount, topology.linksPerRow, Scalar.dtypeName, Parallelism.effectiveThreads,
                          chainTimes.median, chainTimes.min, chainTimes.count)
        if let factors { object["factors_file"] = factors }
        if let skipped = try denseSkipReason(n: n, bytes: bytes) {
            object["dense_skipped"] = skipped
            line += "; dense skipped: \(skipped)"
        } else {
            let a = try matrix.map { try userMatrix($0, n: n, as: Scalar.self) } ?? denseMatrix(of: chain)
            var dense = x
            let denseTimes = try timings { dense = try a.multiplied(by: x) }
            object["dense_ms"] = denseTimes.median
            object["blas_core"] = Parallelism.blasCore
            object["dense_ms_min"] = denseTimes.min
            object["dense_repeats"] = denseTimes.count
            object["ratio"] = denseTimes.median / chainTimes.median
            line += String(format: "; dense A·X (OpenBLAS %@) median %.3f ms (min %.3f, %d reps): %.1f× faster",
                           Parallelism.blasCore, denseTimes.median, denseTimes.min, denseTimes.count,
                           denseTimes.median / chainTimes.median)
            if let matrix {
                // A different matrix: how far the chain's product is from A's is the error the speed costs.
                let error = relativeFrobeniusDistance(y[0].values, dense.values)
                object["matrix"] = matrix
                object["relative_error_on_x"] = error
                line += String(format: "; relative error on X %.4g", error)
            } else {
                let difference = relativeDifference(y[0].values, dense.values)
                object["max_difference"] = difference
                line += String(format: "; max difference %.2g", difference)
            }
        }
        if json { printJSONLine(object) } else { print(line + " [\(Parallelism.cpuDispatch)]") }
    }

    /// Why the dense side is not run, or nil when it is: `--no-dense`, or A and the build's blocks over the memory limit.
    /// (A `--matrix` file is not skipped: its reader refuses one over the limit, with the reason.)
    private func denseSkipReason(n: Int, bytes: Int) throws -> String? {
        if noDense { return "--no-dense" }
        if matrix != nil { return nil }
        guard let count = MemoryBudget.total([[n, n], [2, n, Self.buildBlock]]) else {
            return "the dense \(n)×\(n) matrix needs more memory than can be counted"
        }
        do {
            try MemoryBudget.check("the dense \(n)×\(n) matrix", counts: [count], scalarBytes: bytes)
        } catch let SparseFactorError.tooLarge(message) {
            return message
        }
        return nil
    }

    /// The N×N matrix in `path`, as `Scalar`.
    private func userMatrix<Scalar: KernelScalar>(_ path: String, n: Int, as _: Scalar.Type) throws -> Matrix<Scalar> {
        let a = try MatrixReader.read(url: URL(fileURLWithPath: path))
        guard a.rows == n, a.columns == n else {
            throw SparseFactorError.shapeMismatch(expected: "a square matrix of size \(n) (the factors' N)", got: "\(a.rows)×\(a.columns) in \(path)")
        }
        if let same = a as? Matrix<Scalar> { return same }   // float64: the matrix as read, no second copy
        // float32: the float copy is made while the double one is still held.
        try MemoryBudget.check("the \(n)×\(n) matrix of \(path) and its \(Scalar.self) copy", counts: [n, n],
                               scalarBytes: MemoryLayout<Double>.size + MemoryLayout<Scalar>.size)
        return try Matrix<Scalar>(rows: n, columns: n, values: a.values.map { Scalar($0) })
    }

    /// A = W1⋯WM·I, the identity taken `buildBlock` columns at a time through the chain.
    private func denseMatrix<Scalar: KernelScalar>(of chain: FactorChain<Scalar>) throws -> Matrix<Scalar> {
        let n = chain.topology.size
        var a = try Matrix<Scalar>(rows: n, columns: n)
        for start in stride(from: 0, to: n, by: Self.buildBlock) {
            let width = min(Self.buildBlock, n - start)
            var identity = try Matrix<Scalar>(rows: n, columns: width)
            for c in 0..<width { identity[start + c, c] = 1 }
            let block = try chain.apply(identity)
            block.values.withUnsafeBufferPointer { source in
                a.values.withUnsafeMutableBufferPointer { target in
                    for r in 0..<n {
                        for c in 0..<width { target[r * n + start + c] = source[r * width + c] }
                    }
                }
            }
        }
        return a
    }

    /// Median and fastest of the timed runs (ms), after one untimed warm-up.
    private func timings(_ body: () throws -> Void) throws -> (median: Double, min: Double, count: Int) {
        let clock = ContinuousClock()
        func once() throws -> Double {
            let elapsed = try clock.measure(body)
            return Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) * 1e-15
        }
        let warmup = try once()
        let reps = repeats ?? max(3, min(1000, Int(1000 / max(warmup, 1e-3))))
        let times = try (0..<reps).map { _ in try once() }.sorted()
        let median = reps % 2 == 1 ? times[reps / 2] : 0.5 * (times[reps / 2 - 1] + times[reps / 2])
        return (median, times[0], reps)
    }

    /// ‖a − b‖ / ‖b‖ (Euclidean, over all entries).
    private func relativeFrobeniusDistance<Scalar: KernelScalar>(_ a: [Scalar], _ b: [Scalar]) -> Double {
        var residual = 0.0, norm = 0.0
        for (u, v) in zip(a, b) {
            residual += (Double(u) - Double(v)) * (Double(u) - Double(v))
            norm += Double(v) * Double(v)
        }
        return norm > 0 ? (residual / norm).squareRoot() : residual.squareRoot()
    }

    /// max |a − b| / max |b|: how far the chain's product is from the dense one.
    private func relativeDifference<Scalar: KernelScalar>(_ a: [Scalar], _ b: [Scalar]) -> Double {
        var worst = 0.0, scale = 0.0
        for (u, v) in zip(a, b) {
            worst = max(worst, abs(Double(u) - Double(v)))
            scale = max(scale, abs(Double(v)))
        }
        return scale > 0 ? worst / scale : worst
    }
}
