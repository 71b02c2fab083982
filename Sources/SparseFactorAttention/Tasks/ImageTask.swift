import Foundation
import SparseFactorCore
import SparseFactorIO

extension LabelledSequences {
    /// Images as sequences of pixels (the LRA Image task): each image read row by row, token id =
    /// grey value 0–255 (so vocabulary 256, and length side·side: 784 for 28×28). Black pixels
    /// share id 0 with ``padding``, which is harmless because every sequence is full length.
    ///
    /// ```swift
    /// let images = try LabelledImages(side: 2, labels: [3], pixels: [0, 64, 128, 255])
    /// let data = try LabelledSequences(images: images, classCount: 10)
    /// print(data.length, data.vocabulary, Array(data.sequence(0)))   // 4 256 [0, 64, 128, 255]
    /// ```
    public init(images: LabelledImages, classCount: Int) throws {
        try self.init(length: images.side * images.side, vocabulary: 256, classCount: classCount,
                      tokens: images.pixels.map { UInt16($0) }, labels: images.labels.map { Int32($0) })
    }
}

/// The train, validation and test sets of one classification task.
///
/// ```swift
/// let splits = try ImageTask.fashionMNIST(directory: URL(fileURLWithPath: "data/fashion-mnist"))
/// print(splits.train.count, splits.validation.count, splits.test.count)   // 55000 5000 10000
/// ```
public struct TaskSplits: Equatable, Sendable {
    public let train: LabelledSequences
    public let validation: LabelledSequences
    public let test: LabelledSequences

    /// The three sets, as given.
    public init(train: LabelledSequences, validation: LabelledSequences, test: LabelledSequences) {
        self.train = train
        self.validation = validation
        self.test = test
    }
}

/// The Image task on Fashion-MNIST, from the files `scripts/fetch-data.sh` writes.
///
/// ```swift
/// let splits = try ImageTask.fashionMNIST(directory: URL(fileURLWithPath: "data/fashion-mnist"))
/// ```
public enum ImageTask {
    /// Fashion-MNIST's classes (labels 0–9).
    public static let fashionMNISTClasses = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                             "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    /// The seed of the shuffle that picks the validation images.
    public static let validationSeed: UInt64 = 20_240_601
    /// How many training images are held out for validation.
    public static let validationCount = 5_000

    /// Fashion-MNIST's own split — `train.npy` (60,000 images) and `test.npy` (10,000) in `directory`
    /// — with validation = the last ``validationCount`` training images after ``seededOrder(count:seed:)``
    /// with ``validationSeed``; train = the other 55,000, in that shuffled order.
    public static func fashionMNIST(directory: URL) throws -> TaskSplits {
        let train = try LabelledImageFile.read(url: directory.appendingPathComponent("train.npy"))
        let test = try LabelledImageFile.read(url: directory.appendingPathComponent("test.npy"))
        let all = try LabelledSequences(images: train, classCount: 10)
        let order = seededOrder(count: all.count, seed: validationSeed)
        guard all.count > validationCount else {
            throw SparseFactorError.invalidArgument("\(directory.path)/train.npy: \(all.count) images, more than the \(validationCount) held out for validation are needed")
        }
        let cut = all.count - validationCount
        return TaskSplits(train: try all.selecting(Array(order[..<cut])),
                          validation: try all.selecting(Array(order[cut...])),
                          test: try LabelledSequences(images: test, classCount: 10))
    }

    /// A seeded permutation of `0..<count`: Fisher–Yates from the last index down, swapping index
    /// i with a uniform draw below i + 1 (Lemire's method, the trainer's shuffle) — written out rather
    /// than `shuffle(using:)`, whose algorithm the standard library does not promise to keep.
    ///
    /// ```swift
    /// print(ImageTask.seededOrder(count: 5, seed: 1).sorted())   // [0, 1, 2, 3, 4]
    /// ```
    public static func seededOrder(count: Int, seed: UInt64) -> [Int] {
        var rng = SeededGenerator(seed: seed)
        return seededPermutation(count, &rng)
    }
}

extension LabelledSequences {
    /// The sequences at `indices`, in that order.
    ///
    /// ```swift
    /// let data = try LabelledSequences(length: 1, vocabulary: 3, classCount: 2, tokens: [1, 2], labels: [0, 1])
    /// print(try data.selecting([1, 0]).labels)   // [1, 0]
    /// ```
    public func selecting(_ indices: [Int]) throws -> LabelledSequences {
        var picked = [UInt16]()
        picked.reserveCapacity(indices.count * length)
        for i in indices {
            guard (0..<count).contains(i) else { throw SparseFactorError.invalidArgument("sequence \(i) is outside the set of \(count)") }
            picked.append(contentsOf: sequence(i))
        }
        return try LabelledSequences(length: length, vocabulary: vocabulary, classCount: classCount,
                                     tokens: picked, labels: indices.map { labels[$0] })
    }
}
