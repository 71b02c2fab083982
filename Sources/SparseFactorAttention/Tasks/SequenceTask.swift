import SparseFactorCore

/// Every task a sequence model can be trained on: the two synthetic tasks of the paper and the
/// five Long-Range-Arena-style classification tasks.
///
/// | task | input | classes | data |
/// |---|---|---|---|
/// | `adding` | (x, mark) features | regression, 1 output | generated from the seed |
/// | `order` | tokens, vocabulary 6 | 4 | generated from the seed |
/// | `listops` | tokens (``ListOps/vocabulary``) | 10 | generated from the seed, or LRA's TSV files |
/// | `pathfinder` | pixels, vocabulary 256 | 2 | generated from the seed, or labelled-image `.npy` files |
/// | `image` | pixels, vocabulary 256 | 10 | labelled-image `.npy` files (`sparsefactor data image`) |
/// | `text` | bytes + 1, vocabulary 257 | 2 | TSV files (`sparsefactor data text`) |
/// | `retrieval` | two documents' bytes + 1, vocabulary 257 | 2 | LRA's Retrieval TSV files (`sparsefactor data retrieval`) |
///
/// The raw values are the command line's `--task` names and what checkpoints store.
///
/// ```swift
/// let task = SequenceTask.listops
/// print(task.outputCount, task.generatesData)   // 10 true
/// ```
public enum SequenceTask: String, Codable, CaseIterable, Sendable {
    case adding, order, listops, pathfinder, image, text
    /// Whether two documents link (LRA's Retrieval): N is each document's length, and the
    /// model encodes both (see ``SequenceInput/tokenPairs(vocabulary:)``).
    case retrieval

    /// The same synthetic task.
    public init(_ task: SyntheticTask) {
        switch task {
        case .adding: self = .adding
        case .order: self = .order
        }
    }

    /// The synthetic task, for `adding` and `order`.
    public var synthetic: SyntheticTask? {
        switch self {
        case .adding: return .adding
        case .order: return .order
        default: return nil
        }
    }

    /// How positions enter the model.
    public var input: SequenceInput {
        switch self {
        case .adding, .order: return SequenceInput(task: synthetic!)
        case .listops: return .tokens(vocabulary: ListOps.vocabulary)
        case .pathfinder, .image: return .tokens(vocabulary: 256)
        case .text: return .tokens(vocabulary: 257)   // bytes + 1, padding 0
        case .retrieval: return .tokenPairs(vocabulary: 257)
        }
    }

    /// The model's outputs: 1 regression value (adding) or one score per class.
    public var outputCount: Int {
        switch self {
        case .adding: return 1
        case .order: return 4
        case .listops, .image: return 10
        case .pathfinder, .text, .retrieval: return 2
        }
    }

    /// Whether the task is a regression (only `adding`; every other task is classified with cross-entropy).
    public var isRegression: Bool { self == .adding }

    /// Whether the data can be generated from a seed (otherwise it comes from files).
    public var generatesData: Bool { self != .image && self != .text && self != .retrieval }

    /// The file format of the task's data files, for messages: "TSV" or "labelled-image .npy".
    public var fileFormat: String {
        switch self {
        case .listops, .text: return "TSV (header Source<TAB>Target)"
        case .retrieval: return "LRA's Retrieval TSV (no header; label<TAB>id1<TAB>id2<TAB>text1<TAB>text2)"
        case .pathfinder, .image: return "labelled-image .npy (uint8 [count, 1 + H·W], column 0 the label)"
        case .adding, .order: return "none (generated from the seed)"
        }
    }
}
