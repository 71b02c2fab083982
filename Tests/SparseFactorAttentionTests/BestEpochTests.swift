import Foundation
@testable import SparseFactorAttention
import SparseFactorCore
import SparseFactorNN
import Testing

/// The best-validation epoch: which epoch it is, and that its checkpoint holds the model that scored it.
@Suite struct BestEpochTests {
    /// A run whose validation accuracy rises, ties (with a higher loss) and falls at the end:
    /// 0.23, 0.30, 0.30, 0.40, 0.53, 0.50 (Order, N = 8, seed 7, lr 0.01).
    func overfittingOptions() -> TrainingOptions {
        var options = tinyTrainingOptions(.order, length: 8)
        options.epochs = 6
        options.learningRate = 0.01
        return options
    }

    @Test func bestEpochIsTheHighestValidationAccuracyAndItsCheckpointScoresIt() throws {
        let trainer = try SequenceTrainer(options: overfittingOptions())
        let url = temporaryCheckpointURL("best.ckpt")
        defer { try? FileManager.default.removeItem(at: url) }
        trainer.bestCheckpointURL = url
        var reports: [EpochReport] = []
        trainer.onEpoch = { reports.append($0) }
        let summary = try trainer.train()
        let best = try #require(summary.best)

        // The rule, recomputed from the epoch reports: highest accuracy, then lowest loss, then earliest.
        let validations = reports.map { $0.validation! }
        let expected = validations.indices.min { a, b in
            (-validations[a].accuracy, validations[a].loss, a) < (-validations[b].accuracy, validations[b].loss, b)
        }! + 1
        #expect(best.epoch == expected)
        #expect(reports.filter(\.isBest).last?.epoch == expected)
        // The setup exercises an earlier best (the last model is worse) and a tie broken by the loss.
        try #require(best.epoch < summary.epochs, "validation accuracies \(validations.map(\.accuracy))")
        #expect(Set(validations.prefix(best.epoch - 1).map(\.accuracy)).count < best.epoch - 1, "no tie among \(validations.map(\.accuracy))")
        #expect(best.validation == validations[best.epoch - 1] && best.test == reports[best.epoch - 1].test)
        #expect(best.steps == reports[best.epoch - 1].steps)

        // The file holds that epoch's model: scored again on the run's test set, it gives the recorded test result
        // bit for bit, and it is not the last model.
        let saved = try TrainingCheckpoint.read(from: url)
        #expect(saved.progress.epoch == best.epoch && saved.progress.best == best)
        let model = try SequenceTrainer.savedModel(saved)
        let rescored = try SequenceTrainer.evaluate(model, task: .order, on: trainer.test, batch: trainer.options.batchSize)
        #expect(rescored == best.test)
        #expect(saved.parameters.map { $0.value.values } != trainer.model.parameters.map { $0.value.values })
        #expect(try SequenceTrainer.evaluate(trainer.model, task: .order, on: trainer.test, batch: trainer.options.batchSize) == summary.test)
    }

    @Test func improvementRule() {
        let best = BestEpoch(epoch: 2, steps: 20, validation: Evaluation(loss: 1.0, accuracy: 0.5, count: 10), test: nil)
        #expect(BestEpoch.isImprovement(Evaluation(loss: 9, accuracy: 0.0, count: 10), over: nil))
        #expect(BestEpoch.isImprovement(Evaluation(loss: 2.0, accuracy: 0.6, count: 10), over: best))
        #expect(BestEpoch.isImprovement(Evaluation(loss: 0.9, accuracy: 0.5, count: 10), over: best))
        #expect(!BestEpoch.isImprovement(Evaluation(loss: 1.0, accuracy: 0.5, count: 10), over: best))   // a tie keeps the earlier
        #expect(!BestEpoch.isImprovement(Evaluation(loss: 0.1, accuracy: 0.4, count: 10), over: best))
        #expect(!BestEpoch.isImprovement(Evaluation(loss: .nan, accuracy: .nan, count: 10), over: nil))
        #expect(!BestEpoch.isImprovement(Evaluation(loss: .nan, accuracy: 0.5, count: 10), over: best))
    }

    @Test func checkpointsWithoutTheBestEpochStillResume() throws {
        let trainer = try SequenceTrainer(options: tinyTrainingOptions())
        try trainer.train(maxSteps: 4)   // past the first epoch's end
        let withBest = trainer.checkpoint()
        #expect(withBest.progress.best?.epoch == 1)
        // The same checkpoint as a build before `best` existed wrote it: the key absent from the header.
        var progress = try JSONSerialization.jsonObject(with: JSONEncoder().encode(withBest.progress)) as! [String: Any]
        #expect(progress.removeValue(forKey: "best") != nil)
        let old = try JSONDecoder().decode(TrainingProgress.self, from: JSONSerialization.data(withJSONObject: progress))
        #expect(old.best == nil)
        var expected = withBest.progress
        expected.best = nil
        #expect(old == expected)
    }

    @Test func aBestEpochOutsideTheRunIsRefused() throws {
        let trainer = try SequenceTrainer(options: tinyTrainingOptions())
        try trainer.train(maxSteps: 4)
        var saved = trainer.checkpoint()
        saved.progress.best?.epoch = saved.progress.epoch + 1   // after the epochs the run has done
        #expect(throws: SparseFactorError.self) { try SequenceTrainer(resuming: saved, options: tinyTrainingOptions()) }
        saved = trainer.checkpoint()
        saved.progress.best?.steps = -1
        #expect(throws: SparseFactorError.self) { try SequenceTrainer(resuming: saved, options: tinyTrainingOptions()) }
        #expect(try SequenceTrainer(resuming: trainer.checkpoint(), options: tinyTrainingOptions()).progress.best?.epoch == 1)
    }
}
