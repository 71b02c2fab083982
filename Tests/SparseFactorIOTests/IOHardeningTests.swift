import Foundation
@testable import SparseFactorIO
import SparseFactorCore
import SparseFactorTestSupport
import Testing

/// Outputs are replaced only when they are regular files, keep their mode, and leave no temporary
/// behind; compressed input is inflated within a bound.
@Suite struct IOHardeningTests {
    let scratch: IOScratch
    init() throws { scratch = try IOScratch() }

    func ioMessage(_ body: () throws -> Any) -> String {
        do { _ = try body() } catch let error as SparseFactorError {
            if case .io = error { return error.description }
            return "not an I/O error: \(error)"
        } catch { return "unexpected \(error)" }
        return ""
    }

    @Test func specialFilesAreNeverReplaced() throws {
        let fifo = scratch.url("fifo")
        #expect(mkfifo(fifo.path, 0o600) == 0)
        #expect(ioMessage { try AtomicFile.write(Data("x".utf8), to: fifo) }.contains("is a FIFO (named pipe), not a regular file: refusing to replace it"))
        #expect(ioMessage { try AtomicFile.write(Data("x".utf8), to: scratch.directory) }.contains("is a directory, not a regular file"))
        #expect(ioMessage { try AtomicFile.write(Data("x".utf8), to: URL(fileURLWithPath: "/dev/null")) }.contains("is a character device"))
        var info = stat()
        #expect(lstat(fifo.path, &info) == 0 && info.st_mode & S_IFMT == S_IFIFO)
        #expect(lstat("/dev/null", &info) == 0 && info.st_mode & S_IFMT == S_IFCHR)
        #expect(ioMessage { try AtomicFile.write(Data("x".utf8), to: scratch.url("no/such/dir/f")) }.contains("does not exist"))
    }

    @Test func aReplacedFileKeepsItsModeAndASymlinkIsFollowed() throws {
        let target = try scratch.file("target.txt", "old")
        #expect(chmod(target.path, 0o640) == 0)
        let link = scratch.url("link.txt")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: target.path)
        try AtomicFile.write(Data("new".utf8), to: link)
        #expect(try String(contentsOf: target, encoding: .utf8) == "new", "the link's target is replaced")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link.path) == target.path, "the link stays a link")
        var info = stat()
        #expect(stat(target.path, &info) == 0 && info.st_mode & 0o7777 == 0o640, "mode \(String(info.st_mode & 0o7777, radix: 8))")
    }

    @Test func temporariesOfDeadProcessesAreRemovedAndNoneIsLeft() throws {
        var dead: pid_t = 4_000_000
        while kill(dead, 0) == 0 || errno != ESRCH { dead -= 1 }
        let stale = try scratch.file(".out.bin.tmp-\(dead)-17", "half-written")
        let live = try scratch.file(".out.bin.tmp-\(getpid())-18", "being written by this process")
        try AtomicFile.write(Data("whole".utf8), to: scratch.url("out.bin"))
        #expect(!FileManager.default.fileExists(atPath: stale.path), "a dead process's temporary is removed")
        #expect(FileManager.default.fileExists(atPath: live.path), "a running process's temporary is kept")
        let names = try FileManager.default.contentsOfDirectory(atPath: scratch.directory.path).sorted()
        #expect(names == [".out.bin.tmp-\(getpid())-18", "out.bin"])
    }

    @Test func compressedInputIsInflatedWithinABound() throws {
        let zeros = gzipCompressed(Data(count: 4 << 20))
        #expect(zeros.count < 40_000)
        expectError("over the limit", matches: { $0.isTooLarge && "\($0)".contains("more than 1.0 MiB") }) {
            try Gzip.decompress(zeros, limit: 1 << 20)
        }
        #expect(try Gzip.decompress(zeros, limit: 4 << 20).count == 4 << 20)
        // A .npy inside is bounded by its own header: a 2×2 float64 array followed by megabytes of zeros …
        let header = npyFile(header: "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", payload: [UInt8](repeating: 0, count: 32))
        let padded = try scratch.file("a.npy.gz", gzipCompressed(header + Data(count: 2 << 20)))
        expectError("past its header", matches: { "\($0)".contains("inflates past the") }) { try NpyReader.read(url: padded) }
        // … and zeros that do not start like a .npy file are refused at once.
        let notNpy = try scratch.file("z.npy.gz", zeros)
        #expect(ioMessage { try NpyReader.read(url: notNpy) }.contains("not a .npy file"))
        let exact = try scratch.file("b.npy.gz", gzipCompressed(header))
        #expect(try NpyReader.read(url: exact) == Matrix<Double>(rows: 2, columns: 2))
    }

    @Test func inputPathsThatAreNotRegularFiles() throws {
        #expect(ioMessage { try MatrixReader.read(url: scratch.directory) }.contains("is a directory, not a regular file"))
        #expect(ioMessage { try MatrixReader.read(url: URL(fileURLWithPath: "/dev/zero.npy")) }.contains("no such file"))
        let fifo = scratch.url("in.csv")
        #expect(mkfifo(fifo.path, 0o600) == 0)
        #expect(ioMessage { try MatrixReader.read(url: fifo) }.contains("is a FIFO (named pipe), not a regular file"))
    }
}
