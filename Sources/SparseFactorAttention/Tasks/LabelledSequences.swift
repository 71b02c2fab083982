import SparseFactorCore
import SparseFactorNN

/// Labelled token sequences held in memory: the data of the classification tasks (ListOps,
/// Pathfinder, Image, Text), whether generated or read from a file.
///
/// Every sequence is stored padded to ``length`` with ``padding`` (id 0), so sequence `i` is
/// `tokens[i·length ..< (i+1)·length]`. Token ids are below ``vocabulary`` (at most 65,536, so
/// they are stored as `UInt16`: 96,000 ListOps sequences of 2,000 tokens take 384 MB).
///
/// ```swift
/// let data = try LabelledSequences(length: 4, vocabulary: 3, classCount: 2,
///                                  tokens: [1, 2, 0, 0,  2, 2, 1, 0], labels: [0, 1])
/// print(data.count, Array(data.sequence(1)))   // 2 [2, 2, 1, 0]
/// ```
public struct LabelledSequences: Equatable, Sendable {
    /// The padding token id; every task's vocabulary reserves it.
    public static let padding: UInt16 = 0

    /// N: the stored length of every sequence.
    public let length: Int
    /// Token ids are in `0..<vocabulary`.
    public let vocabulary: Int
    /// Labels are in `0..<classCount`.
    public let classCount: Int
    /// `count · length` token ids, sequence after sequence.
    public let tokens: [UInt16]
    /// One label per sequence.
    public let labels: [Int32]

    /// The number of sequences.
    public var count: Int { labels.count }

    /// Checks every size, id and label; throws naming the first one out of range.
    public init(length: Int, vocabulary: Int, classCount: Int, tokens: [UInt16], labels: [Int32]) throws {
        guard length >= 1 else { throw SparseFactorError.invalidArgument("a sequence length must be at least 1, got \(length)") }
        guard (2...65_536).contains(vocabulary) else {
            throw SparseFactorError.invalidArgument("a vocabulary must have 2…65536 token ids (padding included), got \(vocabulary)")
        }
        guard classCount >= 2 else { throw SparseFactorError.invalidArgument("a classification task needs at least 2 classes, got \(classCount)") }
        let (expected, overflow) = labels.count.multipliedReportingOverflow(by: length)
        guard !overflow, tokens.count == expected else {
            throw SparseFactorError.shapeMismatch(expected: "\(labels.count) sequences × \(length) tokens", got: "\(tokens.count) tokens")
        }
        if let i = tokens.firstIndex(where: { Int($0) >= vocabulary }) {
            throw SparseFactorError.invalidArgument("token id \(tokens[i]) at sequence \(i / length), position \(i % length) is outside the vocabulary 0..<\(vocabulary)")
        }
        if let i = labels.firstIndex(where: { $0 < 0 || Int($0) >= classCount }) {
            throw SparseFactorError.invalidArgument("label \(labels[i]) of sequence \(i) is outside the classes 0..<\(classCount)")
        }
        self.length = length
        self.vocabulary = vocabulary
        self.classCount = classCount
        self.tokens = tokens
        self.labels = labels
    }

    /// Sequence `index`'s `length` token ids.
    public func sequence(_ index: Int) -> ArraySlice<UInt16> {
        tokens[(index * length)..<((index + 1) * length)]
    }

    /// The sequences at `range`, as a set of their own (a split).
    public func subset(_ range: Range<Int>) throws -> LabelledSequences {
        guard range.lowerBound >= 0, range.upperBound <= count else {
            throw SparseFactorError.invalidArgument("sequences \(range) are outside the set of \(count)")
        }
        return try LabelledSequences(length: length, vocabulary: vocabulary, classCount: classCount,
                                     tokens: Array(tokens[(range.lowerBound * length)..<(range.upperBound * length)]),
                                     labels: Array(labels[range]))
    }
}
