import SparseFactorCore
import Foundation

/// The computations behind ``MatrixTransform``, public so they can be used on their own.
extension MatrixTransform {
    /// The largest centred square of `m`: `⌊(rows − s)/2⌋` rows are cut from the top and
    /// `⌊(columns − s)/2⌋` columns from the left, with `s = min(rows, columns)`.
    ///
    /// ```swift
    /// let square = MatrixTransform.centerCropped(image)   // 480×640 → 480×480 (columns 80..<560)
    /// ```
    public static func centerCropped(_ m: Matrix<Double>) -> Matrix<Double> {
        let s = min(m.rows, m.columns)
        guard m.rows != m.columns else { return m }
        let top = (m.rows - s) / 2, left = (m.columns - s) / 2
        var values: [Double] = []
        values.reserveCapacity(s * s)
        for r in top..<(top + s) { values += m.values[(r * m.columns + left)..<(r * m.columns + left + s)] }
        return Matrix(uncheckedRows: s, columns: s, values: values)
    }

    /// Horizontal differences `G[i, j] = X[i, j+1] − X[i, j]`, with a zero last column so G keeps X's shape
    /// (zero padding rather than wrapping around, which would add a fake edge between the image's borders).
    public static func horizontalDifferences(_ x: Matrix<Double>) -> Matrix<Double> {
        var g = x
        for i in 0..<x.rows {
            for j in 0..<(x.columns - 1) { g[i, j] = x[i, j + 1] - x[i, j] }
            g[i, x.columns - 1] = 0
        }
        return g
    }

    /// The n×n Euclidean distances between the rows of an n×d table (exactly symmetric, zero diagonal).
    public static func pairwiseDistances(ofRows x: Matrix<Double>) throws -> Matrix<Double> {
        let n = x.rows, d = x.columns
        try checkDenseAllocation(rows: n, columns: n, what: "the pairwise distances of \(n) rows")
        var out = try Matrix<Double>(rows: n, columns: n)
        x.values.withUnsafeBufferPointer { v in
            out.values.withUnsafeMutableBufferPointer { o in
                for i in 0..<n {
                    for j in (i + 1)..<max(n, i + 1) {
                        var sum = 0.0
                        for k in 0..<d {
                            let diff = v[i * d + k] - v[j * d + k]
                            sum += diff * diff
                        }
                        let dist = sum.squareRoot()
                        o[i * n + j] = dist
                        o[j * n + i] = dist
                    }
                }
            }
        }
        return out
    }

    /// `exp(−d² / (2h²))` of a distance matrix. With `bandwidth` nil, h is the median of the off-diagonal
    /// distances (the median heuristic; the mean of the positive ones if that median is 0, and 1 if all are 0).
    public static func gaussianSimilarity(distances: Matrix<Double>, bandwidth: Double? = nil) throws -> Matrix<Double> {
        let h = try bandwidth ?? medianBandwidth(distances: distances)
        guard h.isFinite, h > 0 else { throw SparseFactorError.invalidArgument("the bandwidth must be a positive number, got \(h)") }
        var out = distances
        // (d/h)² rather than d²/(2h²): h² underflows to 0 for h below 1e-154 (and d² overflows for large d),
        // which would make 0·∞ = NaN on the diagonal.
        for k in 0..<out.values.count {
            let r = out.values[k] / h
            out.values[k] = exp(-0.5 * r * r)
        }
        return out
    }

    /// The median heuristic for a Gaussian bandwidth (see ``gaussianSimilarity(distances:bandwidth:)``).
    public static func medianBandwidth(distances: Matrix<Double>) throws -> Double {
        guard distances.rows == distances.columns else {
            throw SparseFactorError.shapeMismatch(expected: "a square distance matrix", got: "\(distances.rows)×\(distances.columns)")
        }
        let n = distances.rows
        // Both triangles, so an asymmetric matrix is handled too (for a symmetric one each value counts twice,
        // which leaves the median unchanged).
        var offDiagonal: [Double] = []
        offDiagonal.reserveCapacity(n * (n - 1))
        distances.values.withUnsafeBufferPointer { v in
            for i in 0..<n { for j in 0..<n where i != j { offDiagonal.append(v[i * n + j]) } }
        }
        guard !offDiagonal.isEmpty else { return 1 }
        offDiagonal.sort()
        let mid = offDiagonal.count / 2
        let median = offDiagonal.count % 2 == 1 ? offDiagonal[mid] : (offDiagonal[mid - 1] + offDiagonal[mid]) / 2
        if median > 0 { return median }
        let positive = offDiagonal.filter { $0 > 0 }
        return positive.isEmpty ? 1 : positive.reduce(0, +) / Double(positive.count)
    }

    /// The sample covariance of the columns of an n×d table: d×d, `C = (X − x̄)ᵀ(X − x̄) / (n − 1)`.
    public static func covariance(ofColumns x: Matrix<Double>) throws -> Matrix<Double> {
        let n = x.rows, d = x.columns
        guard n >= 2 else { throw SparseFactorError.invalidArgument("a covariance needs at least 2 rows (samples), got \(n)") }
        var centered = x
        for c in 0..<d {
            var mean = 0.0
            for r in 0..<n { mean += x[r, c] }
            mean /= Double(n)
            for r in 0..<n { centered[r, c] = x[r, c] - mean }
        }
        var c = try centered.transposed.multiplied(by: centered)
        // BLAS need not give a bitwise-symmetric product: average the two halves.
        let scale = 1 / Double(n - 1)
        for i in 0..<d {
            for j in i..<d {
                let v = (c[i, j] + c[j, i]) / 2 * scale
                c[i, j] = v
                c[j, i] = v
            }
        }
        return c
    }
}

extension Matrix {
    /// For shapes known to be valid (positive, matching count).
    init(uncheckedRows rows: Int, columns: Int, values: [Scalar]) {
        // Only called with a shape derived from a valid matrix.
        self = try! Matrix(rows: rows, columns: columns, values: values)
    }
}
