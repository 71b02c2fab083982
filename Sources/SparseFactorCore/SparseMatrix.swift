/// A square sparse matrix in compressed sparse row (CSR) form, for operators too large to hold densely
/// (N = 65,536 dense is 32 GiB; a road network or mesh of that size has a few hundred thousand non-zeros).
///
/// Row `i`'s entries are `values[rowStart[i]..<rowStart[i+1]]` at columns `columnIndex[…]`, columns
/// increasing within a row, each at most once.
///
/// ```swift
/// let a = try SparseMatrix(size: 3, entries: [(0, 1, 2.0), (2, 0, -1.0), (0, 1, 1.0)])  // (0, 1) summed: 3
/// let y = try a.apply(try Matrix<Double>(rows: 3, columns: 1, values: [1, 1, 1]))  // [3, 0, -1]
/// ```
public struct SparseMatrix: Equatable, Sendable {
    /// How entries listed more than once combine.
    public enum Duplicates: Sendable {
        /// Added up (Matrix Market files, as scipy's `mmread`).
        case sum
        /// The last listed wins (edge lists, as networkx).
        case last
    }

    /// N, the number of rows and columns.
    public let size: Int
    /// Where each row's entries start; `rowStart[N]` is the number of non-zeros.
    public let rowStart: [Int]
    /// The column of each stored entry.
    public let columnIndex: [Int]
    /// The stored entries.
    public let values: [Double]

    /// The number of stored entries.
    public var nonzeros: Int { values.count }

    /// A matrix from (row, column, value) entries in any order; entries outside N×N are refused.
    /// Stored zeros are kept (a pattern can hold explicit zeros); non-finite values are refused.
    public init(size: Int, entries: [(row: Int, column: Int, value: Double)], duplicates: Duplicates = .sum) throws {
        guard size >= 1 else { throw SparseFactorError.invalidArgument("a sparse matrix needs N ≥ 1, got \(size)") }
        // Row starts, entries, and a sort buffer: checked before anything is allocated.
        try MemoryBudget.check("a \(size)×\(size) sparse matrix's row index", counts: [size, 2], scalarBytes: MemoryLayout<Int>.size)
        try MemoryBudget.check("a sparse matrix of \(entries.count) entries", counts: [entries.count, 5], scalarBytes: MemoryLayout<Int>.size)
        for (t, e) in entries.enumerated() {
            guard (0..<size).contains(e.row), (0..<size).contains(e.column) else {
                throw SparseFactorError.invalidArgument("entry \(t) at (\(e.row), \(e.column)) is outside the \(size)×\(size) matrix (0-based)")
            }
            guard e.value.isFinite else {
                throw SparseFactorError.nonFinite("entry \(t) at (\(e.row), \(e.column)) is \(e.value)")
            }
        }
        // A stable sort by (row, column) keeps file order among duplicates, so `.last` means the last listed.
        let order = entries.indices.sorted {
            let (a, b) = (entries[$0], entries[$1])
            return a.row != b.row ? a.row < b.row : (a.column != b.column ? a.column < b.column : $0 < $1)
        }
        var starts = [Int](repeating: 0, count: size + 1)
        var columns: [Int] = []
        var stored: [Double] = []
        columns.reserveCapacity(entries.count)
        stored.reserveCapacity(entries.count)
        var previous: (row: Int, column: Int)? = nil
        for t in order {
            let e = entries[t]
            if let p = previous, p.row == e.row, p.column == e.column {
                stored[stored.count - 1] = duplicates == .sum ? stored[stored.count - 1] + e.value : e.value
                continue
            }
            columns.append(e.column)
            stored.append(e.value)
            starts[e.row + 1] += 1
            previous = (e.row, e.column)
        }
        for i in 0..<size { starts[i + 1] += starts[i] }
        self.size = size
        self.rowStart = starts
        self.columnIndex = columns
        self.values = stored
    }

    /// The non-zeros of a dense square matrix.
    public init(dense a: Matrix<Double>) throws {
        try a.checkStorage()
        guard a.rows == a.columns else { throw SparseFactorError.shapeMismatch(expected: "a square matrix", got: "\(a.rows)×\(a.columns)") }
        var entries: [(row: Int, column: Int, value: Double)] = []
        for i in 0..<a.rows { for j in 0..<a.columns where a[i, j] != 0 { entries.append((i, j, a[i, j])) } }
        try self.init(size: a.rows, entries: entries)
    }

    /// The entry at (row, column), 0 where nothing is stored.
    public subscript(row: Int, column: Int) -> Double {
        let range = rowStart[row]..<rowStart[row + 1]
        var (lo, hi) = (range.lowerBound, range.upperBound)
        while lo < hi {
            let mid = (lo + hi) / 2
            if columnIndex[mid] < column { lo = mid + 1 } else { hi = mid }
        }
        return lo < range.upperBound && columnIndex[lo] == column ? values[lo] : 0
    }

    /// ‖A‖_F, scaled by the largest entry so that it neither overflows nor underflows.
    public var frobeniusNorm: Double {
        let largest = values.reduce(0.0) { max($0, abs($1)) }
        guard largest > 0 else { return 0 }
        return largest * values.reduce(0.0) { $0 + ($1 / largest) * ($1 / largest) }.squareRoot()
    }

    /// The diagonal, A[i, i] for every i.
    public var diagonal: [Double] { (0..<size).map { self[$0, $0] } }

    /// The transpose, also in CSR form.
    public var transposed: SparseMatrix {
        var entries: [(row: Int, column: Int, value: Double)] = []
        entries.reserveCapacity(nonzeros)
        for i in 0..<size { for p in rowStart[i]..<rowStart[i + 1] { entries.append((columnIndex[p], i, values[p])) } }
        return try! SparseMatrix(size: size, entries: entries)   // every entry was valid in self, and there are no duplicates
    }

    /// The graph Laplacian `L = D − (A + Aᵀ)/2`, D the row sums of the symmetrized A (as `Matrix.laplacian()`).
    public func laplacian() throws -> SparseMatrix {
        var entries: [(row: Int, column: Int, value: Double)] = []
        entries.reserveCapacity(2 * nonzeros + size)
        var degree = [Double](repeating: 0, count: size)
        for i in 0..<size {
            for p in rowStart[i]..<rowStart[i + 1] where columnIndex[p] != i {
                let (j, w) = (columnIndex[p], values[p] / 2)
                entries.append((i, j, -w))
                entries.append((j, i, -w))
                degree[i] += w
                degree[j] += w
            }
        }
        for i in 0..<size { entries.append((i, i, degree[i])) }
        return try SparseMatrix(size: size, entries: entries)
    }

    /// The dense N×N matrix (refused when it would not fit in memory).
    public func dense() throws -> Matrix<Double> {
        var a = try Matrix<Double>(rows: size, columns: size)
        for i in 0..<size { for p in rowStart[i]..<rowStart[i + 1] { a[i, columnIndex[p]] = values[p] } }
        return a
    }
}

extension SparseMatrix: LinearOperator {
    /// A · X for an N×p block X: row i of the result sums its stored entries in column order.
    public func apply(_ x: Matrix<Double>) throws -> Matrix<Double> { try multiply(x, transposed: false) }

    /// Aᵀ · X for an N×p block X: row j of the result sums the entries of column j in row order.
    public func applyTranspose(_ x: Matrix<Double>) throws -> Matrix<Double> { try multiply(x, transposed: true) }

    /// One pass over the stored entries (i, j, v): A·X adds v·X[j] to row i, Aᵀ·X adds v·X[i] to row j.
    /// Single-threaded and in storage order, so the sums' order is fixed.
    private func multiply(_ x: Matrix<Double>, transposed: Bool) throws -> Matrix<Double> {
        try checkBlock(x)
        let p = x.columns
        var y = try Matrix<Double>(rows: size, columns: p)
        y.values.withUnsafeMutableBufferPointer { out in
            x.values.withUnsafeBufferPointer { input in
                for i in 0..<size {
                    for q in rowStart[i]..<rowStart[i + 1] {
                        let (row, column) = transposed ? (columnIndex[q], i) : (i, columnIndex[q])
                        let (v, to, from) = (values[q], out.baseAddress! + row * p, input.baseAddress! + column * p)
                        for c in 0..<p { to[c] += v * from[c] }
                    }
                }
            }
        }
        return y
    }

    public var knownFrobeniusNorm: Double? { frobeniusNorm }
    public var knownDiagonal: [Double]? { diagonal }
}
