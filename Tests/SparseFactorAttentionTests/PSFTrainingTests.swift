import Foundation
@testable import SparseFactorAttention
import SparseFactorCore
import SparseFactorIO
import SparseFactorNN
import SparseFactorTestSupport
import Testing

/// Training loop, checkpoints and resuming: tiny runs, exact comparisons.
@Suite struct PSFTrainingTests {
    func tinyOptions(_ task: SequenceTask = .order, length: Int = 8) -> TrainingOptions { tinyTrainingOptions(task, length: length) }

    /// Progress without its clock readings, which differ between runs.
    func untimed(_ p: TrainingProgress) -> TrainingProgress {
        var p = p
        p.trainSeconds = 0
        p.evaluationSeconds = 0
        p.trainCPUSeconds = 0
        return p
    }


    @Test func trainingLowersTheLoss() throws {
        var options = tinyOptions(.adding, length: 8)
        options.trainSize = 400
        options.epochs = 3
        options.learningRate = 3e-3
        let trainer = try SequenceTrainer(options: options)
        let before = try trainer.evaluate(trainer.validation)
        var epochs: [EpochReport] = []
        trainer.onEpoch = { epochs.append($0) }
        let summary = try trainer.train()
        #expect(epochs.count == 3)
        #expect(summary.epochs == 3 && summary.steps == 30)
        let after = try #require(summary.validation)
        #expect(after.loss < 0.5 * before.loss, "validation MSE \(before.loss) → \(after.loss)")
        #expect(summary.test?.count == 20)
    }

    @Test func cosineScheduleAnnealsToZero() {
        var options = tinyOptions()          // 4 epochs × 3 steps = 12 steps
        #expect(options.learningRate(atStep: 7) == options.learningRate)
        options.learningRateSchedule = .cosine
        #expect(options.learningRate(atStep: 0) == options.learningRate)
        #expect(abs(options.learningRate(atStep: 6) - options.learningRate / 2) < 1e-9)
        #expect(abs(options.learningRate(atStep: 3) - options.learningRate * Float(0.5 * (1 + 0.5.squareRoot()))) < 1e-9)
        #expect(options.learningRate(atStep: 12) == 0)
        #expect(options.learningRate(atStep: 100) == 0)
    }

    @Test(arguments: [LearningRateSchedule.constant, .cosine])
    func resumingContinuesBitExactly(schedule: LearningRateSchedule) throws {
        var options = tinyOptions()
        options.learningRateSchedule = schedule
        // Uninterrupted: 8 steps (crossing two epoch ends and their evaluations).
        let straight = try SequenceTrainer(options: options)
        try straight.train(maxSteps: 8)
        // Interrupted after 4 steps (mid-epoch), through a file.
        let url = temporaryCheckpointURL("resume.ckpt")
        defer { try? FileManager.default.removeItem(at: url) }
        let first = try SequenceTrainer(options: options)
        try first.train(maxSteps: 4)
        try first.checkpoint().write(to: url)
        let resumed = try SequenceTrainer(resuming: try TrainingCheckpoint.read(from: url), options: options)
        #expect(parameterBits(resumed) == parameterBits(first))
        try resumed.train(maxSteps: 4)
        #expect(parameterBits(resumed) == parameterBits(straight))
        #expect(resumed.optimizer.state == straight.optimizer.state)
        #expect(untimed(resumed.progress) == untimed(straight.progress))
        #expect(resumed.progress.lastTrainLoss != nil && resumed.progress.lastValidation != nil)
        // And the straight run really moved away from the checkpoint (the comparison is not vacuous).
        #expect(parameterBits(straight) != parameterBits(first))
    }

    @Test func resumingFromAnEpochEndCheckpointFinishesLikeTheFullRun() throws {
        let options = tinyOptions()
        let full = try SequenceTrainer(options: options)
        let fullSummary = try full.train()
        let url = temporaryCheckpointURL("epoch.ckpt")
        defer { try? FileManager.default.removeItem(at: url) }
        var shortOptions = options
        shortOptions.epochs = 2
        let short = try SequenceTrainer(options: shortOptions)
        short.checkpointURL = url
        try short.train()
        let resumed = try SequenceTrainer(resuming: try TrainingCheckpoint.read(from: url), options: options)
        #expect(resumed.progress.epoch == 2)
        let summary = try resumed.train()
        #expect(parameterBits(resumed) == parameterBits(full))
        #expect(untimed(resumed.progress) == untimed(full.progress))
        #expect(summary.test == fullSummary.test)
        #expect(summary.epochs == 4 && summary.steps == 12)
    }

    @Test func checkpointRoundTripsExactly() throws {
        let trainer = try SequenceTrainer(options: tinyOptions())
        try trainer.train(maxSteps: 5)
        let saved = trainer.checkpoint()
        let decoded = try TrainingCheckpoint(decoding: try saved.encoded())
        #expect(decoded == saved)
        #expect(decoded.optimizer.step == 5)
        #expect(decoded.progress.stepInEpoch == 2 && decoded.progress.epoch == 1)
    }

    @Test func corruptOrTruncatedCheckpointsAreRefusedWhole() throws {
        let trainer = try SequenceTrainer(options: tinyOptions())
        try trainer.train(maxSteps: 2)
        let data = try trainer.checkpoint().encoded()
        // Flip one byte in the middle (inside the tensors), the header, and the checksum.
        for offset in [data.count / 2, 30, data.count - 1] {
            var bad = data
            bad[offset] ^= 0x40
            expectIO("flipped byte at \(offset)", contains: "not a valid checkpoint") { try TrainingCheckpoint(decoding: bad) }
        }
        for length in [0, 5, 24, data.count / 3, data.count - 1] {
            expectIO("truncated to \(length) bytes", contains: "not a valid checkpoint") {
                try TrainingCheckpoint(decoding: data.prefix(length))
            }
        }
        // Another file entirely.
        expectIO("not a checkpoint", contains: "signature") { try TrainingCheckpoint(decoding: Data("{\"hello\": 1}".utf8)) }
    }

    /// A checksum-valid checkpoint whose counters are out of range (an optimizer step of Int.max, which the
    /// next step would overflow; an epoch of 10^15) is refused on resume, naming the fields.
    @Test(arguments: [("optimizer_step", Int.max), ("epoch", 1_000_000_000_000_000), ("global_step", -1)])
    func outOfRangeCountersAreRefused(field: String, value: Int) throws {
        let trainer = try SequenceTrainer(options: tinyOptions())
        _ = try trainer.train(maxSteps: 2)
        var container = try CheckpointContainer(decoding: trainer.checkpoint().encoded(), source: "test")
        var header = try #require(try JSONSerialization.jsonObject(with: container.header) as? [String: Any])
        if field == "optimizer_step" {
            header[field] = value
        } else {
            var progress = try #require(header["progress"] as? [String: Any])
            progress[field] = value
            header["progress"] = progress
        }
        container.header = try JSONSerialization.data(withJSONObject: header)
        let tampered = try TrainingCheckpoint(decoding: container.encoded())
        expectIO(field, contains: "out-of-range position") { try SequenceTrainer(resuming: tampered, options: tinyOptions()) }
    }

    @Test func anotherFormatVersionIsRefusedWithBothVersions() throws {
        let trainer = try SequenceTrainer(options: tinyOptions())
        var data = try trainer.checkpoint().encoded()
        data[8] = 2   // the version field follows the 8-byte magic
        // Recompute the checksum so the file is a well-formed "version 2" file.
        let body = data.prefix(data.count - 4)
        let crc = crc32(body)
        data.replaceSubrange((data.count - 4)..<data.count, with: withUnsafeBytes(of: crc.littleEndian) { Data($0) })
        expectIO("version 2", contains: "format version 2, this build reads version 1") { try TrainingCheckpoint(decoding: data) }
    }

    @Test func resumingAnotherModelShapeOrRunIsRefusedNamingTheDifference() throws {
        let options = tinyOptions()
        let saved = try SequenceTrainer(options: options).checkpoint()
        var longer = options
        longer.length = 16
        expectMessage("other length", contains: "length: 8 vs 16") { try SequenceTrainer(resuming: saved, options: longer) }
        var wider = PSFAttnConfiguration(task: .order, length: 8)
        wider.channels = 4
        expectMessage("other channels", contains: "channels: 8 vs 4") {
            try SequenceTrainer(resuming: saved, options: options, configuration: .psf(wider))
        }
        var otherBatch = options
        otherBatch.batchSize = 20
        expectMessage("other batch", contains: "batch: 40 vs 20") { try SequenceTrainer(resuming: saved, options: otherBatch) }
        // More epochs are allowed.
        var moreEpochs = options
        moreEpochs.epochs = 10
        _ = try SequenceTrainer(resuming: saved, options: moreEpochs)
        // Except under a cosine schedule, which is laid out over the planned epochs.
        var cosine = options
        cosine.learningRateSchedule = .cosine
        expectMessage("other schedule", contains: "learning-rate schedule: constant vs cosine") { try SequenceTrainer(resuming: saved, options: cosine) }
        let savedCosine = try SequenceTrainer(options: cosine).checkpoint()
        var cosineLonger = cosine
        cosineLonger.epochs = 10
        expectMessage("cosine, other epochs", contains: "epochs: 4 vs 10") { try SequenceTrainer(resuming: savedCosine, options: cosineLonger) }
        // A checkpoint whose tensors do not fit (renamed parameter) is refused and loads nothing.
        var renamed = saved
        renamed.parameters[0].name = "something.else"
        let target = try SequenceTrainer(options: options)
        expectMessage("renamed tensor", contains: "does not fit this model") { try SequenceTrainer(resuming: renamed, options: options) }
        _ = target
    }

    @Test func aNonFiniteLossStopsTheRunAndKeepsTheLastGoodCheckpoint() throws {
        let url = temporaryCheckpointURL("nan.ckpt")
        defer { try? FileManager.default.removeItem(at: url) }
        let trainer = try SequenceTrainer(options: tinyOptions())
        trainer.checkpointURL = url
        trainer.checkpointInterval = 2
        try trainer.train(maxSteps: 2)
        let good = try Data(contentsOf: url)
        // Poison the head's bias: every prediction, hence the loss, becomes NaN.
        let bias = try #require(trainer.model.parameters.last)
        bias.value.values[0] = .nan
        do {
            try trainer.train(maxSteps: 3)
            Issue.record("expected the run to stop")
        } catch let error as SparseFactorError {
            #expect(error.isNonFinite)
            #expect(error.description.contains("nan"), "\(error)")
            #expect(error.description.contains("last good checkpoint (step 2)"), "\(error)")
        }
        #expect(try Data(contentsOf: url) == good)
        #expect(trainer.progress.globalStep == 2)
        let kept = try TrainingCheckpoint.read(from: url)
        #expect(kept.parameters.allSatisfy { $0.value.isFinite })
    }

    @Test func earlyStoppingAndTargetAccuracyEndTheRun() throws {
        var options = tinyOptions()
        options.epochs = 50
        options.earlyStoppingPatience = 1
        // Steps of ~1e-30 leave every Float parameter unchanged, so the validation loss of epoch 2
        // equals epoch 1's: no improvement, and patience 1 stops the run right there.
        options.learningRate = 1e-30
        let trainer = try SequenceTrainer(options: options)
        let summary = try trainer.train()
        #expect(summary.stoppedEarly)
        #expect(summary.epochs == 2)
        var target = tinyOptions()
        target.epochs = 50
        target.targetAccuracy = 0.01   // any epoch reaches it
        let reached = try SequenceTrainer(options: target).train()
        #expect(reached.stoppedEarly && reached.epochs == 1)
    }

    @Test func resultsDoNotDependOnTheThreadCount() throws {
        var options = tinyOptions(.adding, length: 64)
        options.trainSize = 80
        let saved = Parallelism.threads
        defer { Parallelism.threads = saved }
        var runs: [[[UInt32]]] = []
        for threads in [1, 2] {
            Parallelism.threads = threads
            let trainer = try SequenceTrainer(options: options)
            try trainer.train(maxSteps: 2)
            runs.append(parameterBits(trainer))
        }
        #expect(runs[0] == runs[1])
    }

    @Test func badOptionsAreRefused() throws {
        var zeroBatch = tinyOptions()
        zeroBatch.batchSize = 0
        expectError("batch 0", matches: \.isInvalidArgument) { try SequenceTrainer(options: zeroBatch) }
        var shortSequence = tinyOptions()
        shortSequence.length = 1
        expectError("length 1", matches: \.isInvalidArgument) { try SequenceTrainer(options: shortSequence) }
        var badRate = tinyOptions()
        badRate.learningRate = .nan
        expectError("NaN learning rate", matches: \.isInvalidArgument) { try SequenceTrainer(options: badRate) }
        let mismatched = PSFAttnConfiguration(task: .adding, length: 8)
        expectError("adding model for the order task", matches: \.isShapeMismatch) {
            try SequenceTrainer(configuration: mismatched, options: tinyOptions(.order))
        }
    }

    /// Adding at N = 16,384, batch 40: the factor MLPs' activations are 14 factors × 40 × 16,384 × 64
    /// floats = 2.35 GB, over a quarter of a 8 GiB limit and under a quarter of a 12 GiB one.
    @Test func longSequencesSwitchToRecomputation() {
        let long = PSFAttnConfiguration(task: .adding, length: 16384)
        let gib = 1 << 30
        #expect(PSFAttn.shouldRecompute(long, batch: 40, memoryLimit: 8 * gib))
        #expect(!PSFAttn.shouldRecompute(long, batch: 40, memoryLimit: 12 * gib))
        #expect(!PSFAttn.shouldRecompute(PSFAttnConfiguration(task: .adding, length: 1024), batch: 40, memoryLimit: 1 * gib))
        #expect(PSFAttn.shouldRecompute(PSFAttnConfiguration(task: .adding, length: 1024), batch: 40, memoryLimit: gib / 16))
    }

    func expectIO<R>(_ what: String, contains text: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> R) {
        do {
            _ = try body()
            Issue.record("\(what): expected an error", sourceLocation: sourceLocation)
        } catch let error as SparseFactorError {
            guard case .io = error else { Issue.record("\(what): expected an I/O error, got \(error)", sourceLocation: sourceLocation); return }
            #expect(error.description.contains(text), "\(what): \(error)", sourceLocation: sourceLocation)
            #expect(error.description.contains("nothing was loaded") || text == "signature", "\(what): \(error)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("\(what): expected a SparseFactorError, got \(error)", sourceLocation: sourceLocation)
        }
    }
}
