import SparseFactorCore
import Foundation

/// What an optimizer minimizes: a loss of the factor values with its gradient. The dense objective
/// (``FactorizationObjective``) and the matrix-free one (``ProbeObjective``) both are one.
protocol FitObjective: AnyObject {
    /// The loss at `values`, with its gradient written into `gradient` (resized if needed).
    func evaluate(_ values: [Double], gradient: inout [Double]) throws -> Double
    /// The relative error that goes with a loss value.
    func relativeError(loss: Double) -> Double
    /// Seconds since the fit began on which every process of the fit agrees (the slowest one's, as of
    /// the last evaluation), for the time limit; nil for a fit in one process, which reads its own clock.
    var agreedSeconds: Double? { get }
}

extension FitObjective {
    var agreedSeconds: Double? { nil }
}

extension FactorizationObjective: FitObjective {}

/// An objective whose evaluations a process group shares (``FactorizationObjective``'s chunks or
/// ``ProbeObjective``'s blocks spread over the ranks). Every evaluation also gathers each rank's
/// clock, so that a time limit stops every rank after the same iteration.
final class GroupFitObjective: FitObjective {
    private let base: any FitObjective
    private let group: any ProcessGroup
    private let evaluation: ([Double], inout [Double]) throws -> Double
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant
    private(set) var agreedSeconds: Double? = 0

    /// `evaluate` computes the shared evaluation on every rank (the same loss and gradient everywhere).
    init(_ base: any FitObjective, group: any ProcessGroup, evaluate: @escaping ([Double], inout [Double]) throws -> Double) {
        self.base = base
        self.group = group
        self.evaluation = evaluate
        self.start = clock.now
    }

    /// The dense objective with its column chunks spread over `group`.
    convenience init(_ objective: FactorizationObjective, group: any ProcessGroup) throws {
        try objective.checkGroupMemory()
        self.init(objective, group: group) { values, gradient in try objective.evaluate(values, gradient: &gradient, group: group) }
    }

    func evaluate(_ values: [Double], gradient: inout [Double]) throws -> Double {
        let loss = try evaluation(values, &gradient)
        let elapsed = clock.now - start
        let mine = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        agreedSeconds = try group.allGather([mine], counts: [Int](repeating: 1, count: group.size)).max()
        return loss
    }

    func relativeError(loss: Double) -> Double { base.relativeError(loss: loss) }
}

/// Throws unless `count` is the number of values of `factorCount` factors of `topology` (both objectives' check).
func checkFactorValueCount(_ count: Int, factorCount: Int, topology: ChordTopology) throws {
    let expected = factorCount * topology.nonzerosPerFactor
    guard count == expected else {
        throw SparseFactorError.shapeMismatch(
            expected: "\(expected) factor values (\(factorCount) factors × \(topology.size) rows × \(topology.linksPerRow) links)",
            got: "\(count) values")
    }
}

/// The relative Frobenius error `√(2·loss) / ‖A‖_F` that goes with a loss `½‖A − P‖²_F`.
func relativeFrobeniusError(loss: Double, targetNorm: Double) -> Double {
    (2 * max(loss, 0)).squareRoot() / targetNorm
}
