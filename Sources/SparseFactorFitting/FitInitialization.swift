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
    /// `diagonal` when the best diagonal alone already approximates A, that is when
    /// ‖A − diag(A)‖_F / ‖A‖_F < ``automaticDiagonalError``, and the pattern has the self-link;
    /// `paper` otherwise (``FitResult/initialization`` says which). On the converged real-matrix suite
    /// and the generated matrices of results/factorization, the diagonal start ended better wherever
    /// diag(A) alone left 0.12–0.58 (mesh Laplacians, shifted and dominant matrices) and the paper's
    /// wherever it left 0.82 or more (images, graphs, covariance and kernel matrices).
    case automatic = "auto"

    /// ``automatic``'s threshold on ‖A − diag(A)‖_F / ‖A‖_F, between the measured 0.58 and 0.82.
    public static let automaticDiagonalError = 0.7

    /// The start this one stands for on a target of Frobenius norm `norm` whose diagonal `diagonal` gives
    /// (nil when unknown): itself, or for ``automatic`` the diagonal or the paper's start by its rule.
    func resolved(diagonal: () throws -> [Double]?, norm: Double, topology: ChordTopology) rethrows -> FitInitialization {
        guard self == .automatic else { return self }
        guard topology.offsets.contains(0), norm > 0, norm.isFinite, let d = try diagonal() else { return .paper }
        // ‖A − diag(A)‖² = ‖A‖² − ‖diag(A)‖², in units of ‖A‖ so that nothing overflows.
        let kept = d.reduce(0.0) { $0 + ($1 / norm) * ($1 / norm) }
        return max(1 - kept, 0).squareRoot() < Self.automaticDiagonalError ? .diagonal : .paper
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
