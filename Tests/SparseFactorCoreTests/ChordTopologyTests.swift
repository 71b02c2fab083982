@testable import SparseFactorCore
import SparseFactorTestSupport
import Testing

/// Topology counts and columns on cases checked by hand (expected values are written out,
/// never computed by the code under test).
@Suite struct ChordTopologyTests {
    /// Every row's columns, read through the public accessor.
    func rows(_ t: ChordTopology) -> [[Int]] {
        (0..<t.size).map { i in (0..<t.linksPerRow).map { t.column(row: i, link: $0) } }
    }

    @Test func sizeTwo() throws {
        let t = try ChordTopology(size: 2)      // ⌈log2 2⌉ = 1 offset: 1
        #expect(t.offsets == [0, 1])
        #expect(t.linksPerRow == 2)
        #expect(t.mergedLinks == 0)
        #expect(t.nonzerosPerFactor == 4)
        #expect(t.defaultFactorCount == 1)
        #expect(rows(t) == [[0, 1], [1, 0]])
    }

    @Test func sizeThree() throws {
        let t = try ChordTopology(size: 3)      // ⌈log2 3⌉ = 2 offsets: 1, 2
        #expect(t.offsets == [0, 1, 2])
        #expect(t.linksPerRow == 3)
        #expect(t.defaultFactorCount == 2)
        #expect(t.nonzeros(factors: 2) == 18)
        #expect(rows(t) == [[0, 1, 2], [1, 2, 0], [2, 0, 1]])
    }

    @Test func sizeFourSymmetricMergesMinusTwo() throws {
        // Requested 0, +1, +2, −1, −2; −2 ≡ +2 (mod 4) is merged, −1 ≡ 3 stays.
        let t = try ChordTopology(size: 4, symmetric: true)
        #expect(t.offsets == [0, 1, 2, 3])
        #expect(t.mergedLinks == 1)
        #expect(t.linksPerRow == 4)
        #expect(rows(t) == [[0, 1, 2, 3], [1, 2, 3, 0], [2, 3, 0, 1], [3, 0, 1, 2]])
    }

    @Test func sizeEight() throws {
        let t = try ChordTopology(size: 8)
        #expect(t.offsets == [0, 1, 2, 4])
        #expect(t.linksPerRow == 4)
        #expect(t.mergedLinks == 0)
        #expect(t.nonzerosPerFactor == 32)
        #expect(t.defaultFactorCount == 3)
        #expect(t.nonzeros(factors: 3) == 96)
        #expect(rows(t)[5] == [5, 6, 7, 1])
        #expect(rows(t)[7] == [7, 0, 1, 3])
        // Symmetric: 0, 1, 2, 4, −1 ≡ 7, −2 ≡ 6, −4 ≡ 4 (merged).
        let s = try ChordTopology(size: 8, symmetric: true)
        #expect(s.offsets == [0, 1, 2, 4, 7, 6])
        #expect(s.mergedLinks == 1)
        #expect(rows(s)[3] == [3, 4, 5, 7, 2, 1])
    }

    @Test func sizeThousandAndPowersOfTwo() throws {
        let t = try ChordTopology(size: 1000)   // 2^9 = 512 < 1000 ≤ 1024 = 2^10: 10 offsets
        #expect(t.offsets == [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512])
        #expect(t.linksPerRow == 11)
        #expect(t.nonzerosPerFactor == 11_000)
        #expect(t.defaultFactorCount == 10)
        #expect(t.nonzeros(factors: 10) == 110_000)
        #expect(rows(t)[999] == [999, 0, 1, 3, 7, 15, 31, 63, 127, 255, 511])
        #expect(try ChordTopology(size: 1024).linksPerRow == 11)
        #expect(try ChordTopology(size: 1024).defaultFactorCount == 10)
        #expect(try ChordTopology(size: 1025).linksPerRow == 12)
        #expect(try ChordTopology(size: 1025).defaultFactorCount == 11)
    }

    @Test func otherBases() throws {
        // Base 3: 3^2 = 9 < 10 ≤ 27 = 3^3, so N = 10 gets 1, 3, 9; N = 9 gets 1, 3.
        let t10 = try ChordTopology(size: 10, base: 3)
        #expect(t10.offsets == [0, 1, 3, 9])
        #expect(rows(t10)[8] == [8, 9, 1, 7])
        #expect(try ChordTopology(size: 9, base: 3).offsets == [0, 1, 3])
        // Symmetric base 3 on N = 9: −1 ≡ 8, −3 ≡ 6, nothing merged.
        let s9 = try ChordTopology(size: 9, base: 3, symmetric: true)
        #expect(s9.offsets == [0, 1, 3, 8, 6])
        #expect(s9.mergedLinks == 0)
        // N = 2, base 3 symmetric: −1 ≡ +1 merged.
        let s2 = try ChordTopology(size: 2, base: 3, symmetric: true)
        #expect(s2.offsets == [0, 1])
        #expect(s2.mergedLinks == 1)
        // Base 10 on N = 1000: 1, 10, 100.
        #expect(try ChordTopology(size: 1000, base: 10).offsets == [0, 1, 10, 100])
        // The factor count stays ⌈log2 N⌉ whatever the base.
        #expect(t10.defaultFactorCount == 4)
    }

    @Test func withoutSelfLink() throws {
        let t = try ChordTopology(size: 8, selfLink: false)
        #expect(t.offsets == [1, 2, 4])
        #expect(t.linksPerRow == 3)
        #expect(t.mergedLinks == 0)
        #expect(t.nonzerosPerFactor == 24)
        #expect(rows(t)[0] == [1, 2, 4])
        #expect(rows(t)[6] == [7, 0, 2])
    }

    @Test func customOffsetsMergeDuplicatesAndMultiplesOfN() throws {
        // mod 10: 0, 3, 3, 3, 0, 5, 0 → kept 0, 3, 5 in first-seen order; 4 merged.
        let t = try ChordTopology(size: 10, offsets: [0, 3, 13, -7, 10, 5, -20])
        #expect(t.offsets == [0, 3, 5])
        #expect(t.mergedLinks == 4)
        #expect(t.linksPerRow == 3)
        #expect(t.nonzerosPerFactor == 30)
        #expect(rows(t)[9] == [9, 2, 4])
        // Order is the user's: 5 before 3.
        #expect(try ChordTopology(size: 10, offsets: [5, 3, 0]).offsets == [5, 3, 0])
        // Without the self-link, 0 and 10 are dropped (counted as merged); −17 ≡ 3 duplicates 3.
        let u = try ChordTopology(size: 10, offsets: [0, 10, 3, -17], selfLink: false)
        #expect(u.offsets == [3])
        #expect(u.mergedLinks == 3)
        #expect(rows(u)[8] == [1])
    }

    @Test func permutationKeepsTheRingStructure() throws {
        let n = 50
        let t = try ChordTopology(size: n, permutationSeed: 7)
        #expect(t.permutationSeed == 7)
        #expect(t.offsets == [0, 1, 2, 4, 8, 16, 32])
        let k = t.linksPerRow
        let r = rows(t)
        var inDegree = [Int](repeating: 0, count: n)
        for i in 0..<n {
            #expect(r[i][0] == i, "row \(i) lost its self-link")
            #expect(Set(r[i]).count == k, "row \(i) has repeated columns: \(r[i])")
            for j in r[i] { inDegree[j] += 1 }
        }
        #expect(inDegree == [Int](repeating: k, count: n))
        // A relabelled ring: following the +1 link visits every row once before coming back,
        // and the +2 (+4) link is the +1 (+2) link taken twice.
        var visited = Set<Int>()
        var row = 0
        for _ in 0..<n { visited.insert(row); row = r[row][1] }
        #expect(row == 0)
        #expect(visited.count == n)
        for i in 0..<n {
            #expect(r[i][2] == r[r[i][1]][1])
            #expect(r[i][3] == r[r[i][2]][2])
        }
        // Reproducible, and actually shuffled.
        #expect(try ChordTopology(size: n, permutationSeed: 7) == t)
        let other = try ChordTopology(size: n, permutationSeed: 8)
        #expect(other != t)
        #expect(rows(other) != r)
        #expect(rows(try ChordTopology(size: n)) != r)
    }

    /// The kernels' transposed index lists, for each column, exactly the links landing on it, increasing.
    @Test(arguments: [TopologyCase("N=8") { try ChordTopology(size: 8) },
                      TopologyCase("N=13 symmetric") { try ChordTopology(size: 13, symmetric: true) },
                      TopologyCase("N=50 permuted") { try ChordTopology(size: 50, permutationSeed: 3) },
                      TopologyCase("N=10 offsets 3,7,3") { try ChordTopology(size: 10, offsets: [3, 7, 3]) }])
    func transposedIndexMatchesColumns(_ c: TopologyCase) {
        let t = c.topology
        let n = t.size, k = t.linksPerRow
        #expect(t.transposedStart.count == n + 1)
        #expect(t.transposedStart.first == 0)
        #expect(t.transposedStart.last == Int64(n * k))
        for j in 0..<n {
            var expected: [Int64] = []
            for i in 0..<n { for link in 0..<k where t.column(row: i, link: link) == j { expected.append(Int64(i * k + link)) } }
            let listed = Array(t.transposedLinks[Int(t.transposedStart[j])..<Int(t.transposedStart[j + 1])])
            #expect(listed == expected, "column \(j)")
        }
    }

    @Test func ceilLogIsExact() {
        #expect(ChordTopology.ceilLog(1, base: 2) == 0)
        #expect(ChordTopology.ceilLog(2, base: 2) == 1)
        #expect(ChordTopology.ceilLog(3, base: 2) == 2)
        #expect(ChordTopology.ceilLog(1024, base: 2) == 10)
        #expect(ChordTopology.ceilLog(1025, base: 2) == 11)
        #expect(ChordTopology.ceilLog(9, base: 3) == 2)
        #expect(ChordTopology.ceilLog(10, base: 3) == 3)
        #expect(ChordTopology.ceilLog(Int.max, base: 2) == 63)
    }

    @Test func refusesBadArguments() {
        for n in [1, 0, -5] {
            expectError("N = \(n)", matches: \.isInvalidArgument) { try ChordTopology(size: n) }
            expectError("N = \(n) with offsets", matches: \.isInvalidArgument) { try ChordTopology(size: n, offsets: [1]) }
        }
        for base in [1, 0, -2] {
            expectError("base \(base)", matches: \.isInvalidArgument) { try ChordTopology(size: 8, base: base) }
        }
        expectError("no offsets", matches: \.isInvalidArgument) { try ChordTopology(size: 8, offsets: []) }
        expectError("only multiples of N without self-link", matches: \.isInvalidArgument) {
            try ChordTopology(size: 10, offsets: [0, 10, -20], selfLink: false)
        }
    }
}
