import Foundation
import Testing
import SparseFactorAttention
import SparseFactorIO
import SparseFactorCore

@Suite struct TextTaskTests {
    @Test func bytesBecomeIdsPlusOneAndArePadded() throws {
        let docs = try LabelledDocuments(documents: [[0, 255, 65], [10]], labels: [1, 0])
        let data = try LabelledSequences(documents: docs, length: 5)
        #expect(data.vocabulary == 257 && data.classCount == 2 && data.length == 5)
        #expect(Array(data.sequence(0)) == [1, 256, 66, 0, 0])
        #expect(Array(data.sequence(1)) == [11, 0, 0, 0, 0])
        #expect(data.labels == [1, 0])
    }

    @Test func aLongDocumentIsRefusedWithItsFileAndLineUnlessTruncated() throws {
        let docs = try LabelledDocumentFile.read(data: Data("Source\tTarget\nab\t0\nabcdef\t1\n".utf8), name: "t.tsv")
        do {
            _ = try LabelledSequences(documents: docs, length: 4)
            Issue.record("a 6-byte document fitted in 4 tokens")
        } catch {
            #expect("\(error)" == "invalid argument: t.tsv:3: the document has 6 bytes, longer than the sequence length 4 (pass truncate: true to keep its first 4)")
        }
        let cut = try LabelledSequences(documents: docs, length: 4, truncate: true)
        #expect(Array(cut.sequence(1)) == [98, 99, 100, 101])
        #expect(throws: SparseFactorError.self) { try LabelledDocuments(documents: [[]], labels: [0]) }
    }

    @Test func splitIsEightyTenTenInTheSeededOrder() throws {
        let docs = try LabelledDocuments(documents: (0..<25).map { [UInt8($0)] }, labels: (0..<25).map { Int32($0 % 2) })
        let data = try LabelledSequences(documents: docs, length: 1)
        let s = try TextTask.split(data)
        #expect(s.train.count == 20 && s.validation.count == 2 && s.test.count == 3)
        let order = ImageTask.seededOrder(count: 25, seed: TextTask.splitSeed)
        // Each sequence's one token is its index + 1, so the tokens show which documents went where.
        #expect(s.train.tokens.map { Int($0) - 1 } == Array(order[..<20]))
        #expect(s.validation.tokens.map { Int($0) - 1 } == Array(order[20..<22]))
        #expect(s.test.tokens.map { Int($0) - 1 } == Array(order[22...]))
    }
}
