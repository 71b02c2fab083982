import SparseFactorCore
import SparseFactorNN
import SparseFactorIO
import Foundation

/// How the learning rate changes over a run.
public enum LearningRateSchedule: String, Codable, CaseIterable, Sendable {
    /// The same rate at every step.
    case constant
    /// Cosine annealing from the rate to 0 over all planned steps (epochs × steps per epoch):
    /// lr·½(1 + cos(π·t/T)).
    case cosine
}

/// What a training run does: the data, the schedule and the optimizer settings.
///
/// The defaults are the paper's synthetic-task settings (Adam, lr 1e-3, batch 40, 20 epochs,
/// 200,000 / 5,000 / 5,000 sequences).
///
/// ```swift
/// var options = TrainingOptions(task: .adding, length: 128)
/// options.trainSize = 10_000
/// options.epochs = 5
/// let trainer = try SequenceTrainer(options: options)
/// ```
public struct TrainingOptions: Equatable, Sendable {
    /// The task.
    public var task: SequenceTask
    /// N, the sequence length (≥ 2).
    public var length: Int
    /// Training sequences.
    public var trainSize = 200_000
    /// Validation sequences (evaluated after every epoch; 0 skips validation).
    public var validationSize = 5_000
    /// Test sequences (evaluated after every epoch; 0 skips testing).
    public var testSize = 5_000
    /// Epochs to train.
    public var epochs = 20
    /// Sequences per minibatch (the last minibatch of an epoch may be smaller).
    public var batchSize = 40
    /// Adam's step size.
    public var learningRate: Float = 1e-3
    /// The seed of everything random: data, initialization and shuffling.
    public var seed: UInt64 = 1
    /// Stop when the validation loss has not improved for this many epochs (nil: never).
    public var earlyStoppingPatience: Int? = nil
    /// Stop after the epoch whose validation accuracy reaches this fraction (nil: never).
    public var targetAccuracy: Double? = nil
    /// Clip the global gradient norm to this value before each step (nil: no clipping).
    public var gradientClipNorm: Float? = nil
    /// How the learning rate changes over the run.
    public var learningRateSchedule: LearningRateSchedule = .constant
    /// Stop once training steps have used this many process CPU seconds (all threads, all sessions of
    /// the run): the step that crosses it ends the epoch early, with its evaluation and checkpoint.
    /// CPU time rather than wall time, so a shared machine's load moves the cap little; still not
    /// bit-reproducible, unlike every other stopping rule. nil: no budget.
    public var cpuBudget: Double? = nil
    /// Read the data from these files instead of generating it from the seed (required for the
    /// image and text tasks). The sizes then come from the files.
    public var dataFiles: TrainingDataFiles? = nil

    public init(task: SequenceTask, length: Int) {
        self.task = task
        self.length = length
    }

    /// Options for a synthetic task.
    public init(synthetic task: SyntheticTask, length: Int) {
        self.init(task: SequenceTask(task), length: length)
    }

    /// Refuses settings a run cannot start with, naming the option.
    public func validate() throws {
        guard length >= 2 else { throw SparseFactorError.invalidArgument("the sequence length must be at least 2, got \(length)") }
        guard batchSize >= 1 else { throw SparseFactorError.invalidArgument("the batch size must be at least 1, got \(batchSize)") }
        guard trainSize >= 1 else { throw SparseFactorError.invalidArgument("the training set needs at least 1 sequence, got \(trainSize)") }
        guard validationSize >= 0, testSize >= 0 else {
            throw SparseFactorError.invalidArgument("dataset sizes must not be negative, got validation \(validationSize), test \(testSize)")
        }
        guard epochs >= 0 else { throw SparseFactorError.invalidArgument("the number of epochs must not be negative, got \(epochs)") }
        guard learningRate.isFinite, learningRate > 0 else {
            throw SparseFactorError.invalidArgument("the learning rate must be finite and positive, got \(learningRate)")
        }
        if let p = earlyStoppingPatience, p < 1 {
            throw SparseFactorError.invalidArgument("the early-stopping patience must be at least 1 epoch, got \(p)")
        }
        if let t = targetAccuracy, !(t > 0 && t <= 1) {
            throw SparseFactorError.invalidArgument("the target accuracy must be a fraction in (0, 1], got \(t)")
        }
        if let b = cpuBudget, !(b.isFinite && b > 0) {
            throw SparseFactorError.invalidArgument("the CPU budget must be a finite, positive number of seconds, got \(b)")
        }
        if let c = gradientClipNorm, !(c.isFinite && c > 0) {
            throw SparseFactorError.invalidArgument("the gradient clipping norm must be finite and positive, got \(c)")
        }
        if dataFiles == nil && !task.generatesData {
            throw SparseFactorError.invalidArgument("the \(task.rawValue) task reads its data from files (\(task.fileFormat)); "
                                                    + "make them with `sparsefactor data \(task.rawValue)` and give them as the run's data files")
        }
        if dataFiles != nil && task.synthetic != nil {
            throw SparseFactorError.invalidArgument("the \(task.rawValue) task is generated from the seed; it reads no data files")
        }
        guard epochs.multipliedReportingOverflow(by: stepsPerEpoch).overflow == false else {
            throw SparseFactorError.tooLarge("\(epochs) epochs of \(stepsPerEpoch) steps are more steps than can be counted")
        }
    }

    /// Optimizer steps in one epoch.
    public var stepsPerEpoch: Int { trainSize < 1 || batchSize < 1 ? 0 : (trainSize - 1) / batchSize + 1 }

    /// The learning rate of optimizer step `step` (0-based) of the whole run.
    ///
    /// ```swift
    /// var options = TrainingOptions(task: .order, length: 1024)
    /// options.learningRateSchedule = .cosine
    /// options.learningRate(atStep: 0)                                   // 1e-3
    /// options.learningRate(atStep: options.epochs * options.stepsPerEpoch / 2)   // 5e-4
    /// ```
    public func learningRate(atStep step: Int) -> Float {
        switch learningRateSchedule {
        case .constant:
            return learningRate
        case .cosine:
            let total = max(epochs * stepsPerEpoch, 1)
            let progress = Double(min(max(step, 0), total)) / Double(total)
            return Float(Double(learningRate) * 0.5 * (1 + cos(Double.pi * progress)))
        }
    }

    /// The settings a resumed run must share with the checkpoint to continue the same run
    /// ("name: checkpoint vs now" lines). Epochs, early stopping and the target may change.
    func resumeDifferences(from other: TrainingOptions) -> [String] {
        var list = DifferenceList()
        list.check("task", task.rawValue, other.task.rawValue)
        list.check("length", length, other.length)
        list.check("data", dataFiles == nil ? "generated" : "files", other.dataFiles == nil ? "generated" : "files")
        if dataFiles == nil || other.dataFiles == nil {   // files give their own sizes, checked by content on resume
            list.check("train size", trainSize, other.trainSize)
            list.check("validation size", validationSize, other.validationSize)
            list.check("test size", testSize, other.testSize)
        } else {
            list.check("truncate", dataFiles!.truncate, other.dataFiles!.truncate)
        }
        list.check("batch", batchSize, other.batchSize)
        list.check("learning rate", learningRate, other.learningRate)
        list.check("seed", seed, other.seed)
        list.check("gradient clipping", gradientClipNorm.map { "\($0)" } ?? "off", other.gradientClipNorm.map { "\($0)" } ?? "off")
        list.check("learning-rate schedule", learningRateSchedule.rawValue, other.learningRateSchedule.rawValue)
        // A cosine schedule is laid out over the planned epochs: changing them changes the run.
        if learningRateSchedule == .cosine || other.learningRateSchedule == .cosine { list.check("epochs", epochs, other.epochs) }
        return list.lines
    }
}

extension TrainingOptions: Codable {
    // Numbers that must survive a checkpoint exactly are stored as bit patterns.
    private enum CodingKeys: String, CodingKey {
        case task, length, trainSize = "train_size", validationSize = "validation_size", testSize = "test_size", epochs
        case batchSize = "batch", learningRate = "learning_rate_bits", seed, earlyStoppingPatience = "early_stopping_patience"
        case targetAccuracy = "target_accuracy_bits", gradientClipNorm = "gradient_clip_bits"
        case learningRateSchedule = "lr_schedule", cpuBudget = "cpu_budget_bits", dataFiles = "data_files"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        task = try c.decode(SequenceTask.self, forKey: .task)
        length = try c.decode(Int.self, forKey: .length)
        trainSize = try c.decode(Int.self, forKey: .trainSize)
        validationSize = try c.decode(Int.self, forKey: .validationSize)
        testSize = try c.decode(Int.self, forKey: .testSize)
        epochs = try c.decode(Int.self, forKey: .epochs)
        batchSize = try c.decode(Int.self, forKey: .batchSize)
        learningRate = Float(bitPattern: try c.decodeHex32(.learningRate))
        seed = try c.decodeHex(.seed)
        earlyStoppingPatience = try c.decodeIfPresent(Int.self, forKey: .earlyStoppingPatience)
        targetAccuracy = try c.decodeHexIfPresent(.targetAccuracy).map { Double(bitPattern: $0) }
        gradientClipNorm = c.contains(.gradientClipNorm) ? Float(bitPattern: try c.decodeHex32(.gradientClipNorm)) : nil
        // Absent in checkpoints written before schedules existed: those runs used a constant rate.
        learningRateSchedule = try c.decodeIfPresent(LearningRateSchedule.self, forKey: .learningRateSchedule) ?? .constant
        cpuBudget = try c.decodeHexIfPresent(.cpuBudget).map { Double(bitPattern: $0) }
        dataFiles = try c.decodeIfPresent(TrainingDataFiles.self, forKey: .dataFiles)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(task, forKey: .task)
        try c.encode(length, forKey: .length)
        try c.encode(trainSize, forKey: .trainSize)
        try c.encode(validationSize, forKey: .validationSize)
        try c.encode(testSize, forKey: .testSize)
        try c.encode(epochs, forKey: .epochs)
        try c.encode(batchSize, forKey: .batchSize)
        try c.encodeHex(UInt64(learningRate.bitPattern), .learningRate)
        try c.encodeHex(seed, .seed)
        try c.encodeIfPresent(earlyStoppingPatience, forKey: .earlyStoppingPatience)
        if let targetAccuracy { try c.encodeHex(targetAccuracy.bitPattern, .targetAccuracy) }
        if let gradientClipNorm { try c.encodeHex(UInt64(gradientClipNorm.bitPattern), .gradientClipNorm) }
        if learningRateSchedule != .constant { try c.encode(learningRateSchedule, forKey: .learningRateSchedule) }
        if let cpuBudget { try c.encodeHex(cpuBudget.bitPattern, .cpuBudget) }
        try c.encodeIfPresent(dataFiles, forKey: .dataFiles)
    }
}

/// The data files of a run whose data is read rather than generated.
///
/// ```swift
/// var options = TrainingOptions(task: .listops, length: 2000)
/// options.dataFiles = TrainingDataFiles(train: "listops/train.tsv", validation: "listops/val.tsv", test: "listops/test.tsv")
/// ```
public struct TrainingDataFiles: Equatable, Sendable, Codable {
    /// The training set (required).
    public var train: String
    /// The validation and test sets (nil: none).
    public var validation: String?
    public var test: String?
    /// Cut sequences longer than the model's N to N instead of refusing them.
    public var truncate: Bool
    /// CRC-32 and byte count of each file as the run first read it, so a resumed run can tell
    /// that its data changed (set by the trainer).
    public var fingerprints: [String]

    public init(train: String, validation: String? = nil, test: String? = nil, truncate: Bool = false) {
        self.train = train
        self.validation = validation
        self.test = test
        self.truncate = truncate
        fingerprints = []
    }
}

/// Where a run stands: everything besides the parameters and the optimizer that a resumed
/// run needs to continue exactly as an uninterrupted one.
public struct TrainingProgress: Equatable, Sendable {
    /// Epochs completed.
    public var epoch = 0
    /// Steps completed in the current epoch (its shuffled order is recomputed from the seed).
    public var stepInEpoch = 0
    /// Steps completed in all.
    public var globalStep = 0
    /// The current epoch's running training loss sum (Σ batch mean × batch size), correct
    /// predictions and sequences seen.
    public var epochLossSum = 0.0
    public var epochCorrect = 0
    public var epochSeen = 0
    /// The best validation loss so far and the epochs since it improved (early stopping).
    public var bestValidationLoss = Double.infinity
    public var epochsWithoutImprovement = 0
    /// Seconds spent in training steps and in evaluation, over all sessions of the run.
    public var trainSeconds = 0.0
    public var evaluationSeconds = 0.0
    /// Process CPU seconds (all threads) spent in training steps: steadier than wall time on a
    /// machine shared with other work.
    public var trainCPUSeconds = 0.0
    /// The last epoch's evaluation (nil before the first epoch ends or without that set).
    public var lastValidation: Evaluation? = nil
    public var lastTest: Evaluation? = nil
    /// The last completed epoch's training loss and accuracy.
    public var lastTrainLoss: Double? = nil
    public var lastTrainAccuracy: Double? = nil
    /// Whether the run stopped early (patience, target or CPU budget reached).
    public var stoppedEarly = false
    /// Which rule stopped it early (nil while it runs or when it ran all its epochs).
    public var stopReason: StopReason? = nil
    /// The epoch with the best validation result so far (nil before the first evaluation with a
    /// validation set; also nil in checkpoints written before it was kept, until the next epoch ends).
    public var best: BestEpoch? = nil
    /// The OpenBLAS kernel families (`Parallelism.blasCore`) the run's steps used, in the order the sessions
    /// met them: dense layers round differently on another family, so a run that changed family is not
    /// bit-identical with one that did not. "unrecorded" stands for the steps of checkpoints written before
    /// this was kept.
    public var blasCores: [String] = []

    public init() {}
}

/// The rule that ended a run before its planned epochs.
public enum StopReason: String, Codable, Sendable {
    /// The validation accuracy reached ``TrainingOptions/targetAccuracy``.
    case target
    /// The validation loss did not improve for ``TrainingOptions/earlyStoppingPatience`` epochs.
    case patience
    /// Training used ``TrainingOptions/cpuBudget`` CPU seconds.
    case budget
}

/// Loss and accuracy of a model on a dataset.
public struct Evaluation: Equatable, Sendable, Codable {
    /// The mean loss per sequence.
    public var loss: Double
    /// The fraction of sequences predicted correctly, in [0, 1].
    public var accuracy: Double
    /// The number of sequences.
    public var count: Int

    public init(loss: Double, accuracy: Double, count: Int) {
        self.loss = loss
        self.accuracy = accuracy
        self.count = count
    }

    private enum CodingKeys: String, CodingKey { case loss = "loss_bits", accuracy = "accuracy_bits", count }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        loss = Double(bitPattern: try c.decodeHex(.loss))
        accuracy = Double(bitPattern: try c.decodeHex(.accuracy))
        count = try c.decode(Int.self, forKey: .count)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeHex(loss.bitPattern, .loss)
        try c.encodeHex(accuracy.bitPattern, .accuracy)
        try c.encode(count, forKey: .count)
    }
}

extension TrainingProgress: Codable {
    private enum CodingKeys: String, CodingKey {
        case epoch, stepInEpoch = "step_in_epoch", globalStep = "global_step", epochLossSum = "epoch_loss_sum_bits"
        case epochCorrect = "epoch_correct", epochSeen = "epoch_seen", bestValidationLoss = "best_validation_loss_bits"
        case epochsWithoutImprovement = "epochs_without_improvement", trainSeconds = "train_seconds_bits"
        case evaluationSeconds = "evaluation_seconds_bits", trainCPUSeconds = "train_cpu_seconds_bits", lastValidation = "last_validation", lastTest = "last_test"
        case lastTrainLoss = "last_train_loss_bits", lastTrainAccuracy = "last_train_accuracy_bits", stoppedEarly = "stopped_early"
        case stopReason = "stop_reason", best, blasCores = "blas_cores"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        epoch = try c.decode(Int.self, forKey: .epoch)
        stepInEpoch = try c.decode(Int.self, forKey: .stepInEpoch)
        globalStep = try c.decode(Int.self, forKey: .globalStep)
        epochLossSum = Double(bitPattern: try c.decodeHex(.epochLossSum))
        epochCorrect = try c.decode(Int.self, forKey: .epochCorrect)
        epochSeen = try c.decode(Int.self, forKey: .epochSeen)
        bestValidationLoss = Double(bitPattern: try c.decodeHex(.bestValidationLoss))
        epochsWithoutImprovement = try c.decode(Int.self, forKey: .epochsWithoutImprovement)
        trainSeconds = Double(bitPattern: try c.decodeHex(.trainSeconds))
        evaluationSeconds = Double(bitPattern: try c.decodeHex(.evaluationSeconds))
        trainCPUSeconds = Double(bitPattern: try c.decodeHex(.trainCPUSeconds))
        lastValidation = try c.decodeIfPresent(Evaluation.self, forKey: .lastValidation)
        lastTest = try c.decodeIfPresent(Evaluation.self, forKey: .lastTest)
        lastTrainLoss = try c.decodeHexIfPresent(.lastTrainLoss).map { Double(bitPattern: $0) }
        lastTrainAccuracy = try c.decodeHexIfPresent(.lastTrainAccuracy).map { Double(bitPattern: $0) }
        stoppedEarly = try c.decode(Bool.self, forKey: .stoppedEarly)
        stopReason = try c.decodeIfPresent(StopReason.self, forKey: .stopReason)
        best = try c.decodeIfPresent(BestEpoch.self, forKey: .best)
        blasCores = try c.decodeIfPresent([String].self, forKey: .blasCores) ?? (globalStep > 0 ? ["unrecorded"] : [])
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(epoch, forKey: .epoch)
        try c.encode(stepInEpoch, forKey: .stepInEpoch)
        try c.encode(globalStep, forKey: .globalStep)
        try c.encodeHex(epochLossSum.bitPattern, .epochLossSum)
        try c.encode(epochCorrect, forKey: .epochCorrect)
        try c.encode(epochSeen, forKey: .epochSeen)
        try c.encodeHex(bestValidationLoss.bitPattern, .bestValidationLoss)
        try c.encode(epochsWithoutImprovement, forKey: .epochsWithoutImprovement)
        try c.encodeHex(trainSeconds.bitPattern, .trainSeconds)
        try c.encodeHex(evaluationSeconds.bitPattern, .evaluationSeconds)
        try c.encodeHex(trainCPUSeconds.bitPattern, .trainCPUSeconds)
        try c.encodeIfPresent(lastValidation, forKey: .lastValidation)
        try c.encodeIfPresent(lastTest, forKey: .lastTest)
        if let lastTrainLoss { try c.encodeHex(lastTrainLoss.bitPattern, .lastTrainLoss) }
        if let lastTrainAccuracy { try c.encodeHex(lastTrainAccuracy.bitPattern, .lastTrainAccuracy) }
        try c.encode(stoppedEarly, forKey: .stoppedEarly)
        try c.encodeIfPresent(stopReason, forKey: .stopReason)
        try c.encodeIfPresent(best, forKey: .best)
        try c.encode(blasCores, forKey: .blasCores)
    }
}

// 64-bit values (seeds, bit patterns of floats) as hex strings: JSON numbers pass through
// Double in many readers and would lose bits.
extension KeyedDecodingContainer {
    func decodeHex(_ key: Key) throws -> UInt64 {
        let text = try decode(String.self, forKey: key)
        guard let v = UInt64(text, radix: 16) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "expected a hexadecimal number, got \(text)")
        }
        return v
    }

    func decodeHex32(_ key: Key) throws -> UInt32 {
        guard let v = UInt32(exactly: try decodeHex(key)) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "expected a 32-bit pattern")
        }
        return v
    }

    func decodeHexIfPresent(_ key: Key) throws -> UInt64? {
        contains(key) ? try decodeHex(key) : nil
    }
}

extension KeyedEncodingContainer {
    mutating func encodeHex(_ value: UInt64, _ key: Key) throws {
        try encode(String(value, radix: 16), forKey: key)
    }
}
