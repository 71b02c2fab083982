/// What an optimizer minimizes: a loss of the factor values with its gradient. The dense objective
/// (``FactorizationObjective``) and the matrix-free one (``ProbeObjective``) both are one.
protocol FitObjective: AnyObject {
    /// The loss at `values`, with its gradient written into `gradient` (resized if needed).
    func evaluate(_ values: [Double], gradient: inout [Double]) throws -> Double
    /// The relative error that goes with a loss value.
    func relativeError(loss: Double) -> Double
}

extension FactorizationObjective: FitObjective {}
