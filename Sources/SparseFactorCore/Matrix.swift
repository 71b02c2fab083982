/// A dense row-major matrix.
///
/// ```swift
/// let x = try Matrix<Float>(rows: 2, columns: 3, values: [1, 2, 3, 4, 5, 6])
/// print(x[1, 2])  // 6
/// ```
public struct Matrix<Scalar: KernelScalar>: Equatable, Sendable {
    /// Number of rows.
    public let rows: Int
    /// Number of columns.
    public let columns: Int
    /// The entries, row after row: entry (r, c) is `values[r * columns + c]`.
    public var values: [Scalar]

    /// A matrix of the given entries (row-major); throws unless `values.count == rows * columns`.
    public init(rows: Int, columns: Int, values: [Scalar]) throws {
        guard rows > 0, columns > 0 else {
            throw SparseFactorError.invalidArgument("a matrix needs at least one row and one column, got \(rows)×\(columns)")
        }
        let (count, overflow) = rows.multipliedReportingOverflow(by: columns)
        guard !overflow, values.count == count else {
            throw SparseFactorError.shapeMismatch(expected: "\(overflow ? "more" : "\(count)") values for \(rows)×\(columns)", got: "\(values.count) values")
        }
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    /// A matrix with every entry equal to `value`.
    /// Refuses sizes whose storage would not fit in half of this machine's memory.
    public init(rows: Int, columns: Int, repeating value: Scalar = 0) throws {
        guard rows > 0, columns > 0 else {
            throw SparseFactorError.invalidArgument("a matrix needs at least one row and one column, got \(rows)×\(columns)")
        }
        try MemoryBudget.check("a \(rows)×\(columns) matrix", counts: [rows, columns], scalarBytes: MemoryLayout<Scalar>.size)
        try self.init(rows: rows, columns: columns, values: [Scalar](repeating: value, count: rows * columns))
    }

    /// The n×n identity.
    public static func identity(_ n: Int) throws -> Matrix {
        var m = try Matrix(rows: n, columns: n)
        for i in 0..<n { m.values[i * n + i] = 1 }
        return m
    }

    /// Entry (row, column).
    @inlinable
    public subscript(row: Int, column: Int) -> Scalar {
        get { values[row * columns + column] }
        set { values[row * columns + column] = newValue }
    }

    /// The Frobenius norm, accumulated in `Double`.
    public var frobeniusNorm: Double {
        values.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
    }

    /// Whether every entry is finite.
    public var isFinite: Bool { values.allSatisfy { $0.isFinite } }

    /// Throws if `values` was reassigned with the wrong number of entries (it is a public `var`),
    /// so no kernel ever reads past the end of the storage.
    package func checkStorage() throws {
        guard values.count == rows * columns else {
            throw SparseFactorError.shapeMismatch(expected: "\(rows * columns) values for \(rows)×\(columns)", got: "\(values.count) values")
        }
    }

    /// The matrix product `self · other` through BLAS.
    public func multiplied(by other: Matrix) throws -> Matrix {
        try checkStorage()
        try other.checkStorage()
        guard columns == other.rows else {
            throw SparseFactorError.shapeMismatch(expected: "a matrix with \(columns) rows", got: "\(other.rows)×\(other.columns)")
        }
        var out = try Matrix(rows: rows, columns: other.columns)
        let (m, n, k) = (Int64(rows), Int64(other.columns), Int64(columns))
        let status = values.withUnsafeBufferPointer { a in
            other.values.withUnsafeBufferPointer { b in
                out.values.withUnsafeMutableBufferPointer { c in
                    Scalar.kernels.gemm(c.baseAddress, a.baseAddress, b.baseAddress, 0, 0, m, n, k, 1, 0)
                }
            }
        }
        try checkKernel(status, "matrix product")
        return out
    }

    /// The transpose.
    public var transposed: Matrix {
        var out = try! Matrix(rows: columns, columns: rows)  // sizes are positive by construction
        for r in 0..<rows { for c in 0..<columns { out.values[c * rows + r] = values[r * columns + c] } }
        return out
    }
}

/// A batch of equally shaped dense matrices, stored contiguously (item after item, each row-major).
///
/// ```swift
/// let batch = try MatrixBatch<Float>(count: 3, rows: 1024, columns: 8)
/// ```
public struct MatrixBatch<Scalar: KernelScalar>: Equatable, Sendable {
    /// Number of matrices.
    public let count: Int
    /// Rows of each matrix.
    public let rows: Int
    /// Columns of each matrix.
    public let columns: Int
    /// All entries: entry (b, r, c) is `values[(b * rows + r) * columns + c]`.
    public var values: [Scalar]

    /// A batch of the given entries; throws unless `values.count == count * rows * columns`.
    public init(count: Int, rows: Int, columns: Int, values: [Scalar]) throws {
        guard count > 0, rows > 0, columns > 0 else {
            throw SparseFactorError.invalidArgument("a batch needs positive sizes, got \(count)×\(rows)×\(columns)")
        }
        let (items, o1) = count.multipliedReportingOverflow(by: rows)
        let (total, o2) = items.multipliedReportingOverflow(by: columns)
        guard !o1, !o2, values.count == total else {
            throw SparseFactorError.shapeMismatch(expected: "\(o1 || o2 ? "more" : "\(total)") values for \(count)×\(rows)×\(columns)",
                                                  got: "\(values.count) values")
        }
        self.count = count
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    /// A batch with every entry equal to `value`.
    /// Refuses sizes whose storage would not fit in half of this machine's memory.
    public init(count: Int, rows: Int, columns: Int, repeating value: Scalar = 0) throws {
        let total = try Self.checkedValueCount(count: count, rows: rows, columns: columns)
        try self.init(count: count, rows: rows, columns: columns, values: [Scalar](repeating: value, count: total))
    }

    /// A batch that a kernel is about to overwrite entirely: checked against the memory budget like
    /// any batch, but not first filled with zeros (a whole pass over memory the kernel repeats).
    package static func overwritten(count: Int, rows: Int, columns: Int) throws -> MatrixBatch {
        let total = try checkedValueCount(count: count, rows: rows, columns: columns)
        return try MatrixBatch(count: count, rows: rows, columns: columns, values: overwrittenScalars(total))
    }

    /// count · rows · columns, after the sizes and the memory budget are checked.
    private static func checkedValueCount(count: Int, rows: Int, columns: Int) throws -> Int {
        guard count > 0, rows > 0, columns > 0 else {
            throw SparseFactorError.invalidArgument("a batch needs positive sizes, got \(count)×\(rows)×\(columns)")
        }
        try MemoryBudget.check("a batch of \(count) matrices of \(rows)×\(columns)", counts: [count, rows, columns],
                               scalarBytes: MemoryLayout<Scalar>.size)
        return count * rows * columns
    }

    /// Throws if `values` was reassigned with the wrong number of entries.
    package func checkStorage() throws {
        guard values.count == count * rows * columns else {
            throw SparseFactorError.shapeMismatch(expected: "\(count * rows * columns) values for \(count)×\(rows)×\(columns)",
                                                  got: "\(values.count) values")
        }
    }

    /// The batch item `index` as a matrix (a copy).
    public subscript(index: Int) -> Matrix<Scalar> {
        let size = rows * columns
        return try! Matrix(rows: rows, columns: columns, values: Array(values[(index * size)..<((index + 1) * size)]))
    }
}

/// `count` scalars for a kernel to overwrite, not zero-filled first. Only for outputs every entry of
/// which the kernel writes (never for `+=` gradients); the caller has checked the memory budget.
package func overwrittenScalars<Scalar: KernelScalar>(_ count: Int) -> [Scalar] {
    [Scalar](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
}
