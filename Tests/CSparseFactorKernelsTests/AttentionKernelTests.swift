import CSparseFactorKernels
import CSparseFactorReference
import Foundation
import Testing

typealias AttentionForward = (MutPtr<Float>, MutPtr<Float>, ConstPtr<Float>, ConstPtr<Float>, ConstPtr<Float>,
                              Int64, Int64, Int64, Int64, Int64, Float) -> Int32
typealias AttentionBackward = (MutPtr<Float>, MutPtr<Float>, MutPtr<Float>, ConstPtr<Float>, ConstPtr<Float>, ConstPtr<Float>,
                               ConstPtr<Float>, ConstPtr<Float>, ConstPtr<Float>, Int64, Int64, Int64, Int64, Int64, Float) -> Int32
typealias CrossAttentionForward = (MutPtr<Float>, MutPtr<Float>, ConstPtr<Float>, ConstPtr<Float>, ConstPtr<Float>,
                                   Int64, Int64, Int64, Int64, Int64, Int64, Int64, Float) -> Int32
typealias CrossAttentionBackward = (MutPtr<Float>, MutPtr<Float>, MutPtr<Float>, ConstPtr<Float>, ConstPtr<Float>,
                                    ConstPtr<Float>, ConstPtr<Float>, ConstPtr<Float>, ConstPtr<Float>,
                                    Int64, Int64, Int64, Int64, Int64, Int64, Int64, Float) -> Int32

/// One attention problem: nQ queries over nKV keys and values per (batch, head). q, k and v (and dq,
/// dk, dv) live in one buffer. `packed` (self-attention, nQ = nKV): the three column slices of a
/// [B, N, 3D] buffer (ld = 3D). Otherwise a q block [B, nQ, ldQ] (q in its first D columns, ldQ =
/// `qWidth`, by default D + padding) followed by either one kv block [B, nKV, 2D + padding] holding k
/// and v side by side (`kvPacked`) or two blocks [B, nKV, D + padding]. Shapes with nQ = nKV and
/// ldQ = ldKV run through the self-attention entry points, the others through the cross ones.
struct AttentionShape: Sendable, CustomTestStringConvertible {
    let batch: Int, heads: Int, nQ: Int, nKV: Int, headDim: Int
    var packed = false
    var kvPacked = false
    var padding = 0
    var qWidth: Int?
    var scale: Float = 0.35
    /// Relative tolerance against the oracle: float scores carry an error of about |score| · 1e-7 that
    /// exp turns into a relative error of the weights, so large scores get a looser bound.
    var rtol = 1e-5

    /// Self-attention of n positions.
    init(batch: Int, heads: Int, n: Int, headDim: Int, packed: Bool = false, padding: Int = 0,
         scale: Float = 0.35, rtol: Double = 1e-5) {
        (self.batch, self.heads, self.nQ, self.nKV, self.headDim) = (batch, heads, n, n, headDim)
        (self.packed, self.padding, self.scale, self.rtol) = (packed, padding, scale, rtol)
    }

    /// nQ queries over nKV keys and values, each side with its own row stride.
    init(batch: Int, heads: Int, nQ: Int, nKV: Int, headDim: Int, kvPacked: Bool = false, padding: Int = 0,
         qWidth: Int? = nil, scale: Float = 0.35, rtol: Double = 1e-5) {
        (self.batch, self.heads, self.nQ, self.nKV, self.headDim) = (batch, heads, nQ, nKV, headDim)
        (self.kvPacked, self.padding, self.qWidth, self.scale, self.rtol) = (kvPacked, padding, qWidth, scale, rtol)
    }

    var d: Int { heads * headDim }
    var ldQ: Int { packed ? 3 * d : qWidth ?? d + padding }
    var ldKV: Int { packed ? 3 * d : (kvPacked ? 2 * d : d) + padding }
    var rowsQ: Int { batch * nQ }
    var rowsKV: Int { batch * nKV }
    var cross: Bool { nQ != nKV || ldQ != ldKV }
    private var qSize: Int { packed ? 0 : rowsQ * ldQ }
    var storage: Int { packed ? rowsQ * ldQ : qSize + (kvPacked ? 1 : 2) * rowsKV * ldKV }
    /// Where q, k and v start in the buffer.
    var offsets: (Int, Int, Int) { packed ? (0, d, 2 * d) : (0, qSize, qSize + (kvPacked ? d : rowsKV * ldKV)) }

    /// Calls body with the buffer index of every entry of operand 0 (q), 1 (k) or 2 (v), in [B, n, D] order.
    func forEachEntry(of which: Int, _ body: (Int) -> Void) {
        let (rows, ld) = which == 0 ? (rowsQ, ldQ) : (rowsKV, ldKV)
        let start = [offsets.0, offsets.1, offsets.2][which]
        for r in 0..<rows { for c in 0..<d { body(start + r * ld + c) } }
    }
    /// Operand 0 (q), 1 (k) or 2 (v) of a buffer laid out like the inputs, as a contiguous [B, n, D] array.
    func operand(_ x: [Float], _ which: Int) -> [Float] {
        var values: [Float] = []
        forEachEntry(of: which) { values.append(x[$0]) }
        return values
    }
    /// Whether buffer entry e belongs to none of q, k, v (an unused column).
    var unused: [Bool] {
        var unused = [Bool](repeating: true, count: storage)
        for which in 0..<3 { forEachEntry(of: which) { unused[$0] = false } }
        return unused
    }
    var testDescription: String {
        let n = cross ? "Nq\(nQ) Nkv\(nKV)" : "N\(nQ)"
        let ld = cross ? "ldq\(ldQ) ldkv\(ldKV)" : "ld\(ldQ)"
        return "B\(batch) H\(heads) \(n) Dh\(headDim) \(ld)\(packed ? " packed" : "")\(kvPacked ? " kv packed" : "") scale \(scale)"
    }
}

struct AttentionResult {
    var out: [Float], lse: [Float], grads: [Float]
}

/// The fast kernels or the oracle.
func attentionKernels(reference: Bool) -> (forward: AttentionForward, backward: AttentionBackward) {
    if reference { return (sf_ref_attention_forward_f32, sf_ref_attention_backward_f32) }
    return (sf_attention_forward_f32, sf_attention_backward_f32)
}

/// The fast cross-attention kernels or their oracle.
func crossAttentionKernels(reference: Bool) -> (forward: CrossAttentionForward, backward: CrossAttentionBackward) {
    if reference { return (sf_ref_cross_attention_forward_f32, sf_ref_cross_attention_backward_f32) }
    return (sf_cross_attention_forward_f32, sf_cross_attention_backward_f32)
}

/// Forward, then backward of L = sum(dout ∘ out) accumulated onto `grads` (same layout as `inputs`),
/// through the self-attention entry points when the shape allows, else the cross ones.
func runAttention(_ s: AttentionShape, inputs: [Float], dout: [Float], grads: [Float], reference: Bool) -> AttentionResult {
    var r = AttentionResult(out: [Float](repeating: .nan, count: s.rowsQ * s.d),
                            lse: [Float](repeating: .nan, count: s.batch * s.heads * s.nQ), grads: grads)
    let (b, h, nq, nkv, dh) = (Int64(s.batch), Int64(s.heads), Int64(s.nQ), Int64(s.nKV), Int64(s.headDim))
    let (ldq, ldkv) = (Int64(s.ldQ), Int64(s.ldKV))
    let (oq, ok, ov) = s.offsets
    inputs.withUnsafeBufferPointer { x in
        let x = x.baseAddress!
        r.grads.withUnsafeMutableBufferPointer { g in
            let g = g.baseAddress!
            if s.cross {
                let (forward, backward) = crossAttentionKernels(reference: reference)
                #expect(forward(&r.out, &r.lse, x + oq, x + ok, x + ov, b, h, nq, nkv, dh, ldq, ldkv, s.scale) == kernelOK)
                #expect(backward(g + oq, g + ok, g + ov, dout, r.out, r.lse, x + oq, x + ok, x + ov,
                                 b, h, nq, nkv, dh, ldq, ldkv, s.scale) == kernelOK)
            } else {
                let (forward, backward) = attentionKernels(reference: reference)
                #expect(forward(&r.out, &r.lse, x + oq, x + ok, x + ov, b, h, nq, dh, ldq, s.scale) == kernelOK)
                #expect(backward(g + oq, g + ok, g + ov, dout, r.out, r.lse, x + oq, x + ok, x + ov, b, h, nq, dh, ldq, s.scale) == kernelOK)
            }
        }
    }
    return r
}

/// The tiled attention kernels (attention_kernels.c) against the naive oracle (attention_reference_kernels.c,
/// double precision, materialized softmax rows), for self-attention and for n_q queries over n_kv keys and
/// values with their own row strides; the oracle against finite differences, bit-identical results for 1, 2
/// and 3 threads, and refusal of bad arguments. Serialized: the thread count is process-wide.
@Suite(.serialized) struct AttentionKernelTests {
    static let shapes: [AttentionShape] = [
        AttentionShape(batch: 1, heads: 1, n: 1, headDim: 8),                                // one position
        AttentionShape(batch: 3, heads: 4, n: 37, headDim: 8, packed: true),                 // packed qkv, n < one tile
        AttentionShape(batch: 1, heads: 4, n: 130, headDim: 16, padding: 5, scale: 0.25),    // n not a multiple of any tile
        AttentionShape(batch: 3, heads: 1, n: 200, headDim: 1, padding: 2, scale: 1),        // head_dim 1
        AttentionShape(batch: 2, heads: 2, n: 77, headDim: 5, padding: 3, scale: 0.5),       // a head_dim without a specialized copy
        AttentionShape(batch: 1, heads: 1, n: 129, headDim: 32, scale: 0.2),
        // Scores up to about ±40: the running maximum moves between key tiles (online-softmax rescaling)
        // and most weights underflow.
        AttentionShape(batch: 2, heads: 4, n: 300, headDim: 8, packed: true, scale: 12, rtol: 5e-5),
        AttentionShape(batch: 1, heads: 2, n: 150, headDim: 16, padding: 1, scale: 8, rtol: 5e-5),
    ]

    /// n_q ≠ n_kv both ways, a single key and a single query, q a slice of a [B, N, 3D] block (ld_q = 3D)
    /// against k and v as slices of one [B, n_kv, 2D] block (ld_kv = 2D), or separate padded blocks.
    static let crossShapes: [AttentionShape] = [
        // Linformer's shape: N = 1000 queries over k = 256 projected keys and values.
        AttentionShape(batch: 2, heads: 4, nQ: 1000, nKV: 256, headDim: 8, kvPacked: true, qWidth: 96),
        AttentionShape(batch: 3, heads: 1, nQ: 7, nKV: 300, headDim: 5, padding: 3, qWidth: 7),    // fewer queries than a group
        AttentionShape(batch: 2, heads: 1, nQ: 50, nKV: 1, headDim: 8, kvPacked: true, qWidth: 24),
        AttentionShape(batch: 2, heads: 4, nQ: 1, nKV: 300, headDim: 5, kvPacked: true, padding: 1, qWidth: 60),
        AttentionShape(batch: 1, heads: 4, nQ: 90, nKV: 90, headDim: 16, kvPacked: true, qWidth: 64),  // n_q = n_kv, ld_q ≠ ld_kv
        // Large scores: the running maximum moves between key tiles with different strides on each side.
        AttentionShape(batch: 2, heads: 4, nQ: 130, nKV: 200, headDim: 8, kvPacked: true, qWidth: 40, scale: 12, rtol: 5e-5),
    ]

    @Test(arguments: shapes + crossShapes)
    func matchesReference(shape s: AttentionShape) {
        var rng = TestRNG(seed: UInt64(s.batch * 1000 + s.nQ * 10 + s.nKV * 7 + s.headDim))
        let inputs: [Float] = randomArray(s.storage, rng: &rng)
        let dout: [Float] = randomArray(s.rowsQ * s.d, rng: &rng)
        // The backward accumulates onto these: random values of each gradient's own size, so the float
        // rounding of the += stays far below the tolerance (with one query, dk is ~1e-4 while dq is ~1).
        let zero = [Float](repeating: 0, count: s.storage)
        let size = runAttention(s, inputs: inputs, dout: dout, grads: zero, reference: true).grads
        let unused = s.unused
        var start: [Float] = randomArray(s.storage, rng: &rng)
        for which in 0..<3 {
            let g = s.operand(size, which)
            let rms = (g.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(g.count)).squareRoot()
            if rms > 0 { s.forEachEntry(of: which) { start[$0] *= Float(rms) } }
        }
        let fast = runAttention(s, inputs: inputs, dout: dout, grads: start, reference: false)
        let ref = runAttention(s, inputs: inputs, dout: dout, grads: start, reference: true)
        expectClose(fast.out, ref.out, rtol: s.rtol, "out, \(s.testDescription)")
        expectClose(fast.lse, ref.lse, rtol: s.rtol, "lse, \(s.testDescription)")
        // Compared as increments, so the check is not diluted by the initial values; each of dq, dk, dv
        // on its own scale (with n_q ≫ n_kv, dk and dv sum over many more terms than dq).
        for (which, name) in ["dq", "dk", "dv"].enumerated() {
            let got = zip(s.operand(fast.grads, which), s.operand(start, which)).map { $0 - $1 }
            let want = zip(s.operand(ref.grads, which), s.operand(start, which)).map { $0 - $1 }
            if want.allSatisfy({ $0 == 0 }) {
                // One key: the softmax is constant, so dq and dk are zero (the fast kernel's D and dp round apart).
                #expect(got.allSatisfy { abs($0) <= 1e-6 }, "\(name) is not zero, \(s.testDescription)")
            } else {
                expectClose(got, want, rtol: s.rtol, "\(name), \(s.testDescription)")
            }
        }
        // The unused columns (ld > heads·head_dim) are neither read into nor written.
        #expect((0..<s.storage).allSatisfy { !unused[$0] || fast.grads[$0] == start[$0] })
    }

    /// The oracle itself: its forward against a plain double-precision softmax attention written here,
    /// and its backward against central finite differences of that forward (in double) on tiny cases:
    /// self-attention, and n_q ≠ n_kv both ways with ld_q ≠ ld_kv.
    @Test(arguments: [AttentionShape(batch: 2, heads: 2, n: 5, headDim: 3, padding: 1, scale: 0.7),
                      AttentionShape(batch: 2, heads: 2, nQ: 4, nKV: 3, headDim: 3, kvPacked: true, padding: 1,
                                     qWidth: 8, scale: 0.7),
                      AttentionShape(batch: 1, heads: 2, nQ: 2, nKV: 6, headDim: 2, padding: 2, qWidth: 5, scale: 0.9)])
    func oracleMatchesFiniteDifferences(shape s: AttentionShape) {
        var rng = TestRNG(seed: 99)
        let inputs: [Float] = randomArray(s.storage, scale: 1.5, rng: &rng)
        let w: [Float] = randomArray(s.rowsQ * s.d, rng: &rng)
        let (oq, ok, ov) = s.offsets

        /// out for inputs x (in double), the layout of the kernels.
        func forward(_ x: [Double]) -> [Double] {
            var out = [Double](repeating: 0, count: s.rowsQ * s.d)
            for b in 0..<s.batch {
                for h in 0..<s.heads {
                    let col = h * s.headDim
                    for i in 0..<s.nQ {
                        let qi = oq + (b * s.nQ + i) * s.ldQ + col
                        let scores = (0..<s.nKV).map { j -> Double in
                            let kj = ok + (b * s.nKV + j) * s.ldKV + col
                            return Double(s.scale) * (0..<s.headDim).reduce(0.0) { $0 + x[qi + $1] * x[kj + $1] }
                        }
                        let top = scores.max()!
                        let e = scores.map { exp($0 - top) }
                        let sum = e.reduce(0, +)
                        for j in 0..<s.nKV {
                            let vj = ov + (b * s.nKV + j) * s.ldKV + col
                            for d in 0..<s.headDim { out[(b * s.nQ + i) * s.d + col + d] += e[j] / sum * x[vj + d] }
                        }
                    }
                }
            }
            return out
        }
        func loss(_ x: [Double]) -> Double { zip(forward(x), w).reduce(0) { $0 + $1.0 * Double($1.1) } }

        let x = inputs.map(Double.init)
        let zero = [Float](repeating: 0, count: s.storage)
        let ref = runAttention(s, inputs: inputs, dout: w, grads: zero, reference: true)
        expectClose(ref.out, forward(x).map(Float.init), rtol: 1e-6, "oracle forward, \(s.testDescription)")
        let step = 1e-5
        var fd = [Float](repeating: 0, count: s.storage)
        for e in 0..<s.storage {
            var plus = x, minus = x
            plus[e] += step
            minus[e] -= step
            fd[e] = Float((loss(plus) - loss(minus)) / (2 * step))
        }
        for (which, name) in ["dq", "dk", "dv"].enumerated() {
            expectClose(s.operand(ref.grads, which), s.operand(fd, which), rtol: 1e-5,
                        "oracle \(name) against finite differences, \(s.testDescription)")
        }
        // The unused columns do not enter the loss, and the oracle leaves their gradient alone.
        let unused = s.unused
        #expect((0..<s.storage).allSatisfy { !unused[$0] || (ref.grads[$0] == 0 && fd[$0] == 0) })
    }

    /// Same bits for 1, 2 and 3 threads, at sizes well above the parallel threshold, for a specialized
    /// head_dim (packed) and for the run-time one (per-thread scratch), self-attention and n_q ≠ n_kv.
    @Test(arguments: [AttentionShape(batch: 2, heads: 4, n: 333, headDim: 8, packed: true),
                      AttentionShape(batch: 3, heads: 2, n: 201, headDim: 6, padding: 4),
                      AttentionShape(batch: 2, heads: 4, nQ: 1000, nKV: 256, headDim: 8, kvPacked: true, qWidth: 96),
                      AttentionShape(batch: 3, heads: 2, nQ: 150, nKV: 401, headDim: 6, padding: 4, qWidth: 13)])
    func resultsDoNotDependOnThreadCount(shape s: AttentionShape) {
        var rng = TestRNG(seed: 5)
        let inputs: [Float] = randomArray(s.storage, rng: &rng)
        let dout: [Float] = randomArray(s.rowsQ * s.d, rng: &rng)
        let start: [Float] = randomArray(s.storage, rng: &rng)
        func run(_ threads: Int32) -> AttentionResult {
            sf_set_num_threads(threads)
            defer { sf_set_num_threads(0) }
            return runAttention(s, inputs: inputs, dout: dout, grads: start, reference: false)
        }
        let one = run(1)
        for threads: Int32 in [2, 3] {
            let other = run(threads)
            expectIdentical(other.out, one.out, "out with \(threads) threads, \(s.testDescription)")
            expectIdentical(other.lse, one.lse, "lse with \(threads) threads, \(s.testDescription)")
            expectIdentical(other.grads, one.grads, "dq, dk, dv with \(threads) threads, \(s.testDescription)")
        }
    }

    /// Self-attention is the cross kernel with n_q = n_kv and ld_q = ld_kv: the same bits through
    /// either entry point.
    @Test func selfAttentionIsTheCrossKernel() {
        let s = AttentionShape(batch: 2, heads: 2, n: 77, headDim: 8, padding: 3)
        var rng = TestRNG(seed: 17)
        let inputs: [Float] = randomArray(s.storage, rng: &rng)
        let dout: [Float] = randomArray(s.rowsQ * s.d, rng: &rng)
        let start: [Float] = randomArray(s.storage, rng: &rng)
        let (b, h, n, dh, ld) = (Int64(s.batch), Int64(s.heads), Int64(s.nQ), Int64(s.headDim), Int64(s.ldQ))
        let (oq, ok, ov) = s.offsets
        for reference in [false, true] {
            let viaSelf = runAttention(s, inputs: inputs, dout: dout, grads: start, reference: reference)
            let (forward, backward) = crossAttentionKernels(reference: reference)
            var viaCross = AttentionResult(out: [Float](repeating: .nan, count: s.rowsQ * s.d),
                                           lse: [Float](repeating: .nan, count: s.batch * s.heads * s.nQ), grads: start)
            inputs.withUnsafeBufferPointer { x in
                let x = x.baseAddress!
                viaCross.grads.withUnsafeMutableBufferPointer { g in
                    let g = g.baseAddress!
                    #expect(forward(&viaCross.out, &viaCross.lse, x + oq, x + ok, x + ov, b, h, n, n, dh, ld, ld, s.scale) == kernelOK)
                    #expect(backward(g + oq, g + ok, g + ov, dout, viaCross.out, viaCross.lse, x + oq, x + ok, x + ov,
                                     b, h, n, n, dh, ld, ld, s.scale) == kernelOK)
                }
            }
            expectIdentical(viaCross.out, viaSelf.out, "out, reference \(reference)")
            expectIdentical(viaCross.lse, viaSelf.lse, "lse, reference \(reference)")
            expectIdentical(viaCross.grads, viaSelf.grads, "dq, dk, dv, reference \(reference)")
        }
    }

    @Test func badArgumentsAreRefused() {
        let sentinel: Float = 42
        let x = [Float](repeating: 1, count: 64)
        var out = [Float](repeating: sentinel, count: 64), lse = out, dq = out, dk = out, dv = out
        for reference in [false, true] {
            let (forward, backward) = attentionKernels(reference: reference)
            // (batch, heads, n, head_dim, ld): zero sizes, ld < heads·head_dim, and products past Int64.
            let bad: [(Int64, Int64, Int64, Int64, Int64)] = [
                (0, 1, 4, 2, 2), (1, 0, 4, 2, 2), (1, 1, 0, 2, 2), (1, 1, 4, 0, 2), (1, 2, 4, 2, 3), (1, 1, 4, 2, -1),
                (1 << 40, 1, 1 << 40, 1, 1), (1, 1 << 32, 2, 1 << 32, 1 << 62), (4, 1, Int64.max / 2, 1, 1),
            ]
            for (b, h, n, dh, ld) in bad {
                #expect(forward(&out, &lse, x, x, x, b, h, n, dh, ld, 1) == kernelArgumentError)
                #expect(backward(&dq, &dk, &dv, x, x, x, x, x, x, b, h, n, dh, ld, 1) == kernelArgumentError)
            }
            #expect(forward(nil, &lse, x, x, x, 1, 1, 4, 2, 2, 1) == kernelArgumentError)
            #expect(forward(&out, nil, x, x, x, 1, 1, 4, 2, 2, 1) == kernelArgumentError)
            #expect(forward(&out, &lse, x, nil, x, 1, 1, 4, 2, 2, 1) == kernelArgumentError)
            #expect(backward(&dq, &dk, nil, x, x, x, x, x, x, 1, 1, 4, 2, 2, 1) == kernelArgumentError)
            #expect(backward(&dq, &dk, &dv, x, x, nil, x, x, x, 1, 1, 4, 2, 2, 1) == kernelArgumentError)
            #expect(backward(&dq, &dk, &dv, x, x, x, x, x, nil, 1, 1, 4, 2, 2, 1) == kernelArgumentError)
        }
        for reference in [false, true] {
            let (forward, backward) = crossAttentionKernels(reference: reference)
            // (batch, heads, n_q, n_kv, head_dim, ld_q, ld_kv): zero and negative sizes, ld_q or ld_kv <
            // heads·head_dim, and products past Int64 on either side.
            let big = Int64(1) << 40
            let bad: [(Int64, Int64, Int64, Int64, Int64, Int64, Int64)] = [
                (0, 1, 4, 3, 2, 2, 2), (1, 0, 4, 3, 2, 2, 2), (1, 1, 0, 3, 2, 2, 2), (1, 1, 4, 0, 2, 2, 2),
                (1, 1, 4, 3, 0, 2, 2), (1, 1, -4, 3, 2, 2, 2), (1, 1, 4, -3, 2, 2, 2),
                (1, 2, 4, 3, 2, 3, 4), (1, 2, 4, 3, 2, 4, 3), (1, 1, 4, 3, 2, -1, 2), (1, 1, 4, 3, 2, 2, -1),
                (big, 1, big, 1, 1, 1, 1), (big, 1, 1, big, 1, 1, 1),            // B·n_q or B·n_kv overflows
                (1, 1, 1 << 30, 1, 1, big, 1), (1, 1, 1, 1 << 30, 1, 1, big),    // B·n·ld overflows on one side
                (1, 1 << 32, 2, 2, 1 << 32, 1 << 62, 1 << 62),                   // heads·head_dim overflows
                (4, 1, Int64.max / 2, 1, 1, 1, 1), (4, 1, 1, Int64.max / 2, 1, 1, 1),
                (1, 1, 1, Int64.max / 32, 1, 1, 1),                              // the byte count overflows
            ]
            for (b, h, nq, nkv, dh, ldq, ldkv) in bad {
                #expect(forward(&out, &lse, x, x, x, b, h, nq, nkv, dh, ldq, ldkv, 1) == kernelArgumentError,
                        "forward \((b, h, nq, nkv, dh, ldq, ldkv)), reference \(reference)")
                #expect(backward(&dq, &dk, &dv, x, x, x, x, x, x, b, h, nq, nkv, dh, ldq, ldkv, 1) == kernelArgumentError,
                        "backward \((b, h, nq, nkv, dh, ldq, ldkv)), reference \(reference)")
            }
            // Each pointer null in turn (the outputs are the sentinel arrays, so nothing may be written).
            out.withUnsafeMutableBufferPointer { o in
                lse.withUnsafeMutableBufferPointer { l in
                    x.withUnsafeBufferPointer { xp in
                        let outs = [o.baseAddress, l.baseAddress], input = xp.baseAddress
                        for hole in 0..<5 {
                            let p: [MutPtr<Float>] = (0..<5).map {
                                $0 == hole ? nil : $0 < 2 ? outs[$0] : UnsafeMutablePointer(mutating: input)
                            }
                            #expect(forward(p[0], p[1], p[2], p[3], p[4], 1, 1, 4, 3, 2, 2, 2, 1) == kernelArgumentError)
                        }
                    }
                }
            }
            dq.withUnsafeMutableBufferPointer { gq in
                dk.withUnsafeMutableBufferPointer { gk in
                    dv.withUnsafeMutableBufferPointer { gv in
                        x.withUnsafeBufferPointer { xp in
                            let outs = [gq.baseAddress, gk.baseAddress, gv.baseAddress], input = xp.baseAddress
                            for hole in 0..<9 {
                                let p: [MutPtr<Float>] = (0..<9).map {
                                    $0 == hole ? nil : $0 < 3 ? outs[$0] : UnsafeMutablePointer(mutating: input)
                                }
                                #expect(backward(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], 1, 1, 4, 3, 2, 2, 2, 1)
                                        == kernelArgumentError)
                            }
                        }
                    }
                }
            }
        }
        for a in [out, lse, dq, dk, dv] { #expect(a.allSatisfy { $0 == sentinel }) }
    }
}
