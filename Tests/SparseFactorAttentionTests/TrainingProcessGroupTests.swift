import Foundation
@testable import SparseFactorAttention
import SparseFactorCore
import SparseFactorTestSupport
import Testing

/// Data-parallel training with ranks as threads (``ThreadRanks``): every model kind (with dropout where it
/// has it) ends in the same bits on 1, 2, 3 and 5 ranks, and with the same losses; evaluation split over the
/// ranks gives the numbers of an unsplit one; only rank 0 writes the checkpoint. Serialized: the kernels run
/// one thread per rank, and the thread count is process-wide.
@Suite(.serialized) struct TrainingProcessGroupTests {
    static func configuration(_ kind: ModelKind) -> ModelConfiguration {
        switch ModelConfiguration(kind: kind, task: .order, length: 8) {
        case .psf(var c): c.embedding = 8; c.channels = 3; return .psf(c)
        case .paramixer(var c): c.embedding = 8; c.channels = 8; return .paramixer(c)
        case .transformer(var c):
            c.embedding = 8; c.heads = 2; c.feedForward = 16; c.dropout = 0.1
            if case .performer = c.attention { c.attention = .performer(features: 16) }
            if case .linformer = c.attention { c.attention = .linformer(projectedLength: 4) }
            return .transformer(c)
        case .chordMixer(var c): c.trackSize = 2; c.hidden = 8; c.dropout = 0.1; c.pooling = .flatten; return .chordMixer(c)
        }
    }

    @Test(arguments: ModelKind.allCases)
    func trainingIsTheSameForAnyNumberOfRanks(kind: ModelKind) throws {
        Parallelism.threads = 1
        defer { Parallelism.threads = nil }
        let options = tinyTrainingOptions(.order, length: 8, seed: 13)
        let config = Self.configuration(kind)
        func run(size: Int) throws -> [([[UInt32]], Double, Double)] {
            try ThreadRanks.run(size: size) { [options] group in
                let trainer = try SequenceTrainer(configuration: config, options: options)
                trainer.group = group
                try trainer.train(maxSteps: 5)   // across an epoch's end: its evaluation is split too
                let p = trainer.progress
                return (parameterBits(trainer), p.epochLossSum, p.lastValidation?.loss ?? .nan)
            }
        }
        let one = try run(size: 1)[0]
        for size in [2, 3, 5] {
            for (rank, got) in try run(size: size).enumerated() {
                #expect(got.0 == one.0, "\(kind): parameters of rank \(rank) of \(size)")
                #expect(got.1.bitPattern == one.1.bitPattern && got.2.bitPattern == one.2.bitPattern, "\(kind): losses of rank \(rank) of \(size)")
            }
        }
        // The pieces are not the whole batch: without a group the last bits differ (so the test can tell).
        let alone = try SequenceTrainer(configuration: config, options: options)
        try alone.train(maxSteps: 5)
        #expect(parameterBits(alone) != one.0)
    }

    @Test func splitEvaluationEqualsTheWholeOne() throws {
        Parallelism.threads = 1
        defer { Parallelism.threads = nil }
        let options = tinyTrainingOptions(.order, length: 8, seed: 3)
        let trainer = try SequenceTrainer(configuration: Self.configuration(.psf), options: options)
        try trainer.train(maxSteps: 2)
        let whole = try SequenceTrainer.evaluate(trainer.model, task: .order, on: trainer.validation, batch: 7)
        let split = try ThreadRanks.run(size: 3) { [options] group in
            let own = try SequenceTrainer(configuration: Self.configuration(.psf), options: options)   // each rank its own model
            try own.train(maxSteps: 2)
            return try SequenceTrainer.evaluate(own.model, task: .order, on: own.validation, batch: 7, group: group)
        }
        for e in split {
            #expect(e.loss.bitPattern == whole.loss.bitPattern && e.accuracy == whole.accuracy && e.count == whole.count)
        }
    }

    @Test func onlyRankZeroWritesTheCheckpoint() throws {
        Parallelism.threads = 1
        defer { Parallelism.threads = nil }
        let options = tinyTrainingOptions(.order, length: 8, seed: 5)
        let urls = (0..<2).map { temporaryCheckpointURL("rank\($0).ckpt") }
        defer { for url in urls { try? FileManager.default.removeItem(at: url) } }
        _ = try ThreadRanks.run(size: 2) { group in
            let trainer = try SequenceTrainer(configuration: Self.configuration(.psf), options: options)
            trainer.group = group
            trainer.checkpointURL = urls[group.rank]
            try trainer.train(maxSteps: 3)   // one epoch: a checkpoint at its end
            return 0
        }
        #expect(FileManager.default.fileExists(atPath: urls[0].path))
        #expect(!FileManager.default.fileExists(atPath: urls[1].path))
    }
}
