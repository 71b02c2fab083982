import SparseFactorCore
internal import CSparseFactorKernels

/// The thin layer between the NN types and the C kernels in `nn_kernels.c`: every pointer
/// lives only inside its `withUnsafe…` closure and every status code becomes a thrown error.
/// Sizes are validated by the callers; the kernels check them again.
package enum NNKernels {
    /// c = alpha · op(a) · op(b) + beta · c through BLAS. op(a): m×k, op(b): k×n, c: m×n.
    package static func gemm(_ c: inout [Float], _ a: [Float], _ b: [Float], transposeA: Bool = false, transposeB: Bool = false,
                     m: Int, n: Int, k: Int, alpha: Float = 1, beta: Float = 0) throws {
        guard m > 0, n > 0, k > 0 else { return }
        let status = a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in
                    sf_gemm_f32(cp.baseAddress, ap.baseAddress, bp.baseAddress, transposeA ? 1 : 0, transposeB ? 1 : 0,
                                Int64(m), Int64(n), Int64(k), alpha, beta)
                }
            }
        }
        try checkKernel(status, "matrix product")
    }

    package static func geluForward(_ x: [Float]) throws -> [Float] {
        var y = [Float](repeating: 0, count: x.count)
        let status = x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in sf_gelu_forward_f32(yp.baseAddress, xp.baseAddress, Int64(x.count)) }
        }
        try checkKernel(status, "GELU forward")
        return y
    }

    package static func geluBackward(_ dx: inout [Float], outputGradient dy: [Float], input x: [Float]) throws {
        let status = dy.withUnsafeBufferPointer { dyp in
            x.withUnsafeBufferPointer { xp in
                dx.withUnsafeMutableBufferPointer { dxp in
                    sf_gelu_backward_f32(dxp.baseAddress, dyp.baseAddress, xp.baseAddress, Int64(x.count))
                }
            }
        }
        try checkKernel(status, "GELU backward")
    }

    /// Returns (output, mean, rstd).
    package static func layerNormForward(_ x: [Float], weight: [Float], bias: [Float], rows: Int, features: Int,
                                 epsilon: Float) throws -> (output: [Float], mean: [Float], rstd: [Float]) {
        var y = [Float](repeating: 0, count: x.count)
        var mean = [Float](repeating: 0, count: rows)
        var rstd = [Float](repeating: 0, count: rows)
        let status = x.withUnsafeBufferPointer { xp in
            weight.withUnsafeBufferPointer { wp in
                bias.withUnsafeBufferPointer { bp in
                    y.withUnsafeMutableBufferPointer { yp in
                        mean.withUnsafeMutableBufferPointer { mp in
                            rstd.withUnsafeMutableBufferPointer { rp in
                                sf_layernorm_forward_f32(yp.baseAddress, mp.baseAddress, rp.baseAddress, xp.baseAddress,
                                                         wp.baseAddress, bp.baseAddress, Int64(rows), Int64(features), epsilon)
                            }
                        }
                    }
                }
            }
        }
        try checkKernel(status, "LayerNorm forward")
        return (y, mean, rstd)
    }

    package static func layerNormBackward(_ dx: inout [Float], _ dweight: inout [Float], _ dbias: inout [Float],
                                  outputGradient dy: [Float], input x: [Float], weight: [Float],
                                  mean: [Float], rstd: [Float], rows: Int, features: Int) throws {
        let status = dy.withUnsafeBufferPointer { dyp in
            x.withUnsafeBufferPointer { xp in
                weight.withUnsafeBufferPointer { wp in
                    mean.withUnsafeBufferPointer { mp in
                        rstd.withUnsafeBufferPointer { rp in
                            dx.withUnsafeMutableBufferPointer { dxp in
                                dweight.withUnsafeMutableBufferPointer { dwp in
                                    dbias.withUnsafeMutableBufferPointer { dbp in
                                        sf_layernorm_backward_f32(dxp.baseAddress, dwp.baseAddress, dbp.baseAddress,
                                                                  dyp.baseAddress, xp.baseAddress, wp.baseAddress,
                                                                  mp.baseAddress, rp.baseAddress, Int64(rows), Int64(features))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        try checkKernel(status, "LayerNorm backward")
    }

    /// y[r, c] += bias[c] for the first `rows · features` entries of y, in place.
    package static func addBias(_ y: inout [Float], _ bias: [Float], rows: Int, features: Int) throws {
        guard rows > 0 else { return }
        let status = bias.withUnsafeBufferPointer { bp in
            y.withUnsafeMutableBufferPointer { yp in
                sf_bias_add_forward_f32(yp.baseAddress, yp.baseAddress, bp.baseAddress, Int64(rows), Int64(features))
            }
        }
        try checkKernel(status, "bias add")
    }

    /// dbias[c] += Σ_r dy[r, c] into the first `features` entries of dbias.
    package static func biasBackward(_ dbias: inout [Float], outputGradient dy: [Float], rows: Int, features: Int) throws {
        guard rows > 0 else { return }
        let status = dy.withUnsafeBufferPointer { dyp in
            dbias.withUnsafeMutableBufferPointer { dbp in
                sf_bias_backward_f32(dbp.baseAddress, dyp.baseAddress, Int64(rows), Int64(features))
            }
        }
        try checkKernel(status, "bias gradient")
    }

    package static func embeddingForward(weight: [Float], ids: [Int64], vocabulary: Int, dimension: Int) throws -> [Float] {
        var y = [Float](repeating: 0, count: ids.count * dimension)
        let status = weight.withUnsafeBufferPointer { wp in
            ids.withUnsafeBufferPointer { ip in
                y.withUnsafeMutableBufferPointer { yp in
                    sf_embedding_forward_f32(yp.baseAddress, wp.baseAddress, ip.baseAddress,
                                             Int64(ids.count), Int64(vocabulary), Int64(dimension))
                }
            }
        }
        try checkKernel(status, "embedding forward")
        return y
    }

    package static func embeddingBackward(_ dweight: inout [Float], outputGradient dy: [Float], ids: [Int64],
                                  vocabulary: Int, dimension: Int) throws {
        let status = dy.withUnsafeBufferPointer { dyp in
            ids.withUnsafeBufferPointer { ip in
                dweight.withUnsafeMutableBufferPointer { dwp in
                    sf_embedding_backward_f32(dwp.baseAddress, dyp.baseAddress, ip.baseAddress,
                                              Int64(ids.count), Int64(vocabulary), Int64(dimension))
                }
            }
        }
        try checkKernel(status, "embedding backward")
    }

    /// One Adam/AdamW step (t is 1-based) on `value`, `m` and `v` in place.
    package static func adamUpdate(_ value: inout [Float], _ m: inout [Float], _ v: inout [Float], gradient: [Float],
                           learningRate: Float, beta1: Float, beta2: Float, epsilon: Float,
                           weightDecay: Float, decoupled: Bool, step: Int) throws {
        let status = gradient.withUnsafeBufferPointer { gp in
            value.withUnsafeMutableBufferPointer { pp in
                m.withUnsafeMutableBufferPointer { mp in
                    v.withUnsafeMutableBufferPointer { vp in
                        sf_adam_update_f32(pp.baseAddress, mp.baseAddress, vp.baseAddress, gp.baseAddress, Int64(gradient.count),
                                           learningRate, beta1, beta2, epsilon, weightDecay, decoupled ? 1 : 0, Int64(step))
                    }
                }
            }
        }
        try checkKernel(status, "Adam update")
    }
}
