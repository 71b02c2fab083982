import SparseFactorCore
import Foundation

/// Mean squared error, averaged over every entry (for a `[B, 1]` prediction: over the batch),
/// like PyTorch's `nn.MSELoss()`. The sum is accumulated in `Double`.
///
/// The target may have the prediction's shape or drop its trailing 1s (`[B]` for `[B, 1]`).
///
/// ```swift
/// let mse = MSELoss()
/// let (loss, gradient) = try mse(try Tensor(shape: [2, 1], values: [1, 2]), try Tensor(shape: [2], values: [0, 0]))
/// // loss = (1 + 4) / 2 = 2.5, gradient = 2(p − t)/2 = [1, 2]
/// ```
public struct MSELoss: Sendable {
    public init() {}

    /// The loss and dL/dprediction.
    public func callAsFunction(_ prediction: Tensor, _ target: Tensor) throws -> (loss: Float, gradient: Tensor) {
        try prediction.checkConsistent("MSE prediction")
        try target.checkConsistent("MSE target")
        guard droppingTrailingOnes(prediction.shape) == droppingTrailingOnes(target.shape) else {
            throw SparseFactorError.shapeMismatch(expected: "an MSE target of shape \(prediction.shape)", got: "\(target.shape)")
        }
        guard prediction.count > 0 else { throw SparseFactorError.invalidArgument("MSE needs a non-empty prediction, got shape \(prediction.shape)") }
        let scale = 2 / Double(prediction.count)
        var sum = 0.0
        var gradient = Tensor(shape: prediction.shape)
        for i in prediction.values.indices {
            let difference = Double(prediction.values[i]) - Double(target.values[i])
            sum += difference * difference
            gradient.values[i] = Float(scale * difference)
        }
        return (Float(sum / Double(prediction.count)), gradient)
    }
}

/// Cross-entropy of logits `[..., classes]` against integer class ids stored as `Float`
/// (shape `[...]`, or `[..., 1]`), averaged over the rows (for `[B, classes]`: over the batch),
/// like PyTorch's `nn.CrossEntropyLoss()`.
///
/// It goes through a numerically stable log-softmax, log pᵢ = zᵢ − m − log Σⱼ exp(zⱼ − m) with
/// m = maxⱼ zⱼ, in `Double`; the gradient is (softmax − one-hot)/rows.
///
/// ```swift
/// let ce = CrossEntropyLoss()
/// let (loss, gradient) = try ce(try Tensor(shape: [1, 2], values: [0, 0]), try Tensor(shape: [1], values: [1]))
/// // loss = log 2, gradient = [0.5, −0.5]
/// ```
public struct CrossEntropyLoss: Sendable {
    public init() {}

    /// The loss and dL/dlogits.
    public func callAsFunction(_ prediction: Tensor, _ target: Tensor) throws -> (loss: Float, gradient: Tensor) {
        let (rows, classes) = try prediction.rowsAndFeatures("cross-entropy logits")
        try target.checkConsistent("cross-entropy target")
        let rowShape = Array(prediction.shape.dropLast())
        guard target.shape == rowShape || target.shape == rowShape + [1] else {
            throw SparseFactorError.shapeMismatch(expected: "cross-entropy targets of shape \(rowShape) (class ids)", got: "\(target.shape)")
        }
        guard rows > 0, classes > 0 else {
            throw SparseFactorError.invalidArgument("cross-entropy needs at least one row and one class, got shape \(prediction.shape)")
        }
        var gradient = Tensor(shape: prediction.shape)
        var total = 0.0
        for r in 0..<rows {
            let label = target.values[r]
            guard label.isFinite, label >= 0, label < Float(classes), label == label.rounded(.towardZero) else {
                throw SparseFactorError.invalidArgument("cross-entropy expects integer class ids in 0..<\(classes), got \(label) in row \(r)")
            }
            let logits = prediction.values[(r * classes)..<((r + 1) * classes)].map(Double.init)
            let maximum = logits.max() ?? 0
            var sumExp = 0.0
            for z in logits { sumExp += exp(z - maximum) }
            let logNormalizer = maximum + log(sumExp)
            let classIndex = Int(label)
            total -= logits[classIndex] - logNormalizer
            for c in 0..<classes {
                let probability = exp(logits[c] - logNormalizer)
                gradient.values[r * classes + c] = Float((probability - (c == classIndex ? 1 : 0)) / Double(rows))
            }
        }
        return (Float(total / Double(rows)), gradient)
    }
}

/// A shape without its trailing 1s, so `[B, 1]` and `[B]` compare equal.
private func droppingTrailingOnes(_ shape: [Int]) -> [Int] {
    var s = shape
    while s.last == 1 { s.removeLast() }
    return s
}
