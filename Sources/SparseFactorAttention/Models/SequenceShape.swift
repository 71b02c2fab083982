import SparseFactorCore
import SparseFactorNN

/// How a sequence's positions enter a model (shared by every model of this module).
public enum SequenceInput: Codable, Equatable, Sendable {
    /// Token ids in `0..<vocabulary`, looked up in an embedding table.
    case tokens(vocabulary: Int)
    /// `count` real features per position, mapped by a linear projection.
    case features(count: Int)
    /// Two documents of N token ids per example (LRA's Retrieval), as `[B, 2N]`: the first
    /// document's N ids, then the second's. The model encodes both with the same weights (two
    /// towers sharing everything up to the pooling) and its head compares the two pooled vectors
    /// u, v through [u, v, u ⊙ v, u − v].
    case tokenPairs(vocabulary: Int)

    var isTokens: Bool {
        switch self {
        case .tokens, .tokenPairs: return true
        case .features: return false
        }
    }

    /// Sequences of N positions per example: 2 for ``tokenPairs(vocabulary:)``, else 1.
    public var sequencesPerExample: Int { if case .tokenPairs = self { 2 } else { 1 } }

    /// The head's input size (a product of sizes) for `pooled` values per sequence: four vectors
    /// [u, v, u ⊙ v, u − v] for document pairs (see ``PoolingHead``).
    func headInputs(pooled: [Int]) -> [Int] { sequencesPerExample == 2 ? [PoolingHead.comparedVectors] + pooled : pooled }

    /// The sequences a batch of `batch` examples holds (saturating at `Int.max`, for memory estimates).
    func sequences(inBatch batch: Int) -> Int {
        let (n, overflow) = batch.multipliedReportingOverflow(by: sequencesPerExample)
        return overflow ? .max : n
    }

    /// The input of a synthetic task's model: token ids for Temporal Order, (x, mark) for Adding.
    public init(task: SyntheticTask) {
        self = task.usesTokens ? .tokens(vocabulary: SyntheticTask.OrderToken.vocabulary) : .features(count: task.featuresPerPosition)
    }

    /// "tokens(vocabulary 6)" or "features(2)", for messages.
    var summary: String {
        switch self {
        case .tokens(let v): return "tokens(vocabulary \(v))"
        case .features(let c): return "features(\(c))"
        case .tokenPairs(let v): return "token pairs(vocabulary \(v))"
        }
    }

    /// Throws unless the vocabulary or feature count is at least 1.
    func validate() throws {
        switch self {
        case .tokens(let v) where v < 1, .tokenPairs(let v) where v < 1: throw SparseFactorError.invalidArgument("the vocabulary must have at least 1 token, got \(v)")
        case .features(let c) where c < 1: throw SparseFactorError.invalidArgument("the input needs at least 1 feature, got \(c)")
        default: break
        }
    }

    /// The parameters of the input layer for embedding width `d`, as product terms.
    func parameterTerms(embedding d: Int) -> [[Int]] {
        switch self {
        case .tokens(let vocabulary), .tokenPairs(let vocabulary): return [[vocabulary, d]]
        case .features(let count): return [[count, d], [d]]
        }
    }
}

/// How the N × C block a model computes becomes the head's input.
public enum SequencePooling: String, Codable, CaseIterable, Sendable {
    /// All N · C values (the paper's synthetic-task choice).
    case flatten
    /// The first position's C values.
    case cls
    /// The mean over positions.
    case mean
}

/// The classifier / regressor on the pooled features.
public enum SequenceHead: Codable, Equatable, Sendable {
    /// One linear layer.
    case linear
    /// Linear → GELU → linear with `hidden` units.
    case mlp(hidden: Int)

    /// "linear" or "mlp(hidden 32)", for messages.
    var summary: String {
        switch self {
        case .linear: return "linear"
        case .mlp(let h): return "mlp(hidden \(h))"
        }
    }

    /// The head's parameters for `pooled` inputs (a product of sizes) and `outputs`, as product terms.
    func parameterTerms(pooled: [Int], outputs: Int) -> [[Int]] {
        switch self {
        case .linear: return [pooled + [outputs], [outputs]]
        case .mlp(let h): return [pooled + [h], [h], [h, outputs], [outputs]]
        }
    }
}
