@testable import SparseFactorCore
import Foundation
import SparseFactorTestSupport
import Testing

/// Sizes from users and files: checked with overflow-safe arithmetic and against the memory limit
/// before anything is allocated; messages in readable units.
@Suite struct LimitsTests {
    @Test func byteCountsReadLikeSizes() {
        #expect(formatBytes(512) == "512 bytes")
        #expect(formatBytes(1536) == "1.5 KiB")
        #expect(formatBytes(37 << 20) == "37.0 MiB")
        #expect(formatBytes(80 << 30) == "80.0 GiB")
        #expect(formatBytes(Int.max) == "8.0 EiB")
    }

    @Test func theBudgetRefusesOverflowAndOversizeNamingBoth() throws {
        try MemoryBudget.check("small", counts: [10, 10], scalarBytes: 8, limit: 800)
        expectError("over", matches: { $0 == .tooLarge("big needs about 1.6 KiB, over the limit of 800 bytes") }) {
            try MemoryBudget.check("big", counts: [20, 10], scalarBytes: 8, limit: 800)
        }
        expectError("overflow", matches: { "\($0)".contains("needs more memory than can be counted") }) {
            try MemoryBudget.check("huge", counts: [Int.max, 2], scalarBytes: 1)
        }
        #expect(MemoryBudget.total([[3, 4], [5]]) == 17)
        #expect(MemoryBudget.total([[Int.max, 2]]) == nil)
        #expect(MemoryBudget.total([[Int.max], [1]]) == nil)
        #expect(MemoryBudget.total([[-1, 2]]) == nil)
    }

    @Test func hugeShapesThrowInsteadOfTrapping() {
        expectError("matrix", matches: \.isTooLarge) { try Matrix<Double>(rows: Int.max, columns: 2) }
        expectError("matrix values", matches: \.isShapeMismatch) { try Matrix<Double>(rows: Int.max, columns: 2, values: [1]) }
        expectError("batch", matches: \.isTooLarge) { try MatrixBatch<Float>(count: 1 << 40, rows: 1 << 20, columns: 8) }
        expectError("topology", matches: \.isTooLarge) { try ChordTopology(size: Int.max) }
        expectError("chain", matches: \.isTooLarge) {
            try FactorChain<Double>.rowNormalized(topology: ChordTopology(size: 8), factorCount: Int.max / 2)
        }
    }

    @Test func errorsReadTheSameEverywhere() {
        let error = SparseFactorError.invalidArgument("N must be at least 2, got 1")
        #expect(error.localizedDescription == "invalid argument: N must be at least 2, got 1")
        #expect(error.localizedDescription == error.description)
        #expect((error as any Error).localizedDescription == error.description)
    }
}
