import SparseFactorCore
import SparseFactorNN

/// The ChordMixer baseline: embedding (+ positions), ⌈log2 N⌉ blocks of
/// `x ← x + rotate(MLP(x))`, pooling and head (see ``ChordMixerConfiguration``).
///
/// ```swift
/// let model = try ChordMixer(configuration: ChordMixerConfiguration(task: .order, length: 256), seed: 1)
/// let (x, _) = try SyntheticDataset(task: .order, length: 256, count: 4, seed: 2).batch(Array(0..<4))
/// let logits = try model(x)   // [4, 4]
/// ```
public final class ChordMixer: SequenceModel {
    /// The model's shape.
    public let configuration: ChordMixerConfiguration
    public var modelConfiguration: ModelConfiguration { .chordMixer(configuration) }
    public var computesInputGradient = true
    let front: SequenceEmbedding
    let blocks: [ChordMixerBlock]
    let end: PoolingHead
    private let seed: UInt64

    public init(configuration c: ChordMixerConfiguration, seed: UInt64) throws {
        try ModelEstimates.checkParameters(try c.estimatedParameterCount(), model: "ChordMixer")
        configuration = c
        self.seed = seed
        var rng = SeededGenerator(seed: seed)
        front = try SequenceEmbedding(input: c.input, length: c.length, dimension: c.embedding, positional: c.positionalEmbedding, rng: &rng)
        blocks = try (1...c.blockCount).map { b in
            try ChordMixerBlock(dimension: c.embedding, hidden: c.hidden, trackSize: c.trackSize, dropout: c.dropout,
                                name: "block\(b)", rng: &rng)
        }
        end = try PoolingHead(pooling: c.pooling, head: c.head, length: c.length, channels: c.embedding, outputs: c.outputs,
                              pairs: c.input.sequencesPerExample == 2, rng: &rng)
    }

    public var parameters: [Parameter] { front.parameters + blocks.flatMap { $0.mlp.parameters } + end.parameters }

    public var isTraining = true {
        didSet {
            front.isTraining = isTraining
            for block in blocks { block.mlp.isTraining = isTraining; block.dropout.isTraining = isTraining }
            end.isTraining = isTraining
        }
    }

    public func prepareStep(_ step: Int) {
        for (b, block) in blocks.enumerated() {
            block.dropout.generator = SeededGenerator(seed: mixSeed(mixSeed(seed ^ 0x6472_6F70, UInt64(step)), UInt64(b)))  // "drop"
        }
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        var h = try front(x)
        for block in blocks { h = try block.forward(h) }
        return try end(h)
    }

    public func backward(_ outputGradient: Tensor) throws -> Tensor {
        var d = try end.backward(outputGradient)
        for block in blocks.reversed() { d = try block.backward(d) }
        return try front.backward(d)
    }
}
