import CSparseFactorKernels
import CSparseFactorReference
import Foundation
import Testing

typealias FavorForward = (MutPtr<Float>, ConstPtr<Float>, ConstPtr<Float>, ConstPtr<Float>, ConstPtr<Float>,
                          Int64, Int64, Int64, Int64, Int64, Int64) -> Int32
typealias FavorBackward = (MutPtr<Float>, MutPtr<Float>, MutPtr<Float>, ConstPtr<Float>, ConstPtr<Float>,
                           ConstPtr<Float>, ConstPtr<Float>, ConstPtr<Float>, ConstPtr<Float>,
                           Int64, Int64, Int64, Int64, Int64, Int64) -> Int32

/// One FAVOR+ problem: the layout of `AttentionShape` (q, k, v packed in one [B, N, 3D] buffer, or three
/// [B, N, ld] blocks with `padding` unused columns) plus m random features per head.
struct FavorShape: Sendable, CustomTestStringConvertible {
    let batch: Int, heads: Int, n: Int, headDim: Int, m: Int
    var packed = false
    var padding = 0
    /// q and k are uniform in [-inputScale, inputScale]: larger projections, more spread-out features.
    var inputScale = 1.0

    var d: Int { heads * headDim }
    var ld: Int { packed ? 3 * d : d + padding }
    var rows: Int { batch * n }
    var storage: Int { packed ? rows * ld : 3 * rows * ld }
    var offsets: (Int, Int, Int) { packed ? (0, d, 2 * d) : (0, rows * ld, 2 * rows * ld) }
    var sizes: (Int64, Int64, Int64, Int64, Int64, Int64) {
        (Int64(batch), Int64(heads), Int64(n), Int64(headDim), Int64(ld), Int64(m))
    }
    var testDescription: String {
        "B\(batch) H\(heads) N\(n) Dh\(headDim) m\(m) ld\(ld)\(packed ? " packed" : "") x\(inputScale)"
    }

    /// q, k, v in the buffer layout: q and k scaled by inputScale, v uniform in [-1, 1].
    func inputs(rng: inout TestRNG) -> [Float] {
        var x: [Float] = randomArray(storage, rng: &rng)
        for e in 0..<storage where !isValue(e) { x[e] *= Float(inputScale) }
        return x
    }

    /// Whether buffer entry e belongs to v.
    func isValue(_ e: Int) -> Bool { packed ? e % ld >= 2 * d : e >= 2 * rows * ld }
}

func favorKernels(reference: Bool) -> (forward: FavorForward, backward: FavorBackward) {
    if reference { return (sf_ref_favor_forward_f32, sf_ref_favor_backward_f32) }
    return (sf_favor_forward_f32, sf_favor_backward_f32)
}

func favorFeatures(heads: Int, m: Int, headDim: Int, seed: UInt64) -> [Float] {
    var f = [Float](repeating: .nan, count: heads * m * headDim)
    #expect(sf_favor_features_f32(&f, Int64(heads), Int64(m), Int64(headDim), seed) == kernelOK)
    return f
}

/// Forward, then backward of L = sum(dout ∘ out) accumulated onto `grads` (same layout as `inputs`).
func runFavor(_ s: FavorShape, inputs: [Float], features: [Float], dout: [Float], grads: [Float],
              reference: Bool) -> (out: [Float], grads: [Float]) {
    let (forward, backward) = favorKernels(reference: reference)
    var out = [Float](repeating: .nan, count: s.rows * s.d), g = grads
    let (b, h, n, dh, ld, m) = s.sizes
    let (oq, ok, ov) = s.offsets
    inputs.withUnsafeBufferPointer { x in
        let x = x.baseAddress!
        #expect(forward(&out, x + oq, x + ok, x + ov, features, b, h, n, dh, ld, m) == kernelOK)
        g.withUnsafeMutableBufferPointer { gp in
            let gp = gp.baseAddress!
            #expect(backward(gp + oq, gp + ok, gp + ov, dout, out, x + oq, x + ok, x + ov, features, b, h, n, dh, ld, m) == kernelOK)
        }
    }
    return (out, g)
}

/// The FAVOR+ kernels (favor_kernels.c) against the naive oracle (favor_reference_kernels.c: double precision,
/// materialized feature matrices), the oracle against finite differences, FAVOR+ against exact softmax attention,
/// the random features, bit-identical results for 1, 2 and 3 threads, and refusal of bad arguments.
/// Serialized: the thread count is process-wide.
@Suite(.serialized) struct FavorKernelTests {
    static let shapes: [FavorShape] = [
        FavorShape(batch: 1, heads: 1, n: 1, headDim: 8, m: 16),                          // one position
        FavorShape(batch: 3, heads: 4, n: 37, headDim: 8, m: 256, packed: true),          // the layer's shape, n not a multiple of the chunk
        FavorShape(batch: 1, heads: 4, n: 130, headDim: 16, m: 16, padding: 5),           // several chunks
        FavorShape(batch: 3, heads: 1, n: 200, headDim: 1, m: 1, padding: 2),             // head_dim 1, one feature
        FavorShape(batch: 3, heads: 1, n: 70, headDim: 1, m: 16, padding: 2),
        FavorShape(batch: 2, heads: 2, n: 77, headDim: 5, m: 20, padding: 3),             // run-time head_dim, m not a multiple of 16
        FavorShape(batch: 1, heads: 1, n: 129, headDim: 32, m: 256),
        FavorShape(batch: 1, heads: 2, n: 65, headDim: 4, m: 7, padding: 1),
        // Projections spread over tens: the keys' running max moves between chunks (S and z rescaled) and many
        // features are tiny.
        FavorShape(batch: 2, heads: 4, n: 100, headDim: 8, m: 256, packed: true, inputScale: 3),
        // 126 chunks: the two-level sums over positions, and the running max moving late.
        FavorShape(batch: 1, heads: 1, n: 4001, headDim: 8, m: 32, inputScale: 2),
    ]

    @Test(arguments: shapes)
    func matchesReference(shape s: FavorShape) {
        var rng = TestRNG(seed: UInt64(s.batch * 1000 + s.n * 10 + s.headDim + s.m))
        let inputs = s.inputs(rng: &rng)
        let features = favorFeatures(heads: s.heads, m: s.m, headDim: s.headDim, seed: UInt64(s.m))
        let dout: [Float] = randomArray(s.rows * s.d, rng: &rng)
        let start: [Float] = randomArray(s.storage, rng: &rng)   // the backward accumulates onto it
        let fast = runFavor(s, inputs: inputs, features: features, dout: dout, grads: start, reference: false)
        let ref = runFavor(s, inputs: inputs, features: features, dout: dout, grads: start, reference: true)
        expectClose(fast.out, ref.out, rtol: 1e-5, "out, \(s.testDescription)")
        // Compared as increments, so the check is not diluted by the initial values.
        let delta = { (g: [Float]) in zip(g, start).map { $0 - $1 } }
        expectClose(delta(fast.grads), delta(ref.grads), rtol: 1e-4, "dq, dk, dv, \(s.testDescription)")
        if !s.packed && s.n > 1 && s.m > 1 {   // with n = 1 (out = v) or m = 1 (phi(q) = 1) dq and dk are 0
            let (oq, ok, ov) = s.offsets
            for (name, lo) in [("dq", oq), ("dk", ok), ("dv", ov)] {
                expectClose(Array(delta(fast.grads)[lo..<(lo + s.rows * s.ld)]), Array(delta(ref.grads)[lo..<(lo + s.rows * s.ld)]),
                            rtol: 1e-4, "\(name) alone, \(s.testDescription)")
            }
        }
        // The unused columns (ld > heads·head_dim) are neither read into nor written.
        if s.padding > 0 {
            let untouched = (0..<s.storage).filter { $0 % s.ld >= s.d }
            #expect(untouched.allSatisfy { fast.grads[$0] == start[$0] })
        }
    }

    /// The oracle itself: its forward against FAVOR+ written here in double without any stabilizer (so the
    /// stabilizers are shown to cancel), and its backward against central finite differences of that forward.
    @Test func oracleMatchesFiniteDifferences() {
        let s = FavorShape(batch: 2, heads: 2, n: 5, headDim: 3, m: 4, padding: 1)
        var rng = TestRNG(seed: 98)
        let inputs = s.inputs(rng: &rng)
        let features = favorFeatures(heads: s.heads, m: s.m, headDim: s.headDim, seed: 3)
        let w: [Float] = randomArray(s.rows * s.d, rng: &rng)
        let (oq, ok, ov) = s.offsets
        let c = pow(Double(s.headDim), -0.25)

        /// phi(x~) of the head_dim values at x[at...], head h, no stabilizer.
        func phi(_ x: [Double], _ at: Int, _ h: Int) -> [Double] {
            let xt = (0..<s.headDim).map { c * x[at + $0] }
            let sq = xt.reduce(0) { $0 + $1 * $1 }
            return (0..<s.m).map { r in
                let dot = (0..<s.headDim).reduce(0.0) { $0 + Double(features[(h * s.m + r) * s.headDim + $1]) * xt[$1] }
                return exp(dot - sq / 2) / Double(s.m).squareRoot()
            }
        }
        func forward(_ x: [Double]) -> [Double] {
            var out = [Double](repeating: 0, count: s.rows * s.d)
            for b in 0..<s.batch {
                for h in 0..<s.heads {
                    let col = h * s.headDim
                    var sMat = [Double](repeating: 0, count: s.m * s.headDim), z = [Double](repeating: 0, count: s.m)
                    for j in 0..<s.n {
                        let pk = phi(x, ok + (b * s.n + j) * s.ld + col, h)
                        for r in 0..<s.m {
                            z[r] += pk[r]
                            for d in 0..<s.headDim { sMat[r * s.headDim + d] += pk[r] * x[ov + (b * s.n + j) * s.ld + col + d] }
                        }
                    }
                    for i in 0..<s.n {
                        let pq = phi(x, oq + (b * s.n + i) * s.ld + col, h)
                        let den = (0..<s.m).reduce(0.0) { $0 + pq[$1] * z[$1] }
                        for d in 0..<s.headDim {
                            let num = (0..<s.m).reduce(0.0) { $0 + pq[$1] * sMat[$1 * s.headDim + d] }
                            out[(b * s.n + i) * s.d + col + d] = num / den
                        }
                    }
                }
            }
            return out
        }
        func loss(_ x: [Double]) -> Double { zip(forward(x), w).reduce(0) { $0 + $1.0 * Double($1.1) } }

        let x = inputs.map(Double.init)
        let zero = [Float](repeating: 0, count: s.storage)
        let ref = runFavor(s, inputs: inputs, features: features, dout: w, grads: zero, reference: true)
        expectClose(ref.out, forward(x).map(Float.init), rtol: 1e-6, "oracle forward")
        let step = 1e-5
        var fd = [Float](repeating: 0, count: s.storage)
        for e in 0..<s.storage {
            var plus = x, minus = x
            plus[e] += step
            minus[e] -= step
            fd[e] = Float((loss(plus) - loss(minus)) / (2 * step))
        }
        expectClose(ref.grads, fd, rtol: 1e-5, "oracle backward against finite differences")
    }

    /// FAVOR+ estimates exp(q·k / √Dh), so with many features it approaches softmax attention with scale 1/√Dh
    /// (here the exact oracle sf_ref_attention_forward_f32). Small q, k keep the estimator's variance low.
    @Test func approximatesSoftmaxAttention() {
        let s = FavorShape(batch: 2, heads: 2, n: 8, headDim: 8, m: 4096, inputScale: 0.6)
        var rng = TestRNG(seed: 17)
        let inputs = s.inputs(rng: &rng)
        let features = favorFeatures(heads: s.heads, m: s.m, headDim: s.headDim, seed: 2026)
        let (b, h, n, dh, ld, m) = s.sizes
        let (oq, ok, ov) = s.offsets
        var favor = [Float](repeating: .nan, count: s.rows * s.d), exact = favor
        var lse = [Float](repeating: 0, count: s.batch * s.heads * s.n)
        inputs.withUnsafeBufferPointer { x in
            let x = x.baseAddress!
            #expect(sf_favor_forward_f32(&favor, x + oq, x + ok, x + ov, features, b, h, n, dh, ld, m) == kernelOK)
            #expect(sf_ref_attention_forward_f32(&exact, &lse, x + oq, x + ok, x + ov, b, h, n, dh, ld,
                                                 1 / Float(s.headDim).squareRoot()) == kernelOK)
        }
        func rms(_ a: [Double]) -> Double { (a.reduce(0) { $0 + $1 * $1 } / Double(a.count)).squareRoot() }
        let err = zip(favor, exact).map { Double($0) - Double($1) }
        let vRMS = rms((0..<s.storage).filter(s.isValue).map { Double(inputs[$0]) })
        // The part of the exact output that is attention (not the plain average of v over the keys).
        var structure: [Double] = []
        for bi in 0..<s.batch {
            for c in 0..<s.d {
                let mean = (0..<s.n).reduce(0.0) { $0 + Double(inputs[ov + (bi * s.n + $1) * s.ld + c]) } / Double(s.n)
                for i in 0..<s.n { structure.append(Double(exact[(bi * s.n + i) * s.d + c]) - mean) }
            }
        }
        let worst = err.map(abs).max()!
        #expect(worst < 0.03 * vRMS, "largest error \(worst) against values of RMS \(vRMS)")
        #expect(rms(err) < 0.25 * rms(structure), "RMS error \(rms(err)), attention's departure from the mean \(rms(structure))")
    }

    /// Orthogonal within each block of head_dim rows, Gaussian-sized norms, and the same bits from the same seed
    /// (pinned: no libm in the generator, so every machine gives these).
    @Test func featuresAreOrthogonalAndSeeded() {
        for (heads, m, dh) in [(3, 40, 16), (2, 256, 8), (1, 5, 1), (2, 7, 3)] {
            let f = favorFeatures(heads: heads, m: m, headDim: dh, seed: 12345)
            #expect(f.elementsEqual(favorFeatures(heads: heads, m: m, headDim: dh, seed: 12345)) { $0.bitPattern == $1.bitPattern })
            #expect(!f.elementsEqual(favorFeatures(heads: heads, m: m, headDim: dh, seed: 12346)))
            func row(_ h: Int, _ r: Int) -> [Double] { (0..<dh).map { Double(f[(h * m + r) * dh + $0]) } }
            var worst = 0.0, squares = 0.0
            for h in 0..<heads {
                for a in 0..<m {
                    let ra = row(h, a), na = ra.reduce(0) { $0 + $1 * $1 }.squareRoot()
                    squares += na * na
                    for b in (a / dh * dh)..<min(m, a / dh * dh + dh) {
                        let rb = row(h, b), nb = rb.reduce(0) { $0 + $1 * $1 }.squareRoot()
                        let cosine = zip(ra, rb).reduce(0) { $0 + $1.0 * $1.1 } / (na * nb)
                        worst = max(worst, abs(cosine - (a == b ? 1 : 0)))
                    }
                }
            }
            #expect(worst < 1e-6, "Gram matrix off by \(worst), heads \(heads) m \(m) Dh \(dh)")
            // |w|^2 is chi-squared with dh degrees of freedom: mean dh.
            let meanSquare = squares / Double(heads * m)
            if heads * m >= 100 { #expect(abs(meanSquare / Double(dh) - 1) < 0.15, "mean |w|^2 \(meanSquare) for Dh \(dh)") }
        }
        let pinned: [UInt32] = [0x3F8E_E54A, 0xBFC9_2D59, 0xC039_ADA0, 0xBF80_DF22, 0xBF97_69FC, 0x3E81_BFE8,
                                0xBEEC_4D58, 0x3EA2_C0F2, 0xBEB3_18DE, 0x3EB9_4F18, 0x3EDE_71AB, 0xBDBE_0258,
                                0xBEFB_370B, 0x3F29_149F, 0x3F96_E28D, 0x3FB7_B624, 0xBFA0_43F7, 0xBE1F_ED01,
                                0x3DA4_E8B6, 0x3E34_71E9, 0xBF2C_3878, 0xBF7D_AFF0, 0xBF8A_F74C, 0xBECE_54E2,
                                0x3F49_9183, 0x3E75_9CD9, 0x3D4F_06DE, 0x3E18_3813, 0xBF19_7C0A, 0x3F07_8AB3]
        #expect(favorFeatures(heads: 2, m: 5, headDim: 3, seed: 42).map(\.bitPattern) == pinned)
    }

    /// Same bits for 1, 2 and 3 threads, well above the parallel threshold, for a specialized head_dim (packed)
    /// and for the run-time one (per-thread scratch).
    @Test(arguments: [FavorShape(batch: 2, heads: 4, n: 333, headDim: 8, m: 256, packed: true),
                      FavorShape(batch: 3, heads: 2, n: 201, headDim: 6, m: 20, padding: 4, inputScale: 2)])
    func resultsDoNotDependOnThreadCount(shape s: FavorShape) {
        var rng = TestRNG(seed: 5)
        let inputs = s.inputs(rng: &rng)
        let features = favorFeatures(heads: s.heads, m: s.m, headDim: s.headDim, seed: 9)
        let dout: [Float] = randomArray(s.rows * s.d, rng: &rng)
        let start: [Float] = randomArray(s.storage, rng: &rng)
        func run(_ threads: Int32) -> (out: [Float], grads: [Float]) {
            sf_set_num_threads(threads)
            defer { sf_set_num_threads(0) }
            return runFavor(s, inputs: inputs, features: features, dout: dout, grads: start, reference: false)
        }
        let one = run(1)
        for threads: Int32 in [2, 3] {
            let other = run(threads)
            expectIdentical(other.out, one.out, "out with \(threads) threads")
            expectIdentical(other.grads, one.grads, "dq, dk, dv with \(threads) threads")
        }
    }

    @Test func badArgumentsAreRefused() {
        let sentinel: Float = 42
        let x = [Float](repeating: 1, count: 64)
        var out = [Float](repeating: sentinel, count: 64), dq = out, dk = out, dv = out, f = out
        for reference in [false, true] {
            let (forward, backward) = favorKernels(reference: reference)
            // (batch, heads, n, head_dim, ld, m): zero sizes, ld < heads·head_dim, and products past Int64.
            let bad: [(Int64, Int64, Int64, Int64, Int64, Int64)] = [
                (0, 1, 4, 2, 2, 4), (1, 0, 4, 2, 2, 4), (1, 1, 0, 2, 2, 4), (1, 1, 4, 0, 2, 4), (1, 1, 4, 2, 2, 0),
                (1, 2, 4, 2, 3, 4), (1, 1, 4, 2, -1, 4), (1, 1, 4, 2, 2, -3),
                (1 << 40, 1, 1 << 40, 1, 1, 4), (1, 1 << 32, 2, 1 << 32, 1 << 62, 4), (4, 1, Int64.max / 2, 1, 1, 4),
                (1, 1, 4, 2, 2, Int64.max), (1, 1, 4, 1 << 40, 1 << 40, 1 << 30),
            ]
            for (b, h, n, dh, ld, m) in bad {
                #expect(forward(&out, x, x, x, x, b, h, n, dh, ld, m) == kernelArgumentError)
                #expect(backward(&dq, &dk, &dv, x, x, x, x, x, x, b, h, n, dh, ld, m) == kernelArgumentError)
            }
            #expect(forward(nil, x, x, x, x, 1, 1, 4, 2, 2, 4) == kernelArgumentError)
            #expect(forward(&out, x, nil, x, x, 1, 1, 4, 2, 2, 4) == kernelArgumentError)
            #expect(forward(&out, x, x, x, nil, 1, 1, 4, 2, 2, 4) == kernelArgumentError)
            #expect(backward(&dq, &dk, nil, x, x, x, x, x, x, 1, 1, 4, 2, 2, 4) == kernelArgumentError)
            #expect(backward(&dq, &dk, &dv, x, nil, x, x, x, x, 1, 1, 4, 2, 2, 4) == kernelArgumentError)
            #expect(backward(&dq, &dk, &dv, x, x, x, x, x, nil, 1, 1, 4, 2, 2, 4) == kernelArgumentError)
        }
        for (h, m, dh) in [(0, 4, 2), (1, 0, 2), (1, 4, 0), (-1, 4, 2), (1 << 40, 1 << 40, 1), (1, 1, 1 << 40)] as [(Int64, Int64, Int64)] {
            #expect(sf_favor_features_f32(&f, h, m, dh, 1) == kernelArgumentError)
        }
        #expect(sf_favor_features_f32(nil, 1, 4, 2, 1) == kernelArgumentError)
        for a in [out, dq, dk, dv, f] { #expect(a.allSatisfy { $0 == sentinel }) }
    }
}
