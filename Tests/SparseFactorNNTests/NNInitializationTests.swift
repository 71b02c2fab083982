import Foundation
import SparseFactorNN
import SparseFactorCore
import SparseFactorTestSupport
import Testing

/// Seeded initialization: same seed, same weights; PyTorch-like distributions.
@Suite struct NNInitializationTests {
    func makeModel(seed: UInt64) throws -> Sequential {
        var rng = SeededGenerator(seed: seed)
        return Sequential([
            try Embedding(vocabulary: 6, dimension: 8, rng: &rng),
            try PositionalEmbedding(length: 16, dimension: 8, rng: &rng),
            try MLP(config: "[32, GELU]", inputs: 8, outputs: 4, rng: &rng),
        ])
    }

    @Test func sameSeedSameWeights() throws {
        let a = try makeModel(seed: 11).parameters.map(\.value)
        let b = try makeModel(seed: 11).parameters.map(\.value)
        let c = try makeModel(seed: 12).parameters.map(\.value)
        #expect(a == b)
        #expect(a != c)
    }

    /// Linear: weight then bias, each uniform in [−1/√fan_in, 1/√fan_in), drawn in order.
    @Test func linearIsUniformWithFanInBound() throws {
        var rng = SeededGenerator(seed: 5)
        let layer = try Linear(inputs: 16, outputs: 64, rng: &rng)
        let w = layer.weight.value.values, b = layer.bias!.value.values
        #expect(w.allSatisfy { abs($0) <= 0.25 } && b.allSatisfy { abs($0) <= 0.25 })
        #expect(w.max()! > 0.24 && w.min()! < -0.24, "the whole range is used")
        var replay = SeededGenerator(seed: 5)
        let first = Float(-0.25 + 0.5 * replay.nextUnit())
        #expect(w[0] == first)
        for _ in 1..<w.count { _ = replay.nextUnit() }
        #expect(b[0] == Float(-0.25 + 0.5 * replay.nextUnit()))
    }

    /// Embedding: N(0, 1) by Box–Muller from two uniforms; sample moments over 20 000 values.
    @Test func embeddingIsStandardNormal() throws {
        var rng = SeededGenerator(seed: 6)
        let layer = try Embedding(vocabulary: 200, dimension: 100, rng: &rng)
        let values = layer.weight.value.values.map(Double.init)
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
        #expect(abs(mean) < 0.03 && abs(variance - 1) < 0.05, "mean \(mean), variance \(variance)")
        let within1 = Double(values.filter { abs($0) < 1 }.count) / Double(values.count)
        #expect(abs(within1 - 0.6827) < 0.02)
        var replay = SeededGenerator(seed: 6)
        let u1 = 1 - replay.nextUnit(), u2 = replay.nextUnit()
        #expect(values[0] == Double(Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))))
        #expect(values[1] == Double(Float((-2 * log(u1)).squareRoot() * sin(2 * Double.pi * u2))))
    }

    @Test func layerNormStartsAsIdentityAffine() throws {
        let norm = try LayerNorm(dimension: 5)
        #expect(norm.weight.value.values == [1, 1, 1, 1, 1])
        #expect(norm.bias.value.values == [0, 0, 0, 0, 0])
        // Each output row then has mean 0 and (biased) variance 1 up to ε.
        let y = try norm(try Tensor(shape: [1, 5], values: [1, 2, 3, 4, 10]))
        let mean = y.values.reduce(0, +) / 5
        let variance = y.values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 5
        #expect(abs(mean) < 1e-6 && abs(variance - 1) < 1e-4)
    }
}
