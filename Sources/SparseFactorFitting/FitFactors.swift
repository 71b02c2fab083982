import SparseFactorCore
/// Learns the values of M sparse Chord factors so that `W₁·W₂⋯W_M ≈ A` (the paper's
/// non-parametric sparse factorization), minimizing `½‖A − W₁⋯W_M‖²_F`.
///
/// The factors start from the paper's initialization (each row of each factor sums to 1, plus
/// seeded noise) and are optimized by L-BFGS or Adam (``FitOptions``). The same matrix,
/// options and seed give bit-identical factors, for any thread count.
///
/// ```swift
/// let a = try Matrix<Double>(rows: 64, columns: 64, values: data)
/// var options = FitOptions()
/// options.maxIterations = 200
/// let fit = try fitFactors(a, options: options) { p in print(p.iteration, p.relativeError) }
/// print(fit.relativeError, fit.stopReason)
/// let approximation = try fit.chain.denseMatrix()
/// ```
///
/// - Parameters:
///   - a: a square N×N matrix, N ≥ 2, with finite entries and at least one non-zero.
///   - options: optimizer, stopping rules, seed.
///   - progress: called after the initialization and after every iteration, on the calling thread.
/// - Throws: `SparseFactorError` for a matrix or options that cannot be fitted.
public func fitFactors(_ a: Matrix<Double>, options: FitOptions = FitOptions(),
                       progress: ((FitProgress) -> Void)? = nil) throws -> FitResult {
    try a.checkFactorizable()
    try options.validate()
    let start = try initialChain(size: a.rows, options: options)
    let objective = try FactorizationObjective(target: a, topology: start.topology, factorCount: start.factorCount)
    var monitor = FitMonitor(objective: objective, options: options, progress: progress)
    let outcome: OptimizerOutcome
    switch options.optimizer {
    case .lbfgs: outcome = try LBFGSOptimizer(options: options).minimize(from: start.values, monitor: &monitor)
    case .adam: outcome = try AdamOptimizer(options: options).minimize(from: start.values, monitor: &monitor)
    }
    let chain = try FactorChain(topology: start.topology, factorCount: start.factorCount, values: outcome.values)
    let absoluteError = (2 * max(outcome.loss, 0)).squareRoot()
    return FitResult(chain: chain, loss: outcome.loss, absoluteError: absoluteError,
                     relativeError: absoluteError / objective.targetNorm, targetNorm: objective.targetNorm,
                     history: monitor.history, stopReason: outcome.stopReason, iterations: outcome.iterations,
                     evaluations: monitor.evaluations, seconds: monitor.seconds, optimizer: options.optimizer)
}

/// The chain a fit starts from: the given one, or the paper's initialization.
private func initialChain(size n: Int, options: FitOptions) throws -> FactorChain<Double> {
    if let chain = options.initialChain {
        guard chain.topology.size == n else {
            throw SparseFactorError.shapeMismatch(expected: "an initial chain of size \(n)", got: "size \(chain.topology.size)")
        }
        return chain
    }
    let topology = try options.topology ?? ChordTopology(size: n)
    guard topology.size == n else {
        throw SparseFactorError.shapeMismatch(expected: "a topology of size \(n) (the matrix's N)", got: "size \(topology.size)")
    }
    return try FactorChain<Double>.rowNormalized(topology: topology, factorCount: options.factorCount,
                                                 noise: options.initialNoise, seed: options.seed)
}
