import SparseFactorCore
import CZlib
import Foundation

/// gzip decompression through zlib, so `.gz` inputs can be read directly
/// (Foundation on Linux has no gzip support).
///
/// ```swift
/// let text = try Gzip.decompress(Data(contentsOf: URL(fileURLWithPath: "knuth_miles.txt.gz")))
/// ```
public enum Gzip {
    /// Whether `data` starts with the gzip magic bytes `1f 8b`.
    public static func isCompressed(_ data: Data) -> Bool {
        data.count >= 2 && data[data.startIndex] == 0x1f && data[data.startIndex + 1] == 0x8b
    }

    /// The most bytes ``decompress(_:name:limit:sizeBound:)`` produces by default: 512 MiB. A larger
    /// result is refused as soon as it is reached, so a small file that inflates to gigabytes (a
    /// "gzip bomb") is refused in bounded memory.
    public static let defaultLimit = 1 << 29

    /// The decompressed content of a gzip (or zlib) stream; concatenated gzip members are joined,
    /// as `gunzip` does. Throws `SparseFactorError` on corrupt or truncated input, or when the
    /// output would pass `limit` bytes.
    /// - Parameters:
    ///   - name: how to name the input in error messages.
    ///   - limit: the most bytes to produce.
    ///   - sizeBound: called with the output so far, each time more arrives, until it returns a
    ///     number (or the output passes 1 MiB): the inner format's own size from its header (the
    ///     output may then not exceed it).
    ///     It may throw to stop early, for example when the output does not start like the format.
    public static func decompress(_ data: Data, name: String = "gzip data", limit: Int = defaultLimit,
                                  sizeBound: (([UInt8]) throws -> Int?)? = nil) throws -> Data {
        let input = [UInt8](data)
        var output = Data()   // returned as it is: no second copy of a large result
        output.reserveCapacity(min(input.count * 4, limit))
        var bound = limit
        var boundKnown = sizeBound == nil
        var stream = z_stream()
        // windowBits 15 + 32: accept both gzip and zlib headers, detected automatically.
        guard inflateInit2_(&stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw SparseFactorError.io("\(name): cannot initialize zlib")
        }
        defer { inflateEnd(&stream) }
        func pastBound() -> SparseFactorError {
            .tooLarge(bound < limit
                ? "\(name): the compressed data inflates past the \(bound) bytes its own header announces (corrupt, or a decompression bomb)"
                : "\(name): the compressed data inflates to more than \(formatBytes(limit)), the limit for compressed input (decompress it first to read it whole)")
        }
        let chunk = 1 << 16
        var buffer = [UInt8](repeating: 0, count: chunk)
        var consumed = 0
        try input.withUnsafeBufferPointer { inBuf in
            try buffer.withUnsafeMutableBufferPointer { outBuf in
                guard let inBase = inBuf.baseAddress, let outBase = outBuf.baseAddress else { return }
                while true {
                    stream.next_in = UnsafeMutablePointer(mutating: inBase + consumed)
                    stream.avail_in = UInt32(clamping: input.count - consumed)
                    stream.next_out = outBase
                    stream.avail_out = UInt32(chunk)
                    let before = stream.avail_in
                    let status = inflate(&stream, Z_NO_FLUSH)
                    consumed += Int(before - stream.avail_in)
                    let produced = chunk - Int(stream.avail_out)
                    guard produced <= bound - output.count else { throw pastBound() }
                    output.append(contentsOf: UnsafeBufferPointer(start: outBase, count: produced))
                    if !boundKnown {
                        if let size = try sizeBound?([UInt8](output)) { bound = min(bound, size) }
                        guard output.count <= bound else { throw pastBound() }
                        boundKnown = bound < limit || output.count > 1 << 20
                    }
                    switch status {
                    case Z_STREAM_END:
                        // Another gzip member may follow (what `cat a.gz b.gz` makes); trailing zeros are ignored.
                        let rest = input[consumed...]
                        if rest.count >= 2 && rest[rest.startIndex] == 0x1f && rest[rest.startIndex + 1] == 0x8b {
                            guard inflateReset(&stream) == Z_OK else { throw SparseFactorError.io("\(name): zlib reset failed") }
                            continue
                        }
                        return
                    case Z_OK:
                        continue
                    case Z_BUF_ERROR:
                        // No progress possible: all input was consumed before the stream's end.
                        throw SparseFactorError.io("\(name): the compressed data is truncated (the gzip stream ends early after \(input.count) bytes)")
                    default:
                        let reason = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                        throw SparseFactorError.io("\(name): corrupt compressed data (\(reason))")
                    }
                }
            }
        }
        return output
    }
}

/// Reading whole input files: only regular files, with messages that say what is wrong, and
/// gzip content decompressed (detected by its magic bytes, whatever the name) within bounds.
package enum FileInput {
    /// The bytes of the regular file `url`, as stored (no decompression).
    package static func read(_ url: URL) throws -> Data {
        let path = url.path
        guard !path.isEmpty else { throw SparseFactorError.io("an empty input path was given") }
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw SparseFactorError.io(errno == ENOENT ? "\(path): no such file" : "\(path): cannot be read (\(String(cString: strerror(errno))))")
        }
        let kind = info.st_mode & S_IFMT
        guard kind == S_IFREG else { throw SparseFactorError.io("\(path) is \(fileKind(kind)), not a regular file") }
        try MemoryBudget.check("\(path) (\(formatBytes(Int(info.st_size))))", counts: [Int(info.st_size)], scalarBytes: 1)
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw SparseFactorError.io("\(path): cannot be read (\(String(cString: strerror(errno))))")
        }
        defer { try? handle.close() }
        do { return try handle.readToEnd() ?? Data() } catch {
            throw SparseFactorError.io("\(path): cannot be read (\(error.localizedDescription))")
        }
    }

    /// The bytes of `url`, gunzipped when compressed. A compressed `.npy` is bounded by the size its
    /// own header announces (and refused at once if it does not start like one); anything else by
    /// ``Gzip/defaultLimit``.
    package static func bytes(_ url: URL) throws -> Data {
        let data = try read(url)
        guard Gzip.isCompressed(data) else { return data }
        let isNpy = strippingGzip(url).pathExtension.lowercased() == "npy"
        return try Gzip.decompress(data, name: url.path, sizeBound: isNpy ? { prefix in
            try NpyLayout.parse(prefix, name: url.path, complete: false)?.fileBytes
        } : nil)
    }

    /// `url` with a trailing `.gz` removed.
    static func strippingGzip(_ url: URL) -> URL {
        url.pathExtension.lowercased() == "gz" ? url.deletingPathExtension() : url
    }
}

/// Refuses a dense rows×columns matrix of doubles that would take more than half the machine's memory.
func checkDenseAllocation(rows: Int, columns: Int, what: String) throws {
    try MemoryBudget.check("\(what): a dense \(rows)×\(columns) matrix", counts: [rows, columns], scalarBytes: MemoryLayout<Double>.size)
}
