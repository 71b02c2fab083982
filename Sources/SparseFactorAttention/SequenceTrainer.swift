import SparseFactorCore
import SparseFactorNN
import SparseFactorIO
import Foundation

/// Trains a sequence model (PSF-Attn or a baseline, see ``ModelKind``) on any ``SequenceTask``:
/// epochs of shuffled minibatches, Adam, validation and test after every epoch, optional early
/// stopping, checkpoints that resume bit-exactly, and a clear stop on a NaN or infinite loss.
/// Every model gets the same data, order, optimizer and stopping rules, so the runs differ
/// only by the model.
///
/// ```swift
/// var options = TrainingOptions(task: .adding, length: 128)
/// options.trainSize = 4_000; options.epochs = 3
/// let trainer = try SequenceTrainer(model: .transformer, options: options)
/// trainer.checkpointURL = URL(fileURLWithPath: "adding.ckpt")
/// trainer.onEpoch = { print($0.epoch, $0.validation?.accuracy ?? 0) }
/// let summary = try trainer.train()
/// print(summary.test?.accuracy ?? 0)
/// ```
public final class SequenceTrainer {
    /// The run's options.
    public let options: TrainingOptions
    /// The model being trained.
    public let model: any SequenceModel
    /// Adam over the model's parameters.
    public let optimizer: Adam
    /// The three datasets (generated from the seed, or read from the options' data files).
    public let train: any SequenceDataset
    public let validation: any SequenceDataset
    public let test: any SequenceDataset
    /// Where the run stands.
    public private(set) var progress = TrainingProgress()

    /// Written (atomically), when set, every ``checkpointInterval`` steps, when an epoch's steps end
    /// (before its evaluation, so a run cut during a long evaluation keeps its steps) and after the evaluation.
    public var checkpointURL: URL?
    /// Also checkpoint every this many steps within an epoch (nil: only at epoch ends).
    public var checkpointInterval: Int?
    /// Written (atomically), when set, after every epoch whose validation result is the best so far
    /// (``TrainingProgress/best``): a checkpoint of that epoch's model, for `evaluate` or to resume from.
    /// ``checkpointURL`` keeps the last model; this one the model the summary's ``TrainingSummary/best`` scored.
    public var bestCheckpointURL: URL?
    /// Sequences per evaluation batch (default: the training batch size).
    public var evaluationBatchSize: Int?
    /// Called after every training step.
    public var onStep: ((StepReport) -> Void)?
    /// Called after every epoch's evaluation.
    public var onEpoch: ((EpochReport) -> Void)?
    /// Called after every batch of an evaluation (an evaluation of long sequences can take longer than an epoch).
    public var onEvaluation: ((EvaluationReport) -> Void)?
    /// Processes that share every step and every evaluation (data parallelism), or nil for this
    /// process alone. Each training batch is cut into ``gradientChunks`` pieces spread over the
    /// ranks, and the pieces' gradients are added in a fixed binary tree over the pieces on every
    /// rank, so runs on 1, 2 or 3 ranks give bit-identical parameters, losses and optimizer states (a run
    /// without a group takes the batch in one piece and differs from them in the last bits). Every
    /// rank must make the same trainer (same options, seed and data); only rank 0 writes checkpoints.
    public var group: (any ProcessGroup)?
    /// The pieces a batch is cut into when ``group`` is set (fixed: it must not depend on the group's size).
    public var gradientChunks = 12

    private var permutationEpoch = -1
    private var permutation: [Int] = []
    private var lastCheckpointStep: Int?

    /// A fresh run of PSF-Attn with the paper's configuration for the task (see ``PSFAttnConfiguration/init(task:length:)``).
    public convenience init(options: TrainingOptions) throws {
        try self.init(model: .psf, options: options)
    }

    /// A fresh run of a model kind with its default configuration for the task (see ``ModelConfiguration/init(kind:task:length:)``).
    public convenience init(model kind: ModelKind, options: TrainingOptions) throws {
        try self.init(configuration: ModelConfiguration(kind: kind, task: options.task, length: options.length), options: options)
    }

    /// A fresh run of PSF-Attn with a given shape.
    public convenience init(configuration: PSFAttnConfiguration, options: TrainingOptions) throws {
        try self.init(configuration: .psf(configuration), options: options)
    }

    /// A fresh run with a given model kind and shape.
    public init(configuration: ModelConfiguration, options: TrainingOptions) throws {
        try options.validate()
        guard configuration.length == options.length else {
            throw SparseFactorError.shapeMismatch(expected: "a model of length \(options.length) (the task's)", got: "length \(configuration.length)")
        }
        let expectedInput = options.task.input
        guard configuration.input == expectedInput, configuration.outputs == options.task.outputCount else {
            throw SparseFactorError.shapeMismatch(expected: "a model with input \(expectedInput) and \(options.task.outputCount) outputs for the \(options.task.rawValue) task",
                                                  got: "input \(configuration.input), \(configuration.outputs) outputs")
        }
        try configuration.checkStepMemory(batch: options.batchSize)
        if options.dataFiles == nil {
            try MemoryBudget.check("the shuffled order of \(options.trainSize) training sequences", counts: [options.trainSize],
                                   scalarBytes: MemoryLayout<Int>.size)
            if !options.task.isRegression && options.task.synthetic == nil {   // generated and held in memory
                try MemoryBudget.check("\(options.trainSize + options.validationSize + options.testSize) generated sequences of \(options.length) tokens",
                                       counts: [options.trainSize + options.validationSize + options.testSize, options.length], scalarBytes: 2)
            }
        }
        let splits = try TaskData.splits(for: options)
        var options = options
        if let files = splits.files {   // the files decide the sizes
            options.dataFiles = files
            (options.trainSize, options.validationSize, options.testSize) = (splits.train.count, splits.validation.count, splits.test.count)
            guard options.trainSize >= 1 else { throw SparseFactorError.invalidArgument("\(files.train) holds no sequence to train on") }
        }
        self.options = options
        (train, validation, test) = (splits.train, splits.validation, splits.test)
        model = try configuration.makeModel(seed: mixSeed(options.seed, 0x6D6F_6465_6C))   // "model"
        optimizer = try Adam(parameters: model.parameters, learningRate: options.learningRate)
        model.prepareTraining(batch: options.batchSize)
        model.computesInputGradient = false     // training needs the parameters' gradients only
    }

    /// Continues the run saved in `checkpoint`. `options` may change only the number of epochs,
    /// early stopping, the target accuracy and the CPU budget (a run its budget stopped goes on under a larger one); anything else that differs is refused with a
    /// message listing it, as is a checkpoint of another model shape.
    /// Without `configuration`, the checkpoint's own model is continued.
    public convenience init(resuming checkpoint: TrainingCheckpoint, options: TrainingOptions,
                            configuration: ModelConfiguration? = nil, source: String = "the checkpoint") throws {
        let wanted = configuration ?? checkpoint.configuration
        let shape = checkpoint.configuration.differences(from: wanted)
        guard shape.isEmpty else {
            throw SparseFactorError.invalidArgument(
                "\(source) holds a different model (checkpoint vs this run): " + shape.joined(separator: "; "))
        }
        let settings = checkpoint.options.resumeDifferences(from: options)
        guard settings.isEmpty else {
            throw SparseFactorError.invalidArgument(
                "\(source) was written by a run with other settings (checkpoint vs this run): " + settings.joined(separator: "; "))
        }
        try self.init(configuration: wanted, options: options)
        try restore(checkpoint, source: source)
    }

    /// The run's state now, ready to be written.
    public func checkpoint() -> TrainingCheckpoint {
        TrainingCheckpoint(configuration: model.modelConfiguration, options: options, progress: progress,
                           parameters: model.parameters.map { ($0.name, $0.value) }, optimizer: optimizer.state)
    }

    /// The most epochs and steps a checkpoint may record.
    static let maxEpochs = 1_000_000, maxSteps = 1 << 53

    /// Loads parameters, optimizer state and progress; checks everything before changing anything.
    private func restore(_ checkpoint: TrainingCheckpoint, source: String) throws {
        let parameters = model.parameters
        try Self.checkParameters(checkpoint, fit: model, source: source)
        if let saved = checkpoint.options.dataFiles?.fingerprints, saved != options.dataFiles?.fingerprints ?? [] {
            throw SparseFactorError.invalidArgument("\(source) was trained on other data files (checkpoint: \(saved.joined(separator: "; ")); "
                                                    + "now: \((options.dataFiles?.fingerprints ?? []).joined(separator: "; "))); nothing was loaded")
        }
        let p = checkpoint.progress
        // Counters a run can reach: a million epochs, 2^53 steps (exact as JSON numbers), so that
        // continuing from them never overflows. A step in epoch equal to the epoch's steps: its
        // evaluation had begun (see finishEpoch).
        guard (0...Self.maxEpochs).contains(p.epoch), (0...options.stepsPerEpoch).contains(p.stepInEpoch),
              (0...Self.maxSteps).contains(p.globalStep), (0...options.trainSize).contains(p.epochSeen),
              (0...p.epochSeen).contains(p.epochCorrect), (0...p.epoch).contains(p.epochsWithoutImprovement),
              (0...Self.maxSteps).contains(checkpoint.optimizer.step),
              p.best.map({ (1...p.epoch).contains($0.epoch) && (0...p.globalStep).contains($0.steps) }) ?? true else {
            throw SparseFactorError.io("\(source) has an inconsistent or out-of-range position (epoch \(p.epoch), step \(p.stepInEpoch), "
                                       + "global step \(p.globalStep), optimizer step \(checkpoint.optimizer.step); at most \(Self.maxEpochs) "
                                       + "epochs and 2^53 steps); nothing was loaded")
        }
        try optimizer.restore(checkpoint.optimizer)   // throws before changing anything if it does not fit
        for (saved, p) in zip(checkpoint.parameters, parameters) { p.value = saved.value }
        progress = p
        // A run stopped by its CPU budget continues when resumed with a larger one (or none).
        if p.stopReason == .budget, (options.cpuBudget ?? .infinity) > p.trainCPUSeconds {
            progress.stoppedEarly = false
            progress.stopReason = nil
        }
        lastCheckpointStep = p.globalStep
    }

    // MARK: training

    /// Trains until the planned epochs are done, early stopping fires, or `maxSteps` more
    /// steps have been taken (for tests and benchmarks); returns the run's summary.
    @discardableResult
    public func train(maxSteps: Int? = nil) throws -> TrainingSummary {
        var taken = 0
        if progress.blasCores.last != Parallelism.blasCore { progress.blasCores.append(Parallelism.blasCore) }
        while progress.epoch < options.epochs && !progress.stoppedEarly {
            // A checkpoint written as the budget ran out but before its evaluation ended resumes here,
            // into the evaluation the interrupted run was doing, without another step.
            if let budget = options.cpuBudget, progress.trainCPUSeconds >= budget {
                try finishEpoch(budgetSpent: true)
                continue
            }
            if let maxSteps, taken >= maxSteps { break }
            if progress.stepInEpoch < options.stepsPerEpoch {
                try step()
                taken += 1
                if let budget = options.cpuBudget, progress.trainCPUSeconds >= budget {
                    try finishEpoch(budgetSpent: true)   // the budget ends this epoch now, with its evaluation
                    continue
                }
                if let interval = checkpointInterval, interval > 0, progress.globalStep % interval == 0,
                   progress.stepInEpoch < options.stepsPerEpoch {
                    try saveCheckpoint()
                }
            }
            if progress.stepInEpoch == options.stepsPerEpoch { try finishEpoch() }
        }
        return summary()
    }

    /// One optimizer step on the next minibatch (the epoch's end is handled by ``train(maxSteps:)``).
    func step() throws {
        let start = DispatchTime.now().uptimeNanoseconds
        let cpuStart = processCPUSeconds()
        let indices = batchIndices(epoch: progress.epoch, step: progress.stepInEpoch)
        model.isTraining = true
        let batch = try group.map { try gradients(of: indices, splitOver: $0, cpuStart: cpuStart) } ?? gradients(of: indices, cpuStart: cpuStart)
        let loss = batch.lossSum / Double(indices.count)
        guard loss.isFinite else {
            throw SparseFactorError.nonFinite(
                "the training loss became \(loss) at epoch \(progress.epoch + 1), step \(progress.stepInEpoch + 1) (step \(progress.globalStep + 1) overall); "
                + "the run stopped" + keptCheckpointNote())
        }
        if let clip = options.gradientClipNorm {
            let norm = try clipGradientNorm(model.parameters, maxNorm: clip)
            guard norm.isFinite else {
                throw SparseFactorError.nonFinite("the gradient norm became \(norm) at step \(progress.globalStep + 1); the run stopped" + keptCheckpointNote())
            }
        }
        optimizer.learningRate = options.learningRate(atStep: progress.globalStep)
        try optimizer.step()
        progress.epochLossSum += batch.lossSum
        progress.epochCorrect += batch.correct
        progress.epochSeen += indices.count
        progress.stepInEpoch += 1
        progress.globalStep += 1
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        progress.trainSeconds += seconds
        progress.trainCPUSeconds += batch.cpuSeconds
        onStep?(StepReport(epoch: progress.epoch + 1, step: progress.stepInEpoch, stepsPerEpoch: options.stepsPerEpoch,
                           globalStep: progress.globalStep, loss: loss,
                           runningLoss: progress.epochLossSum / Double(max(progress.epochSeen, 1)),
                           runningAccuracy: Double(progress.epochCorrect) / Double(max(progress.epochSeen, 1)),
                           stepSeconds: seconds))
    }

    /// What a step's gradient computation reports: the batch's summed loss (mean × sequences), its
    /// correct predictions, and the CPU seconds it took (of every rank).
    private struct BatchGradients {
        var lossSum: Double
        var correct: Int
        var cpuSeconds: Double
    }

    /// The parameters' gradients of the mean loss over the whole batch, in one forward and backward pass.
    private func gradients(of indices: [Int], cpuStart: Double) throws -> BatchGradients {
        optimizer.zeroGradients()
        let (loss, correct) = try forwardBackward(indices, stepID: progress.globalStep)
        return BatchGradients(lossSum: Double(loss) * Double(indices.count), correct: correct, cpuSeconds: processCPUSeconds() - cpuStart)
    }

    /// The same gradients with the batch cut into ``gradientChunks`` pieces spread over `group`: each rank
    /// computes its pieces' gradients (each weighted by its share of the batch), and they are added in a
    /// fixed tree over the pieces (`ProcessGroup.treeSum(pieces:length:piece:)`); the pieces' losses and
    /// correct counts are gathered and added in piece order.
    private func gradients(of indices: [Int], splitOver group: any ProcessGroup, cpuStart: Double) throws -> BatchGradients {
        let chunks = min(gradientChunks, indices.count)
        let parameters = model.parameters
        let count = parameters.reduce(0) { $0 + $1.value.count }
        var statistics: [Double] = []   // per piece of this rank: summed loss, correct predictions
        let sum: [Float] = try group.treeSum(pieces: chunks, length: count) { chunk in
            let piece = Array(indices[(chunk * indices.count / chunks)..<((chunk + 1) * indices.count / chunks)])
            optimizer.zeroGradients()
            // Every piece its own dropout masks: the step's ID is (step, piece).
            let (loss, correct) = try forwardBackward(piece, stepID: progress.globalStep * chunks + chunk)
            statistics += [Double(loss) * Double(piece.count), Double(correct)]
            let weight = Float(piece.count) / Float(indices.count)
            var flat: [Float] = []
            flat.reserveCapacity(count)
            for p in parameters { flat.append(contentsOf: p.gradient.values.lazy.map { $0 * weight }) }
            return flat
        }
        var offset = 0
        for p in parameters {
            let n = p.value.count
            p.gradient.values.withUnsafeMutableBufferPointer { g in
                sum.withUnsafeBufferPointer { s in
                    for i in 0..<n { g[i] = s[offset + i] }
                }
            }
            offset += n
        }
        let cpuSeconds = processCPUSeconds() - cpuStart
        let gathered = try group.allGather([cpuSeconds] + statistics,
                                           counts: (0..<group.size).map { 1 + 2 * group.pieces(chunks, rank: $0).count })
        var result = BatchGradients(lossSum: 0, correct: 0, cpuSeconds: 0)
        var at = 0
        for rank in 0..<group.size {   // rank order is piece order
            result.cpuSeconds += gathered[at]
            at += 1
            for _ in group.pieces(chunks, rank: rank) {
                result.lossSum += gathered[at]
                result.correct += Int(gathered[at + 1])
                at += 2
            }
        }
        return result
    }

    /// Forward and backward over the sequences `indices`: the gradients of their mean loss are added to
    /// the parameters'; returns that loss and the correct predictions.
    private func forwardBackward(_ indices: [Int], stepID: Int) throws -> (loss: Float, correct: Int) {
        let (x, y) = try train.batch(indices)
        model.prepareStep(stepID)
        let prediction: Tensor
        do {
            prediction = try model(x)
        } catch SparseFactorError.nonFinite(let what) {
            throw SparseFactorError.nonFinite("\(what) at epoch \(progress.epoch + 1), step \(progress.stepInEpoch + 1); the run stopped" + keptCheckpointNote())
        }
        let (loss, gradient) = try Self.lossAndGradient(options.task, prediction, y)
        if loss.isFinite { _ = try model.backward(gradient) }   // a non-finite loss stops the step (checked by the caller)
        return (loss, try Self.correctCount(options.task, prediction, y))
    }

    /// Loss and accuracy of the current model on a dataset, in evaluation mode.
    public func evaluate(_ dataset: any SequenceDataset) throws -> Evaluation {
        try evaluate(dataset, split: "")
    }

    private func evaluate(_ dataset: any SequenceDataset, split: String) throws -> Evaluation {
        let report = onEvaluation.map { onEvaluation in { (done: Int, batches: Int) in
            onEvaluation(EvaluationReport(split: split, batch: done, batches: batches)) } }
        return try Self.evaluate(model, task: options.task, on: dataset, batch: evaluationBatchSize ?? options.batchSize, group: group,
                                 progress: report)
    }

    /// Loss and accuracy of `model` on a dataset of `task`, in evaluation mode, `batch` sequences at a time.
    ///
    /// ```swift
    /// let saved = try TrainingCheckpoint.read(from: URL(fileURLWithPath: "listops.ckpt"))
    /// let model = try SequenceTrainer.savedModel(saved)
    /// let data = try TaskData.read(task: .listops, url: URL(fileURLWithPath: "test.tsv"), length: saved.options.length)
    /// print(try SequenceTrainer.evaluate(model, task: .listops, on: data, batch: 40).accuracy)
    /// ```
    ///
    /// With a `group`, the batches are spread over its ranks and their results added in batch order on
    /// every rank: the same numbers as without one, in a share of the time. `progress`, when given, is
    /// called after each of this rank's batches with the batches done and this rank's share of them.
    public static func evaluate(_ model: any SequenceModel, task: SequenceTask, on dataset: any SequenceDataset, batch: Int,
                                group: (any ProcessGroup)? = nil, progress: ((Int, Int) -> Void)? = nil) throws -> Evaluation {
        guard dataset.count > 0 else { return Evaluation(loss: .nan, accuracy: .nan, count: 0) }
        let wasTraining = model.isTraining
        model.isTraining = false
        defer { model.isTraining = wasTraining }
        let batch = max(batch, 1)
        let batches = (dataset.count + batch - 1) / batch
        let group = group ?? SingleProcess()
        var mine: [Double] = []   // per batch: summed loss, correct predictions
        let myBatches = group.pieces(batches)
        for (done, b) in myBatches.enumerated() {
            let indices = Array((b * batch)..<min((b + 1) * batch, dataset.count))
            let (x, y) = try dataset.batch(indices)
            let prediction = try model(x)
            mine += [Double(try lossAndGradient(task, prediction, y).loss) * Double(indices.count), Double(try correctCount(task, prediction, y))]
            progress?(done + 1, myBatches.count)
        }
        let all = try group.allGather(mine, counts: group.counts(batches, each: 2))
        var lossSum = 0.0
        var correct = 0
        for b in 0..<batches {
            lossSum += all[2 * b]
            correct += Int(all[2 * b + 1])
        }
        return Evaluation(loss: lossSum / Double(dataset.count), accuracy: Double(correct) / Double(dataset.count), count: dataset.count)
    }

    /// The model a checkpoint holds, with its parameters, without loading any of the run's data.
    public static func savedModel(_ checkpoint: TrainingCheckpoint, source: String = "the checkpoint") throws -> any SequenceModel {
        let model = try checkpoint.configuration.makeModel(seed: 0)
        try checkParameters(checkpoint, fit: model, source: source)
        for (saved, p) in zip(checkpoint.parameters, model.parameters) { p.value = saved.value }
        return model
    }

    /// Throws unless the checkpoint's parameters have the model's names and shapes, in order.
    private static func checkParameters(_ checkpoint: TrainingCheckpoint, fit model: any SequenceModel, source: String) throws {
        let parameters = model.parameters
        guard checkpoint.parameters.count == parameters.count else {
            throw SparseFactorError.invalidArgument("\(source) has \(checkpoint.parameters.count) parameter tensors, this model \(parameters.count)")
        }
        for (saved, p) in zip(checkpoint.parameters, parameters) where saved.name != p.name || saved.value.shape != p.value.shape {
            throw SparseFactorError.invalidArgument(
                "\(source) does not fit this model: it has \(saved.name) of shape \(saved.value.shape), the model \(p.name) of shape \(p.value.shape)")
        }
    }

    /// The summary of the run so far.
    public func summary() -> TrainingSummary {
        TrainingSummary(task: options.task, model: model.modelConfiguration.kind, length: options.length, parameterCount: model.parameterCount,
                        epochs: progress.epoch, steps: progress.globalStep, trainSeconds: progress.trainSeconds,
                        evaluationSeconds: progress.evaluationSeconds,
                        msPerStep: progress.globalStep > 0 ? progress.trainSeconds * 1e3 / Double(progress.globalStep) : 0,
                        cpuMsPerStep: progress.globalStep > 0 ? progress.trainCPUSeconds * 1e3 / Double(progress.globalStep) : 0,
                        trainLoss: progress.lastTrainLoss, trainAccuracy: progress.lastTrainAccuracy,
                        validation: progress.lastValidation, test: progress.lastTest, best: progress.best,
                        stoppedEarly: progress.stoppedEarly, stopReason: progress.stopReason)
    }

    // MARK: internals

    private func finishEpoch(budgetSpent: Bool = false) throws {
        // The steps come first into the checkpoint: an evaluation of long sequences can outlast the
        // session, and a run resumed from here redoes only the evaluation.
        if validation.count + test.count > 0, lastCheckpointStep != progress.globalStep { try saveCheckpoint() }
        let start = DispatchTime.now().uptimeNanoseconds
        let trainLoss = progress.epochLossSum / Double(max(progress.epochSeen, 1))
        let trainAccuracy = Double(progress.epochCorrect) / Double(max(progress.epochSeen, 1))
        let val = validation.count > 0 ? try evaluate(validation, split: "validation") : nil
        let tst = test.count > 0 ? try evaluate(test, split: "test") : nil
        progress.evaluationSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        var improved = false
        let isBest = val.map { BestEpoch.isImprovement($0, over: progress.best) } ?? false
        if let val {
            if val.loss < progress.bestValidationLoss {
                progress.bestValidationLoss = val.loss
                progress.epochsWithoutImprovement = 0
                improved = true
            } else {
                progress.epochsWithoutImprovement += 1
            }
        }
        progress.epoch += 1
        progress.stepInEpoch = 0
        progress.epochLossSum = 0
        progress.epochCorrect = 0
        progress.epochSeen = 0
        progress.lastTrainLoss = trainLoss
        progress.lastTrainAccuracy = trainAccuracy
        progress.lastValidation = val
        progress.lastTest = tst
        if let patience = options.earlyStoppingPatience, progress.epochsWithoutImprovement >= patience { progress.stopReason = .patience }
        if budgetSpent { progress.stopReason = .budget }
        if let target = options.targetAccuracy, let val, val.accuracy >= target { progress.stopReason = .target }
        if progress.stopReason != nil { progress.stoppedEarly = true }
        if isBest, let val {
            progress.best = BestEpoch(epoch: progress.epoch, steps: progress.globalStep, validation: val, test: tst)
            // Before the run's checkpoint: a run cut between the two redoes this evaluation and writes it again.
            if let url = bestCheckpointURL { try writeCheckpoint(to: url) }
        }
        try saveCheckpoint()
        onEpoch?(EpochReport(epoch: progress.epoch, epochs: options.epochs, steps: progress.globalStep, trainLoss: trainLoss,
                             trainAccuracy: trainAccuracy, validation: val, test: tst, improved: improved, isBest: isBest,
                             trainSeconds: progress.trainSeconds, evaluationSeconds: progress.evaluationSeconds,
                             stoppedEarly: progress.stoppedEarly))
    }

    private func saveCheckpoint() throws {
        guard let url = checkpointURL else { return }
        try writeCheckpoint(to: url)
        lastCheckpointStep = progress.globalStep
    }

    private func writeCheckpoint(to url: URL) throws {
        // Never replace a good checkpoint by one holding non-finite parameters.
        for p in model.parameters where !p.value.isFinite {
            throw SparseFactorError.nonFinite("parameter \(p.name) became non-finite at step \(progress.globalStep); the run stopped" + keptCheckpointNote())
        }
        if group?.isLeader ?? true { try checkpoint().write(to: url) }   // rank 0 writes for the group
    }

    private func keptCheckpointNote() -> String {
        guard let url = checkpointURL else { return " (no checkpoint was requested)" }
        guard let step = lastCheckpointStep else { return "; no checkpoint had been written yet" }
        return "; the last good checkpoint (step \(step)) is kept at \(url.path)"
    }

    /// The sequences of step `step` of epoch `epoch`: a slice of that epoch's seeded shuffle.
    private func batchIndices(epoch: Int, step: Int) -> [Int] {
        if permutationEpoch != epoch {
            var rng = SeededGenerator(seed: mixSeed(options.seed, 0x7368_7566_666C_6500 ^ UInt64(epoch)))   // "shuffle"
            permutation = seededPermutation(options.trainSize, &rng)
            permutationEpoch = epoch
        }
        let start = step * options.batchSize
        return Array(permutation[start..<min(start + options.batchSize, options.trainSize)])
    }

    private static func lossAndGradient(_ task: SequenceTask, _ prediction: Tensor, _ target: Tensor) throws -> (loss: Float, gradient: Tensor) {
        task.isRegression ? try MSELoss()(prediction, target) : try CrossEntropyLoss()(prediction, target)
    }

    private static func correctCount(_ task: SequenceTask, _ prediction: Tensor, _ target: Tensor) throws -> Int {
        if task.isRegression {
            return zip(prediction.values, target.values).filter { abs($0 - $1) < SyntheticTask.addingTolerance }.count
        }
        return zip(try prediction.argmaxLastDimension(), target.values).filter { Float($0) == $1 }.count
    }
}

/// One training step's numbers.
public struct StepReport: Sendable {
    public var epoch: Int
    public var step: Int
    public var stepsPerEpoch: Int
    public var globalStep: Int
    public var loss: Double
    public var runningLoss: Double
    public var runningAccuracy: Double
    public var stepSeconds: Double
}

/// One epoch's numbers, after its evaluation.
public struct EpochReport: Sendable {
    public var epoch: Int
    public var epochs: Int
    public var steps: Int
    public var trainLoss: Double
    public var trainAccuracy: Double
    public var validation: Evaluation?
    public var test: Evaluation?
    /// Whether the validation loss improved on the best so far (early stopping's rule).
    public var improved: Bool
    /// Whether this epoch's model is the best so far by validation accuracy (``BestEpoch``).
    public var isBest: Bool
    /// Cumulative seconds of training steps and of evaluation.
    public var trainSeconds: Double
    public var evaluationSeconds: Double
    public var stoppedEarly: Bool
}

/// Where an evaluation stands: after `batch` of its `batches` batches (on this rank).
public struct EvaluationReport: Sendable {
    /// "validation" or "test".
    public var split: String
    public var batch: Int
    public var batches: Int
}

/// The outcome of a run (or of the run so far).
public struct TrainingSummary: Sendable {
    public var task: SequenceTask
    /// The model's kind.
    public var model: ModelKind
    public var length: Int
    public var parameterCount: Int
    /// Epochs completed.
    public var epochs: Int
    /// Steps completed.
    public var steps: Int
    /// Seconds in training steps (forward, backward, update, batch generation) and in evaluation.
    public var trainSeconds: Double
    public var evaluationSeconds: Double
    /// Mean milliseconds per training step.
    public var msPerStep: Double
    /// Mean process CPU milliseconds (all threads) per training step.
    public var cpuMsPerStep: Double
    /// The last completed epoch's training loss and accuracy.
    public var trainLoss: Double?
    public var trainAccuracy: Double?
    public var validation: Evaluation?
    public var test: Evaluation?
    /// The best-validation epoch and its evaluations (nil without a validation set); `validation`
    /// and `test` above are the last epoch's.
    public var best: BestEpoch?
    public var stoppedEarly: Bool
    /// Which rule stopped the run early, if one did.
    public var stopReason: StopReason?
}

/// The trainer's name before the baselines existed.
@available(*, deprecated, renamed: "SequenceTrainer")
public typealias PSFTrainer = SequenceTrainer
