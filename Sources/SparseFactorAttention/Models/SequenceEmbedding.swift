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
        case .tokens(let vocabulary), .tokenPairs(let vocabulary):
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

    /// The sequences of N positions in a model input, after checking its shape: B for `[B, N]` or
    /// `[B, N, 1]` ids and `[B, N, F]` features; 2B for `[B, 2N]` (or `[B, 2N, 1]`) token pairs.
    public func batchSize(of x: Tensor) throws -> Int {
        let b = x.shape.first ?? 0
        let expected: [Int]
        let want: String
        switch input {
        case .tokens:
            expected = x.rank == 3 ? [b, length, 1] : [b, length]
            want = "[B, \(length)] token ids"
        case .tokenPairs:
            expected = x.rank == 3 ? [b, 2 * length, 1] : [b, 2 * length]
            want = "[B, \(2 * length)] token ids (two documents of \(length))"
        case .features(let count):
            expected = [b, length, count]
            want = "[B, \(length), \(count)] features"
        }
        guard x.shape == expected, b > 0, x.values.count == x.shape.reduce(1, *) else {
            throw SparseFactorError.shapeMismatch(expected: "a model input of shape \(want) with B ≥ 1", got: "\(x.shape)")
        }
        return b * input.sequencesPerExample
    }

    /// The input as the input layer takes it: token ids as `[B·s, N]` (they may come as [B, N, 1], and
    /// pairs as [B, 2N], the same memory as [2B, N]), features as they are; `batch` from ``batchSize(of:)``.
    func layerInput(_ x: Tensor, batch: Int) throws -> Tensor {
        input.isTokens && x.shape != [batch, length] ? try x.reshaped([batch, length]) : x
    }

    /// `[B·s, N, D]` for an input of B examples of s sequences (see ``batchSize(of:)``).
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        let batch = try batchSize(of: x)
        inputShape = x.shape
        var e = try inputLayer(try layerInput(x, batch: batch))
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
