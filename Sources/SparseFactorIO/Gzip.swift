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

    /// The decompressed content of a gzip (or zlib) stream; concatenated gzip members are joined,
    /// as `gunzip` does. Throws `SparseFactorError` on corrupt or truncated input.
    /// - Parameter name: how to name the input in error messages.
    public static func decompress(_ data: Data, name: String = "gzip data") throws -> Data {
        let input = [UInt8](data)
        var output = [UInt8]()
        output.reserveCapacity(input.count * 4)
        var stream = z_stream()
        // windowBits 15 + 32: accept both gzip and zlib headers, detected automatically.
        guard inflateInit2_(&stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw SparseFactorError.io("\(name): cannot initialize zlib")
        }
        defer { inflateEnd(&stream) }
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
                    output.append(contentsOf: UnsafeBufferPointer(start: outBase, count: chunk - Int(stream.avail_out)))
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
        return Data(output)
    }
}

/// Reading whole input files, decompressing gzip content (detected by its magic bytes, whatever the name).
enum FileInput {
    /// The bytes of `url`, gunzipped when compressed.
    static func bytes(_ url: URL) throws -> Data {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            if !FileManager.default.fileExists(atPath: url.path) {
                throw SparseFactorError.io("\(url.path): no such file")
            }
            throw SparseFactorError.io("\(url.path): cannot be read (\(error.localizedDescription))")
        }
        return Gzip.isCompressed(data) ? try Gzip.decompress(data, name: url.path) : data
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
