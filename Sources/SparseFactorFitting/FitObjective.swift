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
    /// The same for CPU seconds (each process's own since the fit began; the largest), for the CPU limit.
    var agreedCPUSeconds: Double? { get }
}

extension FitObjective {
    var agreedSeconds: Double? { nil }
    var agreedCPUSeconds: Double? { nil }
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
    private let cpuStart = processCPUSeconds()
    private(set) var agreedSeconds: Double? = 0
    private(set) var agreedCPUSeconds: Double? = 0

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
        // Each rank's [wall, CPU] seconds; every rank takes the largest of each, so all stop after the same iteration.
        let clocks = try group.allGather([mine, processCPUSeconds() - cpuStart], counts: [Int](repeating: 2, count: group.size))
        agreedSeconds = stride(from: 0, to: clocks.count, by: 2).map { clocks[$0] }.max()
        agreedCPUSeconds = stride(from: 1, to: clocks.count, by: 2).map { clocks[$0] }.max()
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
