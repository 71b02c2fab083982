import SparseFactorCore
/// A token embedding: integer ids (stored as `Float`) of any shape `[...]` become vectors,
/// shape `[..., dimension]`. The table starts N(0, 1) like PyTorch's `nn.Embedding`.
///
/// Token ids are not differentiable: `backward` returns a zero tensor of the input's shape.
///
/// ```swift
/// var rng = SeededGenerator(seed: 1)
/// let embed = try Embedding(vocabulary: 6, dimension: 32, rng: &rng)
/// let e = try embed(try Tensor(shape: [1, 4], values: [0, 3, 5, 1]))   // [1, 4, 32]
/// ```
public final class Embedding: Layer {
    /// The number of distinct tokens; ids must be integers in 0..<vocabulary.
    public let vocabulary: Int
    /// The vector length.
    public let dimension: Int
    /// The table, shape `[vocabulary, dimension]`.
    public let weight: Parameter
    public var isTraining = true

    private var cache: ForwardCache<[Int64]>?

    public init(vocabulary: Int, dimension: Int, name: String = "embedding", rng: inout SeededGenerator) throws {
        guard vocabulary > 0, dimension > 0 else {
            throw SparseFactorError.invalidArgument("Embedding needs positive sizes, got vocabulary \(vocabulary), dimension \(dimension)")
        }
        self.vocabulary = vocabulary
        self.dimension = dimension
        weight = Parameter(name: "\(name).weight", value: .normal(shape: [vocabulary, dimension], rng: &rng))
    }

    public var parameters: [Parameter] { [weight] }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try checkWeight()
        let ids = try tokenIDs(x)
        let values = try NNKernels.embeddingForward(weight: weight.value.values, ids: ids, vocabulary: vocabulary, dimension: dimension)
        let y = try Tensor(shape: x.shape + [dimension], values: values)
        cache = ForwardCache(input: x, outputShape: y.shape, extra: ids)
        return y
    }

    public func backward(_ outputGradient: Tensor) throws -> Tensor {
        guard let cache else { throw backwardBeforeForward("Embedding") }
        try cache.checkGradient(outputGradient, "Embedding")
        try checkWeight()
        try NNKernels.embeddingBackward(&weight.gradient.values, outputGradient: outputGradient.values, ids: cache.extra,
                                        vocabulary: vocabulary, dimension: dimension)
        return Tensor(shape: cache.input.shape)
    }

    /// The token ids of `x` (integer-valued floats); throws on one outside `0..<vocabulary`.
    package func tokenIDs(_ x: Tensor) throws -> [Int64] {
        try x.checkConsistent("Embedding input")
        var ids = [Int64](repeating: 0, count: x.count)
        for (i, value) in x.values.enumerated() {
            guard value.isFinite, value >= 0, value < Float(vocabulary), value == value.rounded(.towardZero) else {
                throw SparseFactorError.invalidArgument(
                    "Embedding expects integer token ids in 0..<\(vocabulary), got \(value) at flat index \(i)")
            }
            ids[i] = Int64(value)
        }
        return ids
    }

    private func checkWeight() throws {
        guard weight.value.count == vocabulary * dimension, weight.gradient.count == weight.value.count else {
            throw SparseFactorError.shapeMismatch(expected: "\(weight.name) of shape [\(vocabulary), \(dimension)]",
                                                  got: "value \(weight.value.shape), gradient \(weight.gradient.shape)")
        }
    }
}

/// A learned positional embedding added to a `[..., N, dimension]` tensor: position n of
/// every sequence gets row n of the table, for any N ≤ `length`. The table starts N(0, 1)
/// like PyTorch's `nn.Embedding`.
///
/// ```swift
/// var rng = SeededGenerator(seed: 1)
/// let positions = try PositionalEmbedding(length: 1024, dimension: 32, rng: &rng)
/// let e = try positions(Tensor(shape: [40, 1024, 32]))   // e[b, n, :] = table[n, :]
/// ```
public final class PositionalEmbedding: Layer {
    /// The longest sequence the table covers.
    public let length: Int
    /// The vector length.
    public let dimension: Int
    /// The table, shape `[length, dimension]`.
    public let weight: Parameter
    public var isTraining = true

    private var cache: ForwardCache<Void>?

    public init(length: Int, dimension: Int, name: String = "positional_embedding", rng: inout SeededGenerator) throws {
        guard length > 0, dimension > 0 else {
            throw SparseFactorError.invalidArgument("PositionalEmbedding needs positive sizes, got length \(length), dimension \(dimension)")
        }
        self.length = length
        self.dimension = dimension
        weight = Parameter(name: "\(name).weight", value: .normal(shape: [length, dimension], rng: &rng))
    }

    public var parameters: [Parameter] { [weight] }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        let positions = try sequenceLength(of: x)
        var y = x
        // The table is row-major, so its first N rows are one contiguous "bias" of N·D entries.
        try NNKernels.addBias(&y.values, Array(weight.value.values[0..<(positions * dimension)]),
                              rows: x.count / max(positions * dimension, 1), features: positions * dimension)
        cache = ForwardCache(input: Tensor(shape: []), outputShape: x.shape, extra: ())
        return y
    }

    public func backward(_ outputGradient: Tensor) throws -> Tensor {
        guard let cache else { throw backwardBeforeForward("PositionalEmbedding") }
        try cache.checkGradient(outputGradient, "PositionalEmbedding")
        let positions = try sequenceLength(of: outputGradient)
        let span = positions * dimension
        guard span > 0 else { return outputGradient }
        if span == weight.gradient.count {
            try NNKernels.biasBackward(&weight.gradient.values, outputGradient: outputGradient.values,
                                       rows: outputGradient.count / span, features: span)
        } else {
            var partial = Array(weight.gradient.values[0..<span])
            try NNKernels.biasBackward(&partial, outputGradient: outputGradient.values, rows: outputGradient.count / span, features: span)
            weight.gradient.values.replaceSubrange(0..<span, with: partial)
        }
        return outputGradient
    }

    /// N of a `[..., N, dimension]` tensor, checked against the table.
    private func sequenceLength(of x: Tensor) throws -> Int {
        try x.checkConsistent("PositionalEmbedding input")
        guard x.rank >= 2, x.shape[x.rank - 1] == dimension, x.shape[x.rank - 2] <= length else {
            throw SparseFactorError.shapeMismatch(expected: "PositionalEmbedding input [..., N ≤ \(length), \(dimension)]", got: "\(x.shape)")
        }
        guard weight.value.count == length * dimension, weight.gradient.count == weight.value.count else {
            throw SparseFactorError.shapeMismatch(expected: "\(weight.name) of shape [\(length), \(dimension)]",
                                                  got: "value \(weight.value.shape), gradient \(weight.gradient.shape)")
        }
        return x.shape[x.rank - 2]
    }
}
