import SparseFactorCore
import SparseFactorNN
import SparseFactorIO
/// The shape of a PSF-Attn model: everything that decides its parameters' names and shapes.
///
/// The defaults are the paper's synthetic-task configuration: embedding 32, factor and value
/// MLPs `[32, GELU]`, C = 8 channels, M = ⌈log2 N⌉ factors, residuals on, flatten pooling,
/// linear head.
///
/// ```swift
/// var config = PSFAttnConfiguration(task: .order, length: 1024)
/// config.pooling = .mean
/// let model = try PSFAttn(configuration: config, seed: 1)
/// ```
public struct PSFAttnConfiguration: Codable, Equatable, Sendable {
    /// How a sequence's positions enter the model (see ``SequenceInput``).
    public typealias Input = SequenceInput
    /// How the N × C mixed block becomes the head's input (see ``SequencePooling``).
    public typealias Pooling = SequencePooling
    /// The classifier / regressor on the pooled features (see ``SequenceHead``).
    public typealias Head = SequenceHead

    /// The input kind.
    public var input: Input
    /// N, the sequence length (≥ 2).
    public var length: Int
    /// D, the embedding width.
    public var embedding: Int = 32
    /// Hidden layers of each factor MLP f_m, in the paper's notation (`"[32, GELU]"`).
    public var factorMLP: String = "[32, GELU]"
    /// Hidden layers of the value MLP g.
    public var valueMLP: String = "[32, GELU]"
    /// C, the channels of V.
    public var channels: Int = 8
    /// M, the factors per mixing layer; `nil` means ⌈log2 N⌉.
    public var factors: Int? = nil
    /// Add V0 = g(E) after every factor (V ← W_m V + V0).
    public var residuals: Bool = true
    /// Add a learned positional embedding to E.
    public var positionalEmbedding: Bool = false
    /// Pooling before the head.
    public var pooling: Pooling = .flatten
    /// The head.
    public var head: Head = .linear
    /// Mixing layers (1 = PSF-Attn; more = Paramixer's stacked form, where layer ℓ > 1 takes
    /// the previous layer's V through its own g, and every layer's factors come from E).
    public var layers: Int = 1
    /// Outputs of the head (1 for regression, the class count for classification).
    public var outputs: Int

    /// A configuration from its parts (defaults as the paper's synthetic tasks).
    public init(input: Input, length: Int, outputs: Int) {
        self.input = input
        self.length = length
        self.outputs = outputs
    }

    /// The paper's configuration for a synthetic task: token embedding and positional
    /// embedding for ``SyntheticTask/order``, a linear projection of (x, mark) without
    /// positional embedding for ``SyntheticTask/adding``.
    /// The classification tasks (ListOps, Pathfinder, Image, Text) get the Order setup with their
    /// vocabulary and classes; their LRA-scale shapes are set by the caller (see results/lra).
    /// Retrieval's document pairs are mean-pooled (the head compares two document vectors, as LRA's dual encoder).
    public init(task: SequenceTask, length: Int) {
        self.init(input: task.input, length: length, outputs: task.outputCount)
        positionalEmbedding = task != .adding
        if task.input.sequencesPerExample == 2 { pooling = .mean }
    }

    /// M, the number of factors per mixing layer.
    public var factorCount: Int { factors ?? ChordTopology.ceilLog(length, base: 2) }

    /// Refuses sizes the model cannot be built with, naming the field.
    public func validate() throws {
        guard length >= 2 else { throw SparseFactorError.invalidArgument("the sequence length N must be at least 2, got \(length)") }
        try input.validate()
        for (name, value) in [("embedding", embedding), ("channels", channels), ("layers", layers), ("outputs", outputs),
                              ("factors", factorCount)] where value < 1 {
            throw SparseFactorError.invalidArgument("\(name) must be at least 1, got \(value)")
        }
        if case .mlp(let hidden) = head, hidden < 1 {
            throw SparseFactorError.invalidArgument("the head's hidden layer must have at least 1 unit, got \(hidden)")
        }
    }

    /// The fields in which `other` differs from this configuration, as "name: this vs other" lines.
    public func differences(from other: PSFAttnConfiguration) -> [String] {
        var list = DifferenceList()
        list.check("input", input.summary, other.input.summary)
        list.check("length", length, other.length)
        list.check("embedding", embedding, other.embedding)
        list.check("factor MLP", factorMLP, other.factorMLP)
        list.check("value MLP", valueMLP, other.valueMLP)
        list.check("channels", channels, other.channels)
        list.check("factors", factorCount, other.factorCount)
        list.check("residuals", residuals, other.residuals)
        list.check("positional embedding", positionalEmbedding, other.positionalEmbedding)
        list.check("pooling", pooling.rawValue, other.pooling.rawValue)
        list.check("head", head.summary, other.head.summary)
        list.check("layers", layers, other.layers)
        list.check("outputs", outputs, other.outputs)
        return list.lines
    }
}
