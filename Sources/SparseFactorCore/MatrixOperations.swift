extension Matrix {
    /// The graph Laplacian `L = D − A` of this square adjacency matrix, made symmetric first as
    /// `(A + Aᵀ)/2`; `D` is the diagonal of its row sums (so self-loops cancel).
    ///
    /// ```swift
    /// let a = try Matrix<Double>(rows: 2, columns: 2, values: [0, 1, 1, 0])
    /// let l = try a.laplacian()   // [1, -1, -1, 1]
    /// ```
    public func laplacian() throws -> Matrix {
        try checkStorage()
        guard rows == columns else {
            throw SparseFactorError.shapeMismatch(expected: "a square adjacency matrix for a Laplacian", got: "\(rows)×\(columns)")
        }
        let n = rows
        var l = try Matrix(rows: n, columns: n)
        for i in 0..<n {
            var degree: Scalar = 0
            for j in 0..<n {
                let w = (values[i * n + j] + values[j * n + i]) / 2
                degree += w
                l.values[i * n + j] = -w
            }
            l.values[i * n + i] += degree
        }
        return l
    }

    /// Throws unless this matrix can be factorized: square, N ≥ 2, finite, not all zero
    /// (relative errors divide by ‖A‖_F). The error says what was expected and what came.
    ///
    /// ```swift
    /// try Matrix<Double>(rows: 3, columns: 4).checkFactorizable()
    /// // throws "shape mismatch: expected a square matrix, got 3×4"
    /// ```
    public func checkFactorizable() throws {
        try checkStorage()
        guard rows == columns else { throw SparseFactorError.shapeMismatch(expected: "a square matrix", got: "\(rows)×\(columns)") }
        guard rows >= 2 else { throw SparseFactorError.invalidArgument("N must be at least 2, got a \(rows)×\(columns) matrix") }
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            let count = values.lazy.filter { !$0.isFinite }.count
            throw SparseFactorError.nonFinite(
                "the matrix has \(count) NaN or infinite \(count == 1 ? "entry" : "entries"), the first \(values[bad]) at row \(bad / columns), column \(bad % columns) (0-based)")
        }
        guard values.contains(where: { $0 != 0 }) else {
            throw SparseFactorError.invalidArgument("the \(rows)×\(columns) matrix is all zeros: its relative error would be undefined")
        }
    }
}
