import CSparseFactorKernels
import CSparseFactorReference
import Testing

/// Bad sizes and missing buffers give SF_ERR_ARGUMENT and leave the outputs untouched.
@Suite struct KernelArgumentTests {
    let pattern = TestPattern.chord(n: 4)   // K = 3
    let sentinel: Double = 42

    @Test func factorKernelsRefuseBadSizes() {
        let p = pattern
        let w = [Double](repeating: 1, count: 12), x = [Double](repeating: 1, count: 8)
        var y = [Double](repeating: sentinel, count: 8)
        for (b, n, k, c, s) in [(0, 4, 3, 2, 0), (1, 0, 3, 2, 0), (1, 4, 0, 2, 0), (1, 4, 3, 0, 0), (1, 4, 3, 2, -1)] as [(Int64, Int64, Int64, Int64, Int64)] {
            #expect(sf_factor_forward_f64(&y, w, x, p.cols, b, n, k, c, s) == kernelArgumentError)
            #expect(sf_factor_transpose_forward_f64(&y, w, x, p.tptr, p.tlink, b, n, k, c, s) == kernelArgumentError)
            #expect(sf_ref_factor_forward_f64(&y, w, x, p.cols, b, n, k, c, s) == kernelArgumentError)
        }
        #expect(y.allSatisfy { $0 == sentinel })
    }

    @Test func factorKernelsRefuseMissingBuffers() {
        let p = pattern
        let w = [Float](repeating: 1, count: 12), x = [Float](repeating: 1, count: 8), dy = x
        var y = [Float](repeating: Float(sentinel), count: 8)
        var dw = [Float](repeating: Float(sentinel), count: 12)
        #expect(sf_factor_forward_f32(&y, w, x, nil, 1, 4, 3, 2, 0) == kernelArgumentError)
        #expect(sf_factor_forward_f32(nil, w, x, p.cols, 1, 4, 3, 2, 0) == kernelArgumentError)
        #expect(sf_factor_transpose_forward_f32(&y, w, x, p.tptr, nil, 1, 4, 3, 2, 0) == kernelArgumentError)
        // dx wanted without the transposed index; dw wanted without x.
        #expect(sf_factor_backward_f32(&y, nil, dy, w, x, p.cols, nil, nil, 1, 4, 3, 2, 0) == kernelArgumentError)
        #expect(sf_factor_backward_f32(nil, &dw, dy, w, nil, p.cols, nil, nil, 1, 4, 3, 2, 0) == kernelArgumentError)
        #expect(y.allSatisfy { $0 == Float(sentinel) })
        #expect(dw.allSatisfy { $0 == Float(sentinel) })
    }

    @Test func chainKernelsRefuseBadSizes() {
        let p = pattern
        let w = [Double](repeating: 1, count: 2 * 2 * 12), x = [Double](repeating: 1, count: 2 * 8)
        var y = [Double](repeating: sentinel, count: 16)
        var acts = [Double](repeating: sentinel, count: 16)
        var dw = [Double](repeating: sentinel, count: w.count)
        // M = 0.
        #expect(sf_chain_forward_f64(&y, &acts, w, x, p.cols, 2, 0, 4, 3, 2, 0) == kernelArgumentError)
        // A per-item stride shorter than one chain (M·N·K = 24) would overlap the items.
        #expect(sf_chain_forward_f64(&y, &acts, w, x, p.cols, 2, 2, 4, 3, 2, 12) == kernelArgumentError)
        #expect(sf_chain_transpose_forward_f64(&y, w, x, p.tptr, p.tlink, 2, 2, 4, 3, 2, 12) == kernelArgumentError)
        // Backward of a chain of M > 1 needs the activations.
        #expect(sf_chain_backward_f64(&y, &dw, x, nil, w, x, p.cols, p.tptr, p.tlink, 2, 2, 4, 3, 2, 0) == kernelArgumentError)
        #expect(y.allSatisfy { $0 == sentinel })
        #expect(acts.allSatisfy { $0 == sentinel })
        #expect(dw.allSatisfy { $0 == sentinel })
    }

    @Test func gemmRefusesEmptySizes() {
        let a = [Double](repeating: 1, count: 4)
        var c = [Double](repeating: sentinel, count: 4)
        #expect(sf_gemm_f64(&c, a, a, 0, 0, 0, 2, 2, 1, 0) == kernelArgumentError)
        #expect(c.allSatisfy { $0 == sentinel })
        // And a real product, by hand: [[1,2],[3,4]]ᵀ · [[1,0],[1,1]] = [[4,3],[6,4]].
        #expect(sf_gemm_f64(&c, [1, 2, 3, 4], [1, 0, 1, 1], 1, 0, 2, 2, 2, 1, 0) == kernelOK)
        #expect(c == [4, 3, 6, 4])
    }
}
