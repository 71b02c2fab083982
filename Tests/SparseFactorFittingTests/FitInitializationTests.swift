import SparseFactorCore
import SparseFactorFitting
import SparseFactorTestSupport
import Testing

// The diagonal initialization: it starts at diag(A) (checked against the matrix itself), and a fit from
// it never ends worse than the best diagonal, while the paper's start can end worse than that on a
// diagonally dominant matrix. Errors are those of the dense products of the returned factors.

@Suite struct FitInitializationTests {
    /// A 48×48 diagonally dominant matrix: diagonal entries in [2, 4), a small random off-diagonal part.
    static func dominant() throws -> Matrix<Double> {
        var rng = SeededGenerator(seed: 17)
        var a = try Matrix<Double>(rows: 48, columns: 48, values: (0..<(48 * 48)).map { _ in 0.05 * (2 * rng.nextUnit() - 1) })
        for i in 0..<48 { a[i, i] = 2 + 2 * rng.nextUnit() }
        return a
    }

    /// ‖A − P‖_F / ‖A‖_F.
    static func relativeError(_ a: Matrix<Double>, _ p: Matrix<Double>) -> Double {
        zip(a.values, p.values).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot() / a.frobeniusNorm
    }

    /// ‖A − diag(A)‖_F / ‖A‖_F, the best any diagonal does.
    static func diagonalError(_ a: Matrix<Double>) -> Double {
        var offDiagonal = a
        for i in 0..<a.rows { offDiagonal[i, i] = 0 }
        return offDiagonal.frobeniusNorm / a.frobeniusNorm
    }

    static func fit(_ a: Matrix<Double>, _ initialization: FitInitialization, optimizer: FitAlgorithm = .lbfgs,
                    iterations: Int, noise: Double = 1e-2, learningRate: Double = 1e-2) throws -> (FitResult, Double) {
        var options = FitOptions()
        options.initialization = initialization
        options.optimizer = optimizer
        options.learningRate = learningRate
        options.maxIterations = iterations
        options.initialNoise = noise
        options.seed = 4
        let fit = try fitFactors(a, options: options)
        return (fit, relativeError(a, try denseProductByHand(fit.chain)))
    }

    @Test func withoutNoiseTheStartIsTheDiagonal() throws {
        let a = try Self.dominant()
        let (start, error) = try Self.fit(a, .diagonal, iterations: 0, noise: 0)
        let product = try denseProductByHand(start.chain)
        for i in 0..<48 {
            for j in 0..<48 {
                #expect(abs(product[i, j] - (i == j ? a[i, i] : 0)) <= 1e-14 * a[i, i], "(\(i), \(j)): \(product[i, j])")
            }
        }
        #expect(abs(error - Self.diagonalError(a)) <= 1e-12)
        #expect(abs(start.relativeError - error) <= 1e-12, "the reported start error is the dense one")
    }

    @Test(arguments: FitAlgorithm.allCases)
    func aDiagonalStartNeverEndsWorseThanTheDiagonal(optimizer: FitAlgorithm) throws {
        let a = try Self.dominant()
        let best = Self.diagonalError(a)
        let (fit, error) = try Self.fit(a, .diagonal, optimizer: optimizer, iterations: 60, noise: 0, learningRate: 1e-3)
        #expect(error <= best * (1 + 1e-12), "\(optimizer): \(error) against the diagonal's \(best)")
        #expect(error < 0.99 * best, "\(optimizer): the fit improved on the diagonal (\(error) against \(best))")
        #expect(abs(fit.relativeError - error) <= 1e-9)
    }

    /// Adam with a step far too large oscillates, yet returns values no worse than its start.
    @Test(arguments: FitInitialization.allCases)
    func noFitEndsWorseThanItsStart(initialization: FitInitialization) throws {
        let a = try Self.dominant()
        for (optimizer, learningRate) in [(FitAlgorithm.lbfgs, 1e-2), (.adam, 1e-3), (.adam, 0.5)] {
            let (_, start) = try Self.fit(a, initialization, optimizer: optimizer, iterations: 0, learningRate: learningRate)
            let (fit, end) = try Self.fit(a, initialization, optimizer: optimizer, iterations: 40, learningRate: learningRate)
            #expect(end <= start * (1 + 1e-12), "\(initialization) \(optimizer) lr \(learningRate): \(end) > start \(start) (\(fit.stopReason))")
        }
    }

    /// On this matrix the paper's start is far from the diagonal and a short fit does not get there;
    /// the diagonal start is better from the first step.
    @Test func thePaperStartLosesToTheDiagonalHere() throws {
        let a = try Self.dominant()
        let (_, paper) = try Self.fit(a, .paper, iterations: 60)
        let (_, diagonal) = try Self.fit(a, .diagonal, iterations: 60)
        #expect(paper > Self.diagonalError(a), "paper start after 60 iterations: \(paper)")
        #expect(diagonal < paper)
    }

    @Test func theDiagonalStartNeedsTheSelfLink() throws {
        var options = FitOptions()
        options.initialization = .diagonal
        options.topology = try ChordTopology(size: 48, selfLink: false)
        let message = errorMessage { try fitFactors(try Self.dominant(), options: options) }
        #expect(message.contains("the diagonal initialization needs the self-link"), "\(message)")
    }
}
