import ArgumentParser
import Foundation
import SparseFactor

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Benchmarks of the kernels.", subcommands: [BenchSpmm.self, BenchApply.self, BenchObjective.self, BenchStep.self])
}

enum ScalarType: String, ExpressibleByArgument, CaseIterable {
    case float32, float64
}

struct BenchSpmm: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spmm",
        abstract: "Time one Chord factor × dense block product (Y = W·X, W N×N with K links per row, X N×C).")

    @Option(parsing: .unconditional, help: "Matrix size N (≥ 2).") var n: Int = 16384
    @Option(parsing: .unconditional, help: "Channels C (columns of the dense block).") var channels: Int = 64
    @Option(parsing: .unconditional, help: "Batch items B (each its own N×C block, one shared factor).") var batch: Int = 1
    @Option(parsing: .unconditional, help: "Threads (default: the OpenMP default, OMP_NUM_THREADS).") var threads: Int?
    @Option(parsing: .unconditional, help: "Timed repetitions (default: enough for about half a second).") var repeats: Int?
    @Option(help: "Scalar type.") var dtype: ScalarType = .float32
    @Flag(help: "Print one JSON object as the last line.") var json = false

    func validate() throws {
        guard n >= 2 else { throw ValidationError("--n must be at least 2, got \(n)") }
        guard channels >= 1 else { throw ValidationError("--channels must be at least 1, got \(channels)") }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1, got \(batch)") }
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1, got \(t)") }
        if let r = repeats, r < 1 { throw ValidationError("--repeats must be at least 1, got \(r)") }
    }

    func run() throws {
        try runReportingErrors(json: json) {
            if let threads { Parallelism.threads = threads }
            switch dtype {
            case .float32: try measure(Float.self)
            case .float64: try measure(Double.self)
            }
        }
    }

    private func measure<Scalar: KernelScalar>(_: Scalar.Type) throws {
        // X and Y, B·N·C each, before anything is allocated.
        try MemoryBudget.check("bench spmm's blocks X and Y of \(batch)×\(n)×\(channels)", counts: [2, batch, n, channels],
                               scalarBytes: MemoryLayout<Scalar>.size)
        let topology = try ChordTopology(size: n)
        let factor = try FactorChain<Scalar>.rowNormalized(topology: topology, factorCount: 1, seed: 1)
        var rng = SeededGenerator(seed: 2)
        let x = try MatrixBatch<Scalar>(count: batch, rows: n, columns: channels,
                                        values: (0..<(batch * n * channels)).map { _ in Scalar(rng.nextUnit() * 2 - 1) })
        var y = try MatrixBatch<Scalar>(count: batch, rows: n, columns: channels)
        let clock = ContinuousClock()
        func timeOnce() throws -> Double {
            let elapsed = try clock.measure { try factor.apply(x, into: &y) }
            return Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) * 1e-15
        }
        for _ in 0..<3 { _ = try timeOnce() }
        let probe = try timeOnce()
        let reps = repeats ?? max(5, min(1000, Int(500 / max(probe, 1e-3))))
        let times = try (0..<reps).map { _ in try timeOnce() }.sorted()
        let ms = times[times.count / 2]
        let k = topology.linksPerRow
        let flops = 2.0 * Double(batch * n * k * channels)
        let bytes = Double(MemoryLayout<Scalar>.size * (2 * batch * n * channels + n * k)) + Double(8 * n * k)
        let gflops = flops / (ms * 1e6)
        let gbps = bytes / (ms * 1e6)
        if json {
            printJSONLine(["n": n, "links": k, "channels": channels, "batch": batch, "threads": Parallelism.effectiveThreads,
                           "ms": ms, "ms_min": times[0], "repeats": reps, "gflops": gflops, "gbps": gbps,
                           "dtype": Scalar.dtypeName, "cpu": Parallelism.cpuDispatch])
        } else {
            print(String(format: "spmm N=%d K=%d C=%d B=%d %@ threads=%d: median %.3f ms (min %.3f, %d reps), %.2f GFLOP/s, %.2f GB/s [%@]",
                         n, k, channels, batch, Scalar.dtypeName, Parallelism.effectiveThreads, ms, times[0], reps, gflops, gbps,
                         Parallelism.cpuDispatch))
        }
    }
}
