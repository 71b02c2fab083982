import SparseFactorCore

/// How a matrix-free fit (``fitFactors(operator:options:matrixFree:group:progress:)``) probes the operator
/// and how it measures the result.
///
/// ```swift
/// var probing = MatrixFreeOptions()
/// probing.probes = 128            // p columns per evaluation
/// probing.heldOutProbes = 256     // for the final error's confidence interval
/// ```
public struct MatrixFreeOptions: Sendable, Equatable {
    /// p, the probe vectors per evaluation: fixed for L-BFGS, fresh every step for Adam.
    public var probes: Int = 64
    /// The probes' distribution.
    public var distribution: ProbeDistribution = .rademacher
    /// The probe vectors, independent of the fit's, that estimate the final error (at least 2).
    public var heldOutProbes: Int = 64
    /// For N up to this the final error is computed exactly, from the products of A with all N unit
    /// vectors (N/32 blocks), instead of estimated; 0 always estimates.
    public var exactErrorLimit: Int = 4096

    /// The defaults above.
    public init() {}

    /// Checks every option; the error names the option and the value that came.
    public func validate() throws {
        guard probes >= 1 else { throw SparseFactorError.invalidArgument("the number of probes must be at least 1, got \(probes)") }
        guard heldOutProbes >= 2 else {
            throw SparseFactorError.invalidArgument("the held-out probes must be at least 2 (for a confidence interval), got \(heldOutProbes)")
        }
        guard exactErrorLimit >= 0 else { throw SparseFactorError.invalidArgument("exactErrorLimit must be at least 0, got \(exactErrorLimit)") }
    }
}

/// The final error of a matrix-free fit: computed exactly, or estimated from held-out probes with a
/// 95% confidence interval.
public struct FitErrorEstimate: Sendable, Equatable, Codable {
    /// How the error was obtained.
    public enum Kind: String, Sendable, Codable {
        /// From A and the chain applied to every unit vector: no sampling error.
        case exact
        /// From held-out probe vectors.
        case estimated
    }
    /// Exact or estimated.
    public let kind: Kind
    /// ‖A − W₁⋯W_M‖_F / ‖A‖_F (the estimate's point value when estimated).
    public let relativeError: Double
    /// The interval's ends (both equal to ``relativeError`` when exact).
    public let lower: Double
    public let upper: Double
    /// The interval's confidence level (0.95), 1 when exact.
    public let confidence: Double
    /// The held-out probes used (0 when exact).
    public let probes: Int
    /// ‖A‖_F: given by the operator, computed exactly, or estimated from the probes.
    public let targetNorm: Double
    /// Whether ‖A‖_F was known or computed exactly (`false`: estimated, and part of the interval).
    public let normIsExact: Bool
}

/// What a matrix-free fit learned: the fit (its `relativeError` is ``error``'s point value, and its
/// history's errors are the probe estimates the optimizer saw) and how its final error was measured.
public struct MatrixFreeFitResult: Sendable {
    public let fit: FitResult
    public let error: FitErrorEstimate
    /// The number of products of A with a block of vectors (columns) the fit and its error took.
    public let operatorColumns: Int
}
