import ArgumentParser
import Foundation
import SparseFactor

/// `sparsefactor evaluate`: scores a saved model of any kind on a freshly generated test set, so a
/// result can be checked without retraining.
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score a saved model (a train --checkpoint file) on a freshly generated test set or a data file.",
        discussion: """
            Without --data, the test set is generated from a stream of --seed (default: the run's seed) that \\
            none of the run's training, validation or test splits uses, so no scored sequence was seen in \\
            training (adding, order, listops, pathfinder). With --data FILE, the file is read in the task's \\
            format (listops and text: TSV; retrieval: LRA's pair TSV; pathfinder and image: labelled-image .npy) and scored whole.
            """)

    @Option(help: "The checkpoint of a training run (any --model).") var checkpoint: String
    @Option(name: .customLong("test-size"), parsing: .unconditional, help: "Test sequences (≥ 1) when generated.") var testSize = 5_000
    @Option(help: "A data file of the run's task to score instead of a generated set.") var data: String?
    @Flag(help: "Cut sequences of --data longer than the model's N instead of refusing the file.") var truncate = false
    @Option(parsing: .unconditional, help: "Seed of the fresh test set (default: the run's seed).") var seed: UInt64?
    @Option(parsing: .unconditional, help: "Sequences per evaluation batch (default: the run's batch).") var batch: Int?
    @Option(parsing: .unconditional, help: "Threads of the kernels (default: the OpenMP default).") var threads: Int?
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        guard testSize >= 1 else { throw ValidationError("--test-size must be at least 1, got \(testSize)") }
        if let b = batch, b < 1 { throw ValidationError("--batch must be at least 1, got \(b)") }
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1, got \(t)") }
    }

    func run() throws {
        try runReportingErrors(json: json) {
            // Under mpirun the evaluation batches are split over the ranks (the same numbers as one process).
            let group = try Processes.group()
            if let threads { Parallelism.threads = threads }
            let url = URL(fileURLWithPath: checkpoint)
            let saved = try TrainingCheckpoint.read(from: url)
            let model = try SequenceTrainer.savedModel(saved, source: url.path)
            let options = saved.options
            let testSeed = seed ?? options.seed
            let dataset: any SequenceDataset = try data.map {
                try TaskData.read(task: options.task, url: URL(fileURLWithPath: $0), length: options.length, truncate: truncate)
            } ?? TaskData.freshTestSet(task: options.task, length: options.length, count: testSize, seed: testSeed)
            let start = DispatchTime.now().uptimeNanoseconds
            var progress: ProgressReporter?   // of this rank's batches, shown by the first rank
            let result = try SequenceTrainer.evaluate(model, task: options.task, on: dataset, batch: batch ?? options.batchSize,
                                                      group: group) { done, batches in
                guard group?.isLeader ?? true else { return }
                progress = progress ?? ProgressReporter(total: batches, label: "batch")
                progress?.update(step: done)
            }
            progress?.finish()
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
            let kind = model.modelConfiguration.kind.rawValue
            if json {
                var line: [String: Any] = ["event": "evaluation", "model": kind, "task": options.task.rawValue, "length": options.length,
                                           "params": model.parameterCount, "test_size": dataset.count, "seed": data == nil ? testSeed as Any : NSNull(), "data": data.map { $0 as Any } ?? NSNull(),
                                           "loss": result.loss, "accuracy": result.accuracy, "steps": saved.progress.globalStep,
                                           "epochs": saved.progress.epoch, "seconds": seconds, "threads": Parallelism.effectiveThreads,
                                           "processes": group?.size ?? 1]
                line.merge(model.modelConfiguration.jsonFields) { current, _ in current }
                printJSONLine(line)
            } else {
                let source = data.map { "the \(dataset.count) sequences of \($0)" } ?? "\(dataset.count) fresh sequences (seed \(testSeed))"
                print(String(format: "%@ %@ N=%d (%d parameters, %d steps trained): accuracy %.4f, loss %.5f on %@, %.1f s",
                             kind, options.task.rawValue, options.length, model.parameterCount, saved.progress.globalStep,
                             result.accuracy, result.loss, source, seconds))
            }
        }
    }
}
