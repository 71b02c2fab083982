import SparseFactorCore
import Foundation

/// Writes files so that a reader sees either the old complete file or the new complete one,
/// never a partial write: the data goes to a temporary file beside the target, is flushed to
/// disk, then renamed over it.
///
/// ```swift
/// try AtomicFile.write(Data("hello".utf8), to: URL(fileURLWithPath: "out.txt"))
/// ```
public enum AtomicFile {
    /// Replaces (or creates) `url` with `data` atomically.
    public static func write(_ data: Data, to url: URL) throws {
        let directory = url.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
            throw SparseFactorError.io("cannot create a file in \(directory.path)")
        }
        do {
            let handle = try FileHandle(forWritingTo: temporary)
            try handle.write(contentsOf: data)
            try handle.synchronize()
            try handle.close()
            guard rename(temporary.path, url.path) == 0 else {
                throw SparseFactorError.io("cannot move the new file onto \(url.path): \(String(cString: strerror(errno)))")
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            if let e = error as? SparseFactorError { throw e }
            throw SparseFactorError.io("cannot write \(url.path): \(error.localizedDescription)")
        }
    }
}
