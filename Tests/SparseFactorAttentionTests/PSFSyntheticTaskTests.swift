@testable import SparseFactorAttention
import SparseFactorCore
import SparseFactorNN
import SparseFactorTestSupport
import Testing

/// The synthetic tasks follow the paper's definitions, checked sequence by sequence.
@Suite struct PSFSyntheticTaskTests {
    @Test func addingSequencesHaveTwoDistinctMarksAndTheirTarget() throws {
        let data = try SyntheticDataset(task: .adding, length: 37, count: 200, seed: 5)
        for i in 0..<data.count {
            let s = data.sample(i)
            #expect(s.inputs.count == 2 * 37)
            let values = stride(from: 0, to: s.inputs.count, by: 2).map { s.inputs[$0] }
            let marks = stride(from: 1, to: s.inputs.count, by: 2).map { s.inputs[$0] }
            #expect(values.allSatisfy { $0 >= -1 && $0 < 1 }, "x must be in [-1, 1)")
            #expect(marks.allSatisfy { $0 == 0 || $0 == 1 })
            let marked = marks.indices.filter { marks[$0] == 1 }
            #expect(marked.count == 2, "sequence \(i) has \(marked.count) marks")
            #expect(marked == [s.positions.0, s.positions.1])
            let want = 0.5 + (values[marked[0]] + values[marked[1]]) / 4
            #expect(s.target == want)
            #expect(s.target >= 0 && s.target <= 1)
        }
    }

    @Test func orderSequencesHaveFillersTwoSymbolsAndTheOrderedPairClass() throws {
        let data = try SyntheticDataset(task: .order, length: 20, count: 400, seed: 9)
        var classCounts = [Int](repeating: 0, count: 4)
        for i in 0..<data.count {
            let s = data.sample(i)
            #expect(s.inputs.count == 20)
            let special = s.inputs.indices.filter { s.inputs[$0] >= 4 }
            #expect(special == [s.positions.0, s.positions.1], "sequence \(i): X/Y at \(special)")
            #expect(s.inputs.allSatisfy { $0 >= 0 && $0 <= 5 && $0 == $0.rounded() })
            // XX = 0, XY = 1, YX = 2, YY = 3 with X = 4, Y = 5.
            let first = s.inputs[special[0]] == 5 ? 1 : 0
            let second = s.inputs[special[1]] == 5 ? 1 : 0
            #expect(s.target == Float(2 * first + second))
            classCounts[Int(s.target)] += 1
        }
        // 400 draws of 4 equally likely classes: each count is 100 ± 8.7 (1 sd); ±40 is > 4.5 sd.
        #expect(classCounts.allSatisfy { abs($0 - 100) < 40 }, "class counts \(classCounts)")
        // Fillers a, b, c, d all occur.
        let fillers = Set((0..<50).flatMap { data.sample($0).inputs.filter { $0 < 4 } })
        #expect(fillers == [0, 1, 2, 3])
    }

    @Test func lengthTwoMarksBothPositions() throws {
        for task in SyntheticTask.allCases {
            let data = try SyntheticDataset(task: task, length: 2, count: 20, seed: 1)
            for i in 0..<20 { #expect(data.sample(i).positions == (0, 1)) }
        }
    }

    @Test func markedPositionsCoverTheWholeSequence() throws {
        // Uniform pairs: over 600 sequences of length 8 every position is marked (each is
        // marked with probability 1/4 per sequence).
        let data = try SyntheticDataset(task: .adding, length: 8, count: 600, seed: 3)
        var seen = Set<Int>()
        for i in 0..<data.count { let p = data.sample(i).positions; seen.insert(p.0); seen.insert(p.1) }
        #expect(seen == Set(0..<8))
    }

    @Test func generationIsDeterministicAndSplitsDiffer() throws {
        let a = try SyntheticDataset.splits(task: .order, length: 16, trainSize: 30, validationSize: 30, testSize: 30, seed: 11)
        let b = try SyntheticDataset.splits(task: .order, length: 16, trainSize: 30, validationSize: 30, testSize: 30, seed: 11)
        let c = try SyntheticDataset.splits(task: .order, length: 16, trainSize: 30, validationSize: 30, testSize: 30, seed: 12)
        for i in 0..<30 {
            #expect(a.train.sample(i) == b.train.sample(i))
            #expect(a.test.sample(i) == b.test.sample(i))
        }
        let trainInputs = (0..<30).map { a.train.sample($0).inputs }
        #expect(trainInputs != (0..<30).map { a.validation.sample($0).inputs })
        #expect(trainInputs != (0..<30).map { a.test.sample($0).inputs })
        #expect(trainInputs != (0..<30).map { c.train.sample($0).inputs })
        // A dataset's sequences do not depend on its size (sample i has its own stream).
        let bigger = try SyntheticDataset(task: .order, length: 16, count: 300, seed: a.train.seed)
        #expect(bigger.sample(7) == a.train.sample(7))
    }

    @Test func batchesStackSamplesInModelLayout() throws {
        let adding = try SyntheticDataset(task: .adding, length: 5, count: 10, seed: 2)
        let (x, y) = try adding.batch([3, 7])
        #expect(x.shape == [2, 5, 2])
        #expect(y.shape == [2, 1])
        #expect(Array(x.values[10..<20]) == adding.sample(7).inputs)
        #expect(y.values == [adding.sample(3).target, adding.sample(7).target])
        let order = try SyntheticDataset(task: .order, length: 5, count: 10, seed: 2)
        let (xo, yo) = try order.batch([0, 9, 4])
        #expect(xo.shape == [3, 5])
        #expect(yo.shape == [3])
        #expect(Array(xo.values[5..<10]) == order.sample(9).inputs)
    }

    @Test func badSizesAndIndicesAreRefused() throws {
        expectError("length 1", matches: \.isInvalidArgument) { try SyntheticDataset(task: .adding, length: 1, count: 5, seed: 1) }
        expectError("negative count", matches: \.isInvalidArgument) { try SyntheticDataset(task: .order, length: 4, count: -1, seed: 1) }
        let data = try SyntheticDataset(task: .order, length: 4, count: 5, seed: 1)
        expectError("index past the end", matches: \.isInvalidArgument) { try data.batch([0, 5]) }
        expectError("empty batch", matches: \.isInvalidArgument) { try data.batch([]) }
    }

    @Test func boundedDrawsAreUniformAndInRange() {
        var rng = SeededGenerator(seed: 4)
        var counts = [Int](repeating: 0, count: 3)
        for _ in 0..<3000 { counts[uniformInt(below: 3, &rng)] += 1 }
        // 1000 ± 25.8 (1 sd) each; ±150 is > 5 sd.
        #expect(counts.allSatisfy { abs($0 - 1000) < 150 }, "counts \(counts)")
        for _ in 0..<100 { #expect(uniformInt(below: 1, &rng) == 0) }
    }
}
