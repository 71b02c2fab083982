import Foundation
@testable import SparseFactorAttention
import SparseFactorCore
import SparseFactorIO
import SparseFactorNN
import SparseFactorTestSupport
import Testing

/// LRA's Retrieval task: the pair file format, the two-document sequences, the head that compares
/// two pooled vectors (against the formula by hand and finite differences), every model kind on
/// token pairs, and training from pair files.
@Suite struct RetrievalTests {
    func pairTokens(batch: Int, length: Int, vocabulary: Int, seed: UInt64) throws -> Tensor {
        var rng = SeededGenerator(seed: seed)
        return try Tensor(shape: [batch, 2 * length], values: (0..<(batch * 2 * length)).map { _ in Float(uniformInt(below: vocabulary, &rng)) })
    }

    @Test func pairFilesRoundTripAndReadLRAsFloatLabels() throws {
        let text = "1.0\topen.2\tclose.2\tab\\tc\tx\\\\y\n0\tread.2\twrite.2\tline\\none\tz\n"
        let pairs = try DocumentPairFile.read(data: Data(text.utf8), name: "p.tsv")
        #expect(pairs.count == 2 && pairs.labels == [1, 0])
        #expect(pairs.first[0] == Array("ab\tc".utf8) && pairs.second[0] == Array("x\\y".utf8) && pairs.first[1] == Array("line\none".utf8))
        #expect(pairs.ids[1] == ("read.2", "write.2") && pairs.lines == [1, 2])
        let written = String(decoding: try DocumentPairFile.encode(pairs), as: UTF8.self)
        #expect(written == "1\topen.2\tclose.2\tab\\tc\tx\\\\y\n0\tread.2\twrite.2\tline\\none\tz\n")
    }

    @Test(arguments: [
        ("1\ta\tb\tx\n", "p.tsv:1: expected 5 tab-separated fields (label, id1, id2, text1, text2), got 4"),
        ("0\ta\tb\tx\ty\n2\ta\tb\tx\ty\n", "p.tsv:2: expected the label 0 or 1, got \"2\""),
        ("1\ta\tb\tx\\q\ty\n", "p.tsv:1: in text1, a backslash must be followed by \\, t or n (escaped backslash, tab, newline)"),
        ("1\ta\tb\tx\t\n", "p.tsv:1: text2 is empty"),
        ("", "p.tsv: the file has no pairs"),
    ])
    func malformedPairFilesAreRefusedNamingTheLine(text: String, message: String) {
        expectMessage("malformed pair file", contains: message) { try DocumentPairFile.read(data: Data(text.utf8), name: "p.tsv") }
    }

    @Test func eachDocumentIsPaddedToNAndALongOneIsRefusedUnlessTruncated() throws {
        let pairs = try DocumentPairFile.read(data: Data("1\ta\tb\tAB\tC\n0\tc\td\tD\tEFGHI\n".utf8), name: "p.tsv")
        let data = try LabelledSequences(pairs: pairs, length: 5)
        #expect(data.length == 10 && data.vocabulary == 257 && data.classCount == 2 && data.labels == [1, 0])
        #expect(Array(data.sequence(0)) == [66, 67, 0, 0, 0, 68, 0, 0, 0, 0])
        #expect(Array(data.sequence(1)) == [69, 0, 0, 0, 0, 70, 71, 72, 73, 74])
        expectMessage("long document", contains: "p.tsv:2: text2 has 5 bytes, longer than the document length 4 (pass truncate: true to keep its first 4)") {
            try LabelledSequences(pairs: pairs, length: 4)
        }
        let cut = try LabelledSequences(pairs: pairs, length: 4, truncate: true)
        #expect(Array(cut.sequence(1)) == [69, 0, 0, 0, 70, 71, 72, 73])
        let url = temporaryCheckpointURL("pairs.tsv")
        defer { try? FileManager.default.removeItem(at: url) }
        try TaskData.write(data, task: .retrieval, to: url)
        #expect(try TaskData.read(task: .retrieval, url: url, length: 5) == data)
        #expect(try DocumentPairFile.read(url: url).ids[1] == ("pair1.1", "pair1.2"))
    }

    /// The head on pairs equals a plain linear head (same seed, so the same weights) applied to
    /// [u, v, u ⊙ v, u − v] written out by hand from the mean-pooled rows.
    @Test func thePairHeadComparesTheTwoPooledVectors() throws {
        let (examples, n, c) = (3, 4, 2)
        var rng = SeededGenerator(seed: 5)
        let end = try PoolingHead(pooling: .mean, head: .linear, length: n, channels: c, outputs: 2, pairs: true, rng: &rng)
        var same = SeededGenerator(seed: 5)
        let plain = try PoolingHead(pooling: .flatten, head: .linear, length: 1, channels: 4 * c, outputs: 2, rng: &same)
        let block = nnRandomTensor([2 * examples, n, c], seed: 6)
        var compared = [Float]()
        for b in 0..<examples {
            func mean(_ row: Int, _ k: Int) -> Float {
                Float((0..<n).reduce(0.0) { $0 + Double(block.values[(row * n + $1) * c + k]) } / Double(n))
            }
            let u = (0..<c).map { mean(2 * b, $0) }, v = (0..<c).map { mean(2 * b + 1, $0) }
            compared += u + v + zip(u, v).map { $0 * $1 } + zip(u, v).map { $0 - $1 }
        }
        let got = try end(block)
        #expect(got.shape == [examples, 2])
        expectClose(got.values, try plain(Tensor(shape: [examples, 1, 4 * c], values: compared)).values, rtol: 1e-6, "pair head")
        try nnCheckGradients(end, input: block, seed: 7, "pair head")
        expectMessage("odd block", contains: "a block [2B, 4, 2] to pool") { try end(nnRandomTensor([3, n, c], seed: 8)) }
    }

    @Test(arguments: [ModelKind.psf, .transformer, .chordmixer])
    func everyModelKindTakesTokenPairs(kind: ModelKind) throws {
        let input = SequenceInput.tokenPairs(vocabulary: 6)
        let model: any SequenceModel
        switch kind {
        case .psf:
            var c = PSFAttnConfiguration(input: input, length: 8, outputs: 2)
            (c.embedding, c.factorMLP, c.valueMLP, c.channels, c.pooling) = (4, "[5, GELU]", "[5, GELU]", 3, .mean)
            model = try PSFAttn(configuration: c, seed: 1)
        case .transformer:
            var c = TransformerConfiguration(input: input, length: 8, outputs: 2)
            (c.embedding, c.heads, c.feedForward, c.pooling) = (8, 2, 6, .mean)
            model = try Transformer(configuration: c, seed: 1)
        default:
            var c = ChordMixerConfiguration(input: input, length: 8, outputs: 2)
            (c.trackSize, c.hidden, c.pooling) = (2, 5, .mean)
            model = try ChordMixer(configuration: c, seed: 1)
        }
        let x = try pairTokens(batch: 2, length: 8, vocabulary: 6, seed: 2)
        #expect(try model(x).shape == [2, 2])
        let estimate: Int
        switch kind {
        case .psf: estimate = try (model as! PSFAttn).configuration.estimatedParameterCount()
        case .transformer: estimate = try (model as! Transformer).configuration.estimatedParameterCount()
        default: estimate = try (model as! ChordMixer).configuration.estimatedParameterCount()
        }
        #expect(estimate == model.parameterCount, "the size-only estimate counts the head's four vectors")
        // Swapping the documents of a pair flips u − v only: the output changes.
        var swapped = x
        for b in 0..<2 { for i in 0..<8 { swapped.values.swapAt(b * 16 + i, b * 16 + 8 + i) } }
        #expect(try model(swapped).values != (try model(x)).values)
        try nnCheckGradients(model, input: x, seed: 3, inputIsDifferentiable: false, "\(kind) on token pairs")
        expectMessage("single documents", contains: "[B, 16] token ids (two documents of 8)") { try model(Tensor(shape: [2, 8])) }
    }

    @Test func documentPairsAreMeanPooledByDefault() {
        for kind in ModelKind.allCases {
            switch ModelConfiguration(kind: kind, task: .retrieval, length: 64) {
            case .psf(let c), .paramixer(let c): #expect(c.pooling == .mean && c.input == .tokenPairs(vocabulary: 257), "\(kind)")
            case .transformer(let c): #expect(c.pooling == .mean, "\(kind)")
            case .chordMixer(let c): #expect(c.pooling == .mean, "\(kind)")
            }
        }
        #expect(PSFAttnConfiguration(task: .text, length: 64).pooling == .flatten)
    }

    @Test func aRunTrainsFromPairFilesAndResumesBitExactly() throws {
        // A pair links when its documents start with the same byte.
        var rng = SeededGenerator(seed: 9)
        func document() -> [UInt8] { (0..<(1 + uniformInt(below: 6, &rng))).map { _ in UInt8(97 + uniformInt(below: 4, &rng)) } }
        var first = [[UInt8]](), second = [[UInt8]](), labels = [Int32]()
        for _ in 0..<80 {
            let (a, b) = (document(), document())
            first.append(a); second.append(b); labels.append(a[0] == b[0] ? 1 : 0)
        }
        let url = temporaryCheckpointURL("train-pairs.tsv")
        defer { try? FileManager.default.removeItem(at: url) }
        try DocumentPairFile.write(try LabelledDocumentPairs(first: first, second: second, labels: labels), to: url)
        var options = TrainingOptions(task: .retrieval, length: 6)
        options.dataFiles = TrainingDataFiles(train: url.path, validation: url.path)
        options.batchSize = 16
        options.epochs = 2
        var config = ModelConfiguration(kind: .psf, task: .retrieval, length: 6)
        if case .psf(var c) = config { (c.embedding, c.channels, c.pooling) = (8, 4, .mean); config = .psf(c) }
        let straight = try SequenceTrainer(configuration: config, options: options)
        let summary = try straight.train()
        #expect(summary.steps == 10 && summary.validation?.count == 80)
        let first4 = try SequenceTrainer(configuration: config, options: options)
        try first4.train(maxSteps: 4)
        let resumed = try SequenceTrainer(resuming: first4.checkpoint(), options: options)
        try resumed.train()
        #expect(parameterBits(resumed) == parameterBits(straight))
    }

    @Test(.enabled(if: !RealData.optedOut, "SPARSEFACTOR_SKIP_REAL_DATA=1"))
    func manPageLinksHaveTheirDocumentedCounts() throws {
        let dir: URL
        switch RealData.folder("text", files: ["manpage-links.tsv"], source: "manpage-links") {
        case .success(let url): dir = url
        case .failure(let missing): Issue.record("\(missing.message)"); return
        }
        let pairs = try DocumentPairFile.read(url: dir.appendingPathComponent("manpage-links.tsv"))
        // Debian 12's manpages and manpages-dev 6.03-2: 1,100 pages, 3,594 SEE ALSO links, as many unlinked pairs.
        #expect(pairs.count == 7_188)
        #expect(pairs.labels.filter { $0 == 1 }.count == 3_594)
        #expect(Set(pairs.ids.flatMap { [$0.0, $0.1] }).count == 1_100)
        #expect(pairs.ids.allSatisfy { $0.0 != $0.1 })
        #expect((pairs.first + pairs.second).map(\.count).max() == 4_000, "every page cut to its first 4,000 bytes, some reach it")
        let linked = Set(zip(pairs.ids, pairs.labels).filter { $0.1 == 1 }.map { [$0.0.0, $0.0.1].sorted() })
        #expect(linked.contains(["close.2", "open.2"]) && linked.count == 3_594, "no pair twice")
        let splits = try TextTask.split(try LabelledSequences(pairs: pairs, length: 4000))
        #expect(splits.train.count == 5_750 && splits.validation.count == 718 && splits.test.count == 720)
    }
}
