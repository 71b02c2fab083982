import SparseFactorCore
import SparseFactorTestSupport
import Testing

/// The process group's shares and its fixed-tree sum, with ranks as threads (``ThreadRanks``).
@Suite struct ProcessGroupTests {
    /// The tree sum written out independently: node lo..<hi is node lo..<mid + node mid..<hi.
    static func oracle(_ vectors: [[Float]], _ lo: Int, _ hi: Int) -> [Float] {
        if hi - lo == 1 { return vectors[lo] }
        let mid = lo + (hi - lo) / 2
        return zip(oracle(vectors, lo, mid), oracle(vectors, mid, hi)).map { $0 + $1 }
    }

    /// Pieces whose values make float addition order visible (large and small magnitudes, both signs).
    static func piece(_ p: Int, length: Int) -> [Float] {
        var rng = SeededGenerator(seed: UInt64(100 + p))
        return (0..<length).map { _ in Float(rng.nextUnit() - 0.5) * (rng.nextUnit() < 0.3 ? 1e7 : 1e-3) }
    }

    @Test(arguments: [(1, 64), (5, 64), (12, 64), (13, 64), (7, 3)])   // (pieces, length): 3 numbers leave some ranks' slices empty
    func treeSumIsTheSameForAnyGroupSize(pieces count: Int, length: Int) throws {
        let vectors = (0..<count).map { Self.piece($0, length: length) }
        let want = Self.oracle(vectors, 0, count)
        let sequential = vectors.dropFirst().reduce(vectors[0]) { zip($0, $1).map { $0 + $1 } }
        for size in [1, 2, 3, 5, 16] {
            let results = try ThreadRanks.run(size: size) { group in
                try group.treeSum(pieces: count, length: length) { p in
                    precondition(group.pieces(count).contains(p), "asked for another rank's piece")
                    return Self.piece(p, length: length)
                }
            }
            for (rank, got) in results.enumerated() {
                #expect(got.map(\.bitPattern) == want.map(\.bitPattern), "\(count) pieces, rank \(rank) of \(size)")
            }
        }
        if count >= 5 && length >= 64 { #expect(sequential.map(\.bitPattern) != want.map(\.bitPattern), "the data must tell the orders apart") }
    }

    @Test func sharesAreContiguousAndCoverEveryPieceOnce() throws {
        for size in 1...7 {
            let shares = try ThreadRanks.run(size: size) { group in group.pieces(12) }
            #expect(shares.flatMap { Array($0) } == Array(0..<12), "\(size) ranks")
            #expect(shares.map(\.count).max()! - shares.map(\.count).min()! <= 1)
        }
    }

    @Test func allToAllDeliversEachRankItsPart() throws {
        // Rank r sends [100r + s, …] (s + 1 copies) to rank s: rank s receives, in rank order, r's copies.
        let received = try ThreadRanks.run(size: 3) { group in
            let r = group.rank
            let send = (0..<3).flatMap { s in [Double](repeating: Double(100 * r + s), count: s + 1) }
            return try group.allToAll(send, sendCounts: [1, 2, 3], receiveCounts: [Int](repeating: r + 1, count: 3))
        }
        #expect(received[0] == [0, 100, 200])
        #expect(received[2] == [2, 2, 2, 102, 102, 102, 202, 202, 202])
    }

    @Test func aTreeSumRefusesBadPieces() throws {
        let group = SingleProcess()
        #expect(throws: SparseFactorError.self) { _ = try group.treeSum(pieces: 0, length: 3) { _ in [Float]() } }
        #expect(throws: SparseFactorError.self) { _ = try group.treeSum(pieces: 2, length: 3) { _ in [Float](repeating: 1, count: 2) } }
    }
}
