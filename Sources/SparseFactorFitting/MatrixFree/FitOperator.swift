import SparseFactorCore
import Foundation

/// Learns M sparse Chord factors with `W₁⋯W_M ≈ A` for an operator A known only through its
/// products (`LinearOperator` of SparseFactorCore: a `SparseMatrix` read from a file, or a user's own), never forming A
/// or any N×N array: the objective is ½‖(A − W₁⋯W_M) Ω‖²_F / p over probe blocks Ω (``ProbeObjective``).
///
/// L-BFGS minimizes it with one fixed probe set, which determines the factors only when p is well above
/// M·K (the values per row; below it the fit matches A on the probes and overfits elsewhere). Adam draws
/// fresh probes every step, so every step's gradient is an unbiased estimate of the dense objective's,
/// and a small p suffices: prefer it (the relative-improvement test is off then, as the loss is noisy). The result's error is exact for
/// N ≤ `matrixFree.exactErrorLimit`, else estimated from held-out probes with a 95% interval.
/// Scaling, starts, stopping rules and determinism are those of the dense ``fitFactors(_:options:group:progress:)``:
/// the same operator, options and seed give bit-identical factors for any thread count.
///
/// ```swift
/// let a = try SparseMatrix(size: n, entries: entries)     // or MatrixReader.readOperator(url:)
/// var options = FitOptions()
/// options.optimizer = .adam
/// options.maxIterations = 2000
/// var probing = MatrixFreeOptions()
/// probing.probes = 64
/// let result = try fitFactors(operator: a, options: options, matrixFree: probing)
/// print(result.error.relativeError, result.error.lower, result.error.upper)
/// ```
///
/// - Parameters:
///   - group: processes that share the probe blocks of every evaluation (each rank draws and
///     multiplies only its own); every rank calls it with the same operator and options and gets the
///     same, bit-identical result for any group size. `nil` for this process alone.
/// - Throws: `SparseFactorError` for options or an operator that cannot be fitted, including an
///   operator whose products have the wrong shape or non-finite entries.
public func fitFactors(operator a: any LinearOperator, options requested: FitOptions = FitOptions(),
                       matrixFree: MatrixFreeOptions = MatrixFreeOptions(), group: (any ProcessGroup)? = nil,
                       progress: ((FitProgress) -> Void)? = nil) throws -> MatrixFreeFitResult {
    try requested.validate()
    var options = requested
    try matrixFree.validate()
    guard options.precision == .float64 else {
        throw SparseFactorError.invalidArgument("the matrix-free objective computes in float64 only, got precision \(options.precision.rawValue)")
    }
    let n = a.size
    guard n >= 2 else { throw SparseFactorError.invalidArgument("N must be at least 2, got an operator of size \(n)") }
    var columns = 0
    // The fit runs on A / s, s = ‖A‖_F (known, or estimated from one probe block): as in the dense fit,
    // tolerances and steps then mean the same for c·A as for A.
    let norm: Double
    if let known = a.knownFrobeniusNorm {
        guard known.isFinite && known >= 0 else { throw SparseFactorError.nonFinite("the operator's Frobenius norm is \(known)") }
        norm = known
    } else {
        let width = min(matrixFree.probes, ProbeObjective.blockWidth)
        let omega = try ProbeSource(size: n, distribution: matrixFree.distribution, seed: options.seed ^ 0x5CA1_E000).block(first: 0, width: width)
        let y = try a.checkedApply(omega)
        columns += width
        norm = (y.values.reduce(0.0) { $0 + $1 * $1 } / Double(width)).squareRoot()
    }
    guard norm > 0 else { throw SparseFactorError.invalidArgument("the operator is zero (‖A‖_F = 0): its relative error would be undefined") }
    let scale = norm.isFinite ? norm : 1

    let topology = try options.initialChain?.topology ?? options.topology ?? ChordTopology(size: n)
    guard topology.size == n else {
        throw SparseFactorError.shapeMismatch(expected: "a topology of size \(n) (the operator's N)", got: "size \(topology.size)")
    }
    // The automatic start needs diag(A) (knownDiagonal); without it, it is the paper's. Here it is the
    // threshold alone: the fit's error is an estimate, too rough to judge a first fit against diag(A).
    if options.initialChain == nil {
        _ = options.resolveStart(diagonal: { a.knownDiagonal.map { $0.map { $0 / scale } } }, norm: norm / scale, topology: topology)
    }
    let allowed = try options.allowedLinks(topology)
    let unrestricted: FactorChain<Double>
    if let given = options.initialChain {
        unrestricted = try scaledFirstFactor(given, by: 1 / scale)
    } else {
        unrestricted = try options.initialization.chain(diagonal: {
            guard let d = a.knownDiagonal else {
                throw SparseFactorError.invalidArgument("the diagonal start needs the operator's diagonal (knownDiagonal), and this operator gives none")
            }
            return d.map { $0 / scale }
        }, topology: topology, factorCount: options.factorCount, noise: options.initialNoise, seed: options.seed, allowed: allowed)
    }
    let objective = try ProbeObjective(operator: a, topology: topology, factorCount: unrestricted.factorCount, probes: matrixFree.probes,
                                       distribution: matrixFree.distribution, seed: options.seed, scale: scale, group: group)
    objective.freshProbesEachEvaluation = options.optimizer == .adam
    // Under fresh probes every loss is a new noisy sample, and the lowest of them keeps falling by chance:
    // the improvement test would stop on noise, so it is off and the fit ends on iterations or time.
    var monitorOptions = options
    if objective.freshProbesEachEvaluation { monitorOptions.relativeImprovementTolerance = 0 }
    let (start, shared) = try options.applySparsity(
        allowed, start: unrestricted,
        objective: group.map { GroupFitObjective(objective, group: $0, evaluate: objective.evaluate) } ?? objective)
    var monitor = FitMonitor(objective: shared, options: monitorOptions, lossScale: scale * scale, progress: progress)
    let outcome: OptimizerOutcome
    switch options.optimizer {
    case .lbfgs: outcome = try LBFGSOptimizer(options: options).minimize(from: start.values, monitor: &monitor)
    case .adam: outcome = try AdamOptimizer(options: options).minimize(from: start.values, monitor: &monitor)
    }
    columns += (options.optimizer == .adam ? monitor.evaluations : 1) * matrixFree.probes
    let normalizedChain = try FactorChain(topology: topology, factorCount: start.factorCount, values: outcome.values)
    let measured = try measureError(of: normalizedChain, operator: a, scale: scale, knownNorm: a.knownFrobeniusNorm,
                                    options: matrixFree, seed: options.seed, group: group ?? SingleProcess())
    columns += measured.columns
    let chain = try scaledFirstFactor(normalizedChain, by: scale)
    let error = measured.estimate
    let absolute = error.relativeError * error.targetNorm
    var fit = FitResult(chain: chain, loss: absolute * absolute / 2, absoluteError: absolute, relativeError: error.relativeError,
                        targetNorm: error.targetNorm, history: monitor.history, stopReason: outcome.stopReason,
                        iterations: outcome.iterations, evaluations: monitor.evaluations, seconds: monitor.seconds,
                        optimizer: options.optimizer, initialization: options.initialChain == nil ? options.initialization : nil)
    fit.initialNoise = options.noiseOfStart
    return MatrixFreeFitResult(fit: fit, error: error, operatorColumns: columns)
}

/// The chain's error against A / scale: exact from all unit vectors for small N, else from held-out probes.
/// The blocks of 32 columns are spread over `group` and their per-column squares gathered in column order.
private func measureError(of chain: FactorChain<Double>, operator a: any LinearOperator, scale: Double, knownNorm: Double?,
                          options: MatrixFreeOptions, seed: UInt64, group: any ProcessGroup) throws -> (estimate: FitErrorEstimate, columns: Int) {
    let n = a.size
    let kernels = chain.kernels
    let width = ProbeObjective.blockWidth
    let exact = n <= options.exactErrorLimit
    let columns = exact ? n : options.heldOutProbes
    // Held-out probes from a stream the fit never used (the fit's seeds are seed, seed + 1, …).
    let source = ProbeSource(size: n, distribution: options.distribution, seed: seed ^ 0x0D0E_5E70_F1E5_0000)
    let blocks = (columns + width - 1) / width
    let columnsOf = { (block: Int) in min(width, columns - block * width) }   // the last block may be narrower
    var residuals: [Double] = [], targets: [Double] = []
    for block in group.pieces(blocks) {
        let first = block * width, w = columnsOf(block)
        let probes: Matrix<Double>
        if exact {
            var unit = try Matrix<Double>(rows: n, columns: w)
            for c in 0..<w { unit[first + c, c] = 1 }
            probes = unit
        } else {
            probes = try source.block(first: first, width: w)
        }
        let squares = try columnSquares(of: kernels, probes: MatrixBatch(count: 1, rows: n, columns: w, values: probes.values),
                                        targets: a.checkedApply(probes), scale: scale)
        residuals += squares.residuals
        targets += squares.targets
    }
    let counts = (0..<group.size).map { r in group.pieces(blocks, rank: r).reduce(0) { $0 + columnsOf($1) } }
    let errors = try group.allGather(residuals, counts: counts), norms = try group.allGather(targets, counts: counts)
    if exact {
        let residual = errors.reduce(0, +), targetSquares = norms.reduce(0, +)
        let normalizedNorm = knownNorm.map { $0 / scale } ?? targetSquares.squareRoot()
        let relative = residual.squareRoot() / normalizedNorm
        return (FitErrorEstimate(kind: .exact, relativeError: relative, lower: relative, upper: relative, confidence: 1, probes: 0,
                                 targetNorm: normalizedNorm * scale, normIsExact: true), n)
    }
    let interval = probeInterval(errors: errors, targets: norms, knownNorm: knownNorm.map { $0 / scale })
    return (FitErrorEstimate(kind: .estimated, relativeError: interval.point, lower: interval.lower, upper: interval.upper,
                             confidence: 0.95, probes: errors.count, targetNorm: interval.norm * scale,
                             normIsExact: knownNorm != nil), options.heldOutProbes)
}

/// The relative error and its 95% interval from per-probe squared residuals e_j = ‖E ω_j‖² (E[e_j] = ‖E‖²_F)
/// and, when ‖A‖_F is not known, per-probe squared targets a_j = ‖A ω_j‖² (the ratio Σe/Σa with a
/// delta-method standard error). Normal quantile 1.96; the squared bounds are clipped at 0.
func probeInterval(errors e: [Double], targets t: [Double], knownNorm: Double?) -> (point: Double, lower: Double, upper: Double, norm: Double) {
    let q = Double(e.count)
    let z = 1.959963984540054
    let meanE = e.reduce(0, +) / q
    if let norm = knownNorm {
        let variance = e.reduce(0.0) { $0 + ($1 - meanE) * ($1 - meanE) } / (q - 1)
        let half = z * (variance / q).squareRoot()
        let n2 = norm * norm
        return ((meanE / n2).squareRoot(), (max(meanE - half, 0) / n2).squareRoot(), ((meanE + half) / n2).squareRoot(), norm)
    }
    let meanT = t.reduce(0, +) / q
    let ratio = meanE / meanT
    let d = zip(e, t).map { $0 - ratio * $1 }
    let meanD = d.reduce(0, +) / q
    let variance = d.reduce(0.0) { $0 + ($1 - meanD) * ($1 - meanD) } / (q - 1)
    let half = z * (variance / q).squareRoot() / meanT
    return (ratio.squareRoot(), max(ratio - half, 0).squareRoot(), (ratio + half).squareRoot(), meanT.squareRoot())
}
