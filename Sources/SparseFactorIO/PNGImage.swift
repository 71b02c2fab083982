import SparseFactorCore
import CLibPNG
import Foundation

/// libpng's PNG_FORMAT_GRAY (8-bit, sRGB) and PNG_FORMAT_LINEAR_Y (16-bit, linear) simplified formats.
private let gray8 = png_uint_32(PNG_FORMAT_GRAY)
private let linearGray = png_uint_32(PNG_FORMAT_FLAG_LINEAR)

/// Reads PNG images as grayscale matrices through libpng's simplified API.
///
/// Gray images are read as they are; colour (and palette) images are converted to gray by libpng
/// (ITU-R BT.709 weights, in linear light); an alpha channel is removed by compositing onto black.
/// 8-bit (and lower) images give values `v / 255`, 16-bit images `v / 65535`, so every entry is in
/// `[0, 1]`. Entry `(r, c)` is the pixel in row `r` from the top, column `c` from the left.
///
/// ```swift
/// let image = try PNGReader.read(url: URL(fileURLWithPath: "camera.png"))   // 512×512, values in [0, 1]
/// ```
public enum PNGReader {
    /// The grayscale image in `url` (gzip-compressed files are accepted too).
    public static func read(url: URL) throws -> Matrix<Double> {
        try read(data: FileInput.bytes(url), name: url.path)
    }

    /// The grayscale image in `data`; `name` names it in error messages.
    public static func read(data: Data, name: String = "PNG data") throws -> Matrix<Double> {
        let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        guard data.count >= 8, data.prefix(8).elementsEqual(signature) else {
            throw SparseFactorError.io("\(name): not a PNG file (the 8-byte PNG signature is missing)")
        }
        let bytes = [UInt8](data)
        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        // The input must stay alive from begin_read to finish_read: both happen inside this closure.
        return try bytes.withUnsafeBytes { raw -> Matrix<Double> in
            guard png_image_begin_read_from_memory(&image, raw.baseAddress, raw.count) != 0 else {
                defer { png_image_free(&image) }
                throw SparseFactorError.io("\(name): not a readable PNG (\(message(of: image)))")
            }
            let sixteenBit = image.format & png_uint_32(PNG_FORMAT_FLAG_LINEAR) != 0
            image.format = sixteenBit ? linearGray : gray8
            let width = Int(image.width), height = Int(image.height)
            do { try checkDenseAllocation(rows: height, columns: width, what: name) } catch {
                png_image_free(&image)
                throw error
            }
            guard width > 0, height > 0 else {
                png_image_free(&image)
                throw SparseFactorError.io("\(name): the image is empty (\(width)×\(height))")
            }
            var values = [Double](repeating: 0, count: width * height)
            if sixteenBit {
                var pixels = [UInt16](repeating: 0, count: width * height)
                let ok = pixels.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, png_int_32(width), nil) }
                guard ok != 0 else { throw SparseFactorError.io("\(name): corrupt or truncated PNG data (\(message(of: image)))") }
                for k in 0..<values.count { values[k] = Double(pixels[k]) / 65535 }
            } else {
                var pixels = [UInt8](repeating: 0, count: width * height)
                let ok = pixels.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, png_int_32(width), nil) }
                guard ok != 0 else { throw SparseFactorError.io("\(name): corrupt or truncated PNG data (\(message(of: image)))") }
                for k in 0..<values.count { values[k] = Double(pixels[k]) / 255 }
            }
            return try Matrix(rows: height, columns: width, values: values)
        }
    }

    /// libpng's message for the last failure (a NUL-terminated char[64] inside the struct).
    static func message(of image: png_image) -> String {
        withUnsafeBytes(of: image.message) { raw in
            let text = String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            return text.isEmpty ? "libpng gave no reason" : text
        }
    }
}

/// Writes a matrix as a grayscale PNG (for looking at results), atomically.
///
/// Values are mapped linearly from `valueRange` to black…white and clamped; with `valueRange: nil`
/// the matrix's own minimum and maximum are used. 8-bit files are sRGB-encoded as libpng's simplified
/// API defines them; 16-bit files are linear with a gAMA chunk. Reading either back with
/// ``PNGReader`` gives the written levels exactly.
///
/// ```swift
/// try PNGWriter.write(approximation, to: URL(fileURLWithPath: "approx.png"), valueRange: nil)
/// ```
public enum PNGWriter {
    /// Writes `matrix` to `url` as a gray PNG of 8 or 16 bits per pixel.
    public static func write(_ matrix: Matrix<Double>, to url: URL, valueRange: ClosedRange<Double>? = 0...1, bitDepth: Int = 8) throws {
        try AtomicFile.write(encode(matrix, valueRange: valueRange, bitDepth: bitDepth), to: url)
    }

    /// The PNG bytes of `matrix` (see ``write(_:to:valueRange:bitDepth:)``).
    public static func encode(_ matrix: Matrix<Double>, valueRange: ClosedRange<Double>? = 0...1, bitDepth: Int = 8) throws -> Data {
        guard bitDepth == 8 || bitDepth == 16 else { throw SparseFactorError.invalidArgument("a PNG bit depth must be 8 or 16, got \(bitDepth)") }
        guard matrix.isFinite else { throw SparseFactorError.nonFinite("cannot write an image with NaN or infinite entries") }
        guard matrix.rows <= Int(Int32.max) / 2, matrix.columns <= Int(Int32.max) / 2 else {
            throw SparseFactorError.tooLarge("a \(matrix.rows)×\(matrix.columns) image is too large for PNG")
        }
        let low = valueRange?.lowerBound ?? (matrix.values.min() ?? 0)
        let high = valueRange?.upperBound ?? (matrix.values.max() ?? 1)
        let span = high > low ? high - low : 1
        let top = bitDepth == 8 ? 255.0 : 65535.0
        let levels = matrix.values.map { v in (min(max((v - low) / span, 0), 1) * top).rounded() }

        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        image.width = png_uint_32(matrix.columns)
        image.height = png_uint_32(matrix.rows)
        image.format = bitDepth == 8 ? gray8 : linearGray
        func run(_ pixels: UnsafeRawPointer, _ out: UnsafeMutableRawPointer?, _ size: inout Int) -> Int32 {
            png_image_write_to_memory(&image, out, &size, 0, pixels, png_int_32(matrix.columns), nil)
        }
        let result: Data
        if bitDepth == 8 {
            let pixels = levels.map { UInt8($0) }
            result = try pixels.withUnsafeBytes { try writeTwice($0.baseAddress!, run: run) }
        } else {
            let pixels = levels.map { UInt16($0) }
            result = try pixels.withUnsafeBytes { try writeTwice($0.baseAddress!, run: run) }
        }
        return result
    }

    /// libpng's write-to-memory protocol: a first call with no buffer gives the size, the second writes.
    static func writeTwice(_ pixels: UnsafeRawPointer,
                           run: (UnsafeRawPointer, UnsafeMutableRawPointer?, inout Int) -> Int32) throws -> Data {
        var size = 0
        guard run(pixels, nil, &size) != 0, size > 0 else { throw SparseFactorError.io("libpng could not encode the image") }
        var out = [UInt8](repeating: 0, count: size)
        let ok = out.withUnsafeMutableBytes { run(pixels, $0.baseAddress, &size) }
        guard ok != 0 else { throw SparseFactorError.io("libpng could not encode the image") }
        return Data(out.prefix(size))
    }
}
