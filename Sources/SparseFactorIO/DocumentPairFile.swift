import SparseFactorCore
import Foundation

/// Labelled pairs of documents (LRA's Retrieval task: do the two documents link?), as bytes,
/// with their ids and the line of the file each pair came from (for messages).
///
/// ```swift
/// let pairs = try LabelledDocumentPairs(first: [Array("open".utf8)], second: [Array("close".utf8)], labels: [1])
/// print(pairs.count)   // 1
/// ```
public struct LabelledDocumentPairs: Equatable, Sendable {
    /// Each pair's first and second document, unescaped.
    public let first: [[UInt8]], second: [[UInt8]]
    /// Each pair's label: 1 linked, 0 not.
    public let labels: [Int32]
    /// Each pair's two ids (written by ``DocumentPairFile``, not used by training).
    public let ids: [(String, String)]
    /// The 1-based line of the file each pair was read from (0 when built in memory).
    public let lines: [Int]
    /// Where the pairs were read from ("" when built in memory).
    public let name: String

    /// The number of pairs.
    public var count: Int { labels.count }

    /// Pairs built in memory: every document non-empty, every label 0 or 1; ids default to `pairN.1`, `pairN.2`.
    public init(first: [[UInt8]], second: [[UInt8]], labels: [Int32], ids: [(String, String)]? = nil,
                lines: [Int]? = nil, name: String = "") throws {
        guard first.count == labels.count, second.count == labels.count, ids.map({ $0.count == labels.count }) ?? true else {
            throw SparseFactorError.shapeMismatch(expected: "two documents, a label and two ids per pair (\(labels.count) labels)",
                                                  got: "\(first.count) first and \(second.count) second documents, \(ids?.count ?? labels.count) id pairs")
        }
        for (side, documents) in [("first", first), ("second", second)] {
            if let i = documents.firstIndex(where: \.isEmpty) { throw SparseFactorError.invalidArgument("the \(side) document of pair \(i) is empty") }
        }
        if let i = labels.firstIndex(where: { $0 != 0 && $0 != 1 }) { throw SparseFactorError.invalidArgument("label \(labels[i]) of pair \(i) is not 0 or 1") }
        self.first = first
        self.second = second
        self.labels = labels
        self.ids = ids ?? (0..<labels.count).map { ("pair\($0).1", "pair\($0).2") }
        self.lines = lines ?? [Int](repeating: 0, count: labels.count)
        self.name = name
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.first == b.first && a.second == b.second && a.labels == b.labels && a.ids.map { [$0.0, $0.1] } == b.ids.map { [$0.0, $0.1] }
    }
}

/// LRA's Retrieval files: no header, one pair per line, five tab-separated fields
/// `label<TAB>id1<TAB>id2<TAB>text1<TAB>text2`; the label `0` or `1` (LRA writes it as a float:
/// `0.0` and `1.0` are read too), the texts escaped as in ``LabelledDocumentFile`` (backslash, tab
/// and newline as `\\`, `\t`, `\n`).
///
/// ```swift
/// let pairs = try DocumentPairFile.read(url: URL(fileURLWithPath: "data/lra-files/retrieval-test.tsv"))
/// print(pairs.count, pairs.ids.first?.0 ?? "")
/// ```
public enum DocumentPairFile {
    /// The pairs in `url` (gzip-compressed files are accepted).
    public static func read(url: URL) throws -> LabelledDocumentPairs {
        try read(data: FileInput.bytes(url), name: url.path)
    }

    /// The pairs in `data`; `name` names it in error messages, with the line.
    public static func read(data: Data, name: String = "pair data") throws -> LabelledDocumentPairs {
        let lines = LabelledDocumentFile.lines(of: data)
        guard !lines.isEmpty else { throw SparseFactorError.io("\(name): the file has no pairs") }
        var first = [[UInt8]](), second = [[UInt8]](), labels = [Int32](), ids = [(String, String)](), numbers = [Int]()
        for (k, line) in lines.enumerated() {
            let number = k + 1
            let fields = line.split(separator: 0x09, omittingEmptySubsequences: false)
            guard fields.count == 5 else {
                throw SparseFactorError.io("\(name):\(number): expected 5 tab-separated fields (label, id1, id2, text1, text2), got \(fields.count)")
            }
            let label = String(decoding: fields[0], as: UTF8.self)
            guard let value = ["0": Int32(0), "1": 1, "0.0": 0, "1.0": 1][label] else {
                throw SparseFactorError.io("\(name):\(number): expected the label 0 or 1, got \"\(label.prefix(20))\"")
            }
            var texts = [[UInt8]]()
            for (field, which) in [(fields[3], "text1"), (fields[4], "text2")] {
                guard let text = LabelledDocumentFile.unescape(field) else {
                    throw SparseFactorError.io("\(name):\(number): in \(which), a backslash must be followed by \\, t or n (escaped backslash, tab, newline)")
                }
                guard !text.isEmpty else { throw SparseFactorError.io("\(name):\(number): \(which) is empty") }
                texts.append(text)
            }
            first.append(texts[0])
            second.append(texts[1])
            labels.append(value)
            ids.append((String(decoding: fields[1], as: UTF8.self), String(decoding: fields[2], as: UTF8.self)))
            numbers.append(number)
        }
        return try LabelledDocumentPairs(first: first, second: second, labels: labels, ids: ids, lines: numbers, name: name)
    }

    /// The file's bytes for `pairs` (ids with a tab or newline are refused).
    public static func encode(_ pairs: LabelledDocumentPairs) throws -> Data {
        var out = Data()
        for i in 0..<pairs.count {
            let (a, b) = pairs.ids[i]
            if let bad = [a, b].first(where: { $0.utf8.contains(where: { $0 == 0x09 || $0 == 0x0A }) }) {
                throw SparseFactorError.invalidArgument("pair \(i): the id \"\(bad.prefix(40))\" holds a tab or newline")
            }
            out.append(contentsOf: Array("\(pairs.labels[i])\t\(a)\t\(b)\t".utf8))
            out.append(contentsOf: LabelledDocumentFile.escape(pairs.first[i]))
            out.append(0x09)
            out.append(contentsOf: LabelledDocumentFile.escape(pairs.second[i]))
            out.append(0x0A)
        }
        return out
    }

    /// Writes `pairs` atomically.
    public static func write(_ pairs: LabelledDocumentPairs, to url: URL) throws {
        try AtomicFile.write(try encode(pairs), to: url)
    }
}
