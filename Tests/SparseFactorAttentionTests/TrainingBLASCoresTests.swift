import Foundation
@testable import SparseFactorAttention
import SparseFactorCore
import Testing

/// A run keeps the OpenBLAS kernel families its steps used, so a record can tell a run that changed
/// family between sessions (and is then not bit-identical with an uninterrupted one).
@Suite struct TrainingBLASCoresTests {
    @Test func aRunRecordsTheFamiliesItsSessionsUsed() throws {
        let trainer = try SequenceTrainer(options: tinyTrainingOptions())
        try trainer.train(maxSteps: 2)
        #expect(trainer.checkpoint().progress.blasCores == [Parallelism.blasCore])
        // A session on another family appends it; one more on the same family does not.
        var saved = trainer.checkpoint()
        saved.progress.blasCores = ["Elsewhere"]
        let resumed = try SequenceTrainer(resuming: saved, options: tinyTrainingOptions())
        try resumed.train(maxSteps: 1)
        try resumed.train(maxSteps: 1)
        #expect(resumed.progress.blasCores == ["Elsewhere", Parallelism.blasCore])
    }

    @Test func checkpointsWrittenBeforeItWasKeptSayUnrecorded() throws {
        let trainer = try SequenceTrainer(options: tinyTrainingOptions())
        try trainer.train(maxSteps: 2)
        var progress = try JSONSerialization.jsonObject(with: JSONEncoder().encode(trainer.progress)) as! [String: Any]
        #expect(progress.removeValue(forKey: "blas_cores") != nil)
        let old = try JSONDecoder().decode(TrainingProgress.self, from: JSONSerialization.data(withJSONObject: progress))
        #expect(old.blasCores == ["unrecorded"] && old.globalStep == 2)
        var fresh = try JSONSerialization.jsonObject(with: JSONEncoder().encode(TrainingProgress())) as! [String: Any]
        fresh.removeValue(forKey: "blas_cores")
        #expect(try JSONDecoder().decode(TrainingProgress.self, from: JSONSerialization.data(withJSONObject: fresh)).blasCores.isEmpty)
    }
}
