import CSparseFactorKernels
import CSparseFactorReference
import func SparseFactorTestSupport.expectSameBits
import Testing

/// sf_chain_objective_f64/_f32 (½‖A − W₁⋯W_M‖²_F and its value gradient, one block of identity
/// columns at a time) against the double reference chain kernels run on the whole N×N identity:
/// forward with activations, residual, backward.
@Suite struct ObjectiveKernelTests {
    /// The oracle: (loss, dL/dw) from sf_ref_chain_forward/backward on X = I (C = N columns).
    func reference(pattern p: TestPattern, m: Int, w: [Double], a: [Double]) -> (loss: Double, dw: [Double]) {
        let n = p.n
        var x = [Double](repeating: 0, count: n * n)
        for i in 0..<n { x[i * n + i] = 1 }
        var y = [Double](repeating: .nan, count: n * n)
        var acts = [Double](repeating: .nan, count: max(m - 1, 1) * n * n)
        let (M, N, K) = (Int64(m), Int64(n), Int64(p.k))
        #expect(sf_ref_chain_forward_f64(&y, &acts, w, x, p.cols, 1, M, N, K, N, 0) == kernelOK)
        var loss = 0.0
        for e in y.indices {
            y[e] -= a[e]
            loss += y[e] * y[e]
        }
        var dw = [Double](repeating: 0, count: w.count)
        #expect(sf_ref_chain_backward_f64(nil, &dw, y, acts, w, x, p.cols, 1, M, N, K, N, 0) == kernelOK)
        return (loss / 2, dw)
    }

    /// The fast kernel: (loss, dw0 + dL/dw), with scratch full of NaN (its contents must not matter).
    func fast<T: TestScalar>(pattern p: TestPattern, m: Int, w: [T], a: [T], dw0: [T]) -> (loss: Double, dw: [T]) {
        let (M, N, K) = (Int64(m), Int64(p.n), Int64(p.k))
        let count = T.chainObjectiveScratch(M, N, K)
        #expect(count > 0)
        var scratch = [T](repeating: .nan, count: Int(count))
        var loss = Double.nan
        var dw = dw0
        #expect(T.chainObjective(&loss, &dw, &scratch, a, w, p.cols, p.tptr, p.tlink, M, N, K, count) == kernelOK)
        return (loss, dw)
    }

    /// Relative tolerance of the loss: a float kernel's residuals carry its rounding (the squares
    /// are summed in double, so the sum adds none of its own).
    func lossTolerance<T: TestScalar>(_: T.Type) -> Double { T.self == Double.self ? 1e-12 : 1e-6 }

    /// The float kernel is checked against the double reference on the same (float) inputs.
    func check<T: TestScalar>(_: T.Type, pattern p: TestPattern, m: Int, seed: UInt64) {
        let label = "\(T.self) N=\(p.n) K=\(p.k) M=\(m)"
        var rng = TestRNG(seed: seed)
        let w: [T] = randomFactorValues(m * p.n * p.k, k: p.k, rng: &rng)
        let a: [T] = randomArray(p.n * p.n, rng: &rng)
        let dw0: [T] = randomArray(w.count, rng: &rng)
        let want = reference(pattern: p, m: m, w: w.map { Double($0) }, a: a.map { Double($0) })
        let got = fast(pattern: p, m: m, w: w, a: a, dw0: dw0)
        let tolerance = lossTolerance(T.self)
        #expect(abs(got.loss - want.loss) <= tolerance * want.loss, "loss \(label): \(got.loss) vs \(want.loss)")
        // The kernel accumulates into dw: compare the increment, factor by factor.
        let increment = zip(got.dw, dw0).map { Double($0) - Double($1) }
        expectClose(increment, want.dw, chunks: m, rtol: T.kernelTolerance, "dw \(label)")
        // Loss alone (dw NULL): the same forward, the same bits.
        let (M, N, K) = (Int64(m), Int64(p.n), Int64(p.k))
        let count = T.chainObjectiveScratch(M, N, K)
        var scratch = [T](repeating: 0, count: Int(count))
        var lossOnly = Double.nan
        #expect(T.chainObjective(&lossOnly, nil, &scratch, a, w, p.cols, p.tptr, p.tlink, M, N, K, count) == kernelOK)
        #expect(lossOnly == got.loss, "loss without gradient \(label)")
    }

    /// Chord patterns: N below one block (2, 3, 5), one and several blocks (64, 100; float blocks
    /// are 64 columns, double blocks 32), a last block of one column (257); M = 1 (the product is
    /// W₁ scattered), 2 and ⌈log2 N⌉.
    @Test(arguments: [2, 3, 5, 64, 100, 257])
    func matchesTheReferenceChain(n: Int) {
        for m in Set([1, 2, ceilLog2(n)]).sorted() {
            check(Double.self, pattern: .chord(n: n), m: m, seed: UInt64(n * 100 + m))
            check(Float.self, pattern: .chord(n: n), m: m, seed: UInt64(n * 100 + m))
        }
    }

    /// Uneven in-degree (some columns get no link, others several) takes the general transpose,
    /// and a row may link to one column twice.
    @Test func matchesTheReferenceOnArbitraryPatterns() {
        var rng = TestRNG(seed: 77)
        let patterns = [TestPattern.random(n: 2, k: 1, rng: &rng), .random(n: 7, k: 3, rng: &rng),
                        .random(n: 70, k: 5, rng: &rng), .random(n: 131, k: 9, rng: &rng),
                        TestPattern(n: 6, k: 2, cols: [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5])]
        for (index, p) in patterns.enumerated() {
            for m in [1, 2, 4] {
                check(Double.self, pattern: p, m: m, seed: UInt64(index * 10 + m))
                check(Float.self, pattern: p, m: m, seed: UInt64(index * 10 + m))
            }
        }
    }

    /// Loss and gradient are bit-identical for 1, 2 and 3 threads (sizes past the parallel
    /// threshold; the column chunks do not depend on the thread count).
    func checkThreadCounts<T: TestScalar>(_: T.Type) {
        var rng = TestRNG(seed: 5)
        for (p, m) in [(TestPattern.chord(n: 257), 9), (.chord(n: 512), 4), (.random(n: 300, k: 6, rng: &rng), 5)] {
            let w: [T] = randomFactorValues(m * p.n * p.k, k: p.k, rng: &rng)
            let a: [T] = randomArray(p.n * p.n, rng: &rng)
            let zero = [T](repeating: 0, count: w.count)
            var results: [(loss: Double, dw: [T])] = []
            for threads in [1, 2, 3] {
                sf_set_num_threads(Int32(threads))
                defer { sf_set_num_threads(0) }
                results.append(fast(pattern: p, m: m, w: w, a: a, dw0: zero))
            }
            for (index, threads) in [(1, 2), (2, 3)] {
                #expect(results[index].loss == results[0].loss, "loss \(T.self) N=\(p.n), \(threads) threads vs 1")
                expectSameBits(results[index].dw, results[0].dw, "dw \(T.self) N=\(p.n), \(threads) threads vs 1")
            }
        }
    }

    @Test func resultsDoNotDependOnThreadCount() {
        checkThreadCounts(Double.self)
        checkThreadCounts(Float.self)
    }

    /// Subnormal factor values (a fit from the exact diagonal start makes them) count as zero: the loss and
    /// gradient are those of the chain with them cleared, bit for bit, and the caller's floating-point
    /// mode comes back unchanged. The case: W1 = I, every value of W2 subnormal, A = 0, so P = W2 and
    /// dL/dW2 = W1ᵀ(P − A) = P would be subnormal, not 0, if the kernel computed with them.
    @Test func subnormalValuesCountAsZeroAndTheModeIsRestored() {
        let p = TestPattern.chord(n: 64)
        let nk = p.n * p.k
        var w = [Double](repeating: 0, count: 2 * nk)
        for i in 0..<p.n { for l in 0..<p.k where p.cols[i * p.k + l] == Int64(i) { w[i * p.k + l] = 1 } }
        var cleared = w
        for index in nk..<(2 * nk) { w[index] = Double.leastNonzeroMagnitude * Double(index % 97 + 1) }
        #expect(w[nk...].allSatisfy { $0.isSubnormal })
        let a = [Double](repeating: 0, count: p.n * p.n)
        let zero = [Double](repeating: 0, count: w.count)
        let got = fast(pattern: p, m: 2, w: w, a: a, dw0: zero)
        let want = fast(pattern: p, m: 2, w: cleared, a: a, dw0: zero)
        #expect(got.loss == 0 && want.loss == 0)
        expectSameBits(got.dw, want.dw, "dw with subnormal values against them cleared")
        #expect(got.dw.allSatisfy { $0 == 0 })
        cleared[0] = Double(p.n)          // not a constant the compiler could fold with the division below
        #expect((Double.leastNormalMagnitude / cleared[0]).isSubnormal, "the caller's mode keeps subnormals after the kernel")
    }

    /// Bad sizes, missing buffers and short scratch give SF_ERR_ARGUMENT and write nothing.
    @Test func refusesBadArguments() {
        let p = TestPattern.chord(n: 4)   // K = 3
        let (M, N, K): (Int64, Int64, Int64) = (2, 4, 3)
        let w = [Double](repeating: 0.5, count: 24), a = [Double](repeating: 1, count: 16)
        let count = sf_chain_objective_scratch_f64(M, N, K)
        #expect(count > 0)
        for (m, n, k) in [(0, 4, 3), (2, 0, 3), (2, 4, 0), (-1, 4, 3), (2, 4, Int64(1) << 40)] as [(Int64, Int64, Int64)] {
            #expect(sf_chain_objective_scratch_f64(m, n, k) == 0, "scratch size for M=\(m) N=\(n) K=\(k)")
            #expect(sf_chain_objective_scratch_f32(m, n, k) == 0, "float scratch size for M=\(m) N=\(n) K=\(k)")
        }
        var scratch = [Double](repeating: 0, count: Int(count))
        var loss = 42.0
        var dw = [Double](repeating: 42, count: 24)
        for (m, n, k) in [(0, 4, 3), (2, 0, 3), (2, 4, 0)] as [(Int64, Int64, Int64)] {
            #expect(sf_chain_objective_f64(&loss, &dw, &scratch, a, w, p.cols, p.tptr, p.tlink, m, n, k, count) == kernelArgumentError)
        }
        // Scratch one short of the query.
        #expect(sf_chain_objective_f64(&loss, &dw, &scratch, a, w, p.cols, p.tptr, p.tlink, M, N, K, count - 1) == kernelArgumentError)
        // Missing buffers (dw may be NULL: that is the loss alone).
        #expect(sf_chain_objective_f64(nil, &dw, &scratch, a, w, p.cols, p.tptr, p.tlink, M, N, K, count) == kernelArgumentError)
        #expect(sf_chain_objective_f64(&loss, &dw, nil, a, w, p.cols, p.tptr, p.tlink, M, N, K, count) == kernelArgumentError)
        #expect(sf_chain_objective_f64(&loss, &dw, &scratch, nil, w, p.cols, p.tptr, p.tlink, M, N, K, count) == kernelArgumentError)
        #expect(sf_chain_objective_f64(&loss, &dw, &scratch, a, nil, p.cols, p.tptr, p.tlink, M, N, K, count) == kernelArgumentError)
        #expect(sf_chain_objective_f64(&loss, &dw, &scratch, a, w, nil, p.tptr, p.tlink, M, N, K, count) == kernelArgumentError)
        #expect(sf_chain_objective_f64(&loss, &dw, &scratch, a, w, p.cols, nil, p.tlink, M, N, K, count) == kernelArgumentError)
        #expect(sf_chain_objective_f64(&loss, &dw, &scratch, a, w, p.cols, p.tptr, nil, M, N, K, count) == kernelArgumentError)
        #expect(loss == 42)
        #expect(dw.allSatisfy { $0 == 42 })
        // And the valid call works.
        #expect(sf_chain_objective_f64(&loss, &dw, &scratch, a, w, p.cols, p.tptr, p.tlink, M, N, K, count) == kernelOK)
        #expect(loss != 42)
    }
}
