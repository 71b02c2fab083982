import SparseFactorCore
import SparseFactorFitting
import SparseFactorTestSupport
import Testing

// The automatic start (`.automatic`, `--init auto`): the diagonal start where diag(A) alone leaves a
// relative error below 0.7, the paper's elsewhere, with the same factors as asking for that start by
// name; the paper's where the pattern has no self-link or an operator gives no diagonal.

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

    static func options(_ initialization: FitInitialization) -> FitOptions {
        var options = FitOptions()
        options.initialization = initialization
        options.maxIterations = 5
        options.seed = 3
        return options
    }

    @Test(arguments: [(0.3, FitInitialization.diagonal), (0.69, .diagonal), (0.71, .paper), (0.95, .paper)])
    func itChoosesByWhatTheDiagonalLeaves(share: Double, expected: FitInitialization) throws {
        let a = try Self.matrix(offDiagonalShare: share)
        #expect(abs(FitInitializationTests.diagonalError(a) - share) <= 1e-12)
        let automatic = try fitFactors(a, options: Self.options(.automatic))
        let named = try fitFactors(a, options: Self.options(expected))
        #expect(automatic.initialization == expected && named.initialization == expected)
        #expect(automatic.chain.values == named.chain.values, "the same factors as --init \(expected.rawValue)")
        #expect(automatic.history[0].relativeError == named.history[0].relativeError)
    }

    @Test func withoutTheSelfLinkOrAKnownDiagonalItIsThePapers() throws {
        let a = try Self.matrix(offDiagonalShare: 0.3)
        var noSelfLink = Self.options(.automatic)
        noSelfLink.topology = try ChordTopology(size: 32, selfLink: false)
        #expect(try fitFactors(a, options: noSelfLink).initialization == .paper)
        // A sparse matrix knows its diagonal; an operator known only through products does not.
        let sparse = try SparseMatrix(dense: a)
        #expect(try fitFactors(operator: sparse, options: Self.options(.automatic)).fit.initialization == .diagonal)
        #expect(try fitFactors(operator: ShiftOperator(size: 16), options: Self.options(.automatic)).fit.initialization == .paper)
        var given = Self.options(.automatic)
        given.initialChain = try fitFactors(a, options: Self.options(.paper)).chain
        #expect(try fitFactors(a, options: given).initialization == nil, "a given chain is no start of its own")
    }
}
