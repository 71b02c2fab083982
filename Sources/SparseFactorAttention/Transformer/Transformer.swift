import SparseFactorCore
import SparseFactorNN

/// The Transformer encoder baseline and its efficient variants: embedding (+ positions),
/// pre-LayerNorm encoder layers of multi-head attention (softmax, Linformer or Performer, see
/// ``AttentionKind``) and a GELU feed-forward block, pooling and head.
///
/// ```swift
/// let model = try Transformer(configuration: TransformerConfiguration(task: .adding, length: 128), seed: 1)
/// let (x, y) = try SyntheticDataset(task: .adding, length: 128, count: 8, seed: 2).batch(Array(0..<8))
/// let (loss, gradient) = try MSELoss()(try model(x), y)
/// _ = try model.backward(gradient)
/// ```
public final class Transformer: SequenceModel {
    /// The model's shape.
    public let configuration: TransformerConfiguration
    public var modelConfiguration: ModelConfiguration { .transformer(configuration) }
    public var computesInputGradient = true
    let front: SequenceEmbedding
    let blocks: [TransformerBlock]
    let end: PoolingHead
    private let seed: UInt64

    /// A freshly initialized model; the same seed gives the same parameters.
    public init(configuration c: TransformerConfiguration, seed: UInt64) throws {
        try ModelEstimates.checkParameters(try c.estimatedParameterCount(), model: "Transformer")
        configuration = c
        self.seed = seed
        var rng = SeededGenerator(seed: seed)
        front = try SequenceEmbedding(input: c.input, length: c.length, dimension: c.embedding, positional: c.positionalEmbedding, rng: &rng)
        blocks = try (1...c.layers).map { layer in
            try TransformerBlock(dimension: c.embedding, heads: c.heads, length: c.length, attention: c.attention, feedForward: c.feedForward,
                                 dropout: c.dropout, name: "layer\(layer)", rng: &rng)
        }
        end = try PoolingHead(pooling: c.pooling, head: c.head, length: c.length, channels: c.embedding, outputs: c.outputs,
                              pairs: c.input.sequencesPerExample == 2, rng: &rng)
    }

    public var parameters: [Parameter] { front.parameters + blocks.flatMap { $0.parameters } + end.parameters }

    public var isTraining = true {
        didSet {
            front.isTraining = isTraining
            for block in blocks { block.isTraining = isTraining }
            end.isTraining = isTraining
        }
    }

    public func prepareStep(_ step: Int) {
        for (l, block) in blocks.enumerated() {
            for (i, dropout) in block.dropouts.enumerated() {
                dropout.generator = SeededGenerator(seed: mixSeed(mixSeed(seed ^ 0x6472_6F70, UInt64(step)), UInt64(l * 2 + i)))  // "drop"
            }
        }
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        var h = try front(x)
        for block in blocks { h = try block(h) }
        return try end(h)
    }

    public func backward(_ outputGradient: Tensor) throws -> Tensor {
        var d = try end.backward(outputGradient)
        for block in blocks.reversed() { d = try block.backward(d) }
        return try front.backward(d)
    }
}
