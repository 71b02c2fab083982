import CSparseFactorKernels
import CSparseFactorReference
import Testing

/// sf_gemm splits its output into fixed blocks (rows, or columns when there are few rows) and
/// hands them to our threads, one single-threaded cblas call per block (dense.c). These tests check
/// the block offsets against a naive triple loop, for every transpose combination and both split
/// directions, and that 1 and 2 threads give the same bits. Serialized: the thread count is process-wide.
@Suite(.serialized) struct GemmKernelTests {
    /// c = alpha·op(a)·op(b) + beta·c in Double, from the row-major layouts of the header.
    func naiveGemm(_ c: [Double], _ a: [Double], _ b: [Double], transA: Bool, transB: Bool,
                   m: Int, n: Int, k: Int, alpha: Double, beta: Double) -> [Double] {
        var out = c
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for p in 0..<k {
                    let x = transA ? a[p * m + i] : a[i * k + p]
                    let y = transB ? b[j * k + p] : b[p * n + j]
                    sum += x * y
                }
                out[i * n + j] = alpha * sum + beta * c[i * n + j]
            }
        }
        return out
    }

    /// Shapes: many rows (row blocks, uneven last block), many columns (column blocks), and one
    /// below the parallel threshold. All but the last cross sf_parallel_rows' threshold.
    static let shapes: [(m: Int, n: Int, k: Int)] = [(1000, 20, 33), (19, 1000, 17), (130, 7, 5)]

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func floatGemmMatchesNaiveAndIgnoresThreadCount(transA: Bool, transB: Bool) {
        for (m, n, k) in Self.shapes {
            var rng = TestRNG(seed: UInt64(m * 7 + n * 3 + k + (transA ? 100 : 0) + (transB ? 200 : 0)))
            let a: [Float] = randomArray(m * k, rng: &rng), b: [Float] = randomArray(k * n, rng: &rng)
            let c0: [Float] = randomArray(m * n, rng: &rng)
            func run(_ threads: Int32) -> [Float] {
                sf_set_num_threads(threads)
                defer { sf_set_num_threads(0) }
                var c = c0
                #expect(sf_gemm_f32(&c, a, b, transA ? 1 : 0, transB ? 1 : 0, Int64(m), Int64(n), Int64(k), 1.5, 0.5) == kernelOK)
                return c
            }
            let one = run(1), two = run(2)
            let what = "sgemm \(m)x\(n)x\(k) transA \(transA) transB \(transB)"
            expectIdentical(two, one, "\(what), 2 threads vs 1")
            let want = naiveGemm(c0.map(Double.init), a.map(Double.init), b.map(Double.init), transA: transA, transB: transB,
                                 m: m, n: n, k: k, alpha: 1.5, beta: 0.5)
            expectClose(one, want.map { Float($0) }, rtol: 1e-5, what)
        }
    }

    @Test(arguments: [(false, false), (true, true)])
    func doubleGemmMatchesNaiveAndIgnoresThreadCount(transA: Bool, transB: Bool) {
        for (m, n, k) in Self.shapes {
            var rng = TestRNG(seed: UInt64(m + n + k + (transA ? 1 : 0)))
            let a: [Double] = randomArray(m * k, rng: &rng), b: [Double] = randomArray(k * n, rng: &rng)
            let c0: [Double] = randomArray(m * n, rng: &rng)
            func run(_ threads: Int32) -> [Double] {
                sf_set_num_threads(threads)
                defer { sf_set_num_threads(0) }
                var c = c0
                #expect(sf_gemm_f64(&c, a, b, transA ? 1 : 0, transB ? 1 : 0, Int64(m), Int64(n), Int64(k), -0.75, 1) == kernelOK)
                return c
            }
            let one = run(1), two = run(2)
            let what = "dgemm \(m)x\(n)x\(k) transA \(transA) transB \(transB)"
            #expect(one.map(\.bitPattern) == two.map(\.bitPattern), "\(what): 2 threads differ from 1")
            let want = naiveGemm(c0, a, b, transA: transA, transB: transB, m: m, n: n, k: k, alpha: -0.75, beta: 1)
            expectClose(one, want, rtol: 1e-12, what)
        }
    }
}
