import SparseFactorCore
import SparseFactorNN

/// The end of every sequence model: pooling of the `[B, N, C]` block the model computed, then
/// the head, to `[B, outputs]`.
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
    let head: any Layer
    private var batch: Int?

    /// The head's parameters are named `head.…`.
    public init(pooling: SequencePooling, head: SequenceHead, length: Int, channels: Int, outputs: Int, rng: inout SeededGenerator) throws {
        self.pooling = pooling
        self.length = length
        self.channels = channels
        let pooled = pooling == .flatten ? length * channels : channels
        switch head {
        case .linear: self.head = try Linear(inputs: pooled, outputs: outputs, name: "head", rng: &rng)
        case .mlp(let hidden): self.head = try MLP(hidden: [hidden], inputs: pooled, outputs: outputs, name: "head", rng: &rng)
        }
    }

    public var parameters: [Parameter] { head.parameters }

    public var isTraining = true { didSet { head.isTraining = isTraining } }

    public func callAsFunction(_ v: Tensor) throws -> Tensor {
        guard v.rank == 3, v.shape[1] == length, v.shape[2] == channels, v.shape[0] >= 1 else {
            throw SparseFactorError.shapeMismatch(expected: "a block [B, \(length), \(channels)] to pool", got: "\(v.shape)")
        }
        let b = v.shape[0]
        batch = b
        return try head(pool(v, batch: b))
    }

    /// dL/d(block) `[B, N, C]`; adds the head's gradients.
    public func backward(_ outputGradient: Tensor) throws -> Tensor {
        guard let batch else { throw SparseFactorError.invalidArgument("PoolingHead.backward was called before a forward pass") }
        return try unpool(try head.backward(outputGradient), batch: batch)
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
