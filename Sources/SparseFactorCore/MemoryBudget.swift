import Foundation

/// Memory estimates made before a large allocation, so that a size from a user or a file is
/// refused with a message instead of ending the process.
package enum MemoryBudget {
    /// Half of this machine's physical memory: what one dense result may take by default.
    package static var defaultLimit: Int { Int(clamping: ProcessInfo.processInfo.physicalMemory / 2) }

    /// Throws ``SparseFactorError/tooLarge(_:)`` unless the product of `counts` scalars of
    /// `scalarBytes` bytes each fits in `limit` (the default limit when nil). Overflow counts as too large.
    package static func check(_ what: @autoclosure () -> String, counts: [Int], scalarBytes: Int, limit: Int? = nil) throws {
        let limit = limit ?? defaultLimit
        var bytes = scalarBytes
        var overflow = counts.contains { $0 < 0 }
        for c in counts where !overflow {
            let (p, o) = bytes.multipliedReportingOverflow(by: c)
            bytes = p
            overflow = o
        }
        if overflow || bytes > limit {
            let need = overflow ? "more memory than can be counted" : "about \(formatBytes(bytes))"
            let source = limit == defaultLimit ? " (half of this machine's memory)" : ""
            throw SparseFactorError.tooLarge("\(what()) needs \(need), over the limit of \(formatBytes(limit))\(source)")
        }
    }
}

/// A byte count for people: "512 bytes", "1.5 KiB", "37.0 MiB", "80.0 GiB".
package func formatBytes(_ bytes: Int) -> String {
    let units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
    guard bytes >= 1024 else { return "\(bytes) bytes" }
    var value = Double(bytes) / 1024
    var unit = 0
    while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
    return String(format: "%.1f %@", value, units[unit])
}

extension MemoryBudget {
    /// Σ over `terms` of the product of each term's counts, or nil when it overflows (or a count is
    /// negative): for size estimates made from user-given sizes before anything is allocated.
    package static func total(_ terms: [[Int]]) -> Int? {
        var sum = 0
        for term in terms {
            var product = 1
            for c in term {
                guard c >= 0 else { return nil }
                let (p, o) = product.multipliedReportingOverflow(by: c)
                guard !o else { return nil }
                product = p
            }
            let (s, o) = sum.addingReportingOverflow(product)
            guard !o else { return nil }
            sum = s
        }
        return sum
    }
}
