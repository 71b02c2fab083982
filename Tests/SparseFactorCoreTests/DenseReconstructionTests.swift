@testable import SparseFactorCore
import SparseFactorTestSupport
import Testing

/// The chain against its dense product built by hand: each factor written out from the
/// topology's columns and the values, multiplied through BLAS.
@Suite struct DenseReconstructionTests {
    static let topologies = [
        TopologyCase("N=2") { try ChordTopology(size: 2) },
        TopologyCase("N=13") { try ChordTopology(size: 13) },
        TopologyCase("N=16 symmetric") { try ChordTopology(size: 16, symmetric: true) },
        TopologyCase("N=21 base 3 no self-link") { try ChordTopology(size: 21, base: 3, selfLink: false) },
        TopologyCase("N=40 permuted") { try ChordTopology(size: 40, permutationSeed: 11) },
        TopologyCase("N=12 offsets 0,5,-1,17") { try ChordTopology(size: 12, offsets: [0, 5, -1, 17]) },
    ]

    @Test(arguments: topologies) func floatChain(_ c: TopologyCase) throws {
        try checkDense(Float.self, c.topology)
    }

    @Test(arguments: topologies) func doubleChain(_ c: TopologyCase) throws {
        try checkDense(Double.self, c.topology)
    }

    func checkDense<T: KernelScalar>(_: T.Type, _ t: ChordTopology) throws {
        let n = t.size
        let rtol = tolerance(T.self)
        for m in Set([1, 2, t.defaultFactorCount]).sorted() {
            let chain: FactorChain<T> = try randomChain(t, factorCount: m, seed: UInt64(n * 10 + m))
            let label = "\(T.self) N=\(n) offsets=\(t.offsets) M=\(m)"
            let oracle = try denseProductByHand(chain)
            let dense = try chain.denseMatrix()

            #expect(dense.rows == n && dense.columns == n)
            expectClose(dense.values, oracle.values, rtol: rtol, "denseMatrix vs hand product, \(label)")
            expectSameBits(dense.values, try chain.apply(Matrix<T>.identity(n)).values, "denseMatrix vs chain · I, \(label)")

            // Products with random blocks, single and batched, forward and transposed.
            let x: MatrixBatch<T> = try randomBatch(count: 3, rows: n, columns: 5, seed: UInt64(n + m))
            let y = try chain.apply(x)
            let yt = try chain.applyTransposed(x)
            let denseT = oracle.transposed
            for b in 0..<3 {
                expectClose(y[b].values, try oracle.multiplied(by: x[b]).values, rtol: rtol, "apply item \(b), \(label)")
                expectClose(yt[b].values, try denseT.multiplied(by: x[b]).values, rtol: rtol, "applyTransposed item \(b), \(label)")
            }
            expectSameBits(try chain.apply(x[1]).values, y[1].values, "single-block apply vs batch, \(label)")
            expectSameBits(try chain.applyTransposed(x[2]).values, yt[2].values, "single-block applyTransposed vs batch, \(label)")
            expectSameBits(try chain(x[0]).values, y[0].values, "callAsFunction, \(label)")
            // The tape's output is the product too.
            expectSameBits(try chain.forward(x).output.values, y.values, "forward tape output, \(label)")
        }
    }

    /// Per-item chains: item b of a FactorChainBatch is its own dense product.
    @Test func batchOfChainsAppliesEachItemsProduct() throws {
        let t = try ChordTopology(size: 11, symmetric: true)
        let (count, m) = (3, t.defaultFactorCount)
        let values: [Double] = randomValues(count * m * t.nonzerosPerFactor, scale: 0.5, seed: 4)
        let chains = try FactorChainBatch(topology: t, count: count, values: values)
        #expect(chains.factorCount == m)
        let x: MatrixBatch<Double> = try randomBatch(count: count, rows: 11, columns: 4, seed: 5)
        let y = try chains(x)
        let yt = try chains.applyTransposed(x)
        expectSameBits(try chains.forward(x).output.values, y.values, "batch forward tape output")
        for b in 0..<count {
            let item = try chains.chain(b)
            expectSameBits(item.values, Array(values[(b * m * t.nonzerosPerFactor)..<((b + 1) * m * t.nonzerosPerFactor)]), "chain(\(b)) values")
            let oracle = try denseProductByHand(item)
            expectClose(y[b].values, try oracle.multiplied(by: x[b]).values, rtol: 1e-11, "batch apply item \(b)")
            expectClose(yt[b].values, try oracle.transposed.multiplied(by: x[b]).values, rtol: 1e-11, "batch applyTransposed item \(b)")
        }
        // The items really differ, so a kernel that used item 0's values everywhere would fail above.
        #expect(try chains.chain(0) != (try chains.chain(1)))
    }

    @Test func rowNormalizedInitializationHasUnitRowSums() throws {
        // Each row of each factor: 1/K per link plus noise·draw/Σdraws, so it sums to 1 + noise.
        let t = try ChordTopology(size: 20)
        let chain = try FactorChain<Double>.rowNormalized(topology: t, noise: 0.01, seed: 3)
        #expect(chain.factorCount == 5)
        for m in 0..<5 {
            for i in 0..<20 {
                let sum = (0..<t.linksPerRow).reduce(0.0) { $0 + chain.value(factor: m, row: i, link: $1) }
                #expect(abs(sum - 1.01) < 1e-12)
            }
        }
        // Hence the dense product's rows sum to 1.01^M.
        let dense = try chain.denseMatrix()
        for i in 0..<20 {
            let sum = (0..<20).reduce(0.0) { $0 + dense[i, $1] }
            #expect(abs(sum - 1.01 * 1.01 * 1.01 * 1.01 * 1.01) < 1e-12)
        }
        expectSameBits(try FactorChain<Double>.rowNormalized(topology: t, seed: 3).values, chain.values, "same seed")
        #expect(try FactorChain<Double>.rowNormalized(topology: t, seed: 4) != chain)
    }
}
