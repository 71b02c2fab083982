import SparseFactorCore
import Testing

// Helpers shared by the SparseFactor tests: seeded data and the hand-built dense oracle.

/// A topology as a test argument, shown by how it was made rather than by its whole index.
package struct TopologyCase: Sendable, CustomTestStringConvertible {
    package let testDescription: String
    package let topology: ChordTopology

    package init(_ description: String, _ make: () throws -> ChordTopology) {
        testDescription = description
        topology = try! make()   // fixed, valid test parameters
    }
}

/// Sylvester's orthonormal Walsh–Hadamard matrix, entry by entry: H[i, j] = (−1)^popcount(i & j) / √N
/// (N a power of two). The oracle of the Hadamard tests: a formula, not a product of factors.
package func sylvesterHadamard(_ n: Int) throws -> Matrix<Double> {
    let scale = 1 / Double(n).squareRoot()
    return try Matrix(rows: n, columns: n, values: (0..<(n * n)).map { e in
        (e / n & e % n).nonzeroBitCount % 2 == 0 ? scale : -scale
    })
}

/// Uniform values in [-scale, scale].
package func randomValues<T: KernelScalar>(_ count: Int, scale: Double = 1, seed: UInt64) -> [T] {
    var rng = SeededGenerator(seed: seed)
    return (0..<count).map { _ in T(scale * (2 * rng.nextUnit() - 1)) }
}

/// A chain with random values of variance 1/K (the product keeps the magnitude of its input).
package func randomChain<T: KernelScalar>(_ topology: ChordTopology, factorCount: Int? = nil, seed: UInt64) throws -> FactorChain<T> {
    let m = factorCount ?? topology.defaultFactorCount
    let scale = (3.0 / Double(topology.linksPerRow)).squareRoot()
    return try FactorChain(topology: topology, factorCount: m,
                           values: randomValues(m * topology.nonzerosPerFactor, scale: scale, seed: seed))
}

package func randomBatch<T: KernelScalar>(count: Int, rows: Int, columns: Int, seed: UInt64) throws -> MatrixBatch<T> {
    try MatrixBatch(count: count, rows: rows, columns: columns, values: randomValues(count * rows * columns, seed: seed))
}

/// Factor `factor` (0-based) of a chain as a dense N×N matrix, written entry by entry from
/// the topology's columns and the chain's values (+=, so a repeated column would add up).
package func denseFactor<T: KernelScalar>(_ chain: FactorChain<T>, factor: Int) throws -> Matrix<T> {
    let t = chain.topology
    var w = try Matrix<T>(rows: t.size, columns: t.size)
    for i in 0..<t.size {
        for k in 0..<t.linksPerRow { w[i, t.column(row: i, link: k)] += chain.value(factor: factor, row: i, link: k) }
    }
    return w
}

/// The independent oracle of the chain: W_1 · W_2 ⋯ W_M multiplied densely through BLAS.
package func denseProductByHand<T: KernelScalar>(_ chain: FactorChain<T>) throws -> Matrix<T> {
    var product = try denseFactor(chain, factor: 0)
    for m in 1..<chain.factorCount { product = try product.multiplied(by: denseFactor(chain, factor: m)) }
    return product
}

/// Relative tolerance for results computed two different ways (sparse kernels vs BLAS).
package func tolerance<T: KernelScalar>(_: T.Type) -> Double { T.self == Float.self ? 1e-4 : 1e-11 }

/// |got − want| ≤ rtol · (|want| + rms(want)) for every entry; NaN fails; an all-zero oracle fails.
package func expectClose<T: KernelScalar>(_ got: [T], _ want: [T], rtol: Double, _ what: @autoclosure () -> String,
                                  sourceLocation: SourceLocation = #_sourceLocation) {
    guard got.count == want.count, !want.isEmpty else {
        Issue.record("\(what()): \(got.count) entries, expected \(want.count)", sourceLocation: sourceLocation)
        return
    }
    let rms = (want.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(want.count)).squareRoot()
    guard rms > 0 else {
        Issue.record("\(what()): the oracle is all zeros, so the check would prove nothing", sourceLocation: sourceLocation)
        return
    }
    for e in want.indices {
        let err = abs(Double(got[e]) - Double(want[e])) / (abs(Double(want[e])) + rms)
        if !(err <= rtol) {
            Issue.record("\(what()): entry \(e) is \(got[e]), expected \(want[e]) (relative error \(err) > \(rtol))",
                         sourceLocation: sourceLocation)
            return
        }
    }
}

/// Runs `body` and checks it throws a `SparseFactorError` that `matches` accepts.
package func expectError<R>(_ what: String, sourceLocation: SourceLocation = #_sourceLocation,
                    matches: (SparseFactorError) -> Bool, _ body: () throws -> R) {
    do {
        _ = try body()
        Issue.record("\(what): expected an error, got none", sourceLocation: sourceLocation)
    } catch let error as SparseFactorError {
        #expect(matches(error), "\(what): wrong error \(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("\(what): expected a SparseFactorError, got \(error)", sourceLocation: sourceLocation)
    }
}

extension SparseFactorError {
    package var isInvalidArgument: Bool { if case .invalidArgument = self { true } else { false } }
    package var isShapeMismatch: Bool { if case .shapeMismatch = self { true } else { false } }
    package var isNonFinite: Bool { if case .nonFinite = self { true } else { false } }
    package var isTooLarge: Bool { if case .tooLarge = self { true } else { false } }
}

/// Exact equality (`==` entry by entry), reporting the first differing entry rather than
/// dumping arrays of millions of numbers into the log.
package func expectSameBits<T: BinaryFloatingPoint>(_ got: [T], _ want: [T], _ what: @autoclosure () -> String,
                                            sourceLocation: SourceLocation = #_sourceLocation) {
    guard got.count == want.count else {
        Issue.record("\(what()): \(got.count) entries, expected \(want.count)", sourceLocation: sourceLocation)
        return
    }
    if let e = want.indices.first(where: { got[$0] != want[$0] }) {
        let count = want.indices.reduce(0) { $0 + (got[$1] != want[$1] ? 1 : 0) }
        Issue.record("\(what()): \(count) of \(want.count) entries differ, first at \(e): \(got[e]) vs \(want[e])",
                     sourceLocation: sourceLocation)
    }
}

/// The message of a thrown SparseFactorError (empty if something else or nothing was thrown).
package func errorMessage(_ body: () throws -> Any) -> String {
    do { _ = try body() } catch let error as SparseFactorError { return error.description } catch { return "unexpected \(error)" }
    return ""
}

/// Expects `body` to throw an error whose description contains `text`.
package func expectMessage<R>(_ what: String, contains text: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> R) {
    do {
        _ = try body()
        Issue.record("\(what): expected an error", sourceLocation: sourceLocation)
    } catch {
        #expect("\(error)".contains(text), "\(what): \(error)", sourceLocation: sourceLocation)
    }
}
