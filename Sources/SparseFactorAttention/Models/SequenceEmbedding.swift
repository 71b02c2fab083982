import SparseFactorCore
import SparseFactorNN

/// The front of every sequence model: token ids through an embedding table, or real features
/// through a linear projection, plus an optional learned positional embedding.
/// `[B, N]` (or `[B, N, 1]`) ids or `[B, N, F]` features → `[B, N, D]`.
///
/// ```swift
/// var rng = SeededGenerator(seed: 1)
/// let front = try SequenceEmbedding(input: .features(count: 2), length: 128, dimension: 32,
///                                   positional: false, rng: &rng)
/// let e = try front(Tensor(shape: [4, 128, 2]))   // [4, 128, 32]
/// ```
public final class SequenceEmbedding: Layer {
    /// The input kind.
    public let input: SequenceInput
    /// N.
    public let length: Int
    /// D.
    public let dimension: Int
    let inputLayer: any Layer
    let positions: PositionalEmbedding?
    private var inputShape: [Int]?

    /// Parameters are drawn in a fixed order (input layer, then positions), named `embedding` or
    /// `input_projection`, and `positional_embedding`.
    public init(input: SequenceInput, length: Int, dimension: Int, positional: Bool, rng: inout SeededGenerator) throws {
        self.input = input
        self.length = length
        self.dimension = dimension
        switch input {
        case .tokens(let vocabulary):
            inputLayer = try Embedding(vocabulary: vocabulary, dimension: dimension, name: "embedding", rng: &rng)
        case .features(let count):
            inputLayer = try InputProjection(features: count, dimension: dimension, name: "input_projection", rng: &rng)
        }
        positions = positional ? try PositionalEmbedding(length: length, dimension: dimension, name: "positional_embedding", rng: &rng) : nil
    }

    public var parameters: [Parameter] { inputLayer.parameters + (positions?.parameters ?? []) }

    public var isTraining = true {
        didSet {
            inputLayer.isTraining = isTraining
            positions?.isTraining = isTraining
        }
    }

    /// B, after checking a model input's shape: `[B, N]` or `[B, N, 1]` ids, or `[B, N, F]` features.
    public func batchSize(of x: Tensor) throws -> Int {
        let expected: [Int]
        switch input {
        case .tokens: expected = x.rank == 3 ? [x.shape.first ?? 0, length, 1] : [x.shape.first ?? 0, length]
        case .features(let count): expected = [x.shape.first ?? 0, length, count]
        }
        guard x.shape == expected, let batch = x.shape.first, batch > 0, x.values.count == x.shape.reduce(1, *) else {
            let want: String
            switch input {
            case .tokens: want = "[B, \(length)] token ids"
            case .features(let count): want = "[B, \(length), \(count)] features"
            }
            throw SparseFactorError.shapeMismatch(expected: "a model input of shape \(want) with B ≥ 1", got: "\(x.shape)")
        }
        return batch
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        let batch = try batchSize(of: x)
        inputShape = x.shape
        // Token ids may come as [B, N, 1]; the embedding wants [B, N].
        let ids = x.rank == 3 && input.isTokens ? try x.reshaped([batch, length]) : x
        var e = try inputLayer(ids)
        if let positions { e = try positions(e) }
        return e
    }

    /// Adds the parameters' gradients; returns dL/dinput (zeros for token ids).
    public func backward(_ outputGradient: Tensor) throws -> Tensor {
        guard let inputShape else { throw SparseFactorError.invalidArgument("SequenceEmbedding.backward was called before a forward pass") }
        var de = outputGradient
        if let positions { de = try positions.backward(de) }
        return try inputLayer.backward(de).reshaped(inputShape)
    }
}
