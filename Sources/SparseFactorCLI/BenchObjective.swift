import ArgumentParser
import Foundation
import SparseFactor

/// `sparsefactor bench objective`: the speed of one objective + gradient evaluation of the
/// non-parametric factorization, the number to set beside `Benchmarks/reference/numpy_objective.py`.
///
/// Same setting as the numpy reference: a random dense N×N target (float64; `--precision float32`
/// runs the float kernel on its float copy), the paper's Chord
/// topology with M = ⌈log2 N⌉ factors, the paper's initialization. The time is the median of the
/// timed repeats, after one untimed warm-up evaluation (which also touches every buffer).
struct BenchObjective: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "objective",
        abstract: "Time one evaluation of ½‖A − W1⋯WM‖²_F and its gradient (Chord topology, random dense A).")

    @Option(parsing: .unconditional, help: "Matrix size N (≥ 2).") var n: Int = 512
    @Option(parsing: .unconditional, help: "Timed evaluations (default: enough for about two seconds, at least 3, at most 200).") var repeats: Int?
    @Option(parsing: .unconditional, help: "Seed of the random target and of the factors' initial noise.") var seed: UInt64 = 1
    @Option(parsing: .unconditional, help: "Threads (default: the OpenMP default, OMP_NUM_THREADS).") var threads: Int?
    @Option(help: "The kernel's scalar type: float64 (the default) or float32.") var precision: FitPrecision = .float64
    @Flag(help: "Print one JSON object as the last line.") var json = false

    func validate() throws {
        guard n >= 2 else { throw ValidationError("--n must be at least 2, got \(n)") }
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1, got \(t)") }
        if let r = repeats, r < 1 { throw ValidationError("--repeats must be at least 1, got \(r)") }
    }

    func run() throws {
        try runReportingErrors(json: json) {
            if let threads { Parallelism.threads = threads }
            try MemoryBudget.check("bench objective's dense \(n)×\(n) target", counts: [n, n], scalarBytes: MemoryLayout<Double>.size)
            let topology = try ChordTopology(size: n)
            var rng = SeededGenerator(seed: seed)
            let target = try Matrix<Double>(rows: n, columns: n, values: (0..<(n * n)).map { _ in rng.nextUnit() * 2 - 1 })
            let objective = try FactorizationObjective(target: target, topology: topology, precision: precision)
            let chain = try FactorChain<Double>.rowNormalized(topology: topology, seed: seed)
            var gradient = [Double](repeating: 0, count: chain.values.count)

            let clock = ContinuousClock()
            var loss = 0.0
            func timeOnce() throws -> Double {
                let elapsed = try clock.measure { loss = try objective.evaluate(chain.values, gradient: &gradient) }
                return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            }
            let warmup = try timeOnce()
            let reps = repeats ?? max(3, min(200, Int(2.0 / max(warmup, 1e-6))))
            let times = try (0..<reps).map { _ in try timeOnce() }.sorted()
            let median = times.count % 2 == 1 ? times[times.count / 2] : 0.5 * (times[times.count / 2 - 1] + times[times.count / 2])
            // Sparse-times-dense passes, N·N·K multiply-adds each: forward W1⋯W(M−1) on the scattered W_M
            // (M−1), backward input and value gradients of those factors (2(M−1)); the O(N²) scatter and
            // residual are left out. A nominal count: the kernel does the three passes of W_(M−1) link by
            // link on the sparse W_M instead, so this is an effective rate.
            let m = objective.factorCount, k = topology.linksPerRow
            let flops = 2.0 * Double(3 * (m - 1)) * Double(n) * Double(n) * Double(k)

            if json {
                printJSONLine(["implementation": "sparsefactor", "n": n, "factors": m, "links": k, "dtype": precision.rawValue,
                               "seconds_per_evaluation": median, "seconds_min": times[0], "seconds_warmup": warmup,
                               "repeats": reps, "objective": loss, "gflops": flops / median / 1e9,
                               "threads": Parallelism.effectiveThreads, "cpu": Parallelism.cpuDispatch])
            } else {
                print(String(format: "objective+gradient N=%d M=%d K=%d %@ threads=%d: median %.6f s (min %.6f, %d reps), %.2f GFLOP/s [%@]",
                             n, m, k, precision.rawValue, Parallelism.effectiveThreads, median, times[0], reps, flops / median / 1e9,
                             Parallelism.cpuDispatch))
            }
        }
    }
}
