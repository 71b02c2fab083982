import Foundation
import SparseFactorCore

/// Where a fit starts (``FitOptions/initialization``), before ``FitOptions/initialNoise`` is added.
///
/// A Chord chain holds any diagonal exactly (the self-links of W1 with the other factors the
/// identity), so `diagonal` starts at the best diagonal approximation of A, `‖A − diag(A)‖_F`, and
/// since a fit never returns values worse than its start, ends at least as well up to the noise.
///
/// ```swift
/// var options = FitOptions()
/// options.initialization = .diagonal
/// options.initialNoise = 0          // start exactly at diag(A)
/// let fit = try fitFactors(a, options: options)
/// ```
public enum FitInitialization: String, Sendable, CaseIterable, Codable {
    /// The paper's: every factor its pattern with each row summing to 1.
    case paper
    /// W1 = diag(A) on the self-links, every other factor the identity; needs the self-link.
    case diagonal
    /// Every link drawn from N(0, 1/k), k the links its row may use (all K, or fewer under
    /// a ``FactorSparsity``), seeded; mixed signs, for targets such as the Walsh–Hadamard transform that
    /// the all-positive paper start cannot reach. ``FitOptions/initialNoise`` is not used.
    case gaussian
    /// The diagonal start when the best diagonal alone already approximates A, that is when
    /// ‖A − diag(A)‖_F / ‖A‖_F < ``automaticDiagonalError``; otherwise the paper's, and where that fit
    /// ends no better than diag(A) alone, a second fit from the diagonal start, which is returned
    /// instead (``FitResult/rejectedAttempt`` holds the first). Its diagonal start adds no noise, so
    /// on a dense target with the self-link the result is never worse than the best diagonal.
    /// ``FitResult/initialization`` says which start the result came from. Without the self-link, or
    /// for an operator that gives no diagonal, it is the paper's start; a matrix-free fit takes the
    /// threshold alone (its error is an estimate). The default.
    ///
    /// On the converged real-matrix suite (results/factorization/converged.md) the diagonal start
    /// ended better wherever diag(A) alone left 0.07–0.67 (mesh Laplacians, discretized operators)
    /// and the paper's wherever it left 0.68 or more (images, graphs, covariance and kernel matrices):
    /// the threshold sits where the suite has only those two matrices, so the rule also checks the
    /// paper fit's outcome instead of trusting it there.
    case automatic = "auto"

    /// ``automatic``'s threshold on ‖A − diag(A)‖_F / ‖A‖_F: below it the diagonal start is taken
    /// at once (measured: it ended better on every suite matrix up to 0.67).
    public static let automaticDiagonalError = 0.6

    /// ‖A − diag(A)‖_F / ‖A‖_F from the diagonal `d` of a target of Frobenius norm `norm`, or nil when
    /// the norm is not positive and finite.
    static func diagonalOnlyError(_ d: [Double], norm: Double) -> Double? {
        guard norm > 0, norm.isFinite else { return nil }
        // ‖A − diag(A)‖² = ‖A‖² − ‖diag(A)‖², in units of ‖A‖ so that nothing overflows.
        let kept = d.reduce(0.0) { $0 + ($1 / norm) * ($1 / norm) }
        return max(1 - kept, 0).squareRoot()
    }

    /// The start this one stands for on a target of Frobenius norm `norm` whose diagonal `diagonal` gives
    /// (nil when unknown), before any fit: itself, or for ``automatic`` the diagonal start (where the
    /// diagonal leaves less than ``automaticDiagonalError``) or the paper's; with the diagonal-only error
    /// when ``automatic`` could take it (the pattern has the self-link and the diagonal is known).
    func resolved(diagonal: () throws -> [Double]?, norm: Double,
                  topology: ChordTopology) rethrows -> (start: FitInitialization, diagonalError: Double?) {
        guard self == .automatic else { return (self, nil) }
        guard topology.offsets.contains(0), let d = try diagonal(), let error = Self.diagonalOnlyError(d, norm: norm) else {
            return (.paper, nil)
        }
        return (error < Self.automaticDiagonalError ? .diagonal : .paper, error)
    }
}

extension FitOptions {
    /// The diagonal start with no noise: the fit begins exactly at diag(A), which it cannot end worse than
    /// (the automatic start's diagonal, taken by its threshold or after a paper fit that missed diag(A)).
    mutating func startAtExactDiagonal() {
        initialization = .diagonal
        initialNoise = 0
    }

    /// Replaces ``FitInitialization/automatic`` by the start its threshold picks for a target of Frobenius
    /// norm `norm` whose diagonal `diagonal` gives (nil when unknown); returns the diagonal-only error
    /// when the automatic start could take the diagonal one (see `FitInitialization.resolved`).
    mutating func resolveStart(diagonal: () throws -> [Double]?, norm: Double, topology: ChordTopology) rethrows -> Double? {
        let automatic = initialization == .automatic
        let (start, diagonalError) = try initialization.resolved(diagonal: diagonal, norm: norm, topology: topology)
        if automatic && start == .diagonal { startAtExactDiagonal() } else { initialization = start }
        return diagonalError
    }
}

extension FitInitialization {
    /// The starting chain for a target (the matrix as the optimizer sees it) whose diagonal `diagonal`
    /// gives (asked for by the diagonal start only), with the paper's noise: seeded uniform draws,
    /// normalized per row to sum 1, times `noise`, added to every row.
    /// `allowed` (see `FactorSparsity.allowedLinks`) sets the gaussian start's variances only; the links it
    /// forbids are cleared by `FitOptions.applySparsity`.
    func chain(diagonal: () throws -> [Double], topology: ChordTopology, factorCount: Int?, noise: Double,
               seed: UInt64, allowed: [Bool]? = nil) throws -> FactorChain<Double> {
        switch self {
        case .automatic:
            throw SparseFactorError.invalidArgument("the automatic start must be resolved for its target first (FitInitialization.resolved)")
        case .gaussian:
            let (m, n, k) = try Self.shape(topology: topology, factorCount: factorCount)
            var rng = SeededGenerator(seed: seed)
            var values = [Double](repeating: 0, count: m * n * k)
            for index in stride(from: 0, to: values.count, by: 2) {
                let (radius, angle) = rng.nextGaussianPolar()
                values[index] = radius * cos(angle)
                if index + 1 < values.count { values[index + 1] = radius * sin(angle) }
            }
            for row in 0..<(m * n) {          // variance 1/k, k the links the row may use
                let links = allowed.map { a in (0..<k).filter { a[row * k + $0] }.count } ?? k
                let deviation = 1 / Double(max(links, 1)).squareRoot()
                for link in 0..<k { values[row * k + link] *= deviation }
            }
            return try FactorChain(topology: topology, factorCount: m, values: values)
        case .paper:
            return try FactorChain<Double>.rowNormalized(topology: topology, factorCount: factorCount, noise: noise, seed: seed)
        case .diagonal:
            guard let selfLink = topology.offsets.firstIndex(of: 0) else {
                throw SparseFactorError.invalidArgument("the diagonal initialization needs the self-link (offset 0), got the offsets \(topology.offsets)")
            }
            let (m, n, k) = try Self.shape(topology: topology, factorCount: factorCount)
            let d = try diagonal()
            guard d.count == n else { throw SparseFactorError.shapeMismatch(expected: "a diagonal of \(n) entries", got: "\(d.count)") }
            var rng = SeededGenerator(seed: seed)
            var values = [Double](repeating: 0, count: m * n * k)
            for row in 0..<(m * n) {
                let draws = (0..<k).map { _ in rng.nextUnit() }
                let drawSum = max(draws.reduce(0, +), .leastNormalMagnitude)
                for link in 0..<k { values[row * k + link] = noise * draws[link] / drawSum }
                let i = row % n
                values[row * k + selfLink] += row < n ? d[i] : 1
            }
            return try FactorChain(topology: topology, factorCount: m, values: values)
        }
    }

    /// M (`factorCount`, or ⌈log2 N⌉), N and K of a start, once M ≥ 1 and its M·N·K values fit in memory.
    private static func shape(topology: ChordTopology, factorCount: Int?) throws -> (m: Int, n: Int, k: Int) {
        let m = factorCount ?? topology.defaultFactorCount
        guard m >= 1 else { throw SparseFactorError.invalidArgument("a chain needs at least one factor, got \(m)") }
        let (n, k) = (topology.size, topology.linksPerRow)
        try MemoryBudget.check("a chain of \(m) factors of N = \(n), K = \(k)", counts: [m, n, k], scalarBytes: MemoryLayout<Double>.size)
        return (m, n, k)
    }
}
