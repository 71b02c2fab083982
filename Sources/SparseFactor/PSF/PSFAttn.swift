/// PSF-Attn, the parametric sparse-factor attention model of Khalitov et al. (2022):
///
/// ```
/// E   = embedding of the input (+ learned positional embedding)
/// V0  = g(E)                          an MLP to C channels
/// for m = 1…M:  W_m = f_m(E)          one MLP per factor: the K link values of each row i from token i
///               V  ← W_m · V (+ V0)   a Chord factor per sequence, through the batched C kernels
/// y   = head(pool(V))                 pool: flatten (N·C) / CLS (position 0) / mean
/// ```
///
/// No softmax and no normalization of the factor values, as in the paper. With
/// `configuration.layers > 1` the mixing block is stacked (Paramixer's form): layer ℓ > 1
/// computes its V0 from the previous layer's V, and every layer's factors come from E.
///
/// It is a ``Layer``: `callAsFunction` takes a batch `[B, N]` of token ids or `[B, N, F]` of
/// features and returns `[B, outputs]`; `backward` adds every parameter's gradient.
///
/// ```swift
/// let model = try PSFAttn(configuration: PSFAttnConfiguration(task: .adding, length: 128), seed: 1)
/// let (x, y) = try SyntheticDataset(task: .adding, length: 128, count: 40, seed: 2).batch(Array(0..<40))
/// let prediction = try model(x)                         // [40, 1]
/// let (loss, gradient) = try MSELoss()(prediction, y)
/// _ = try model.backward(gradient)
/// ```
public final class PSFAttn: Layer {
    /// The model's shape.
    public let configuration: PSFAttnConfiguration
    /// The Chord pattern of every factor.
    public let topology: ChordTopology
    /// When set, the factor MLPs' activations are not kept between forward and backward:
    /// each W_m is recomputed in the backward pass. About a third more work in the f_m MLPs,
    /// but the memory no longer grows with M · B · N · hidden (for long sequences).
    public var recomputesFactorValues = false

    let inputLayer: any Layer
    let positions: PositionalEmbedding?
    let mixers: [PSFMixingLayer]
    let head: any Layer

    private var mode = true
    private var cache: (inputShape: [Int], batch: Int, mixedShape: [Int])?

    /// A freshly initialized model; the same seed gives the same parameters.
    public init(configuration: PSFAttnConfiguration, seed: UInt64) throws {
        try configuration.validate()
        let c = configuration
        self.configuration = c
        let topology = try ChordTopology(size: c.length)
        self.topology = topology
        var rng = SeededGenerator(seed: seed)
        switch c.input {
        case .tokens(let vocabulary):
            inputLayer = try Embedding(vocabulary: vocabulary, dimension: c.embedding, name: "embedding", rng: &rng)
        case .features(let count):
            inputLayer = try InputProjection(features: count, dimension: c.embedding, name: "input_projection", rng: &rng)
        }
        positions = c.positionalEmbedding
            ? try PositionalEmbedding(length: c.length, dimension: c.embedding, name: "positional_embedding", rng: &rng) : nil
        var mixers: [PSFMixingLayer] = []
        for layer in 1...c.layers {
            let prefix = c.layers == 1 ? "" : "layer\(layer)."
            let g = try MLP(config: c.valueMLP, inputs: layer == 1 ? c.embedding : c.channels, outputs: c.channels,
                            name: "\(prefix)g", rng: &rng)
            let f = try (1...c.factorCount).map { m in
                try MLP(config: c.factorMLP, inputs: c.embedding, outputs: topology.linksPerRow, name: "\(prefix)f\(m)", rng: &rng)
            }
            mixers.append(PSFMixingLayer(g: g, f: f, topology: topology, channels: c.channels, residuals: c.residuals))
        }
        self.mixers = mixers
        let pooled = c.pooling == .flatten ? c.length * c.channels : c.channels
        switch c.head {
        case .linear:
            head = try Linear(inputs: pooled, outputs: c.outputs, name: "head", rng: &rng)
        case .mlp(let hidden):
            head = try MLP(hidden: [hidden], inputs: pooled, outputs: c.outputs, name: "head", rng: &rng)
        }
    }

    /// Every trainable parameter in a fixed order (input, positions, mixing layers, head).
    public var parameters: [Parameter] {
        inputLayer.parameters + (positions?.parameters ?? []) + mixers.flatMap { $0.parameters } + head.parameters
    }

    /// The number of trainable scalars.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    public var isTraining: Bool {
        get { mode }
        set {
            mode = newValue
            inputLayer.isTraining = newValue
            positions?.isTraining = newValue
            for m in mixers { m.isTraining = newValue }
            head.isTraining = newValue
        }
    }

    /// The outputs `[B, outputs]` for a batch of inputs: `[B, N]` token ids, or `[B, N, F]` features.
    public func callAsFunction(_ input: Tensor) throws -> Tensor {
        let batch = try checkInput(input)
        // Token ids may come as [B, N, 1]; the embedding wants [B, N].
        let x = input.rank == 3 && configuration.input.isTokens ? try input.reshaped([batch, configuration.length]) : input
        var e = try inputLayer(x)
        if let positions { e = try positions(e) }
        var v = e
        for mixer in mixers {
            v = try mixer.forward(v, embedding: e, batch: batch, recompute: recomputesFactorValues)
        }
        cache = (input.shape, batch, v.shape)
        return try head(pool(v, batch: batch))
    }

    /// Adds every parameter's gradient for dL/d(output) of the last forward pass; returns dL/dinput
    /// (zeros for token ids, which are not differentiable).
    public func backward(_ outputGradient: Tensor) throws -> Tensor {
        guard let cache else { throw SparseFactorError.invalidArgument("PSFAttn.backward was called before a forward pass") }
        guard outputGradient.shape == [cache.batch, configuration.outputs] else {
            throw SparseFactorError.shapeMismatch(expected: "an output gradient of shape \([cache.batch, configuration.outputs])",
                                                  got: "\(outputGradient.shape)")
        }
        let pooledGradient = try head.backward(outputGradient)
        var dv = try unpool(pooledGradient, mixedShape: cache.mixedShape)
        var de = Tensor(shape: [cache.batch, configuration.length, configuration.embedding])
        for (index, mixer) in mixers.enumerated().reversed() {
            let (dInput, dEmbedding) = try mixer.backward(dv, recompute: recomputesFactorValues)
            addInPlace(&de.values, dEmbedding.values)
            if index == 0 { addInPlace(&de.values, dInput.values) } else { dv = dInput }
        }
        if let positions { de = try positions.backward(de) }
        return try inputLayer.backward(de).reshaped(cache.inputShape)
    }

    /// B, after checking the input's shape against the configuration.
    private func checkInput(_ x: Tensor) throws -> Int {
        let n = configuration.length
        let expected: [Int]
        switch configuration.input {
        case .tokens: expected = x.rank == 3 ? [x.shape.first ?? 0, n, 1] : [x.shape.first ?? 0, n]
        case .features(let count): expected = [x.shape.first ?? 0, n, count]
        }
        guard x.shape == expected, let batch = x.shape.first, batch > 0, x.values.count == x.shape.reduce(1, *) else {
            let want: String
            switch configuration.input {
            case .tokens: want = "[B, \(n)] token ids"
            case .features(let count): want = "[B, \(n), \(count)] features"
            }
            throw SparseFactorError.shapeMismatch(expected: "a PSF-Attn input of shape \(want) with B ≥ 1", got: "\(x.shape)")
        }
        return batch
    }

    private func pool(_ v: Tensor, batch: Int) throws -> Tensor {
        let (n, c) = (configuration.length, configuration.channels)
        switch configuration.pooling {
        case .flatten:
            return try v.reshaped([batch, n * c])
        case .cls:
            var out = Tensor(shape: [batch, c])
            for b in 0..<batch { for k in 0..<c { out.values[b * c + k] = v.values[b * n * c + k] } }
            return out
        case .mean:
            var out = Tensor(shape: [batch, c])
            for b in 0..<batch {
                var sums = [Double](repeating: 0, count: c)
                for i in 0..<n { for k in 0..<c { sums[k] += Double(v.values[(b * n + i) * c + k]) } }
                for k in 0..<c { out.values[b * c + k] = Float(sums[k] / Double(n)) }
            }
            return out
        }
    }

    private func unpool(_ g: Tensor, mixedShape: [Int]) throws -> Tensor {
        let (n, c) = (configuration.length, configuration.channels)
        let batch = mixedShape[0]
        switch configuration.pooling {
        case .flatten:
            return try g.reshaped(mixedShape)
        case .cls:
            var out = Tensor(shape: mixedShape)
            for b in 0..<batch { for k in 0..<c { out.values[b * n * c + k] = g.values[b * c + k] } }
            return out
        case .mean:
            var out = Tensor(shape: mixedShape)
            let scale = 1 / Float(n)
            for b in 0..<batch {
                for i in 0..<n { for k in 0..<c { out.values[(b * n + i) * c + k] = g.values[b * c + k] * scale } }
            }
            return out
        }
    }
}

/// One mixing block: V0 = g(X), then V ← W_m V (+ V0) for m = 1…M with W_m = f_m(E).
final class PSFMixingLayer {
    let g: MLP
    let f: [MLP]
    let topology: ChordTopology
    let channels: Int
    let residuals: Bool

    /// What backward needs: the block each factor was applied to, and (unless recomputing)
    /// the factor values; E for recomputation.
    private var factorInputs: [MatrixBatch<Float>] = []
    private var factorValues: [FactorChainBatch<Float>] = []
    private var embedding: Tensor?
    private var batch = 0

    init(g: MLP, f: [MLP], topology: ChordTopology, channels: Int, residuals: Bool) {
        self.g = g
        self.f = f
        self.topology = topology
        self.channels = channels
        self.residuals = residuals
    }

    var parameters: [Parameter] { g.parameters + f.flatMap { $0.parameters } }

    var isTraining: Bool = true {
        didSet {
            g.isTraining = isTraining
            for layer in f { layer.isTraining = isTraining }
        }
    }

    func forward(_ x: Tensor, embedding e: Tensor, batch: Int, recompute: Bool) throws -> Tensor {
        let n = topology.size
        let v0 = try g(x)
        var v = try MatrixBatch<Float>(count: batch, rows: n, columns: channels, values: v0.values)
        factorInputs.removeAll(keepingCapacity: true)
        factorValues.removeAll(keepingCapacity: true)
        for mlp in f {
            let chain = try factorChain(mlp, e, batch: batch)
            if recompute {
                // Drop the MLP's cached activations (M · B · N · hidden floats in all); backward recomputes them.
                try releaseActivations(mlp, e)
            } else {
                factorValues.append(chain)
            }
            factorInputs.append(v)
            v = try chain(v)
            if residuals { addInPlace(&v.values, v0.values) }
        }
        embedding = e
        self.batch = batch
        return try Tensor(shape: [batch, n, channels], values: v.values)
    }

    /// (dL/dX, dL/dE) for dL/dV of the last forward.
    func backward(_ outputGradient: Tensor, recompute: Bool) throws -> (input: Tensor, embedding: Tensor) {
        guard let e = embedding, factorInputs.count == f.count else {
            throw SparseFactorError.invalidArgument("PSF-Attn mixing layer: backward was called before a forward pass")
        }
        let n = topology.size
        var dv = try MatrixBatch<Float>(count: batch, rows: n, columns: channels, values: outputGradient.values)
        var dv0 = [Float](repeating: 0, count: residuals ? dv.values.count : 0)
        var de = [Float](repeating: 0, count: e.count)
        for m in f.indices.reversed() {
            // V_m = W_m V_{m−1} (+ V0): V0 collects dV_m, V_{m−1} gets W_mᵀ dV_m, f_m gets dW_m.
            if residuals { addInPlace(&dv0, dv.values) }
            let chain = recompute ? try factorChain(f[m], e, batch: batch) : factorValues[m]
            let input = factorInputs[m]
            let gradients = try chain.backward(ChainTape(input: input, output: input, activations: []), outputGradient: dv)
            dv = gradients.input
            let dw = try Tensor(shape: [batch, n, topology.linksPerRow], values: gradients.values)
            addInPlace(&de, try f[m].backward(dw).values)
            // Layers keep their last forward's activations; without this, memory would grow by one
            // factor's activations per factor through the backward pass.
            if recompute { try releaseActivations(f[m], e) }
        }
        if residuals { addInPlace(&dv.values, dv0) }
        let dx = try g.backward(Tensor(shape: [batch, n, channels], values: dv.values))
        return (dx, try Tensor(shape: e.shape, values: de))
    }

    /// Replaces an MLP's cached activations by those of a one-row pass (layers keep the last
    /// forward's activations for backward, and have no other way to drop them).
    private func releaseActivations(_ mlp: MLP, _ e: Tensor) throws {
        _ = try mlp(Tensor(shape: [1, e.shape.last ?? 1]))
    }

    /// W_m = f_m(E) as a batch of one-factor chains (per-sequence values, layout [B, N, K]).
    private func factorChain(_ mlp: MLP, _ e: Tensor, batch: Int) throws -> FactorChainBatch<Float> {
        let w = try mlp(e)
        return try FactorChainBatch<Float>(topology: topology, factorCount: 1, count: batch, values: w.values)
    }
}

/// a += b, elementwise (same count).
@inline(__always)
func addInPlace(_ a: inout [Float], _ b: [Float]) {
    precondition(a.count == b.count, "addInPlace: \(a.count) vs \(b.count) values")
    a.withUnsafeMutableBufferPointer { ap in
        b.withUnsafeBufferPointer { bp in
            for i in 0..<ap.count { ap[i] += bp[i] }
        }
    }
}
