import SparseFactorCore
internal import CSparseFactorKernels

/// The Swift side of the tiled softmax-attention kernels (`attention_kernels.c`): every pointer
/// lives only inside its `withUnsafe…` closure, every status code becomes a thrown error.
///
/// Layout: q, k and v are the three column slices of one packed `[B, N, 3D]` block (row stride
/// 3D, D = heads · headDimension), the output is `[B, N, D]`, the log-sum-exp `[B, H, N]`.
enum AttentionKernels {
    /// (output `[B, N, D]`, log-sum-exp `[B, H, N]`) for a packed qkv block.
    static func forward(qkv: [Float], batch: Int, heads: Int, length: Int, headDimension: Int) throws -> (output: [Float], lse: [Float]) {
        let d = heads * headDimension
        var out = [Float](repeating: 0, count: batch * length * d)
        var lse = [Float](repeating: 0, count: batch * heads * length)
        let scale = 1 / Float(headDimension).squareRoot()
        let status = qkv.withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer { o in
                lse.withUnsafeMutableBufferPointer { l in
                    let base = p.baseAddress
                    return sf_attention_forward_f32(o.baseAddress, l.baseAddress, base, base.map { $0 + d }, base.map { $0 + 2 * d },
                                                    Int64(batch), Int64(heads), Int64(length), Int64(headDimension), Int64(3 * d), scale)
                }
            }
        }
        try checkKernel(status, "attention forward")
        return (out, lse)
    }

    /// dL/d(qkv) `[B, N, 3D]` (packed like qkv) for dL/d(output) of the forward above.
    static func backward(outputGradient: [Float], output: [Float], lse: [Float], qkv: [Float],
                         batch: Int, heads: Int, length: Int, headDimension: Int) throws -> [Float] {
        let d = heads * headDimension
        var dqkv = [Float](repeating: 0, count: qkv.count)
        let scale = 1 / Float(headDimension).squareRoot()
        let status = qkv.withUnsafeBufferPointer { p in
            dqkv.withUnsafeMutableBufferPointer { g in
                outputGradient.withUnsafeBufferPointer { dout in
                    output.withUnsafeBufferPointer { out in
                        lse.withUnsafeBufferPointer { l in
                            let base = p.baseAddress, gbase = g.baseAddress
                            return sf_attention_backward_f32(gbase, gbase.map { $0 + d }, gbase.map { $0 + 2 * d },
                                                             dout.baseAddress, out.baseAddress, l.baseAddress,
                                                             base, base.map { $0 + d }, base.map { $0 + 2 * d },
                                                             Int64(batch), Int64(heads), Int64(length), Int64(headDimension),
                                                             Int64(3 * d), scale)
                        }
                    }
                }
            }
        }
        try checkKernel(status, "attention backward")
        return dqkv
    }
}
