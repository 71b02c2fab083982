import SparseFactorCore
import SparseFactorTestSupport
import Testing

/// Results are bit-identical for 1, 2 and 3 threads. The sizes are large enough to cross the
/// kernels' parallel threshold (2000 rows × 12 links × 64 channels ≫ 32768 multiply-adds).
/// Serialized because the thread count is process-wide; it is reset to the default after.
@Suite(.serialized) struct ThreadCountTests {
    /// Every output of the chain API, computed with the given thread count.
    func everything<T: KernelScalar>(_: T.Type, threads: Int) throws -> [[T]] {
        // No assertion on the count itself: another suite (NNKernelTests) may set it concurrently,
        // which changes nothing in the results but would make such an assertion flaky.
        Parallelism.threads = threads
        defer { Parallelism.threads = nil }

        let t = try ChordTopology(size: 2000)
        let chain: FactorChain<T> = try randomChain(t, seed: 1)
        let x: MatrixBatch<T> = try randomBatch(count: 2, rows: 2000, columns: 64, seed: 2)
        let g: MatrixBatch<T> = try randomBatch(count: 2, rows: 2000, columns: 64, seed: 3)
        let shared = try chain.backward(chain.forward(x), outputGradient: g)

        let m = t.defaultFactorCount
        let chains = try FactorChainBatch<T>(topology: t, count: 2,
                                             values: randomValues(2 * m * t.nonzerosPerFactor, scale: 0.5, seed: 4))
        let tape = try chains.forward(x)
        let perItem = try chains.backward(tape, outputGradient: g)
        return [try chain.apply(x).values, try chain.applyTransposed(x).values, shared.input.values, shared.values,
                tape.output.values, try chains.applyTransposed(x).values, perItem.input.values, perItem.values]
    }

    static let outputNames = ["chain forward", "chain transpose", "chain dL/dX", "chain dL/dvalues",
                              "batch forward", "batch transpose", "batch dL/dX", "batch dL/dvalues"]

    func check<T: KernelScalar>(_: T.Type) throws {
        let one = try everything(T.self, threads: 1)
        for threads in [2, 3] {
            let many = try everything(T.self, threads: threads)
            for (index, name) in Self.outputNames.enumerated() {
                expectSameBits(many[index], one[index], "\(T.self) \(name), \(threads) threads vs 1")
            }
        }
    }

    @Test func floatResultsDoNotDependOnThreadCount() throws { try check(Float.self) }

    @Test func doubleResultsDoNotDependOnThreadCount() throws { try check(Double.self) }
}
