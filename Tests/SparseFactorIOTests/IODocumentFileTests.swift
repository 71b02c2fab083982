import Foundation
import Testing
import SparseFactorIO
import SparseFactorCore

private func failure(_ body: () throws -> Any) -> String {
    do { _ = try body(); return "no error" } catch { return "\(error)" }
}

@Suite struct IODocumentFileTests {
    let scratch: IOScratch
    init() throws { scratch = try IOScratch() }

    @Test func escapingRoundTripsEveryByte() throws {
        // Hand-checked: backslash, tab and newline become two bytes each; nothing else changes.
        #expect(LabelledDocumentFile.escape(Array("a\\b\tc\nd\r".utf8)) == Array("a\\\\b\\tc\\nd\r".utf8))
        var rng = SeededGenerator(seed: 3)
        for _ in 0..<50 {
            let doc = (0..<Int(rng.next() % 200)).map { _ in [UInt8(0x5C), 0x09, 0x0A, 0x74, 0x6E, UInt8(truncatingIfNeeded: rng.next())][Int(rng.next() % 6)] }
            let escaped = LabelledDocumentFile.escape(doc)
            #expect(!escaped.contains(0x09) && !escaped.contains(0x0A))
            #expect(LabelledDocumentFile.unescape(escaped) == doc)
        }
        #expect(LabelledDocumentFile.unescape(Array("bad\\x".utf8)) == nil)
        #expect(LabelledDocumentFile.unescape(Array("end\\".utf8)) == nil)
    }

    @Test func readsWhatItWrites() throws {
        let docs = try LabelledDocuments(documents: [Array("one\ttwo\nthree \\ four".utf8), [0xE2, 0x82, 0xAC], [0]], labels: [1, 0, 1])
        let url = scratch.url("docs.tsv")
        try LabelledDocumentFile.write(docs, to: url)
        #expect(try String(contentsOf: url, encoding: .utf8) == "Source\tTarget\none\\ttwo\\nthree \\\\ four\t1\n€\t0\n\u{0}\t1\n")
        let back = try LabelledDocumentFile.read(url: url)
        #expect(back.documents == docs.documents && back.labels == docs.labels)
        #expect(back.lines == [2, 3, 4] && back.name == url.path)
    }

    @Test func refusesMalformedLinesWithTheFileAndLine() throws {
        func read(_ text: String) throws -> LabelledDocuments { try LabelledDocumentFile.read(data: Data(text.utf8), name: "d.tsv") }
        #expect(failure { try read("Text\tLabel\nabc\t1\n") } == "I/O error: d.tsv:1: expected the header \"Source\\tTarget\", got \"Text\tLabel\"")
        #expect(failure { try read("") } == "I/O error: d.tsv:1: expected the header \"Source\\tTarget\", got \"an empty file\"")
        #expect(failure { try read("Source\tTarget\nabc\t1\nde\t1\t0\n") } == "I/O error: d.tsv:3: expected 2 tab-separated fields (document, label), got 3")
        #expect(failure { try read("Source\tTarget\nabc\n") } == "I/O error: d.tsv:2: expected 2 tab-separated fields (document, label), got 1")
        #expect(failure { try read("Source\tTarget\n\t0\n") } == "I/O error: d.tsv:2: the document is empty")
        #expect(failure { try read("Source\tTarget\nabc\t2\n") } == "I/O error: d.tsv:2: expected the label 0 or 1, got \"2\"")
        #expect(failure { try read("Source\tTarget\nabc\t\n") } == "I/O error: d.tsv:2: expected the label 0 or 1, got \"\"")
        #expect(failure { try read("Source\tTarget\na\\qc\t1\n") } == "I/O error: d.tsv:2: a backslash must be followed by \\, t or n (escaped backslash, tab, newline)")
        // No final newline is fine.
        #expect(try read("Source\tTarget\nabc\t1").labels == [1])
    }
}
