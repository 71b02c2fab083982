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
        out.integer(Self.formatVersion)
        out.integer(UInt64(header.count))
        out.bytes(header)
        out.integer(UInt32(tensors.count))
        for t in tensors {
            let name = Array(t.name.utf8)
            out.integer(UInt32(name.count))
            out.bytes(name)
            out.integer(UInt32(t.shape.count))
            for d in t.shape { out.integer(UInt64(d)) }
            out.scalars(t.values)
        }
        out.integer(crc32(out.data))
        return out.data
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
                tensors.append(NamedTensor(name: name, shape: shape, values: try reader.scalars(elements, width: 4, as: Float.self)))
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
