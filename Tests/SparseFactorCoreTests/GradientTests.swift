@testable import SparseFactorCore
import SparseFactorTestSupport
import Testing

/// Chain gradients against central finite differences of L = ⟨G, Y⟩ in Double.
/// L is linear in every single entry of X and of the values (each value appears in exactly
/// one factor), so the central difference has no truncation error, only rounding (~1e-12).
@Suite struct GradientTests {
    static let cases: [(n: Int, symmetric: Bool)] = [(5, false), (8, false), (13, false), (8, true)]
    let step = 1e-3
    let rtol = 1e-7

    /// `count` distinct indices in 0..<total (all of them when total is small).
    func sample(_ total: Int, _ count: Int, seed: UInt64) -> [Int] {
        var rng = SeededGenerator(seed: seed)
        return Array(Array(0..<total).shuffled(using: &rng).prefix(count))
    }

    func loss(_ y: MatrixBatch<Double>, _ g: MatrixBatch<Double>) -> Double {
        zip(y.values, g.values).reduce(0.0) { $0 + $1.0 * $1.1 }
    }

    /// Collects the mismatches of one check, so a broken gradient gives one issue, not hundreds.
    struct DerivativeCheck {
        let step: Double
        let rtol: Double
        var checked = 0
        var failures: [String] = []

        mutating func compare(_ analytic: Double, plus: Double, minus: Double, _ what: String) {
            let numeric = (plus - minus) / (2 * step)
            checked += 1
            if !(abs(analytic - numeric) <= rtol * (1 + abs(numeric))) {
                failures.append("\(what): analytic \(analytic), finite difference \(numeric)")
            }
        }

        func report(_ label: String, sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(checked > 0, "\(label): nothing checked", sourceLocation: sourceLocation)
            if !failures.isEmpty {
                Issue.record("\(label): \(failures.count) of \(checked) derivatives wrong, e.g. \(failures.prefix(3).joined(separator: "; "))",
                             sourceLocation: sourceLocation)
            }
        }
    }

    @Test(arguments: cases) func sharedValues(n: Int, symmetric: Bool) throws {
        let t = try ChordTopology(size: n, symmetric: symmetric)
        for m in Set([1, 2, t.defaultFactorCount]).sorted() {
            let label = "N=\(n) sym=\(symmetric) M=\(m)"
            let chain: FactorChain<Double> = try randomChain(t, factorCount: m, seed: UInt64(n * 7 + m))
            let x: MatrixBatch<Double> = try randomBatch(count: 2, rows: n, columns: 3, seed: 1)
            let g: MatrixBatch<Double> = try randomBatch(count: 2, rows: n, columns: 3, seed: 2)
            let grads = try chain.backward(chain.forward(x), outputGradient: g)
            #expect(grads.values.count == chain.values.count)
            #expect(grads.input.count == 2 && grads.input.rows == n && grads.input.columns == 3)

            var check = DerivativeCheck(step: step, rtol: rtol)
            for e in sample(x.values.count, 25, seed: UInt64(m)) {
                var xp = x, xm = x
                xp.values[e] += step
                xm.values[e] -= step
                check.compare(grads.input.values[e], plus: loss(try chain.apply(xp), g), minus: loss(try chain.apply(xm), g), "dL/dX[\(e)]")
            }
            // Shared values: the gradient sums both batch items' contributions.
            for j in sample(chain.values.count, 40, seed: UInt64(m + 100)) {
                var cp = chain, cm = chain
                cp[valueAt: j] += step
                cm[valueAt: j] -= step
                check.compare(grads.values[j], plus: loss(try cp.apply(x), g), minus: loss(try cm.apply(x), g), "dL/dvalues[\(j)]")
            }
            check.report(label)
        }
    }

    @Test(arguments: cases) func perItemValues(n: Int, symmetric: Bool) throws {
        let t = try ChordTopology(size: n, symmetric: symmetric)
        let count = 3
        for m in Set([1, 2, t.defaultFactorCount]).sorted() {
            let label = "N=\(n) sym=\(symmetric) M=\(m)"
            let scale = (3.0 / Double(t.linksPerRow)).squareRoot()
            let chains = try FactorChainBatch<Double>(
                topology: t, factorCount: m, count: count,
                values: randomValues(count * m * t.nonzerosPerFactor, scale: scale, seed: UInt64(n * 5 + m)))
            let x: MatrixBatch<Double> = try randomBatch(count: count, rows: n, columns: 2, seed: 3)
            let g: MatrixBatch<Double> = try randomBatch(count: count, rows: n, columns: 2, seed: 4)
            let grads = try chains.backward(chains.forward(x), outputGradient: g)
            #expect(grads.values.count == chains.values.count)

            var check = DerivativeCheck(step: step, rtol: rtol)
            for e in sample(x.values.count, 25, seed: UInt64(m)) {
                var xp = x, xm = x
                xp.values[e] += step
                xm.values[e] -= step
                check.compare(grads.input.values[e], plus: loss(try chains(xp), g), minus: loss(try chains(xm), g), "dL/dX[\(e)]")
            }
            // Per-item values: sampled across all items, so each item's block of the gradient is checked.
            for j in sample(chains.values.count, 60, seed: UInt64(m + 100)) {
                var cp = chains, cm = chains
                cp[valueAt: j] += step
                cm[valueAt: j] -= step
                check.compare(grads.values[j], plus: loss(try cp(x), g), minus: loss(try cm(x), g), "dL/dvalues[\(j)]")
            }
            check.report(label)
        }
    }
}
