import SparseFactorCore
import SparseFactorIO
import Foundation

/// LRA's ListOps files: tab-separated, the header `Source<TAB>Target`, then one expression per line
/// (LRA writes it with `(` `)` around every operator node; they are read and ignored) and its value.
///
/// ```swift
/// try ListOpsTSV.write(examples, to: URL(fileURLWithPath: "listops-test.tsv"))
/// let back = try ListOpsTSV.read(url: URL(fileURLWithPath: "listops-test.tsv"))
/// ```
public enum ListOpsTSV {
    /// The expressions of a file (gzip accepted), each with its 1-based line number. A missing header,
    /// a wrong field count, an unknown token, a malformed or empty expression, or a label that is not
    /// 0–9 or not the expression's value is refused with the file and line.
    public static func read(url: URL) throws -> [(example: ListOps.Example, line: Int)] {
        try read(data: FileInput.bytes(url), name: url.path)
    }

    /// The same from bytes; `name` names them in messages.
    public static func read(data: Data, name: String) throws -> [(example: ListOps.Example, line: Int)] {
        guard let text = String(data: data, encoding: .utf8) else { throw SparseFactorError.io("\(name): not UTF-8 text") }
        var rows: [(ListOps.Example, Int)] = []
        var sawHeader = false
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            let number = index + 1
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            func fail(_ message: String) -> SparseFactorError { .io("\(name) line \(number): \(message)") }
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            if !sawHeader {
                guard fields.map({ $0.trimmingCharacters(in: .whitespaces) }) == ["Source", "Target"] else {
                    throw fail("expected the header \"Source<TAB>Target\", got \"\(line.prefix(60))\"")
                }
                sawHeader = true
                continue
            }
            guard fields.count == 2 else { throw fail("expected 2 tab-separated fields (Source, Target), got \(fields.count)") }
            let tokens: [UInt16]
            do { tokens = try ListOps.tokens(fields[0]) } catch SparseFactorError.invalidArgument(let why) { throw fail(why) }
            guard !tokens.isEmpty else { throw fail("the expression is empty") }
            guard let label = Int(fields[1].trimmingCharacters(in: .whitespaces)), (0...9).contains(label) else {
                throw fail("expected a label 0–9, got \"\(fields[1].prefix(20))\"")
            }
            let value: Int
            do { value = try ListOps.value(of: tokens) } catch SparseFactorError.invalidArgument(let why) { throw fail(why) }
            guard value == label else { throw fail("the label \(label) is not the expression's value \(value)") }
            rows.append((ListOps.Example(tokens: tokens, label: label), number))
        }
        guard sawHeader else { throw SparseFactorError.io("\(name): the file is empty, expected the header \"Source<TAB>Target\"") }
        return rows
    }

    /// Writes expressions in LRA's form (with its brackets), atomically.
    public static func write(_ examples: [ListOps.Example], to url: URL) throws {
        var text = "Source\tTarget\n"
        for example in examples { text += "\(ListOps.bracketedText(example.tokens))\t\(example.label)\n" }
        try AtomicFile.write(Data(text.utf8), to: url)
    }
}
