import SparseFactorCore

/// The optimizer of a non-parametric fit (``FitOptions/optimizer``).
public enum FitAlgorithm: String, Sendable, CaseIterable, Codable {
    /// Limited-memory BFGS with a strong-Wolfe line search (the paper used a quasi-Newton method).
    case lbfgs
    /// Adam, first-order with per-value step sizes.
    case adam
}

/// How ``fitFactors(_:options:group:progress:)`` learns the factors and when it stops.
///
/// The run stops at the first of: `maxIterations` iterations, a small gradient
/// (`gradientTolerance`), a small improvement of the loss (`relativeImprovementTolerance`),
/// or `timeLimit` seconds (or `cpuTimeLimit` CPU seconds). ``FitResult/stopReason`` says which.
///
/// ```swift
/// var options = FitOptions()
/// options.optimizer = .adam
/// options.learningRate = 1e-2
/// options.maxIterations = 500
/// options.timeLimit = 60
/// ```
public struct FitOptions: Sendable, Equatable {
    /// The optimizer; L-BFGS by default.
    public var optimizer: FitAlgorithm = .lbfgs
    /// The most iterations (L-BFGS: one line search each; Adam: one step each).
    public var maxIterations: Int = 1000
    /// Stop when `‖g‖∞ ≤ gradientTolerance · ‖g₀‖∞`, the largest gradient entry relative to the
    /// initial one (a relative test, so it does not depend on the scale of the matrix). 0 disables it.
    public var gradientTolerance: Double = 1e-9
    /// Stop when the best loss improved by less than this fraction over the last
    /// `improvementWindow` iterations: `(f_old − f_best) ≤ tol · max(|f_old|, tiny)`. 0 disables it.
    public var relativeImprovementTolerance: Double = 1e-10
    /// Iterations the improvement test looks back over; `nil` means 1 for L-BFGS (whose loss falls
    /// every iteration) and 50 for Adam (whose loss oscillates: it stops after 50 iterations
    /// without a new best loss).
    public var improvementWindow: Int? = nil
    /// Wall-clock seconds after which the run stops (checked after every iteration); `nil` = no limit.
    public var timeLimit: Double? = nil
    /// Stop once the process has used this many CPU seconds (all threads, SparseFactorCore's `processCPUSeconds()`) since
    /// the fit began: a cap that does not shrink when other work shares the machine; `nil` for none.
    public var cpuTimeLimit: Double? = nil

    /// M, the number of factors; `nil` means `⌈log2 N⌉` as in the paper.
    public var factorCount: Int? = nil
    /// The pattern; `nil` means the default Chord pattern of the matrix's size.
    public var topology: ChordTopology? = nil
    /// Seed of the initial noise: the same seed gives bit-identical results.
    public var seed: UInt64 = 0
    /// Where the factors start: ``FitInitialization/automatic`` (the default: the diagonal or the
    /// paper's start by the matrix, never ending worse than diag(A) on a dense target), the paper's
    /// initialization, the diagonal of the matrix, or a Gaussian draw.
    public var initialization: FitInitialization = .automatic
    /// Scale of the row-normalized initial noise added to the start (the paper's 1e-2).
    public var initialNoise: Double = 1e-2
    /// The noise the start takes: `initialNoise`, or nil for a given chain or the gaussian start (none).
    var noiseOfStart: Double? { initialChain == nil && initialization != .gaussian ? initialNoise : nil }
    /// Start from these factors instead of `initialization` (its topology and factor count win
    /// over `topology` and `factorCount`).
    public var initialChain: FactorChain<Double>? = nil
    /// Which links of each factor the fit may use: all of the pattern's (default), or one butterfly
    /// level per factor (``FactorSparsity/butterfly``); forbidden links are 0 in the start and the result.
    public var sparsity: FactorSparsity = .pattern

    /// The scalar type of the objective kernel of a dense fit (the matrix-free objective is
    /// float64 only); float64 by default.
    public var precision: FitPrecision = .float64

    /// L-BFGS: the number of curvature pairs kept.
    public var memory: Int = 10
    /// L-BFGS line search: sufficient-decrease constant c1 of the Wolfe conditions.
    public var wolfeDecrease: Double = 1e-4
    /// L-BFGS line search: curvature constant c2 of the strong Wolfe conditions (c1 < c2 < 1).
    public var wolfeCurvature: Double = 0.9
    /// L-BFGS line search: the most objective evaluations per line search.
    public var maxLineSearchEvaluations: Int = 25

    /// Adam: step size.
    public var learningRate: Double = 1e-2
    /// Adam: decay of the first-moment average.
    public var beta1: Double = 0.9
    /// Adam: decay of the second-moment average.
    public var beta2: Double = 0.999
    /// Adam: added to the root of the second moment.
    public var epsilon: Double = 1e-8

    /// The defaults above.
    public init() {}

    /// Checks every option; the error names the option and the value that came.
    public func validate() throws {
        func require(_ ok: Bool, _ message: @autoclosure () -> String) throws {
            if !ok { throw SparseFactorError.invalidArgument(message()) }
        }
        try require(maxIterations >= 0, "maxIterations must be at least 0, got \(maxIterations)")
        try require(gradientTolerance >= 0 && gradientTolerance.isFinite, "gradientTolerance must be finite and ≥ 0, got \(gradientTolerance)")
        try require(relativeImprovementTolerance >= 0 && relativeImprovementTolerance.isFinite,
                    "relativeImprovementTolerance must be finite and ≥ 0, got \(relativeImprovementTolerance)")
        if let w = improvementWindow { try require(w >= 1, "improvementWindow must be at least 1, got \(w)") }
        if let t = timeLimit { try require(t >= 0 && !t.isNaN, "timeLimit must be ≥ 0 seconds, got \(t)") }
        if let t = cpuTimeLimit { try require(t >= 0 && !t.isNaN, "cpuTimeLimit must be ≥ 0 seconds, got \(t)") }
        if let m = factorCount { try require(m >= 1, "factorCount must be at least 1, got \(m)") }
        try require(initialNoise >= 0 && initialNoise.isFinite, "initialNoise must be finite and ≥ 0, got \(initialNoise)")
        try require(memory >= 1, "memory (L-BFGS pairs) must be at least 1, got \(memory)")
        try require(wolfeDecrease > 0 && wolfeDecrease < wolfeCurvature && wolfeCurvature < 1,
                    "the Wolfe constants need 0 < c1 < c2 < 1, got c1 = \(wolfeDecrease), c2 = \(wolfeCurvature)")
        try require(maxLineSearchEvaluations >= 2, "maxLineSearchEvaluations must be at least 2, got \(maxLineSearchEvaluations)")
        try require(learningRate > 0 && learningRate.isFinite, "learningRate must be finite and > 0, got \(learningRate)")
        try require(beta1 >= 0 && beta1 < 1, "beta1 must be in [0, 1), got \(beta1)")
        try require(beta2 >= 0 && beta2 < 1, "beta2 must be in [0, 1), got \(beta2)")
        try require(epsilon > 0 && epsilon.isFinite, "epsilon must be finite and > 0, got \(epsilon)")
    }

    /// The improvement window in effect for the chosen optimizer.
    var effectiveImprovementWindow: Int { improvementWindow ?? (optimizer == .lbfgs ? 1 : 50) }
}

/// Why a fit stopped.
public enum FitStopReason: String, Sendable, Codable, CaseIterable {
    /// `maxIterations` iterations were done.
    case maxIterations = "max_iterations"
    /// The gradient fell below `gradientTolerance` (relative to the initial gradient).
    case gradientTolerance = "gradient_tolerance"
    /// The loss improved by less than `relativeImprovementTolerance` over the improvement window.
    case relativeImprovement = "relative_improvement"
    /// `timeLimit` seconds passed.
    case timeLimit = "time_limit"
    /// `cpuTimeLimit` CPU seconds were used.
    case cpuTimeLimit = "cpu_time_limit"
    /// L-BFGS found no step that lowers the loss, even along the steepest descent
    /// (usually the loss is at the limit of floating-point precision).
    case lineSearchFailed = "line_search_failed"
    /// The loss became NaN or infinite (Adam with too large a learning rate); the best values
    /// evaluated before are returned.
    case diverged
}

/// The state of a fit after one iteration, given to the progress callback.
public struct FitProgress: Sendable, Equatable {
    /// Iterations done (0 before the first).
    public let iteration: Int
    /// The iteration limit (for an ETA).
    public let maxIterations: Int
    /// The objective ½‖A − W₁⋯W_M‖²_F.
    public let loss: Double
    /// ‖A − W₁⋯W_M‖_F / ‖A‖_F.
    public let relativeError: Double
    /// Seconds since the fit began.
    public let seconds: Double
}

/// One line of a fit's history.
public struct FitHistoryEntry: Sendable, Equatable, Codable {
    /// Iterations done (0 = the initialization).
    public let iteration: Int
    /// The objective ½‖A − W₁⋯W_M‖²_F.
    public let loss: Double
    /// ‖A − W₁⋯W_M‖_F / ‖A‖_F.
    public let relativeError: Double
    /// Seconds since the fit began.
    public let seconds: Double
    /// CPU seconds this process used since the fit began (all threads; SparseFactorCore's `processCPUSeconds()`): unlike
    /// `seconds`, not stretched by other work on the machine. `nil` in histories saved before it existed.
    public var cpuSeconds: Double? = nil
}

/// What ``fitFactors(_:options:group:progress:)`` learned.
public struct FitResult: Sendable {
    /// The learned factors; `chain.denseMatrix()` is the approximation.
    public let chain: FactorChain<Double>
    /// The final objective ½‖A − W₁⋯W_M‖²_F.
    public let loss: Double
    /// ‖A − W₁⋯W_M‖_F.
    public let absoluteError: Double
    /// ‖A − W₁⋯W_M‖_F / ‖A‖_F.
    public let relativeError: Double
    /// ‖A‖_F.
    public let targetNorm: Double
    /// The loss after every iteration, starting with the initialization (iteration 0).
    public let history: [FitHistoryEntry]
    /// Why the run stopped.
    public let stopReason: FitStopReason
    /// Iterations done.
    public let iterations: Int
    /// Objective + gradient evaluations (L-BFGS's line searches may take several per iteration).
    public let evaluations: Int
    /// Wall-clock seconds of the fit.
    public let seconds: Double
    /// The optimizer used.
    public let optimizer: FitAlgorithm
    /// The start the fit took (``FitInitialization/automatic`` resolved to the start it chose);
    /// nil when it started from ``FitOptions/initialChain``.
    public var initialization: FitInitialization? = nil
    /// The scale of the noise added to that start (``FitOptions/initialNoise``, or 0 for the automatic
    /// start's diagonal); nil for a given chain, or a start that takes no noise (gaussian).
    public var initialNoise: Double? = nil
    /// The automatic start's first fit, from the paper's start, when it ended no better than the
    /// diagonal alone and the fit was done again from the diagonal start (this result); nil otherwise.
    public var rejectedAttempt: FitAttempt? = nil

    /// The number of learned values, `M · N · K` (the non-zeros of the chain).
    public var parameterCount: Int { chain.values.count }

    /// The first history entry whose relative error is within `fraction` of the final one
    /// (`relativeError ≤ (1 + fraction) · final`): when the fit was as good as it got, give or take
    /// that fraction. The time a fit needed is `firstEntry(within: 0.01)?.seconds`.
    ///
    /// ```swift
    /// let fit = try fitFactors(a)
    /// if let near = fit.firstEntry(within: 0.01) { print("within 1% after \(near.seconds) s") }
    /// ```
    public func firstEntry(within fraction: Double) -> FitHistoryEntry? {
        let bound = (1 + fraction) * relativeError
        return history.first { $0.relativeError <= bound }
    }
}

/// A fit that ``FitInitialization/automatic`` did and then replaced (``FitResult/rejectedAttempt``).
public struct FitAttempt: Sendable {
    /// Where it started.
    public let initialization: FitInitialization
    /// Its final ‖A − W₁⋯W_M‖_F / ‖A‖_F.
    public let relativeError: Double
    /// ‖A − diag(A)‖_F / ‖A‖_F, the error it had to beat.
    public let diagonalError: Double
    /// Its iterations, evaluations and wall-clock seconds (not counted in the result's own).
    public let iterations: Int
    public let evaluations: Int
    public let seconds: Double
    /// Why it stopped.
    public let stopReason: FitStopReason
}

/// The scalar type of a dense fit's objective kernel (``FitOptions/precision``).
public enum FitPrecision: String, Sendable, CaseIterable, Codable {
    /// Double throughout (the default).
    case float64
    /// The objective and its gradient computed in float (twice the vector lanes); the optimizer's
    /// values, steps and stopping tests stay in double, and the result's error is recomputed in
    /// double. Losses carry float rounding, so fits stop earlier on tight tolerances.
    case float32
}
