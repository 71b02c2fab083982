import SparseFactorFitting
import SparseFactorCore
import SparseFactorTestSupport
import Testing

// The fitting objective ½‖A − W₁⋯W_M‖²_F and its gradient, against independent oracles:
// dense factors multiplied through BLAS, the paper's closed-form gradient, finite differences.

/// A random N×N matrix with entries in [-1, 1].
func randomMatrix(_ n: Int, seed: UInt64) throws -> Matrix<Double> {
    try Matrix(rows: n, columns: n, values: randomValues(n * n, seed: seed))
}

/// ½‖A − P‖²_F summed directly.
func halfSquaredDistance(_ a: Matrix<Double>, _ p: Matrix<Double>) -> Double {
    zip(a.values, p.values).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / 2
}

@Suite struct FitObjectiveTests {
    // N = 40 and 70 span several of the kernel's 32-column blocks, the last one partial.
    @Test(arguments: [(8, nil), (12, nil), (16, nil), (8, 1), (8, 2), (16, 3), (40, nil), (70, 2)] as [(Int, Int?)])
    func lossMatchesTheDenseProduct(n: Int, factors: Int?) throws {
        let topology = try ChordTopology(size: n)
        let chain: FactorChain<Double> = try randomChain(topology, factorCount: factors, seed: 3)
        let a = try randomMatrix(n, seed: 4)
        let objective = try FactorizationObjective(target: a, topology: topology, factorCount: factors)
        let want = halfSquaredDistance(a, try denseProductByHand(chain))
        #expect(want > 1)
        let loss = try objective.loss(chain.values)
        var gradient: [Double] = []
        let lossWithGradient = try objective.evaluate(chain.values, gradient: &gradient)
        #expect(abs(loss - want) <= 1e-12 * want)
        #expect(lossWithGradient == loss)
        #expect(gradient.count == chain.values.count)
        #expect(abs(objective.relativeError(loss: loss) - (2 * want).squareRoot() / a.frobeniusNorm) <= 1e-12)
    }

    /// The paper's gradient of factor m, `Lᵀ (P − A) Rᵀ` with L = W₁⋯W_{m−1}, R = W_{m+1}⋯W_M,
    /// read on the pattern, from dense BLAS products.
    @Test(arguments: [(8, nil), (12, nil), (8, 1), (8, 2), (40, nil), (70, 2)] as [(Int, Int?)])
    func gradientMatchesThePaperFormula(n: Int, factors: Int?) throws {
        let topology = try ChordTopology(size: n)
        let chain: FactorChain<Double> = try randomChain(topology, factorCount: factors, seed: 5)
        let a = try randomMatrix(n, seed: 6)
        let objective = try FactorizationObjective(target: a, topology: topology, factorCount: factors)
        var gradient: [Double] = []
        try objective.evaluate(chain.values, gradient: &gradient)

        let m = chain.factorCount
        let factors = try (0..<m).map { try denseFactor(chain, factor: $0) }
        let identity = try Matrix<Double>.identity(n)
        let product = try factors.reduce(identity) { try $0.multiplied(by: $1) }
        var residual = product
        for i in residual.values.indices { residual.values[i] -= a.values[i] }
        var want = [Double](repeating: 0, count: chain.values.count)
        for f in 0..<m {
            let left = try factors[..<f].reduce(identity) { try $0.multiplied(by: $1) }
            let right = try factors[(f + 1)...].reduce(identity) { try $0.multiplied(by: $1) }
            let full = try left.transposed.multiplied(by: residual).multiplied(by: right.transposed)
            for i in 0..<n {
                for k in 0..<topology.linksPerRow {
                    want[(f * n + i) * topology.linksPerRow + k] = full[i, topology.column(row: i, link: k)]
                }
            }
        }
        expectClose(gradient, want, rtol: 1e-11, "gradient vs Lᵀ(P−A)Rᵀ at N = \(n), M = \(m)")
    }

    /// Central differences of the loss along every value (the loss is a polynomial in the values,
    /// so with h = 1e-5 the truncation error is ~h² and round-off ~ε·L/h).
    @Test(arguments: [(8, nil), (12, nil), (8, 1), (8, 2), (12, 6), (40, 3)] as [(Int, Int?)])
    func gradientMatchesFiniteDifferences(n: Int, factors: Int?) throws {
        let topology = try ChordTopology(size: n)
        let chain = try FactorChain<Double>.rowNormalized(topology: topology, factorCount: factors, noise: 0.5, seed: 7)
        let a = try randomMatrix(n, seed: 8)
        let objective = try FactorizationObjective(target: a, topology: topology, factorCount: factors)
        var gradient: [Double] = []
        try objective.evaluate(chain.values, gradient: &gradient)
        let h = 1e-5
        var numeric = [Double](repeating: 0, count: gradient.count)
        for p in gradient.indices {
            var plus = chain.values, minus = chain.values
            plus[p] += h
            minus[p] -= h
            numeric[p] = (try objective.loss(plus) - objective.loss(minus)) / (2 * h)
        }
        expectClose(gradient, numeric, rtol: 1e-6, "gradient vs finite differences at N = \(n), M = \(chain.factorCount)")
    }

    @Test func evaluationsReuseBuffersWithoutCrosstalk() throws {
        // The objective keeps its buffers between calls: a loss-only call in between must not
        // change what a later gradient call computes.
        let topology = try ChordTopology(size: 16)
        let first: FactorChain<Double> = try randomChain(topology, seed: 9)
        let second: FactorChain<Double> = try randomChain(topology, seed: 10)
        let objective = try FactorizationObjective(target: try randomMatrix(16, seed: 11), topology: topology)
        var g1: [Double] = [], g2: [Double] = []
        let l1 = try objective.evaluate(first.values, gradient: &g1)
        _ = try objective.loss(second.values)
        _ = try objective.evaluate(second.values, gradient: &g2)
        let l1again = try objective.evaluate(first.values, gradient: &g2)
        #expect(l1again == l1)
        #expect(g2 == g1)
    }

    @Test func refusesMismatchedShapes() throws {
        let topology = try ChordTopology(size: 8)
        expectError("target of the wrong size", matches: { $0.isShapeMismatch }) {
            try FactorizationObjective(target: try randomMatrix(9, seed: 1), topology: topology)
        }
        let objective = try FactorizationObjective(target: try randomMatrix(8, seed: 1), topology: topology)
        expectError("too few values", matches: { $0.isShapeMismatch }) { try objective.loss([1, 2, 3]) }
        var nan = try randomMatrix(8, seed: 2)
        nan[3, 4] = .nan
        expectError("NaN target", matches: { $0.isNonFinite }) { try FactorizationObjective(target: nan, topology: topology) }
        expectError("over the memory limit", matches: { $0.isTooLarge }) {
            try FactorizationObjective(target: try randomMatrix(8, seed: 1), topology: topology, memoryLimit: 100)
        }
    }
}
