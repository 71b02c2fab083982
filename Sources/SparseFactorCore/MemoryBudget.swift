import Foundation

/// Memory estimates made before a large allocation, so that a size from a user or a file is
/// refused with a message instead of ending the process.
package enum MemoryBudget {
    /// What one allocation may take by default: the environment variable `SPARSEFACTOR_MEMORY_LIMIT`
    /// when it is set to a size (bytes, or a number with `K`, `M`, `G` or `T` for KiB … TiB, such as
    /// `1.5G`), otherwise half of this machine's physical memory.
    package static var defaultLimit: Int { configured.limit }

    /// The default limit and where it comes from (for messages), read once.
    private static let configured: (limit: Int, source: String) = {
        if let text = ProcessInfo.processInfo.environment["SPARSEFACTOR_MEMORY_LIMIT"], let bytes = parseSize(text) {
            return (bytes, "SPARSEFACTOR_MEMORY_LIMIT")
        }
        return (Int(clamping: ProcessInfo.processInfo.physicalMemory / 2), "half of this machine's memory")
    }()

    /// "1.5G" → 1.5 GiB in bytes; nil for anything that is not a positive size.
    package static func parseSize(_ text: String) -> Int? {
        let units: [Character: Double] = ["K": 1024, "M": 1024 * 1024, "G": 1024 * 1024 * 1024, "T": 1024 * 1024 * 1024 * 1024]
        var body = text.trimmingCharacters(in: .whitespaces).uppercased()
        if body.hasSuffix("IB") { body.removeLast(2) } else if body.hasSuffix("B") { body.removeLast() }
        var factor = 1.0
        if let last = body.last, let unit = units[last] { factor = unit; body.removeLast() }
        guard let number = Double(body), number.isFinite, number > 0 else { return nil }
        let bytes = number * factor
        return bytes < Double(Int.max) ? max(Int(bytes), 1) : nil
    }

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
            let source = limit == defaultLimit ? " (\(configured.source))" : ""
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
