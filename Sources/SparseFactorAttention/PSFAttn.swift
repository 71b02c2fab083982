import SparseFactorCore
import SparseFactorNN
import SparseFactorIO
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
/// It is a `Layer`: `callAsFunction` takes a batch `[B, N]` of token ids or `[B, N, F]` of
/// features and returns `[B, outputs]`; `backward` adds every parameter's gradient.
///
/// ```swift
/// let model = try PSFAttn(configuration: PSFAttnConfiguration(task: .adding, length: 128), seed: 1)
/// let (x, y) = try SyntheticDataset(task: .adding, length: 128, count: 40, seed: 2).batch(Array(0..<40))
/// let prediction = try model(x)                         // [40, 1]
/// let (loss, gradient) = try MSELoss()(prediction, y)
/// _ = try model.backward(gradient)
/// ```
public final class PSFAttn: SequenceModel {
    /// The model's shape.
    public let configuration: PSFAttnConfiguration
    /// ``ModelConfiguration/psf(_:)`` of the configuration, or ``ModelConfiguration/paramixer(_:)``
    /// when built as Paramixer.
    public internal(set) lazy var modelConfiguration: ModelConfiguration = .psf(configuration)
    /// The Chord pattern of every factor.
    public let topology: ChordTopology
    /// When set, the factor MLPs' activations are not kept between forward and backward:
    /// each W_m is recomputed in the backward pass. About a third more work in the f_m MLPs,
    /// but the memory no longer grows with M · B · N · hidden (for long sequences).
    public var recomputesFactorValues = false

    let front: SequenceEmbedding
    let mixers: [PSFMixingLayer]
    let end: PoolingHead

    /// Whether the MLPs that read the embedding fold their first layer through it (see
    /// ``FoldedMLP``): the same function, several times cheaper. On when every such MLP is the
    /// paper's `[H, GELU]` form; switching it off (tests do, as the oracle) uses the plain layers.
    var foldsEmbedding: Bool
    /// Whether `backward` returns dL/dinput for feature inputs (it always adds the parameters'
    /// gradients). Off, it may return zeros instead and skips that work where it can; the trainer
    /// turns it off.
    public var computesInputGradient = true

    private var mode = true
    private var cache: (inputShape: [Int], batch: Int, mixedShape: [Int], folded: FoldedEmbedding?)?

    /// A freshly initialized model; the same seed gives the same parameters.
    public init(configuration: PSFAttnConfiguration, seed: UInt64) throws {
        try configuration.checkParameterMemory()
        let c = configuration
        self.configuration = c
        let topology = try ChordTopology(size: c.length)
        self.topology = topology
        var rng = SeededGenerator(seed: seed)
        front = try SequenceEmbedding(input: c.input, length: c.length, dimension: c.embedding, positional: c.positionalEmbedding, rng: &rng)
        var mixers: [PSFMixingLayer] = []
        for layer in 1...c.layers {
            let prefix = c.layers == 1 ? "" : "layer\(layer)."
            let g = try MLP(config: c.valueMLP, inputs: layer == 1 ? c.embedding : c.channels, outputs: c.channels,
                            name: "\(prefix)g", rng: &rng)
            let f = try (1...c.factorCount).map { m in
                try MLP(config: c.factorMLP, inputs: c.embedding, outputs: topology.linksPerRow, name: "\(prefix)f\(m)", rng: &rng)
            }
            mixers.append(try PSFMixingLayer(g: g, f: f, topology: topology, channels: c.channels, residuals: c.residuals))
        }
        self.mixers = mixers
        foldsEmbedding = mixers.allSatisfy { $0.foldedF != nil } && mixers.first?.foldedG != nil
        end = try PoolingHead(pooling: c.pooling, head: c.head, length: c.length, channels: c.channels, outputs: c.outputs,
                              pairs: c.input.sequencesPerExample == 2, rng: &rng)
    }

    /// Every trainable parameter in a fixed order (input, positions, mixing layers, head).
    public var parameters: [Parameter] {
        front.parameters + mixers.flatMap { $0.parameters } + end.parameters
    }

    /// The number of trainable scalars.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    public var isTraining: Bool {
        get { mode }
        set {
            mode = newValue
            front.isTraining = newValue
            for m in mixers { m.isTraining = newValue }
            end.isTraining = newValue
        }
    }

    /// The outputs `[B, outputs]` for a batch of inputs: `[B, N]` token ids, or `[B, N, F]` features.
    public func callAsFunction(_ input: Tensor) throws -> Tensor {
        let batch = try front.batchSize(of: input)
        let x = try front.layerInput(input, batch: batch)
        let source: MixingInput
        var folded: FoldedEmbedding?
        if foldsEmbedding, let f = try FoldedEmbedding(input: x, batch: batch, length: configuration.length,
                                                        stride: ShiftFactorKernels.rowStride(for: configuration.length),
                                                        inputLayer: front.inputLayer, positionalEmbedding: front.positions,
                                                        inputGradient: computesInputGradient) {
            folded = f
            source = .folded(f)
        } else {
            source = .embedding(try front(input))
        }
        var v: Tensor?
        for mixer in mixers {
            v = try mixer.forward(v, source: source, batch: batch, recompute: recomputesFactorValues)
        }
        guard let v else { throw SparseFactorError.invalidArgument("PSF-Attn needs at least one mixing layer") }
        cache = (input.shape, batch, v.shape, folded)
        return try end(v)
    }

    /// Adds every parameter's gradient for dL/d(output) of the last forward pass; returns dL/dinput
    /// (zeros for token ids, which are not differentiable).
    public func backward(_ outputGradient: Tensor) throws -> Tensor {
        guard let cache else { throw SparseFactorError.invalidArgument("PSFAttn.backward was called before a forward pass") }
        let examples = end.examples(inBlockOf: cache.batch)
        guard outputGradient.shape == [examples, configuration.outputs] else {
            throw SparseFactorError.shapeMismatch(expected: "an output gradient of shape \([examples, configuration.outputs])",
                                                  got: "\(outputGradient.shape)")
        }
        var dv = try end.backward(outputGradient)
        var de = cache.folded == nil ? Tensor(shape: [cache.batch, configuration.length, configuration.embedding]) : Tensor(shape: [0])
        for (index, mixer) in mixers.enumerated().reversed() {
            let (dInput, dEmbedding) = try mixer.backward(dv, recompute: recomputesFactorValues)
            if let dEmbedding { addInPlace(&de.values, dEmbedding) }
            if index > 0, let dInput { dv = dInput }
        }
        if let folded = cache.folded {
            folded.applyGradients()
            // dL/dinput: the features' gradient, or zeros for token ids.
            guard let zGradient = folded.zGradient else { return Tensor(shape: cache.inputShape) }
            return try Tensor(shape: cache.inputShape, values: positionMajor(zGradient, batch: cache.batch, n: folded.length,
                                                                             width: folded.features, stride: folded.stride))
        }
        return try front.backward(de)
    }

    /// Turns on ``recomputesFactorValues`` when keeping the factor MLPs' activations for
    /// `batch` sequences would take more than a quarter of the memory limit (`SPARSEFACTOR_MEMORY_LIMIT`,
    /// by default half of the machine's memory). The gradients are the same bits either way.
    public func prepareTraining(batch: Int) {
        recomputesFactorValues = Self.shouldRecompute(configuration, batch: batch)
    }

    /// Whether to recompute the factor MLPs in backward: when keeping their activations (two
    /// B × N × hidden blocks per factor) would take more than a quarter of `memoryLimit`. Recomputing
    /// costs a fifth of a step (Adding, N = 16,384, batch 40, one thread: 1.61–1.67 s against 1.32–1.34 s;
    /// peak 0.84–0.90 GB against 1.37 GB), so it is kept for when memory is short (until 2026-12-07 the
    /// rule was a fixed 512 MiB, which recomputed from N = 8192 on any machine).
    static func shouldRecompute(_ c: PSFAttnConfiguration, batch: Int, memoryLimit: Int = MemoryBudget.defaultLimit) -> Bool {
        let hidden = (try? MLP.parseConfig(c.factorMLP))?.reduce(0) { total, item in
            if case .linear(let w) = item { return total + 2 * w }
            return total
        } ?? 0
        let sequences = Double(c.input.sequences(inBatch: batch))
        let bytes = Double(c.layers * c.factorCount) * sequences * Double(c.length) * Double(hidden) * 4
        return bytes > Double(memoryLimit) / 4
    }
}

/// Where the MLPs that read E find it: E itself, or its folded form.
enum MixingInput {
    case embedding(Tensor)
    case folded(FoldedEmbedding)
}

/// One mixing block: V0 = g(X), then V ← W_m V (+ V0) for m = 1…M with W_m = f_m(E).
/// X is the previous block's V, or E for the first block. Inside, V is channel-major
/// (`[B, C, stride]`) and every W_m link-major (`[B, K, stride]`), the layout of ``ShiftFactorKernels``.
final class PSFMixingLayer {
    let g: MLP
    let f: [MLP]
    /// The same MLPs in folded form (nil when they are not `[H, GELU]`).
    let foldedG: FoldedMLP?
    let foldedF: [FoldedMLP]?
    let topology: ChordTopology
    let kernels: ShiftFactorKernels
    let channels: Int
    let residuals: Bool

    /// What backward needs: the block each factor was applied to, and (unless recomputing)
    /// the factor values; where E came from, for recomputation and the MLPs' backward.
    private var factorInputs: [AlignedFloats] = []
    private var factorValues: [AlignedFloats] = []
    private var source: MixingInput?
    /// Whether g read the previous block's V (else E).
    private var gReadsPrevious = false
    private var batch = 0

    init(g: MLP, f: [MLP], topology: ChordTopology, channels: Int, residuals: Bool) throws {
        self.g = g
        self.f = f
        self.foldedG = FoldedMLP(g)
        let folded = f.compactMap { FoldedMLP($0) }
        self.foldedF = folded.count == f.count ? folded : nil
        self.topology = topology
        self.kernels = try ShiftFactorKernels(topology: topology)
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

    /// V `[B, N, C]` after this block, for the previous block's V (nil: the first block, whose g reads E).
    func forward(_ previous: Tensor?, source: MixingInput, batch: Int, recompute: Bool) throws -> Tensor {
        let n = topology.size
        self.source = source
        self.batch = batch
        gReadsPrevious = previous != nil
        let v0: AlignedFloats
        switch (previous, source) {
        case (let x?, _): v0 = toChannelMajor(try g(x).values, width: channels)
        case (nil, .embedding(let e)): v0 = toChannelMajor(try g(e).values, width: channels)
        case (nil, .folded(let e)): v0 = try folded(foldedG).forward(e)
        }
        var v = v0
        factorInputs.removeAll(keepingCapacity: true)
        factorValues.removeAll(keepingCapacity: true)
        for m in f.indices {
            let w = try factorValues(m)
            if recompute {
                // Drop the MLP's cached activations (M · B · N · hidden floats in all); backward recomputes them.
                if case .embedding(let e) = source { try releaseActivations(f[m], e) }
            } else {
                factorValues.append(w)
            }
            factorInputs.append(v)
            v = try kernels.forward(values: w, input: v, residual: residuals ? v0 : nil, batch: batch, channels: channels)
        }
        return try Tensor(shape: [batch, n, channels], values: toPositionMajor(v, width: channels))
    }

    /// (dL/d(previous V), dL/dE) for dL/dV `[B, N, C]` of the last forward: the first is nil when g
    /// read E, the second nil when E is folded (its gradients then go to the ``FoldedEmbedding``).
    func backward(_ outputGradient: Tensor, recompute: Bool) throws -> (input: Tensor?, embedding: [Float]?) {
        guard let source, factorInputs.count == f.count else {
            throw SparseFactorError.invalidArgument("PSF-Attn mixing layer: backward was called before a forward pass")
        }
        let n = topology.size
        var dv = toChannelMajor(outputGradient.values, width: channels)
        let dv0 = residuals ? AlignedFloats(zeros: dv.count) : nil
        var de: [Float]?
        if case .embedding(let e) = source { de = [Float](repeating: 0, count: e.count) }
        for m in f.indices.reversed() {
            // V_m = W_m V_{m−1} (+ V0): V0 collects dV_m, V_{m−1} gets W_mᵀ dV_m, f_m gets dW_m.
            let w = recompute ? try factorValues(m) : factorValues[m]
            let gradients = try kernels.backward(outputGradient: dv, values: w, input: factorInputs[m],
                                                 residualGradient: dv0, batch: batch, channels: channels)
            dv = gradients.input
            switch source {
            case .embedding(let e):
                let links = kernels.links
                let dw = try Tensor(shape: [batch, n, links], values: toPositionMajor(gradients.values, width: links))
                addInPlace(&de!, try f[m].backward(dw).values)
                // Layers keep their last forward's activations; without this, memory would grow by one
                // factor's activations per factor through the backward pass.
                if recompute { try releaseActivations(f[m], e) }
            case .folded(let e):
                try folded(foldedF?[m]).backward(gradients.values, e)
            }
        }
        if let dv0 { dv.add(dv0) }
        if case .folded(let e) = source, !gReadsPrevious {
            try folded(foldedG).backward(dv, e)
            return (nil, de)
        }
        let dx = try g.backward(Tensor(shape: [batch, n, channels], values: toPositionMajor(dv, width: channels)))
        if gReadsPrevious { return (dx, de) }
        addInPlace(&de!, dx.values)
        return (nil, de)
    }

    /// `[B, N, width]` → `[B, width, stride]` and back.
    private func toChannelMajor(_ values: [Float], width: Int) -> AlignedFloats {
        channelMajor(values, batch: batch, n: topology.size, width: width, stride: kernels.stride)
    }

    private func toPositionMajor(_ values: AlignedFloats, width: Int) -> [Float] {
        positionMajor(values, batch: batch, n: topology.size, width: width, stride: kernels.stride)
    }

    private func folded(_ mlp: FoldedMLP?) throws -> FoldedMLP {
        guard let mlp else { throw SparseFactorError.invalidArgument("PSF-Attn: this MLP cannot read a folded embedding") }
        return mlp
    }

    /// Replaces an MLP's cached activations by those of a one-row pass (layers keep the last
    /// forward's activations for backward, and have no other way to drop them).
    private func releaseActivations(_ mlp: MLP, _ e: Tensor) throws {
        _ = try mlp(Tensor(shape: [1, e.shape.last ?? 1]))
    }

    /// W_m = f_m(E), link-major `[B, K, stride]`.
    private func factorValues(_ m: Int) throws -> AlignedFloats {
        switch source {
        case .embedding(let e)?: return toChannelMajor(try f[m](e).values, width: kernels.links)
        case .folded(let e)?: return try folded(foldedF?[m]).forward(e)
        case nil: throw SparseFactorError.invalidArgument("PSF-Attn mixing layer: no input")
        }
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
