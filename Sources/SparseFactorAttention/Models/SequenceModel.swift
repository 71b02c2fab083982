import SparseFactorCore
import SparseFactorNN

/// A model that maps a batch of sequences to one output row per sequence, trainable by
/// ``SequenceTrainer``: PSF-Attn and the baselines it is compared with.
///
/// `callAsFunction` takes `[B, N]` token ids or `[B, N, F]` features and returns `[B, outputs]`;
/// `backward` adds every parameter's gradient.
///
/// ```swift
/// let model = try ModelConfiguration(kind: .transformer, task: .adding, length: 128).makeModel(seed: 1)
/// print(model.modelConfiguration.kind, model.parameterCount)
/// ```
public protocol SequenceModel: Layer {
    /// The model's kind and shape.
    var modelConfiguration: ModelConfiguration { get }
    /// Whether `backward` must return dL/dinput (training needs only the parameters' gradients,
    /// and a model may skip that work when this is off).
    var computesInputGradient: Bool { get set }
    /// Called by the trainer before every training step (0-based, over the whole run): a model
    /// with dropout derives that step's masks from its seed and the step, so a resumed run draws
    /// the same masks as an uninterrupted one.
    func prepareStep(_ step: Int)
    /// Called once before training with the batch size, to choose memory trade-offs.
    func prepareTraining(batch: Int)
}

extension SequenceModel {
    public func prepareStep(_ step: Int) {}
    public func prepareTraining(batch: Int) {}
}

/// The sequence-model kinds, by the name `--model` takes on the command line.
public enum ModelKind: String, Codable, CaseIterable, Sendable {
    /// PSF-Attn (Khalitov et al., 2022): one mixing layer of M = ⌈log2 N⌉ Chord factors.
    case psf
    /// Paramixer, the stacked form of the same mixing (two layers by default).
    case paramixer
    /// A pre-LayerNorm Transformer encoder with tiled softmax attention.
    case transformer
    /// The same encoder with Linformer's attention (keys and values projected to k = min(N, 256) rows).
    case linformer
    /// The same encoder with Performer's FAVOR+ attention (m = 256 random features per head).
    case performer
    /// ChordMixer (Khalitov et al., 2023): ⌈log2 N⌉ blocks of a position-wise MLP and a
    /// parameter-free rotation of channel tracks by the Chord offsets.
    case chordmixer
}
