import Foundation
import SparseFactorCore
import SparseFactorIO

extension LabelledSequences {
    /// Documents as byte-level sequences (the LRA Text task): token id = byte value + 1, so id 0
    /// stays ``padding`` (vocabulary 257), each document padded to `length`, 2 classes. A document
    /// longer than `length` is refused, naming its file and line, unless `truncate` is true (then
    /// its first `length` bytes are kept).
    ///
    /// ```swift
    /// let docs = try LabelledDocuments(documents: [[65, 66]], labels: [1])
    /// let data = try LabelledSequences(documents: docs, length: 4)
    /// print(Array(data.sequence(0)))   // [66, 67, 0, 0]
    /// ```
    public init(documents: LabelledDocuments, length: Int, truncate: Bool = false) throws {
        guard length >= 1 else { throw SparseFactorError.invalidArgument("a sequence length must be at least 1, got \(length)") }
        try MemoryBudget.check("\(documents.count) documents × \(length) tokens", counts: [documents.count, length], scalarBytes: 2)
        var tokens = [UInt16](repeating: LabelledSequences.padding, count: documents.count * length)
        for (i, d) in documents.documents.enumerated() {
            if d.count > length && !truncate {
                let place = documents.name.isEmpty ? "document \(i)" : "\(documents.name):\(documents.lines[i])"
                throw SparseFactorError.invalidArgument("\(place): the document has \(d.count) bytes, longer than the sequence length \(length) (pass truncate: true to keep its first \(length))")
            }
            for (k, b) in d.prefix(length).enumerated() { tokens[i * length + k] = UInt16(b) + 1 }
        }
        try self.init(length: length, vocabulary: 257, classCount: 2, tokens: tokens, labels: documents.labels)
    }
}

/// The Text task's split of one labelled document file.
///
/// ```swift
/// let splits = try TextTask.split(try LabelledSequences(documents: docs, length: 4096, truncate: true))
/// ```
public enum TextTask {
    /// The seed of the shuffle before the split.
    public static let splitSeed: UInt64 = 20_240_602

    /// 80 / 10 / 10: the sequences in ``ImageTask/seededOrder(count:seed:)`` with `seed`; the first
    /// ⌊0.8·count⌋ are train, the next ⌊0.1·count⌋ validation, the rest test.
    public static func split(_ data: LabelledSequences, seed: UInt64 = splitSeed) throws -> TaskSplits {
        let order = ImageTask.seededOrder(count: data.count, seed: seed)
        let trainEnd = data.count * 8 / 10
        let validationEnd = trainEnd + data.count / 10
        return TaskSplits(train: try data.selecting(Array(order[..<trainEnd])),
                          validation: try data.selecting(Array(order[trainEnd..<validationEnd])),
                          test: try data.selecting(Array(order[validationEnd...])))
    }
}
