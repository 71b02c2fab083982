/// The processes that share one computation, each with a rank in `0..<size`: what a fit or a
/// training run needs to split its work and put the pieces back together in a fixed order.
///
/// SparseFactor's libraries never talk to a network themselves: they cut their work into
/// pieces whose number depends only on the problem (never on `size`), give each rank a
/// contiguous run of pieces (``pieces(_:rank:)``), and gather every piece's result on every rank
/// with ``allGather(_:counts:)`` before adding them in piece order. So a run on 1, 2 or 3
/// processes gives bit-identical results. ``SingleProcess`` is the group of one;
/// `SparseFactorDistributed` provides the MPI group (`MPIProcessGroup`).
///
/// ```swift
/// let group: any ProcessGroup = SingleProcess()
/// let mine = group.pieces(8)                       // 0..<8 for a single process
/// let all = try group.allGather([Double](repeating: 1, count: mine.count), counts: group.counts(8, each: 1))
/// print(all.count)                                 // 8
/// ```
public protocol ProcessGroup: AnyObject {
    /// This process's rank, `0..<size`.
    var rank: Int { get }
    /// The number of processes.
    var size: Int { get }
    /// Every rank's `local` concatenated in rank order; `counts[r]` is rank r's element count
    /// (so `local.count == counts[rank]`). Every rank must call it with the same `counts`.
    func allGather<Scalar: BitwiseCopyable>(_ local: [Scalar], counts: [Int]) throws -> [Scalar]
}

extension ProcessGroup {
    /// Rank `r`'s contiguous share of `count` pieces: `r·count/size ..< (r+1)·count/size`
    /// (shares differ by at most one piece; a rank beyond the pieces gets none).
    public func pieces(_ count: Int, rank r: Int? = nil) -> Range<Int> {
        let r = r ?? rank
        return (r * count / size)..<((r + 1) * count / size)
    }

    /// Every rank's element count when each of `count` pieces holds `each` elements (for ``allGather(_:counts:)``).
    public func counts(_ count: Int, each: Int) -> [Int] {
        (0..<size).map { pieces(count, rank: $0).count * each }
    }

    /// Whether this rank writes the run's outputs (files, progress, JSON): rank 0.
    public var isLeader: Bool { rank == 0 }
}

/// The process group of one process: ``allGather(_:counts:)`` hands back its input.
public final class SingleProcess: ProcessGroup {
    public let rank = 0
    public let size = 1

    /// The group of this process alone.
    public init() {}

    public func allGather<Scalar: BitwiseCopyable>(_ local: [Scalar], counts: [Int]) throws -> [Scalar] {
        guard counts == [local.count] else {
            throw SparseFactorError.shapeMismatch(expected: "counts [\(local.count)] for one process", got: "\(counts)")
        }
        return local
    }
}

extension ProcessGroup {
    /// The sum of `count` pieces' vectors of `length` numbers, added in a fixed binary tree over the
    /// pieces (node `lo..<hi` = node `lo..<mid` + node `mid..<hi`, `mid = lo + (hi − lo) / 2`), so the
    /// result is bit-identical for any group size. Every rank calls it; `piece(p)` is asked for this
    /// rank's pieces only (``pieces(_:rank:)``, in increasing order). Each rank adds up the largest
    /// subtrees that lie inside its share and sends only those (at most 2·log2(count) vectors, one when
    /// the share is a subtree), so a rank receives about `size` vectors instead of `count`.
    ///
    /// ```swift
    /// let group: any ProcessGroup = SingleProcess()
    /// let sum = try group.treeSum(pieces: 12, length: 3) { p in [Float](repeating: Float(p), count: 3) }
    /// print(sum)   // [66.0, 66.0, 66.0]
    /// ```
    public func treeSum<Scalar: BinaryFloatingPoint & BitwiseCopyable>(
        pieces count: Int, length: Int, piece: (Int) throws -> [Scalar]
    ) throws -> [Scalar] {
        guard count >= 1, length >= 0 else {
            throw SparseFactorError.invalidArgument("a tree sum needs at least one piece and a length ≥ 0, got \(count) pieces of \(length)")
        }
        var leaves: [Range<Int>: [Scalar]] = [:]   // this rank's pieces, as one-piece nodes
        for p in pieces(count) {
            let values = try piece(p)
            guard values.count == length else {
                throw SparseFactorError.shapeMismatch(expected: "piece \(p) of \(length) numbers", got: "\(values.count)")
            }
            leaves[p..<(p + 1)] = values
        }
        let root = 0..<count
        let covers = (0..<size).map { PieceTree.cover(pieces(count, rank: $0), node: root) }
        // Every rank's subtree sums are gathered here, beside this rank's pieces.
        try MemoryBudget.check("the gathered sums of \(count) pieces of \(length) numbers",
                               counts: [covers.reduce(0) { $0 + $1.count } + pieces(count).count, length],
                               scalarBytes: MemoryLayout<Scalar>.stride)
        var local: [Scalar] = []
        local.reserveCapacity(covers[rank].count * length)
        for node in covers[rank] { local += PieceTree.sum(node, available: leaves) }
        let all = try allGather(local, counts: covers.map { $0.count * length })
        var available: [Range<Int>: [Scalar]] = [:]
        var at = 0
        for cover in covers {
            for node in cover {
                available[node] = Array(all[at..<(at + length)])
                at += length
            }
        }
        return PieceTree.sum(root, available: available)
    }
}

/// The fixed binary tree of ``ProcessGroup/treeSum(pieces:length:piece:)``.
enum PieceTree {
    static func split(_ node: Range<Int>) -> (Range<Int>, Range<Int>) {
        let mid = node.lowerBound + node.count / 2
        return (node.lowerBound..<mid, mid..<node.upperBound)
    }

    /// The largest nodes of the tree under `node` that lie inside `range`, in increasing order.
    static func cover(_ range: Range<Int>, node: Range<Int>) -> [Range<Int>] {
        if range.isEmpty || !range.overlaps(node) { return [] }
        if range.lowerBound <= node.lowerBound && node.upperBound <= range.upperBound { return [node] }
        let (left, right) = split(node)
        return cover(range, node: left) + cover(range, node: right)
    }

    /// A node's sum: given, or its children's sums added element by element.
    static func sum<Scalar: BinaryFloatingPoint>(_ node: Range<Int>, available: [Range<Int>: [Scalar]]) -> [Scalar] {
        if let given = available[node] { return given }
        let (left, right) = split(node)
        var total = sum(left, available: available)
        let other = sum(right, available: available)
        for i in total.indices { total[i] += other[i] }
        return total
    }
}
