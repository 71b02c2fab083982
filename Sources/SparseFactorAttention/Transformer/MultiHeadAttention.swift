import SparseFactorCore
import SparseFactorNN

/// How a ``MultiHeadAttention`` layer mixes positions.
public enum AttentionKind: Codable, Equatable, Sendable {
    /// Exact softmax attention, computed in tiles with an online softmax (FlashAttention's algorithm).
    case softmax
    /// Linformer (Wang et al., 2020): keys and values projected along the sequence to
    /// `projectedLength` rows by learned `[k, N]` maps shared by all heads, then softmax attention.
    case linformer(projectedLength: Int)
    /// Performer (Choromanski et al., 2021): FAVOR+ with `features` positive orthogonal random
    /// features per head; non-causal, linear in N. The features are fixed by the layer's name (not
    /// by the model's seed), so a saved model's parameters are all it needs.
    case performer(features: Int)

    /// "softmax", "linformer(k 256)" or "performer(m 256)", for messages.
    public var summary: String {
        switch self {
        case .softmax: return "softmax"
        case .linformer(let k): return "linformer(k \(k))"
        case .performer(let m): return "performer(m \(m))"
        }
    }
}

/// Multi-head self-attention, non-causal: `[B, N, D]` → `[B, N, D]`.
///
/// One linear map makes the packed queries, keys and values (`qkv`, `[3D, D]` as PyTorch's
/// `in_proj_weight`), the positions are mixed as ``AttentionKind`` says, and a second linear map
/// (`out`) mixes the heads. Softmax attention runs in tiles with an online softmax and is
/// recomputed in the backward pass (memory O(N·D), never an N × N buffer).
///
/// ```swift
/// var rng = SeededGenerator(seed: 1)
/// let attention = try MultiHeadAttention(dimension: 32, heads: 4, length: 128, name: "attention", rng: &rng)
/// let y = try attention(Tensor(shape: [2, 128, 32], repeating: 0.1))   // [2, 128, 32]
/// ```
public final class MultiHeadAttention: Layer {
    /// D, the model width, and H, the heads (each D/H wide).
    public let dimension: Int, heads: Int
    /// N, the sequence length (Linformer's projections are `[k, N]`).
    public let length: Int
    /// How positions are mixed.
    public let kind: AttentionKind
    let qkv: Linear
    let out: Linear
    /// Linformer's projections of the keys and of the values, `[k, N]` each.
    let projections: (keys: Parameter, values: Parameter)?
    /// Performer's random features `[H, m, D/H]` (fixed by the layer's name, not trained).
    let features: [Float]?
    private var cache: (shape: [Int], qkv: [Float], keysValues: [Float], attended: [Float], lse: [Float])?

    public init(dimension: Int, heads: Int, length: Int, kind: AttentionKind = .softmax, name: String, rng: inout SeededGenerator) throws {
        guard heads >= 1, dimension >= 1, dimension % heads == 0 else {
            throw SparseFactorError.invalidArgument("attention needs a width divisible by the number of heads, got width \(dimension) and \(heads) heads")
        }
        guard length >= 1 else { throw SparseFactorError.invalidArgument("attention needs a sequence length of at least 1, got \(length)") }
        self.dimension = dimension
        self.heads = heads
        self.length = length
        self.kind = kind
        qkv = try Linear(inputs: dimension, outputs: 3 * dimension, name: "\(name).qkv", rng: &rng)
        out = try Linear(inputs: dimension, outputs: dimension, name: "\(name).out", rng: &rng)
        switch kind {
        case .softmax:
            projections = nil
            features = nil
        case .linformer(let k):
            guard k >= 1, k <= length else {
                throw SparseFactorError.invalidArgument("Linformer's projected length must be in 1…\(length) (N), got \(k)")
            }
            // Uniform in ±1/√k, as the reference implementations initialize E and F.
            let bound = 1 / Double(k).squareRoot()
            projections = (Parameter(name: "\(name).project_keys", value: .uniform(shape: [k, length], bound: bound, rng: &rng)),
                           Parameter(name: "\(name).project_values", value: .uniform(shape: [k, length], bound: bound, rng: &rng)))
            features = nil
        case .performer(let m):
            guard m >= 1, m <= 1 << 16 else { throw SparseFactorError.invalidArgument("Performer needs 1…65536 random features, got \(m)") }
            projections = nil
            features = try AttentionKernels.favorFeatures(heads: heads, count: m, headDimension: dimension / heads, seed: Self.featureSeed(name))
        }
    }

    /// FNV-1a of the layer's name: the same features for the same layer of any model of this configuration.
    static func featureSeed(_ name: String) -> UInt64 {
        name.utf8.reduce(0xCBF2_9CE4_8422_2325 as UInt64) { ($0 ^ UInt64($1)) &* 0x0000_0100_0000_01B3 }
    }

    public var parameters: [Parameter] {
        qkv.parameters + (projections.map { [$0.keys, $0.values] } ?? []) + out.parameters
    }

    public var isTraining = true

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        guard x.rank == 3, x.shape[1] == length, x.shape[2] == dimension, x.shape[0] >= 1 else {
            throw SparseFactorError.shapeMismatch(expected: "an attention input [B, \(length), \(dimension)]", got: "\(x.shape)")
        }
        let b = x.shape[0], dh = dimension / heads
        let packed = try qkv(x).values
        var keysValues: [Float] = []
        let attended: [Float], lse: [Float]
        switch kind {
        case .softmax:
            (attended, lse) = try AttentionKernels.forward(qkv: packed, batch: b, heads: heads, length: length, headDimension: dh)
        case .linformer(let k):
            keysValues = try project(packed, batch: b, k: k)
            (attended, lse) = try AttentionKernels.crossForward(qkv: packed, keysValues: keysValues, batch: b, heads: heads, length: length,
                                                                keyLength: k, headDimension: dh)
        case .performer(let m):
            attended = try AttentionKernels.favorForward(qkv: packed, features: features ?? [], batch: b, heads: heads, length: length,
                                                         headDimension: dh, featureCount: m)
            lse = []
        }
        cache = (x.shape, packed, keysValues, attended, lse)
        return try out(Tensor(shape: x.shape, values: attended))
    }

    public func backward(_ outputGradient: Tensor) throws -> Tensor {
        guard let cache else { throw backwardBeforeForward("MultiHeadAttention") }
        let b = cache.shape[0], dh = dimension / heads
        let dAttended = try out.backward(outputGradient).values
        var dPacked: [Float]
        switch kind {
        case .softmax:
            dPacked = try AttentionKernels.backward(outputGradient: dAttended, output: cache.attended, lse: cache.lse, qkv: cache.qkv,
                                                    batch: b, heads: heads, length: length, headDimension: dh)
        case .linformer(let k):
            let (dq, dkv) = try AttentionKernels.crossBackward(outputGradient: dAttended, output: cache.attended, lse: cache.lse,
                                                              qkv: cache.qkv, keysValues: cache.keysValues, batch: b, heads: heads,
                                                              length: length, keyLength: k, headDimension: dh)
            dPacked = dq
            try projectBackward(dkv, packed: cache.qkv, into: &dPacked, batch: b, k: k)
        case .performer(let m):
            dPacked = try AttentionKernels.favorBackward(outputGradient: dAttended, output: cache.attended, qkv: cache.qkv,
                                                         features: features ?? [], batch: b, heads: heads, length: length,
                                                         headDimension: dh, featureCount: m)
        }
        return try qkv.backward(Tensor(shape: [b, length, 3 * dimension], values: dPacked))
    }

    // MARK: Linformer's projections along the sequence

    /// Columns `[offset, offset + D)` of item `item` of a packed `[B, N, 3D]` block, as a contiguous `[N, D]` block.
    private func slice(_ packed: [Float], item: Int, offset: Int) -> [Float] {
        let d = dimension
        var block = [Float](repeating: 0, count: length * d)
        for i in 0..<length {
            let from = (item * length + i) * 3 * d + offset
            for c in 0..<d { block[i * d + c] = packed[from + c] }
        }
        return block
    }

    /// `[B, k, 2D]`: E·K and F·V of every item (keys in the first D columns).
    private func project(_ packed: [Float], batch: Int, k: Int) throws -> [Float] {
        guard let projections else { return [] }
        let d = dimension
        var keysValues = [Float](repeating: 0, count: batch * k * 2 * d)
        for item in 0..<batch {
            for (half, map) in [projections.keys, projections.values].enumerated() {
                var projected = [Float](repeating: 0, count: k * d)
                try NNKernels.gemm(&projected, map.value.values, slice(packed, item: item, offset: (1 + half) * d), m: k, n: d, k: length)
                for r in 0..<k { for c in 0..<d { keysValues[(item * k + r) * 2 * d + half * d + c] = projected[r * d + c] } }
            }
        }
        return keysValues
    }

    /// For dL/d(projected keys, values) `[B, k, 2D]`: dE += dK'·Kᵀ, dF += dV'·Vᵀ, and dK = Eᵀ·dK', dV = Fᵀ·dV'
    /// added into the key and value columns of `dPacked`.
    private func projectBackward(_ dkv: [Float], packed: [Float], into dPacked: inout [Float], batch: Int, k: Int) throws {
        guard let projections else { return }
        let d = dimension
        for item in 0..<batch {
            for (half, map) in [projections.keys, projections.values].enumerated() {
                var dProjected = [Float](repeating: 0, count: k * d)
                for r in 0..<k { for c in 0..<d { dProjected[r * d + c] = dkv[(item * k + r) * 2 * d + half * d + c] } }
                let source = slice(packed, item: item, offset: (1 + half) * d)
                try NNKernels.gemm(&map.gradient.values, dProjected, source, transposeB: true, m: k, n: length, k: d, beta: 1)
                var dSource = [Float](repeating: 0, count: length * d)
                try NNKernels.gemm(&dSource, map.value.values, dProjected, transposeA: true, m: length, n: d, k: k)
                for i in 0..<length {
                    let to = (item * length + i) * 3 * d + (1 + half) * d
                    for c in 0..<d { dPacked[to + c] += dSource[i * d + c] }
                }
            }
        }
    }
}
