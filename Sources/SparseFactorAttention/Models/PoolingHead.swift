import SparseFactorCore
import SparseFactorNN

/// The end of every sequence model: pooling of the `[B, N, C]` block the model computed, then
/// the head, to `[B, outputs]`. With `pairs`, the block holds two sequences per example
/// (`[2B, N, C]`, rows 2b and 2b + 1 of example b, as ``SequenceInput/tokenPairs(vocabulary:)``
/// lays them out): each is pooled to u and v, and the head reads [u, v, u ⊙ v, u − v] (LRA's
/// dual encoder) to `[B, outputs]`.
///
/// ```swift
/// var rng = SeededGenerator(seed: 1)
/// let end = try PoolingHead(pooling: .mean, head: .linear, length: 128, channels: 8, outputs: 4, rng: &rng)
/// let logits = try end(Tensor(shape: [2, 128, 8]))   // [2, 4]
/// ```
public final class PoolingHead: Layer {
    /// How positions are pooled.
    public let pooling: SequencePooling
    /// N and C of the input block.
    public let length: Int, channels: Int
    /// Whether the block holds two sequences per example, compared by the head.
    public let pairs: Bool
    /// The vectors the head reads per example with `pairs`: u, v, u ⊙ v, u − v.
    static let comparedVectors = 4
    let head: any Layer
    private var batch: Int?
    private var pooledPairs: Tensor?

    /// The head's parameters are named `head.…`.
    public init(pooling: SequencePooling, head: SequenceHead, length: Int, channels: Int, outputs: Int, pairs: Bool = false,
                rng: inout SeededGenerator) throws {
        self.pooling = pooling
        self.length = length
        self.channels = channels
        self.pairs = pairs
        let pooled = (pooling == .flatten ? length * channels : channels) * (pairs ? Self.comparedVectors : 1)
        switch head {
        case .linear: self.head = try Linear(inputs: pooled, outputs: outputs, name: "head", rng: &rng)
        case .mlp(let hidden): self.head = try MLP(hidden: [hidden], inputs: pooled, outputs: outputs, name: "head", rng: &rng)
        }
    }

    public var parameters: [Parameter] { head.parameters }

    public var isTraining = true { didSet { head.isTraining = isTraining } }

    public func callAsFunction(_ v: Tensor) throws -> Tensor {
        guard v.rank == 3, v.shape[1] == length, v.shape[2] == channels, v.shape[0] >= 1, !pairs || v.shape[0] % 2 == 0 else {
            throw SparseFactorError.shapeMismatch(expected: "a block [\(pairs ? "2B" : "B"), \(length), \(channels)] to pool", got: "\(v.shape)")
        }
        let b = v.shape[0]
        batch = b
        let pooled = try pool(v, batch: b)
        guard pairs else { return try head(pooled) }
        pooledPairs = pooled
        return try head(Self.compare(pooled))
    }

    /// dL/d(block) `[B, N, C]` (`[2B, N, C]` with pairs); adds the head's gradients.
    public func backward(_ outputGradient: Tensor) throws -> Tensor {
        guard let batch else { throw SparseFactorError.invalidArgument("PoolingHead.backward was called before a forward pass") }
        let g = try head.backward(outputGradient)
        guard pairs, let pooledPairs else { return try unpool(g, batch: batch) }
        return try unpool(try Self.compareBackward(g, pooled: pooledPairs), batch: batch)
    }

    /// The examples' outputs for a block of `blockBatch` sequences.
    public func examples(inBlockOf blockBatch: Int) -> Int { pairs ? blockBatch / 2 : blockBatch }

    /// `[2B, P]` pooled rows (u = row 2b, v = row 2b + 1) → `[B, 4P]` rows [u, v, u ⊙ v, u − v].
    static func compare(_ pooled: Tensor) throws -> Tensor {
        let p = pooled.shape[1], examples = pooled.shape[0] / 2
        var out = Tensor(shape: [examples, 4 * p])
        pooled.values.withUnsafeBufferPointer { x in
            out.values.withUnsafeMutableBufferPointer { y in
                for b in 0..<examples {
                    let u = x.baseAddress! + 2 * b * p, v = u + p, row = y.baseAddress! + 4 * b * p
                    for k in 0..<p {
                        row[k] = u[k]
                        row[p + k] = v[k]
                        row[2 * p + k] = u[k] * v[k]
                        row[3 * p + k] = u[k] - v[k]
                    }
                }
            }
        }
        return out
    }

    /// dL/d(pooled) `[2B, P]` from dL/d[u, v, u ⊙ v, u − v] `[B, 4P]`.
    static func compareBackward(_ g: Tensor, pooled: Tensor) throws -> Tensor {
        let p = pooled.shape[1], examples = pooled.shape[0] / 2
        guard g.shape == [examples, 4 * p] else {
            throw SparseFactorError.shapeMismatch(expected: "a gradient [\(examples), \(4 * p)] of the compared pairs", got: "\(g.shape)")
        }
        var out = Tensor(shape: pooled.shape)
        pooled.values.withUnsafeBufferPointer { x in
            g.values.withUnsafeBufferPointer { gr in
                out.values.withUnsafeMutableBufferPointer { d in
                    for b in 0..<examples {
                        let u = x.baseAddress! + 2 * b * p, v = u + p, row = gr.baseAddress! + 4 * b * p
                        let du = d.baseAddress! + 2 * b * p, dv = du + p
                        for k in 0..<p {
                            du[k] = row[k] + row[2 * p + k] * v[k] + row[3 * p + k]
                            dv[k] = row[p + k] + row[2 * p + k] * u[k] - row[3 * p + k]
                        }
                    }
                }
            }
        }
        return out
    }

    private func pool(_ v: Tensor, batch: Int) throws -> Tensor {
        let (n, c) = (length, channels)
        switch pooling {
        case .flatten:
            return try v.reshaped([batch, n * c])
        case .cls:
            var out = Tensor(shape: [batch, c])
            for b in 0..<batch { for k in 0..<c { out.values[b * c + k] = v.values[b * n * c + k] } }
            return out
        case .mean:
            var out = Tensor(shape: [batch, c])
            for b in 0..<batch {
                var sums = [Double](repeating: 0, count: c)
                for i in 0..<n { for k in 0..<c { sums[k] += Double(v.values[(b * n + i) * c + k]) } }
                for k in 0..<c { out.values[b * c + k] = Float(sums[k] / Double(n)) }
            }
            return out
        }
    }

    private func unpool(_ g: Tensor, batch: Int) throws -> Tensor {
        let (n, c) = (length, channels)
        let shape = [batch, n, c]
        switch pooling {
        case .flatten:
            return try g.reshaped(shape)
        case .cls:
            var out = Tensor(shape: shape)
            for b in 0..<batch { for k in 0..<c { out.values[b * n * c + k] = g.values[b * c + k] } }
            return out
        case .mean:
            var out = Tensor(shape: shape)
            let scale = 1 / Float(n)
            for b in 0..<batch {
                for i in 0..<n { for k in 0..<c { out.values[(b * n + i) * c + k] = g.values[b * c + k] * scale } }
            }
            return out
        }
    }
}
