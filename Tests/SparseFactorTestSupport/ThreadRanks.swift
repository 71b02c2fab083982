import Foundation
import SparseFactorCore

/// R ranks of a ``ProcessGroup`` as R threads of this process, for tests of the split computations
/// without an MPI launcher: ``run(size:_:)`` calls `body` once per rank, each on its own thread,
/// and ``ThreadRank/allGather(_:counts:)`` exchanges bytes through shared memory with a barrier.
/// An independent implementation of the group's contract (rank-ordered concatenation), not MPI's.
package final class ThreadRanks: @unchecked Sendable {
    package let size: Int
    private let condition = NSCondition()
    private var deposits: [[UInt8]]
    private var arrived = 0, departed = 0, generation = 0

    private init(size: Int) {
        self.size = size
        deposits = Array(repeating: [], count: size)
    }

    /// `body(rank)` on `size` threads at once; the results in rank order (the first error is rethrown).
    package static func run<T: Sendable>(size: Int, _ body: @escaping @Sendable (ThreadRank) throws -> T) throws -> [T] {
        let shared = ThreadRanks(size: size)
        let results = ResultSlots<T>(count: size)
        let group = DispatchGroup()
        for rank in 0..<size {
            let thread = Thread {
                results.set(rank, Result { try body(ThreadRank(rank: rank, shared: shared)) })
                group.leave()
            }
            thread.stackSize = 8 << 20
            group.enter()
            thread.start()
        }
        group.wait()
        return try results.values.map { try $0!.get() }
    }

    /// Every rank's bytes in rank order, once all `size` ranks have deposited theirs.
    fileprivate func exchange(_ bytes: [UInt8], rank: Int) -> [UInt8] {
        condition.lock(); defer { condition.unlock() }
        while departed > 0 { condition.wait() }          // the previous exchange is still being read
        deposits[rank] = bytes
        arrived += 1
        let mine = generation
        if arrived == size { generation += 1; condition.broadcast() }
        while generation == mine { condition.wait() }
        let all = deposits.flatMap { $0 }
        departed += 1
        if departed == size { arrived = 0; departed = 0; condition.broadcast() }
        return all
    }
}

/// One rank of ``ThreadRanks``.
package final class ThreadRank: ProcessGroup, @unchecked Sendable {
    package let rank: Int
    package var size: Int { shared.size }
    private let shared: ThreadRanks

    fileprivate init(rank: Int, shared: ThreadRanks) {
        self.rank = rank
        self.shared = shared
    }

    package func allGather<Scalar: BitwiseCopyable>(_ local: [Scalar], counts: [Int]) throws -> [Scalar] {
        guard counts.count == size, counts[rank] == local.count else {
            throw SparseFactorError.shapeMismatch(expected: "\(size) counts with rank \(rank)'s = \(local.count)", got: "\(counts)")
        }
        let bytes = local.withUnsafeBytes { Array($0) }
        let all = shared.exchange(bytes, rank: rank)
        let total = counts.reduce(0, +)
        guard all.count == total * MemoryLayout<Scalar>.stride else {
            throw SparseFactorError.shapeMismatch(expected: "\(total) gathered elements", got: "\(all.count) bytes")
        }
        return [Scalar](unsafeUninitializedCapacity: total) { buffer, initialized in
            all.withUnsafeBytes { UnsafeMutableRawBufferPointer(buffer).copyMemory(from: $0) }
            initialized = total
        }
    }
}

private final class ResultSlots<T>: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var values: [Result<T, Error>?]
    init(count: Int) { values = Array(repeating: nil, count: count) }
    func set(_ index: Int, _ value: Result<T, Error>) {
        lock.lock(); values[index] = value; lock.unlock()
    }
}
