import SparseFactorCore
import SparseFactorNN

/// Sizes of a PSF-Attn model computed from its configuration alone, with overflow-checked
/// arithmetic, so that a model or a batch that cannot fit is refused before anything is allocated.
extension PSFAttnConfiguration {
    /// The trainable parameters the model will have, as `[count, count, …]` product terms.
    func parameterTerms() throws -> [[Int]] {
        let d = embedding, c = channels, k = try ChordTopology.linkCount(size: length)
        let hiddenF = try MLP.parseConfig(factorMLP).compactMap { if case .linear(let w) = $0 { w } else { nil } }
        let hiddenG = try MLP.parseConfig(valueMLP).compactMap { if case .linear(let w) = $0 { w } else { nil } }
        func mlp(_ inputs: Int, _ hidden: [Int], _ outputs: Int, times: Int = 1) -> [[Int]] {
            let widths = [inputs] + hidden + [outputs]
            return (1..<widths.count).flatMap { [[times, widths[$0 - 1], widths[$0]], [times, widths[$0]]] }
        }
        var terms = input.parameterTerms(embedding: d)
        if positionalEmbedding { terms.append([length, d]) }
        for layer in 1...max(layers, 1) {
            terms += mlp(layer == 1 ? d : c, hiddenG, c)
            terms += mlp(d, hiddenF, k, times: factorCount)
        }
        let pooled = pooling == .flatten ? [length, c] : [c]
        return terms + head.parameterTerms(pooled: input.headInputs(pooled: pooled), outputs: outputs)
    }

    /// The number of trainable parameters (see ``PSFAttn/parameterCount``), from the sizes alone.
    /// Throws `SparseFactorError.tooLarge` when it does not fit in an `Int`.
    public func estimatedParameterCount() throws -> Int {
        try validate()
        return try ModelEstimates.parameterCount(try parameterTerms(), model: "PSF-Attn model")
    }

    /// Refuses a model whose parameters, their gradients and Adam's two moments (4 floats each,
    /// and a fifth for the folded first layers) would not fit in the memory limit.
    func checkParameterMemory() throws {
        try ModelEstimates.checkParameters(try estimatedParameterCount(), model: "PSF-Attn model", extraCopies: 1)
    }

    /// Refuses a training step on `batch` sequences whose activations would not fit. Kept for backward,
    /// per position and mixing layer: V after each of the M factors and each factor's K link values
    /// (C + K floats per factor), the value MLP's hidden units and output, the layer input; also the
    /// factor MLPs' hidden units (two blocks per factor) unless they are recomputed in backward (see
    /// ``PSFAttn/prepareTraining(batch:)``, which decides it by the same rule; for stacked layers they are
    /// counted for all but the first even then, as measured peaks require). Transient: one
    /// factor's MLP, link values and V. The model's own memory is checked first.
    public func checkStepMemory(batch: Int) throws {
        try checkParameterMemory()
        let (kept, transient) = try stepTerms(batch: batch)
        try ModelEstimates.checkStep(model: "PSF-Attn", batch: input.sequences(inBatch: batch), length: length, kept: kept, transient: transient)
    }

    /// The per-position terms of ``checkStepMemory(batch:)``.
    func stepTerms(batch: Int) throws -> (kept: [[Int]], transient: [[Int]]) {
        let k = try ChordTopology.linkCount(size: length)
        let hiddenF = try MLP.parseConfig(factorMLP).reduce(0) { if case .linear(let w) = $1 { $0 + w } else { $0 } }
        let hiddenG = try MLP.parseConfig(valueMLP).reduce(0) { if case .linear(let w) = $1 { $0 + w } else { $0 } }
        var kept: [[Int]] = [[layers, factorCount, channels + k], [layers, 2, hiddenG], [layers, 2, channels], [layers, embedding],
                             [2, embedding], [4]]
        if !PSFAttn.shouldRecompute(self, batch: batch) {
            kept.append([layers, factorCount, 2, hiddenF])
        } else if layers > 1 {
            // Measured: stacked layers peak above what their kept blocks predict (Paramixer, 2 layers, N = 16384:
            // 6.2 GB against 6.1 estimated without this); counted as if the later layers kept their factor MLPs.
            kept.append([layers - 1, factorCount, 2, hiddenF])
        }
        return (kept, [[2, hiddenF], [k], [2, channels]])
    }

    /// The estimated bytes of a training step on `batch` sequences (what ``checkStepMemory(batch:)`` compares to the limit).
    func estimatedStepBytes(batch: Int) throws -> Int? {
        let (kept, transient) = try stepTerms(batch: batch)
        return ModelEstimates.stepBytes(batch: input.sequences(inBatch: batch), length: length, kept: kept, transient: transient)
    }
}
