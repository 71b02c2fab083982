import CLibPNG
import Foundation
import SparseFactorIO
import SparseFactorCore
import SparseFactorTestSupport
import Testing

@Suite struct IOPNGTests {
    let scratch: IOScratch
    init() throws { scratch = try IOScratch() }

    /// A PNG written by libpng's simplified API directly (independent of PNGWriter).
    func libpngFile(width: Int, height: Int, format: UInt32, pixels: [UInt8]) throws -> Data {
        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        image.width = png_uint_32(width)
        image.height = png_uint_32(height)
        image.format = format
        var size = 0
        let channels = pixels.count / (width * height)
        let stride = png_int_32(width * channels)
        let ok1 = pixels.withUnsafeBytes { png_image_write_to_memory(&image, nil, &size, 0, $0.baseAddress, stride, nil) }
        #expect(ok1 != 0)
        var out = [UInt8](repeating: 0, count: size)
        let ok2 = out.withUnsafeMutableBytes { buffer in
            pixels.withUnsafeBytes { png_image_write_to_memory(&image, buffer.baseAddress, &size, 0, $0.baseAddress, stride, nil) }
        }
        #expect(ok2 != 0)
        return Data(out.prefix(size))
    }

    @Test func grayPNGFromLibpngReadsLevelsOver255() throws {
        // 2 rows × 3 columns, non-square.
        let url = try scratch.file("g.png", libpngFile(width: 3, height: 2, format: png_uint_32(PNG_FORMAT_GRAY), pixels: [0, 51, 255, 102, 204, 1]))
        let m = try PNGReader.read(url: url)
        #expect(m.rows == 2 && m.columns == 3)
        #expect(m.values == [0, 51, 255, 102, 204, 1].map { Double($0) / 255 })
    }

    @Test func colourIsConvertedToGrayByLuminance() throws {
        // Gray pixels keep their level; pure red, green, blue get BT.709 luminance in linear light, sRGB-encoded.
        let pixels: [UInt8] = [128, 128, 128, 255, 0, 0, 0, 255, 0, 0, 0, 255]
        let m = try PNGReader.read(url: scratch.file("c.png", libpngFile(width: 4, height: 1, format: png_uint_32(PNG_FORMAT_RGB), pixels: pixels)))
        func srgbEncode(_ y: Double) -> Double { y <= 0.0031308 ? 12.92 * y : 1.055 * pow(y, 1 / 2.4) - 0.055 }
        let expected = [128.0 / 255, srgbEncode(0.2126), srgbEncode(0.7152), srgbEncode(0.0722)]
        for (got, want) in zip(m.values, expected) { #expect(abs(got - want) <= 2.0 / 255, "\(got) vs \(want)") }
        #expect(m[0, 2] > m[0, 1] && m[0, 1] > m[0, 3])
    }

    @Test func alphaIsCompositedOntoBlack() throws {
        // Gray+alpha: an opaque 200, a fully transparent 200.
        let m = try PNGReader.read(url: scratch.file("a.png", libpngFile(width: 2, height: 1, format: png_uint_32(PNG_FORMAT_GA), pixels: [200, 255, 200, 0])))
        #expect(abs(m[0, 0] - 200.0 / 255) <= 1.0 / 255)
        #expect(m[0, 1] == 0)
    }

    @Test func writerRoundTrips8And16Bit() throws {
        let levels8: [Double] = [0, 1, 2, 128, 254, 255]
        let m8 = try Matrix<Double>(rows: 2, columns: 3, values: levels8.map { $0 / 255 })
        let url8 = scratch.url("w8.png")
        try PNGWriter.write(m8, to: url8)
        #expect(try PNGReader.read(url: url8) == m8)

        let levels16: [Double] = [0, 1, 300, 32768, 65534, 65535]
        let m16 = try Matrix<Double>(rows: 3, columns: 2, values: levels16.map { $0 / 65535 })
        let url16 = scratch.url("w16.png")
        try PNGWriter.write(m16, to: url16, bitDepth: 16)
        #expect(try PNGReader.read(url: url16) == m16)

        // Auto range maps min…max to 0…1; values outside a given range are clamped.
        let raw = try Matrix<Double>(rows: 1, columns: 3, values: [-4, 1, 6])
        try PNGWriter.write(raw, to: url8, valueRange: nil)
        #expect(try PNGReader.read(url: url8).values == [0, 128.0 / 255, 1])
        try PNGWriter.write(raw, to: url8, valueRange: 0...2)
        #expect(try PNGReader.read(url: url8).values == [0, 128.0 / 255, 1])
        #expect(errorMessage { try PNGWriter.write(raw, to: url8, bitDepth: 12) }.contains("8 or 16"))
    }

    @Test func refusesCorruptAndTruncatedPNG() throws {
        let good = try libpngFile(width: 16, height: 16, format: png_uint_32(PNG_FORMAT_GRAY), pixels: (0..<256).map { UInt8($0) })
        let truncated = try scratch.file("t.png", good.prefix(good.count / 2))
        #expect(errorMessage { try PNGReader.read(url: truncated) }.contains("I/O error"))
        var corrupt = [UInt8](good)
        corrupt[good.count - 30] ^= 0xFF    // inside the image data: the zlib or CRC check fails
        let bad = try scratch.file("c.png", Data(corrupt))
        #expect(errorMessage { try PNGReader.read(url: bad) }.contains("I/O error"))
        #expect(errorMessage { try PNGReader.read(url: scratch.file("n.png", "not a png at all")) }.contains("PNG signature"))
        #expect(errorMessage { try PNGReader.read(url: scratch.file("h.png", good.prefix(12))) }.contains("I/O error"))
    }
}
