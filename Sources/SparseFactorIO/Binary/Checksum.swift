import CZlib
import Foundation

/// CRC-32 (IEEE 802.3, as in gzip and PNG) of `bytes`, from zlib: the one checksum of the
/// package's binary files (factor files and checkpoints).
package func crc32<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
    var crc: UInt = 0
    let update = { (buffer: UnsafeRawBufferPointer) in
        var rest = buffer
        while !rest.isEmpty {
            let chunk = min(rest.count, Int(UInt32.max))
            crc = CZlib.crc32(crc, rest.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt32(chunk))
            rest = UnsafeRawBufferPointer(rebasing: rest[chunk...])
        }
    }
    if bytes.withContiguousStorageIfAvailable({ update(UnsafeRawBufferPointer($0)) }) == nil {
        Array(bytes).withUnsafeBytes(update)
    }
    return UInt32(truncatingIfNeeded: crc)
}
