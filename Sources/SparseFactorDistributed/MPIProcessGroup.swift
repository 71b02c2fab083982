import Foundation
import SparseFactorCore
internal import CSparseFactorMPI

/// The processes of an MPI job (Open MPI's `mpirun -np R …`) as a `ProcessGroup`: the world
/// communicator, with every rank's pieces gathered by `MPI_Allgatherv`.
///
/// Fitting (`fitFactors(_:options:group:)`) and training (`SequenceTrainer`'s `group`) take any
/// process group; this is the one that crosses machines. Initialize it once, from the thread that
/// will make every MPI call, and finalize it before the process exits:
///
/// ```swift
/// import SparseFactor
/// import SparseFactorDistributed
///
/// let group: any ProcessGroup = MPIProcessGroup.isLaunched ? try MPIProcessGroup.world() : SingleProcess()
/// let fit = try fitFactors(a, options: FitOptions(), group: group)   // the same factors on every rank
/// if group.isLeader { try FactorFile.save(fit.chain, to: url) }
/// (group as? MPIProcessGroup)?.finalize()
/// ```
///
/// Started without a launcher (``isLaunched`` false), a program should not initialize MPI at all:
/// a single process needs no communicator.
public final class MPIProcessGroup: ProcessGroup {
    public let rank: Int
    public let size: Int
    /// The MPI library's version line, e.g. "Open MPI v4.1.4, …".
    public let libraryVersion: String

    nonisolated(unsafe) private static var shared: MPIProcessGroup?
    nonisolated(unsafe) private static var finalized = false

    private init(rank: Int, size: Int, libraryVersion: String) {
        self.rank = rank
        self.size = size
        self.libraryVersion = libraryVersion
    }

    /// Whether this process was started by an MPI launcher (Open MPI's `mpirun`/`mpiexec`, or a
    /// PMI or PMIx one such as Slurm's `srun`): the environment says so.
    public static var isLaunched: Bool {
        let environment = ProcessInfo.processInfo.environment
        return ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"].contains { environment[$0] != nil }
    }

    /// The world communicator, initialized on the first call (`MPI_Init_thread`); later calls
    /// return the same group. Throws `SparseFactorError.io` when MPI cannot start or has been finalized.
    public static func world() throws -> MPIProcessGroup {
        if let shared { return shared }
        guard !finalized else { throw SparseFactorError.io("MPI has been finalized in this process; it cannot start again") }
        var rank: Int32 = 0, size: Int32 = 0
        try check(sf_mpi_init(&rank, &size), "starting MPI (MPI_Init_thread)")
        var text = [CChar](repeating: 0, count: 512)
        try check(sf_mpi_library_version(&text, Int32(text.count)), "reading the MPI library's version")
        let version = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let group = MPIProcessGroup(rank: Int(rank), size: Int(size), libraryVersion: version.trimmingCharacters(in: .whitespacesAndNewlines))
        shared = group
        return group
    }

    public func allGather<Scalar: BitwiseCopyable>(_ local: [Scalar], counts: [Int]) throws -> [Scalar] {
        guard counts.count == size, counts.allSatisfy({ $0 >= 0 }), counts[rank] == local.count else {
            throw SparseFactorError.shapeMismatch(expected: "\(size) counts ≥ 0 with this rank's (\(rank)) equal to its \(local.count) elements",
                                                  got: "\(counts)")
        }
        let stride = MemoryLayout<Scalar>.stride
        guard let bytes = MemoryBudget.total(counts.map { [$0, stride] }), bytes <= Int(Int32.max) else {
            throw SparseFactorError.tooLarge("gathering \(counts.reduce(0, &+)) elements of \(stride) bytes: over MPI's 2 GiB per call")
        }
        let byteCounts = counts.map { Int64($0 * stride) }
        let elements = counts.reduce(0, +)
        var out = [Scalar](unsafeUninitializedCapacity: elements) { _, initialized in initialized = elements }
        let status = local.withUnsafeBytes { send in
            out.withUnsafeMutableBytes { receive in
                byteCounts.withUnsafeBufferPointer { c in
                    sf_mpi_allgatherv_bytes(receive.baseAddress, send.baseAddress, c.baseAddress, Int32(size))
                }
            }
        }
        try Self.check(status, "gathering \(elements) elements from \(size) ranks (MPI_Allgatherv)")
        return out
    }

    public func allToAll<Scalar: BitwiseCopyable>(_ send: [Scalar], sendCounts: [Int], receiveCounts: [Int]) throws -> [Scalar] {
        guard sendCounts.count == size, receiveCounts.count == size, sendCounts.allSatisfy({ $0 >= 0 }), receiveCounts.allSatisfy({ $0 >= 0 }),
              sendCounts.reduce(0, &+) == send.count else {
            throw SparseFactorError.shapeMismatch(expected: "\(size) send counts adding up to \(send.count) elements and \(size) receive counts, all ≥ 0",
                                                  got: "\(sendCounts) and \(receiveCounts)")
        }
        let stride = MemoryLayout<Scalar>.stride
        guard let sent = MemoryBudget.total(sendCounts.map { [$0, stride] }), sent <= Int(Int32.max),
              let bytes = MemoryBudget.total(receiveCounts.map { [$0, stride] }), bytes <= Int(Int32.max) else {
            throw SparseFactorError.tooLarge("exchanging \(send.count) and \(receiveCounts.reduce(0, &+)) elements of \(stride) bytes: over MPI's 2 GiB per call")
        }
        let elements = receiveCounts.reduce(0, +)
        var out = [Scalar](unsafeUninitializedCapacity: elements) { _, initialized in initialized = elements }
        let sendBytes = sendCounts.map { Int64($0 * stride) }, receiveBytes = receiveCounts.map { Int64($0 * stride) }
        let status = send.withUnsafeBytes { s in
            out.withUnsafeMutableBytes { r in
                sendBytes.withUnsafeBufferPointer { sc in
                    receiveBytes.withUnsafeBufferPointer { rc in
                        sf_mpi_alltoallv_bytes(r.baseAddress, rc.baseAddress, s.baseAddress, sc.baseAddress, Int32(size))
                    }
                }
            }
        }
        try Self.check(status, "exchanging \(send.count) and \(elements) elements among \(size) ranks (MPI_Alltoallv)")
        return out
    }

    /// Ends MPI in this process (`MPI_Finalize`); call it once, after the last collective call, on every rank.
    public func finalize() {
        guard Self.shared === self else { return }
        _ = sf_mpi_finalize()
        Self.shared = nil
        Self.finalized = true
    }

    /// Ends every process of the job now (`MPI_Abort`); the launcher exits with `code`. For an
    /// error one rank meets and the others may not (they would otherwise wait in a collective call).
    public func abort(code: Int32) -> Never {
        sf_mpi_abort(code)
        exit(code)   // not reached: MPI_Abort ends the process
    }

    private static func check(_ status: Int32, _ what: String) throws {
        guard status != 0 else { return }
        var text = [CChar](repeating: 0, count: 512)
        sf_mpi_error_text(status, &text, Int32(text.count))
        let message = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        throw SparseFactorError.io("MPI failed while \(what): \(message)")
    }
}
