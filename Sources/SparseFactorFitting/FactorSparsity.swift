import SparseFactorCore

/// Which links of each factor a fit may use (``FitOptions/sparsity``); the others start at 0 and
/// stay there, so the chain keeps the topology's layout and kernels.
///
/// In the Chord pattern every factor may use every offset, and fits of exactly representable
/// transforms stall on plateaus where several factors share a level. `butterfly` gives factor m
/// one level only, Dao et al.'s fixed butterfly sparsity (ICML 2019) inside the symmetric Chord
/// pattern: with it and a Gaussian start L-BFGS recovers the Walsh–Hadamard transform to round-off.
///
/// ```swift
/// var options = FitOptions()
/// options.topology = try ChordTopology(size: 256, symmetric: true)
/// options.sparsity = .butterfly
/// options.initialization = .gaussian
/// let fit = try fitFactors(hadamard, options: options)     // relative error ~1e-9
/// ```
public enum FactorSparsity: String, Sendable, CaseIterable, Codable {
    /// Every link of the topology (the default).
    case pattern
    /// Factor m (1-based) keeps, in row i, the self-link and the link to column i XOR 2^(m−1) (when the
    /// row has it): level m−1 of a butterfly, Dao et al.'s fixed butterfly sparsity. In the symmetric
    /// Chord pattern every row has that link (i + 2^(m−1) when bit m−1 of i is clear, i − 2^(m−1) when it
    /// is set); in the one-way pattern half of the rows do not. Needs an unpermuted ring.
    case butterfly
}

extension FactorSparsity {
    /// Whether each value of a chain of `m` factors may be non-zero (`m * N * K` flags, the values'
    /// layout), or nil when every link is allowed.
    func allowedLinks(topology: ChordTopology, factorCount m: Int) throws -> [Bool]? {
        switch self {
        case .pattern:
            return nil
        case .butterfly:
            guard topology.permutationSeed == nil else {
                throw SparseFactorError.invalidArgument("butterfly sparsity pairs rows by the bits of their index, so it needs an unpermuted ring (no permutation seed)")
            }
            let (n, k) = (topology.size, topology.linksPerRow)
            guard m <= topology.defaultFactorCount, topology.offsets.contains(0) else {
                throw SparseFactorError.invalidArgument(
                    "butterfly sparsity needs the self-link and at most ⌈log2 N⌉ = \(topology.defaultFactorCount) factors (one per bit of the row index), got \(m) factors and the offsets \(topology.offsets)")
            }
            try MemoryBudget.check("the butterfly sparsity's flags for \(m) factors of N = \(n), K = \(k)", counts: [m, n, k], scalarBytes: 1)
            var allowed = [Bool](repeating: false, count: m * n * k)
            var partners = 0
            for factor in 0..<m {
                let bit = 1 << factor
                for i in 0..<n {
                    let base = (factor * n + i) * k
                    for link in 0..<k {
                        let column = topology.column(row: i, link: link)
                        if column == i || column == i ^ bit { allowed[base + link] = true }
                        if column == i ^ bit { partners += 1 }
                    }
                }
            }
            guard partners > 0 else {
                throw SparseFactorError.invalidArgument("butterfly sparsity found no link from a row i to i XOR 2^(m−1) in the offsets \(topology.offsets)")
            }
            return allowed
        }
    }
}

/// `values` with the links that `allowed` forbids set to 0; with `keepRowSums`, each row's remaining
/// links rescaled so that the row keeps its sum (the paper's start then still has rows that sum to 1;
/// a row with nothing left to rescale keeps its allowed values as they are).
func restricted(_ values: [Double], allowed: [Bool], links k: Int, keepRowSums: Bool) -> [Double] {
    var out = values
    for row in 0..<(values.count / k) {
        let base = row * k
        var total = 0.0, kept = 0.0
        for link in 0..<k {
            total += values[base + link]
            if allowed[base + link] { kept += values[base + link] } else { out[base + link] = 0 }
        }
        guard keepRowSums, kept != 0, total.isFinite, kept.isFinite else { continue }
        let scale = total / kept
        for link in 0..<k where allowed[base + link] { out[base + link] *= scale }
    }
    return out
}

/// An objective whose gradient is 0 on the links `allowed` forbids, so an optimizer that starts
/// them at 0 (L-BFGS, Adam) never moves them.
final class RestrictedFitObjective: FitObjective {
    private let base: any FitObjective
    private let allowed: [Bool]

    init(_ base: any FitObjective, allowed: [Bool]) {
        self.base = base
        self.allowed = allowed
    }

    func evaluate(_ values: [Double], gradient: inout [Double]) throws -> Double {
        let loss = try base.evaluate(values, gradient: &gradient)
        for index in gradient.indices where !allowed[index] { gradient[index] = 0 }
        return loss
    }

    func relativeError(loss: Double) -> Double { base.relativeError(loss: loss) }
    var agreedSeconds: Double? { base.agreedSeconds }
    var agreedCPUSeconds: Double? { base.agreedCPUSeconds }
}

extension FitOptions {
    /// The links ``sparsity`` allows for this fit's chain on `topology` (the given chain's factor count,
    /// else ``factorCount``, else ⌈log2 N⌉); nil for all. A fit computes it once, for its start and its objective.
    func allowedLinks(_ topology: ChordTopology) throws -> [Bool]? {
        try sparsity.allowedLinks(topology: topology, factorCount: initialChain?.factorCount ?? factorCount ?? topology.defaultFactorCount)
    }

    /// The start and the objective under `allowed` (``allowedLinks(_:)``): both unchanged for nil; otherwise
    /// the start with its forbidden links at 0 (the paper's start with its rows rescaled to their sums, see
    /// `restricted`) and an objective that keeps them there. Both fits (dense and matrix-free) go through here.
    func applySparsity(_ allowed: [Bool]?, start: FactorChain<Double>,
                       objective: any FitObjective) throws -> (FactorChain<Double>, any FitObjective) {
        guard let allowed else { return (start, objective) }
        let values = restricted(start.values, allowed: allowed, links: start.topology.linksPerRow,
                                keepRowSums: initialChain == nil && initialization == .paper)
        return (try FactorChain(topology: start.topology, factorCount: start.factorCount, values: values),
                RestrictedFitObjective(objective, allowed: allowed))
    }
}
