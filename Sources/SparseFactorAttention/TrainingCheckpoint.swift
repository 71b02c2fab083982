import SparseFactorCore
import SparseFactorNN
import SparseFactorIO
import Foundation

/// Everything needed to continue a training run bit-exactly: the model's kind, shape and
/// parameters, Adam's moments and step count, the run's options and where it stands (epoch,
/// step within the epoch, running sums, early-stopping state). The data order and the data
/// itself are recomputed from the seed, so they need no storage.
///
/// Files use the versioned binary format of `CheckpointContainer` (magic, version, JSON
/// header, named Float32 tensors, CRC-32), written atomically.
///
/// ```swift
/// try trainer.checkpoint().write(to: URL(fileURLWithPath: "run.ckpt"))
/// let saved = try TrainingCheckpoint.read(from: URL(fileURLWithPath: "run.ckpt"))
/// print(saved.progress.globalStep)
/// ```
public struct TrainingCheckpoint: Equatable, Sendable {
    /// The checkpoint format version this build writes and reads.
    public static var formatVersion: Int { Int(CheckpointContainer.formatVersion) }

    /// The model's kind and shape.
    public var configuration: ModelConfiguration
    /// The run's options.
    public var options: TrainingOptions
    /// Where the run stands.
    public var progress: TrainingProgress
    /// Parameter values by name, in the model's parameter order.
    public var parameters: [(name: String, value: Tensor)]
    /// Adam's step count and moments (one array per parameter, same order).
    public var optimizer: OptimizerState

    public init(configuration: ModelConfiguration, options: TrainingOptions, progress: TrainingProgress,
                parameters: [(name: String, value: Tensor)], optimizer: OptimizerState) {
        self.configuration = configuration
        self.options = options
        self.progress = progress
        self.parameters = parameters
        self.optimizer = optimizer
    }

    public static func == (a: TrainingCheckpoint, b: TrainingCheckpoint) -> Bool {
        a.configuration == b.configuration && a.options == b.options && a.progress == b.progress
            && a.optimizer == b.optimizer && a.parameters.map(\.name) == b.parameters.map(\.name)
            && a.parameters.map(\.value) == b.parameters.map(\.value)
    }

    private struct Header: Codable {
        var format: String
        /// Stored as the header's "model" and "configuration" keys (no "model": PSF-Attn, as
        /// written before the baselines existed).
        var configuration: ModelConfiguration
        var options: TrainingOptions
        var progress: TrainingProgress
        var optimizerStep: Int

        enum CodingKeys: String, CodingKey {
            case format, options, progress, optimizerStep = "optimizer_step"
        }

        init(format: String, configuration: ModelConfiguration, options: TrainingOptions, progress: TrainingProgress, optimizerStep: Int) {
            self.format = format
            self.configuration = configuration
            self.options = options
            self.progress = progress
            self.optimizerStep = optimizerStep
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            format = try c.decode(String.self, forKey: .format)
            configuration = try ModelConfiguration(from: decoder)
            options = try c.decode(TrainingOptions.self, forKey: .options)
            progress = try c.decode(TrainingProgress.self, forKey: .progress)
            optimizerStep = try c.decode(Int.self, forKey: .optimizerStep)
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(format, forKey: .format)
            try configuration.encode(to: encoder)
            try c.encode(options, forKey: .options)
            try c.encode(progress, forKey: .progress)
            try c.encode(optimizerStep, forKey: .optimizerStep)
        }
    }

    private static let parameterPrefix = "param:"
    private static let firstMomentPrefix = "adam.m:"
    private static let secondMomentPrefix = "adam.v:"

    /// The file's bytes.
    public func encoded() throws -> Data {
        guard optimizer.firstMoments.count == parameters.count, optimizer.secondMoments.count == parameters.count else {
            throw SparseFactorError.shapeMismatch(expected: "optimizer moments for \(parameters.count) parameters",
                                                  got: "\(optimizer.firstMoments.count) and \(optimizer.secondMoments.count)")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let header = try encoder.encode(Header(format: "sparsefactor PSF-Attn training checkpoint", configuration: configuration,
                                               options: options, progress: progress, optimizerStep: optimizer.step))
        var tensors: [CheckpointContainer.NamedTensor] = []
        for (name, value) in parameters {
            tensors.append(.init(name: Self.parameterPrefix + name, shape: value.shape, values: value.values))
        }
        for (i, (name, value)) in parameters.enumerated() {
            tensors.append(.init(name: Self.firstMomentPrefix + name, shape: value.shape, values: optimizer.firstMoments[i]))
        }
        for (i, (name, value)) in parameters.enumerated() {
            tensors.append(.init(name: Self.secondMomentPrefix + name, shape: value.shape, values: optimizer.secondMoments[i]))
        }
        for t in tensors where t.values.count != t.shape.reduce(1, *) {
            throw SparseFactorError.shapeMismatch(expected: "\(t.shape.reduce(1, *)) values for \(t.name) of shape \(t.shape)",
                                                  got: "\(t.values.count)")
        }
        return CheckpointContainer(header: header, tensors: tensors).encoded()
    }

    /// Parses a checkpoint's bytes; `source` names the file in messages. Refuses anything
    /// corrupt, truncated, of another format version or inconsistent, loading nothing.
    public init(decoding data: Data, source: String = "the checkpoint") throws {
        let container = try CheckpointContainer(decoding: data, source: source)
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: container.header)
        } catch {
            throw SparseFactorError.io("\(source) is not a valid checkpoint (its header cannot be read: \(error)); nothing was loaded")
        }
        func inconsistent(_ why: String) -> SparseFactorError {
            .io("\(source) is not a valid checkpoint (\(why)); nothing was loaded")
        }
        guard container.tensors.count % 3 == 0 else { throw inconsistent("\(container.tensors.count) tensors is not 3 per parameter") }
        let count = container.tensors.count / 3
        var parameters: [(name: String, value: Tensor)] = []
        var first: [[Float]] = []
        var second: [[Float]] = []
        for i in 0..<count {
            let p = container.tensors[i], m = container.tensors[count + i], v = container.tensors[2 * count + i]
            guard p.name.hasPrefix(Self.parameterPrefix) else { throw inconsistent("tensor \(i) is \(p.name), expected a parameter") }
            let name = String(p.name.dropFirst(Self.parameterPrefix.count))
            guard m.name == Self.firstMomentPrefix + name, v.name == Self.secondMomentPrefix + name,
                  m.shape == p.shape, v.shape == p.shape else {
                throw inconsistent("the optimizer state of \(name) is missing or misshapen")
            }
            parameters.append((name, try Tensor(shape: p.shape, values: p.values)))
            first.append(m.values)
            second.append(v.values)
        }
        configuration = header.configuration
        options = header.options
        progress = header.progress
        self.parameters = parameters
        optimizer = OptimizerState(step: header.optimizerStep, firstMoments: first, secondMoments: second)
    }

    /// Writes the checkpoint atomically: a reader sees the old file or the new one, never a mix.
    public func write(to url: URL) throws {
        try AtomicFile.write(try encoded(), to: url)
    }

    /// Reads a checkpoint file.
    public static func read(from url: URL) throws -> TrainingCheckpoint {
        let data = try FileInput.read(url)
        return try TrainingCheckpoint(decoding: data, source: url.path)
    }
}
