import ArgumentParser
import Foundation
import SparseFactor

/// How a command fails: a message for people on standard error, a code for scripts, a kind for JSON.
///
/// | code | kind | meaning |
/// |---:|---|---|
/// | 64 | `usage` | unknown option, bad value syntax, an option out of its range (ArgumentParser's usage errors) |
/// | 65 | `invalid-argument`, `shape-mismatch`, `non-finite`, `too-large` | bad data, or a size over the limits |
/// | 70 | `kernel` | a C kernel or library call failed |
/// | 74 | `io` | a file could not be read or written, or is corrupt |
/// | 1 | `failure` | anything else |
struct CommandFailure {
    static let usage: Int32 = 64, data: Int32 = 65, software: Int32 = 70, io: Int32 = 74, other: Int32 = 1

    let message: String
    let kind: String
    let code: Int32

    init(message: String, kind: String, code: Int32) {
        self.message = message
        self.kind = kind
        self.code = code
    }

    init(_ error: Error) {
        switch error {
        case let e as SparseFactorError:
            switch e {
            case .invalidArgument: self.init(message: e.description, kind: "invalid-argument", code: Self.data)
            case .shapeMismatch: self.init(message: e.description, kind: "shape-mismatch", code: Self.data)
            case .nonFinite: self.init(message: e.description, kind: "non-finite", code: Self.data)
            case .tooLarge: self.init(message: e.description, kind: "too-large", code: Self.data)
            case .io: self.init(message: e.description, kind: "io", code: Self.io)
            case .kernel: self.init(message: e.description, kind: "kernel", code: Self.software)
            }
        case let e as CocoaError:
            self.init(message: "I/O error: \(e.localizedDescription)", kind: "io", code: Self.io)
        default:
            self.init(message: "\(error)", kind: "failure", code: Self.other)
        }
    }

    /// The message on standard error and, with `json`, the JSON object on standard output.
    func report(json: Bool) {
        FileHandle.standardError.write(Data("sparsefactor: \(Processes.errorPrefix())\(message)\n".utf8))
        if json { printJSONLine(["error": message, "kind": kind]) }
    }
}
