import Foundation
import SparseFactorCore
/// Learns the values of M sparse Chord factors so that `W₁·W₂⋯W_M ≈ A` (the paper's
/// non-parametric sparse factorization), minimizing `½‖A − W₁⋯W_M‖²_F`.
///
/// The factors start from the paper's initialization (each row of each factor sums to 1, plus
/// seeded noise) or from the diagonal of A, chosen by the matrix by default (``FitInitialization``),
/// and are optimized by L-BFGS or Adam (``FitOptions``). The result is never worse than the start:
/// both optimizers return the best values they evaluated. The same matrix,
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
///   - group: processes that share the objective's work (every rank calls `fitFactors` with the
///     same matrix and options, and gets the same result); `nil` for this process alone. The
///     factors are bit-identical for any group size, and to a fit without a group.
///   - progress: called after the initialization and after every iteration, on the calling thread
///     (from iteration 0 again when the automatic start fits a second time).
/// - Throws: `SparseFactorError` for a matrix or options that cannot be fitted.
public func fitFactors(_ a: Matrix<Double>, options requested: FitOptions = FitOptions(), group: (any ProcessGroup)? = nil,
                       progress: ((FitProgress) -> Void)? = nil) throws -> FitResult {
    try a.checkFactorizable()
    try requested.validate()
    // The fit runs on A / s with s = ‖A‖_F: every tolerance, step and initial scale of the optimizers
    // then means the same for c·A as for A (c·A / ‖c·A‖_F is A / ‖A‖_F up to rounding), and the first
    // factor takes s back, so the product approximates A. The norm is taken as m·‖A/m‖_F with m the
    // largest |entry|, which neither overflows nor underflows for any finite A. From a given chain, s is
    // the power of two nearest ‖A‖_F instead, so that dividing the chain by it and multiplying back is exact.
    let largest = a.values.reduce(0.0) { max($0, abs($1)) }
    let frobenius = largest * a.values.reduce(0.0) { $0 + ($1 / largest) * ($1 / largest) }.squareRoot()
    let norm = requested.initialChain == nil ? frobenius : scalbn(1.0, Int(frobenius.exponent))
    let normalized = try Matrix(rows: a.rows, columns: a.columns, values: a.values.map { $0 / norm })
    guard requested.initialChain == nil else {
        return try fitOnce(normalized, norm: norm, options: requested, group: group, progress: progress)
    }
    var options = requested
    let diagonalError = try options.resolveStart(diagonal: { (0..<a.rows).map { normalized[$0, $0] } }, norm: frobenius / norm,
                                                 topology: requested.topology ?? ChordTopology(size: a.rows))
    let fit = try fitOnce(normalized, norm: norm, options: options, group: group, progress: progress)
    // The automatic start's check: a paper fit that did not beat diag(A) alone is done again from diag(A)
    // exactly, which cannot end worse than it (a fit never ends worse than its start). A fit of no
    // iterations (maxIterations 0, or a limit already reached) is the start asked for, and stays.
    guard let diagonalError, options.initialization == .paper, fit.iterations > 0, fit.relativeError >= diagonalError else {
        return fit
    }
    options.startAtExactDiagonal()
    var again = try fitOnce(normalized, norm: norm, options: options, group: group, progress: progress)
    again.rejectedAttempt = FitAttempt(initialization: .paper, relativeError: fit.relativeError, diagonalError: diagonalError,
                                       iterations: fit.iterations, evaluations: fit.evaluations, seconds: fit.seconds,
                                       stopReason: fit.stopReason)
    return again
}

/// One fit of `normalized` = A / `norm` from `options`' start (resolved: never ``FitInitialization/automatic``)
/// or given chain, with its result in A's units.
private func fitOnce(_ normalized: Matrix<Double>, norm: Double, options: FitOptions, group: (any ProcessGroup)?,
                     progress: ((FitProgress) -> Void)?) throws -> FitResult {
    // The initializations are made for the normalized matrix; a given chain was meant for A.
    let (initial, allowed) = try initialChain(for: normalized, options: options)
    let unrestricted = options.initialChain == nil ? initial : try scaledFirstFactor(initial, by: 1 / norm)
    let objective = try FactorizationObjective(target: normalized, topology: unrestricted.topology,
                                               factorCount: unrestricted.factorCount, precision: options.precision)
    let lossScale = norm * norm
    let (start, shared) = try options.applySparsity(
        allowed, start: unrestricted, objective: try group.map { try GroupFitObjective(objective, group: $0) } ?? objective)
    var monitor = FitMonitor(objective: shared, options: options, lossScale: lossScale, progress: progress)
    let outcome: OptimizerOutcome
    switch options.optimizer {
    case .lbfgs: outcome = try LBFGSOptimizer(options: options).minimize(from: start.values, monitor: &monitor)
    case .adam: outcome = try AdamOptimizer(options: options).minimize(from: start.values, monitor: &monitor)
    }
    // A given chain the optimizer did not move comes back exactly as it was given.
    let chain = outcome.values == unrestricted.values && options.initialChain != nil ? initial
        : try scaledFirstFactor(FactorChain(topology: start.topology, factorCount: start.factorCount, values: outcome.values), by: norm)
    // A float32 fit's last loss carries float rounding: the error of the (double) values is taken in double.
    let finalLoss = options.precision == .float64 ? outcome.loss
        : try FactorizationObjective(target: normalized, topology: start.topology, factorCount: start.factorCount).loss(outcome.values)
    let relativeError = objective.relativeError(loss: finalLoss)
    let targetNorm = objective.targetNorm * norm
    var result = FitResult(chain: chain, loss: finalLoss * lossScale, absoluteError: relativeError * targetNorm,
                           relativeError: relativeError, targetNorm: targetNorm,
                           history: monitor.history, stopReason: outcome.stopReason, iterations: outcome.iterations,
                           evaluations: monitor.evaluations, seconds: monitor.seconds, optimizer: options.optimizer,
                           initialization: options.initialChain == nil ? options.initialization : nil)
    result.initialNoise = options.noiseOfStart
    return result
}

/// The chain with its first factor's values multiplied by `factor` (so the product is too).
func scaledFirstFactor(_ chain: FactorChain<Double>, by factor: Double) throws -> FactorChain<Double> {
    var values = chain.values
    for i in 0..<chain.topology.nonzerosPerFactor { values[i] *= factor }
    return try FactorChain(topology: chain.topology, factorCount: chain.factorCount, values: values)
}

/// The chain a fit starts from: the given one, or `options.initialization` for `target` (the normalized matrix);
/// with the links `options.sparsity` allows in it (``FitOptions/allowedLinks(_:)``).
private func initialChain(for target: Matrix<Double>, options: FitOptions) throws -> (FactorChain<Double>, allowed: [Bool]?) {
    let n = target.rows
    if let chain = options.initialChain {
        guard chain.topology.size == n else {
            throw SparseFactorError.shapeMismatch(expected: "an initial chain of size \(n)", got: "size \(chain.topology.size)")
        }
        return (chain, try options.allowedLinks(chain.topology))
    }
    let topology = try options.topology ?? ChordTopology(size: n)
    guard topology.size == n else {
        throw SparseFactorError.shapeMismatch(expected: "a topology of size \(n) (the matrix's N)", got: "size \(topology.size)")
    }
    let allowed = try options.allowedLinks(topology)
    return (try options.initialization.chain(diagonal: { (0..<n).map { target[$0, $0] } }, topology: topology,
                                             factorCount: options.factorCount, noise: options.initialNoise, seed: options.seed,
                                             allowed: allowed), allowed)
}
