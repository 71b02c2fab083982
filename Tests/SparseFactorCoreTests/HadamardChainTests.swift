@testable import SparseFactorCore
import SparseFactorTestSupport
import Testing

/// The Walsh–Hadamard transform is a symmetric Chord chain exactly: factor k is butterfly level k,
/// whose link i → i XOR 2^k is the link i + 2^k (bit k of i clear) or i − 2^k (bit k set).
/// The oracle is Sylvester's formula H[i, j] = (−1)^popcount(i & j) / √N, not a product of factors.
@Suite struct HadamardChainTests {
    static let sizes = (1...10).map { 1 << $0 }   // N = 2 … 1024

    /// The chain whose factor k holds butterfly level k: row i keeps its self-link ((−1)^bit_k(i) / √2)
    /// and the link to i XOR 2^k (1 / √2); every other link is 0.
    static func butterflyChain(_ topology: ChordTopology) throws -> FactorChain<Double> {
        let n = topology.size, k = topology.linksPerRow
        let levels = topology.defaultFactorCount
        guard let selfLink = topology.offsets.firstIndex(of: 0) else {
            throw SparseFactorError.invalidArgument("N = \(n): the pattern has no self-link")
        }
        var values = [Double](repeating: 0, count: levels * n * k)
        let half = 0.5.squareRoot()
        for level in 0..<levels {
            for i in 0..<n {
                let partner = i ^ (1 << level)
                guard let link = (0..<k).first(where: { topology.column(row: i, link: $0) == partner }) else {
                    throw SparseFactorError.invalidArgument("N = \(n): row \(i) has no link to \(partner)")
                }
                let row = (level * n + i) * k
                values[row + selfLink] = i & (1 << level) == 0 ? half : -half
                values[row + link] = half
            }
        }
        return try FactorChain(topology: topology, factorCount: levels, values: values)
    }

    @Test(arguments: sizes) func symmetricChordChainIsTheHadamardTransform(n: Int) throws {
        let topology = try ChordTopology(size: n, symmetric: true)
        let chain = try Self.butterflyChain(topology)
        let h = try sylvesterHadamard(n)
        // Each entry of the product is one path of M values ±1/√2: a few roundings of 1/√N.
        let bound = 1e-14 / Double(n).squareRoot()
        let dense = try chain.denseMatrix()
        let worst = zip(dense.values, h.values).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= bound, "N = \(n): max |W1⋯WM − H| = \(worst)")

        // And as an operator on a random block, against H·X summed here in plain loops.
        let x: Matrix<Double> = try randomBatch(count: 1, rows: n, columns: 3, seed: UInt64(n))[0]
        let y = try chain.apply(x)
        for r in 0..<n {
            for c in 0..<3 {
                let want = (0..<n).reduce(0.0) { $0 + h[r, $1] * x[$1, c] }
                #expect(abs(y[r, c] - want) <= 1e-12, "N = \(n): (W·X)[\(r), \(c)] = \(y[r, c]), want \(want)")
            }
        }
    }

    /// The one-way Chord pattern (i + 2^k only) cannot hold the butterfly: the rows with bit k set
    /// (k below the top level, N ≥ 4) have no link to i − 2^k.
    @Test(arguments: sizes.filter { $0 >= 4 }) func oneWayChordPatternLacksTheButterflyLinks(n: Int) throws {
        let topology = try ChordTopology(size: n)
        let missing = (0..<n).filter { i in !(0..<topology.linksPerRow).contains { topology.column(row: i, link: $0) == i ^ 1 } }
        #expect(missing.count == n / 2, "N = \(n): rows without a link to i XOR 1: \(missing.count)")
        #expect(throws: (any Error).self) { try Self.butterflyChain(topology) }
    }
}
