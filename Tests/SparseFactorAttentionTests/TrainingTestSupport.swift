import Foundation
@testable import SparseFactorAttention

// Helpers of the training tests: tiny runs and scratch files.

/// A tiny run: 100 training sequences (3 steps per epoch: 40, 40, 20), 30 validation, 20 test, 4 epochs.
func tinyTrainingOptions(_ task: SequenceTask = .order, length: Int = 8, seed: UInt64 = 7) -> TrainingOptions {
    var o = TrainingOptions(task: task, length: length)
    o.trainSize = 100
    o.validationSize = 30
    o.testSize = 20
    o.epochs = 4
    o.seed = seed
    return o
}

/// A fresh path in the temporary directory (the file is not created).
func temporaryCheckpointURL(_ name: String) -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("attention-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))-\(name)")
}

/// Every parameter's bits, for exact comparisons of runs.
func parameterBits(_ trainer: SequenceTrainer) -> [[UInt32]] { trainer.model.parameters.map { $0.value.values.map(\.bitPattern) } }
