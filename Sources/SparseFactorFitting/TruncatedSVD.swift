import SparseFactorCore
internal import CSparseFactorKernels

/// The thin singular value decomposition `A = U · diag(σ) · Vᵀ` of a dense matrix, through
/// LAPACK's divide-and-conquer `dgesdd` (LAPACKE, over OpenBLAS).
///
/// ```swift
/// let svd = try SingularValueDecomposition(of: a)          // a: 5×3
/// print(svd.singularValues)                                // 3 values, decreasing
/// print(svd.u.rows, svd.u.columns, svd.vt.rows)           // 5 3 3
/// ```
public struct SingularValueDecomposition: Sendable {
    /// Left singular vectors, m × min(m, n) (one per column).
    public let u: Matrix<Double>
    /// σ₁ ≥ σ₂ ≥ … ≥ 0, min(m, n) of them.
    public let singularValues: [Double]
    /// Right singular vectors transposed, min(m, n) × n (one per row).
    public let vt: Matrix<Double>

    /// Decomposes `a` (finite entries).
    public init(of a: Matrix<Double>) throws {
        try Self.checkFinite(a)
        let r = min(a.rows, a.columns)
        var s = [Double](repeating: 0, count: r)
        var u = [Double](repeating: 0, count: a.rows * r)
        var vt = [Double](repeating: 0, count: r * a.columns)
        let status = a.values.withUnsafeBufferPointer { ap in
            s.withUnsafeMutableBufferPointer { sp in
                u.withUnsafeMutableBufferPointer { up in
                    vt.withUnsafeMutableBufferPointer { vp in
                        sf_svd_f64(sp.baseAddress, up.baseAddress, vp.baseAddress, ap.baseAddress, Int64(a.rows), Int64(a.columns))
                    }
                }
            }
        }
        try checkKernel(status, "singular value decomposition (LAPACKE_dgesdd)")
        self.singularValues = s
        self.u = try Matrix(rows: a.rows, columns: r, values: u)
        self.vt = try Matrix(rows: r, columns: a.columns, values: vt)
    }

    /// The singular values of `a` alone (no vectors: several times cheaper), decreasing.
    public static func singularValues(of a: Matrix<Double>) throws -> [Double] {
        try checkFinite(a)
        var s = [Double](repeating: 0, count: min(a.rows, a.columns))
        let status = a.values.withUnsafeBufferPointer { ap in
            s.withUnsafeMutableBufferPointer { sp in
                sf_svd_f64(sp.baseAddress, nil, nil, ap.baseAddress, Int64(a.rows), Int64(a.columns))
            }
        }
        try checkKernel(status, "singular values (LAPACKE_dgesdd)")
        return s
    }

    private static func checkFinite(_ a: Matrix<Double>) throws {
        guard a.isFinite else { throw SparseFactorError.nonFinite("the SVD needs a matrix with finite entries") }
    }
}

/// The best rank-r approximation `A_r` of a matrix in the Frobenius norm (Eckart–Young), as the
/// baseline for sparse factors: its error and its parameter count.
public struct TruncatedSVDResult: Sendable, Equatable {
    /// r, the rank kept (the requested rank, capped at min(rows, columns)).
    public let rank: Int
    /// ‖A − A_r‖_F = √(Σ_{i>r} σ_i²).
    public let absoluteError: Double
    /// ‖A − A_r‖_F / ‖A‖_F (0 for the zero matrix).
    public let relativeError: Double
    /// Numbers needed to store A_r: `r · (rows + columns)` (U_r scaled by σ, and V_r), so
    /// `2·N·r` for an N×N matrix.
    public let parameterCount: Int
    /// All singular values of A, decreasing.
    public let singularValues: [Double]
}

/// The truncated SVD baseline: the error of the best rank-`rank` approximation of `a`.
///
/// The error comes from the singular values, `‖A − A_r‖²_F = Σ_{i>r} σ_i²` (summed from the
/// smallest up, for accuracy), so only the singular values are computed.
///
/// ```swift
/// let m = topology.defaultFactorCount
/// let tsvd = try truncatedSVD(a, rank: TruncatedSVDRank.paper.rank(size: a.rows, factorCount: m, nonzeros: 0))
/// print(tsvd.relativeError, tsvd.parameterCount)
/// ```
/// - Parameter rank: r ≥ 0; ranks above min(rows, columns) give the exact matrix (error 0).
public func truncatedSVD(_ a: Matrix<Double>, rank: Int) throws -> TruncatedSVDResult {
    guard rank >= 0 else { throw SparseFactorError.invalidArgument("the truncated SVD rank must be at least 0, got \(rank)") }
    let sigma = try SingularValueDecomposition.singularValues(of: a)
    let r = min(rank, sigma.count)
    var tail = 0.0
    for s in sigma[r...].reversed() { tail += s * s }
    var total = tail
    for s in sigma[..<r].reversed() { total += s * s }
    let absolute = tail.squareRoot()
    return TruncatedSVDResult(rank: r, absoluteError: absolute, relativeError: total > 0 ? absolute / total.squareRoot() : 0,
                              parameterCount: r * (a.rows + a.columns), singularValues: sigma)
}

/// How to pick the truncated SVD's rank to compare with a chain of sparse factors.
///
/// ```swift
/// // N = 512: M = 9 factors of K = 10 links, 46 080 non-zeros.
/// TruncatedSVDRank.paper.rank(size: 512, factorCount: 9, nonzeros: 46_080)              // 41 = ⌈81/2⌉
/// TruncatedSVDRank.matchedParameters.rank(size: 512, factorCount: 9, nonzeros: 46_080)  // 45 = ⌊46080/1024⌋
/// ```
public enum TruncatedSVDRank: Sendable, Equatable {
    /// The paper's budget, r = ⌈M²/2⌉, so 2·N·r ≈ N·M², about the chain's non-zeros.
    case paper
    /// The largest r whose 2·N·r parameters do not exceed the chain's non-zeros: r = ⌊nnz / (2N)⌋.
    /// (Exact equality is impossible unless 2N divides nnz; this never gives the SVD more.)
    case matchedParameters
    /// A rank given by the user.
    case fixed(Int)

    /// The rank for an N×N matrix and a chain of `factorCount` factors with `nonzeros` values.
    public func rank(size n: Int, factorCount m: Int, nonzeros: Int) -> Int {
        switch self {
        case .paper: return (m * m + 1) / 2
        case .matchedParameters: return nonzeros / (2 * max(n, 1))
        case .fixed(let r): return r
        }
    }

    /// A short name for reports ("paper", "matched", or the number).
    public var name: String {
        switch self {
        case .paper: return "paper"
        case .matchedParameters: return "matched"
        case .fixed(let r): return String(r)
        }
    }
}
