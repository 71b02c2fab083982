import CSparseFactorKernels
import CSparseFactorReference
import Testing

/// The PSF-Attn hot path against its naive references: the shift kernels (Chord factors in
/// diagonal form on channel-major blocks, shift_kernels.c) and the folded two-layer MLP
/// (folded_mlp_kernels.c), each at awkward sizes (N not a multiple of 16, one sequence, one
/// channel), bit-identical for 1, 2 and 3 threads, and refusing bad arguments.
/// Serialized because the thread count is process-wide.
@Suite(.serialized) struct PSFKernelTests {
    func withThreads<R>(_ threads: Int32, _ body: () -> R) -> R {
        sf_set_num_threads(threads)
        defer { sf_set_num_threads(0) }
        return body()
    }

    /// Chord shifts 0, 1, 2, 4, … below n.
    func chordShifts(_ n: Int) -> [Int64] {
        var shifts: [Int64] = [0]
        var p = 1
        while p < n { shifts.append(Int64(p)); p *= 2 }
        return shifts
    }

    struct ShiftOutputs { var y, dx, dw, dr: [Float] }

    /// Rows of n entries `ld` apart, the padding set to `pad`: NaN in inputs proves it is never
    /// read, a sentinel in outputs that it is never written.
    func padded(_ values: [Float], n: Int, ld: Int, pad: Float) -> [Float] {
        stride(from: 0, to: values.count, by: n).flatMap { Array(values[$0..<($0 + n)]) + [Float](repeating: pad, count: ld - n) }
    }

    func runShift(fast: Bool, shifts: [Int64], b: Int, n: Int, c: Int, ld: Int? = nil, residual: Bool = true,
                  accumulate: Bool = true, seed: UInt64) -> ShiftOutputs {
        let k = shifts.count, ld = ld ?? n
        var rng = TestRNG(seed: seed)
        let w = padded(randomFactorValues(b * k * n, k: k, rng: &rng), n: n, ld: ld, pad: .nan)
        let x = padded(randomArray(b * c * n, rng: &rng), n: n, ld: ld, pad: .nan)
        let dy = padded(randomArray(b * c * n, rng: &rng), n: n, ld: ld, pad: .nan)
        // Backward accumulates: start from non-zero gradients.
        var dx = padded(randomArray(b * c * n, rng: &rng), n: n, ld: ld, pad: 7)
        var dw = padded(randomArray(b * k * n, rng: &rng), n: n, ld: ld, pad: 7)
        let r = padded(randomArray(b * c * n, rng: &rng), n: n, ld: ld, pad: .nan)
        var dr = padded(randomArray(b * c * n, rng: &rng), n: n, ld: ld, pad: 7)
        if !accumulate {       // overwritten: garbage in, so a missed entry shows
            dx = dx.map { $0 == 7 ? 7 : .nan }
            dw = dw.map { $0 == 7 ? 7 : .nan }
        }
        var y = padded([Float](repeating: .nan, count: b * c * n), n: n, ld: ld, pad: 7)
        let (bb, nn, kk, cc, ll, acc) = (Int64(b), Int64(n), Int64(k), Int64(c), Int64(ld), Int32(accumulate ? 1 : 0))
        let status = dr.withUnsafeMutableBufferPointer { drp in
            r.withUnsafeBufferPointer { rp in
                let rr = residual ? rp.baseAddress : nil, d = residual ? drp.baseAddress : nil
                if fast {
                    return (sf_shift_factor_forward_f32(&y, w, x, rr, shifts, bb, nn, kk, cc, ll),
                            sf_shift_factor_backward_f32(&dx, &dw, d, dy, w, x, shifts, bb, nn, kk, cc, ll, acc))
                }
                return (sf_ref_shift_factor_forward_f32(&y, w, x, rr, shifts, bb, nn, kk, cc, ll),
                        sf_ref_shift_factor_backward_f32(&dx, &dw, d, dy, w, x, shifts, bb, nn, kk, cc, ll, acc))
            }
        }
        #expect(status.0 == kernelOK && status.1 == kernelOK)
        return ShiftOutputs(y: y, dx: dx, dw: dw, dr: dr)
    }

    @Test(arguments: [(1, 2, 1, 2), (2, 3, 8, 5), (3, 17, 3, 17), (2, 100, 8, 112), (1, 1024, 11, 1040), (2, 257, 16, 257)])
    func shiftKernelsMatchReference(b: Int, n: Int, c: Int, ld: Int) {
        let shifts = chordShifts(n)
        for (residual, accumulate) in [(true, true), (false, false)] {
            let fast = runShift(fast: true, shifts: shifts, b: b, n: n, c: c, ld: ld, residual: residual, accumulate: accumulate,
                                seed: UInt64(n * 31 + c))
            let ref = runShift(fast: false, shifts: shifts, b: b, n: n, c: c, ld: ld, residual: residual, accumulate: accumulate,
                               seed: UInt64(n * 31 + c))
            let label = "b=\(b) n=\(n) c=\(c) residual \(residual) accumulate \(accumulate)"
            expectClose(fast.y, ref.y, chunks: b, rtol: 1e-5, "shift forward \(label)")
            expectClose(fast.dx, ref.dx, chunks: b, rtol: 1e-5, "shift input gradient \(label)")
            expectClose(fast.dw, ref.dw, chunks: b, rtol: 1e-5, "shift value gradient \(label)")
            expectClose(fast.dr, ref.dr, chunks: b, rtol: 1e-6, "residual gradient \(label)")
        }
    }

    /// Shifts in any order, repeated, and not Chord's: the kernels only assume 0 ≤ s < N.
    @Test func shiftKernelsTakeArbitraryShifts() {
        let shifts: [Int64] = [5, 0, 12, 5, 1]
        let fast = runShift(fast: true, shifts: shifts, b: 2, n: 13, c: 8, seed: 9)
        let ref = runShift(fast: false, shifts: shifts, b: 2, n: 13, c: 8, seed: 9)
        expectClose(fast.y, ref.y, rtol: 1e-5, "forward")
        expectClose(fast.dx, ref.dx, rtol: 1e-5, "input gradient")
        expectClose(fast.dw, ref.dw, rtol: 1e-5, "value gradient")
        expectClose(fast.dr, ref.dr, rtol: 1e-6, "residual gradient")
    }

    /// A one-hot W (value 1 on link k only) is the shift S^{s_k}: y[i] = x[(i + s_k) mod N].
    @Test func shiftForwardIsAShift() {
        let n = 10, shifts: [Int64] = [0, 1, 2, 4, 8]
        let x: [Float] = (0..<n).map { Float($0) }
        for (k, s) in shifts.enumerated() {
            var w = [Float](repeating: 0, count: shifts.count * n)
            for i in 0..<n { w[k * n + i] = 1 }
            var y = [Float](repeating: .nan, count: n)
            #expect(sf_shift_factor_forward_f32(&y, w, x, nil, shifts, 1, Int64(n), Int64(shifts.count), 1, Int64(n)) == kernelOK)
            #expect(y == (0..<n).map { Float((($0 + Int(s)) % n)) }, "link \(k)")
        }
    }

    struct FoldedOutputs { var out, dz, da, dct, dw2, db2: [Float] }

    func runFolded(fast: Bool, b: Int, n: Int, p: Int, f: Int, h: Int, o: Int, ld: Int? = nil, withInputGradient: Bool,
                   seed: UInt64) -> FoldedOutputs {
        let ld = ld ?? n, cn = p == 1 ? 1 : n, cld = p == 1 ? 1 : ld
        var rng = TestRNG(seed: seed)
        let z = padded(randomArray(b * f * n, rng: &rng), n: n, ld: ld, pad: .nan)
        let a: [Float] = randomArray(h * f, scale: 1.5, rng: &rng)
        let ct = padded(randomArray(h * cn, rng: &rng), n: cn, ld: cld, pad: .nan)
        let w2: [Float] = randomArray(o * h, scale: 0.5, rng: &rng), b2: [Float] = randomArray(o, rng: &rng)
        let dout = padded(randomArray(b * o * n, rng: &rng), n: n, ld: ld, pad: .nan)
        var da: [Float] = randomArray(h * f, rng: &rng)
        var dct = padded(randomArray(h * cn, rng: &rng), n: cn, ld: cld, pad: 7)
        var dw2: [Float] = randomArray(o * h, rng: &rng), db2: [Float] = randomArray(o, rng: &rng)
        var dz = withInputGradient ? padded(randomArray(b * f * n, rng: &rng), n: n, ld: ld, pad: 7) : []
        var out = padded([Float](repeating: .nan, count: b * o * n), n: n, ld: ld, pad: 7)
        let sizes = (Int64(b), Int64(n), Int64(p), Int64(f), Int64(h), Int64(o), Int64(ld))
        let forward = fast ? sf_folded_mlp_forward_f32 : sf_ref_folded_mlp_forward_f32
        let backward = fast ? sf_folded_mlp_backward_f32 : sf_ref_folded_mlp_backward_f32
        #expect(forward(&out, z, a, ct, w2, b2, sizes.0, sizes.1, sizes.2, sizes.3, sizes.4, sizes.5, sizes.6) == kernelOK)
        let status = dz.withUnsafeMutableBufferPointer { dzp in
            backward(withInputGradient ? dzp.baseAddress : nil, &da, &dct, &dw2, &db2, dout, z, a, ct, w2,
                     sizes.0, sizes.1, sizes.2, sizes.3, sizes.4, sizes.5, sizes.6)
        }
        #expect(status == kernelOK)
        return FoldedOutputs(out: out, dz: dz, da: da, dct: dct, dw2: dw2, db2: db2)
    }

    @Test(arguments: [(1, 2, false, 2, 3, 1, 2), (5, 17, true, 2, 32, 11, 21), (3, 40, false, 6, 32, 8, 48),
                      (4, 33, true, 6, 5, 4, 33), (2, 1, true, 1, 7, 3, 1)])
    func foldedMLPMatchesReference(b: Int, n: Int, positional: Bool, f: Int, h: Int, o: Int, ld: Int) {
        let p = positional ? n : 1
        for inputGradient in [false, true] {
            let seed = UInt64(b * 1000 + n * 10 + f)
            let fast = runFolded(fast: true, b: b, n: n, p: p, f: f, h: h, o: o, ld: ld, withInputGradient: inputGradient, seed: seed)
            let ref = runFolded(fast: false, b: b, n: n, p: p, f: f, h: h, o: o, ld: ld, withInputGradient: inputGradient, seed: seed)
            let label = "b=\(b) n=\(n) p=\(p) f=\(f) h=\(h) o=\(o) ld=\(ld)"
            expectClose(fast.out, ref.out, rtol: 1e-5, "folded forward \(label)")
            expectClose(fast.da, ref.da, rtol: 1e-5, "dA \(label)")
            expectClose(fast.dct, ref.dct, rtol: 1e-5, "dc \(label)")
            expectClose(fast.dw2, ref.dw2, rtol: 1e-5, "dW2 \(label)")
            expectClose(fast.db2, ref.db2, rtol: 1e-5, "db2 \(label)")
            if inputGradient { expectClose(fast.dz, ref.dz, rtol: 1e-5, "dz \(label)") }
        }
    }

    /// With one hidden unit, A = 1, c = 0, W2 = 1 and b2 = 0 the folded MLP is GELU itself, and
    /// with P = N and one sequence dc[0, i] is GELU'(z_i): both against libm in double
    /// (the AVX-512 path uses piecewise polynomials, the others the rational erf).
    @Test func foldedGELUIsAccurate() {
        var rng = TestRNG(seed: 77)
        var z: [Float] = randomArray(4000, scale: 10, rng: &rng)
        z += [0, -0, 1e-30, -1e-30, 1e-4, -1e-4, 0.375, -0.375, 3.8, -3.8, 5.9999, -5.9999, 6, -6, 30, -30, 1e30, -1e30]
        let n = z.count
        var out = [Float](repeating: .nan, count: n), want = out
        #expect(sf_folded_mlp_forward_f32(&out, z, [1], [Float](repeating: 0, count: n), [1], [0], 1, Int64(n), Int64(n), 1, 1, 1, Int64(n)) == kernelOK)
        #expect(sf_ref_gelu_forward_f32(&want, z, Int64(n)) == kernelOK)
        var worst = 0.0
        for i in 0..<n { worst = max(worst, abs(Double(out[i]) - Double(want[i])) / (1 + abs(Double(z[i])))) }
        #expect(worst < 3e-7, "worst GELU error \(worst)")

        var da: [Float] = [0], dct = [Float](repeating: 0, count: n), dw2: [Float] = [0], db2: [Float] = [0]
        #expect(sf_folded_mlp_backward_f32(nil, &da, &dct, &dw2, &db2, [Float](repeating: 1, count: n), z, [1],
                                           [Float](repeating: 0, count: n), [1], 1, Int64(n), Int64(n), 1, 1, 1, Int64(n)) == kernelOK)
        var slope = [Float](repeating: 0, count: n)
        #expect(sf_ref_gelu_backward_f32(&slope, [Float](repeating: 1, count: n), z, Int64(n)) == kernelOK)
        worst = 0
        for i in 0..<n { worst = max(worst, abs(Double(dct[i]) - Double(slope[i])) / (1 + abs(Double(slope[i])))) }
        #expect(worst < 5e-7, "worst GELU' error \(worst)")
    }

    /// The fast kernels take subnormal numbers as zero (flush-to-zero and denormals-are-zero, set by
    /// the parallel driver, parallel.c), on every thread, and give the caller back its floating-point
    /// mode. The case: the folded MLP reduced to GELU (as above) with an output gradient of subnormal values
    /// only. Read as they are, db2 = Σ dout would be a subnormal sum (the reference's, which keeps
    /// IEEE subnormals); read as zero, every gradient stays exactly 0.
    @Test(arguments: [Int32(1), 2])
    func subnormalGradientsCountAsZeroAndTheModeIsRestored(threads: Int32) {
        let n = 4096
        let z = (0..<n).map { Float($0 % 7) - 3 }
        let dout = (0..<n).map { Float.leastNonzeroMagnitude * Float($0 % 97 + 1) }
        #expect(dout.allSatisfy { $0.isSubnormal })
        let zeros = [Float](repeating: 0, count: n)
        func backward(fast: Bool) -> (da: [Float], dct: [Float], dw2: [Float], db2: [Float]) {
            var da: [Float] = [0], dct = zeros, dw2: [Float] = [0], db2: [Float] = [0]
            let kernel = fast ? sf_folded_mlp_backward_f32 : sf_ref_folded_mlp_backward_f32
            #expect(kernel(nil, &da, &dct, &dw2, &db2, dout, z, [1], zeros, [1], 1, Int64(n), Int64(n), 1, 1, 1, Int64(n)) == kernelOK)
            return (da, dct, dw2, db2)
        }
        let fast = withThreads(threads) { backward(fast: true) }
        #expect(fast.da == [0] && fast.dw2 == [0] && fast.db2 == [0], "dA \(fast.da), dW2 \(fast.dw2), db2 \(fast.db2)")
        #expect(fast.dct.allSatisfy { $0 == 0 })
        #expect(backward(fast: false).db2[0] != 0, "the reference sums the subnormal gradients")
        let divisor = Float(n) + z[1]   // not a constant the compiler could fold into the division below
        #expect((Float.leastNormalMagnitude / divisor).isSubnormal, "the caller's mode keeps subnormals after the kernel")
    }

    @Test func resultsDoNotDependOnThreadCount() {
        func everything() -> [[Float]] {
            let s = runShift(fast: true, shifts: chordShifts(1000), b: 6, n: 1000, c: 8, ld: 1008, seed: 3)
            let f = runFolded(fast: true, b: 12, n: 1000, p: 1000, f: 2, h: 32, o: 11, ld: 1008, withInputGradient: true, seed: 4)
            let g = runFolded(fast: true, b: 9, n: 700, p: 1, f: 6, h: 32, o: 8, withInputGradient: false, seed: 5)
            return [s.y, s.dx, s.dw, s.dr, f.out, f.dz, f.da, f.dct, f.dw2, f.db2, g.out, g.da, g.dct, g.dw2, g.db2]
        }
        let one = withThreads(1) { everything() }
        for threads: Int32 in [2, 3] {
            let other = withThreads(threads) { everything() }
            for (i, (a, b)) in zip(one, other).enumerated() { expectIdentical(b, a, "output \(i) with \(threads) threads") }
        }
    }

    @Test func badArgumentsAreRefused() {
        let sentinel: Float = 42
        var y = [Float](repeating: sentinel, count: 8)
        let w = [Float](repeating: 1, count: 8), x = w
        // A shift outside [0, N), a missing shift table, a zero size.
        #expect(sf_shift_factor_forward_f32(&y, w, x, nil, [0, 4], 1, 4, 2, 1, 4) == kernelArgumentError)
        #expect(sf_shift_factor_forward_f32(&y, w, x, nil, [-1, 0], 1, 4, 2, 1, 4) == kernelArgumentError)
        #expect(sf_shift_factor_forward_f32(&y, w, x, nil, nil, 1, 4, 2, 1, 4) == kernelArgumentError)
        #expect(sf_shift_factor_forward_f32(&y, w, x, nil, [0, 1], 1, 4, 2, 1, 3) == kernelArgumentError)   // ld < N
        #expect(sf_shift_factor_backward_f32(&y, nil, nil, w, w, x, [0, 1], 1, 4, 2, 0, 4, 1) == kernelArgumentError)
        // P must be 1 or N; ld at least N.
        #expect(sf_folded_mlp_forward_f32(&y, x, w, w, w, w, 1, 4, 2, 1, 1, 1, 4) == kernelArgumentError)
        #expect(sf_folded_mlp_forward_f32(&y, x, w, w, w, w, 1, 4, 1, 1, 0, 1, 4) == kernelArgumentError)
        #expect(sf_folded_mlp_forward_f32(&y, x, w, w, w, w, 1, 4, 1, 1, 1, 1, 2) == kernelArgumentError)
        var da = y, dct = y, dw2 = y
        #expect(sf_folded_mlp_backward_f32(nil, &da, &dct, &dw2, nil, w, x, w, w, w, 1, 4, 1, 1, 1, 1, 4) == kernelArgumentError)
        #expect(y.allSatisfy { $0 == sentinel } && da.allSatisfy { $0 == sentinel })
    }
}
