import Foundation
import SparseFactorNN
import SparseFactorCore
import SparseFactorTestSupport
import Testing

/// Adam and AdamW against the update formulas written out by hand, gradient clipping, and
/// the optimizer state round trip.
@Suite struct NNOptimizerTests {
    static let gradients: [[Double]] = [[0.1, -0.2, 0], [0.3, 0.05, -1], [-0.2, 0.4, 2]]
    static let start: [Double] = [0.5, -1, 2]

    /// Kingma & Ba, Algorithm 1, in Double: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g²,
    /// θ ← θ − α·(m/(1−β₁ᵗ))/(√(v/(1−β₂ᵗ)) + ε); AdamW also θ ← θ − α·λ·θ (decoupled);
    /// Adam with weight decay adds λθ to g (L2).
    static func byHand(steps: Int, lr: Double, wd: Double, decoupled: Bool) -> [Double] {
        let (b1, b2, eps) = (0.9, 0.999, 1e-8)
        var theta = start, m = [0.0, 0, 0], v = [0.0, 0, 0]
        for t in 1...steps {
            for i in 0..<3 {
                let g = gradients[t - 1][i] + (decoupled ? 0 : wd * theta[i])
                m[i] = b1 * m[i] + (1 - b1) * g
                v[i] = b2 * v[i] + (1 - b2) * g * g
                let mhat = m[i] / (1 - pow(b1, Double(t)))
                let vhat = v[i] / (1 - pow(b2, Double(t)))
                theta[i] = theta[i] - lr * mhat / (vhat.squareRoot() + eps) - (decoupled ? lr * wd * theta[i] : 0)
            }
        }
        return theta
    }

    func run(_ makeOptimizer: ([Parameter]) throws -> any Optimizer, steps: Int) throws -> [Float] {
        let p = Parameter(name: "theta", value: try Tensor(shape: [3], values: Self.start.map(Float.init)))
        let optimizer = try makeOptimizer([p])
        for t in 0..<steps {
            optimizer.zeroGradients()
            p.gradient.values = Self.gradients[t].map(Float.init)
            try optimizer.step()
        }
        #expect(optimizer.state.step == steps)
        return p.value.values
    }

    /// Step 1 has m̂ = g and v̂ = g², so each entry moves by lr·sign(g) (0 where g = 0).
    @Test func adamFirstStepIsSignTimesLearningRate() throws {
        let theta = try run({ try Adam(parameters: $0, learningRate: 0.01) }, steps: 1)
        let expected: [Float] = [0.5 - 0.01, -1 + 0.01, 2]
        #expect(zip(theta, expected).allSatisfy { abs($0 - $1) < 1e-6 }, "\(theta)")
    }

    @Test func adamMatchesFormulaForThreeSteps() throws {
        for steps in 1...3 {
            let theta = try run({ try Adam(parameters: $0, learningRate: 0.01) }, steps: steps)
            let expected = Self.byHand(steps: steps, lr: 0.01, wd: 0, decoupled: false)
            #expect(zip(theta, expected).allSatisfy { abs(Double($0) - $1) < 1e-6 }, "step \(steps): \(theta) vs \(expected)")
        }
    }

    @Test func adamWithL2WeightDecay() throws {
        let theta = try run({ try Adam(parameters: $0, learningRate: 0.01, weightDecay: 0.1) }, steps: 3)
        let expected = Self.byHand(steps: 3, lr: 0.01, wd: 0.1, decoupled: false)
        #expect(zip(theta, expected).allSatisfy { abs(Double($0) - $1) < 1e-6 }, "\(theta) vs \(expected)")
    }

    /// AdamW step 1: θ − lr·λ·θ − lr·sign(g); then the formula for three steps.
    @Test func adamWMatchesFormula() throws {
        let first = try run({ try AdamW(parameters: $0, learningRate: 0.01, weightDecay: 0.1) }, steps: 1)
        let expectedFirst: [Double] = [0.5 - 0.001 * 0.5 - 0.01, -1 + 0.001 + 0.01, 2 - 0.001 * 2]
        #expect(zip(first, expectedFirst).allSatisfy { abs(Double($0) - $1) < 1e-6 }, "\(first)")
        let theta = try run({ try AdamW(parameters: $0, learningRate: 0.01, weightDecay: 0.1) }, steps: 3)
        let expected = Self.byHand(steps: 3, lr: 0.01, wd: 0.1, decoupled: true)
        #expect(zip(theta, expected).allSatisfy { abs(Double($0) - $1) < 1e-6 }, "\(theta) vs \(expected)")
        // Decoupled decay is not L2: the two differ.
        let l2 = Self.byHand(steps: 3, lr: 0.01, wd: 0.1, decoupled: false)
        #expect(abs(expected[0] - l2[0]) > 1e-5)
    }

    /// Saving the state after step 2 and restoring it into a fresh optimizer gives a
    /// bit-identical step 3.
    @Test func stateRoundTripResumesExactly() throws {
        let reference = try run({ try AdamW(parameters: $0, learningRate: 0.01) }, steps: 3)
        let p = Parameter(name: "theta", value: try Tensor(shape: [3], values: Self.start.map(Float.init)))
        let first = try AdamW(parameters: [p], learningRate: 0.01)
        for t in 0..<2 {
            p.gradient.values = Self.gradients[t].map(Float.init)
            try first.step()
        }
        let saved = try JSONDecoder().decode(OptimizerState.self, from: JSONEncoder().encode(first.state))
        let resumed = try AdamW(parameters: [p], learningRate: 0.01)
        try resumed.restore(saved)
        p.gradient.values = Self.gradients[2].map(Float.init)
        try resumed.step()
        #expect(p.value.values == reference)
        #expect(resumed.state.step == 3)
    }

    @Test func badOptimizerInputIsRefused() throws {
        let p = Parameter(name: "theta", value: Tensor(shape: [3]))
        nnExpectError("beta1 = 1") { _ = try Adam(parameters: [p], learningRate: 0.1, beta1: 1) }
        nnExpectError("negative learning rate") { _ = try AdamW(parameters: [p], learningRate: -1) }
        nnExpectError("duplicate parameter") { _ = try Adam(parameters: [p, p]) }
        let adam = try Adam(parameters: [p])
        nnExpectError("state for another model") {
            try adam.restore(OptimizerState(step: 1, firstMoments: [[0, 0]], secondMoments: [[0, 0]]))
        }
        p.value = Tensor(shape: [4])
        nnExpectError("parameter reshaped after construction") { try adam.step() }
        #expect(adam.state.step == 0, "a refused step changes nothing")
    }

    /// Global norm of [3, 4] and [0, 12] is 13; clipping to 1 scales by 1/(13 + 1e-6).
    @Test func clipGradientNormScalesGlobally() throws {
        let a = Parameter(name: "a", value: Tensor(shape: [2]))
        let b = Parameter(name: "b", value: Tensor(shape: [2]))
        a.gradient.values = [3, 4]
        b.gradient.values = [0, 12]
        #expect(try clipGradientNorm([a, b], maxNorm: 20) == 13)
        #expect(a.gradient.values == [3, 4], "below the limit nothing changes")
        #expect(try clipGradientNorm([a, b], maxNorm: 1) == 13)
        let scale = 1 / (13 + 1e-6)
        let clipped = a.gradient.values + b.gradient.values
        #expect(zip(clipped, [3, 4, 0, 12].map { $0 * scale }).allSatisfy { abs(Double($0) - $1) < 1e-7 })
        let norm = clipped.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        #expect(abs(norm - 1) < 1e-6)
        nnExpectError("zero limit") { _ = try clipGradientNorm([a], maxNorm: 0) }
        a.gradient.values = [.nan, 1]
        #expect(try clipGradientNorm([a], maxNorm: 1).isNaN, "a NaN norm is reported, not hidden")
    }
}
