import SparseFactorFitting
import SparseFactorCore
import SparseFactorTestSupport
import Testing

// The float32 objective (`FitPrecision.float32`) against the float64 one and the dense product,
// and a float32 fit against a float64 fit of the same matrix.

@Suite struct FitPrecisionTests {
    /// Loss and gradient of the float kernel are the double ones up to float rounding; N = 100
    /// spans two of the float kernel's 64-column blocks, the second partial.
    @Test(arguments: [(8, nil), (40, nil), (100, 3)] as [(Int, Int?)])
    func float32ObjectiveMatchesFloat64(n: Int, factors: Int?) throws {
        let topology = try ChordTopology(size: n)
        let chain: FactorChain<Double> = try randomChain(topology, factorCount: factors, seed: 13)
        let a = try randomMatrix(n, seed: 14)
        let double = try FactorizationObjective(target: a, topology: topology, factorCount: factors)
        let single = try FactorizationObjective(target: a, topology: topology, factorCount: factors, precision: .float32)
        #expect(single.precision == .float32)
        var g64: [Double] = [], g32: [Double] = []
        let l64 = try double.evaluate(chain.values, gradient: &g64)
        let l32 = try single.evaluate(chain.values, gradient: &g32)
        let dense = halfSquaredDistance(a, try denseProductByHand(chain))
        #expect(abs(l64 - dense) <= 1e-12 * dense)
        // Inputs rounded to float (relative 6e-8) and float arithmetic: about 1e-7 of the loss, not 1e-12.
        #expect(abs(l32 - l64) <= 2e-6 * l64, "float32 loss \(l32) vs float64 \(l64)")
        #expect(l32 != l64, "the float kernel should differ from the double one in the last digits")
        #expect(try single.loss(chain.values) == l32)
        expectClose(g32, g64, rtol: 1e-4, "float32 gradient vs float64 at N = \(n)")
    }

    /// A float32 fit ends within a few percent of the float64 fit's error, and its reported error is
    /// the double error of the factors it returns (recomputed, not the float kernel's).
    @Test func float32FitReachesTheFloat64Error() throws {
        let a = try randomMatrix(64, seed: 15)
        var options = FitOptions()
        options.maxIterations = 300
        options.seed = 2
        let fit64 = try fitFactors(a, options: options)
        options.precision = .float32
        let fit32 = try fitFactors(a, options: options)
        let start = try #require(fit64.history.first).relativeError
        #expect(fit64.relativeError < 0.9 * start)
        #expect(abs(fit32.relativeError - fit64.relativeError) <= 0.01 * fit64.relativeError,
                "float32 \(fit32.relativeError) vs float64 \(fit64.relativeError)")
        let exact = (2 * halfSquaredDistance(a, try denseProductByHand(fit32.chain))).squareRoot() / a.frobeniusNorm
        #expect(abs(fit32.relativeError - exact) <= 1e-12, "reported \(fit32.relativeError), dense product gives \(exact)")
    }

    @Test func float32RefusesWhatFloatCannotHold() throws {
        let topology = try ChordTopology(size: 8)
        var values = try randomMatrix(8, seed: 16).values
        values[3] = 1e39   // finite in double, infinite in float
        let a = try Matrix(rows: 8, columns: 8, values: values)
        expectError("an entry beyond float's range", matches: { $0.isNonFinite }) {
            try FactorizationObjective(target: a, topology: topology, precision: .float32)
        }
        // Its memory is checked like the double kernel's: a limit below the float copy of A refuses it.
        expectError("a memory limit below the float32 copy", matches: { $0.isTooLarge }) {
            try FactorizationObjective(target: try randomMatrix(8, seed: 17), topology: topology, memoryLimit: 64, precision: .float32)
        }
    }
}
