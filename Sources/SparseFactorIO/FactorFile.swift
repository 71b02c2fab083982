import SparseFactorCore
import Foundation

/// Saves and loads a `FactorChain` in the documented `SFCHAIN1` binary format
/// (docs/factor-file-format.md): a fixed header, the topology's offsets, the values, and a CRC-32
/// checksum, all little-endian. Files are written atomically, and corrupt or truncated files are refused.
///
/// ```swift
/// try FactorFile.save(chain, to: URL(fileURLWithPath: "camera.sfchain"))
/// let back = try FactorFile.load(from: URL(fileURLWithPath: "camera.sfchain"))   // == chain
/// ```
public enum FactorFile {
    /// The 8 bytes every factor file starts with.
    public static let magic = Array("SFCHAIN1".utf8)
    /// The format version this code writes and reads.
    public static let version: UInt32 = 2
    static let headerSize = 64
    static let checksumSize = 4

    /// Writes `chain` (float32 or float64, as stored) to `url`, replacing it only once the new file is complete.
    public static func save<Scalar: KernelScalar>(_ chain: FactorChain<Scalar>, to url: URL) throws {
        try AtomicFile.write(encode(chain), to: url)
    }

    /// The chain in `url` as float64 values (float32 files are converted exactly).
    public static func load(from url: URL) throws -> FactorChain<Double> {
        try load(from: url, as: Double.self)
    }

    /// The chain in `url` with values converted to `Scalar` (float64 files loaded as `Float` are rounded).
    public static func load<Scalar: KernelScalar>(from url: URL, as type: Scalar.Type) throws -> FactorChain<Scalar> {
        let data = try FileInput.read(url)
        return try decode(data, name: url.path, as: type)
    }

    /// The bytes of the file for `chain`.
    public static func encode<Scalar: KernelScalar>(_ chain: FactorChain<Scalar>) -> Data {
        let t = chain.topology
        var out = ByteWriter(reservingCapacity: headerSize + 8 * t.linksPerRow + chain.values.count * MemoryLayout<Scalar>.size + checksumSize)
        out.bytes(magic)
        out.integer(version)
        out.integer(UInt32(MemoryLayout<Scalar>.size == 4 ? 1 : 2))
        out.integer(UInt64(t.size))
        out.integer(UInt64(t.linksPerRow))
        out.integer(UInt64(chain.factorCount))
        out.integer(UInt8(t.offsets.contains(0) ? 1 : 0))
        out.integer(UInt8(t.permutationSeed == nil ? 0 : 1))
        out.bytes([UInt8](repeating: 0, count: 6))
        out.integer(t.permutationSeed ?? 0)
        out.integer(UInt64(t.mergedLinks))
        for o in t.offsets { out.integer(UInt64(o)) }
        out.scalars(chain.values)
        out.integer(crc32(out.data))
        return out.data
    }

    /// The chain in `data`; `name` names it in error messages.
    public static func decode<Scalar: KernelScalar>(_ data: Data, name: String = "factor file", as type: Scalar.Type) throws -> FactorChain<Scalar> {
        let bytes = [UInt8](data)
        func fail(_ message: String) -> SparseFactorError { .io("\(name): \(message)") }
        guard bytes.count >= magic.count, Array(bytes[0..<magic.count]) == magic else {
            throw fail("not a factor file (expected the magic \"SFCHAIN1\" at the start)")
        }
        guard bytes.count >= headerSize + checksumSize else {
            throw fail("truncated: \(bytes.count) bytes, a factor file has at least \(headerSize + checksumSize)")
        }
        let header = ByteReader(bytes: bytes)
        func field<T: FixedWidthInteger & UnsignedInteger>(_ offset: Int, _: T.Type) throws -> UInt64 {
            do { return UInt64(try header.integer(at: offset, as: T.self)) } catch { throw fail("truncated at byte \(offset)") }
        }
        let fileVersion = UInt32(try field(8, UInt32.self))
        guard fileVersion == version else { throw fail("unsupported format version \(fileVersion) (this build reads version \(version))") }
        let dtype = try field(12, UInt32.self)
        guard dtype == 1 || dtype == 2 else { throw fail("unknown value type code \(dtype) (expected 1 = float32 or 2 = float64)") }
        let scalarSize = dtype == 1 ? 4 : 8
        let n = try field(16, UInt64.self), k = try field(24, UInt64.self), m = try field(32, UInt64.self)
        let selfLink = bytes[40], hasSeed = bytes[41]
        guard selfLink <= 1, hasSeed <= 1, bytes[42..<48].allSatisfy({ $0 == 0 }) else { throw fail("corrupt header flags") }
        let seed = try field(48, UInt64.self), merged = try field(56, UInt64.self)
        guard n >= 2, n <= UInt64(Int32.max), k >= 1, k <= n, m >= 1, m <= 4096, merged <= 1 << 20 else {
            throw fail("corrupt header: N = \(n), K = \(k), M = \(m), merged links = \(merged) (expected 2 ≤ N ≤ 2^31 − 1, 1 ≤ K ≤ N, 1 ≤ M ≤ 4096, merged links ≤ 2^20)")
        }
        let (size, links, factors) = (Int(n), Int(k), Int(m))
        let (nk, o1) = size.multipliedReportingOverflow(by: links)
        let (count, o2) = nk.multipliedReportingOverflow(by: factors)
        let (valueBytes, o3) = count.multipliedReportingOverflow(by: scalarSize)
        guard !o1, !o2, !o3 else { throw fail("corrupt header: N·K·M overflows") }
        let valuesStart = headerSize + 8 * links
        let expected = valuesStart + valueBytes + checksumSize
        guard bytes.count == expected else {
            throw fail(bytes.count < expected
                ? "truncated: \(bytes.count) bytes, expected \(expected) for N = \(size), K = \(links), M = \(factors) \(dtype == 1 ? "float32" : "float64")"
                : "\(bytes.count - expected) unexpected bytes after the data (expected \(expected) bytes)")
        }
        let stored = UInt32(try field(expected - checksumSize, UInt32.self))
        let computed = crc32(bytes[0..<(expected - checksumSize)])
        guard stored == computed else {
            throw fail("checksum mismatch (stored \(hex(stored)), computed \(hex(computed))): the file is corrupt")
        }
        var offsets: [Int] = []
        for l in 0..<links {
            let o = try field(headerSize + 8 * l, UInt64.self)
            guard o < n else { throw fail("corrupt offsets: \(o) is not below N = \(n)") }
            offsets.append(Int(o))
        }
        guard Set(offsets).count == offsets.count, offsets.contains(0) == (selfLink == 1) else {
            throw fail("corrupt offsets: they must be distinct, with 0 present exactly when the self-link flag is set")
        }
        // The topology's merged-link count is bookkeeping of how it was requested; re-requesting the first
        // offset `merged` more times reproduces it, so the reloaded topology equals the saved one.
        let requested = offsets + [Int](repeating: offsets[0], count: Int(merged))
        let topology = try ChordTopology(size: size, offsets: requested, selfLink: selfLink == 1,
                                         permutationSeed: hasSeed == 1 ? seed : nil)
        var reader = ByteReader(bytes: bytes, position: valuesStart)
        let values: [Scalar]
        do { values = try reader.scalars(count, width: scalarSize) } catch { throw fail("truncated values") }
        return try FactorChain(topology: topology, factorCount: factors, values: values)
    }

    static func hex(_ v: UInt32) -> String { String(format: "0x%08x", v) }
}
