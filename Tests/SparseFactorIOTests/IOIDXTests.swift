import Foundation
import Testing
import SparseFactorIO
import SparseFactorCore

/// An IDX file: magic 00 00, dtype, rank, big-endian sizes, then `payload`.
private func idx(dtype: UInt8 = 0x08, sizes: [UInt32], payload: [UInt8]) -> Data {
    var out: [UInt8] = [0, 0, dtype, UInt8(sizes.count)]
    for s in sizes { out += [UInt8(s >> 24), UInt8((s >> 16) & 0xFF), UInt8((s >> 8) & 0xFF), UInt8(s & 0xFF)] }
    return Data(out + payload)
}

private func message(_ body: () throws -> Any) -> String {
    do { _ = try body(); return "no error" } catch { return "\(error)" }
}

@Suite struct IOIDXTests {
    let scratch: IOScratch
    init() throws { scratch = try IOScratch() }

    @Test func readsBigEndianSizesAndValues() throws {
        // 2×3×260: a size above 255 shows the sizes are read big-endian (260 = 00 00 01 04).
        let payload = (0..<(2 * 3 * 260)).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let a = try IDXReader.read(url: scratch.file("a-idx3-ubyte", idx(sizes: [2, 3, 260], payload: payload)))
        #expect(a.dimensions == [2, 3, 260])
        #expect(a.values == payload)
        #expect(Array(idx(sizes: [260], payload: []).prefix(8)) == [0, 0, 8, 1, 0, 0, 1, 4])
        let labels = try IDXReader.read(data: idx(sizes: [4], payload: [9, 0, 3, 255]))
        #expect(labels.dimensions == [4] && labels.values == [9, 0, 3, 255])
    }

    @Test func readsGzippedFiles() throws {
        let payload: [UInt8] = [1, 2, 3, 4, 5, 6]
        let url = try scratch.file("b-idx2-ubyte.gz", gzipCompressed(idx(sizes: [3, 2], payload: payload)))
        let a = try IDXReader.read(url: url)
        #expect(a.dimensions == [3, 2] && a.values == payload)
    }

    @Test func refusesMalformedFilesWithTheirNameAndWhatWasExpected() throws {
        let bad = try scratch.file("magic", Data([0x1F, 0x00, 8, 1, 0, 0, 0, 1, 5]))
        #expect(message { try IDXReader.read(url: bad) } == "I/O error: \(bad.path): not an IDX file (expected the magic bytes 00 00, got 1f 00)")
        let int32 = try scratch.file("int32", idx(dtype: 0x0C, sizes: [1], payload: [0, 0, 0, 1]))
        #expect(message { try IDXReader.read(url: int32) } == "I/O error: \(int32.path): unsupported IDX dtype int32 (0x0C); expected unsigned byte (0x08)")
        #expect(message { try IDXReader.read(data: idx(dtype: 0x42, sizes: [1], payload: [0]), name: "x") } == "I/O error: x: unsupported IDX dtype unknown dtype byte 0x42; expected unsigned byte (0x08)")
        let short = try scratch.file("short", idx(sizes: [2, 3], payload: [1, 2, 3, 4]))
        #expect(message { try IDXReader.read(url: short) } == "I/O error: \(short.path): truncated IDX file: a 2×3 array of unsigned bytes needs 6 data bytes, the file has 4")
        #expect(message { try IDXReader.read(data: Data(idx(sizes: [2, 3], payload: []).prefix(9)), name: "h") } == "I/O error: h: truncated IDX file: 2 dimension sizes need a 12-byte header, the file has 9 bytes")
        #expect(message { try IDXReader.read(data: Data([0, 0]), name: "m") } == "I/O error: m: truncated IDX file: the 4-byte magic number needs 4 bytes, the file has 2")
        #expect(message { try IDXReader.read(data: idx(sizes: [], payload: []), name: "r") } == "I/O error: r: an IDX array needs at least 1 dimension, the header says 0")
        #expect(message { try IDXReader.read(data: idx(sizes: [2], payload: [1, 2, 3]), name: "t") } == "I/O error: t: 1 unexpected bytes after the 2 array (expected a file of 10 bytes)")
        // Sizes whose product overflows Int, and sizes that fit Int but not in memory.
        let huge: [UInt32] = [UInt32.max, UInt32.max, UInt32.max]
        #expect(message { try IDXReader.read(data: idx(sizes: huge, payload: []), name: "o") } == "too large: o: the IDX sizes 4294967295×4294967295×4294967295 multiply past what can be counted")
        #expect(message { try IDXReader.read(data: idx(sizes: [65535, 65535, 65535], payload: []), name: "big") }.hasPrefix("too large: big: a 65535×65535×65535 IDX array needs about 256.0 TiB, over the limit"))
    }

    @Test func aGzipBombIsStoppedAtTheSizeItsHeaderAnnounces() throws {
        // The header announces 10 bytes, then 8 MiB of zeros follow: refused without inflating them all.
        let bomb = try scratch.file("bomb.gz", gzipCompressed(idx(sizes: [10], payload: [UInt8](repeating: 0, count: 8 << 20))))
        #expect(try Data(contentsOf: bomb).count < 100_000)
        #expect(message { try IDXReader.read(url: bomb) } == "too large: \(bomb.path): the compressed data inflates past the 18 bytes its own header announces (corrupt, or a decompression bomb)")
        // A gzip stream that stops early.
        let whole = gzipCompressed(idx(sizes: [300], payload: (0..<300).map { UInt8($0 % 251) }))
        let cut = try scratch.file("cut.gz", whole.prefix(whole.count - 12))
        #expect(message { try IDXReader.read(url: cut) }.contains("truncated"))
    }

    @Test func uint8NpyRoundTripAndLayout() throws {
        let m = try ByteMatrix(rows: 2, columns: 3, values: [0, 1, 255, 7, 8, 9])
        let url = scratch.url("u1.npy")
        try NpyWriter.write(m, to: url)
        let bytes = [UInt8](try Data(contentsOf: url))
        // The layout numpy reads: magic, version 1.0, header length, the header, data from a 64-byte boundary.
        #expect(Array(bytes.prefix(8)) == [0x93] + Array("NUMPY".utf8) + [1, 0])
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        #expect((10 + headerLength) % 64 == 0)
        let header = String(decoding: bytes[10..<(10 + headerLength)], as: UTF8.self)
        #expect(header.hasPrefix("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3), }") && header.hasSuffix("\n"))
        #expect(Array(bytes[(10 + headerLength)...]) == [0, 1, 255, 7, 8, 9])
        #expect(try NpyReader.readBytes(url: url) == m)
        // The general reader agrees on the values.
        #expect(try NpyReader.read(url: url).values == [0, 1, 255, 7, 8, 9])
        // Other dtypes go to the general reader.
        let f8 = scratch.url("f8.npy")
        try NpyWriter.write(try Matrix<Double>(rows: 1, columns: 1, values: [1]), to: f8)
        #expect(message { try NpyReader.readBytes(url: f8) } == "I/O error: \(f8.path): expected a uint8 ('|u1') array, got float64 ('<f8')")
    }

    @Test func labelledImageFilesRoundTrip() throws {
        let images = try LabelledImages(side: 2, labels: [3, 9], pixels: [10, 20, 30, 40, 50, 60, 70, 80])
        let url = scratch.url("images.npy")
        try LabelledImageFile.write(images, to: url)
        // Column 0 is the label, then the pixels row by row.
        let m = try NpyReader.readBytes(url: url)
        #expect(m.rows == 2 && m.columns == 5)
        #expect(m.values == [3, 10, 20, 30, 40, 9, 50, 60, 70, 80])
        #expect(try LabelledImageFile.read(url: url) == images)
        let notSquare = scratch.url("bad.npy")
        try NpyWriter.write(try ByteMatrix(rows: 1, columns: 4, values: [1, 2, 3, 4]), to: notSquare)
        #expect(message { try LabelledImageFile.read(url: notSquare) } == "shape mismatch: expected \(notSquare.path): 1 label column + side·side pixel columns, got 4 columns (3 is not a square)")
        let fromIDX = try LabelledImages(images: IDXArray(dimensions: [2, 2, 2], values: images.pixels), labels: IDXArray(dimensions: [2], values: [3, 9]))
        #expect(fromIDX == images)
        #expect(message { try LabelledImages(images: IDXArray(dimensions: [2, 2, 2], values: images.pixels), labels: IDXArray(dimensions: [3], values: [3, 9, 1])) } == "shape mismatch: expected IDX images: 2 labels (one dimension), got 3")
    }
}
