import SparseFactorCore
import SparseFactorNN
import SparseFactorIO
internal import CSparseFactorKernels

/// Chord factors applied in diagonal form, `W = Σ_k diag(w_k)·S^{s_k}`, to channel-major blocks
/// (`[B, C, N]`: each channel's N positions contiguous) with values stored link by link
/// (`[B, K, N]`). This is how PSF-Attn mixes a sequence: every product runs over contiguous
/// shifted rows (see `shift_kernels.c`), several times faster at C = 8 than the row-major chain
/// kernels, which must gather 8-float rows link by link.
///
/// Every row of N positions takes `stride` ≥ N floats: N = 1024, 2048, … are padded so that
/// the rows of a sequence do not all start at the same address modulo 4 KiB (which more than
/// halves the kernels' speed). Padding entries are kept at zero.
struct ShiftFactorKernels {
    /// s_k, the offset of link k (0 for the self link).
    let shifts: [Int64]
    let size: Int
    /// The row stride of every channel-major block and value array.
    let stride: Int

    /// N rounded up to whole 64-byte lines, plus one line when that is a multiple of 2 KiB.
    static func rowStride(for n: Int) -> Int {
        let rounded = (n + 15) / 16 * 16
        return rounded % 512 == 0 ? rounded + 16 : rounded
    }

    /// The shifts of an unpermuted Chord-style topology (row i links to (i + s_k) mod N).
    init(topology: ChordTopology) throws {
        guard topology.permutationSeed == nil else {
            throw SparseFactorError.invalidArgument("shift kernels need an unpermuted topology (row i linked to i + s mod N)")
        }
        shifts = topology.offsets.map { Int64($0) }
        size = topology.size
        stride = ShiftFactorKernels.rowStride(for: size)
    }

    var links: Int { shifts.count }

    /// y = W·x (+ residual) for every sequence: x and the residual `[B, C, stride]`, values `[B, K, stride]`.
    func forward(values w: AlignedFloats, input x: AlignedFloats, residual: AlignedFloats?, batch: Int,
                 channels: Int) throws -> AlignedFloats {
        try checkSizes(values: w, block: x, batch: batch, channels: channels)
        if let residual, residual.count != x.count {
            throw SparseFactorError.shapeMismatch(expected: "a residual of \(x.count) values", got: "\(residual.count)")
        }
        var status: Int32 = 0
        let y = AlignedFloats(count: x.count) { yp in          // the kernel writes every entry but the padding
            status = w.withUnsafeBufferPointer { wp in
                x.withUnsafeBufferPointer { xp in
                    withOptionalBuffer(residual) { rp in
                        shifts.withUnsafeBufferPointer { sp in
                            sf_shift_factor_forward_f32(yp.baseAddress, wp.baseAddress, xp.baseAddress, rp, sp.baseAddress,
                                                        Int64(batch), Int64(size), Int64(links), Int64(channels), Int64(stride))
                        }
                    }
                }
            }
        }
        try checkKernel(status, "shift factor forward")
        y.zeroPadding(n: size, stride: stride)
        return y
    }

    /// (dL/dx, dL/dvalues) for dL/dy of `forward(values: w, input: x, …)`; dL/dy is also added to
    /// `residualGradient` when given (the residual's share).
    func backward(outputGradient dy: AlignedFloats, values w: AlignedFloats, input x: AlignedFloats,
                  residualGradient: AlignedFloats?, batch: Int, channels: Int) throws -> (input: AlignedFloats, values: AlignedFloats) {
        try checkSizes(values: w, block: x, batch: batch, channels: channels)
        guard dy.count == x.count, residualGradient.map({ $0.count == x.count }) ?? true else {
            throw SparseFactorError.shapeMismatch(expected: "\(x.count) output- and residual-gradient values", got: "\(dy.count)")
        }
        // Both overwritten by the kernel (accumulate = 0): no zero-filling pass.
        var status: Int32 = 0
        var dw: AlignedFloats?
        let dx = AlignedFloats(count: x.count) { dxp in
            dw = AlignedFloats(count: w.count) { dwp in
                status = withOptionalMutableBuffer(residualGradient) { drp in
                    dy.withUnsafeBufferPointer { dyp in
                        w.withUnsafeBufferPointer { wp in
                            x.withUnsafeBufferPointer { xp in
                                shifts.withUnsafeBufferPointer { sp in
                                    sf_shift_factor_backward_f32(dxp.baseAddress, dwp.baseAddress, drp, dyp.baseAddress,
                                                                 wp.baseAddress, xp.baseAddress, sp.baseAddress, Int64(batch),
                                                                 Int64(size), Int64(links), Int64(channels), Int64(stride), 0)
                                }
                            }
                        }
                    }
                }
            }
        }
        try checkKernel(status, "shift factor backward")
        guard let dw else { throw SparseFactorError.invalidArgument("shift factor backward: no value gradient") }
        dx.zeroPadding(n: size, stride: stride)
        dw.zeroPadding(n: size, stride: stride)
        return (dx, dw)
    }

    private func checkSizes(values w: AlignedFloats, block x: AlignedFloats, batch: Int, channels: Int) throws {
        guard w.count == batch * links * stride, x.count == batch * channels * stride else {
            throw SparseFactorError.shapeMismatch(
                expected: "values [\(batch), \(links), \(stride)] and a block [\(batch), \(channels), \(stride)]",
                got: "\(w.count) values and \(x.count) block entries")
        }
    }
}
