import Foundation
@testable import SparseFactorAttention
import SparseFactorCore
import SparseFactorNN
import Testing

/// The trainer's view of data (SequenceDataset), scoring a saved model without its run's data, and the
/// options of runs whose data comes from files.
@Suite struct SequenceDatasetTests {
    @Test func labelledSequencesBatchAsTokenIdsAndClassIds() throws {
        let data = try LabelledSequences(length: 3, vocabulary: 300, classCount: 3,
                                         tokens: [1, 2, 0, 299, 7, 5, 4, 4, 4], labels: [2, 0, 1])
        let (x, y) = try data.batch([1, 2, 1])
        #expect(x.shape == [3, 3] && y.shape == [3])
        #expect(x.values == [299, 7, 5, 4, 4, 4, 299, 7, 5])
        #expect(y.values == [0, 1, 0])
        #expect(throws: SparseFactorError.self) { try data.batch([3]) }
        #expect(throws: SparseFactorError.self) { try data.batch([]) }
    }

    @Test func aSavedModelScoresLikeTheTrainerThatSavedIt() throws {
        let trainer = try SequenceTrainer(options: tinyTrainingOptions(.order, length: 8))
        try trainer.train(maxSteps: 4)
        let saved = try TrainingCheckpoint(decoding: try trainer.checkpoint().encoded())
        let model = try SequenceTrainer.savedModel(saved)
        #expect(model.parameters.map(\.value) == trainer.model.parameters.map(\.value))
        let fresh = try TaskData.freshTestSet(task: .order, length: 8, count: 50, seed: 3)
        let direct = try trainer.evaluate(fresh)
        let viaSaved = try SequenceTrainer.evaluate(model, task: .order, on: fresh, batch: 40)
        #expect(direct == viaSaved)
        #expect(direct.count == 50 && direct.accuracy >= 0 && direct.accuracy <= 1)
        // The same model scored with another batch size gives the same accuracy (the loss may round differently).
        #expect(try SequenceTrainer.evaluate(model, task: .order, on: fresh, batch: 7).accuracy == direct.accuracy)
    }

    @Test func fileTasksNeedFilesAndSyntheticTasksRefuseThem() throws {
        #expect(throws: SparseFactorError.self) { try TrainingOptions(task: .image, length: 784).validate() }
        #expect(throws: SparseFactorError.self) { try TrainingOptions(task: .text, length: 4096).validate() }
        var adding = TrainingOptions(task: .adding, length: 16)
        adding.dataFiles = TrainingDataFiles(train: "x.tsv")
        #expect(throws: SparseFactorError.self) { try adding.validate() }
        var listops = TrainingOptions(task: .listops, length: 2000)
        try listops.validate()                                  // generated from the seed
        listops.dataFiles = TrainingDataFiles(train: "train.tsv", test: "test.tsv", truncate: true)
        try listops.validate()
    }

    @Test func dataFilesRoundTripAndOldOptionsHaveNone() throws {
        var options = TrainingOptions(task: .listops, length: 2000)
        var files = TrainingDataFiles(train: "a.tsv", validation: "b.tsv", truncate: true)
        files.fingerprints = ["crc32 01020304, 10 bytes"]
        options.dataFiles = files
        let decoded = try JSONDecoder().decode(TrainingOptions.self, from: JSONEncoder().encode(options))
        #expect(decoded == options)
        let old = try JSONDecoder().decode(TrainingOptions.self, from: JSONEncoder().encode(TrainingOptions(task: .order, length: 8)))
        #expect(old.dataFiles == nil && old.task == .order)
        // Sizes of file runs come from the files: a resumed run may give other (ignored) sizes, but not other files' truncation.
        var other = options
        other.trainSize = 5
        #expect(options.resumeDifferences(from: other).isEmpty)
        other.dataFiles?.truncate = false
        #expect(options.resumeDifferences(from: other) == ["truncate: true vs false"])
    }

    @Test func everyTaskHasItsInputAndClasses() {
        #expect(SequenceTask.allCases.map(\.outputCount) == [1, 4, 10, 2, 10, 2, 2])
        #expect(SequenceTask.allCases.filter(\.generatesData) == [.adding, .order, .listops, .pathfinder])
        #expect(SequenceTask.retrieval.input == .tokenPairs(vocabulary: 257) && SequenceTask.retrieval.input.sequencesPerExample == 2)
        #expect(SequenceTask.allCases.filter(\.isRegression) == [.adding])
        #expect(SequenceTask(.order) == .order && SequenceTask.order.synthetic == .order && SequenceTask.image.synthetic == nil)
        #expect(SequenceTask.image.input == .tokens(vocabulary: 256) && SequenceTask.text.input == .tokens(vocabulary: 257))
        #expect(SequenceTask.adding.input == .features(count: 2))
    }
}
