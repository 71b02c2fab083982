import CSparseFactorKernels
import CSparseFactorReference
import Foundation
import Testing

typealias AttentionForward = (MutPtr<Float>, MutPtr<Float>, ConstPtr<Float>, ConstPtr<Float>, ConstPtr<Float>,
                              Int64, Int64, Int64, Int64, Int64, Float) -> Int32
typealias AttentionBackward = (MutPtr<Float>, MutPtr<Float>, MutPtr<Float>, ConstPtr<Float>, ConstPtr<Float>, ConstPtr<Float>,
                               ConstPtr<Float>, ConstPtr<Float>, ConstPtr<Float>, Int64, Int64, Int64, Int64, Int64, Float) -> Int32

/// One attention problem. q, k and v (and dq, dk, dv) live in one buffer: packed, they are the three
/// column slices of a [B, N, 3D] buffer (ld = 3D); otherwise three separate [B, N, ld] blocks with
/// `padding` unused columns per row (ld = D + padding).
struct AttentionShape: Sendable, CustomTestStringConvertible {
    let batch: Int, heads: Int, n: Int, headDim: Int
    var packed = false
    var padding = 0
    var scale: Float = 0.35
    /// Relative tolerance against the oracle: float scores carry an error of about |score| · 1e-7 that
    /// exp turns into a relative error of the weights, so large scores get a looser bound.
    var rtol = 1e-5

    var d: Int { heads * headDim }
    var ld: Int { packed ? 3 * d : d + padding }
    var rows: Int { batch * n }
    var storage: Int { packed ? rows * ld : 3 * rows * ld }
    /// Where q, k and v start in the buffer.
    var offsets: (Int, Int, Int) { packed ? (0, d, 2 * d) : (0, rows * ld, 2 * rows * ld) }
    var sizes: (Int64, Int64, Int64, Int64, Int64) { (Int64(batch), Int64(heads), Int64(n), Int64(headDim), Int64(ld)) }
    var testDescription: String {
        "B\(batch) H\(heads) N\(n) Dh\(headDim) ld\(ld)\(packed ? " packed" : "") scale \(scale)"
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

/// Forward, then backward of L = sum(dout ∘ out) accumulated onto `grads` (same layout as `inputs`).
func runAttention(_ s: AttentionShape, inputs: [Float], dout: [Float], grads: [Float], reference: Bool) -> AttentionResult {
    let (forward, backward) = attentionKernels(reference: reference)
    var r = AttentionResult(out: [Float](repeating: .nan, count: s.rows * s.d),
                            lse: [Float](repeating: .nan, count: s.batch * s.heads * s.n), grads: grads)
    let (b, h, n, dh, ld) = s.sizes
    let (oq, ok, ov) = s.offsets
    inputs.withUnsafeBufferPointer { x in
        let x = x.baseAddress!
        #expect(forward(&r.out, &r.lse, x + oq, x + ok, x + ov, b, h, n, dh, ld, s.scale) == kernelOK)
        r.grads.withUnsafeMutableBufferPointer { g in
            let g = g.baseAddress!
            #expect(backward(g + oq, g + ok, g + ov, dout, r.out, r.lse, x + oq, x + ok, x + ov, b, h, n, dh, ld, s.scale) == kernelOK)
        }
    }
    return r
}

/// The tiled attention kernels (attention_kernels.c) against the naive oracle (attention_reference_kernels.c,
/// double precision, materialized softmax rows), the oracle against finite differences, bit-identical
/// results for 1, 2 and 3 threads, and refusal of bad arguments. Serialized: the thread count is process-wide.
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

    @Test(arguments: shapes)
    func matchesReference(shape s: AttentionShape) {
        var rng = TestRNG(seed: UInt64(s.batch * 1000 + s.n * 10 + s.headDim))
        let inputs: [Float] = randomArray(s.storage, rng: &rng)
        let dout: [Float] = randomArray(s.rows * s.d, rng: &rng)
        let start: [Float] = randomArray(s.storage, rng: &rng)   // the backward accumulates onto it
        let fast = runAttention(s, inputs: inputs, dout: dout, grads: start, reference: false)
        let ref = runAttention(s, inputs: inputs, dout: dout, grads: start, reference: true)
        expectClose(fast.out, ref.out, rtol: s.rtol, "out, \(s.testDescription)")
        expectClose(fast.lse, ref.lse, rtol: s.rtol, "lse, \(s.testDescription)")
        // Compared as increments, so the check is not diluted by the initial values.
        let delta = { (g: [Float]) in zip(g, start).map { $0 - $1 } }
        expectClose(delta(fast.grads), delta(ref.grads), rtol: s.rtol, "dq, dk, dv, \(s.testDescription)")
        // The unused columns (ld > heads·head_dim) are neither read into nor written.
        if s.padding > 0 {
            let untouched = (0..<s.storage).filter { $0 % s.ld >= s.d }
            #expect(untouched.allSatisfy { fast.grads[$0] == start[$0] })
        }
    }

    /// The oracle itself: its forward against a plain double-precision softmax attention written here,
    /// and its backward against central finite differences of that forward (in double) on a tiny case.
    @Test func oracleMatchesFiniteDifferences() {
        let s = AttentionShape(batch: 2, heads: 2, n: 5, headDim: 3, padding: 1, scale: 0.7)
        var rng = TestRNG(seed: 99)
        let inputs: [Float] = randomArray(s.storage, scale: 1.5, rng: &rng)
        let w: [Float] = randomArray(s.rows * s.d, rng: &rng)
        let (oq, ok, ov) = s.offsets

        /// out for inputs x (in double), the layout of the kernels.
        func forward(_ x: [Double]) -> [Double] {
            var out = [Double](repeating: 0, count: s.rows * s.d)
            for b in 0..<s.batch {
                for h in 0..<s.heads {
                    let col = h * s.headDim
                    for i in 0..<s.n {
                        let qi = oq + (b * s.n + i) * s.ld + col
                        let scores = (0..<s.n).map { j -> Double in
                            let kj = ok + (b * s.n + j) * s.ld + col
                            return Double(s.scale) * (0..<s.headDim).reduce(0.0) { $0 + x[qi + $1] * x[kj + $1] }
                        }
                        let top = scores.max()!
                        let e = scores.map { exp($0 - top) }
                        let sum = e.reduce(0, +)
                        for j in 0..<s.n {
                            let vj = ov + (b * s.n + j) * s.ld + col
                            for d in 0..<s.headDim { out[(b * s.n + i) * s.d + col + d] += e[j] / sum * x[vj + d] }
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

    /// Same bits for 1, 2 and 3 threads, at sizes well above the parallel threshold, for a specialized
    /// head_dim (packed) and for the run-time one (per-thread scratch).
    @Test(arguments: [AttentionShape(batch: 2, heads: 4, n: 333, headDim: 8, packed: true),
                      AttentionShape(batch: 3, heads: 2, n: 201, headDim: 6, padding: 4)])
    func resultsDoNotDependOnThreadCount(shape s: AttentionShape) {
        var rng = TestRNG(seed: 5)
        let inputs: [Float] = randomArray(s.storage, rng: &rng)
        let dout: [Float] = randomArray(s.rows * s.d, rng: &rng)
        let start: [Float] = randomArray(s.storage, rng: &rng)
        func run(_ threads: Int32) -> AttentionResult {
            sf_set_num_threads(threads)
            defer { sf_set_num_threads(0) }
            return runAttention(s, inputs: inputs, dout: dout, grads: start, reference: false)
        }
        let one = run(1)
        for threads: Int32 in [2, 3] {
            let other = run(threads)
            expectIdentical(other.out, one.out, "out with \(threads) threads")
            expectIdentical(other.lse, one.lse, "lse with \(threads) threads")
            expectIdentical(other.grads, one.grads, "dq, dk, dv with \(threads) threads")
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
        for a in [out, lse, dq, dk, dv] { #expect(a.allSatisfy { $0 == sentinel }) }
    }
}
