/// The processes that share one computation, each with a rank in `0..<size`: what a fit or a
/// training run needs to split its work and put the pieces back together in a fixed order.
///
/// SparseFactor's libraries never talk to a network themselves: they cut their work into
/// pieces whose number depends only on the problem (never on `size`), give each rank a
/// contiguous run of pieces (``pieces(_:rank:)``), and put the pieces' results back together in an
/// order fixed by the pieces: in piece order after ``allGather(_:counts:)``, or up a fixed binary
/// tree with ``treeSum(pieces:length:piece:)``. So a run on 1, 2 or 3 processes gives bit-identical
/// results. ``SingleProcess`` is the group of one;
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
    /// A personalized exchange: this rank's `send` holds, in rank order, `sendCounts[s]` elements for
    /// each rank s; the result holds, in rank order, the `receiveCounts[r]` elements rank r sent to this
    /// one. Every rank must call it (with counts that agree: rank r's `sendCounts[s]` is rank s's `receiveCounts[r]`).
    func allToAll<Scalar: BitwiseCopyable>(_ send: [Scalar], sendCounts: [Int], receiveCounts: [Int]) throws -> [Scalar]
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

    public func allToAll<Scalar: BitwiseCopyable>(_ send: [Scalar], sendCounts: [Int], receiveCounts: [Int]) throws -> [Scalar] {
        guard sendCounts == [send.count], receiveCounts == sendCounts else {
            throw SparseFactorError.shapeMismatch(expected: "send and receive counts [\(send.count)] for one process",
                                                  got: "\(sendCounts) and \(receiveCounts)")
        }
        return send
    }
}

extension ProcessGroup {
    /// The sum of `count` pieces' vectors of `length` numbers, added in a fixed binary tree over the
    /// pieces (node `lo..<hi` = node `lo..<mid` + node `mid..<hi`, `mid = lo + (hi − lo) / 2`), so the
    /// result is bit-identical for any group size. Every rank calls it; `piece(p)` is asked for this
    /// rank's pieces only (``pieces(_:rank:)``, in increasing order). Each rank adds up the largest
    /// subtrees that lie inside its share; then every rank takes one slice of the vector: it receives
    /// that slice of every rank's subtrees (``allToAll(_:sendCounts:receiveCounts:)``), adds them up the
    /// tree, and the slices are gathered (``allGather(_:counts:)``). A rank so receives about twice the
    /// vector's length, whatever the group's size (a reduce-scatter and an all-gather, in a fixed order).
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
        let root = 0..<count
        let covers = (0..<size).map { PieceTree.cover(pieces(count, rank: $0), node: root) }
        let slices = (0..<size).map { (($0 * length) / size)..<((($0 + 1) * length) / size) }
        // Held at once: the pieces being added up and this rank's subtree sums (⌈log2 count⌉ + 1 + its
        // cover), then what it sends and the slices it receives (another cover, Σ covers / size + 1).
        try MemoryBudget.check("the subtree sums of \(count) pieces of \(length) numbers",
                               counts: [count.bitWidth - count.leadingZeroBitCount + 3 + 2 * covers[rank].count
                                        + covers.reduce(0) { $0 + $1.count } / size, length],
                               scalarBytes: MemoryLayout<Scalar>.stride)
        // This rank's subtree sums, added as the pieces come.
        var adder = PieceTree.StreamingSum<Scalar>(count: count)
        var mine: [[Scalar]] = []
        for p in pieces(count) {
            let values = try piece(p)
            guard values.count == length else {
                throw SparseFactorError.shapeMismatch(expected: "piece \(p) of \(length) numbers", got: "\(values.count)")
            }
            adder.add(values, piece: p)
            mine += adder.take(nodes: covers[rank])
        }
        if size == 1 { return mine[0] }
        var send: [Scalar] = []
        send.reserveCapacity(mine.count * length)
        for slice in slices { for vector in mine { send += vector[slice] } }
        let received = try allToAll(send, sendCounts: slices.map { $0.count * mine.count },
                                    receiveCounts: covers.map { $0.count * slices[rank].count })
        var available: [Range<Int>: [Scalar]] = [:]
        var at = 0
        let width = slices[rank].count
        for cover in covers {
            for node in cover {
                available[node] = Array(received[at..<(at + width)])
                at += width
            }
        }
        return try allGather(PieceTree.sum(root, available: available), counts: slices.map(\.count))
    }
}

/// The fixed binary tree of ``ProcessGroup/treeSum(pieces:length:piece:)``.
enum PieceTree {
    /// Adds pieces given in increasing order up the tree as they come: a stack of finished subtrees,
    /// where two neighbours are replaced by their sum as soon as they are a node's two children. The
    /// additions are those of ``sum(_:available:)``, with at most ⌈log2 count⌉ + 1 vectors held.
    struct StreamingSum<Scalar: BinaryFloatingPoint> {
        private var stack: [(node: Range<Int>, values: [Scalar])] = []
        private let parents: [Range<Int>: (Range<Int>, Range<Int>)]   // every inner node, by its children's span

        init(count: Int) {
            var parents: [Range<Int>: (Range<Int>, Range<Int>)] = [:]
            func visit(_ node: Range<Int>) {
                guard node.count > 1 else { return }
                let (left, right) = split(node)
                parents[node] = (left, right)
                visit(left)
                visit(right)
            }
            visit(0..<count)
            self.parents = parents
        }

        /// Piece `p` (the next one after the last piece added, or the first of a rank's share).
        mutating func add(_ values: [Scalar], piece p: Int) {
            stack.append((p..<(p + 1), values))
            while stack.count >= 2 {
                let right = stack[stack.count - 1], left = stack[stack.count - 2]
                let joined = left.node.lowerBound..<right.node.upperBound
                guard let children = parents[joined], children == (left.node, right.node) else { break }
                var total = left.values
                for i in total.indices { total[i] += right.values[i] }
                stack.removeLast(2)
                stack.append((joined, total))
            }
        }

        /// The finished subtrees among `nodes`, taken off the stack (in increasing order).
        mutating func take(nodes: [Range<Int>]) -> [[Scalar]] {
            var out: [[Scalar]] = []
            while let last = stack.last, nodes.contains(last.node) {
                out.insert(last.values, at: 0)
                stack.removeLast()
            }
            return out
        }
    }

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
