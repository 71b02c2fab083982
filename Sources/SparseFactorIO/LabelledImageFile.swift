import SparseFactorCore
import Foundation

/// Labelled square grey images in one `.npy` file: a `uint8` array of shape
/// `[count, 1 + side·side]` whose column 0 is each image's label and whose other columns are its
/// pixels, row by row. It is what `scripts/fetch-data.sh` writes for Fashion-MNIST
/// (`data/fashion-mnist/train.npy`, `test.npy`).
///
/// ```swift
/// let images = try LabelledImageFile.read(url: URL(fileURLWithPath: "data/fashion-mnist/test.npy"))
/// print(images.count, images.side)   // 10000 28
/// ```
public struct LabelledImages: Equatable, Sendable {
    /// The width and height of every image.
    public let side: Int
    /// One label per image.
    public let labels: [UInt8]
    /// count · side · side pixels, image after image, each row by row.
    public let pixels: [UInt8]

    /// The number of images.
    public var count: Int { labels.count }

    /// Checks that `pixels` holds `labels.count` images of side × side pixels.
    ///
    /// ```swift
    /// let two = try LabelledImages(side: 1, labels: [0, 1], pixels: [10, 200])
    /// ```
    public init(side: Int, labels: [UInt8], pixels: [UInt8]) throws {
        guard side >= 1 else { throw SparseFactorError.invalidArgument("an image side must be at least 1, got \(side)") }
        guard let count = IDXReader.elementCount([labels.count, side, side]), count == pixels.count else {
            throw SparseFactorError.shapeMismatch(expected: "\(labels.count) images × \(side)×\(side) pixels", got: "\(pixels.count) pixels")
        }
        self.side = side
        self.labels = labels
        self.pixels = pixels
    }

    /// An IDX image file (`count × side × side`) and its IDX label file (`count`), as the MNIST
    /// family ships them; `name` names them in error messages.
    ///
    /// ```swift
    /// let train = try LabelledImages(images: try IDXReader.read(url: imagesURL), labels: try IDXReader.read(url: labelsURL))
    /// ```
    public init(images: IDXArray, labels: IDXArray, name: String = "IDX images") throws {
        let d = images.dimensions
        guard d.count == 3, d[1] == d[2], d[1] >= 1 else {
            throw SparseFactorError.shapeMismatch(expected: "\(name): images of shape count×side×side", got: d.map(String.init).joined(separator: "×"))
        }
        guard labels.dimensions == [d[0]] else {
            throw SparseFactorError.shapeMismatch(expected: "\(name): \(d[0]) labels (one dimension)", got: labels.dimensions.map(String.init).joined(separator: "×"))
        }
        try self.init(side: d[1], labels: labels.values, pixels: images.values)
    }
}

/// Reads and writes ``LabelledImages`` as a `uint8` `.npy` file of shape `[count, 1 + side·side]`.
///
/// ```swift
/// try LabelledImageFile.write(images, to: URL(fileURLWithPath: "train.npy"))
/// let back = try LabelledImageFile.read(url: URL(fileURLWithPath: "train.npy"))
/// ```
public enum LabelledImageFile {
    /// The images in `url`; a file whose column count is not 1 + a square is refused.
    public static func read(url: URL) throws -> LabelledImages {
        try images(NpyReader.readBytes(url: url), name: url.path)
    }

    /// The images in the `.npy` bytes `data`; `name` names it in error messages.
    public static func read(data: Data, name: String = "labelled image data") throws -> LabelledImages {
        try images(NpyReader.readBytes(data: data, name: name), name: name)
    }

    /// Writes `images` atomically.
    public static func write(_ images: LabelledImages, to url: URL) throws {
        try NpyWriter.write(matrix(images), to: url)
    }

    /// The `[count, 1 + side·side]` byte matrix of `images`.
    public static func matrix(_ images: LabelledImages) throws -> ByteMatrix {
        let area = images.side * images.side
        var values = [UInt8]()
        values.reserveCapacity(images.count * (1 + area))
        for i in 0..<images.count {
            values.append(images.labels[i])
            values.append(contentsOf: images.pixels[(i * area)..<((i + 1) * area)])
        }
        return try ByteMatrix(rows: images.count, columns: 1 + area, values: values)
    }

    static func images(_ m: ByteMatrix, name: String) throws -> LabelledImages {
        let area = m.columns - 1
        let side = Int(Double(area).squareRoot().rounded())
        guard area >= 1, side * side == area else {
            throw SparseFactorError.shapeMismatch(expected: "\(name): 1 label column + side·side pixel columns", got: "\(m.columns) columns (\(area) is not a square)")
        }
        var labels = [UInt8](), pixels = [UInt8]()
        labels.reserveCapacity(m.rows)
        pixels.reserveCapacity(m.rows * area)
        for r in 0..<m.rows {
            labels.append(m.values[r * m.columns])
            pixels.append(contentsOf: m.values[(r * m.columns + 1)..<((r + 1) * m.columns)])
        }
        return try LabelledImages(side: side, labels: labels, pixels: pixels)
    }
}
