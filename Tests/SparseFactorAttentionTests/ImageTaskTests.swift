import Foundation
import Testing
@testable import SparseFactorAttention
import SparseFactorIO
import SparseFactorCore

@Suite struct ImageTaskTests {
    @Test func pixelsBecomeTokensRowByRow() throws {
        let images = try LabelledImages(side: 2, labels: [3, 0], pixels: [0, 64, 128, 255, 1, 2, 3, 4])
        let data = try LabelledSequences(images: images, classCount: 10)
        #expect(data.length == 4 && data.vocabulary == 256 && data.classCount == 10)
        #expect(Array(data.sequence(0)) == [0, 64, 128, 255] && Array(data.sequence(1)) == [1, 2, 3, 4])
        #expect(data.labels == [3, 0])
        // A label outside the classes is refused by LabelledSequences' own check.
        #expect(throws: SparseFactorError.self) { try LabelledSequences(images: images, classCount: 3) }
    }

    @Test func seededOrderIsAFixedPermutation() throws {
        let order = ImageTask.seededOrder(count: 1000, seed: 7)
        #expect(order.sorted() == Array(0..<1000))
        #expect(order == ImageTask.seededOrder(count: 1000, seed: 7))
        #expect(order != ImageTask.seededOrder(count: 1000, seed: 8))
        // Hand-run Fisher–Yates on 3 items with the same generator.
        var rng = SeededGenerator(seed: 7)
        var expected = [0, 1, 2]
        expected.swapAt(2, uniformInt(below: 3, &rng))
        expected.swapAt(1, uniformInt(below: 2, &rng))
        #expect(ImageTask.seededOrder(count: 3, seed: 7) == expected)
    }

    @Test(.enabled(if: !RealData.optedOut, "SPARSEFACTOR_SKIP_REAL_DATA=1"))
    func fashionMNISTHasItsDocumentedCounts() throws {
        let files = ["train.npy", "test.npy", "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                     "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
        let dir: URL
        switch RealData.folder("fashion-mnist", files: files, source: "fashion-mnist") {
        case .success(let url): dir = url
        case .failure(let missing): Issue.record("\(missing.message)"); return
        }
        let images = try IDXReader.read(url: dir.appendingPathComponent("train-images-idx3-ubyte.gz"))
        let labels = try IDXReader.read(url: dir.appendingPathComponent("train-labels-idx1-ubyte.gz"))
        #expect(images.dimensions == [60_000, 28, 28] && labels.dimensions == [60_000])
        #expect(try IDXReader.read(url: dir.appendingPathComponent("t10k-images-idx3-ubyte.gz")).dimensions == [10_000, 28, 28])
        // The .npy files the fetch script wrote (with Python) hold the same images as the IDX files.
        let fromIDX = try LabelledImages(images: images, labels: labels)
        #expect(try LabelledImageFile.read(url: dir.appendingPathComponent("train.npy")) == fromIDX)
        var perClass = [Int](repeating: 0, count: 10)
        for l in labels.values { perClass[Int(l)] += 1 }
        #expect(perClass == [Int](repeating: 6_000, count: 10))

        let splits = try ImageTask.fashionMNIST(directory: dir)
        #expect(splits.train.count == 55_000 && splits.validation.count == 5_000 && splits.test.count == 10_000)
        #expect(splits.test.length == 784 && splits.test.vocabulary == 256 && splits.test.classCount == 10)
        var testClass = [Int](repeating: 0, count: 10)
        for l in splits.test.labels { testClass[Int(l)] += 1 }
        #expect(testClass == [Int](repeating: 1_000, count: 10))
        // Validation is the last 5,000 of the seeded order; train + validation is all of train.
        let order = ImageTask.seededOrder(count: 60_000, seed: ImageTask.validationSeed)
        #expect(Array(splits.validation.sequence(0)) == fromIDX.pixels[(order[55_000] * 784)..<((order[55_000] + 1) * 784)].map { UInt16($0) })
        #expect(splits.validation.labels[4_999] == Int32(labels.values[order[59_999]]))
        let splitLabels: [Int] = (splits.train.labels + splits.validation.labels).map { Int($0) }.sorted()
        let allLabels: [Int] = labels.values.map { Int($0) }.sorted()
        #expect(splitLabels == allLabels)
    }
}
