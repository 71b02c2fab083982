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

    /// The bytes of a training step on `batch` sequences of `length`: per position, the floats kept
    /// for backward (`kept`, product terms) plus twice the largest block that lives only while one
    /// layer runs (`transient`: its values and their gradients), a quarter more for the allocator.
    /// Checked against measured peaks (`bench step --json` prints both: at N = 1024…65536 the
    /// estimate was 1.07–3.4× the process's whole peak resident memory, closest for Paramixer), so
    /// an upper estimate that does not refuse steps that fit. nil when it cannot be counted.
    static func stepBytes(batch: Int, length: Int, kept: [[Int]], transient: [[Int]]) -> Int? {
        guard let keptFloats = MemoryBudget.total(kept), let transientFloats = MemoryBudget.total(transient) else { return nil }
        let (twice, o1) = transientFloats.multipliedReportingOverflow(by: 2)
        let (perPosition, o2) = keptFloats.addingReportingOverflow(twice)
        let (margin, o3) = perPosition.addingReportingOverflow(perPosition / 4)
        guard !(o1 || o2 || o3) else { return nil }
        return MemoryBudget.total([[batch, length, margin, MemoryLayout<Float>.size]])
    }

    /// Refuses a training step whose ``stepBytes(batch:length:kept:transient:)`` would not fit in the memory limit.
    static func checkStep(model: String, batch: Int, length: Int, kept: [[Int]], transient: [[Int]]) throws {
        guard batch >= 1 else { throw SparseFactorError.invalidArgument("the batch size must be at least 1, got \(batch)") }
        let what = "a \(model) training step on \(batch) sequences of N = \(length)"
        guard let bytes = stepBytes(batch: batch, length: length, kept: kept, transient: transient) else {
            throw SparseFactorError.tooLarge("\(what) needs more memory than can be counted")
        }
        try MemoryBudget.check(what, counts: [bytes], scalarBytes: 1)
    }
}
