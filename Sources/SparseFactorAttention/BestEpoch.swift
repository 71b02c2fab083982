/// The epoch whose model scored best on the validation set so far: its evaluations and where the
/// run stood. A run that starts to overfit keeps training, and its last model can be worse than an
/// earlier one; this is what LRA-style results report (the test score of the best-validation model).
///
/// Best means the highest validation accuracy; between equal accuracies, the lower validation loss;
/// between those, the earlier epoch.
///
/// ```swift
/// let summary = try trainer.train()
/// if let best = summary.best {
///     print("epoch \(best.epoch): validation \(best.validation.accuracy), test \(best.test?.accuracy ?? .nan)")
/// }
/// ```
public struct BestEpoch: Equatable, Sendable, Codable {
    /// The epoch (1-based) after which the model was evaluated.
    public var epoch: Int
    /// Training steps taken by then.
    public var steps: Int
    public var validation: Evaluation
    /// The same model on the test set (nil without one).
    public var test: Evaluation?

    public init(epoch: Int, steps: Int, validation: Evaluation, test: Evaluation?) {
        self.epoch = epoch
        self.steps = steps
        self.validation = validation
        self.test = test
    }

    /// Whether a model with this validation result is better than `best` (any model is better than none).
    /// A NaN accuracy or loss never wins.
    public static func isImprovement(_ validation: Evaluation, over best: BestEpoch?) -> Bool {
        guard !validation.accuracy.isNaN else { return false }
        guard let best else { return true }
        if validation.accuracy != best.validation.accuracy { return validation.accuracy > best.validation.accuracy }
        return validation.loss < best.validation.loss
    }
}
