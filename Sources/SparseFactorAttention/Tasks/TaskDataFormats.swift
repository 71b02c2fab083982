import SparseFactorCore
import SparseFactorIO
import Foundation

// Each task's generator and file format behind TaskData.
extension TaskData {
    /// LRA's ListOps at N ≥ 2000 (lengths 500…2000); for a shorter N, lengths N/4…N.
    static func generateListOps(length: Int, count: Int, seed: UInt64) throws -> LabelledSequences {
        var options = ListOpsOptions()
        options.maxLength = min(options.maxLength, length)
        options.minLength = min(options.minLength, max(options.maxLength / 4, 1))
        return try ListOps.sequences(ListOps.generate(count: count, seed: seed, options: options), length: length)
    }

    /// Pathfinder images of N = size² pixels whose contours have `dashes` dashes (LRA's hard
    /// setting, the default, is 14; its easier ones 6 and 9).
    ///
    /// ```swift
    /// let easy = try TaskData.generatePathfinder(length: 1024, count: 100, seed: 1, dashes: 6)
    /// ```
    public static func generatePathfinder(length: Int, count: Int, seed: UInt64, dashes: Int = PathfinderOptions().dashes) throws -> LabelledSequences {
        let size = Int(Double(max(length, 0)).squareRoot().rounded())
        guard size * size == length else {
            throw SparseFactorError.invalidArgument("Pathfinder images are square: N must be a square number of pixels (1024 for 32×32), got \(length)")
        }
        var options = PathfinderOptions(dashes: dashes)
        options.size = size
        try options.validate()
        return try Pathfinder.generate(count: count, seed: seed, options: options)
    }

    static func readListOps(url: URL, length: Int, truncate: Bool) throws -> LabelledSequences {
        let rows = try ListOpsTSV.read(url: url)
        return try ListOps.sequences(rows.map(\.example), length: length, truncate: truncate) { "\(url.path) line \(rows[$0].line)" }
    }

    static func writeListOps(_ data: LabelledSequences, to url: URL) throws {
        guard data.vocabulary == ListOps.vocabulary, data.classCount == 10 else {
            throw SparseFactorError.shapeMismatch(expected: "ListOps sequences (vocabulary \(ListOps.vocabulary), 10 classes)",
                                                  got: "vocabulary \(data.vocabulary), \(data.classCount) classes")
        }
        let examples = (0..<data.count).map { i in
            ListOps.Example(tokens: data.sequence(i).filter { $0 != ListOps.paddingID }, label: Int(data.labels[i]))
        }
        try ListOpsTSV.write(examples, to: url)
    }

    /// Every image of `data` (square, pixel tokens) as DIR/NNNNNN-labelL.png.
    public static func writePNGs(_ data: LabelledSequences, to directory: URL) throws {
        let size = Int(Double(data.length).squareRoot().rounded())
        guard size * size == data.length, data.vocabulary == 256 else {
            throw SparseFactorError.invalidArgument("only square pixel images (vocabulary 256) can be written as PNG, got N = \(data.length), vocabulary \(data.vocabulary)")
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for i in 0..<data.count {
            let name = String(format: "%06d-label%d.png", i, Int(data.labels[i]))
            try Pathfinder.writePNG(pixels: data.sequence(i).map { UInt8($0) }, size: size, to: directory.appendingPathComponent(name))
        }
    }
}

/// A split of a fetched data set.
public enum DataSplit: String, CaseIterable, Sendable { case train, validation, test }

extension TaskData {
    static func readText(url: URL, length: Int, truncate: Bool) throws -> LabelledSequences {
        try LabelledSequences(documents: LabelledDocumentFile.read(url: url), length: length, truncate: truncate)
    }

    static func writeText(_ data: LabelledSequences, to url: URL) throws {
        guard data.vocabulary == 257, data.classCount == 2 else {
            throw SparseFactorError.shapeMismatch(expected: "byte-level documents (vocabulary 257, 2 classes)",
                                                  got: "vocabulary \(data.vocabulary), \(data.classCount) classes")
        }
        let documents = (0..<data.count).map { i in data.sequence(i).filter { $0 != LabelledSequences.padding }.map { UInt8($0 - 1) } }
        try LabelledDocumentFile.write(LabelledDocuments(documents: documents, labels: data.labels), to: url)
    }

    /// A labelled-image file of the task's image size: N must be the file's side².
    static func readImages(task: SequenceTask, url: URL, length: Int, truncate: Bool) throws -> LabelledSequences {
        let images = try LabelledImageFile.read(url: url)
        guard images.side * images.side == length else {
            throw SparseFactorError.shapeMismatch(expected: "\(url.path): images of N = \(length) pixels", got: "\(images.side)×\(images.side) images")
        }
        return try LabelledSequences(images: images, classCount: task.outputCount)
    }

    static func writeImages(_ data: LabelledSequences, to url: URL) throws {
        let side = Int(Double(data.length).squareRoot().rounded())
        guard side * side == data.length, data.vocabulary == 256, data.classCount <= 256 else {
            throw SparseFactorError.shapeMismatch(expected: "square pixel images (vocabulary 256)", got: "N = \(data.length), vocabulary \(data.vocabulary)")
        }
        let images = try LabelledImages(side: side, labels: data.labels.map { UInt8($0) }, pixels: data.tokens.map { UInt8($0) })
        try LabelledImageFile.write(images, to: url)
    }

    /// A split of a data set that `scripts/fetch-data.sh` extracted: image, the Fashion-MNIST directory
    /// (``ImageTask/fashionMNIST(directory:)``); text, the labelled document TSV, and retrieval, the
    /// document-pair TSV (both split by ``TextTask/split(_:seed:)``).
    public static func fetched(task: SequenceTask, source: URL, split: DataSplit, length: Int, truncate: Bool) throws -> LabelledSequences {
        let splits: TaskSplits
        switch task {
        case .image:
            splits = try ImageTask.fashionMNIST(directory: source)
            guard splits.train.length == length else {
                throw SparseFactorError.shapeMismatch(expected: "images of N = \(length) pixels", got: "N = \(splits.train.length) in \(source.path)")
            }
        case .text:
            splits = try TextTask.split(try readText(url: source, length: length, truncate: truncate))
        case .retrieval:
            splits = try TextTask.split(try readPairs(url: source, length: length, truncate: truncate))
        default:
            throw SparseFactorError.invalidArgument("the \(task.rawValue) task is generated, it has no fetched data set")
        }
        switch split {
        case .train: return splits.train
        case .validation: return splits.validation
        case .test: return splits.test
        }
    }
}
