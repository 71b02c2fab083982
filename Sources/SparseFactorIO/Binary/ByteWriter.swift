import Foundation
import SparseFactorCore

/// Builds a little-endian binary file: the one writer behind `.npy`, factor files and checkpoints.
package struct ByteWriter {
    package private(set) var data = Data()

    package init(reservingCapacity capacity: Int = 0) { data.reserveCapacity(capacity) }

    package mutating func bytes<C: Collection>(_ bytes: C) where C.Element == UInt8 { data.append(contentsOf: bytes) }

    package mutating func integer<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) }
    }

    /// The IEEE bit patterns of `values`, little-endian: a plain copy on little-endian machines.
    package mutating func scalars<Scalar: KernelScalar>(_ values: [Scalar]) {
        #if _endian(little)
        values.withUnsafeBytes { data.append(contentsOf: $0) }
        #else
        data.reserveCapacity(data.count + values.count * MemoryLayout<Scalar>.size)
        for v in values {
            if MemoryLayout<Scalar>.size == 4 { integer(Float(v).bitPattern) } else { integer(Double(v).bitPattern) }
        }
        #endif
    }
}

/// Reads a little-endian binary file, refusing any read past `limit` with ``Failure/malformed``.
package struct ByteReader {
    package enum Failure: Error { case malformed }
    package let bytes: [UInt8]
    package var position: Int
    package var limit: Int

    package init(bytes: [UInt8], position: Int = 0) {
        self.bytes = bytes
        self.position = position
        self.limit = bytes.count
    }

    package mutating func bytes(_ n: Int) throws -> ArraySlice<UInt8> {
        guard n >= 0, n <= limit - position else { throw Failure.malformed }
        defer { position += n }
        return bytes[position..<(position + n)]
    }

    package mutating func integer<T: FixedWidthInteger & UnsignedInteger>(_: T.Type = T.self) throws -> T {
        let b = try bytes(MemoryLayout<T>.size)
        return b.reversed().reduce(T(0)) { $0 << 8 | T($1) }
    }

    /// The integer at `offset`, without moving.
    package func integer<T: FixedWidthInteger & UnsignedInteger>(at offset: Int, as _: T.Type = T.self) throws -> T {
        var reader = self
        reader.position = offset
        return try reader.integer()
    }

    package mutating func uint32() throws -> UInt32 { try integer() }
    package mutating func uint64() throws -> UInt64 { try integer() }

    /// A count read from the file, refused if it could not fit in the remaining bytes.
    package func count(_ v: UInt64) throws -> Int {
        guard v <= UInt64(limit - position) else { throw Failure.malformed }
        return Int(v)
    }

    /// `n` float32 or float64 values (as `width` says: 4 or 8 bytes each) converted to `Scalar`.
    package mutating func scalars<Scalar: BinaryFloatingPoint>(_ n: Int, width: Int, as _: Scalar.Type = Scalar.self) throws -> [Scalar] {
        guard width == 4 || width == 8, n >= 0, n <= (limit - position) / width else { throw Failure.malformed }
        let start = position
        position += width * n
        return bytes.withUnsafeBytes { raw in
            if width == 4 {
                return (0..<n).map { i in
                    Scalar(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: start + 4 * i, as: UInt32.self))))
                }
            }
            return (0..<n).map { i in
                Scalar(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: start + 8 * i, as: UInt64.self))))
            }
        }
    }
}
