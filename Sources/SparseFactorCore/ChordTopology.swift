/// The sparsity pattern shared by every factor of a chain: the Chord pattern and its variants.
///
/// Row `i` links to columns `(i + o) mod N` for each offset `o`. By default the offsets are
/// `0` (the self-link) and `b^k` for `k = 0…L−1` with `L = ⌈log_b N⌉`, `b = 2`.
/// Offsets that land on the same column (for example `+2` and `−2` when `N = 4`, or any
/// offset that is a multiple of `N`) are merged: the first one in generation order is kept
/// (self, then `+b^0, +b^1, …`, then `−b^0, −b^1, …`, or the user's order), so every row has
/// the same number `K` of distinct links.
///
/// With a permutation seed the ring is relabelled by a seeded random permutation σ: row `i`
/// sits at ring position `σ⁻¹(i)` and links to `σ((σ⁻¹(i) + o) mod N)`, so the pattern keeps
/// its self-links and its in-degree `K` but its targets are randomly ordered.
///
/// ```swift
/// let t = try ChordTopology(size: 1000)          // K = 11 links per row (self + 10 offsets)
/// print(t.linksPerRow, t.nonzerosPerFactor)      // 11 11000
/// let s = try ChordTopology(size: 4, symmetric: true)
/// print(s.offsets, s.mergedLinks)                // [0, 1, 2, 3] 1   (−2 ≡ +2 was merged)
/// ```
public struct ChordTopology: Equatable, Sendable {
    /// N, the number of rows and columns of each factor.
    public let size: Int
    /// The distinct offsets (mod N) in link order; link `k` of every row uses `offsets[k]`.
    public let offsets: [Int]
    /// The number of requested links that were merged because they landed on a column already linked.
    public let mergedLinks: Int
    /// The seed of the random relabelling, if any.
    public let permutationSeed: UInt64?

    /// Column of link k of row i at `columnIndex[i * K + k]`.
    package let columnIndex: [Int64]
    /// Transposed index: links landing on column j are `transposedLinks[transposedStart[j]..<transposedStart[j+1]]`,
    /// each a flattened link index `i * K + k`, increasing.
    package let transposedStart: [Int64]
    package let transposedLinks: [Int64]

    /// K, the number of links (non-zeros) in each row.
    public var linksPerRow: Int { offsets.count }
    /// Non-zeros of one factor, `N · K`.
    public var nonzerosPerFactor: Int { size * offsets.count }
    /// Non-zeros of a chain of `factors` factors.
    public func nonzeros(factors: Int) -> Int { factors * nonzerosPerFactor }
    /// The default number of factors of a chain, `M = ⌈log2 N⌉`.
    public var defaultFactorCount: Int { ChordTopology.ceilLog(size, base: 2) }

    /// The Chord pattern and its variants.
    /// - Parameters:
    ///   - size: N ≥ 2.
    ///   - base: b ≥ 2; offsets are `b^k` for `k = 0…⌈log_b N⌉−1`.
    ///   - symmetric: also link to `i − b^k`.
    ///   - selfLink: keep the diagonal link `i → i`.
    ///   - permutationSeed: relabel the ring by a seeded random permutation.
    public init(size: Int, base: Int = 2, symmetric: Bool = false, selfLink: Bool = true,
                permutationSeed: UInt64? = nil) throws {
        guard size >= 2 else { throw SparseFactorError.invalidArgument("N must be at least 2, got \(size)") }
        guard base >= 2 else { throw SparseFactorError.invalidArgument("the base must be at least 2, got \(base)") }
        var powers: [Int] = []
        var p = 1
        for _ in 0..<ChordTopology.ceilLog(size, base: base) { powers.append(p); p = p.multipliedReportingOverflow(by: base).partialValue }
        var requested = selfLink ? [0] : []
        requested += powers
        if symmetric { requested += powers.map { -$0 } }
        try self.init(size: size, offsets: requested, selfLink: selfLink, permutationSeed: permutationSeed)
    }

    /// A pattern from user-given offsets (for example Paramixer's dilated pattern).
    /// Offsets are taken mod N (negative ones too); duplicates are merged, first kept.
    /// With `selfLink` false, offsets ≡ 0 are dropped (counted as merged).
    public init(size: Int, offsets requested: [Int], selfLink: Bool = true, permutationSeed: UInt64? = nil) throws {
        guard size >= 2 else { throw SparseFactorError.invalidArgument("N must be at least 2, got \(size)") }
        var seen = Set<Int>()
        var distinct: [Int] = []
        for o in requested {
            let remainder = o % size
            let r = remainder < 0 ? remainder + size : remainder   // no overflow, even for N = Int.max
            if r == 0 && !selfLink { continue }
            if seen.insert(r).inserted { distinct.append(r) }
        }
        guard !distinct.isEmpty else {
            throw SparseFactorError.invalidArgument("the pattern has no links left: give at least one offset that is not a multiple of N (\(size))")
        }
        // The index arrays below: columns and transposed links (N·K each), in-degrees, σ, σ⁻¹, fill (N each).
        try MemoryBudget.check("a Chord topology of N = \(size) with K = \(distinct.count) links per row",
                               counts: [size, 2 * distinct.count + 4], scalarBytes: MemoryLayout<Int64>.size)
        self.size = size
        self.offsets = distinct
        self.mergedLinks = requested.count - distinct.count
        self.permutationSeed = permutationSeed

        // σ: ring position -> row label, and its inverse.
        var sigma = Array(0..<size)
        if let seed = permutationSeed {
            var rng = SeededGenerator(seed: seed)
            sigma.shuffle(using: &rng)
        }
        var position = [Int](repeating: 0, count: size)
        for (pos, label) in sigma.enumerated() { position[label] = pos }

        let k = distinct.count
        var columns = [Int64](repeating: 0, count: size * k)
        var inDegree = [Int64](repeating: 0, count: size + 1)
        for i in 0..<size {
            for (link, o) in distinct.enumerated() {
                let j = sigma[(position[i] + o) % size]
                columns[i * k + link] = Int64(j)
                inDegree[j + 1] += 1
            }
        }
        for j in 0..<size { inDegree[j + 1] += inDegree[j] }
        var fill = Array(inDegree[0..<size])
        var links = [Int64](repeating: 0, count: size * k)
        for l in 0..<(size * k) {          // increasing l, so each column's list is sorted
            let j = Int(columns[l])
            links[Int(fill[j])] = Int64(l)
            fill[j] += 1
        }
        self.columnIndex = columns
        self.transposedStart = inDegree
        self.transposedLinks = links
    }

    /// The column of link `link` of row `row`.
    public func column(row: Int, link: Int) -> Int { Int(columnIndex[row * linksPerRow + link]) }

    /// K of the default Chord pattern of size N (the self-link and the ⌈log2 N⌉ powers of 2), without building it.
    package static func linkCount(size: Int) throws -> Int {
        guard size >= 2 else { throw SparseFactorError.invalidArgument("N must be at least 2, got \(size)") }
        return 1 + ceilLog(size, base: 2)
    }

    /// The smallest L with base^L ≥ n (L = ⌈log_base n⌉), computed exactly in integers.
    public static func ceilLog(_ n: Int, base: Int) -> Int {
        var l = 0
        var p = 1
        while p < n {
            let (next, overflow) = p.multipliedReportingOverflow(by: base)
            l += 1
            if overflow { break }
            p = next
        }
        return l
    }
}
