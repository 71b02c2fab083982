import SparseFactorFitting
import SparseFactorCore
import SparseFactorTestSupport
import Testing

// The optimizers and their stopping rules, on small matrices.

/// A target the chain can represent exactly: the product of a random chain of the same pattern.
func representableTarget(_ n: Int, seed: UInt64) throws -> Matrix<Double> {
    let topology = try ChordTopology(size: n)
    let chain = try FactorChain<Double>.rowNormalized(topology: topology, noise: 1.0, seed: seed)
    return try denseProductByHand(chain)
}

@Suite struct FitOptimizerTests {
    /// From ~0.9 the relative error falls to ~1e-9 at N = 8 (where the default gradient tolerance
    /// stops the run); at N = 16 convergence is slower
    /// (sublinear: the minimum is degenerate; SciPy's L-BFGS-B behaves the same, ~5e-5 after 2000 iterations).
    @Test(arguments: [(8, 2000, 1e-7), (16, 1000, 1e-3)])
    func lbfgsFitsARepresentableMatrixClosely(n: Int, iterations: Int, target: Double) throws {
        let a = try representableTarget(n, seed: 21)
        var options = FitOptions()
        options.maxIterations = iterations
        options.seed = 1
        let fit = try fitFactors(a, options: options)
        let initial = try #require(fit.history.first)
        #expect(initial.iteration == 0)
        #expect(initial.relativeError > 0.1)
        #expect(fit.relativeError < target, "stopped by \(fit.stopReason) after \(fit.iterations) iterations")
        // The reported error is the true one: compare with the dense product of the learned factors.
        let approximation = try denseProductByHand(fit.chain)
        let direct = halfSquaredDistance(a, approximation)
        #expect(abs(fit.absoluteError - (2 * direct).squareRoot()) <= 1e-9 * a.frobeniusNorm)
        #expect(fit.history.count == fit.iterations + 1)
        #expect(fit.history.last?.loss == fit.loss)
        #expect(fit.evaluations >= fit.iterations + 1)
        // L-BFGS with a Wolfe line search never increases the loss.
        for (before, after) in zip(fit.history, fit.history.dropFirst()) { #expect(after.loss <= before.loss) }
    }

    /// N = 2 (one factor, K = 2) and N = 3 (two factors, K = 3): the factors are full, so any matrix fits.
    @Test(arguments: [2, 3])
    func theSmallestSizesFitExactly(n: Int) throws {
        let a = try randomMatrix(n, seed: 22)
        let fit = try fitFactors(a)
        #expect(fit.chain.factorCount == (n == 2 ? 1 : 2))
        #expect(fit.relativeError < 1e-6, "stopped by \(fit.stopReason) after \(fit.iterations) iterations")
        #expect((2 * halfSquaredDistance(a, try denseProductByHand(fit.chain))).squareRoot() <= 1e-6 * a.frobeniusNorm)
    }

    @Test func adamDecreasesTheLoss() throws {
        let a = try randomMatrix(16, seed: 31)
        var options = FitOptions()
        options.optimizer = .adam
        options.learningRate = 1e-2
        options.maxIterations = 100
        options.relativeImprovementTolerance = 0
        let fit = try fitFactors(a, options: options)
        let initial = try #require(fit.history.first).loss
        #expect(fit.optimizer == .adam)
        #expect(fit.stopReason == .maxIterations)
        #expect(fit.iterations == 100)
        #expect(fit.loss < 0.5 * initial, "initial \(initial), final \(fit.loss)")
        #expect(fit.loss == fit.history.map(\.loss).min())      // the best values are returned
        let direct = halfSquaredDistance(a, try denseProductByHand(fit.chain))
        #expect(abs(fit.loss - direct) <= 1e-10 * direct)
    }

    /// In float32 the values overflow float long before double: the same divergence, not an error.
    @Test(arguments: FitPrecision.allCases)
    func adamWithAHugeStepReportsDivergenceAndKeepsTheBestValues(precision: FitPrecision) throws {
        let a = try randomMatrix(8, seed: 32)
        var options = FitOptions()
        options.precision = precision
        options.optimizer = .adam
        options.learningRate = 1e110   // (1e110)³ overflows: the loss becomes infinite
        options.maxIterations = 200
        options.relativeImprovementTolerance = 0
        let fit = try fitFactors(a, options: options)
        #expect(fit.stopReason == .diverged)
        #expect(fit.loss.isFinite)
        #expect(fit.chain.values.allSatisfy { $0.isFinite })
    }

    /// The first history entry within a fraction of the final error: every earlier entry is
    /// outside it, and the final error itself is in the history (the result is the best evaluated).
    @Test func firstEntryWithinAFractionOfTheFinalError() throws {
        var options = FitOptions()
        options.maxIterations = 200
        let fit = try fitFactors(try randomMatrix(16, seed: 42), options: options)
        let near = try #require(fit.firstEntry(within: 0.01))
        #expect(near.relativeError <= 1.01 * fit.relativeError)
        #expect(near.iteration > 0 && near.iteration < fit.iterations, "within 1% at iteration \(near.iteration) of \(fit.iterations)")
        #expect(fit.history.filter { $0.iteration < near.iteration }.allSatisfy { $0.relativeError > 1.01 * fit.relativeError })
        let exact = try #require(fit.firstEntry(within: 0))
        #expect(exact.iteration >= near.iteration)
        #expect(fit.firstEntry(within: 1e9)?.iteration == 0)
    }

    @Test func stopsAtTheIterationLimit() throws {
        var options = FitOptions()
        options.maxIterations = 3
        let fit = try fitFactors(try randomMatrix(16, seed: 41), options: options)
        #expect(fit.stopReason == .maxIterations)
        #expect(fit.iterations == 3)
        #expect(fit.history.map(\.iteration) == [0, 1, 2, 3])
        // Every entry carries the process's CPU seconds since the fit began: present, ≥ 0, never decreasing.
        let cpu = fit.history.compactMap(\.cpuSeconds)
        #expect(cpu.count == 4 && cpu[0] >= 0 && zip(cpu, cpu.dropFirst()).allSatisfy { $0 <= $1 }, "\(cpu)")
    }

    @Test func zeroIterationsReturnsTheInitialization() throws {
        var options = FitOptions()
        options.initialization = .paper
        options.maxIterations = 0
        options.seed = 5
        let a = try randomMatrix(8, seed: 42)
        let fit = try fitFactors(a, options: options)
        #expect(fit.stopReason == .maxIterations)
        #expect(fit.iterations == 0)
        // The paper's initialization of A / ‖A‖_F, its first factor scaled back by ‖A‖_F.
        let initial = try FactorChain<Double>.rowNormalized(topology: ChordTopology(size: 8), seed: 5)
        let norm = a.frobeniusNorm
        #expect(fit.chain.values.count == initial.values.count)
        for (i, (got, want)) in zip(fit.chain.values, initial.values).enumerated() {
            let expected = i < initial.topology.nonzerosPerFactor ? want * norm : want
            #expect(abs(got - expected) <= 1e-15 * abs(expected), "value \(i): \(got) vs \(expected)")
        }
        #expect(abs(fit.relativeError - fit.history[0].relativeError) == 0)
    }

    @Test(arguments: FitAlgorithm.allCases)
    func stopsOnTheGradientTolerance(optimizer: FitAlgorithm) throws {
        var options = FitOptions()
        options.optimizer = optimizer
        options.maxIterations = 5000
        options.gradientTolerance = 0.3
        options.relativeImprovementTolerance = 0
        let fit = try fitFactors(try representableTarget(8, seed: 43), options: options)
        #expect(fit.stopReason == .gradientTolerance)
        #expect(fit.iterations < 5000)
    }

    @Test(arguments: FitAlgorithm.allCases)
    func stopsOnTheRelativeImprovement(optimizer: FitAlgorithm) throws {
        var options = FitOptions()
        options.optimizer = optimizer
        options.maxIterations = 5000
        options.gradientTolerance = 0
        options.relativeImprovementTolerance = 1e-2
        let fit = try fitFactors(try randomMatrix(8, seed: 44), options: options)
        #expect(fit.stopReason == .relativeImprovement)
        let window = optimizer == .lbfgs ? 1 : 50
        let best = fit.history.map(\.loss).reduce(into: [Double]()) { $0.append(min($1, $0.last ?? $1)) }
        let old = best[fit.iterations - window], now = best[fit.iterations]
        #expect(old - now <= 1e-2 * old)
    }

    @Test func stopsOnTheTimeLimits() throws {
        // A zero limit, of wall or of CPU seconds, has always passed when the start is evaluated (no timing involved).
        let limits: [(FitStopReason, (inout FitOptions) -> Void)] = [(.timeLimit, { $0.timeLimit = 0 }),
                                                                     (.cpuTimeLimit, { $0.cpuTimeLimit = 0 })]
        for (reason, limit) in limits {
            var options = FitOptions()
            limit(&options)
            options.maxIterations = 1000
            let fit = try fitFactors(try randomMatrix(8, seed: 45), options: options)
            #expect(fit.stopReason == reason)
            #expect(fit.iterations == 0)
        }
    }

    @Test func stopsOnTheCPULimit() throws {
        // A positive CPU limit ends a fit that no other test would end (tolerances 0, a million iterations):
        // the stop reason is asserted, not a duration.
        var options = FitOptions()
        let a = try randomMatrix(8, seed: 45)
        options.cpuTimeLimit = 0.05
        options.maxIterations = 1_000_000
        options.gradientTolerance = 0
        options.relativeImprovementTolerance = 0
        options.optimizer = .adam
        let limited = try fitFactors(try randomMatrix(32, seed: 46), options: options)
        #expect(limited.stopReason == .cpuTimeLimit && limited.iterations > 0, "\(limited.stopReason) after \(limited.iterations)")
        // Under a process group every rank stops after the same iteration (the largest CPU clock decides).
        options.cpuTimeLimit = 0
        let ranks = try ThreadRanks.run(size: 2) { [options] group in try fitFactors(a, options: options, group: group) }
        #expect(ranks.allSatisfy { $0.stopReason == .cpuTimeLimit && $0.iterations == 0 })
    }

    @Test(arguments: FitAlgorithm.allCases)
    func theSameSeedGivesIdenticalFactors(optimizer: FitAlgorithm) throws {
        let a = try randomMatrix(16, seed: 51)
        var options = FitOptions()
        options.initialization = .paper   // the start the seed's noise goes into
        options.optimizer = optimizer
        options.maxIterations = 25
        options.seed = 77
        let first = try fitFactors(a, options: options)
        let second = try fitFactors(a, options: options)
        #expect(first.chain.values == second.chain.values)
        #expect(first.history.map(\.loss) == second.history.map(\.loss))
        options.seed = 78
        let other = try fitFactors(a, options: options)
        #expect(other.chain.values != first.chain.values)
    }

    @Test func progressIsReportedForEveryIteration() throws {
        var options = FitOptions()
        options.maxIterations = 4
        var seen: [FitProgress] = []
        let fit = try fitFactors(try randomMatrix(8, seed: 52), options: options) { seen.append($0) }
        #expect(seen.map(\.iteration) == [0, 1, 2, 3, 4])
        #expect(seen.map(\.loss) == fit.history.map(\.loss))
        #expect(seen.allSatisfy { $0.maxIterations == 4 })
    }

    @Test func startsFromAGivenChain() throws {
        // Starting at the exact factors of a representable target: zero loss, zero gradient.
        let topology = try ChordTopology(size: 8)
        let truth = try FactorChain<Double>.rowNormalized(topology: topology, noise: 1.0, seed: 53)
        var options = FitOptions()
        options.initialChain = truth
        let fit = try fitFactors(try truth.denseMatrix(), options: options)
        #expect(fit.iterations == 0)
        #expect(fit.chain == truth)
        #expect(fit.relativeError < 1e-14)
    }

    @Test func refusesBadMatrices() throws {
        expectError("non-square", matches: { $0 == .shapeMismatch(expected: "a square matrix", got: "3×4") }) {
            try fitFactors(try Matrix<Double>(rows: 3, columns: 4, repeating: 1))
        }
        expectError("N = 1", matches: { $0 == .invalidArgument("N must be at least 2, got a 1×1 matrix") }) {
            try fitFactors(try Matrix<Double>(rows: 1, columns: 1, repeating: 1))
        }
        var nan = try randomMatrix(4, seed: 1)
        nan[2, 3] = .nan
        nan[3, 0] = .infinity
        expectError("NaN", matches: { "\($0)".contains("2 NaN or infinite entries") && "\($0)".contains("row 2, column 3") }) {
            try fitFactors(nan)
        }
        expectError("all zeros", matches: { $0.isInvalidArgument && "\($0)".contains("all zeros") }) {
            try fitFactors(try Matrix<Double>(rows: 4, columns: 4))
        }
    }

    @Test func refusesBadOptions() throws {
        let a = try randomMatrix(8, seed: 1)
        let broken: [(String, (inout FitOptions) -> Void)] = [
            ("negative iterations", { $0.maxIterations = -1 }),
            ("NaN learning rate", { $0.learningRate = .nan }),
            ("c2 < c1", { $0.wolfeDecrease = 0.5; $0.wolfeCurvature = 0.1 }),
            ("no memory", { $0.memory = 0 }),
            ("beta1 = 1", { $0.beta1 = 1 }),
            ("negative time", { $0.timeLimit = -1 }),
            ("negative CPU time", { $0.cpuTimeLimit = -1 }),
            ("NaN CPU time", { $0.cpuTimeLimit = .nan }),
            ("zero factors", { $0.factorCount = 0 }),
            ("wrong topology size", { $0.topology = try? ChordTopology(size: 16) }),
        ]
        for (what, edit) in broken {
            var options = FitOptions()
            edit(&options)
            expectError(what, matches: { $0.isInvalidArgument || $0.isShapeMismatch }) { try fitFactors(a, options: options) }
        }
    }
}
