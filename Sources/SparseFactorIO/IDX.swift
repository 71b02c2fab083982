import SparseFactorCore
import Foundation

/// An IDX array of unsigned bytes (the format of the MNIST and Fashion-MNIST files): its
/// dimensions and its values in row-major order.
///
/// ```swift
/// let images = try IDXReader.read(url: URL(fileURLWithPath: "train-images-idx3-ubyte.gz"))
/// print(images.dimensions)   // [60000, 28, 28]
/// ```
public struct IDXArray: Equatable, Sendable {
    /// The size of each dimension, outermost first.
    public let dimensions: [Int]
    /// The product of ``dimensions`` bytes, last dimension fastest.
    public let values: [UInt8]

    /// Checks that `values` holds exactly the product of `dimensions` bytes.
    ///
    /// ```swift
    /// let a = try IDXArray(dimensions: [2, 2], values: [0, 1, 2, 3])
    /// ```
    public init(dimensions: [Int], values: [UInt8]) throws {
        guard let count = IDXReader.elementCount(dimensions), count == values.count else {
            throw SparseFactorError.shapeMismatch(expected: "\(dimensions.map(String.init).joined(separator: "×")) bytes", got: "\(values.count) bytes")
        }
        self.dimensions = dimensions
        self.values = values
    }
}

/// Reads IDX files: the magic `00 00`, a dtype byte, a dimension count byte, one big-endian
/// 32-bit size per dimension, then the data. Only unsigned bytes (dtype `0x08`) are read — the
/// type of every image and label file of the MNIST family; other dtypes are refused by name.
/// Gzip-compressed files are accepted (and bounded by the size their own header announces).
///
/// ```swift
/// let labels = try IDXReader.read(url: URL(fileURLWithPath: "train-labels-idx1-ubyte.gz"))
/// print(labels.dimensions, labels.values.prefix(3))   // [60000] [9, 0, 0]
/// ```
public enum IDXReader {
    /// The array in `url` (gzip-compressed or not).
    public static func read(url: URL) throws -> IDXArray {
        let raw = try FileInput.read(url)
        let data = Gzip.isCompressed(raw)
            ? try Gzip.decompress(raw, name: url.path, sizeBound: { prefix in try layout(prefix, name: url.path, complete: false)?.fileBytes })
            : raw
        return try read(data: data, name: url.path)
    }

    /// The array in `data` (not compressed); `name` names it in error messages.
    public static func read(data: Data, name: String = "IDX data") throws -> IDXArray {
        let bytes = [UInt8](data)
        let l = try layout(bytes, name: name, complete: true)!
        guard bytes.count == l.fileBytes else {
            throw SparseFactorError.io("\(name): \(bytes.count - l.fileBytes) unexpected bytes after the \(describe(l.dimensions)) array (expected a file of \(l.fileBytes) bytes)")
        }
        return try IDXArray(dimensions: l.dimensions, values: Array(bytes[l.dataStart...]))
    }

    /// The product of `dimensions`, nil on overflow or a negative size.
    static func elementCount(_ dimensions: [Int]) -> Int? {
        var count = 1
        for d in dimensions {
            guard d >= 0 else { return nil }
            let (p, o) = count.multipliedReportingOverflow(by: d)
            if o { return nil }
            count = p
        }
        return count
    }

    private static func describe(_ dimensions: [Int]) -> String { dimensions.map(String.init).joined(separator: "×") }

    /// The header of the file starting with `bytes`; nil when `complete` is false and the bytes are
    /// too few to tell (a decompressor asks as output arrives, to bound it by the file's own size).
    static func layout(_ bytes: [UInt8], name: String, complete: Bool) throws -> (dimensions: [Int], dataStart: Int, fileBytes: Int)? {
        func short(_ what: String) throws -> (dimensions: [Int], dataStart: Int, fileBytes: Int)? {
            if complete { throw SparseFactorError.io("\(name): truncated IDX file: \(what)") }
            return nil
        }
        if bytes.count >= 1, bytes[0] != 0 || (bytes.count >= 2 && bytes[1] != 0) {
            throw SparseFactorError.io("\(name): not an IDX file (expected the magic bytes 00 00, got \(bytes.prefix(2).map { String(format: "%02x", $0) }.joined(separator: " ")))")
        }
        guard bytes.count >= 4 else { return try short("the 4-byte magic number needs 4 bytes, the file has \(bytes.count)") }
        let dtypes: [UInt8: String] = [0x09: "signed byte", 0x0B: "int16", 0x0C: "int32", 0x0D: "float32", 0x0E: "float64"]
        guard bytes[2] == 0x08 else {
            let what = dtypes[bytes[2]].map { "\($0) (0x\(String(format: "%02X", bytes[2])))" } ?? "unknown dtype byte 0x\(String(format: "%02X", bytes[2]))"
            throw SparseFactorError.io("\(name): unsupported IDX dtype \(what); expected unsigned byte (0x08)")
        }
        let rank = Int(bytes[3])
        guard rank >= 1 else { throw SparseFactorError.io("\(name): an IDX array needs at least 1 dimension, the header says 0") }
        let dataStart = 4 + 4 * rank
        guard bytes.count >= dataStart else {
            return try short("\(rank) dimension sizes need a \(dataStart)-byte header, the file has \(bytes.count) bytes")
        }
        var dimensions: [Int] = []
        for k in 0..<rank {
            let o = 4 + 4 * k
            dimensions.append(Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3]))
        }
        guard let count = elementCount(dimensions) else {
            throw SparseFactorError.tooLarge("\(name): the IDX sizes \(describe(dimensions)) multiply past what can be counted")
        }
        try MemoryBudget.check("\(name): a \(describe(dimensions)) IDX array", counts: [count], scalarBytes: 1)
        let (fileBytes, o) = dataStart.addingReportingOverflow(count)
        guard !o else { throw SparseFactorError.tooLarge("\(name): the IDX sizes \(describe(dimensions)) multiply past what can be counted") }
        if complete && bytes.count < fileBytes {
            throw SparseFactorError.io("\(name): truncated IDX file: a \(describe(dimensions)) array of unsigned bytes needs \(count) data bytes, the file has \(bytes.count - dataStart)")
        }
        return (dimensions, dataStart, fileBytes)
    }
}
