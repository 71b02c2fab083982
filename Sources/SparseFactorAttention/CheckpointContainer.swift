import SparseFactorCore
import SparseFactorNN
import SparseFactorIO
import Foundation

/// The versioned binary container of a training checkpoint.
///
/// Layout (all integers little-endian):
/// ```
/// magic         8 bytes   89 'S' 'F' 'C' 'K' 0D 0A 1A   (like PNG's: catches text-mode mangling)
/// version       UInt32    the format version (``CheckpointContainer/formatVersion``)
/// header        UInt64 byte count, then that many bytes of UTF-8 JSON (configuration and state)
/// tensors       UInt32 count, then per tensor:
///                 UInt32 name byte count, name (UTF-8), UInt32 rank, rank × UInt64 dimensions,
///                 product(dimensions) × Float32 (IEEE bit patterns)
/// checksum      UInt32    CRC-32 (IEEE 802.3) of every byte before it
/// ```
/// Reading checks the size, magic, version and checksum before parsing anything, and parses
/// into fresh values, so a corrupt or truncated file is refused whole.
struct CheckpointContainer: Equatable {
    static let magic: [UInt8] = [0x89, 0x53, 0x46, 0x43, 0x4B, 0x0D, 0x0A, 0x1A]
    static let formatVersion: UInt32 = 1

    struct NamedTensor: Equatable {
        var name: String
        var shape: [Int]
        var values: [Float]
    }

    var header: Data
    var tensors: [NamedTensor]

    func encoded() -> Data {
        var out = ByteWriter()
        out.bytes(Self.magic)
        out.uint32(Self.formatVersion)
        out.uint64(UInt64(header.count))
        out.bytes(Array(header))
        out.uint32(UInt32(tensors.count))
        for t in tensors {
            let name = Array(t.name.utf8)
            out.uint32(UInt32(name.count))
            out.bytes(name)
            out.uint32(UInt32(t.shape.count))
            for d in t.shape { out.uint64(UInt64(d)) }
            out.floats(t.values)
        }
        out.uint32(crc32(out.data))
        return Data(out.data)
    }

    /// Parses a container; `source` names the file in messages.
    init(decoding data: Data, source: String) throws {
        let bytes = [UInt8](data)
        func corrupt(_ why: String) -> SparseFactorError {
            SparseFactorError.io("\(source) is not a valid checkpoint (\(why)); nothing was loaded")
        }
        let minimum = Self.magic.count + 4 + 8 + 4 + 4
        guard bytes.count >= Self.magic.count, Array(bytes[0..<Self.magic.count]) == Self.magic else {
            throw corrupt("it does not start with the checkpoint signature")
        }
        guard bytes.count >= minimum else { throw corrupt("truncated: \(bytes.count) bytes, at least \(minimum) expected") }
        var reader = ByteReader(bytes: bytes, position: Self.magic.count)
        let version = try reader.uint32()
        let body = bytes.count - 4
        var tail = ByteReader(bytes: bytes, position: body)
        let stored = try tail.uint32()
        let computed = crc32(bytes[0..<body])
        guard version == Self.formatVersion else {
            // Every version ends with the CRC of what precedes it, so a matching checksum tells
            // a genuine other version from a corrupt version field.
            throw SparseFactorError.io("\(source) has checkpoint format version \(version)\(stored == computed ? "" : " (or is corrupt)"), "
                                       + "this build reads version \(Self.formatVersion); nothing was loaded")
        }
        guard stored == computed else {
            throw corrupt(String(format: "checksum mismatch: stored %08x, computed %08x — the file is corrupt or truncated", stored, computed))
        }
        reader.limit = body
        do {
            let headerCount = try reader.count(try reader.uint64())
            header = Data(try reader.bytes(headerCount))
            let tensorCount = try reader.uint32()
            var tensors: [NamedTensor] = []
            for _ in 0..<tensorCount {
                let nameCount = try reader.count(UInt64(try reader.uint32()))
                guard let name = String(bytes: try reader.bytes(nameCount), encoding: .utf8) else { throw ByteReader.Failure.malformed }
                let rank = try reader.uint32()
                guard rank <= 8 else { throw ByteReader.Failure.malformed }
                var shape: [Int] = []
                var elements = 1
                for _ in 0..<rank {
                    let d = try reader.count(try reader.uint64())
                    shape.append(d)
                    let (p, overflow) = elements.multipliedReportingOverflow(by: d)
                    guard !overflow else { throw ByteReader.Failure.malformed }
                    elements = p
                }
                tensors.append(NamedTensor(name: name, shape: shape, values: try reader.floats(elements)))
            }
            guard reader.position == body else { throw ByteReader.Failure.malformed }
            self.tensors = tensors
        } catch is ByteReader.Failure {
            throw corrupt("its layout is inconsistent")
        }
    }

    init(header: Data, tensors: [NamedTensor]) {
        self.header = header
        self.tensors = tensors
    }
}

struct ByteWriter {
    var data: [UInt8] = []
    mutating func bytes(_ b: [UInt8]) { data.append(contentsOf: b) }
    mutating func uint32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
    mutating func uint64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
    mutating func floats(_ values: [Float]) {
        data.reserveCapacity(data.count + 4 * values.count)
        for v in values { uint32(v.bitPattern) }
    }
}

struct ByteReader {
    enum Failure: Error { case malformed }
    let bytes: [UInt8]
    var position: Int
    var limit: Int

    init(bytes: [UInt8], position: Int) {
        self.bytes = bytes
        self.position = position
        self.limit = bytes.count
    }

    mutating func bytes(_ n: Int) throws -> ArraySlice<UInt8> {
        guard n >= 0, n <= limit - position else { throw Failure.malformed }
        defer { position += n }
        return bytes[position..<(position + n)]
    }

    mutating func uint32() throws -> UInt32 {
        let b = try bytes(4)
        return b.reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }

    mutating func uint64() throws -> UInt64 {
        let b = try bytes(8)
        return b.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    /// A count read from the file, refused if it could not fit in the remaining bytes.
    func count(_ v: UInt64) throws -> Int {
        guard v <= UInt64(limit - position) else { throw Failure.malformed }
        return Int(v)
    }

    mutating func floats(_ n: Int) throws -> [Float] {
        guard n <= (limit - position) / 4 else { throw Failure.malformed }
        let start = position
        position += 4 * n
        return (0..<n).map { i in
            let o = start + 4 * i
            let bits = UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24
            return Float(bitPattern: bits)
        }
    }
}

/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as zlib and PNG compute it.
func crc32<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
    var crc: UInt32 = 0xFFFF_FFFF
    for b in bytes { crc = crc32Table[Int((crc ^ UInt32(b)) & 0xFF)] ^ (crc >> 8) }
    return crc ^ 0xFFFF_FFFF
}

private let crc32Table: [UInt32] = (0..<256).map { n in
    var c = UInt32(n)
    for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    return c
}
