import SparseFactorCore
import SparseFactorNN

/// Multi-head softmax self-attention, non-causal: `[B, N, D]` → `[B, N, D]`.
///
/// One linear map makes the packed queries, keys and values (`qkv`, `[3D, D]` as PyTorch's
/// `in_proj_weight`), the attention runs in tiles with an online softmax and is recomputed in the
/// backward pass (FlashAttention's algorithm on the CPU: memory O(N·D), never an N × N buffer), and
/// a second linear map (`out`) mixes the heads.
///
/// ```swift
/// var rng = SeededGenerator(seed: 1)
/// let attention = try MultiHeadAttention(dimension: 32, heads: 4, name: "attention", rng: &rng)
/// let y = try attention(Tensor(shape: [2, 128, 32], repeating: 0.1))   // [2, 128, 32]
/// ```
public final class MultiHeadAttention: Layer {
    /// D, the model width, and H, the heads (D = H · D/H).
    public let dimension: Int, heads: Int
    let qkv: Linear
    let out: Linear
    private var cache: (shape: [Int], qkv: [Float], attended: [Float], lse: [Float])?

    public init(dimension: Int, heads: Int, name: String, rng: inout SeededGenerator) throws {
        guard heads >= 1, dimension >= 1, dimension % heads == 0 else {
            throw SparseFactorError.invalidArgument("attention needs a width divisible by the number of heads, got width \(dimension) and \(heads) heads")
        }
        self.dimension = dimension
        self.heads = heads
        qkv = try Linear(inputs: dimension, outputs: 3 * dimension, name: "\(name).qkv", rng: &rng)
        out = try Linear(inputs: dimension, outputs: dimension, name: "\(name).out", rng: &rng)
    }

    public var parameters: [Parameter] { qkv.parameters + out.parameters }
    public var isTraining = true

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        guard x.rank == 3, x.shape[2] == dimension, x.shape[0] >= 1, x.shape[1] >= 1 else {
            throw SparseFactorError.shapeMismatch(expected: "an attention input [B, N, \(dimension)]", got: "\(x.shape)")
        }
        let (b, n) = (x.shape[0], x.shape[1])
        let packed = try qkv(x).values
        let (attended, lse) = try AttentionKernels.forward(qkv: packed, batch: b, heads: heads, length: n, headDimension: dimension / heads)
        cache = (x.shape, packed, attended, lse)
        return try out(Tensor(shape: x.shape, values: attended))
    }

    public func backward(_ outputGradient: Tensor) throws -> Tensor {
        guard let cache else { throw backwardBeforeForward("MultiHeadAttention") }
        let dAttended = try out.backward(outputGradient)
        let dPacked = try AttentionKernels.backward(outputGradient: dAttended.values, output: cache.attended, lse: cache.lse, qkv: cache.qkv,
                                                    batch: cache.shape[0], heads: heads, length: cache.shape[1],
                                                    headDimension: dimension / heads)
        return try qkv.backward(Tensor(shape: [cache.shape[0], cache.shape[1], 3 * dimension], values: dPacked))
    }
}
