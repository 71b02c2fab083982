import SparseFactorCore

/// Parameter counts and memory checks of a model from its sizes alone, shared by every
/// configuration: overflow-checked, so a model or a step that cannot fit is refused before
/// anything is allocated, with the estimate in the message.
enum ModelEstimates {
    /// The sum of the product terms, or `tooLarge` naming the model.
    static func parameterCount(_ terms: [[Int]], model: String) throws -> Int {
        guard let count = MemoryBudget.total(terms) else {
            throw SparseFactorError.tooLarge("a \(model) of this configuration has more parameters than can be counted")
        }
        return count
    }

    /// Refuses `count` parameters whose values, gradients, Adam's two moments (and `extraCopies`
    /// more floats each) would not fit in the memory limit.
    static func checkParameters(_ count: Int, model: String, extraCopies: Int = 0) throws {
        try MemoryBudget.check("a \(model) of \(count) parameters (values, gradients, Adam moments)",
                               counts: [count, 4 + extraCopies], scalarBytes: MemoryLayout<Float>.size)
    }

    /// Refuses a training step of `batch` sequences of `length` that keeps `perPosition` floats per
    /// position (product terms) for backward, times 3 (values, their gradients, kernel scratch).
    static func checkStep(model: String, batch: Int, length: Int, perPosition terms: [[Int]]) throws {
        guard batch >= 1 else { throw SparseFactorError.invalidArgument("the batch size must be at least 1, got \(batch)") }
        guard let perPosition = MemoryBudget.total(terms) else {
            throw SparseFactorError.tooLarge("a \(model) training step of this configuration needs more memory than can be counted")
        }
        try MemoryBudget.check("a \(model) training step on \(batch) sequences of N = \(length)",
                               counts: [batch, length, perPosition, 3], scalarBytes: MemoryLayout<Float>.size)
    }
}
