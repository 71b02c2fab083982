import CSparseFactorKernels
import CSparseFactorReference
import Testing

/// ChordMixer's track rotation (rotation_kernels.c) against its naive reference: exact (it only
/// moves floats), for any thread count, the backward accumulating the transpose.
@Suite(.serialized) struct RotationKernelTests {
    @Test(arguments: [(1, 8, 6, 2), (3, 37, 13, 4), (2, 1, 5, 1), (2, 1000, 40, 4), (1, 5, 64, 3)])
    func rotationMatchesReference(batch: Int, n: Int, d: Int, track: Int) {
        var rng = TestRNG(seed: UInt64(n * d))
        let x: [Float] = randomArray(batch * n * d, rng: &rng)
        let dy: [Float] = randomArray(batch * n * d, rng: &rng)
        let start: [Float] = randomArray(batch * n * d, rng: &rng)
        for threads: Int32 in [1, 2, 3] {
            sf_set_num_threads(threads)
            defer { sf_set_num_threads(0) }
            var fast = [Float](repeating: .nan, count: x.count), ref = fast
            #expect(sf_chord_rotate_forward_f32(&fast, x, Int64(batch), Int64(n), Int64(d), Int64(track)) == kernelOK)
            #expect(sf_ref_chord_rotate_forward_f32(&ref, x, Int64(batch), Int64(n), Int64(d), Int64(track)) == kernelOK)
            expectIdentical(fast, ref, "forward B \(batch) N \(n) D \(d) track \(track), \(threads) threads")
            var dFast = start, dRef = start
            #expect(sf_chord_rotate_backward_f32(&dFast, dy, Int64(batch), Int64(n), Int64(d), Int64(track)) == kernelOK)
            #expect(sf_ref_chord_rotate_backward_f32(&dRef, dy, Int64(batch), Int64(n), Int64(d), Int64(track)) == kernelOK)
            expectIdentical(dFast, dRef, "backward B \(batch) N \(n) D \(d) track \(track), \(threads) threads")
        }
    }

    @Test func badArgumentsAreRefused() {
        var out = [Float](repeating: 7, count: 8)
        let x = [Float](repeating: 1, count: 8)
        #expect(sf_chord_rotate_forward_f32(&out, x, 1, 4, 2, 0) != kernelOK)
        #expect(sf_chord_rotate_forward_f32(&out, x, 0, 4, 2, 1) != kernelOK)
        #expect(sf_chord_rotate_backward_f32(&out, x, Int64.max, 4, 2, 1) != kernelOK)
        #expect(sf_chord_rotate_forward_f32(nil, x, 1, 4, 2, 1) != kernelOK)
        #expect(out == [Float](repeating: 7, count: 8), "nothing written on error")
    }
}
