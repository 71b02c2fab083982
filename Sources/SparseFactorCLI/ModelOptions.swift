import ArgumentParser
import SparseFactor

extension ModelKind: ExpressibleByArgument {}

/// `--model NAME` and the shape options of every model, shared by `train` and `bench step`.
/// An option left out takes the model's own default (``ModelConfiguration/init(kind:task:length:)``);
/// an option that does not apply to the chosen model is refused, so nothing is silently ignored.
struct ModelOptions: ParsableArguments {
    @Option(name: .customLong("model"), help: "The model: psf (default), paramixer, transformer, linformer, performer or chordmixer.")
    var givenModel: ModelKind?

    /// The chosen kind (PSF-Attn unless `--model` says otherwise).
    var model: ModelKind { givenModel ?? .psf }

    /// Whether any option of this group was given (a resumed run without any continues the
    /// checkpoint's own model).
    var anyGiven: Bool {
        givenModel != nil || embedding != nil || layers != nil || positional != nil || pooling != nil || head != .linear
            || headHidden != 32 || factorMLP != nil || valueMLP != nil || channels != nil || factors != nil || residuals != nil
            || heads != nil || feedForward != nil || dropout != nil || trackSize != nil || hidden != nil || blocks != nil
            || projectedLength != nil || features != nil
    }

    @Option(parsing: .unconditional, help: "Embedding width D (psf, paramixer, transformer).") var embedding: Int?
    @Option(parsing: .unconditional, help: "Layers: mixing layers (psf, paramixer) or encoder layers (transformer).") var layers: Int?
    @Flag(inversion: .prefixedNo, help: "Learned positional embedding (default: on for order, off for adding).")
    var positional: Bool?
    @Option(help: "Pooling: flatten, cls or mean (default: flatten; mean for chordmixer and for retrieval).") var pooling: SequencePooling?
    @Option(help: "Head: linear or mlp.") var head: HeadKind = .linear
    @Option(name: .customLong("head-hidden"), parsing: .unconditional, help: "Hidden units of an mlp head.") var headHidden = 32

    @Option(name: .customLong("factor-mlp"), help: "Hidden layers of each factor MLP f_m (psf, paramixer).") var factorMLP: String?
    @Option(name: .customLong("value-mlp"), help: "Hidden layers of the value MLP g (psf, paramixer).") var valueMLP: String?
    @Option(parsing: .unconditional, help: "Channels C of V (psf, paramixer).") var channels: Int?
    @Option(parsing: .unconditional, help: "Factors M per layer (psf, paramixer; default ⌈log2 N⌉).") var factors: Int?
    @Flag(inversion: .prefixedNo, help: "Add V0 after every factor (psf, paramixer).") var residuals: Bool?

    @Option(parsing: .unconditional, help: "Attention heads (transformer, linformer, performer).") var heads: Int?
    @Option(name: .customLong("feed-forward"), parsing: .unconditional, help: "Feed-forward hidden units (transformer, linformer, performer).")
    var feedForward: Int?
    @Option(parsing: .unconditional, help: "Dropout rate on the residual branches (transformer, linformer, performer, chordmixer).")
    var dropout: Float?
    @Option(name: .customLong("projected-length"), parsing: .unconditional, help: "Rows k of the projected keys and values (linformer; default min(N, 256)).")
    var projectedLength: Int?
    @Option(parsing: .unconditional, help: "Random features per head (performer; default 256).") var features: Int?

    @Option(name: .customLong("track-size"), parsing: .unconditional, help: "Channels per track (chordmixer).") var trackSize: Int?
    @Option(parsing: .unconditional, help: "Hidden units of each block's MLP (chordmixer).") var hidden: Int?
    @Option(parsing: .unconditional, help: "Blocks (chordmixer; default ⌈log2 N⌉).") var blocks: Int?

    /// The options given that `model` does not have, by flag name.
    private var inapplicable: [String] {
        let encoders: Set<ModelKind> = [.transformer, .linformer, .performer]
        var given: [(String, Bool, Set<ModelKind>)] = [
            ("--embedding", embedding != nil, encoders.union([.psf, .paramixer])),
            ("--layers", layers != nil, encoders.union([.psf, .paramixer])),
            ("--factor-mlp", factorMLP != nil, [.psf, .paramixer]),
            ("--value-mlp", valueMLP != nil, [.psf, .paramixer]),
            ("--channels", channels != nil, [.psf, .paramixer]),
            ("--factors", factors != nil, [.psf, .paramixer]),
            ("--[no-]residuals", residuals != nil, [.psf, .paramixer]),
            ("--heads", heads != nil, encoders),
            ("--feed-forward", feedForward != nil, encoders),
            ("--dropout", dropout != nil, encoders.union([.chordmixer])),
            ("--projected-length", projectedLength != nil, [.linformer]),
            ("--features", features != nil, [.performer]),
            ("--track-size", trackSize != nil, [.chordmixer]),
            ("--hidden", hidden != nil, [.chordmixer]),
            ("--blocks", blocks != nil, [.chordmixer]),
        ]
        given.removeAll { !$0.1 || $0.2.contains(model) }
        return given.map(\.0)
    }

    func validate() throws {
        let extra = inapplicable
        guard extra.isEmpty else {
            throw ValidationError("\(extra.joined(separator: ", ")) do\(extra.count == 1 ? "es" : "") not apply to --model \(model.rawValue)")
        }
        for (name, value) in [("--embedding", embedding), ("--layers", layers), ("--channels", channels), ("--factors", factors),
                              ("--heads", heads), ("--feed-forward", feedForward), ("--track-size", trackSize),
                              ("--hidden", hidden), ("--blocks", blocks), ("--head-hidden", headHidden),
                              ("--projected-length", projectedLength), ("--features", features)] {
            if let value, value < 1 { throw ValidationError("\(name) must be at least 1, got \(value)") }
        }
        if let dropout, !(dropout >= 0 && dropout < 1) { throw ValidationError("--dropout must be in [0, 1), got \(dropout)") }
    }

    /// The model configuration for a task and length: the kind's defaults, then the options given.
    func configuration(task: SequenceTask, length: Int) throws -> ModelConfiguration {
        let headShape: SequenceHead = head == .linear ? .linear : .mlp(hidden: headHidden)
        switch ModelConfiguration(kind: model, task: task, length: length) {
        case .psf(var c), .paramixer(var c):
            if let embedding { c.embedding = embedding }
            if let layers { c.layers = layers }
            if let factorMLP { c.factorMLP = factorMLP }
            if let valueMLP { c.valueMLP = valueMLP }
            if let channels { c.channels = channels }
            c.factors = factors ?? c.factors
            if let residuals { c.residuals = residuals }
            if let positional { c.positionalEmbedding = positional }
            if let pooling { c.pooling = pooling }
            c.head = headShape
            try c.validate()
            return model == .psf ? .psf(c) : .paramixer(c)
        case .transformer(var c):
            if let embedding { c.embedding = embedding }
            if let layers { c.layers = layers }
            if let heads { c.heads = heads }
            if let feedForward { c.feedForward = feedForward }
            if let dropout { c.dropout = dropout }
            if let projectedLength { c.attention = .linformer(projectedLength: projectedLength) }
            if let features { c.attention = .performer(features: features) }
            if let positional { c.positionalEmbedding = positional }
            if let pooling { c.pooling = pooling }
            c.head = headShape
            try c.validate()
            return .transformer(c)
        case .chordMixer(var c):
            if let trackSize { c.trackSize = trackSize }
            if let hidden { c.hidden = hidden }
            c.blocks = blocks ?? c.blocks
            if let dropout { c.dropout = dropout }
            if let positional { c.positionalEmbedding = positional }
            if let pooling { c.pooling = pooling }
            c.head = headShape
            try c.validate()
            return .chordMixer(c)
        }
    }
}

extension ModelConfiguration {
    /// One line on the model's shape for the terminal, e.g. "M=10 factors of K=11 links".
    var shapeSummary: String {
        switch self {
        case .psf(let c), .paramixer(let c):
            let links = (try? ChordTopology.linkCount(size: c.length)) ?? 0
            return "D=\(c.embedding), C=\(c.channels), \(c.layers) layer\(c.layers == 1 ? "" : "s") of M=\(c.factorCount) factors of K=\(links) links"
        case .transformer(let c):
            return "D=\(c.embedding), \(c.layers) layer\(c.layers == 1 ? "" : "s") of \(c.heads) heads (\(c.attention.summary)), feed-forward \(c.feedForward)"
        case .chordMixer(let c):
            return "D=\(c.embedding) (\(c.tracks) tracks of \(c.trackSize)), \(c.blockCount) blocks, hidden \(c.hidden)"
        }
    }

    /// Model-specific fields of the JSON summaries.
    var jsonFields: [String: Any] {
        switch self {
        case .psf(let c), .paramixer(let c):
            return ["factors": c.factorCount, "links": (try? ChordTopology.linkCount(size: c.length)) ?? 0, "embedding": c.embedding,
                    "channels": c.channels, "layers": c.layers]
        case .transformer(let c):
            var fields: [String: Any] = ["embedding": c.embedding, "layers": c.layers, "heads": c.heads, "feed_forward": c.feedForward]
            if case .linformer(let k) = c.attention { fields["projected_length"] = k }
            if case .performer(let m) = c.attention { fields["features"] = m }
            return fields
        case .chordMixer(let c):
            return ["embedding": c.embedding, "tracks": c.tracks, "track_size": c.trackSize, "blocks": c.blockCount, "hidden": c.hidden]
        }
    }
}
