import CSparseFactorKernels
import CSparseFactorReference
import func SparseFactorTestSupport.expectSameBits
import Testing

/// Chains of M factors: fast forward / transpose / backward against the references.
/// The reference chain transpose is the reference factor transpose applied W_1ᵀ first.
@Suite struct ChainKernelTests {
    static let sizes = [2, 3, 1000, 1023, 1024, 2000, 4097]

    @Test(arguments: sizes) func floatChainKernelsMatchReference(n: Int) {
        checkAllShapes(Float.self, n: n)
    }

    @Test(arguments: sizes) func doubleChainKernelsMatchReference(n: Int) {
        checkAllShapes(Double.self, n: n)
    }

    /// M = 1 (no activations), 2 (one scratch block) and 3 (ping-pong) on small and arbitrary
    /// patterns, with channel counts outside the main grid (see FactorKernelTests).
    @Test func shortChainsAndArbitraryPatterns() {
        var rng = TestRNG(seed: 5)
        let patterns = [TestPattern.chord(n: 9), .random(n: 2, k: 1, rng: &rng), .random(n: 31, k: 4, rng: &rng)]
        for (index, pattern) in patterns.enumerated() {
            for m in 1...3 {
                for (b, shared) in [(1, true), (3, true), (3, false)] {
                    for c in [5, 67, 300] {
                        let seed = UInt64(index * 10000 + m * 1000 + c * 10 + b)
                        checkChain(Float.self, pattern: pattern, m: m, b: b, c: c, shared: shared, seed: seed)
                        checkChain(Double.self, pattern: pattern, m: m, b: b, c: c, shared: shared, seed: seed)
                    }
                }
            }
        }
    }

    /// Wide blocks (C = 300 ≥ SF_BAND_MIN_CHANNELS) at a size that runs on several threads.
    @Test func wideBlocksOnALargePattern() {
        let pattern = TestPattern.chord(n: 2000)
        for (b, shared) in [(1, true), (3, true), (3, false)] {
            checkChain(Float.self, pattern: pattern, m: 3, b: b, c: 300, shared: shared, seed: UInt64(b))
            checkChain(Double.self, pattern: pattern, m: 3, b: b, c: 300, shared: shared, seed: UInt64(b))
        }
    }

    /// The banded forward chain reads a cyclic pattern (row i's links at (i + offset) mod N, the
    /// same offsets on every row) without its column index. Patterns that are cyclic with other
    /// offsets, cyclic but for one entry, or not cyclic at all must give the oracle's values too,
    /// on blocks (N·C past 1 MiB) that take the banded path.
    @Test func bandedChainOnCyclicAndNearlyCyclicPatterns() {
        let n = 1500
        let offsets = [0, 7, 1499, 300, 750]
        var cyclic: [Int64] = []
        for i in 0..<n { for o in offsets { cyclic.append(Int64((i + o) % n)) } }
        var nearly = cyclic
        nearly[(n - 3) * offsets.count + 2] = 5            // one link of row N-3 moved
        var firstRow = cyclic
        firstRow[1] = 9                                     // row 0 disagrees with the rest
        var rng = TestRNG(seed: 11)
        let patterns = [TestPattern(n: n, k: offsets.count, cols: cyclic),
                        TestPattern(n: n, k: offsets.count, cols: nearly),
                        TestPattern(n: n, k: offsets.count, cols: firstRow),
                        .random(n: n, k: 5, rng: &rng)]
        for (index, pattern) in patterns.enumerated() {
            checkChain(Double.self, pattern: pattern, m: 3, b: 2, c: 100, shared: index % 2 == 0, seed: UInt64(index))
            checkChain(Float.self, pattern: pattern, m: 3, b: 2, c: 200, shared: index % 2 == 1, seed: UInt64(index))
        }
    }

    func checkAllShapes<T: TestScalar>(_: T.Type, n: Int) {
        let pattern = TestPattern.chord(n: n)
        for c in [1, 8, 64] {
            for b in [1, 3] {
                for shared in [true, false] {
                    checkChain(T.self, pattern: pattern, m: ceilLog2(n), b: b, c: c, shared: shared,
                               seed: UInt64(n * 1000 + c * 10 + b))
                }
            }
        }
    }

    func checkChain<T: TestScalar>(_: T.Type, pattern p: TestPattern, m: Int, b: Int, c: Int, shared: Bool, seed: UInt64) {
        let (n, k) = (p.n, p.k)
        let label = "\(T.self) N=\(n) K=\(k) M=\(m) C=\(c) B=\(b) \(shared ? "shared" : "per-item")"
        var rng = TestRNG(seed: seed)
        let block = b * n * c
        let chainSize = m * n * k
        let stride = shared ? 0 : chainSize
        let w: [T] = randomFactorValues(shared ? chainSize : b * chainSize, k: k, rng: &rng)
        let x: [T] = randomArray(block, rng: &rng)
        let dy: [T] = randomArray(block, rng: &rng)
        let dx0: [T] = randomArray(block, rng: &rng)
        let dw0: [T] = randomArray(w.count, rng: &rng)
        let (B, M, N, K, C, S) = (Int64(b), Int64(m), Int64(n), Int64(k), Int64(c), Int64(stride))

        // Forward, with the activations the backward pass needs (none when M = 1).
        var y = [T](repeating: .nan, count: block)
        var acts = [T](repeating: .nan, count: (m - 1) * block)
        var yRef = [T](repeating: .nan, count: block)
        var actsRef = [T](repeating: .nan, count: (m - 1) * block)
        #expect(T.chainForward(&y, &acts, w, x, p.cols, B, M, N, K, C, S) == kernelOK)
        #expect(T.refChainForward(&yRef, &actsRef, w, x, p.cols, B, M, N, K, C, S) == kernelOK)
        expectClose(y, yRef, chunks: b, "chain forward \(label)")
        if m > 1 { expectClose(acts, actsRef, chunks: (m - 1) * b, "chain activations \(label)") }

        // Without a tape the kernel ping-pongs through scratch: same arithmetic, same bits.
        var yNoTape = [T](repeating: .nan, count: block)
        #expect(T.chainForward(&yNoTape, nil, w, x, p.cols, B, M, N, K, C, S) == kernelOK)
        expectSameBits(yNoTape, y, "chain forward without activations \(label)")

        // Transpose: W_Mᵀ ⋯ W_1ᵀ x, the oracle built from the reference factor transpose.
        var yt = [T](repeating: .nan, count: block)
        #expect(T.chainTransposeForward(&yt, w, x, p.tptr, p.tlink, B, M, N, K, C, S) == kernelOK)
        var ytRef = x
        for factor in 0..<m {
            var out = [T](repeating: .nan, count: block)
            let wm = Array(factorValues(w, factor: factor, chainSize: chainSize, factorSize: n * k, items: shared ? 1 : b))
            #expect(T.refFactorTransposeForward(&out, wm, ytRef, p.cols, B, N, K, C, shared ? 0 : Int64(n * k)) == kernelOK)
            ytRef = out
        }
        expectClose(yt, ytRef, chunks: b, "chain transpose \(label)")

        // Backward, accumulating into non-zero gradients.
        var dx = dx0, dw = dw0, dxRef = dx0, dwRef = dw0
        #expect(T.chainBackward(&dx, &dw, dy, acts, w, x, p.cols, p.tptr, p.tlink, B, M, N, K, C, S) == kernelOK)
        #expect(T.refChainBackward(&dxRef, &dwRef, dy, actsRef, w, x, p.cols, B, M, N, K, C, S) == kernelOK)
        expectClose(dx, dxRef, chunks: b, "chain backward dx \(label)")
        expectClose(dw, dwRef, chunks: (shared ? 1 : b) * m, "chain backward dw \(label)")

        // dx not wanted: the value gradient is unchanged.
        var dwOnly = dw0
        #expect(T.chainBackward(nil, &dwOnly, dy, acts, w, x, p.cols, p.tptr, p.tlink, B, M, N, K, C, S) == kernelOK)
        expectSameBits(dwOnly, dw, "chain backward without dx \(label)")
    }

    /// The values of factor `factor` (0-based) of every item, packed item after item.
    func factorValues<T>(_ w: [T], factor: Int, chainSize: Int, factorSize: Int, items: Int) -> [T] {
        var out: [T] = []
        for item in 0..<items {
            let start = item * chainSize + factor * factorSize
            out += w[start..<(start + factorSize)]
        }
        return out
    }
}
