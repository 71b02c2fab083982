import SparseFactorCore
import SparseFactorFitting
import SparseFactorTestSupport
import Testing

/// The objective and a whole fit with their work split over 1, 2, 3 and 5 ranks (threads standing in
/// for processes, ``ThreadRanks``) give bit for bit what one process gives: every rank computes its
/// share of the kernel's column chunks, and the chunks are added in chunk order on every rank.
/// Serialized: the kernels run one thread per rank, and the thread count is process-wide.
@Suite(.serialized) struct FitProcessGroupTests {
    @Test(arguments: FitPrecision.allCases)
    func objectiveIsTheSameForAnyNumberOfRanks(precision: FitPrecision) throws {
        Parallelism.threads = 1
        defer { Parallelism.threads = nil }
        for n in [40, 300] {   // 2 and 8 chunks (float: 1 and 5): some ranks get none
            let t = try ChordTopology(size: n)
            let chain: FactorChain<Double> = try randomChain(t, seed: 6)
            let target = try randomMatrix(n, seed: 7)
            let whole = try FactorizationObjective(target: target, topology: t, precision: precision)
            var expected: [Double] = []
            let expectedLoss = try whole.evaluate(chain.values, gradient: &expected)
            for size in [1, 2, 3, 5] {
                let results = try ThreadRanks.run(size: size) { group in
                    let objective = try FactorizationObjective(target: target, topology: t, precision: precision)
                    var gradient: [Double] = []
                    let loss = try objective.evaluate(chain.values, gradient: &gradient, group: group)
                    return (loss, gradient)
                }
                for (rank, (loss, gradient)) in results.enumerated() {
                    #expect(loss == expectedLoss, "\(precision) N=\(n): loss of rank \(rank) of \(size)")
                    expectSameBits(gradient, expected, "\(precision) N=\(n): gradient of rank \(rank) of \(size)")
                }
            }
        }
    }

    @Test func chunksOfOneRankAreOnlyItsShare() throws {
        // With 8 chunks over 3 ranks the shares are 0..<2, 2..<5, 5..<8: every chunk once, in order.
        let shares = try ThreadRanks.run(size: 3) { group in group.pieces(8) }
        #expect(shares == [0..<2, 2..<5, 5..<8])
        #expect(SingleProcess().counts(8, each: 10) == [80])
        let counts = try ThreadRanks.run(size: 3) { group in group.counts(8, each: 10) }
        #expect(counts[0] == [20, 30, 30])
    }

    @Test(arguments: [FitAlgorithm.lbfgs, .adam])
    func fitIsTheSameForAnyNumberOfRanks(optimizer: FitAlgorithm) throws {
        Parallelism.threads = 1
        defer { Parallelism.threads = nil }
        let a = try randomMatrix(100, seed: 12)
        var options = FitOptions()
        options.optimizer = optimizer
        options.maxIterations = 25
        options.seed = 3
        let alone = try fitFactors(a, options: options)
        let split = try ThreadRanks.run(size: 3) { [options] group in
            let fit = try fitFactors(a, options: options, group: group)
            return (fit.chain.values, fit.relativeError, fit.iterations)
        }
        for (rank, (values, error, iterations)) in split.enumerated() {
            expectSameBits(values, alone.chain.values, "\(optimizer) factors of rank \(rank) of 3")
            #expect(error == alone.relativeError && iterations == alone.iterations)
        }
        #expect(alone.relativeError < alone.history[0].relativeError)   // the fit moved
    }

    @Test(arguments: [FitAlgorithm.adam, .lbfgs])
    func matrixFreeFitIsTheSameForAnyNumberOfRanks(optimizer: FitAlgorithm) throws {
        Parallelism.threads = 1
        defer { Parallelism.threads = nil }
        let a = try SparseMatrix(dense: randomMatrix(90, seed: 21))
        var options = FitOptions()
        options.optimizer = optimizer
        options.maxIterations = 12
        var probing = MatrixFreeOptions()
        probing.probes = 70   // blocks of 32, 32 and 6 columns
        let alone = try fitFactors(operator: a, options: options, matrixFree: probing)
        for size in [2, 3] {
            let split = try ThreadRanks.run(size: size) { [options, probing] group in
                try fitFactors(operator: a, options: options, matrixFree: probing, group: group).fit.chain.values
            }
            for (rank, values) in split.enumerated() {
                expectSameBits(values, alone.fit.chain.values, "matrix-free \(optimizer) factors of rank \(rank) of \(size)")
            }
        }
        #expect(alone.fit.iterations >= 1)
    }

    @Test func aGroupWithWrongCountsIsRefused() throws {
        #expect(throws: SparseFactorError.self) { _ = try SingleProcess().allGather([1.0, 2.0], counts: [3]) }
    }
}
