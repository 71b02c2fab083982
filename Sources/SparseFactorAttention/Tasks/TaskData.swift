import SparseFactorCore
import SparseFactorIO
import Foundation

/// The data of every task: generated from a seed, or read from (and written to) the task's files.
///
/// ```swift
/// let test = try TaskData.generate(task: .listops, length: 2000, count: 100, seed: 7)
/// try TaskData.write(test, task: .listops, to: URL(fileURLWithPath: "listops-test.tsv"))
/// let again = try TaskData.read(task: .listops, url: URL(fileURLWithPath: "listops-test.tsv"), length: 2000)
/// ```
public enum TaskData {
    /// The task's usual N: LRA's 2000 for ListOps, 1024 pixels for Pathfinder-32, 784 for
    /// Fashion-MNIST, 4096 bytes for Text, LRA's 4000 bytes per document for Retrieval; the
    /// synthetic tasks have none (1024 is returned).
    public static func defaultLength(_ task: SequenceTask) -> Int {
        switch task {
        case .listops: return 2000
        case .pathfinder: return 1024
        case .image: return 784
        case .text: return 4096
        case .retrieval: return 4000
        case .adding, .order: return 1024
        }
    }

    /// The three splits of a run, and its data files with their fingerprints (nil when generated).
    public struct Splits {
        public var train: any SequenceDataset
        public var validation: any SequenceDataset
        public var test: any SequenceDataset
        public var files: TrainingDataFiles?
    }

    /// The splits `options` asks for: generated from its seed (sizes from the options, from three
    /// different streams), or read from its data files (sizes from the files).
    public static func splits(for options: TrainingOptions) throws -> Splits {
        if let synthetic = options.task.synthetic {
            let (train, validation, test) = try SyntheticDataset.splits(
                task: synthetic, length: options.length, trainSize: options.trainSize,
                validationSize: options.validationSize, testSize: options.testSize, seed: options.seed)
            return Splits(train: train, validation: validation, test: test, files: nil)
        }
        if var files = options.dataFiles {
            func load(_ path: String?) throws -> (LabelledSequences?, String?) {
                guard let path else { return (nil, nil) }
                let url = URL(fileURLWithPath: path)
                let data = try read(task: options.task, url: url, length: options.length, truncate: files.truncate)
                return (data, try fingerprint(url))
            }
            let (train, a) = try load(files.train)
            let (validation, b) = try load(files.validation)
            let (test, c) = try load(files.test)
            files.fingerprints = [a, b, c].compactMap { $0 }
            let empty = try train!.subset(0..<0)
            return Splits(train: train!, validation: validation ?? empty, test: test ?? empty, files: files)
        }
        // One generation of all three, so that no sequence is in two splits.
        let all = try generate(task: options.task, length: options.length,
                               count: options.trainSize + options.validationSize + options.testSize, seed: options.seed)
        let t = options.trainSize, v = options.validationSize
        return Splits(train: try all.subset(0..<t), validation: try all.subset(t..<(t + v)),
                      test: try all.subset((t + v)..<all.count), files: nil)
    }

    /// `count` sequences of a generated task (listops, pathfinder, or the synthetic ones as
    /// token data is not needed: use ``SyntheticDataset`` for those), from `seed`.
    public static func generate(task: SequenceTask, length: Int, count: Int, seed: UInt64) throws -> LabelledSequences {
        switch task {
        case .listops: return try generateListOps(length: length, count: count, seed: seed)
        case .pathfinder: return try generatePathfinder(length: length, count: count, seed: seed)
        case .adding, .order:
            throw SparseFactorError.invalidArgument("the \(task.rawValue) task is generated on demand (SyntheticDataset), not as labelled sequences")
        case .image, .text, .retrieval:
            throw SparseFactorError.invalidArgument("the \(task.rawValue) task's data comes from files (\(task.fileFormat)), it cannot be generated")
        }
    }

    /// A held-out set for scoring a saved model: generated tasks draw it from a stream of `seed`
    /// that no run's splits use; tasks read from files need a file (`evaluate --data`).
    public static func freshTestSet(task: SequenceTask, length: Int, count: Int, seed: UInt64) throws -> any SequenceDataset {
        if let synthetic = task.synthetic {
            return try SyntheticDataset.freshTestSet(task: synthetic, length: length, count: count, seed: seed)
        }
        guard task.generatesData else {
            throw SparseFactorError.invalidArgument("the \(task.rawValue) task has no generator: give a data file (\(task.fileFormat))")
        }
        return try generate(task: task, length: length, count: count, seed: mixSeed(seed, 0x6672_6573_68))   // "fresh"
    }

    /// The sequences of a task's data file, padded to `length` (Retrieval: each document, so a
    /// sequence holds 2·`length` tokens); a longer sequence is refused
    /// (naming the file and line or index) unless `truncate`.
    public static func read(task: SequenceTask, url: URL, length: Int, truncate: Bool = false) throws -> LabelledSequences {
        switch task {
        case .listops: return try readListOps(url: url, length: length, truncate: truncate)
        case .text: return try readText(url: url, length: length, truncate: truncate)
        case .retrieval: return try readPairs(url: url, length: length, truncate: truncate)
        case .pathfinder, .image: return try readImages(task: task, url: url, length: length, truncate: truncate)
        case .adding, .order:
            throw SparseFactorError.invalidArgument("the \(task.rawValue) task is generated from the seed; it has no data files")
        }
    }

    /// Writes sequences in the task's file format, atomically.
    public static func write(_ data: LabelledSequences, task: SequenceTask, to url: URL) throws {
        switch task {
        case .listops: try writeListOps(data, to: url)
        case .text: try writeText(data, to: url)
        case .retrieval: try writePairs(data, to: url)
        case .pathfinder, .image: try writeImages(data, to: url)
        case .adding, .order:
            throw SparseFactorError.invalidArgument("the \(task.rawValue) task is generated from the seed; it has no data files")
        }
    }

    /// "crc32 1a2b3c4d, 1234 bytes": what a resumed run compares to know its data is the same.
    static func fingerprint(_ url: URL) throws -> String {
        let bytes = try FileInput.read(url)
        return String(format: "crc32 %08x, %d bytes", crc32(bytes), bytes.count)
    }
}
