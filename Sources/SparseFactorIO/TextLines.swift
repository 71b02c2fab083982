import SparseFactorCore
import Foundation

/// One line of a text file, split into fields, with its 1-based line number for error messages.
struct TextLine {
    let number: Int
    /// The whole line without its end-of-line characters.
    let text: Substring
    /// The line split on the separator (empty fields dropped when splitting on whitespace).
    let fields: [Substring]
}

/// How a line is split into fields.
enum FieldSeparator: Equatable {
    case whitespace
    case character(Character)
}

/// Lines of a text file, for the text readers. Comment lines (starting, after blanks, with one of
/// `commentPrefixes`) and blank lines are skipped.
struct TextLines {
    let name: String
    let lines: [Substring]

    init(data: Data, name: String) throws {
        self.name = name
        guard let text = String(data: data, encoding: .utf8) else {
            throw SparseFactorError.io("\(name): not a text file (the content is not valid UTF-8)")
        }
        if text.utf8.contains(0) {
            throw SparseFactorError.io("\(name): not a text file (it contains NUL bytes)")
        }
        // "\r\n" is one Character in Swift, so it is a separator of its own; each line keeps its number.
        lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
    }

    init(url: URL) throws {
        try self.init(data: try FileInput.bytes(url), name: url.path)
    }

    /// The non-blank, non-comment lines, split into fields.
    func content(commentPrefixes: [String], separator: FieldSeparator = .whitespace) -> [TextLine] {
        var out: [TextLine] = []
        out.reserveCapacity(lines.count)
        for (index, raw) in lines.enumerated() {
            let trimmed = raw.drop(while: { $0 == " " || $0 == "\t" })
            if trimmed.isEmpty || commentPrefixes.contains(where: { trimmed.hasPrefix($0) }) { continue }
            out.append(TextLine(number: index + 1, text: raw, fields: TextLines.split(raw, separator)))
        }
        return out
    }

    static func split(_ line: Substring, _ separator: FieldSeparator) -> [Substring] {
        switch separator {
        case .whitespace:
            return line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\u{0B}" || $0 == "\u{0C}" })
        case .character(let c):
            return line.split(separator: c, omittingEmptySubsequences: false).map { field in
                let start = field.firstIndex(where: { $0 != " " && $0 != "\t" }) ?? field.endIndex
                let end = field.lastIndex(where: { $0 != " " && $0 != "\t" }).map { field.index(after: $0) } ?? start
                return start < end ? field[start..<end] : field[start..<start]
            }
        }
    }

    func error(_ line: Int, _ message: String) -> SparseFactorError {
        .io("\(name) line \(line): \(message)")
    }

    /// A finite number, or a clear error naming the line and the field.
    func number(_ field: Substring, line: Int, what: String) throws -> Double {
        guard let value = Double(field) else {
            throw error(line, "expected a number for \(what), got \"\(field.prefix(40))\"")
        }
        guard value.isFinite else {
            throw SparseFactorError.nonFinite("\(name) line \(line): \(what) is \(field), finite numbers are required")
        }
        return value
    }

    /// An integer, or a clear error naming the line and the field.
    func integer(_ field: Substring, line: Int, what: String) throws -> Int {
        guard let value = Int(field) else {
            throw error(line, "expected an integer for \(what), got \"\(field.prefix(40))\"")
        }
        return value
    }
}
