// TEMPORARY: replaced by the image and text modules when they are merged.
import SparseFactorCore
import Foundation

public enum TextClassification { public static let vocabulary = 257 }

/// A split of a fetched data set.
public enum DataSplit: String, CaseIterable, Sendable { case train, validation, test }

extension TaskData {
    static func readText(url: URL, length: Int, truncate: Bool) throws -> LabelledSequences { throw SparseFactorError.invalidArgument("this task's data is not available in this build") }
    static func readImages(task: SequenceTask, url: URL, length: Int, truncate: Bool) throws -> LabelledSequences { throw SparseFactorError.invalidArgument("this task's data is not available in this build") }
    static func writeText(_ data: LabelledSequences, to url: URL) throws { throw SparseFactorError.invalidArgument("this task's data is not available in this build") }
    static func writeImages(_ data: LabelledSequences, to url: URL) throws { throw SparseFactorError.invalidArgument("this task's data is not available in this build") }
    public static func fetched(task: SequenceTask, source: URL, split: DataSplit, length: Int, truncate: Bool) throws -> LabelledSequences { throw SparseFactorError.invalidArgument("this task's data is not available in this build") }
}
