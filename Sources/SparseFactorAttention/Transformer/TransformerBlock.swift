import SparseFactorCore
import SparseFactorNN

/// One pre-LayerNorm Transformer encoder layer (PyTorch's `nn.TransformerEncoderLayer` with
/// `norm_first=True`, `activation="gelu"`):
///
/// ```
/// x ← x + dropout(attention(LayerNorm₁(x)))
/// x ← x + dropout(W₂ · GELU(W₁ · LayerNorm₂(x)))
/// ```
///
/// ```swift
/// var rng = SeededGenerator(seed: 1)
/// let block = try TransformerBlock(dimension: 32, heads: 4, length: 128, feedForward: 64, dropout: 0, name: "layer1", rng: &rng)
/// let y = try block(Tensor(shape: [2, 128, 32], repeating: 0.1))   // [2, 128, 32]
/// ```
public final class TransformerBlock: Layer {
    let norm1: LayerNorm
    let attention: MultiHeadAttention
    let norm2: LayerNorm
    let feedForward: MLP
    /// The two residual-branch dropouts (masks reseeded every step by the model).
    let dropouts: [Dropout]

    public init(dimension: Int, heads: Int, length: Int, attention kind: AttentionKind = .softmax, feedForward width: Int, dropout: Float,
                name: String, rng: inout SeededGenerator) throws {
        norm1 = try LayerNorm(dimension: dimension, name: "\(name).norm1")
        attention = try MultiHeadAttention(dimension: dimension, heads: heads, length: length, kind: kind, name: "\(name).attention", rng: &rng)
        norm2 = try LayerNorm(dimension: dimension, name: "\(name).norm2")
        feedForward = try MLP(hidden: [width], activation: .gelu, inputs: dimension, outputs: dimension, name: "\(name).ff", rng: &rng)
        dropouts = try (0..<2).map { _ in try Dropout(rate: dropout, seed: 0) }
    }

    public var parameters: [Parameter] { norm1.parameters + attention.parameters + norm2.parameters + feedForward.parameters }

    public var isTraining = true {
        didSet { for layer in [norm1, attention, norm2, feedForward] + dropouts as [any Layer] { layer.isTraining = isTraining } }
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        var h = x
        addInPlace(&h.values, try dropouts[0](attention(norm1(x))).values)
        var y = h
        addInPlace(&y.values, try dropouts[1](feedForward(norm2(h))).values)
        return y
    }

    public func backward(_ outputGradient: Tensor) throws -> Tensor {
        var dh = outputGradient
        addInPlace(&dh.values, try norm2.backward(feedForward.backward(dropouts[1].backward(outputGradient))).values)
        var dx = dh
        addInPlace(&dx.values, try norm1.backward(attention.backward(dropouts[0].backward(dh))).values)
        return dx
    }
}
