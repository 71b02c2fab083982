import SparseFactorCore
@testable import SparseFactorFitting
import SparseFactorTestSupport
import Testing

/// The fitting objective gives bit-identical results for 1, 2 and 3 threads.
/// Serialized because the thread count is process-wide; it is reset to the default after.
@Suite(.serialized) struct FitThreadCountTests {
    /// The fitting objective: its kernel splits the columns into chunks fixed by N alone.
    /// Both precisions.
    @Test(arguments: FitPrecision.allCases)
    func objectiveDoesNotDependOnThreadCount(precision: FitPrecision) throws {
        let t = try ChordTopology(size: 300)
        let chain: FactorChain<Double> = try randomChain(t, seed: 6)
        let objective = try FactorizationObjective(target: try randomMatrix(300, seed: 7), topology: t, precision: precision)
        func evaluate(threads: Int) throws -> (loss: Double, gradient: [Double]) {
            Parallelism.threads = threads
            defer { Parallelism.threads = nil }
            var gradient: [Double] = []
            let loss = try objective.evaluate(chain.values, gradient: &gradient)
            return (loss, gradient)
        }
        let one = try evaluate(threads: 1)
        for threads in [2, 3] {
            let many = try evaluate(threads: threads)
            #expect(many.loss == one.loss, "\(precision) objective loss, \(threads) threads vs 1")
            expectSameBits(many.gradient, one.gradient, "\(precision) objective gradient, \(threads) threads vs 1")
        }
    }
}
