import Foundation
@testable import SparseFactorAttention
import SparseFactorCore
import SparseFactorNN
import SparseFactorTestSupport
import Testing

/// Every model kind through the one trainer: training lowers the loss, a run resumes
/// bit-exactly from a mid-epoch checkpoint, checkpoints name their model, and results do not
/// depend on the thread count.
@Suite struct BaselineTrainingTests {
    func tinyOptions(_ task: SequenceTask = .order, length: Int = 8) -> TrainingOptions { tinyTrainingOptions(task, length: length, seed: 11) }

    /// Small shapes of every kind; the Transformer and ChordMixer with dropout, so resuming
    /// must replay the masks too.
    func tinyConfiguration(_ kind: ModelKind, _ task: SequenceTask, length: Int) -> ModelConfiguration {
        switch ModelConfiguration(kind: kind, task: task, length: length) {
        case .psf(var c): c.embedding = 8; c.channels = 3; return .psf(c)
        case .paramixer(var c): c.embedding = 8; c.channels = 8; return .paramixer(c)
        case .transformer(var c):
            c.embedding = 8; c.heads = 2; c.feedForward = 16; c.dropout = 0.1
            if case .performer = c.attention { c.attention = .performer(features: 16) }
            if case .linformer = c.attention { c.attention = .linformer(projectedLength: max(length / 2, 1)) }
            return .transformer(c)
        case .chordMixer(var c): c.trackSize = 2; c.hidden = 8; c.dropout = 0.1; c.pooling = .flatten; return .chordMixer(c)
        }
    }

    @Test(arguments: ModelKind.allCases)
    func resumingContinuesBitExactly(kind: ModelKind) throws {
        let options = tinyOptions()
        let config = tinyConfiguration(kind, .order, length: 8)
        let straight = try SequenceTrainer(configuration: config, options: options)
        try straight.train(maxSteps: 8)
        let url = temporaryCheckpointURL("\(kind).ckpt")
        defer { try? FileManager.default.removeItem(at: url) }
        let first = try SequenceTrainer(configuration: config, options: options)
        try first.train(maxSteps: 4)
        try first.checkpoint().write(to: url)
        let saved = try TrainingCheckpoint.read(from: url)
        #expect(saved.configuration == config)
        let resumed = try SequenceTrainer(resuming: saved, options: options)
        #expect(resumed.model.modelConfiguration.kind == kind)
        try resumed.train(maxSteps: 4)
        #expect(parameterBits(resumed) == parameterBits(straight), "\(kind)")
        #expect(resumed.optimizer.state == straight.optimizer.state)
        #expect(parameterBits(straight) != parameterBits(first), "the comparison is not vacuous")
    }

    @Test(arguments: [ModelKind.transformer, .chordmixer, .paramixer])
    func trainingLowersTheLoss(kind: ModelKind) throws {
        var options = tinyOptions(.adding, length: 8)
        options.trainSize = 400
        options.epochs = 3
        options.learningRate = 3e-3
        let trainer = try SequenceTrainer(configuration: tinyConfiguration(kind, .adding, length: 8), options: options)
        let before = try trainer.evaluate(trainer.validation)
        let summary = try trainer.train()
        let after = try #require(summary.validation)
        #expect(summary.model == kind)
        #expect(after.loss < 0.5 * before.loss, "\(kind): validation MSE \(before.loss) → \(after.loss)")
    }

    @Test func aCPUBudgetEndsTheEpochWithItsEvaluationAndALargerOneContinues() throws {
        var options = tinyOptions()
        options.cpuBudget = 1e-9                // spent by the first step
        let trainer = try SequenceTrainer(configuration: tinyConfiguration(.transformer, .order, length: 8), options: options)
        let summary = try trainer.train()
        #expect(summary.stopReason == .budget && summary.stoppedEarly)
        #expect(summary.steps == 1 && summary.epochs == 1)
        #expect(summary.validation?.count == 30 && summary.test?.count == 20)
        var more = options
        more.cpuBudget = nil
        let resumed = try SequenceTrainer(resuming: trainer.checkpoint(), options: more)
        #expect(!resumed.progress.stoppedEarly && resumed.progress.stopReason == nil)
        let rest = try resumed.train()
        #expect(rest.epochs == 4 && rest.steps == 1 + 3 * 3 && rest.stopReason == nil)
        var bad = options
        bad.cpuBudget = -1
        expectError("negative budget", matches: \.isInvalidArgument) { try SequenceTrainer(options: bad) }
    }

    /// The checkpoint is written before an epoch's evaluation starts (an evaluation of long sequences
    /// can outlast a session): a run resumed from it redoes only the evaluation, not a step more, and
    /// ends exactly as the uncut run; whether the budget or the epoch's last step began the evaluation.
    @Test(arguments: [true, false])
    func aRunCutDuringAnEvaluationResumesIntoIt(budgetEnds: Bool) throws {
        var options = tinyOptions()
        options.epochs = 2
        if budgetEnds { options.cpuBudget = 1e-9 }   // spent by the first step
        let config = tinyConfiguration(.transformer, .order, length: 8)
        let url = temporaryCheckpointURL("cut-\(budgetEnds).ckpt")
        defer { try? FileManager.default.removeItem(at: url) }
        let uncut = try SequenceTrainer(configuration: config, options: options)
        uncut.checkpointURL = url
        var cut: TrainingCheckpoint?   // what a session killed during the first evaluation leaves
        var splits: [String] = []
        uncut.onEvaluation = { report in
            if cut == nil { cut = try? TrainingCheckpoint.read(from: url) }
            if splits.last != report.split { splits.append(report.split) }
        }
        let whole = try uncut.train()
        #expect(splits == (budgetEnds ? ["validation", "test"] : ["validation", "test", "validation", "test"]))
        let saved = try #require(cut, "no checkpoint existed when the first evaluation began")
        #expect(saved.progress.globalStep == (budgetEnds ? 1 : 3) && saved.progress.epoch == 0)
        let resumed = try SequenceTrainer(resuming: saved, options: options)
        let rest = try resumed.train()
        #expect(rest.steps == whole.steps && rest.epochs == whole.epochs && rest.stopReason == whole.stopReason)
        #expect(rest.validation == whole.validation && rest.test == whole.test)
        #expect(parameterBits(resumed) == parameterBits(uncut))
        #expect(resumed.optimizer.state == uncut.optimizer.state)
    }

    @Test func resumingAsAnotherModelIsRefusedNamingIt() throws {
        let options = tinyOptions()
        let saved = try SequenceTrainer(configuration: tinyConfiguration(.transformer, .order, length: 8), options: options).checkpoint()
        expectMessage("transformer as psf", contains: "model: transformer vs psf") {
            try SequenceTrainer(resuming: saved, options: options, configuration: ModelConfiguration(kind: .psf, task: .order, length: 8))
        }
        var wider = TransformerConfiguration(task: .order, length: 8)
        wider.embedding = 8
        wider.heads = 2
        expectMessage("other feed-forward", contains: "feed-forward: 16 vs 64") {
            try SequenceTrainer(resuming: saved, options: options, configuration: .transformer(wider))
        }
    }

    /// Checkpoints written before the baselines existed have no "model" key: they hold PSF-Attn.
    @Test func checkpointsWithoutAModelKeyArePSFAttn() throws {
        let options = tinyOptions()
        let trainer = try SequenceTrainer(options: options)
        try trainer.train(maxSteps: 2)
        let container = try CheckpointContainer(decoding: try trainer.checkpoint().encoded(), source: "test")
        var header = try #require(try JSONSerialization.jsonObject(with: container.header) as? [String: Any])
        #expect(header["model"] as? String == "psf")
        header["model"] = nil
        let old = CheckpointContainer(header: try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]), tensors: container.tensors)
        let decoded = try TrainingCheckpoint(decoding: old.encoded())
        #expect(decoded == trainer.checkpoint())
        #expect(decoded.configuration.kind == .psf)
    }

    @Test(arguments: [ModelKind.transformer, .chordmixer])
    func resultsDoNotDependOnTheThreadCount(kind: ModelKind) throws {
        let saved = Parallelism.threads
        defer { Parallelism.threads = saved }
        var results: [[[UInt32]]] = []
        for threads in [1, 2, 3] {
            Parallelism.threads = threads
            var options = tinyOptions(.adding, length: 300)
            options.trainSize = 6
            options.batchSize = 3
            options.epochs = 1
            let trainer = try SequenceTrainer(configuration: tinyConfiguration(kind, .adding, length: 300), options: options)
            try trainer.train(maxSteps: 2)
            results.append(parameterBits(trainer))
        }
        #expect(results[0] == results[1] && results[1] == results[2], "\(kind)")
    }
}
