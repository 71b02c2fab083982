import SparseFactorCore
import Foundation

/// Labelled documents as bytes, with the line of the file each came from (for messages).
///
/// ```swift
/// let docs = try LabelledDocuments(documents: [Array("good".utf8), Array("bad".utf8)], labels: [1, 0])
/// ```
public struct LabelledDocuments: Equatable, Sendable {
    /// Each document's bytes, unescaped.
    public let documents: [[UInt8]]
    /// Each document's label, 0 or 1.
    public let labels: [Int32]
    /// The 1-based line of the file each document was read from (0 when built in memory).
    public let lines: [Int]
    /// Where the documents were read from ("" when built in memory).
    public let name: String

    /// The number of documents.
    public var count: Int { labels.count }

    /// Documents built in memory; each must be non-empty and have a label 0 or 1.
    public init(documents: [[UInt8]], labels: [Int32], lines: [Int]? = nil, name: String = "") throws {
        guard documents.count == labels.count else {
            throw SparseFactorError.shapeMismatch(expected: "one label per document (\(documents.count))", got: "\(labels.count) labels")
        }
        if let i = documents.firstIndex(where: \.isEmpty) { throw SparseFactorError.invalidArgument("document \(i) is empty") }
        if let i = labels.firstIndex(where: { $0 != 0 && $0 != 1 }) { throw SparseFactorError.invalidArgument("label \(labels[i]) of document \(i) is not 0 or 1") }
        self.documents = documents
        self.labels = labels
        self.lines = lines ?? [Int](repeating: 0, count: labels.count)
        self.name = name
    }
}

/// Labelled documents in a tab-separated file: the header `Source<TAB>Target`, then one document
/// per line — `Source` the document with backslash, tab and newline escaped as `\\`, `\t` and `\n`
/// (every other byte as it is, carriage returns included), `Target` its label `0` or `1`.
///
/// ```swift
/// let docs = try LabelledDocumentFile.read(url: URL(fileURLWithPath: "data/text/documents.tsv"))
/// print(docs.count, docs.labels.first ?? -1)
/// ```
public enum LabelledDocumentFile {
    /// The header line every file starts with.
    public static let header = "Source\tTarget"

    /// `document` with `\`, tab and newline escaped, so it fits in one field of one line.
    ///
    /// ```swift
    /// print(String(decoding: LabelledDocumentFile.escape(Array("a\tb\n".utf8)), as: UTF8.self))   // a\tb\n
    /// ```
    public static func escape(_ document: [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(document.count)
        for b in document {
            switch b {
            case 0x5C: out += [0x5C, 0x5C]
            case 0x09: out += [0x5C, 0x74]
            case 0x0A: out += [0x5C, 0x6E]
            default: out.append(b)
            }
        }
        return out
    }

    /// The document of an escaped field; nil for a backslash followed by anything but `\`, `t` or
    /// `n`, or at the end of the field.
    ///
    /// ```swift
    /// print(LabelledDocumentFile.unescape(Array("a\\\\b".utf8)) == Array("a\\b".utf8))   // true
    /// ```
    public static func unescape<C: Collection>(_ field: C) -> [UInt8]? where C.Element == UInt8 {
        var out = [UInt8]()
        out.reserveCapacity(field.count)
        var escaped = false
        for b in field {
            if escaped {
                switch b {
                case 0x5C: out.append(0x5C)
                case 0x74: out.append(0x09)
                case 0x6E: out.append(0x0A)
                default: return nil
                }
                escaped = false
            } else if b == 0x5C {
                escaped = true
            } else {
                out.append(b)
            }
        }
        return escaped ? nil : out
    }

    /// The documents in `url` (gzip-compressed files are accepted).
    public static func read(url: URL) throws -> LabelledDocuments {
        try read(data: FileInput.bytes(url), name: url.path)
    }

    /// The documents in `data`; `name` names it in error messages, with the line.
    public static func read(data: Data, name: String = "document data") throws -> LabelledDocuments {
        let lines = lines(of: data)
        guard let first = lines.first, String(decoding: first, as: UTF8.self) == header else {
            let got = lines.first.map { String(decoding: $0.prefix(60), as: UTF8.self) } ?? "an empty file"
            throw SparseFactorError.io("\(name):1: expected the header \"Source\\tTarget\", got \"\(got)\"")
        }
        var documents = [[UInt8]](), labels = [Int32](), numbers = [Int]()
        for (k, line) in lines.enumerated().dropFirst() {
            let number = k + 1
            let fields = line.split(separator: 0x09, omittingEmptySubsequences: false)
            guard fields.count == 2 else {
                throw SparseFactorError.io("\(name):\(number): expected 2 tab-separated fields (document, label), got \(fields.count)")
            }
            guard let document = unescape(fields[0]) else {
                throw SparseFactorError.io("\(name):\(number): a backslash must be followed by \\, t or n (escaped backslash, tab, newline)")
            }
            guard !document.isEmpty else { throw SparseFactorError.io("\(name):\(number): the document is empty") }
            let label = String(decoding: fields[1], as: UTF8.self)
            guard label == "0" || label == "1" else {
                throw SparseFactorError.io("\(name):\(number): expected the label 0 or 1, got \"\(label.prefix(20))\"")
            }
            documents.append(document)
            labels.append(label == "1" ? 1 : 0)
            numbers.append(number)
        }
        return try LabelledDocuments(documents: documents, labels: labels, lines: numbers, name: name)
    }

    /// The lines of a tab-separated file, without the final newline's empty line.
    static func lines(of data: Data) -> [ArraySlice<UInt8>] {
        var lines = [UInt8](data).split(separator: 0x0A, omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        return lines
    }

    /// The file's bytes for `documents`.
    public static func encode(_ documents: LabelledDocuments) -> Data {
        var out = Data((header + "\n").utf8)
        for (d, l) in zip(documents.documents, documents.labels) {
            out.append(contentsOf: escape(d))
            out.append(contentsOf: [0x09, l == 1 ? 0x31 : 0x30, 0x0A])
        }
        return out
    }

    /// Writes `documents` atomically.
    public static func write(_ documents: LabelledDocuments, to url: URL) throws {
        try AtomicFile.write(encode(documents), to: url)
    }
}
