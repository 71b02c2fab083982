/// A square linear operator known only through its products with blocks of vectors: what a
/// matrix-free fit needs (`fitFactors(operator:…)` in SparseFactorFitting) when A is too large to
/// hold densely, or exists only as code (a PDE solver's stencil, a graph's propagation rule).
///
/// Implement ``size``, ``apply(_:)`` and ``applyTranspose(_:)``; give ``knownFrobeniusNorm`` and
/// ``knownDiagonal`` when they are cheap (they make the error estimate and the diagonal start exact).
///
/// ```swift
/// struct Shift: LinearOperator {          // (A x)[i] = x[(i + 1) mod N]
///     let size: Int
///     func apply(_ x: Matrix<Double>) throws -> Matrix<Double> {
///         var y = x
///         for i in 0..<size { for c in 0..<x.columns { y[i, c] = x[(i + 1) % size, c] } }
///         return y
///     }
///     func applyTranspose(_ x: Matrix<Double>) throws -> Matrix<Double> {
///         var y = x
///         for i in 0..<size { for c in 0..<x.columns { y[(i + 1) % size, c] = x[i, c] } }
///         return y
///     }
///     var knownFrobeniusNorm: Double? { Double(size).squareRoot() }
/// }
/// ```
public protocol LinearOperator {
    /// N: the operator maps N-vectors to N-vectors.
    var size: Int { get }
    /// A · X for an N×p block X (row-major); the result must be N×p.
    func apply(_ x: Matrix<Double>) throws -> Matrix<Double>
    /// Aᵀ · X for an N×p block X; the result must be N×p.
    func applyTranspose(_ x: Matrix<Double>) throws -> Matrix<Double>
    /// ‖A‖_F when it is known exactly; `nil` (the default) makes a fit estimate it from probes.
    var knownFrobeniusNorm: Double? { get }
    /// The diagonal of A when it is known; `nil` (the default) means it is not, and the diagonal start is refused.
    var knownDiagonal: [Double]? { get }
}

extension LinearOperator {
    public var knownFrobeniusNorm: Double? { nil }
    public var knownDiagonal: [Double]? { nil }

    /// Throws unless `x` is a block of N rows.
    package func checkBlock(_ x: Matrix<Double>) throws {
        try x.checkStorage()
        guard x.rows == size else {
            throw SparseFactorError.shapeMismatch(expected: "a block of \(size) rows (the operator's N)", got: "\(x.rows)×\(x.columns)")
        }
    }

    /// `apply` with its result checked: N×p as the block, every entry finite. A user's operator that
    /// returns another shape or NaN is named here, not deep inside a kernel.
    package func checkedApply(_ x: Matrix<Double>, transpose: Bool = false) throws -> Matrix<Double> {
        try checkBlock(x)
        let y = try transpose ? applyTranspose(x) : apply(x)
        try y.checkStorage()
        let what = transpose ? "applyTranspose" : "apply"
        guard y.rows == x.rows, y.columns == x.columns else {
            throw SparseFactorError.shapeMismatch(expected: "the operator's \(what) to return \(x.rows)×\(x.columns) for an \(x.rows)×\(x.columns) block",
                                                  got: "\(y.rows)×\(y.columns)")
        }
        if let bad = y.values.firstIndex(where: { !$0.isFinite }) {
            throw SparseFactorError.nonFinite("the operator's \(what) returned \(y.values[bad]) at row \(bad / y.columns), column \(bad % y.columns) of an \(y.rows)×\(y.columns) product")
        }
        return y
    }
}

/// A dense matrix as an operator (products through BLAS), for small problems and for tests.
extension Matrix: LinearOperator where Scalar == Double {
    /// N for a square matrix (a non-square one fails every product with a shape mismatch).
    public var size: Int { rows }

    public func apply(_ x: Matrix<Double>) throws -> Matrix<Double> {
        guard rows == columns else { throw SparseFactorError.shapeMismatch(expected: "a square matrix as an operator", got: "\(rows)×\(columns)") }
        return try multiplied(by: x)
    }

    public func applyTranspose(_ x: Matrix<Double>) throws -> Matrix<Double> {
        guard rows == columns else { throw SparseFactorError.shapeMismatch(expected: "a square matrix as an operator", got: "\(rows)×\(columns)") }
        return try transposed.multiplied(by: x)
    }

    public var knownFrobeniusNorm: Double? { frobeniusNorm }
    public var knownDiagonal: [Double]? { rows == columns ? (0..<rows).map { self[$0, $0] } : nil }
}
