import SparseFactorNN
import SparseFactorCore
import SparseFactorTestSupport
import Testing

/// Finite-difference checks of every layer's backward pass: the input gradient and every
/// parameter gradient.
@Suite struct NNLayerGradientTests {
    @Test func linearWithBias() throws {
        var rng = SeededGenerator(seed: 1)
        let layer = try Linear(inputs: 4, outputs: 3, rng: &rng)
        try nnCheckGradients(layer, input: nnRandomTensor([2, 3, 4], seed: 2), seed: 3, "Linear")
    }

    @Test func linearWithoutBias() throws {
        var rng = SeededGenerator(seed: 4)
        let layer = try Linear(inputs: 5, outputs: 2, bias: false, rng: &rng)
        #expect(layer.parameters.count == 1)
        try nnCheckGradients(layer, input: nnRandomTensor([7, 5], seed: 5), seed: 6, "Linear without bias")
    }

    @Test func inputProjection() throws {
        var rng = SeededGenerator(seed: 7)
        let layer = try InputProjection(features: 2, dimension: 6, rng: &rng)
        try nnCheckGradients(layer, input: nnRandomTensor([3, 4, 2], seed: 8), seed: 9, "InputProjection")
    }

    /// Inputs spread over [-4, 4], where GELU's curvature changes most.
    @Test func gelu() throws {
        try nnCheckGradients(GELU(), input: nnRandomTensor([3, 16], scale: 4, seed: 10), seed: 11, step: 1e-2, "GELU")
    }

    /// Repeated ids make the backward accumulate several rows into one table row.
    @Test func embedding() throws {
        var rng = SeededGenerator(seed: 12)
        let layer = try Embedding(vocabulary: 5, dimension: 3, rng: &rng)
        let ids = try Tensor(shape: [2, 4], values: [0, 3, 3, 1, 4, 0, 3, 2])
        try nnCheckGradients(layer, input: ids, seed: 13, inputIsDifferentiable: false, "Embedding")
    }

    /// N = 3 < length = 5: only the first three table rows get a gradient.
    @Test func positionalEmbedding() throws {
        var rng = SeededGenerator(seed: 14)
        let layer = try PositionalEmbedding(length: 5, dimension: 4, rng: &rng)
        let x = nnRandomTensor([2, 3, 4], seed: 15)
        let y = try layer(x)
        #expect(y.values[4 * 3 + 1] == x.values[4 * 3 + 1] + layer.weight.value.values[1])  // (b 1, n 0, d 1)
        layer.zeroGradients()
        _ = try layer.backward(nnRandomTensor([2, 3, 4], seed: 16))
        #expect(layer.weight.gradient.values[12...].allSatisfy { $0 == 0 })
        // The unused rows give zero FD too, so check only the used ones through a full-length input.
        try nnCheckGradients(layer, input: nnRandomTensor([2, 5, 4], seed: 17), seed: 18, "PositionalEmbedding")
        try nnCheckGradients(layer, input: x, seed: 19, atol: 2e-3, "PositionalEmbedding N < length")
    }

    /// The mask is replayed by restoring the generator before every forward pass.
    @Test func dropout() throws {
        let layer = try Dropout(rate: 0.3, seed: 20)
        let saved = layer.generator
        try nnCheckGradients(layer, input: nnRandomTensor([4, 8], seed: 21), seed: 22,
                             prepare: { layer.generator = saved }, "Dropout")
    }

    @Test func layerNorm() throws {
        let layer = try LayerNorm(dimension: 6)
        // Move γ and β away from 1 and 0 so that their gradients are generic.
        layer.weight.value = nnRandomTensor([6], scale: 1, seed: 23)
        layer.bias.value = nnRandomTensor([6], scale: 1, seed: 24)
        try nnCheckGradients(layer, input: nnRandomTensor([2, 3, 6], scale: 2, seed: 25), seed: 26, step: 5e-3, "LayerNorm")
    }

    @Test func mlpFromConfig() throws {
        var rng = SeededGenerator(seed: 27)
        let layer = try MLP(config: "[5, GELU]", inputs: 3, outputs: 2, rng: &rng)
        #expect(layer.parameters.map(\.name) == ["mlp.0.weight", "mlp.0.bias", "mlp.2.weight", "mlp.2.bias"])
        try nnCheckGradients(layer, input: nnRandomTensor([2, 4, 3], scale: 2, seed: 28), seed: 29, "MLP [5, GELU]")
    }

    @Test func deeperMLPFromHiddenWidths() throws {
        var rng = SeededGenerator(seed: 30)
        let layer = try MLP(hidden: [6, 4], inputs: 3, outputs: 2, rng: &rng)
        #expect(layer.parameters.count == 6)
        try nnCheckGradients(layer, input: nnRandomTensor([5, 3], scale: 2, seed: 31), seed: 32, "MLP [6, GELU, 4, GELU]")
    }

    /// A small model through every layer type at once.
    @Test func sequentialStack() throws {
        var rng = SeededGenerator(seed: 33)
        let model = Sequential([
            try InputProjection(features: 2, dimension: 4, rng: &rng),
            try PositionalEmbedding(length: 3, dimension: 4, rng: &rng),
            try LayerNorm(dimension: 4),
            try MLP(config: "[5, GELU]", inputs: 4, outputs: 3, rng: &rng),
            try Dropout(rate: 0.5, seed: 34),
        ])
        model.isTraining = false
        #expect(model.parameters.count == 2 + 1 + 2 + 4)
        try nnCheckGradients(model, input: nnRandomTensor([2, 3, 2], seed: 35), seed: 36, "Sequential")
    }

    /// Backward passes add into the gradients (+=): two passes give twice one pass.
    @Test func gradientsAccumulate() throws {
        var rng = SeededGenerator(seed: 37)
        let layer = try MLP(config: "[4, GELU]", inputs: 3, outputs: 2, rng: &rng)
        let x = nnRandomTensor([3, 3], seed: 38)
        let r = nnRandomTensor([3, 2], seed: 39)
        layer.zeroGradients()
        _ = try layer(x)
        _ = try layer.backward(r)
        let once = layer.parameters.map { $0.gradient.values }
        _ = try layer.backward(r)
        // BLAS adds its product into the existing gradient in its own order, so allow rounding.
        for (p, g) in zip(layer.parameters, once) {
            #expect(zip(p.gradient.values, g).allSatisfy { abs($0 - 2 * $1) <= 1e-6 * max(1, abs($1)) }, "\(p.name)")
            #expect(g.contains { $0 != 0 }, "\(p.name)")
        }
        layer.zeroGradients()
        #expect(layer.parameters.allSatisfy { $0.gradient.values.allSatisfy { $0 == 0 } })
    }

    /// Dropout: evaluation mode is the identity, training mode zeroes about `rate` of the
    /// entries and scales the rest by 1/(1 − rate), reproducibly from the seed.
    @Test func dropoutModes() throws {
        let x = Tensor(shape: [100, 100], repeating: 1)
        let a = try Dropout(rate: 0.25, seed: 5)
        let b = try Dropout(rate: 0.25, seed: 5)
        let ya = try a(x)
        #expect(ya == (try b(x)))
        let zeros = ya.values.filter { $0 == 0 }.count
        #expect(abs(Double(zeros) / 10_000 - 0.25) < 0.02)
        #expect(ya.values.allSatisfy { $0 == 0 || $0 == Float(1) / Float(0.75) })
        #expect(try a(x) != ya, "a new forward pass draws a new mask")
        a.isTraining = false
        #expect(try a(x) == x)
        #expect(try a.backward(x) == x)
    }
}
