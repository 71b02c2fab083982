import SparseFactorCore
import SparseFactorFitting
import SparseFactorTestSupport
import Testing

/// The fit does not depend on the matrix's scale: fitting c·A gives c times the product fitted to A,
/// from 1e-150 to 1e150, for both optimizers, and no fit ends worse than it started.
@Suite struct FitScaleTests {
    /// A random 96×96 matrix with about 10% non-zeros: sparse and high-rank.
    static func sparseMatrix(scale: Double) throws -> Matrix<Double> {
        var rng = SeededGenerator(seed: 5)
        let values = (0..<(96 * 96)).map { _ -> Double in
            let keep = rng.nextUnit() < 0.1
            let v = 2 * rng.nextUnit() - 1
            return keep ? v * scale : 0
        }
        return try Matrix(rows: 96, columns: 96, values: values)
    }

    static func fit(scale: Double, optimizer: FitAlgorithm) throws -> (FitResult, Matrix<Double>) {
        var options = FitOptions()
        options.optimizer = optimizer
        options.maxIterations = 40
        options.seed = 3
        let fit = try fitFactors(sparseMatrix(scale: scale), options: options)
        return (fit, try fit.chain.denseMatrix())
    }

    @Test(arguments: FitAlgorithm.allCases)
    func fittingAScaledMatrixGivesTheScaledProduct(optimizer: FitAlgorithm) throws {
        let (reference, product) = try Self.fit(scale: 1, optimizer: optimizer)
        #expect(reference.iterations == 40, "stopped by \(reference.stopReason)")
        #expect(reference.relativeError < (reference.history.first?.relativeError ?? 0), "the fit made progress")
        for scale in [1e-150, 1e-10, 1e20, 1e150] {
            let (fit, scaled) = try Self.fit(scale: scale, optimizer: optimizer)
            #expect(fit.stopReason == reference.stopReason && fit.iterations == reference.iterations, "scale \(scale): \(fit.stopReason)")
            #expect(abs(fit.relativeError - reference.relativeError) <= 1e-6 * reference.relativeError,
                    "scale \(scale): relative error \(fit.relativeError) vs \(reference.relativeError)")
            var worst = 0.0
            for (s, r) in zip(scaled.values, product.values) { worst = max(worst, abs(s / scale - r)) }
            #expect(worst <= 1e-6 * (product.frobeniusNorm / 96), "scale \(scale): product differs by \(worst)")
            #expect(abs(fit.targetNorm / scale - reference.targetNorm) <= 1e-12 * reference.targetNorm)
            #expect(abs(fit.loss / (scale * scale) - reference.loss) <= 1e-5 * reference.loss, "scale \(scale): loss \(fit.loss)")
        }
    }

    @Test(arguments: FitAlgorithm.allCases)
    func noFitEndsWorseThanItsInitialization(optimizer: FitAlgorithm) throws {
        for scale in [1e-150, 1.0, 1e150] {
            let (fit, _) = try Self.fit(scale: scale, optimizer: optimizer)
            let initial = try #require(fit.history.first)
            #expect(fit.relativeError <= initial.relativeError, "scale \(scale): \(fit.relativeError) > \(initial.relativeError)")
        }
    }
}
