import CSparseFactorKernels
import CSparseFactorReference
import Foundation
import Testing

/// Bit-identical arrays; reports the first difference instead of both arrays.
func expectIdentical(_ got: [Float], _ want: [Float], _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
    guard got.count == want.count else {
        Issue.record("\(what): \(got.count) entries, expected \(want.count)", sourceLocation: sourceLocation)
        return
    }
    if let i = got.indices.first(where: { got[$0].bitPattern != want[$0].bitPattern }) {
        Issue.record("\(what): entry \(i) is \(got[i]), expected \(want[i])", sourceLocation: sourceLocation)
    }
}

/// The neural-network kernels (nn_kernels.c) against their naive references
/// (nn_reference_kernels.c, double precision with libm), bit-identical results for 1 and 2
/// threads, and refusal of bad arguments. Serialized because the thread count is process-wide.
@Suite(.serialized) struct NNKernelTests {
    /// Runs `body` with the given kernel thread count, then restores the default.
    func withThreads<R>(_ threads: Int32, _ body: () -> R) -> R {
        sf_set_num_threads(threads)
        defer { sf_set_num_threads(0) }
        return body()
    }

    /// GELU over [-10, 10] and the special points; the fast path's erf/exp approximations stay
    /// within a few float ulps of libm's erf/exp evaluated in double.
    @Test func geluMatchesReference() {
        var rng = TestRNG(seed: 1)
        var x: [Float] = randomArray(50_000, scale: 10, rng: &rng)
        x += [0, -0, 1e-30, -1e-30, 1e-4, -1e-4, 3.8, -3.8, 5, -5, 30, -30, 1e30, -1e30]
        let n = Int64(x.count)
        var fast = [Float](repeating: .nan, count: x.count), ref = fast
        #expect(sf_gelu_forward_f32(&fast, x, n) == kernelOK)
        #expect(sf_ref_gelu_forward_f32(&ref, x, n) == kernelOK)
        var worst = 0.0
        for i in x.indices {
            let error = abs(Double(fast[i]) - Double(ref[i])) / (1 + abs(Double(x[i])))
            worst = max(worst, error.isNaN ? .infinity : error)
        }
        #expect(worst < 5e-7, "worst GELU error \(worst)")

        let dout: [Float] = randomArray(x.count, rng: &rng)
        let start: [Float] = randomArray(x.count, rng: &rng)  // backward accumulates into it
        var dfast = start, dref = start
        #expect(sf_gelu_backward_f32(&dfast, dout, x, n) == kernelOK)
        #expect(sf_ref_gelu_backward_f32(&dref, dout, x, n) == kernelOK)
        worst = 0
        for i in x.indices {
            let error = abs(Double(dfast[i]) - Double(dref[i])) / (1 + abs(Double(dref[i])))
            worst = max(worst, error.isNaN ? .infinity : error)
        }
        #expect(worst < 1e-6, "worst GELU-gradient error \(worst)")
        // Known values: GELU(1) = Φ(1) = 0.841344746, GELU'(0) = 0.5.
        var one: [Float] = [0]
        #expect(sf_gelu_forward_f32(&one, [1], 1) == kernelOK && abs(one[0] - 0.841344746) < 1e-7)
        var slope: [Float] = [0]
        #expect(sf_gelu_backward_f32(&slope, [1], [0], 1) == kernelOK && slope[0] == 0.5)
    }

    @Test(arguments: [(1, 1), (37, 19), (3000, 32)])
    func layerNormMatchesReference(rows: Int, c: Int) {
        var rng = TestRNG(seed: UInt64(rows * 100 + c))
        let x: [Float] = randomArray(rows * c, scale: 3, rng: &rng).map { $0 + 1.5 }  // a non-zero mean
        let weight: [Float] = randomArray(c, rng: &rng), bias: [Float] = randomArray(c, rng: &rng)
        let (r, cc) = (Int64(rows), Int64(c))
        var y = [Float](repeating: .nan, count: x.count), yRef = y
        var mean = [Float](repeating: .nan, count: rows), meanRef = mean, rstd = mean, rstdRef = mean
        #expect(sf_layernorm_forward_f32(&y, &mean, &rstd, x, weight, bias, r, cc, 1e-5) == kernelOK)
        #expect(sf_ref_layernorm_forward_f32(&yRef, &meanRef, &rstdRef, x, weight, bias, r, cc, 1e-5) == kernelOK)
        if c > 1 {
            expectClose(y, yRef, rtol: 1e-5, "LayerNorm output \(rows)×\(c)")
            expectClose(mean, meanRef, rtol: 1e-5, "LayerNorm mean")
            expectClose(rstd, rstdRef, rtol: 1e-5, "LayerNorm rstd")
        } else {
            expectIdentical(y, bias, "one feature normalizes to 0, leaving β")
        }

        let dy: [Float] = randomArray(x.count, rng: &rng)
        let dx0: [Float] = randomArray(x.count, rng: &rng), dw0: [Float] = randomArray(c, rng: &rng), db0: [Float] = randomArray(c, rng: &rng)
        var (dx, dw, db) = (dx0, dw0, db0)
        var (dxRef, dwRef, dbRef) = (dx0, dw0, db0)
        #expect(sf_layernorm_backward_f32(&dx, &dw, &db, dy, x, weight, mean, rstd, r, cc) == kernelOK)
        #expect(sf_ref_layernorm_backward_f32(&dxRef, &dwRef, &dbRef, dy, x, weight, meanRef, rstdRef, r, cc) == kernelOK)
        expectClose(dx, dxRef, rtol: 1e-4, "LayerNorm dx \(rows)×\(c)")
        expectClose(dw, dwRef, rtol: 1e-4, "LayerNorm dweight")
        expectClose(db, dbRef, rtol: 1e-4, "LayerNorm dbias")
        // NULL skips a gradient.
        var onlyBias = db0
        #expect(sf_layernorm_backward_f32(nil, nil, &onlyBias, dy, x, weight, mean, rstd, r, cc) == kernelOK)
        expectIdentical(onlyBias, db, "LayerNorm dbias alone")
    }

    /// Bias add and the bias-gradient reduction (also the positional-embedding shape: few
    /// rows, very wide) against the references; the reduction sums rows in the same order, so
    /// it is bit-identical.
    @Test(arguments: [(1, 1), (1000, 33), (40, 32_768)])
    func biasMatchesReference(rows: Int, c: Int) {
        var rng = TestRNG(seed: UInt64(rows + c))
        let x: [Float] = randomArray(rows * c, rng: &rng), bias: [Float] = randomArray(c, rng: &rng)
        var y = [Float](repeating: .nan, count: x.count), yRef = y
        #expect(sf_bias_add_forward_f32(&y, x, bias, Int64(rows), Int64(c)) == kernelOK)
        #expect(sf_ref_bias_add_forward_f32(&yRef, x, bias, Int64(rows), Int64(c)) == kernelOK)
        expectIdentical(y, yRef, "bias add")
        var inPlace = x
        #expect(inPlace.withUnsafeMutableBufferPointer { sf_bias_add_forward_f32($0.baseAddress, $0.baseAddress, bias, Int64(rows), Int64(c)) } == kernelOK)
        expectIdentical(inPlace, yRef, "bias add in place")
        let start: [Float] = randomArray(c, rng: &rng)
        var db = start, dbRef = start
        #expect(sf_bias_backward_f32(&db, x, Int64(rows), Int64(c)) == kernelOK)
        #expect(sf_ref_bias_backward_f32(&dbRef, x, Int64(rows), Int64(c)) == kernelOK)
        expectIdentical(db, dbRef, "bias gradient \(rows)×\(c)")
    }

    /// Forward is a copy and the backward sums each table row's tokens in token order, as
    /// the reference scatter does, so both are bit-identical to it.
    @Test(arguments: [(1, 1, 1), (5000, 7, 32), (300, 1000, 5)])
    func embeddingMatchesReference(tokens: Int, vocab: Int, d: Int) {
        var rng = TestRNG(seed: UInt64(tokens + vocab + d))
        let weight: [Float] = randomArray(vocab * d, rng: &rng)
        let ids = (0..<tokens).map { _ in Int64.random(in: 0..<Int64(vocab), using: &rng) }
        var y = [Float](repeating: .nan, count: tokens * d), yRef = y
        #expect(sf_embedding_forward_f32(&y, weight, ids, Int64(tokens), Int64(vocab), Int64(d)) == kernelOK)
        #expect(sf_ref_embedding_forward_f32(&yRef, weight, ids, Int64(tokens), Int64(vocab), Int64(d)) == kernelOK)
        expectIdentical(y, yRef, "embedding forward")
        let dy: [Float] = randomArray(tokens * d, rng: &rng)
        let start: [Float] = randomArray(vocab * d, rng: &rng)
        var dw = start, dwRef = start
        #expect(sf_embedding_backward_f32(&dw, dy, ids, Int64(tokens), Int64(vocab), Int64(d)) == kernelOK)
        #expect(sf_ref_embedding_backward_f32(&dwRef, dy, ids, Int64(tokens), Int64(vocab), Int64(d)) == kernelOK)
        expectIdentical(dw, dwRef, "embedding backward \(tokens) tokens, vocabulary \(vocab)")
    }

    @Test(arguments: [false, true])
    func adamMatchesReference(decoupled: Bool) {
        var rng = TestRNG(seed: decoupled ? 7 : 8)
        let n = 20_000
        var p: [Float] = randomArray(n, rng: &rng), m = [Float](repeating: 0, count: n), v = m
        var pRef = p, mRef = m, vRef = v
        for t in 1...3 {
            let g: [Float] = randomArray(n, scale: 0.1, rng: &rng)
            #expect(sf_adam_update_f32(&p, &m, &v, g, Int64(n), 1e-2, 0.9, 0.999, 1e-8, 0.05, decoupled ? 1 : 0, Int64(t)) == kernelOK)
            #expect(sf_ref_adam_update_f32(&pRef, &mRef, &vRef, g, Int64(n), 1e-2, 0.9, 0.999, 1e-8, 0.05, decoupled ? 1 : 0, Int64(t)) == kernelOK)
        }
        expectClose(p, pRef, rtol: 1e-6, "Adam parameters")
        expectClose(m, mRef, rtol: 1e-6, "Adam first moments")
        expectClose(v, vRef, rtol: 1e-5, "Adam second moments")
    }

    /// Every fast kernel gives the same bits with 1 and 2 threads (sizes above the parallel threshold).
    @Test func resultsDoNotDependOnThreadCount() {
        func everything() -> [[Float]] {
            var rng = TestRNG(seed: 42)
            let (rows, c) = (4000, 32)
            let x: [Float] = randomArray(rows * c, scale: 3, rng: &rng), dy: [Float] = randomArray(rows * c, rng: &rng)
            let w: [Float] = randomArray(c, rng: &rng), b: [Float] = randomArray(c, rng: &rng)
            var gelu = [Float](repeating: 0, count: x.count), dgelu = gelu
            _ = sf_gelu_forward_f32(&gelu, x, Int64(x.count))
            _ = sf_gelu_backward_f32(&dgelu, dy, x, Int64(x.count))
            var ln = gelu, mean = [Float](repeating: 0, count: rows), rstd = mean
            _ = sf_layernorm_forward_f32(&ln, &mean, &rstd, x, w, b, Int64(rows), Int64(c), 1e-5)
            var dln = gelu, dw = w, db = b
            _ = sf_layernorm_backward_f32(&dln, &dw, &db, dy, x, w, mean, rstd, Int64(rows), Int64(c))
            var dbias = [Float](repeating: 0, count: c)
            _ = sf_bias_backward_f32(&dbias, dy, Int64(rows), Int64(c))
            var wide = [Float](repeating: 0, count: 4096)
            _ = sf_bias_backward_f32(&wide, dy, Int64(rows * c / 4096), 4096)
            let ids = (0..<rows).map { Int64($0 * 7 % 5) }
            var demb = [Float](repeating: 0, count: 5 * c)
            _ = sf_embedding_backward_f32(&demb, dy, ids, Int64(rows), 5, Int64(c))
            var p = x, m = dy, v = x.map { $0 * $0 }
            _ = sf_adam_update_f32(&p, &m, &v, dy, Int64(x.count), 1e-3, 0.9, 0.999, 1e-8, 0.01, 1, 5)
            return [gelu, dgelu, ln, mean, rstd, dln, dw, db, dbias, wide, demb, p, m, v]
        }
        let one = withThreads(1) { everything() }
        let two = withThreads(2) { everything() }
        for (i, (a, b)) in zip(one, two).enumerated() { expectIdentical(b, a, "output \(i) with 2 threads") }
    }

    @Test func badArgumentsAreRefused() {
        let sentinel: Float = 42
        var out = [Float](repeating: sentinel, count: 6)
        let weight = [Float](repeating: 1, count: 6)
        // An id outside [0, vocab) is refused before anything is written.
        #expect(sf_embedding_forward_f32(&out, weight, [0, 3], 2, 3, 2) == kernelArgumentError)
        #expect(sf_embedding_forward_f32(&out, weight, [-1, 0], 2, 3, 2) == kernelArgumentError)
        #expect(sf_embedding_backward_f32(&out, weight, [0, 3], 2, 3, 2) == kernelArgumentError)
        #expect(sf_ref_embedding_backward_f32(&out, weight, [0, 3], 2, 3, 2) == kernelArgumentError)
        #expect(sf_gelu_forward_f32(nil, weight, 6) == kernelArgumentError)
        var mean = out, rstd = out
        #expect(sf_layernorm_forward_f32(&out, &mean, &rstd, weight, weight, weight, 2, 0, 1e-5) == kernelArgumentError)
        #expect(sf_bias_backward_f32(&out, weight, 2, 0) == kernelArgumentError)
        var m = out, v = out
        #expect(sf_adam_update_f32(&out, &m, &v, weight, 6, 1e-3, 1.0, 0.999, 1e-8, 0, 0, 1) == kernelArgumentError)
        #expect(sf_adam_update_f32(&out, &m, &v, weight, 6, 1e-3, 0.9, 0.999, 1e-8, 0, 0, 0) == kernelArgumentError)
        #expect(out.allSatisfy { $0 == sentinel })
    }
}
