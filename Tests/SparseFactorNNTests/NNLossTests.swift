import Foundation
import SparseFactorNN
import SparseFactorCore
import SparseFactorTestSupport
import Testing

/// Both losses against values computed by hand and against finite differences.
@Suite struct NNLossTests {
    @Test func mseByHand() throws {
        let prediction = try Tensor(shape: [3, 1], values: [1, 2, 4])
        let target = try Tensor(shape: [3], values: [0.5, 2, 3])
        let (loss, gradient) = try MSELoss()(prediction, target)
        // Differences 0.5, 0, 1: mean of squares (0.25 + 0 + 1)/3, gradient 2·difference/3.
        #expect(abs(Double(loss) - 1.25 / 3) < 1e-7)
        #expect(gradient.shape == [3, 1])
        #expect(zip(gradient.values, [1.0 / 3, 0, 2.0 / 3]).allSatisfy { abs(Double($0) - $1) < 1e-7 })
    }

    @Test func crossEntropyByHand() throws {
        let logits = try Tensor(shape: [2, 3], values: [1, 2, 3, 0, 0, 0])
        let target = try Tensor(shape: [2], values: [2, 0])
        let (loss, gradient) = try CrossEntropyLoss()(logits, target)
        // Row 0: −log(e³/(e + e² + e³)) = log(1 + e⁻¹ + e⁻²); row 1: log 3.
        let row0 = log(1 + exp(-1.0) + exp(-2.0))
        #expect(abs(Double(loss) - (row0 + log(3.0)) / 2) < 1e-6)
        let e: [Double] = [exp(1.0), exp(2.0), exp(3.0)]
        let z: Double = e[0] + e[1] + e[2]
        let third: Double = 1.0 / 3
        let unscaled: [Double] = [e[0] / z, e[1] / z, e[2] / z - 1, third - 1, third, third]
        let expected = unscaled.map { $0 / 2 }
        #expect(zip(gradient.values, expected).allSatisfy { abs(Double($0) - $1) < 1e-7 }, "\(gradient.values)")
    }

    /// Logits of ±1000 would overflow a naive softmax; the log-softmax stays exact.
    @Test func crossEntropyIsStable() throws {
        let logits = try Tensor(shape: [2, 2], values: [1000, 0, -1000, 1000])
        let (loss, gradient) = try CrossEntropyLoss()(logits, try Tensor(shape: [2, 1], values: [1, 1]))
        #expect(loss.isFinite && gradient.isFinite)
        #expect(abs(loss - 500) < 1e-3)  // row 0 costs 1000, row 1 costs e⁻²⁰⁰⁰ ≈ 0
        #expect(gradient.values == [0.5, -0.5, 0, 0])
    }

    @Test func mseMatchesFiniteDifferences() throws {
        let prediction = nnRandomTensor([4, 3], seed: 1)
        let target = nnRandomTensor([4, 3], seed: 2)
        let loss = MSELoss()
        try checkLossGradient(prediction) { try loss($0, target) }
    }

    @Test func crossEntropyMatchesFiniteDifferences() throws {
        let logits = nnRandomTensor([5, 4], scale: 3, seed: 3)
        let target = try Tensor(shape: [5], values: [0, 3, 1, 1, 2])
        let loss = CrossEntropyLoss()
        try checkLossGradient(logits) { try loss($0, target) }
    }

    /// Central differences of the loss with respect to every prediction entry.
    func checkLossGradient(_ prediction: Tensor, _ loss: (Tensor) throws -> (loss: Float, gradient: Tensor)) throws {
        let gradient = try loss(prediction).gradient
        let h: Float = 1e-3
        for i in prediction.values.indices {
            var plus = prediction, minus = prediction
            plus.values[i] += h
            minus.values[i] -= h
            let fd = (Double(try loss(plus).loss) - Double(try loss(minus).loss)) / Double(2 * h)
            #expect(abs(fd - Double(gradient.values[i])) <= 1e-3 + 1e-2 * abs(fd), "entry \(i): fd \(fd), analytic \(gradient.values[i])")
        }
        #expect(gradient.values.contains { $0 != 0 })
    }
}
