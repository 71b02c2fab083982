import SparseFactorCore
import SparseFactorTestSupport
import Testing

// SparseMatrix against the dense matrix it stands for: products through BLAS, sums by hand.

/// A random sparse pattern with about `perRow` entries a row, some of them listed twice.
func randomEntries(_ n: Int, perRow: Int, seed: UInt64) -> [(row: Int, column: Int, value: Double)] {
    let values: [Double] = randomValues(3 * n * perRow, seed: seed)
    func index(_ v: Double) -> Int { min(n - 1, Int((v + 1) / 2 * Double(n))) }   // v uniform in [-1, 1]
    return (0..<(n * perRow)).map { t in (index(values[3 * t]), index(values[3 * t + 1]), values[3 * t + 2]) }
}

@Suite struct SparseMatrixTests {
    @Test(arguments: [2, 17, 70])
    func productsMatchTheDenseMatrix(n: Int) throws {
        let entries = randomEntries(n, perRow: 3, seed: UInt64(n))
        let a = try SparseMatrix(size: n, entries: entries)
        var dense = try Matrix<Double>(rows: n, columns: n)
        for e in entries { dense[e.row, e.column] += e.value }        // duplicates add up
        #expect(try a.dense() == dense)
        #expect(a.nonzeros == dense.values.filter { $0 != 0 }.count)
        let x = try Matrix<Double>(rows: n, columns: 5, values: randomValues(5 * n, seed: 9))
        expectClose(try a.apply(x).values, try dense.multiplied(by: x).values, rtol: 1e-12, "A·X")
        expectClose(try a.applyTranspose(x).values, try dense.transposed.multiplied(by: x).values, rtol: 1e-12, "Aᵀ·X")
        #expect(try a.transposed.dense() == dense.transposed)
        #expect(abs(a.frobeniusNorm - dense.frobeniusNorm) <= 1e-12 * dense.frobeniusNorm)
        #expect(a.diagonal == (0..<n).map { dense[$0, $0] })
        expectClose(try a.laplacian().dense().values, try dense.laplacian().values, rtol: 1e-12, "Laplacian")
        #expect(try SparseMatrix(dense: dense) == a.droppingZeros())
    }

    @Test func duplicatesSumOrKeepTheLast() throws {
        let entries: [(row: Int, column: Int, value: Double)] = [(0, 1, 2), (2, 0, -1), (0, 1, 1)]
        #expect(try SparseMatrix(size: 3, entries: entries)[0, 1] == 3)
        #expect(try SparseMatrix(size: 3, entries: entries, duplicates: .last)[0, 1] == 1)
        #expect(try SparseMatrix(size: 3, entries: entries)[2, 0] == -1)
        #expect(try SparseMatrix(size: 3, entries: entries)[1, 1] == 0)
    }

    @Test func badInputIsRefused() throws {
        expectError("N = 0", matches: \.isInvalidArgument) { try SparseMatrix(size: 0, entries: []) }
        expectMessage("outside", contains: "outside the 3×3") { try SparseMatrix(size: 3, entries: [(3, 0, 1)]) }
        expectError("NaN", matches: \.isNonFinite) { try SparseMatrix(size: 3, entries: [(0, 0, .nan)]) }
        let a = try SparseMatrix(size: 3, entries: [(0, 0, 1)])
        expectError("a block of the wrong height", matches: \.isShapeMismatch) { try a.apply(try Matrix<Double>(rows: 2, columns: 1)) }
        expectError("a non-square dense matrix", matches: \.isShapeMismatch) { try SparseMatrix(dense: try Matrix<Double>(rows: 2, columns: 3)) }
    }
}

extension SparseMatrix {
    /// The same matrix without explicitly stored zeros (what `init(dense:)` gives).
    func droppingZeros() throws -> SparseMatrix {
        var entries: [(row: Int, column: Int, value: Double)] = []
        for i in 0..<size { for p in rowStart[i]..<rowStart[i + 1] where values[p] != 0 { entries.append((i, columnIndex[p], values[p])) } }
        return try SparseMatrix(size: size, entries: entries)
    }
}
