import CZlib
import Foundation
import SparseFactorIO
import SparseFactorCore
import SparseFactorTestSupport

/// A fresh directory for one test's files, removed when the value goes away.
final class IOScratch {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sf-io-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    /// Writes `data` to a file named `name` in the directory and returns its URL.
    func file(_ name: String, _ data: Data) throws -> URL {
        let url = directory.appendingPathComponent(name)
        try data.write(to: url)
        return url
    }

    func file(_ name: String, _ text: String) throws -> URL {
        try file(name, Data(text.utf8))
    }

    func url(_ name: String) -> URL { directory.appendingPathComponent(name) }
}

/// gzip-compresses `data` with zlib (windowBits 31 selects the gzip wrapper), as `gzip` would.
func gzipCompressed(_ data: Data) -> Data {
    var stream = z_stream()
    precondition(deflateInit2_(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY,
                               zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK)
    defer { deflateEnd(&stream) }
    var input = [UInt8](data)
    var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))) + 32)
    let produced = input.withUnsafeMutableBufferPointer { inBuf in
        output.withUnsafeMutableBufferPointer { outBuf -> Int in
            stream.next_in = inBuf.baseAddress
            stream.avail_in = UInt32(inBuf.count)
            stream.next_out = outBuf.baseAddress
            stream.avail_out = UInt32(outBuf.count)
            precondition(deflate(&stream, Z_FINISH) == Z_STREAM_END)
            return outBuf.count - Int(stream.avail_out)
        }
    }
    return Data(output.prefix(produced))
}

/// Little-endian bytes of a value.
func leBytes<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }

/// A hand-made .npy file: magic, version, header dict padded to a 64-byte boundary, then `payload`.
func npyFile(header dict: String, payload: [UInt8], major: UInt8 = 1) -> Data {
    let lengthBytes = major == 1 ? 2 : 4
    var header = dict
    let prefix = 8 + lengthBytes
    header += String(repeating: " ", count: (64 - (prefix + header.utf8.count + 1) % 64) % 64) + "\n"
    var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [major, 0]
    out += major == 1 ? leBytes(UInt16(header.utf8.count)) : leBytes(UInt32(header.utf8.count))
    out += Array(header.utf8) + payload
    return Data(out)
}
