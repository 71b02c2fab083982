import SparseFactorFitting
import SparseFactorCore
import SparseFactorTestSupport
import Testing

// The truncated SVD baseline, against a reconstruction from U, S, Vᵀ multiplied through BLAS.

/// U_r · diag(σ_1…σ_r) · Vᵀ_r as a dense matrix.
func rankReconstruction(_ svd: SingularValueDecomposition, rank r: Int) throws -> Matrix<Double> {
    let m = svd.u.rows, n = svd.vt.columns
    if r == 0 { return try Matrix(rows: m, columns: n) }
    var scaledU = try Matrix<Double>(rows: m, columns: r)
    for i in 0..<m { for k in 0..<r { scaledU[i, k] = svd.u[i, k] * svd.singularValues[k] } }
    var topVt = try Matrix<Double>(rows: r, columns: n)
    for k in 0..<r { for j in 0..<n { topVt[k, j] = svd.vt[k, j] } }
    return try scaledU.multiplied(by: topVt)
}

func frobeniusDistance(_ a: Matrix<Double>, _ b: Matrix<Double>) -> Double {
    zip(a.values, b.values).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
}

@Suite struct FitTruncatedSVDTests {
    @Test(arguments: [(12, 12), (9, 5), (4, 7)])
    func decompositionReconstructsTheMatrix(rows: Int, columns: Int) throws {
        let a = try Matrix<Double>(rows: rows, columns: columns, values: randomValues(rows * columns, seed: 61))
        let svd = try SingularValueDecomposition(of: a)
        let r = min(rows, columns)
        #expect(svd.singularValues.count == r)
        #expect(zip(svd.singularValues, svd.singularValues.dropFirst()).allSatisfy { $0 >= $1 })
        #expect(frobeniusDistance(try rankReconstruction(svd, rank: r), a) <= 1e-13 * a.frobeniusNorm)
        // Orthonormal columns of U.
        let gram = try svd.u.transposed.multiplied(by: svd.u)
        #expect(frobeniusDistance(gram, try Matrix<Double>.identity(r)) <= 1e-13)
        // The values-only path gives the same singular values.
        let valuesOnly = try SingularValueDecomposition.singularValues(of: a)
        for (x, y) in zip(valuesOnly, svd.singularValues) { #expect(abs(x - y) <= 1e-13 * svd.singularValues[0]) }
    }

    @Test(arguments: [0, 1, 3, 7, 11])
    func errorMatchesTheDirectReconstruction(rank: Int) throws {
        let a = try randomMatrix(12, seed: 62)
        let tsvd = try truncatedSVD(a, rank: rank)
        let direct = frobeniusDistance(a, try rankReconstruction(try SingularValueDecomposition(of: a), rank: rank))
        #expect(direct > 0.01)
        #expect(abs(tsvd.absoluteError - direct) <= 1e-12 * a.frobeniusNorm)
        #expect(abs(tsvd.relativeError - direct / a.frobeniusNorm) <= 1e-12)
        #expect(tsvd.rank == rank)
        #expect(tsvd.parameterCount == 2 * 12 * rank)
    }

    @Test func fullRankIsExact() throws {
        let a = try randomMatrix(10, seed: 63)
        for rank in [10, 25] {
            let tsvd = try truncatedSVD(a, rank: rank)
            #expect(tsvd.rank == 10)
            #expect(tsvd.absoluteError == 0)
            #expect(tsvd.relativeError == 0)
        }
        #expect(try truncatedSVD(a, rank: 0).relativeError == 1)
    }

    @Test func aLowRankMatrixIsRecoveredAtItsRank() throws {
        let left = try Matrix<Double>(rows: 16, columns: 3, values: randomValues(48, seed: 64))
        let right = try Matrix<Double>(rows: 3, columns: 16, values: randomValues(48, seed: 65))
        let a = try left.multiplied(by: right)
        #expect(try truncatedSVD(a, rank: 3).relativeError < 1e-13)
        #expect(try truncatedSVD(a, rank: 2).relativeError > 1e-3)
    }

    @Test func rankRules() throws {
        // N = 512: M = 9 factors, K = 10 links, 46 080 non-zeros.
        let topology = try ChordTopology(size: 512)
        let m = topology.defaultFactorCount
        let nnz = topology.nonzeros(factors: m)
        #expect(m == 9 && nnz == 46_080)
        #expect(TruncatedSVDRank.paper.rank(size: 512, factorCount: m, nonzeros: nnz) == 41)
        let matched = TruncatedSVDRank.matchedParameters.rank(size: 512, factorCount: m, nonzeros: nnz)
        #expect(matched == 45)
        #expect(2 * 512 * matched <= nnz && 2 * 512 * (matched + 1) > nnz)
        #expect(TruncatedSVDRank.fixed(7).rank(size: 512, factorCount: m, nonzeros: nnz) == 7)
        #expect(TruncatedSVDRank.paper.rank(size: 8, factorCount: 3, nonzeros: 96) == 5)
    }

    @Test func refusesBadInput() throws {
        var a = try randomMatrix(6, seed: 66)
        expectError("negative rank", matches: { $0.isInvalidArgument }) { try truncatedSVD(a, rank: -1) }
        a[1, 1] = .infinity
        expectError("infinite entry", matches: { $0.isNonFinite }) { try truncatedSVD(a, rank: 2) }
        expectError("infinite entry (full SVD)", matches: { $0.isNonFinite }) { try SingularValueDecomposition(of: a) }
    }
}
