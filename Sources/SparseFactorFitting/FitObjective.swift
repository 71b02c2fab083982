import SparseFactorCore

/// What an optimizer minimizes: a loss of the factor values with its gradient. The dense objective
/// (``FactorizationObjective``) and the matrix-free one (``ProbeObjective``) both are one.
protocol FitObjective: AnyObject {
    /// The loss at `values`, with its gradient written into `gradient` (resized if needed).
    func evaluate(_ values: [Double], gradient: inout [Double]) throws -> Double
    /// The relative error that goes with a loss value.
    func relativeError(loss: Double) -> Double
}

extension FactorizationObjective: FitObjective {}

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
