@testable import SparseFactorAttention
import SparseFactorCore
import SparseFactorNN
import SparseFactorTestSupport
import Testing

/// PSF-Attn: forward against a naive re-implementation of the mixing from the paper's
/// definition, whole-model gradients against finite differences, parameter counts by hand.
@Suite struct PSFModelTests {
    /// A tiny model so finite differences stay cheap.
    func tinyConfiguration(input: PSFAttnConfiguration.Input, length: Int = 8, outputs: Int) -> PSFAttnConfiguration {
        var c = PSFAttnConfiguration(input: input, length: length, outputs: outputs)
        c.embedding = 4
        c.factorMLP = "[5, GELU]"
        c.valueMLP = "[5, GELU]"
        c.channels = 3
        return c
    }

    func tokens(batch: Int, length: Int, vocabulary: Int, seed: UInt64) throws -> Tensor {
        var rng = SeededGenerator(seed: seed)
        return try Tensor(shape: [batch, length], values: (0..<(batch * length)).map { _ in Float(uniformInt(below: vocabulary, &rng)) })
    }

    /// The model's output computed from its own sub-layers but with the mixing written out from
    /// the definition: V ← Σ_k W_m[b, i, k] · V[b, col(i, k), :] (+ V0), in Double.
    func naiveForward(_ model: PSFAttn, _ x: Tensor) throws -> Tensor {
        let c = model.configuration
        let (batch, n, channels) = (x.shape[0], c.length, c.channels)
        let e = try model.front(x)
        var input = e
        for mixer in model.mixers {
            let v0 = try mixer.g(input).values.map(Double.init)
            var v = v0
            for f in mixer.f {
                let w = try f(e).values
                let k = model.topology.linksPerRow
                var next = [Double](repeating: 0, count: v.count)
                for b in 0..<batch {
                    for i in 0..<n {
                        for link in 0..<k {
                            let j = model.topology.column(row: i, link: link)
                            let weight = Double(w[(b * n + i) * k + link])
                            for ch in 0..<channels { next[(b * n + i) * channels + ch] += weight * v[(b * n + j) * channels + ch] }
                        }
                    }
                }
                v = c.residuals ? zip(next, v0).map { $0 + $1 } : next
            }
            input = try Tensor(shape: [batch, n, channels], values: v.map { Float($0) })
        }
        let v = input
        var pooled: Tensor
        switch c.pooling {
        case .flatten: pooled = try Tensor(shape: [batch, n * channels], values: v.values)
        case .cls: pooled = try Tensor(shape: [batch, channels], values: (0..<batch).flatMap { b in v.values[(b * n * channels)..<(b * n * channels + channels)] })
        case .mean:
            pooled = Tensor(shape: [batch, channels])
            for b in 0..<batch { for ch in 0..<channels {
                pooled.values[b * channels + ch] = Float((0..<n).reduce(0.0) { $0 + Double(v.values[(b * n + $1) * channels + ch]) } / Double(n))
            } }
        }
        return try model.end.head(pooled)
    }

    @Test(arguments: [
        (PSFAttnConfiguration.Pooling.flatten, true, 1, 8),
        (.cls, false, 1, 8),
        (.mean, true, 2, 5),
        (.flatten, true, 2, 2),
    ])
    func forwardMatchesTheDefinition(pooling: PSFAttnConfiguration.Pooling, residuals: Bool, layers: Int, length: Int) throws {
        var c = tinyConfiguration(input: .features(count: 2), length: length, outputs: 3)
        c.pooling = pooling
        c.residuals = residuals
        c.layers = layers
        let model = try PSFAttn(configuration: c, seed: 3)
        let x = nnRandomTensor([3, length, 2], seed: 4)
        let got = try model(x)
        #expect(got.shape == [3, 3])
        let want = try naiveForward(model, x)
        expectClose(got.values, want.values, rtol: 1e-5, "PSF-Attn forward (\(pooling), residuals \(residuals), \(layers) layers, N \(length))")
    }

    @Test func batchItemsAreIndependent() throws {
        var c = tinyConfiguration(input: .tokens(vocabulary: 6), outputs: 4)
        c.positionalEmbedding = true
        let model = try PSFAttn(configuration: c, seed: 8)
        let x = try tokens(batch: 3, length: 8, vocabulary: 6, seed: 2)
        let together = try model(x)
        for b in 0..<3 {
            let alone = try model(Tensor(shape: [1, 8], values: Array(x.values[(b * 8)..<((b + 1) * 8)])))
            #expect(alone.values == Array(together.values[(b * 4)..<((b + 1) * 4)]), "item \(b)")
        }
    }

    @Test func tokenIdsMayCarryATrailingOne() throws {
        let model = try PSFAttn(configuration: tinyConfiguration(input: .tokens(vocabulary: 6), outputs: 4), seed: 9)
        let x = try tokens(batch: 2, length: 8, vocabulary: 6, seed: 3)
        let flat = try model(x)
        let withOne = try model(x.reshaped([2, 8, 1]))
        #expect(flat == withOne)
        #expect(try model.backward(Tensor(shape: [2, 4], repeating: 1)).shape == [2, 8, 1])
    }

    @Test func gradientsMatchFiniteDifferencesForFeatureInput() throws {
        let model = try PSFAttn(configuration: tinyConfiguration(input: .features(count: 2), outputs: 1), seed: 11)
        try nnCheckGradients(model, input: nnRandomTensor([2, 8, 2], seed: 12), seed: 13, "PSF-Attn adding-style")
    }

    @Test func gradientsMatchFiniteDifferencesForTokensWithPositionsClsAndMLPHead() throws {
        var c = tinyConfiguration(input: .tokens(vocabulary: 6), outputs: 4)
        c.positionalEmbedding = true
        c.pooling = .cls
        c.head = .mlp(hidden: 4)
        c.residuals = false
        let model = try PSFAttn(configuration: c, seed: 21)
        try nnCheckGradients(model, input: try tokens(batch: 2, length: 8, vocabulary: 6, seed: 22), seed: 23,
                             inputIsDifferentiable: false, "PSF-Attn order-style")
    }

    @Test func gradientsMatchFiniteDifferencesForStackedLayersAndMeanPooling() throws {
        var c = tinyConfiguration(input: .features(count: 2), length: 6, outputs: 2)
        c.layers = 2
        c.pooling = .mean
        c.factors = 2
        let model = try PSFAttn(configuration: c, seed: 31)
        try nnCheckGradients(model, input: nnRandomTensor([3, 6, 2], seed: 32), seed: 33, "PSF-Attn stacked")
    }

    /// The MLPs that read the embedding fold their first layer through it (FoldedMLP) unless
    /// told not to; both ways must compute the same function and the same gradients. Token ids
    /// enter as one-hot vectors when the vocabulary is no larger than the embedding (3 ≤ 4 here)
    /// and as looked-up table rows when it is larger (6 > 4).
    @Test(arguments: [
        (false, false, PSFAttnConfiguration.Pooling.flatten, 1, 0),
        (true, true, .cls, 1, 6),
        (false, true, .mean, 2, 0),
        (true, false, .flatten, 2, 6),
        (true, true, .cls, 1, 3),
        (true, false, .flatten, 2, 3),
    ])
    func foldedAndPlainEmbeddingsAgree(tokens useTokens: Bool, positions: Bool, pooling: PSFAttnConfiguration.Pooling,
                                       layers: Int, vocabulary: Int) throws {
        var c = tinyConfiguration(input: useTokens ? .tokens(vocabulary: vocabulary) : .features(count: 2), length: 19, outputs: 3)
        c.positionalEmbedding = positions
        c.pooling = pooling
        c.layers = layers
        let x = useTokens ? try tokens(batch: 5, length: 19, vocabulary: vocabulary, seed: 51) : nnRandomTensor([5, 19, 2], seed: 51)
        let r = nnRandomTensor([5, 3], seed: 52)
        var outputs: [[Float]] = [], inputGradients: [[Float]] = [], gradients: [[[Float]]] = []
        for folds in [true, false] {
            let model = try PSFAttn(configuration: c, seed: 50)
            #expect(model.foldsEmbedding, "the [5, GELU] MLPs can be folded")
            model.foldsEmbedding = folds
            outputs.append(try model(x).values)
            inputGradients.append(try model.backward(r).values)
            if useTokens { #expect(inputGradients.last!.allSatisfy { $0 == 0 }, "token ids have no gradient, \(folds ? "folded" : "plain")") }
            gradients.append(model.parameters.map { $0.gradient.values })
        }
        let label = "tokens \(useTokens) (vocabulary \(vocabulary)), positions \(positions), \(pooling), \(layers) layers"
        expectClose(outputs[0], outputs[1], rtol: 1e-5, "output, \(label)")
        if !useTokens { expectClose(inputGradients[0], inputGradients[1], rtol: 1e-4, "input gradient, \(label)") }
        let names = try PSFAttn(configuration: c, seed: 50).parameters.map(\.name)
        for (name, (folded, plain)) in zip(names, zip(gradients[0], gradients[1])) {
            expectClose(folded, plain, rtol: 1e-4, "gradient of \(name), \(label)")
        }
    }

    /// MLPs of another shape than [H, GELU] cannot be folded: the plain path, checked on its own.
    @Test func unfoldableMLPsUseThePlainPath() throws {
        var c = tinyConfiguration(input: .features(count: 2), length: 6, outputs: 1)
        c.factorMLP = "[4, GELU, 3, GELU]"
        let model = try PSFAttn(configuration: c, seed: 61)
        #expect(!model.foldsEmbedding)
        try nnCheckGradients(model, input: nnRandomTensor([2, 6, 2], seed: 62), seed: 63, "PSF-Attn with deeper factor MLPs")
    }

    @Test func recomputingFactorValuesGivesTheSameGradients() throws {
        let c = tinyConfiguration(input: .features(count: 2), outputs: 1)
        let x = nnRandomTensor([2, 8, 2], seed: 41)
        let r = nnRandomTensor([2, 1], seed: 42)
        var results: [[[Float]]] = []
        for recompute in [false, true] {
            let model = try PSFAttn(configuration: c, seed: 40)
            model.recomputesFactorValues = recompute
            _ = try model(x)
            _ = try model.backward(r)
            results.append(model.parameters.map { $0.gradient.values })
        }
        #expect(results[0] == results[1])
        #expect(results[0].contains { $0.contains { $0 != 0 } })
    }

    @Test func paperConfigurationHasTheHandCountedParameters() throws {
        // Adding, N = 1024: projection 2·32+32 = 96; g: 32·32+32 + 32·8+8 = 1320;
        // 10 factors f_m: 32·32+32 + 32·11+11 = 1419 each; head 1024·8+1 = 8193. Total 23799.
        let adding = try PSFAttn(configuration: PSFAttnConfiguration(task: .adding, length: 1024), seed: 1)
        #expect(adding.configuration.factorCount == 10)
        #expect(adding.topology.linksPerRow == 11)
        #expect(adding.parameterCount == 23_799)
        // Order, N = 128: embedding 6·32 = 192, positions 128·32 = 4096; g 1320;
        // 7 factors: 1056 + 32·8+8 = 1320 each; head 128·8·4+4 = 4100. Total 18948.
        let order = try PSFAttn(configuration: PSFAttnConfiguration(task: .order, length: 128), seed: 1)
        #expect(order.parameterCount == 18_948)
        #expect(Set(order.parameters.map(\.name)).count == order.parameters.count, "parameter names must be unique")
    }

    @Test func sameSeedSameModel() throws {
        let c = PSFAttnConfiguration(task: .order, length: 16)
        let a = try PSFAttn(configuration: c, seed: 5).parameters.map(\.value)
        let b = try PSFAttn(configuration: c, seed: 5).parameters.map(\.value)
        let other = try PSFAttn(configuration: c, seed: 6).parameters.map(\.value)
        #expect(a == b)
        #expect(a != other)
    }

    @Test func badShapesAreRefused() throws {
        let model = try PSFAttn(configuration: PSFAttnConfiguration(task: .adding, length: 8), seed: 1)
        expectError("wrong length", matches: \.isShapeMismatch) { try model(Tensor(shape: [2, 9, 2])) }
        expectError("wrong features", matches: \.isShapeMismatch) { try model(Tensor(shape: [2, 8, 3])) }
        expectError("empty batch", matches: \.isShapeMismatch) { try model(Tensor(shape: [0, 8, 2])) }
        expectError("backward before forward", matches: \.isInvalidArgument) { try model.backward(Tensor(shape: [2, 1])) }
        _ = try model(Tensor(shape: [2, 8, 2]))
        expectError("wrong output gradient", matches: \.isShapeMismatch) { try model.backward(Tensor(shape: [3, 1])) }
        expectError("length 1", matches: \.isInvalidArgument) { try PSFAttn(configuration: PSFAttnConfiguration(task: .adding, length: 1), seed: 1) }
        var zeroChannels = PSFAttnConfiguration(task: .order, length: 8)
        zeroChannels.channels = 0
        expectError("zero channels", matches: \.isInvalidArgument) { try PSFAttn(configuration: zeroChannels, seed: 1) }
        var badMLP = PSFAttnConfiguration(task: .order, length: 8)
        badMLP.factorMLP = "[GELU, 32]"
        expectError("bad MLP config", matches: \.isInvalidArgument) { try PSFAttn(configuration: badMLP, seed: 1) }
        let order = try PSFAttn(configuration: PSFAttnConfiguration(task: .order, length: 8), seed: 1)
        expectError("token id out of range", matches: \.isInvalidArgument) { try order(Tensor(shape: [1, 8], repeating: 6)) }
    }
}
