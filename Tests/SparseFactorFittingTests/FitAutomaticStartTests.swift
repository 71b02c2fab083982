import SparseFactorCore
import SparseFactorFitting
import SparseFactorTestSupport
import Testing

// The automatic start (`.automatic`, `--init auto`, the default): the diagonal start (without noise) where
// diag(A) alone leaves a relative error below 0.6, the paper's elsewhere, with the same factors as asking
// for that start by name; a paper fit that ends no better than diag(A) is done again from diag(A) and never
// ends worse than it; the paper's where the pattern has no self-link or an operator gives no diagonal.

@Suite struct FitAutomaticStartTests {
    /// 1 on the diagonal and a seeded off-diagonal part E scaled so that ‖E‖_F / ‖A‖_F = `share`
    /// (‖E‖² / (N + ‖E‖²) = share², so ‖E‖ = share·√N / √(1 − share²)).
    static func matrix(offDiagonalShare share: Double, n: Int = 32) throws -> Matrix<Double> {
        var rng = SeededGenerator(seed: 9)
        var e = (0..<(n * n)).map { _ in 2 * rng.nextUnit() - 1 }
        for i in 0..<n { e[i * n + i] = 0 }
        let norm = e.reduce(0.0) { $0 + $1 * $1 }.squareRoot()
        let wanted = share * Double(n).squareRoot() / (1 - share * share).squareRoot()
        var a = try Matrix<Double>(rows: n, columns: n, values: e.map { $0 * wanted / norm })
        for i in 0..<n { a[i, i] = 1 }
        return a
    }

    static func options(_ initialization: FitInitialization, iterations: Int = 5) -> FitOptions {
        var options = FitOptions()
        options.initialization = initialization
        options.initialNoise = initialization == .diagonal ? 0 : 1e-2     // the automatic diagonal start's
        options.maxIterations = iterations
        options.seed = 3
        return options
    }

    @Test func itIsTheDefault() {
        #expect(FitOptions().initialization == .automatic)
    }

    // No iterations: the start alone, chosen by the threshold.
    @Test(arguments: [(0.3, FitInitialization.diagonal), (0.59, .diagonal), (0.61, .paper), (0.95, .paper)])
    func itChoosesByWhatTheDiagonalLeaves(share: Double, expected: FitInitialization) throws {
        let a = try Self.matrix(offDiagonalShare: share)
        #expect(abs(FitInitializationTests.diagonalError(a) - share) <= 1e-12)
        let automatic = try fitFactors(a, options: Self.options(.automatic, iterations: 0))
        let named = try fitFactors(a, options: Self.options(expected, iterations: 0))
        #expect(automatic.initialization == expected && named.initialization == expected)
        #expect(automatic.initialNoise == (expected == .diagonal ? 0 : 1e-2))
        #expect(automatic.chain.values == named.chain.values, "the same factors as --init \(expected.rawValue)")
        #expect(automatic.history[0].relativeError == named.history[0].relativeError)
        #expect(automatic.rejectedAttempt == nil)
    }

    // Above the threshold, five L-BFGS iterations from the paper's start (relative error about 1.5 there)
    // do not reach diag(A)'s 0.65: the fit is done again from diag(A), as a diagonal fit by name would be.
    @Test func aPaperFitNoBetterThanTheDiagonalIsDoneAgainFromIt() throws {
        let share = 0.65
        let a = try Self.matrix(offDiagonalShare: share)
        let automatic = try fitFactors(a, options: Self.options(.automatic))
        let paper = try fitFactors(a, options: Self.options(.paper))
        let diagonal = try fitFactors(a, options: Self.options(.diagonal))
        #expect(paper.relativeError >= share, "the case needs a paper fit that misses the diagonal: \(paper.relativeError)")
        let rejected = try #require(automatic.rejectedAttempt)
        #expect(rejected.initialization == .paper && rejected.relativeError == paper.relativeError)
        #expect(rejected.iterations == paper.iterations && abs(rejected.diagonalError - share) <= 1e-12)
        #expect(automatic.initialization == .diagonal && automatic.chain.values == diagonal.chain.values)
        #expect(automatic.relativeError <= share, "never worse than diag(A): \(automatic.relativeError)")
        #expect(automatic.relativeError < share * 0.999, "and here better than it: \(automatic.relativeError)")
    }

    // A paper fit that beats diag(A) is kept.
    @Test func aPaperFitBetterThanTheDiagonalIsKept() throws {
        let a = try Self.matrix(offDiagonalShare: 0.95)
        let automatic = try fitFactors(a, options: Self.options(.automatic, iterations: 300))
        let paper = try fitFactors(a, options: Self.options(.paper, iterations: 300))
        #expect(paper.relativeError < 0.95, "the case needs a paper fit that beats the diagonal: \(paper.relativeError)")
        #expect(automatic.rejectedAttempt == nil && automatic.initialization == .paper)
        #expect(automatic.chain.values == paper.chain.values)
    }

    @Test func withoutTheSelfLinkOrAKnownDiagonalItIsThePapers() throws {
        let a = try Self.matrix(offDiagonalShare: 0.3)
        var noSelfLink = Self.options(.automatic)
        noSelfLink.topology = try ChordTopology(size: 32, selfLink: false)
        let withoutSelfLink = try fitFactors(a, options: noSelfLink)
        #expect(withoutSelfLink.initialization == .paper && withoutSelfLink.rejectedAttempt == nil, "no diagonal start to fall back to")
        // A sparse matrix knows its diagonal; an operator known only through products does not.
        let sparse = try SparseMatrix(dense: a)
        let matrixFree = try fitFactors(operator: sparse, options: Self.options(.automatic)).fit
        #expect(matrixFree.initialization == .diagonal && matrixFree.initialNoise == 0)
        #expect(try fitFactors(operator: ShiftOperator(size: 16), options: Self.options(.automatic)).fit.initialization == .paper)
        var given = Self.options(.automatic)
        given.initialChain = try fitFactors(a, options: Self.options(.paper)).chain
        #expect(try fitFactors(a, options: given).initialization == nil, "a given chain is no start of its own")
    }
}
