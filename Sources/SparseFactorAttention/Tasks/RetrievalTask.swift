import Foundation
import SparseFactorCore
import SparseFactorIO

extension LabelledSequences {
    /// Document pairs as byte-level sequences (LRA's Retrieval task): each sequence is the first
    /// document's `length` tokens then the second's (token id = byte value + 1, so id 0 stays
    /// ``padding``; each document padded to `length`), vocabulary 257, 2 classes; so the stored
    /// length is 2·`length`. A document longer than `length` is refused, naming its file and line,
    /// unless `truncate` is true (then its first `length` bytes are kept).
    ///
    /// ```swift
    /// let pairs = try LabelledDocumentPairs(first: [[65]], second: [[66, 67]], labels: [1])
    /// let data = try LabelledSequences(pairs: pairs, length: 3)
    /// print(Array(data.sequence(0)))   // [66, 0, 0, 67, 68, 0]
    /// ```
    public init(pairs: LabelledDocumentPairs, length: Int, truncate: Bool = false) throws {
        guard length >= 1 else { throw SparseFactorError.invalidArgument("a document length must be at least 1, got \(length)") }
        let (stored, overflow) = length.multipliedReportingOverflow(by: 2)
        guard !overflow else { throw SparseFactorError.tooLarge("documents of \(length) tokens: two of them overflow a sequence length") }
        try MemoryBudget.check("\(pairs.count) document pairs × 2 × \(length) tokens", counts: [pairs.count, stored], scalarBytes: 2)
        var tokens = [UInt16](repeating: LabelledSequences.padding, count: pairs.count * stored)
        for i in 0..<pairs.count {
            for (side, document) in [pairs.first[i], pairs.second[i]].enumerated() {
                if document.count > length && !truncate {
                    let place = pairs.name.isEmpty ? "pair \(i)" : "\(pairs.name):\(pairs.lines[i])"
                    throw SparseFactorError.invalidArgument("\(place): text\(side + 1) has \(document.count) bytes, longer than the document length \(length) (pass truncate: true to keep its first \(length))")
                }
                let start = i * stored + side * length
                for (k, b) in document.prefix(length).enumerated() { tokens[start + k] = UInt16(b) + 1 }
            }
        }
        try self.init(length: stored, vocabulary: 257, classCount: 2, tokens: tokens, labels: pairs.labels)
    }
}

extension TaskData {
    static func readPairs(url: URL, length: Int, truncate: Bool) throws -> LabelledSequences {
        try LabelledSequences(pairs: DocumentPairFile.read(url: url), length: length, truncate: truncate)
    }

    /// Pairs back to LRA's Retrieval TSV (ids `pairN.1`, `pairN.2`: the sequences do not keep the file's ids).
    static func writePairs(_ data: LabelledSequences, to url: URL) throws {
        guard data.vocabulary == 257, data.classCount == 2, data.length % 2 == 0 else {
            throw SparseFactorError.shapeMismatch(expected: "byte-level document pairs (vocabulary 257, 2 classes, an even stored length)",
                                                  got: "vocabulary \(data.vocabulary), \(data.classCount) classes, length \(data.length)")
        }
        let half = data.length / 2
        func document(_ tokens: ArraySlice<UInt16>) -> [UInt8] { tokens.filter { $0 != LabelledSequences.padding }.map { UInt8($0 - 1) } }
        let sequences = (0..<data.count).map { data.sequence($0) }
        let pairs = try LabelledDocumentPairs(first: sequences.map { document($0.prefix(half)) }, second: sequences.map { document($0.suffix(half)) },
                                              labels: data.labels)
        try DocumentPairFile.write(pairs, to: url)
    }
}
