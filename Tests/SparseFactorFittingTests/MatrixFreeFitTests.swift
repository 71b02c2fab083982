@testable import SparseFactorFitting
import SparseFactorCore
import SparseFactorTestSupport
import Testing

// The matrix-free objective and fit against dense oracles: ½‖(A − P)Ω‖²_F / p from BLAS products,
// finite differences, the dense objective's exact gradient, the dense fit and the exact error.

/// A sparse random test operator and its dense form.
func sparseOperator(_ n: Int, seed: UInt64) throws -> (SparseMatrix, Matrix<Double>) {
    let values: [Double] = randomValues(3 * 4 * n, seed: seed)
    var entries: [(row: Int, column: Int, value: Double)] = (0..<n).map { ($0, $0, 1) }
    for t in 0..<(4 * n) {
        entries.append((Int((values[3 * t] + 1) / 2 * Double(n - 1)), Int((values[3 * t + 1] + 1) / 2 * Double(n - 1)), values[3 * t + 2]))
    }
    let a = try SparseMatrix(size: n, entries: entries)
    return (a, try a.dense())
}

/// An operator that answers with the wrong shape or with NaN.
struct BrokenOperator: LinearOperator {
    let size: Int
    let nan: Bool
    func apply(_ x: Matrix<Double>) throws -> Matrix<Double> {
        if nan { var y = x; y.values[0] = .nan; return y }
        return try Matrix<Double>(rows: size, columns: x.columns + 1)
    }
    func applyTranspose(_ x: Matrix<Double>) throws -> Matrix<Double> { try apply(x) }
}

@Suite struct MatrixFreeFitTests {
    @Test(arguments: [(16, 5), (40, 33), (70, 64)])
    func lossMatchesTheDenseProbeResidual(n: Int, probes: Int) throws {
        let (a, dense) = try sparseOperator(n, seed: 2)
        let topology = try ChordTopology(size: n)
        let chain: FactorChain<Double> = try randomChain(topology, seed: 3)
        let objective = try ProbeObjective(operator: a, topology: topology, probes: probes, seed: 7)
        let omega = try ProbeSource(size: n, distribution: .rademacher, seed: 7).block(first: 0, width: probes)
        #expect(omega.values.allSatisfy { $0 == 1 || $0 == -1 })
        var residual = try denseProductByHand(chain)
        for i in residual.values.indices { residual.values[i] -= dense.values[i] }
        let r = try residual.multiplied(by: omega)
        let want = r.values.reduce(0.0) { $0 + $1 * $1 } / Double(probes) / 2
        var gradient: [Double] = []
        let got = try objective.evaluate(chain.values, gradient: &gradient)
        #expect(abs(got - want) <= 1e-11 * want, "\(got) vs \(want)")
        #expect(abs(try objective.loss(chain.values) - want) <= 1e-11 * want)
    }

    @Test func gradientMatchesFiniteDifferences() throws {
        let n = 16
        let (a, _) = try sparseOperator(n, seed: 4)
        let topology = try ChordTopology(size: n)
        let chain: FactorChain<Double> = try randomChain(topology, seed: 5)
        let objective = try ProbeObjective(operator: a, topology: topology, probes: 40, distribution: .gaussian, seed: 1)
        var gradient: [Double] = []
        try objective.evaluate(chain.values, gradient: &gradient)
        let h = 1e-6
        for k in stride(from: 0, to: chain.values.count, by: 7) {
            var plus = chain.values, minus = chain.values
            plus[k] += h
            minus[k] -= h
            let fd = (try objective.loss(plus) - objective.loss(minus)) / (2 * h)
            #expect(abs(fd - gradient[k]) <= 1e-6 * (abs(fd) + 1), "value \(k): \(gradient[k]) vs \(fd)")
        }
    }

    /// E over fresh probes of the probe gradient is the dense objective's gradient: the mean of 400
    /// resamples is within 5 standard errors of it in every coordinate checked.
    @Test func freshProbeGradientsAreUnbiased() throws {
        let n = 16
        let (a, dense) = try sparseOperator(n, seed: 6)
        let topology = try ChordTopology(size: n)
        let chain: FactorChain<Double> = try randomChain(topology, seed: 8)
        var exact: [Double] = []
        try FactorizationObjective(target: dense, topology: topology).evaluate(chain.values, gradient: &exact)
        let objective = try ProbeObjective(operator: a, topology: topology, probes: 4, seed: 11)
        objective.freshProbesEachEvaluation = true
        let samples = 400
        var sum = [Double](repeating: 0, count: exact.count), squares = sum
        var g: [Double] = []
        for _ in 0..<samples {
            try objective.evaluate(chain.values, gradient: &g)
            for k in g.indices { sum[k] += g[k]; squares[k] += g[k] * g[k] }
        }
        var worst = 0.0
        for k in exact.indices {
            let mean = sum[k] / Double(samples)
            let sd = (max(squares[k] / Double(samples) - mean * mean, 0) / Double(samples - 1)).squareRoot()
            if sd > 1e-12 { worst = max(worst, abs(mean - exact[k]) / sd) }
        }
        #expect(worst < 5.5, "largest |z| = \(worst)")
        #expect(worst > 0)
    }

    @Test func fitComesCloseToTheDenseFitAndTheIntervalHoldsTheExactError() throws {
        let n = 128
        let (a, dense) = try sparseOperator(n, seed: 12)
        var options = FitOptions()
        options.maxIterations = 400
        let denseFit = try fitFactors(dense, options: options)
        options.optimizer = .adam
        options.maxIterations = 1500
        var probing = MatrixFreeOptions()
        probing.probes = 32
        let exact = try fitFactors(operator: a, options: options, matrixFree: probing)
        #expect(exact.error.kind == .exact)
        // The exact error is the dense reconstruction's.
        let p = try denseProductByHand(exact.fit.chain)
        var e = p
        for i in e.values.indices { e.values[i] -= dense.values[i] }
        #expect(abs(exact.fit.relativeError - e.frobeniusNorm / dense.frobeniusNorm) <= 1e-9)
        #expect(exact.fit.relativeError <= 1.05 * denseFit.relativeError + 0.01,
                "matrix-free \(exact.fit.relativeError) vs dense \(denseFit.relativeError)")
        #expect(exact.fit.relativeError < 0.9 * exact.fit.history[0].relativeError)

        probing.exactErrorLimit = 0
        probing.heldOutProbes = 200
        let estimated = try fitFactors(operator: a, options: options, matrixFree: probing)
        #expect(estimated.error.kind == .estimated)
        #expect(estimated.fit.chain.values == exact.fit.chain.values)      // the same fit, measured another way
        #expect(estimated.error.lower <= exact.fit.relativeError && exact.fit.relativeError <= estimated.error.upper,
                "[\(estimated.error.lower), \(estimated.error.upper)] vs exact \(exact.fit.relativeError)")
        #expect(estimated.error.upper - estimated.error.lower < 0.2 * exact.fit.relativeError)
    }

    @Test func badOperatorsAndOptionsAreRefused() throws {
        var probing = MatrixFreeOptions()
        probing.probes = 0
        let (a, _) = try sparseOperator(16, seed: 1)
        expectMessage("no probes", contains: "at least 1, got 0") { try fitFactors(operator: a, matrixFree: probing) }
        probing = MatrixFreeOptions()
        probing.heldOutProbes = 1
        expectMessage("one held-out probe", contains: "at least 2") { try fitFactors(operator: a, matrixFree: probing) }
        expectError("wrong shape", matches: \.isShapeMismatch) { try fitFactors(operator: BrokenOperator(size: 16, nan: false)) }
        expectError("NaN products", matches: \.isNonFinite) { try fitFactors(operator: BrokenOperator(size: 16, nan: true)) }
        var options = FitOptions()
        options.initialization = .diagonal
        expectMessage("diagonal start without a diagonal", contains: "knownDiagonal") {
            try fitFactors(operator: ShiftOperator(size: 16), options: options)
        }
        expectError("zero operator", matches: \.isInvalidArgument) { try fitFactors(operator: try SparseMatrix(size: 8, entries: [])) }
    }
}

/// (A x)[i] = x[(i + 1) mod N], with no known diagonal and its norm estimated.
struct ShiftOperator: LinearOperator {
    let size: Int
    func apply(_ x: Matrix<Double>) throws -> Matrix<Double> {
        var y = x
        for i in 0..<size { for c in 0..<x.columns { y[i, c] = x[(i + 1) % size, c] } }
        return y
    }
    func applyTranspose(_ x: Matrix<Double>) throws -> Matrix<Double> {
        var y = x
        for i in 0..<size { for c in 0..<x.columns { y[(i + 1) % size, c] = x[i, c] } }
        return y
    }
}
