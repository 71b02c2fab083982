import SparseFactorCore
import SparseFactorNN

/// The shape of a ChordMixer baseline (Khalitov et al., ICLR 2023).
///
/// As in the authors' code: T = ⌈log2 N⌉ tracks of `trackSize` channels (so the embedding width
/// is T · trackSize), ⌈log2 N⌉ blocks, mean pooling and a linear head. Defaults for the synthetic
/// tasks: tracks of 4 channels, MLP hidden width 64, no dropout, positional embedding for Temporal
/// Order only (without it the model is invariant to cyclic shifts, and the order of X and Y is lost).
///
/// ```swift
/// let config = ChordMixerConfiguration(task: .adding, length: 1024)
/// print(config.embedding)   // 40 = 10 tracks of 4
/// ```
public struct ChordMixerConfiguration: Codable, Equatable, Sendable {
    /// The input kind.
    public var input: SequenceInput
    /// N, the sequence length (≥ 2).
    public var length: Int
    /// Channels per track.
    public var trackSize = 4
    /// Hidden units of each block's MLP.
    public var hidden = 64
    /// Blocks; `nil` means ⌈log2 N⌉.
    public var blocks: Int? = nil
    /// Dropout on each block's MLP output, in [0, 1).
    public var dropout: Float = 0
    /// Add a learned positional embedding to the input embedding.
    public var positionalEmbedding = false
    /// Pooling before the head.
    public var pooling: SequencePooling = .mean
    /// The head.
    public var head: SequenceHead = .linear
    /// Outputs of the head.
    public var outputs: Int

    public init(input: SequenceInput, length: Int, outputs: Int) {
        self.input = input
        self.length = length
        self.outputs = outputs
    }

    /// The task's baseline; positional embedding on for every token task.
    public init(task: SequenceTask, length: Int) {
        self.init(input: task.input, length: length, outputs: task.outputCount)
        positionalEmbedding = task != .adding
    }

    /// T = ⌈log2 N⌉, the number of tracks.
    public var tracks: Int { ChordTopology.ceilLog(max(length, 2), base: 2) }
    /// The embedding width T · trackSize.
    public var embedding: Int { tracks * trackSize }
    /// The number of blocks.
    public var blockCount: Int { blocks ?? tracks }

    public func validate() throws {
        guard length >= 2 else { throw SparseFactorError.invalidArgument("the sequence length N must be at least 2, got \(length)") }
        try input.validate()
        for (name, value) in [("track size", trackSize), ("hidden", hidden), ("blocks", blockCount), ("outputs", outputs)] where value < 1 {
            throw SparseFactorError.invalidArgument("\(name) must be at least 1, got \(value)")
        }
        guard trackSize <= 1 << 20 else { throw SparseFactorError.tooLarge("a track of \(trackSize) channels is more than 2^20") }
        guard dropout >= 0, dropout < 1 else { throw SparseFactorError.invalidArgument("dropout must be in [0, 1), got \(dropout)") }
        if case .mlp(let h) = head, h < 1 { throw SparseFactorError.invalidArgument("the head's hidden layer must have at least 1 unit, got \(h)") }
    }

    public func differences(from other: ChordMixerConfiguration) -> [String] {
        var list = DifferenceList()
        list.check("input", input.summary, other.input.summary)
        list.check("length", length, other.length)
        list.check("track size", trackSize, other.trackSize)
        list.check("hidden", hidden, other.hidden)
        list.check("blocks", blockCount, other.blockCount)
        list.check("dropout", dropout, other.dropout)
        list.check("positional embedding", positionalEmbedding, other.positionalEmbedding)
        list.check("pooling", pooling.rawValue, other.pooling.rawValue)
        list.check("head", head.summary, other.head.summary)
        list.check("outputs", outputs, other.outputs)
        return list.lines
    }

    func parameterTerms() -> [[Int]] {
        let d = embedding
        var terms = input.parameterTerms(embedding: d)
        if positionalEmbedding { terms.append([length, d]) }
        terms += [[blockCount, d, hidden], [blockCount, hidden], [blockCount, hidden, d], [blockCount, d]]
        return terms + head.parameterTerms(pooled: input.headInputs(pooled: pooling == .flatten ? [length, d] : [d]), outputs: outputs)
    }

    public func estimatedParameterCount() throws -> Int {
        try validate()
        return try ModelEstimates.parameterCount(parameterTerms(), model: "ChordMixer")
    }

    /// Refuses a training step that would not fit: parameters with gradients and Adam's moments,
    /// and per position and block the MLP's input, hidden units (twice), output and rotation, times 3.
    public func checkStepMemory(batch: Int) throws {
        try ModelEstimates.checkParameters(try estimatedParameterCount(), model: "ChordMixer")
        let (kept, transient) = stepTerms
        try ModelEstimates.checkStep(model: "ChordMixer", batch: input.sequences(inBatch: batch), length: length, kept: kept, transient: transient)
    }

    /// The per-position terms of ``checkStepMemory(batch:)``: kept, four D-wide blocks per block
    /// (input, rotated, MLP output, residual sum) and the input and pooled rows; transient, one
    /// block's MLP hidden units and D-wide gradients.
    var stepTerms: (kept: [[Int]], transient: [[Int]]) {
        ([[blockCount, 4, embedding], [embedding, 2], [4]], [[2, hidden], [2, embedding]])
    }
}
