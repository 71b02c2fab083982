import SparseFactorCore
import SparseFactorNN
import SparseFactorIO
/// The two synthetic long-range tasks of the paper, as its data-generation code defines them.
///
/// - ``adding``: each position holds `(x, mark)` with `x` uniform in [−1, 1) and exactly two
///   distinct positions marked 1; the target is `0.5 + (x_a + x_b) / 4`, and a prediction is
///   correct when it is within 0.04 of it (regression, one output).
/// - ``order`` (temporal order): every token is one of `a, b, c, d` (ids 0…3); two distinct
///   positions `p1 < p2` hold `X` (id 4) or `Y` (id 5); the class is the ordered pair
///   `XX = 0, XY = 1, YX = 2, YY = 3` (classification, four outputs).
///
/// ```swift
/// let task = SyntheticTask.adding
/// print(task.outputCount, task.featuresPerPosition)   // 1 2
/// ```
public enum SyntheticTask: String, Codable, CaseIterable, Sendable {
    case adding
    case order

    /// Token ids of the temporal-order task.
    public enum OrderToken {
        /// The four filler symbols a, b, c, d are ids 0…3.
        public static let fillerCount = 4
        /// The id of `X`.
        public static let x = 4
        /// The id of `Y`.
        public static let y = 5
        /// The vocabulary size (a, b, c, d, X, Y).
        public static let vocabulary = 6
    }

    /// The adding task's tolerance: a prediction is correct when `|prediction − target| < 0.04`.
    public static let addingTolerance: Float = 0.04

    /// Real-valued features per position for ``adding`` (x and mark); 1 token id for ``order``.
    public var featuresPerPosition: Int { self == .adding ? 2 : 1 }

    /// Model outputs: 1 regression value for ``adding``, 4 class scores for ``order``.
    public var outputCount: Int { self == .adding ? 1 : 4 }

    /// Whether the input is token ids (embedded) rather than real features (projected).
    public var usesTokens: Bool { self == .order }
}

/// One generated sequence and its target.
public struct SyntheticSample: Equatable, Sendable {
    /// `N · featuresPerPosition` values, position after position (token ids stored as Float for ``SyntheticTask/order``).
    public var inputs: [Float]
    /// The regression target (adding) or the class id 0…3 (order).
    public var target: Float
    /// The two special positions, `p1 < p2`.
    public var positions: (Int, Int)

    public static func == (a: SyntheticSample, b: SyntheticSample) -> Bool {
        a.inputs == b.inputs && a.target == b.target && a.positions == b.positions
    }
}

/// A deterministic, seeded set of synthetic sequences.
///
/// Nothing is stored: sample `i` is generated on demand from its own random stream, derived
/// from the set's seed and `i`, so any size and length fits in memory, shuffling is free, and
/// the same seed gives the same data on every machine. Train, validation and test sets made
/// by ``splits(task:length:trainSize:validationSize:testSize:seed:)`` use different streams.
///
/// ```swift
/// let sets = try SyntheticDataset.splits(task: .adding, length: 128, trainSize: 1000,
///                                        validationSize: 100, testSize: 100, seed: 1)
/// let first = sets.train.sample(0)        // 256 inputs and its target
/// let (x, y) = try sets.train.batch([0, 1, 2])
/// print(x.shape, y.shape)                 // [3, 128, 2] [3, 1]
/// ```
public struct SyntheticDataset: Equatable, Sendable {
    /// Which task.
    public let task: SyntheticTask
    /// N, the sequence length (≥ 2).
    public let length: Int
    /// The number of sequences.
    public let count: Int
    /// The seed of this set's random stream.
    public let seed: UInt64

    /// A set of `count` sequences of length `length`.
    public init(task: SyntheticTask, length: Int, count: Int, seed: UInt64) throws {
        guard length >= 2 else {
            throw SparseFactorError.invalidArgument("the sequence length must be at least 2 (two distinct marked positions), got \(length)")
        }
        guard count >= 0 else { throw SparseFactorError.invalidArgument("a dataset size must not be negative, got \(count)") }
        self.task = task
        self.length = length
        self.count = count
        self.seed = seed
    }

    /// Train, validation and test sets drawn from three different streams of one seed.
    public static func splits(task: SyntheticTask, length: Int, trainSize: Int, validationSize: Int, testSize: Int,
                              seed: UInt64) throws -> (train: SyntheticDataset, validation: SyntheticDataset, test: SyntheticDataset) {
        (try SyntheticDataset(task: task, length: length, count: trainSize, seed: mixSeed(seed, 0x7472_6169_6E)),       // "train"
         try SyntheticDataset(task: task, length: length, count: validationSize, seed: mixSeed(seed, 0x7661_6C)),      // "val"
         try SyntheticDataset(task: task, length: length, count: testSize, seed: mixSeed(seed, 0x7465_7374)))          // "test"
    }

    /// A held-out set for scoring a saved model: drawn from a stream of `seed` that no split of
    /// ``splits(task:length:trainSize:validationSize:testSize:seed:)`` uses, so for any seed it
    /// shares no sequence stream with a run's training, validation or test data.
    public static func freshTestSet(task: SyntheticTask, length: Int, count: Int, seed: UInt64) throws -> SyntheticDataset {
        try SyntheticDataset(task: task, length: length, count: count, seed: mixSeed(seed, 0x6672_6573_68))   // "fresh"
    }

    /// Sequence `index` (0 ≤ index < count).
    public func sample(_ index: Int) -> SyntheticSample {
        var rng = SeededGenerator(seed: mixSeed(seed, UInt64(truncatingIfNeeded: index)))
        var inputs = [Float](repeating: 0, count: length * task.featuresPerPosition)
        let (p1, p2) = Self.twoDistinctPositions(length, &rng)
        switch task {
        case .adding:
            for i in 0..<length { inputs[2 * i] = Float(rng.nextUnit() * 2 - 1) }
            inputs[2 * p1 + 1] = 1
            inputs[2 * p2 + 1] = 1
            let target = 0.5 + (inputs[2 * p1] + inputs[2 * p2]) / 4
            return SyntheticSample(inputs: inputs, target: target, positions: (p1, p2))
        case .order:
            for i in 0..<length { inputs[i] = Float(uniformInt(below: SyntheticTask.OrderToken.fillerCount, &rng)) }
            let firstIsY = rng.next() & 1 == 1
            let secondIsY = rng.next() & 1 == 1
            inputs[p1] = Float(firstIsY ? SyntheticTask.OrderToken.y : SyntheticTask.OrderToken.x)
            inputs[p2] = Float(secondIsY ? SyntheticTask.OrderToken.y : SyntheticTask.OrderToken.x)
            let target = Float((firstIsY ? 2 : 0) + (secondIsY ? 1 : 0))
            return SyntheticSample(inputs: inputs, target: target, positions: (p1, p2))
        }
    }

    /// The inputs and targets of the given sequences, as the model takes them:
    /// inputs `[B, N, 2]` (adding) or `[B, N]` token ids (order); targets `[B, 1]` (adding) or `[B]` class ids (order).
    public func batch(_ indices: [Int]) throws -> (inputs: Tensor, targets: Tensor) {
        guard !indices.isEmpty else { throw SparseFactorError.invalidArgument("a batch needs at least one sequence, got none") }
        if let bad = indices.first(where: { $0 < 0 || $0 >= count }) {
            throw SparseFactorError.invalidArgument("sequence index \(bad) is outside the dataset of \(count) sequences")
        }
        let perSample = length * task.featuresPerPosition
        var inputs = [Float](repeating: 0, count: indices.count * perSample)
        var targets = [Float](repeating: 0, count: indices.count)
        for (row, index) in indices.enumerated() {
            let s = sample(index)
            inputs.replaceSubrange((row * perSample)..<((row + 1) * perSample), with: s.inputs)
            targets[row] = s.target
        }
        let inputShape = task == .adding ? [indices.count, length, 2] : [indices.count, length]
        let targetShape = task == .adding ? [indices.count, 1] : [indices.count]
        return (try Tensor(shape: inputShape, values: inputs), try Tensor(shape: targetShape, values: targets))
    }

    /// Two distinct positions in `0..<n`, uniform over pairs, returned sorted.
    static func twoDistinctPositions(_ n: Int, _ rng: inout SeededGenerator) -> (Int, Int) {
        let a = uniformInt(below: n, &rng)
        var b = uniformInt(below: n - 1, &rng)
        if b >= a { b += 1 }
        return (min(a, b), max(a, b))
    }
}

/// A uniform integer in `0..<bound` (bound ≥ 1) by Lemire's multiply-and-reject method, written
/// out so the stream does not depend on the standard library's version.
func uniformInt(below bound: Int, _ rng: inout SeededGenerator) -> Int {
    let n = UInt64(bound)
    var product = rng.next().multipliedFullWidth(by: n)
    if product.low < n {
        let threshold = (0 &- n) % n
        while product.low < threshold { product = rng.next().multipliedFullWidth(by: n) }
    }
    return Int(product.high)
}

/// A permutation of `0..<count` by Fisher–Yates from the last index down with ``uniformInt(below:_:)``:
/// written out, so an order (a training epoch's shuffle, a data set's split) never depends on the
/// standard library's `shuffle`.
func seededPermutation(_ count: Int, _ rng: inout SeededGenerator) -> [Int] {
    var order = Array(0..<max(count, 0))
    if order.count > 1 {
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, uniformInt(below: i + 1, &rng)) }
    }
    return order
}

/// A well-mixed 64-bit seed from a seed and a stream label (SplitMix64's finalizer on both).
func mixSeed(_ seed: UInt64, _ label: UInt64) -> UInt64 {
    var first = SeededGenerator(seed: seed)
    var second = SeededGenerator(seed: first.next() ^ label)
    return second.next()
}
