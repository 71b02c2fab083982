import SparseFactorCore
import SparseFactorNN

/// A set of sequences and their targets, batched the way the models take them. The trainer
/// reads every task's data through this: the synthetic tasks' ``SyntheticDataset`` (generated on
/// demand) and the classification tasks' ``LabelledSequences`` (held in memory).
///
/// ```swift
/// let data: any SequenceDataset = try LabelledSequences(length: 3, vocabulary: 4, classCount: 2,
///                                                       tokens: [1, 2, 3, 3, 2, 0], labels: [1, 0])
/// let (x, y) = try data.batch([1, 0])
/// print(x.shape, y.values)   // [2, 3] [0.0, 1.0]
/// ```
public protocol SequenceDataset: Sendable {
    /// The number of sequences.
    var count: Int { get }
    /// The inputs and targets of the sequences at `indices` (each in `0..<count`).
    func batch(_ indices: [Int]) throws -> (inputs: Tensor, targets: Tensor)
}

extension SyntheticDataset: SequenceDataset {}

extension LabelledSequences: SequenceDataset {
    /// Inputs `[B, N]` (token ids as Float, exact below 2^24) and targets `[B]` (class ids).
    public func batch(_ indices: [Int]) throws -> (inputs: Tensor, targets: Tensor) {
        guard !indices.isEmpty else { throw SparseFactorError.invalidArgument("a batch needs at least one sequence, got none") }
        if let bad = indices.first(where: { $0 < 0 || $0 >= count }) {
            throw SparseFactorError.invalidArgument("sequence index \(bad) is outside the dataset of \(count) sequences")
        }
        var inputs = [Float](repeating: 0, count: indices.count * length)
        var targets = [Float](repeating: 0, count: indices.count)
        for (row, index) in indices.enumerated() {
            let start = index * length
            for j in 0..<length { inputs[row * length + j] = Float(tokens[start + j]) }
            targets[row] = Float(labels[index])
        }
        return (try Tensor(shape: [indices.count, length], values: inputs), try Tensor(shape: [indices.count], values: targets))
    }
}
