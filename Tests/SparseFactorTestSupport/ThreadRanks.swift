import Foundation
import SparseFactorCore

/// R ranks of a ``ProcessGroup`` as R threads of this process, for tests of the split computations
/// without an MPI launcher: ``run(size:_:)`` calls `body` once per rank, each on its own thread,
/// and ``ThreadRank/allGather(_:counts:)`` and ``ThreadRank/allToAll(_:sendCounts:receiveCounts:)`` exchange
/// bytes through shared memory with a barrier. An independent implementation of the group's contract
/// (rank-ordered concatenation, personalized exchange), not MPI's.
package final class ThreadRanks: @unchecked Sendable {
    package let size: Int
    private let condition = NSCondition()
    private var deposits: [[[UInt8]]]   // per rank: its bytes for each destination (one entry: for every rank)
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

    /// Every rank's deposit, in rank order, once all `size` ranks have made theirs.
    fileprivate func exchange(_ parts: [[UInt8]], rank: Int) -> [[[UInt8]]] {
        condition.lock(); defer { condition.unlock() }
        while departed > 0 { condition.wait() }          // the previous exchange is still being read
        deposits[rank] = parts
        arrived += 1
        let mine = generation
        if arrived == size { generation += 1; condition.broadcast() }
        while generation == mine { condition.wait() }
        let all = deposits
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
        let all = shared.exchange([local.withUnsafeBytes { Array($0) }], rank: rank).flatMap { $0[0] }
        return try Self.elements(all, count: counts.reduce(0, +))
    }

    package func allToAll<Scalar: BitwiseCopyable>(_ send: [Scalar], sendCounts: [Int], receiveCounts: [Int]) throws -> [Scalar] {
        guard sendCounts.count == size, receiveCounts.count == size, sendCounts.reduce(0, +) == send.count else {
            throw SparseFactorError.shapeMismatch(expected: "\(size) send counts adding up to \(send.count)", got: "\(sendCounts)")
        }
        let stride = MemoryLayout<Scalar>.stride
        let bytes = send.withUnsafeBytes { Array($0) }
        var parts: [[UInt8]] = [], at = 0
        for c in sendCounts {
            parts.append(Array(bytes[at..<(at + c * stride)]))
            at += c * stride
        }
        let all = shared.exchange(parts, rank: rank).flatMap { $0[rank] }
        return try Self.elements(all, count: receiveCounts.reduce(0, +))
    }

    private static func elements<Scalar: BitwiseCopyable>(_ bytes: [UInt8], count: Int) throws -> [Scalar] {
        guard bytes.count == count * MemoryLayout<Scalar>.stride else {
            throw SparseFactorError.shapeMismatch(expected: "\(count) elements", got: "\(bytes.count) bytes")
        }
        return [Scalar](unsafeUninitializedCapacity: count) { buffer, initialized in
            bytes.withUnsafeBytes { UnsafeMutableRawBufferPointer(buffer).copyMemory(from: $0) }
            initialized = count
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
