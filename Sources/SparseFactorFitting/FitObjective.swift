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

/// ``FactorizationObjective`` with its chunks spread over a process group (bit-identical results
/// for any group size). Every evaluation also gathers each rank's clock, so that a time limit
/// stops every rank after the same iteration.
final class GroupFactorizationObjective: FitObjective {
    let objective: FactorizationObjective
    let group: any ProcessGroup
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant
    private(set) var agreedSeconds: Double? = 0

    init(_ objective: FactorizationObjective, group: any ProcessGroup) throws {
        try objective.checkGroupMemory()
        self.objective = objective
        self.group = group
        self.start = clock.now
    }

    func evaluate(_ values: [Double], gradient: inout [Double]) throws -> Double {
        let loss = try objective.evaluate(values, gradient: &gradient, group: group)
        let elapsed = clock.now - start
        let mine = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        agreedSeconds = try group.allGather([mine], counts: [Int](repeating: 1, count: group.size)).max()
        return loss
    }

    func relativeError(loss: Double) -> Double { objective.relativeError(loss: loss) }
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
