import SparseFactorCore
import SparseFactorNN
import SparseFactorIO
internal import CSparseFactorKernels

/// PSF-Attn's input embedding in factored form, so that the MLPs reading it can fold their
/// first linear layer through it (see ``FoldedMLP``).
///
/// Every token's embedding is `E[r] = Q·z[r] + s[pos(r)]`:
/// - features: `z[r]` is the token's F features, `Q` the input projection's weight, and
///   `s[p]` its bias (plus the positional embedding of p, when there is one);
/// - tokens of a vocabulary V no larger than D: `z[r]` is the one-hot vector of the token id and
///   `Q` the transposed embedding table (F = V multiply-adds per hidden unit, fewer than D);
/// - tokens of a larger vocabulary (LRA's bytes and pixels: V = 256 or 257 against D = 16…64):
///   `z[r]` is the token's row of the table, looked up, and `Q` the identity (F = D; the one-hot
///   form would cost V / D times as much, and B·V·N floats for z alone).
///
/// E itself is never formed. The folded MLPs add dL/dQ and dL/ds here, and
/// ``applyGradients()`` hands them to the embedding's parameters.
final class FoldedEmbedding {
    /// z, channel-major `[B, F, stride]` (each feature's N positions contiguous), as the kernels want.
    let z: AlignedFloats
    /// Q, `[D, F]`.
    let q: [Float]
    /// s, `[P, D]`: the bias (+ positions) of every distinct position, P = N or 1.
    let s: [Float]
    let batch: Int
    let length: Int
    /// The row stride of z and of the folded MLPs' outputs (see ``ShiftFactorKernels``).
    let stride: Int
    let features: Int
    let dimension: Int
    /// P: N with a positional embedding, else 1 (every position shares s[0]).
    let positions: Int
    /// dL/dQ `[D, F]` and dL/ds `[P, D]`, summed over every MLP that read this embedding.
    var qGradient: [Float]
    var sGradient: [Float]
    /// dL/dz `[B, F, stride]` for feature inputs (nil for token ids, which have no gradient, or when not asked for).
    let zGradient: AlignedFloats?
    /// The token ids whose table rows are z (nil unless tokens are looked up), and dL/dz for them,
    /// which ``applyGradients()`` adds to those rows of the table's gradient.
    private let lookedUpIDs: [Int64]?
    private let rowGradient: AlignedFloats?
    /// Where the folded MLPs add dL/dz: the input's gradient, or the looked-up rows'.
    var zGradientBuffer: AlignedFloats? { zGradient ?? rowGradient }

    private let inputLayer: any Layer
    private let positionalEmbedding: PositionalEmbedding?

    /// The folded form of `inputLayer(x)` (+ `positionalEmbedding`), for x `[B, N]` token ids
    /// or `[B, N, F]` features; nil when the input layer is of another kind.
    init?(input x: Tensor, batch: Int, length: Int, stride: Int, inputLayer: any Layer,
          positionalEmbedding: PositionalEmbedding?, inputGradient: Bool = true) throws {
        let dimension: Int
        var bias: [Float]?
        var lookedUp: [Int64]?
        switch inputLayer {
        case let embedding as Embedding where embedding.vocabulary > embedding.dimension:
            let ids = try embedding.tokenIDs(x)
            dimension = embedding.dimension
            let table = embedding.weight.value.values
            let rows = AlignedFloats(zeros: batch * dimension * stride)
            rows.withUnsafeMutableBufferPointer { z in
                for (r, id) in ids.enumerated() {
                    let (b, i) = r.quotientAndRemainder(dividingBy: length)
                    for d in 0..<dimension { z[(b * dimension + d) * stride + i] = table[Int(id) * dimension + d] }
                }
            }
            z = rows
            features = dimension
            q = (0..<(dimension * dimension)).map { $0 / dimension == $0 % dimension ? 1 : 0 }
            lookedUp = ids
        case let embedding as Embedding:
            let ids = try embedding.tokenIDs(x)
            let vocabulary = embedding.vocabulary
            dimension = embedding.dimension
            let oneHot = AlignedFloats(zeros: batch * vocabulary * stride)
            oneHot.withUnsafeMutableBufferPointer { h in
                for (r, id) in ids.enumerated() {
                    let (b, i) = r.quotientAndRemainder(dividingBy: length)
                    h[(b * vocabulary + Int(id)) * stride + i] = 1
                }
            }
            z = oneHot
            features = vocabulary
            // Q = tableᵀ: [D, V] from the [V, D] table.
            var transposed = [Float](repeating: 0, count: dimension * vocabulary)
            let table = embedding.weight.value.values
            for v in 0..<vocabulary { for d in 0..<dimension { transposed[d * vocabulary + v] = table[v * dimension + d] } }
            q = transposed
        case let projection as InputProjection:
            let linear = projection.linear
            guard x.shape.last == linear.inputs else {
                throw SparseFactorError.shapeMismatch(expected: "input features [..., \(linear.inputs)]", got: "\(x.shape)")
            }
            dimension = linear.outputs
            z = channelMajor(x.values, batch: batch, n: length, width: linear.inputs, stride: stride)
            features = linear.inputs
            q = linear.weight.value.values         // [D, F] in PyTorch's layout already
            bias = linear.bias?.value.values
        default:
            return nil
        }
        self.batch = batch
        self.length = length
        self.stride = stride
        self.dimension = dimension
        let base = bias ?? [Float](repeating: 0, count: dimension)
        if let positionalEmbedding {
            positions = length
            var rows = Array(positionalEmbedding.weight.value.values[0..<(length * dimension)])
            for p in 0..<length { for d in 0..<dimension { rows[p * dimension + d] += base[d] } }
            s = rows
        } else {
            positions = 1
            s = base
        }
        zGradient = inputGradient && inputLayer is InputProjection ? AlignedFloats(zeros: z.count) : nil
        lookedUpIDs = lookedUp
        rowGradient = lookedUp == nil ? nil : AlignedFloats(zeros: z.count)
        qGradient = [Float](repeating: 0, count: q.count)
        sGradient = [Float](repeating: 0, count: s.count)
        self.inputLayer = inputLayer
        self.positionalEmbedding = positionalEmbedding
    }

    /// Adds dL/dQ and dL/ds to the gradients of the embedding's parameters.
    func applyGradients() {
        switch inputLayer {
        case let embedding as Embedding:
            if let ids = lookedUpIDs, let rowGradient {
                // Each position's dL/dz goes to its token's row, positions in order (Q = I has no gradient of its own).
                embedding.weight.gradient.values.withUnsafeMutableBufferPointer { g in
                    rowGradient.withUnsafeBufferPointer { dz in
                        for (r, id) in ids.enumerated() {
                            let (b, i) = r.quotientAndRemainder(dividingBy: length)
                            for d in 0..<dimension { g[Int(id) * dimension + d] += dz[(b * dimension + d) * stride + i] }
                        }
                    }
                }
                break
            }
            let vocabulary = features
            embedding.weight.gradient.values.withUnsafeMutableBufferPointer { g in
                for v in 0..<vocabulary { for d in 0..<dimension { g[v * dimension + d] += qGradient[d * vocabulary + v] } }
            }
        case let projection as InputProjection:
            addInPlace(&projection.linear.weight.gradient.values, qGradient)
            if let bias = projection.linear.bias {
                bias.gradient.values.withUnsafeMutableBufferPointer { g in
                    for p in 0..<positions { for d in 0..<dimension { g[d] += sGradient[p * dimension + d] } }
                }
            }
        default:
            break
        }
        if let positionalEmbedding {
            positionalEmbedding.weight.gradient.values.withUnsafeMutableBufferPointer { g in
                for x in 0..<(length * dimension) { g[x] += sGradient[x] }
            }
        }
    }
}

/// A two-layer MLP `Linear(D→H) · GELU · Linear(H→O)` (the paper's `[H, GELU]`) evaluated on a
/// ``FoldedEmbedding``: its first layer becomes `A·z[r] + c[pos(r)]` with `A = W1·Q` and
/// `c[p] = W1·s[p] + b1`, which costs F instead of D multiply-adds per hidden unit and token.
/// The math is the MLP's own; only the order of the sums differs. The hidden units are never
/// stored: the C kernel recomputes them in backward.
final class FoldedMLP {
    let first: Linear
    let last: Linear
    /// A `[H, F]` and cᵀ `[H, P]` of the last forward, which backward needs.
    private var cache: (a: [Float], ct: [Float])?

    /// nil unless `mlp` is exactly Linear, GELU, Linear.
    init?(_ mlp: MLP) {
        let layers = mlp.stack.layers
        guard layers.count == 3, let first = layers[0] as? Linear, layers[1] is GELU, let last = layers[2] as? Linear else {
            return nil
        }
        self.first = first
        self.last = last
    }

    var hidden: Int { first.outputs }
    var outputs: Int { last.outputs }

    /// The MLP's outputs on the folded embedding, channel-major `[B, O, stride]`.
    func forward(_ e: FoldedEmbedding) throws -> AlignedFloats {
        let (h, d, f, p) = (hidden, e.dimension, e.features, e.positions)
        guard first.inputs == d, let b1 = first.bias?.value.values, let b2 = last.bias?.value.values else {
            throw SparseFactorError.invalidArgument("a folded MLP needs biases and \(d) inputs, got \(first.inputs)")
        }
        let w1 = first.weight.value.values
        var a = [Float](repeating: 0, count: h * f)
        try NNKernels.gemm(&a, w1, e.q, m: h, n: f, k: d)                              // W1·Q
        var compact = [Float](repeating: 0, count: h * p)
        try NNKernels.gemm(&compact, w1, e.s, transposeB: true, m: h, n: p, k: d)    // W1·sᵀ, [H, P]
        // c = W1·sᵀ + b1, its rows `stride` apart when P = N (as the kernel reads them).
        let cStride = p == 1 ? 1 : e.stride
        var ct = [Float](repeating: 0, count: h * cStride)
        for j in 0..<h { for x in 0..<p { ct[j * cStride + x] = compact[j * p + x] + b1[j] } }
        var status: Int32 = 0
        let out = AlignedFloats(count: e.batch * outputs * e.stride) { op in     // the kernel writes all but the padding
            status = e.z.withUnsafeBufferPointer { zp in
                a.withUnsafeBufferPointer { ap in
                    ct.withUnsafeBufferPointer { cp in
                        last.weight.value.values.withUnsafeBufferPointer { wp in
                            b2.withUnsafeBufferPointer { bp in
                                sf_folded_mlp_forward_f32(op.baseAddress, zp.baseAddress, ap.baseAddress, cp.baseAddress,
                                                          wp.baseAddress, bp.baseAddress, Int64(e.batch), Int64(e.length),
                                                          Int64(p), Int64(f), Int64(h), Int64(outputs), Int64(e.stride))
                            }
                        }
                    }
                }
            }
        }
        try checkKernel(status, "folded MLP forward")
        out.zeroPadding(n: e.length, stride: e.stride)
        cache = (a, ct)
        return out
    }

    /// Adds the gradients of both linear layers for dL/d(outputs) `[B, O, stride]` of the last forward,
    /// and dL/dQ, dL/ds (and dL/dz) to `e`.
    func backward(_ outputGradient: AlignedFloats, _ e: FoldedEmbedding) throws {
        guard let cache, outputGradient.count == e.batch * outputs * e.stride,
              let b1 = first.bias, let b2 = last.bias else {
            throw SparseFactorError.invalidArgument("folded MLP: backward without a matching forward pass")
        }
        let (a, ct) = cache
        let (h, d, f, p) = (hidden, e.dimension, e.features, e.positions)
        var da = [Float](repeating: 0, count: h * f)
        let cStride = p == 1 ? 1 : e.stride
        var dct = [Float](repeating: 0, count: h * cStride)
        let status = withOptionalMutableBuffer(e.zGradientBuffer) { dzp in
            da.withUnsafeMutableBufferPointer { dap in
                dct.withUnsafeMutableBufferPointer { dcp in
                    last.weight.gradient.values.withUnsafeMutableBufferPointer { dwp in
                        b2.gradient.values.withUnsafeMutableBufferPointer { dbp in
                            outputGradient.withUnsafeBufferPointer { gp in
                                e.z.withUnsafeBufferPointer { zp in
                                    a.withUnsafeBufferPointer { ap in
                                        ct.withUnsafeBufferPointer { cp in
                                            last.weight.value.values.withUnsafeBufferPointer { wp in
                                                sf_folded_mlp_backward_f32(dzp,
                                                                           dap.baseAddress, dcp.baseAddress, dwp.baseAddress,
                                                                           dbp.baseAddress, gp.baseAddress, zp.baseAddress,
                                                                           ap.baseAddress, cp.baseAddress, wp.baseAddress,
                                                                           Int64(e.batch), Int64(e.length), Int64(p),
                                                                           Int64(f), Int64(h), Int64(outputs), Int64(e.stride))
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        try checkKernel(status, "folded MLP backward")
        if cStride != p { dct = (0..<(h * p)).map { dct[($0 / p) * cStride + $0 % p] } }     // drop the padding: [H, P]
        let w1 = first.weight.value.values
        // A = W1·Q and c = W1·sᵀ + b1, so dW1 += dA·Qᵀ + dc·s, db1 += Σ_p dc, dQ += W1ᵀ·dA, ds += dcᵀ·W1.
        try NNKernels.gemm(&first.weight.gradient.values, da, e.q, transposeB: true, m: h, n: d, k: f, beta: 1)
        try NNKernels.gemm(&first.weight.gradient.values, dct, e.s, m: h, n: d, k: p, beta: 1)
        b1.gradient.values.withUnsafeMutableBufferPointer { g in
            for j in 0..<h { for x in 0..<p { g[j] += dct[j * p + x] } }
        }
        try NNKernels.gemm(&e.qGradient, w1, da, transposeA: true, m: d, n: f, k: h, beta: 1)
        try NNKernels.gemm(&e.sGradient, dct, w1, transposeA: true, m: p, n: d, k: h, beta: 1)
    }
}
