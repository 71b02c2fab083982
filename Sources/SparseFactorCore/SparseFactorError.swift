import Foundation

/// Everything the library refuses, with a message that says what was expected and what came.
///
/// ```swift
/// do { _ = try ChordTopology(size: 1) }
/// catch let error as SparseFactorError { print(error) }  // "invalid argument: N must be at least 2, got 1"
/// ```
public enum SparseFactorError: Error, Equatable, CustomStringConvertible, Sendable {
    /// A size or option outside its allowed range.
    case invalidArgument(String)
    /// Two shapes that had to agree did not.
    case shapeMismatch(expected: String, got: String)
    /// A value was NaN or infinite where finite numbers are required.
    case nonFinite(String)
    /// A dense result would not fit in the allowed memory.
    case tooLarge(String)
    /// A file could not be read or written, or its content is not what was expected.
    case io(String)
    /// A C kernel or library call failed.
    case kernel(String)

    public var description: String {
        switch self {
        case .invalidArgument(let message): return "invalid argument: \(message)"
        case .shapeMismatch(let expected, let got): return "shape mismatch: expected \(expected), got \(got)"
        case .nonFinite(let message): return "non-finite value: \(message)"
        case .tooLarge(let message): return "too large: \(message)"
        case .io(let message): return "I/O error: \(message)"
        case .kernel(let message): return "kernel error: \(message)"
        }
    }
}

extension SparseFactorError: LocalizedError {
    /// The same message as ``description``, so `error.localizedDescription` reads as it should.
    public var errorDescription: String? { description }
}
