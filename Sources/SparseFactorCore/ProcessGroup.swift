/// The processes that share one computation, each with a rank in `0..<size`: what a fit or a
/// training run needs to split its work and put the pieces back together in a fixed order.
///
/// SparseFactor's libraries never talk to a network themselves: they cut their work into
/// pieces whose number depends only on the problem (never on `size`), give each rank a
/// contiguous run of pieces (``pieces(_:)``), and gather every piece's result on every rank
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
