import CSparseFactorKernels
import CSparseFactorReference
import func SparseFactorTestSupport.expectSameBits
import Testing

/// One factor's fast kernels (forward, transpose, backward) against the naive references.
@Suite struct FactorKernelTests {
    static let sizes = [2, 3, 1000, 1023, 1024, 2000, 4097]

    @Test(arguments: sizes) func floatFactorKernelsMatchReference(n: Int) {
        checkAllShapes(Float.self, pattern: .chord(n: n), seed: UInt64(n))
    }

    @Test(arguments: sizes) func doubleFactorKernelsMatchReference(n: Int) {
        checkAllShapes(Double.self, pattern: .chord(n: n), seed: UInt64(n))
    }

    /// Channel counts beyond the {1, 8, 64} grid reach the other code paths: 67 (a full tile
    /// plus a tail), 100 and 300 (the dot product's 4-vector, 1-vector and scalar remainders),
    /// and 300 ≥ SF_BAND_MIN_CHANNELS, the banded sweep with a partial last band (taken when a
    /// band of N rows fits SF_BAND_MAX_BYTES: every pattern here but Double at N = 2000, which
    /// keeps the row-by-row path). On arbitrary patterns too: rows that repeat a column,
    /// columns with no link at all.
    @Test func otherChannelCountsAndArbitraryPatterns() {
        var rng = TestRNG(seed: 99)
        let patterns = [TestPattern.chord(n: 2000), .random(n: 2, k: 1, rng: &rng), .random(n: 5, k: 7, rng: &rng),
                        .random(n: 777, k: 5, rng: &rng)]
        for (index, pattern) in patterns.enumerated() {
            for c in [67, 100, 300] {
                for (b, shared) in [(1, true), (3, true), (3, false)] {
                    let seed = UInt64(index * 1000 + c * 10 + b)
                    checkFactor(Float.self, pattern: pattern, b: b, c: c, shared: shared, seed: seed)
                    checkFactor(Double.self, pattern: pattern, b: b, c: c, shared: shared, seed: seed)
                }
            }
        }
    }

    func checkAllShapes<T: TestScalar>(_: T.Type, pattern: TestPattern, seed: UInt64) {
        for c in [1, 8, 64] {
            for b in [1, 3] {
                for shared in [true, false] {
                    checkFactor(T.self, pattern: pattern, b: b, c: c, shared: shared, seed: seed &* 1000 &+ UInt64(c * 10 + b))
                }
            }
        }
    }

    func checkFactor<T: TestScalar>(_: T.Type, pattern p: TestPattern, b: Int, c: Int, shared: Bool, seed: UInt64) {
        let (n, k) = (p.n, p.k)
        let label = "\(T.self) N=\(n) K=\(k) C=\(c) B=\(b) \(shared ? "shared" : "per-item")"
        var rng = TestRNG(seed: seed)
        let block = b * n * c
        let stride = shared ? 0 : n * k
        let w: [T] = randomFactorValues(shared ? n * k : b * n * k, k: k, rng: &rng)
        let x: [T] = randomArray(block, rng: &rng)
        let dy: [T] = randomArray(block, rng: &rng)
        // Backward accumulates: start both gradients from the same non-zero values.
        let dx0: [T] = randomArray(block, rng: &rng)
        let dw0: [T] = randomArray(w.count, rng: &rng)
        let (B, N, K, C, S) = (Int64(b), Int64(n), Int64(k), Int64(c), Int64(stride))

        // Forward: NaN-filled output, so an entry the kernel skips fails the comparison.
        var y = [T](repeating: .nan, count: block)
        var yRef = [T](repeating: .nan, count: block)
        #expect(T.factorForward(&y, w, x, p.cols, B, N, K, C, S) == kernelOK)
        #expect(T.refFactorForward(&yRef, w, x, p.cols, B, N, K, C, S) == kernelOK)
        expectClose(y, yRef, chunks: b, "forward \(label)")

        var yt = [T](repeating: .nan, count: block)
        var ytRef = [T](repeating: .nan, count: block)
        #expect(T.factorTransposeForward(&yt, w, x, p.tptr, p.tlink, B, N, K, C, S) == kernelOK)
        #expect(T.refFactorTransposeForward(&ytRef, w, x, p.cols, B, N, K, C, S) == kernelOK)
        expectClose(yt, ytRef, chunks: b, "transpose \(label)")

        var dx = dx0, dw = dw0, dxRef = dx0, dwRef = dw0
        #expect(T.factorBackward(&dx, &dw, dy, w, x, p.cols, p.tptr, p.tlink, B, N, K, C, S) == kernelOK)
        #expect(T.refFactorBackward(&dxRef, &dwRef, dy, w, x, p.cols, B, N, K, C, S) == kernelOK)
        expectClose(dx, dxRef, chunks: b, "backward dx \(label)")
        expectClose(dw, dwRef, chunks: shared ? 1 : b, "backward dw \(label)")

        // Each half alone (the other pointer NULL) is the same computation, so bit-identical.
        var dxOnly = dx0, dwOnly = dw0
        #expect(T.factorBackward(&dxOnly, nil, dy, w, nil, nil, p.tptr, p.tlink, B, N, K, C, S) == kernelOK)
        #expect(T.factorBackward(nil, &dwOnly, dy, w, x, p.cols, nil, nil, B, N, K, C, S) == kernelOK)
        expectSameBits(dxOnly, dx, "dx-only backward \(label)")
        expectSameBits(dwOnly, dw, "dw-only backward \(label)")
    }
}
