import SparseFactorCore
import SparseFactorNN
import SparseFactorIO
/// Collects "name: saved vs now" lines for the fields in which two settings differ, so a
/// refused checkpoint says exactly what does not match.
struct DifferenceList {
    private(set) var lines: [String] = []

    mutating func check<T: Equatable>(_ name: String, _ a: T, _ b: T) {
        if a != b { lines.append("\(name): \(a) vs \(b)") }
    }
}
