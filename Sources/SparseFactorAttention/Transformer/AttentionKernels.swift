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

extension AttentionKernels {
    /// Attention of the queries in a packed `[B, N, 3D]` qkv block (its first D columns) over a
    /// separate block of projected keys and values `[B, kLength, 2D]` (keys first): (output
    /// `[B, N, D]`, log-sum-exp `[B, H, N]`).
    static func crossForward(qkv: [Float], keysValues: [Float], batch: Int, heads: Int, length: Int, keyLength: Int,
                             headDimension: Int) throws -> (output: [Float], lse: [Float]) {
        let d = heads * headDimension
        var out = [Float](repeating: 0, count: batch * length * d)
        var lse = [Float](repeating: 0, count: batch * heads * length)
        let scale = 1 / Float(headDimension).squareRoot()
        let status = qkv.withUnsafeBufferPointer { q in
            keysValues.withUnsafeBufferPointer { kv in
                out.withUnsafeMutableBufferPointer { o in
                    lse.withUnsafeMutableBufferPointer { l in
                        sf_cross_attention_forward_f32(o.baseAddress, l.baseAddress, q.baseAddress, kv.baseAddress, kv.baseAddress.map { $0 + d },
                                                       Int64(batch), Int64(heads), Int64(length), Int64(keyLength), Int64(headDimension),
                                                       Int64(3 * d), Int64(2 * d), scale)
                    }
                }
            }
        }
        try checkKernel(status, "attention forward")
        return (out, lse)
    }

    /// (dL/dq added into the first D columns of a `[B, N, 3D]` block, dL/d(keys, values) `[B, kLength, 2D]`).
    static func crossBackward(outputGradient: [Float], output: [Float], lse: [Float], qkv: [Float], keysValues: [Float],
                              batch: Int, heads: Int, length: Int, keyLength: Int, headDimension: Int) throws -> (dqkv: [Float], dKeysValues: [Float]) {
        let d = heads * headDimension
        var dqkv = [Float](repeating: 0, count: qkv.count)
        var dkv = [Float](repeating: 0, count: keysValues.count)
        let scale = 1 / Float(headDimension).squareRoot()
        let status = qkv.withUnsafeBufferPointer { q in
            keysValues.withUnsafeBufferPointer { kv in
                dqkv.withUnsafeMutableBufferPointer { dq in
                    dkv.withUnsafeMutableBufferPointer { dk in
                        outputGradient.withUnsafeBufferPointer { dout in
                            output.withUnsafeBufferPointer { out in
                                lse.withUnsafeBufferPointer { l in
                                    sf_cross_attention_backward_f32(dq.baseAddress, dk.baseAddress, dk.baseAddress.map { $0 + d },
                                                                    dout.baseAddress, out.baseAddress, l.baseAddress,
                                                                    q.baseAddress, kv.baseAddress, kv.baseAddress.map { $0 + d },
                                                                    Int64(batch), Int64(heads), Int64(length), Int64(keyLength),
                                                                    Int64(headDimension), Int64(3 * d), Int64(2 * d), scale)
                                }
                            }
                        }
                    }
                }
            }
        }
        try checkKernel(status, "attention backward")
        return (dqkv, dkv)
    }

    /// FAVOR+ attention (Performer) of a packed `[B, N, 3D]` qkv block with `features` `[H, m, Dh]`: output `[B, N, D]`.
    static func favorForward(qkv: [Float], features: [Float], batch: Int, heads: Int, length: Int, headDimension: Int,
                             featureCount m: Int) throws -> [Float] {
        let d = heads * headDimension
        var out = [Float](repeating: 0, count: batch * length * d)
        let status = qkv.withUnsafeBufferPointer { p in
            features.withUnsafeBufferPointer { w in
                out.withUnsafeMutableBufferPointer { o in
                    let base = p.baseAddress
                    return sf_favor_forward_f32(o.baseAddress, base, base.map { $0 + d }, base.map { $0 + 2 * d }, w.baseAddress,
                                                Int64(batch), Int64(heads), Int64(length), Int64(headDimension), Int64(3 * d), Int64(m))
                }
            }
        }
        try checkKernel(status, "FAVOR+ attention forward")
        return out
    }

    /// dL/d(qkv) `[B, N, 3D]` for dL/d(output) of ``favorForward(qkv:features:batch:heads:length:headDimension:featureCount:)``.
    static func favorBackward(outputGradient: [Float], output: [Float], qkv: [Float], features: [Float], batch: Int, heads: Int,
                              length: Int, headDimension: Int, featureCount m: Int) throws -> [Float] {
        let d = heads * headDimension
        var dqkv = [Float](repeating: 0, count: qkv.count)
        let status = qkv.withUnsafeBufferPointer { p in
            features.withUnsafeBufferPointer { w in
                dqkv.withUnsafeMutableBufferPointer { g in
                    outputGradient.withUnsafeBufferPointer { dout in
                        output.withUnsafeBufferPointer { out in
                            let base = p.baseAddress, gbase = g.baseAddress
                            return sf_favor_backward_f32(gbase, gbase.map { $0 + d }, gbase.map { $0 + 2 * d }, dout.baseAddress, out.baseAddress,
                                                         base, base.map { $0 + d }, base.map { $0 + 2 * d }, w.baseAddress,
                                                         Int64(batch), Int64(heads), Int64(length), Int64(headDimension), Int64(3 * d), Int64(m))
                        }
                    }
                }
            }
        }
        try checkKernel(status, "FAVOR+ attention backward")
        return dqkv
    }

    /// Positive orthogonal random features `[H, m, Dh]` from a seed (the same on every machine).
    static func favorFeatures(heads: Int, count m: Int, headDimension: Int, seed: UInt64) throws -> [Float] {
        var features = [Float](repeating: 0, count: heads * m * headDimension)
        let status = features.withUnsafeMutableBufferPointer { f in
            sf_favor_features_f32(f.baseAddress, Int64(heads), Int64(m), Int64(headDimension), seed)
        }
        try checkKernel(status, "FAVOR+ random features")
        return features
    }
}
