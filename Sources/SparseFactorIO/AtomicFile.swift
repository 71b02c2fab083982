import Foundation
import SparseFactorCore

/// Writes files so that a reader sees either the old complete file or the new complete one,
/// never a partial write: the data goes to a temporary file beside the target, is flushed to
/// disk, then renamed over it.
///
/// Policy for what is already there:
/// - nothing, or a regular file: written (a replaced file keeps its permission bits);
/// - a symbolic link: followed; the file it points to is replaced (it must be a regular file or
///   missing), and the link itself stays;
/// - anything else (a directory, a character or block device such as `/dev/null`, a FIFO, a socket):
///   refused with `SparseFactorError.io`, and left untouched.
///
/// Temporary files are named `.NAME.tmp-PID-RANDOM`; one left by a process that was killed is
/// removed by the next write to the same target.
///
/// ```swift
/// try AtomicFile.write(Data("hello".utf8), to: URL(fileURLWithPath: "out.txt"))
/// ```
public enum AtomicFile {
    /// Replaces (or creates) `url` with `data` atomically, under the policy above.
    public static func write(_ data: Data, to url: URL) throws {
        let target = try replaceableTarget(url)
        let directory = target.deletingLastPathComponent()
        let prefix = ".\(target.lastPathComponent).tmp-"
        removeStaleTemporaries(in: directory, prefix: prefix)
        let temporary = directory.appendingPathComponent("\(prefix)\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(existingMode(target) ?? 0o644))
        guard descriptor >= 0 else {
            throw SparseFactorError.io("cannot create a file in \(directory.path): \(String(cString: strerror(errno)))")
        }
        do {
            if let mode = existingMode(target) { _ = fchmod(descriptor, mode) }   // the umask must not narrow it
            let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
            try handle.write(contentsOf: data)
            try handle.synchronize()
            try handle.close()
            guard rename(temporary.path, target.path) == 0 else {
                throw SparseFactorError.io("cannot move the new file onto \(target.path): \(String(cString: strerror(errno)))")
            }
        } catch {
            unlink(temporary.path)
            if let e = error as? SparseFactorError { throw e }
            throw SparseFactorError.io("cannot write \(target.path): \(error.localizedDescription)")
        }
    }

    /// Throws unless `url` may be written under the policy; returns the path to replace (a
    /// symbolic link's target). Call it before long work, so that a refusal comes first.
    public static func checkWritable(_ url: URL) throws { _ = try replaceableTarget(url) }

    static func replaceableTarget(_ url: URL) throws -> URL {
        guard !url.path.isEmpty, url.lastPathComponent != "/" else { throw SparseFactorError.io("an empty output path was given") }
        var target = url
        var info = stat()
        if lstat(url.path, &info) == 0, info.st_mode & S_IFMT == S_IFLNK {
            guard let resolved = realpath(url.path, nil) else {
                if errno == ENOENT {   // a dangling link: write the file it names
                    target = url.resolvingSymlinksInPath()
                    return try checkDirectory(of: target, for: url)
                }
                throw SparseFactorError.io("\(url.path) is a symbolic link that cannot be followed: \(String(cString: strerror(errno)))")
            }
            target = URL(fileURLWithPath: String(cString: resolved))
            free(resolved)
        }
        if stat(target.path, &info) == 0 {
            let kind = info.st_mode & S_IFMT
            guard kind == S_IFREG else {
                throw SparseFactorError.io("\(url.path) is \(fileKind(kind)), not a regular file: refusing to replace it")
            }
            return target
        } else if errno != ENOENT {
            throw SparseFactorError.io("cannot write \(url.path): \(String(cString: strerror(errno)))")
        }
        return try checkDirectory(of: target, for: url)
    }

    private static func checkDirectory(of target: URL, for url: URL) throws -> URL {
        let directory = target.deletingLastPathComponent()
        var info = stat()
        guard stat(directory.path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw SparseFactorError.io("cannot write \(url.path): the directory \(directory.path) does not exist")
        }
        return target
    }

    /// The permission bits of an existing regular file, or nil.
    private static func existingMode(_ url: URL) -> mode_t? {
        var info = stat()
        return stat(url.path, &info) == 0 ? info.st_mode & 0o7777 : nil
    }

    /// Removes `prefix`PID-* files whose writing process no longer runs.
    private static func removeStaleTemporaries(in directory: URL, prefix: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return }
        for name in names where name.hasPrefix(prefix) {
            let rest = name.dropFirst(prefix.count)
            guard let dash = rest.firstIndex(of: "-"), let pid = pid_t(rest[..<dash]), pid > 0 else { continue }
            if pid != getpid(), kill(pid, 0) != 0, errno == ESRCH { unlink(directory.appendingPathComponent(name).path) }
        }
    }
}

/// "a directory", "a character device", … for messages.
package func fileKind(_ kind: mode_t) -> String {
    switch kind {
    case S_IFDIR: return "a directory"
    case S_IFCHR: return "a character device"
    case S_IFBLK: return "a block device"
    case S_IFIFO: return "a FIFO (named pipe)"
    case S_IFSOCK: return "a socket"
    case S_IFLNK: return "a symbolic link"
    default: return "a special file"
    }
}
