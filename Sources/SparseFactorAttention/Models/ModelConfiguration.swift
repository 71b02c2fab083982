import SparseFactorCore
import SparseFactorNN

/// The kind and shape of a sequence model: PSF-Attn or one of its baselines.
///
/// ```swift
/// let config = ModelConfiguration(kind: .chordmixer, task: .adding, length: 1024)
/// let model = try config.makeModel(seed: 1)
/// print(config.kind.rawValue, try config.estimatedParameterCount(), model.parameterCount)
/// ```
public enum ModelConfiguration: Equatable, Sendable {
    case psf(PSFAttnConfiguration)
    /// Paramixer: the same mixing as PSF-Attn with its authors' defaults (see ``init(kind:task:length:)``).
    case paramixer(PSFAttnConfiguration)
    case transformer(TransformerConfiguration)
    case chordMixer(ChordMixerConfiguration)

    /// Each kind's default for a task:
    /// - ``ModelKind/psf``: the paper's configuration (``PSFAttnConfiguration/init(task:length:)``).
    /// - ``ModelKind/paramixer``: Paramixer's: V as wide as the embedding (C = D = 32), two stacked
    ///   mixing layers (its authors' synthetic-task script uses one; set `layers = 1` for it).
    /// - ``ModelKind/transformer``: ``TransformerConfiguration/init(task:length:)``.
    /// - ``ModelKind/linformer``, ``ModelKind/performer``: the same with k = min(N, 256) projected rows or
    ///   m = 256 random features per head.
    /// - ``ModelKind/chordmixer``: ``ChordMixerConfiguration/init(task:length:)``.
    public init(kind: ModelKind, task: SequenceTask, length: Int) {
        switch kind {
        case .psf: self = .psf(PSFAttnConfiguration(task: task, length: length))
        case .paramixer:
            var c = PSFAttnConfiguration(task: task, length: length)
            c.channels = c.embedding
            c.layers = 2
            self = .paramixer(c)
        case .transformer: self = .transformer(TransformerConfiguration(task: task, length: length))
        case .linformer:
            var c = TransformerConfiguration(task: task, length: length)
            c.attention = .linformer(projectedLength: min(length, 256))
            self = .transformer(c)
        case .performer:
            var c = TransformerConfiguration(task: task, length: length)
            c.attention = .performer(features: 256)
            self = .transformer(c)
        case .chordmixer: self = .chordMixer(ChordMixerConfiguration(task: task, length: length))
        }
    }

    /// The model's kind.
    public var kind: ModelKind {
        switch self {
        case .psf: return .psf
        case .paramixer: return .paramixer
        case .transformer(let c):
            switch c.attention {
            case .softmax: return .transformer
            case .linformer: return .linformer
            case .performer: return .performer
            }
        case .chordMixer: return .chordmixer
        }
    }

    /// N.
    public var length: Int {
        switch self {
        case .psf(let c), .paramixer(let c): return c.length
        case .transformer(let c): return c.length
        case .chordMixer(let c): return c.length
        }
    }

    /// The input kind.
    public var input: SequenceInput {
        switch self {
        case .psf(let c), .paramixer(let c): return c.input
        case .transformer(let c): return c.input
        case .chordMixer(let c): return c.input
        }
    }

    /// Outputs of the head.
    public var outputs: Int {
        switch self {
        case .psf(let c), .paramixer(let c): return c.outputs
        case .transformer(let c): return c.outputs
        case .chordMixer(let c): return c.outputs
        }
    }

    /// The number of trainable parameters, from the sizes alone.
    public func estimatedParameterCount() throws -> Int {
        switch self {
        case .psf(let c), .paramixer(let c): return try c.estimatedParameterCount()
        case .transformer(let c): return try c.estimatedParameterCount()
        case .chordMixer(let c): return try c.estimatedParameterCount()
        }
    }

    /// Refuses a training step on `batch` sequences that would not fit in the memory limit,
    /// before anything is allocated; the message has the estimate.
    public func checkStepMemory(batch: Int) throws {
        switch self {
        case .psf(let c), .paramixer(let c): try c.checkStepMemory(batch: batch)
        case .transformer(let c): try c.checkStepMemory(batch: batch)
        case .chordMixer(let c): try c.checkStepMemory(batch: batch)
        }
    }

    /// The estimated activation bytes of a training step on `batch` sequences (parameters and
    /// optimizer state not included): what ``checkStepMemory(batch:)`` compares to the memory limit.
    /// nil when it cannot be counted. `bench step --json` prints it beside the measured peak.
    public func estimatedStepBytes(batch: Int) throws -> Int? {
        switch self {
        case .psf(let c), .paramixer(let c): return try c.estimatedStepBytes(batch: batch)
        case .transformer(let c):
            return ModelEstimates.stepBytes(batch: c.input.sequences(inBatch: batch), length: c.length, kept: c.stepTerms.kept, transient: c.stepTerms.transient)
        case .chordMixer(let c):
            return ModelEstimates.stepBytes(batch: c.input.sequences(inBatch: batch), length: c.length, kept: c.stepTerms.kept, transient: c.stepTerms.transient)
        }
    }

    /// The fields in which `other` differs, as "name: this vs other" lines.
    public func differences(from other: ModelConfiguration) -> [String] {
        switch (self, other) {
        case (.psf(let a), .psf(let b)), (.paramixer(let a), .paramixer(let b)): return a.differences(from: b)
        case (.transformer(let a), .transformer(let b)) where kind == other.kind: return a.differences(from: b)
        case (.chordMixer(let a), .chordMixer(let b)): return a.differences(from: b)
        default: return ["model: \(kind.rawValue) vs \(other.kind.rawValue)"]
        }
    }

    /// A freshly initialized model; the same seed gives the same parameters.
    public func makeModel(seed: UInt64) throws -> any SequenceModel {
        switch self {
        case .psf(let c): return try PSFAttn(configuration: c, seed: seed)
        case .paramixer(let c):
            let model = try PSFAttn(configuration: c, seed: seed)
            model.modelConfiguration = self
            return model
        case .transformer(let c): return try Transformer(configuration: c, seed: seed)
        case .chordMixer(let c): return try ChordMixer(configuration: c, seed: seed)
        }
    }
}

extension ModelConfiguration: Codable {
    // {"model": "transformer", "configuration": {...}}. Checkpoints written before the baselines
    // existed have no "model" key: those hold PSF-Attn.
    enum CodingKeys: String, CodingKey { case model, configuration }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try c.decodeIfPresent(ModelKind.self, forKey: .model) ?? .psf
        switch kind {
        case .psf: self = .psf(try c.decode(PSFAttnConfiguration.self, forKey: .configuration))
        case .paramixer: self = .paramixer(try c.decode(PSFAttnConfiguration.self, forKey: .configuration))
        case .transformer, .linformer, .performer:
            let config = try c.decode(TransformerConfiguration.self, forKey: .configuration)
            self = .transformer(config)
            guard self.kind == kind else {
                throw DecodingError.dataCorruptedError(forKey: .model, in: c, debugDescription: "model \(kind.rawValue) with \(config.attention.summary) attention")
            }
        case .chordmixer: self = .chordMixer(try c.decode(ChordMixerConfiguration.self, forKey: .configuration))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .model)
        switch self {
        case .psf(let x), .paramixer(let x): try c.encode(x, forKey: .configuration)
        case .transformer(let x): try c.encode(x, forKey: .configuration)
        case .chordMixer(let x): try c.encode(x, forKey: .configuration)
        }
    }
}
