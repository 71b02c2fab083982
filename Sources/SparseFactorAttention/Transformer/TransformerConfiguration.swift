import SparseFactorCore
import SparseFactorNN

/// The shape of a Transformer encoder baseline: everything that decides its parameters' names
/// and shapes.
///
/// The defaults are the synthetic-task baseline: embedding 32, one layer of 4 heads of 8,
/// feed-forward 64, no dropout, the same flatten pooling and linear head as PSF-Attn.
///
/// ```swift
/// var config = TransformerConfiguration(task: .order, length: 1024)
/// config.layers = 2
/// let model = try Transformer(configuration: config, seed: 1)
/// ```
public struct TransformerConfiguration: Codable, Equatable, Sendable {
    /// The input kind.
    public var input: SequenceInput
    /// N, the sequence length (≥ 2).
    public var length: Int
    /// D, the embedding width (a multiple of `heads`).
    public var embedding = 32
    /// Encoder layers.
    public var layers = 1
    /// Attention heads per layer (each of width D / heads).
    public var heads = 4
    /// Hidden units of each feed-forward block.
    public var feedForward = 64
    /// Dropout on both residual branches of every layer, in [0, 1).
    public var dropout: Float = 0
    /// How attention mixes positions: softmax (the Transformer), Linformer or Performer.
    public var attention: AttentionKind = .softmax
    /// Add a learned positional embedding to the input embedding.
    public var positionalEmbedding: Bool = false
    /// Pooling before the head.
    public var pooling: SequencePooling = .flatten
    /// The head.
    public var head: SequenceHead = .linear
    /// Outputs of the head.
    public var outputs: Int

    /// A configuration from its parts (defaults as the synthetic-task baseline).
    public init(input: SequenceInput, length: Int, outputs: Int) {
        self.input = input
        self.length = length
        self.outputs = outputs
    }

    /// The task's baseline; positional embedding on for every token task (as PSF-Attn's), and
    /// mean pooling for document pairs (Retrieval compares two document vectors, as LRA's dual encoder).
    public init(task: SequenceTask, length: Int) {
        self.init(input: task.input, length: length, outputs: task.outputCount)
        positionalEmbedding = task != .adding
        if task.input.sequencesPerExample == 2 { pooling = .mean }
    }

    /// Refuses sizes the model cannot be built with, naming the field.
    public func validate() throws {
        guard length >= 2 else { throw SparseFactorError.invalidArgument("the sequence length N must be at least 2, got \(length)") }
        try input.validate()
        for (name, value) in [("embedding", embedding), ("layers", layers), ("heads", heads), ("feed-forward", feedForward),
                              ("outputs", outputs)] where value < 1 {
            throw SparseFactorError.invalidArgument("\(name) must be at least 1, got \(value)")
        }
        guard embedding % heads == 0 else {
            throw SparseFactorError.invalidArgument("the embedding (\(embedding)) must be a multiple of the heads (\(heads))")
        }
        guard dropout >= 0, dropout < 1 else { throw SparseFactorError.invalidArgument("dropout must be in [0, 1), got \(dropout)") }
        if case .mlp(let hidden) = head, hidden < 1 {
            throw SparseFactorError.invalidArgument("the head's hidden layer must have at least 1 unit, got \(hidden)")
        }
        switch attention {
        case .softmax: break
        case .linformer(let k) where k < 1 || k > length:
            throw SparseFactorError.invalidArgument("Linformer's projected length must be in 1…\(length) (N), got \(k)")
        case .performer(let m) where m < 1 || m > 1 << 16:
            throw SparseFactorError.invalidArgument("Performer needs 1…65536 random features per head, got \(m)")
        default: break
        }
    }

    /// The fields in which `other` differs, as "name: this vs other" lines.
    public func differences(from other: TransformerConfiguration) -> [String] {
        var list = DifferenceList()
        list.check("input", input.summary, other.input.summary)
        list.check("length", length, other.length)
        list.check("embedding", embedding, other.embedding)
        list.check("layers", layers, other.layers)
        list.check("heads", heads, other.heads)
        list.check("feed-forward", feedForward, other.feedForward)
        list.check("dropout", dropout, other.dropout)
        list.check("attention", attention.summary, other.attention.summary)
        list.check("positional embedding", positionalEmbedding, other.positionalEmbedding)
        list.check("pooling", pooling.rawValue, other.pooling.rawValue)
        list.check("head", head.summary, other.head.summary)
        list.check("outputs", outputs, other.outputs)
        return list.lines
    }

    /// The trainable parameters as product terms, from the sizes alone.
    func parameterTerms() -> [[Int]] {
        let d = embedding, f = feedForward
        var terms = input.parameterTerms(embedding: d)
        if positionalEmbedding { terms.append([length, d]) }
        // Per layer: two LayerNorms, qkv and out projections, the two feed-forward linears.
        let perLayer: [[Int]] = [[4, d], [3, d, d], [3, d], [d, d], [d], [d, f], [f], [f, d], [d]]
        terms += perLayer.map { [layers] + $0 }
        if case .linformer(let k) = attention { terms.append([layers, 2, k, length]) }
        return terms + head.parameterTerms(pooled: input.headInputs(pooled: pooling == .flatten ? [length, d] : [d]), outputs: outputs)
    }

    /// The number of trainable parameters, from the sizes alone.
    public func estimatedParameterCount() throws -> Int {
        try validate()
        return try ModelEstimates.parameterCount(parameterTerms(), model: "Transformer")
    }

    /// Refuses a training step on `batch` sequences that would not fit: the parameters with their
    /// gradients and Adam's moments, and per position and layer the activations kept for backward
    /// (two LayerNorm outputs, packed qkv, attention output, two residual sums, the feed-forward's
    /// hidden units twice, the log-sum-exp of every head); transient, one layer's qkv, output and
    /// feed-forward gradients. The attention itself never holds an N × N block.
    public func checkStepMemory(batch: Int) throws {
        try ModelEstimates.checkParameters(try estimatedParameterCount(), model: "Transformer")
        let (kept, transient) = stepTerms
        try ModelEstimates.checkStep(model: "Transformer", batch: input.sequences(inBatch: batch), length: length, kept: kept, transient: transient)
    }

    /// The per-position terms of ``checkStepMemory(batch:)``. Performer's kernels add O(m) per
    /// position and thread in chunks, Linformer's [k, 2D] blocks are per item: both small.
    var stepTerms: (kept: [[Int]], transient: [[Int]]) {
        ([[layers, 9, embedding], [layers, 2, feedForward], [layers, heads], [embedding, 2], [4]], [[4, embedding], [feedForward]])
    }
}

extension TransformerConfiguration {
    /// Decodes a configuration; `attention` is optional, because checkpoints written before
    /// Linformer and Performer existed hold no such key and were always softmax attention.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(input: try c.decode(SequenceInput.self, forKey: .input),
                  length: try c.decode(Int.self, forKey: .length),
                  outputs: try c.decode(Int.self, forKey: .outputs))
        embedding = try c.decode(Int.self, forKey: .embedding)
        layers = try c.decode(Int.self, forKey: .layers)
        heads = try c.decode(Int.self, forKey: .heads)
        feedForward = try c.decode(Int.self, forKey: .feedForward)
        dropout = try c.decode(Float.self, forKey: .dropout)
        attention = try c.decodeIfPresent(AttentionKind.self, forKey: .attention) ?? .softmax
        positionalEmbedding = try c.decode(Bool.self, forKey: .positionalEmbedding)
        pooling = try c.decode(SequencePooling.self, forKey: .pooling)
        head = try c.decode(SequenceHead.self, forKey: .head)
    }
}
