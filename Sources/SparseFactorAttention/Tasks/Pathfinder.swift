import SparseFactorCore
import SparseFactorIO
import Foundation

/// The Pathfinder task (Linsley et al. 2018, as the Long Range Arena uses it at 32×32): an image holds
/// two contours made of dashes and two circular markers; the label says whether the markers sit on
/// the two ends of the same contour (1) or on different contours (0). Short distractor contours fill
/// the rest. The model reads the image as a sequence of `size²` pixel tokens (id = pixel value,
/// vocabulary 256, row by row; nothing is ever padded).
///
/// The shapes follow the parameters LRA documents for its 32×32 data (its TFDS builder): dashes of 2
/// pixels (`paddle_length`), distractors of a third of the contour's dashes, as many as make 20
/// distractor dashes in all, and dashes drawn at 0.75 of the markers' intensity (`paddle_contrast`), so
/// the markers are the brightest pixels. LRA's anti-aliasing is not copied: the pixels are 0, 191 or 255.
///
/// How an image is drawn, so that the label can be checked from the pixels alone: every contour is an
/// 8-connected pixel path of `dashes × (dashLength + 1)` pixels with every `(dashLength + 1)`-th pixel
/// left out (one-pixel gaps); different contours and distractors keep a Chebyshev distance of at least
/// ``PathfinderOptions/clearance`` from each other, markers included. So two drawn pixels are "linked"
/// when their Chebyshev distance is at most 2 (a gap is bridged, another contour never is), and the
/// markers are joined exactly when linked pixels lead from one to the other.
///
/// ```swift
/// let image = try Pathfinder.image(index: 0, seed: 1)
/// print(image.label, image.pixels.count)          // 0 or 1, 1024
/// try Pathfinder.writePNG(image, to: URL(fileURLWithPath: "pathfinder-0.png"))
/// ```
public enum Pathfinder {
    /// Image `index` of the stream of `seed` (independent of how many are generated).
    public static func image(index: Int, seed: UInt64, options: PathfinderOptions = PathfinderOptions()) throws -> PathfinderImage {
        try options.validate()
        var rng = SeededGenerator(seed: mixSeed(seed, UInt64(truncatingIfNeeded: index)))
        let label = Int(rng.next() & 1)
        // A crowded draw can fail to place its contours; the next attempt continues the same stream.
        for _ in 0..<Self.maxAttempts {
            if let image = try? draw(label: label, options: options, rng: &rng) { return image }
        }
        throw SparseFactorError.invalidArgument(
            "no Pathfinder image of \(options.dashes) dashes fits in \(options.size)×\(options.size) pixels with clearance \(options.clearance) (after \(Self.maxAttempts) attempts); use fewer dashes or a larger image")
    }

    /// `count` images of the stream of `seed` as labelled sequences (N = size², vocabulary 256, 2 classes).
    public static func generate(count: Int, seed: UInt64, options: PathfinderOptions = PathfinderOptions()) throws -> LabelledSequences {
        guard count >= 0 else { throw SparseFactorError.invalidArgument("a dataset size must not be negative, got \(count)") }
        let length = options.size * options.size
        try MemoryBudget.check("\(count) Pathfinder images of \(length) pixels", counts: [count, length], scalarBytes: 2)
        var tokens = [UInt16]()
        tokens.reserveCapacity(count * length)
        var labels = [Int32]()
        labels.reserveCapacity(count)
        for i in 0..<count {
            let image = try image(index: i, seed: seed, options: options)
            tokens += image.pixels.map { UInt16($0) }
            labels.append(Int32(image.label))
        }
        return try LabelledSequences(length: length, vocabulary: 256, classCount: 2, tokens: tokens, labels: labels)
    }

    /// Writes a gray image (pixel values 0–255) as an 8-bit PNG, atomically.
    public static func writePNG(_ image: PathfinderImage, to url: URL) throws {
        try writePNG(pixels: image.pixels, size: image.size, to: url)
    }

    /// Writes `size × size` pixel values (row by row) as an 8-bit gray PNG, atomically.
    public static func writePNG(pixels: [UInt8], size: Int, to url: URL) throws {
        let matrix = try Matrix<Double>(rows: size, columns: size, values: pixels.map(Double.init))
        try PNGWriter.write(matrix, to: url, valueRange: 0...255)
    }

    static let maxAttempts = 64
    /// The markers' intensity (the background is 0).
    public static let markerInk: UInt8 = 255
    /// The dashes' intensity: 0.75 of the markers' (LRA's `paddle_contrast`), rounded down.
    public static let dashInk: UInt8 = 191

    /// One attempt at an image of `label`: two long contours, markers, then distractors.
    static func draw(label: Int, options: PathfinderOptions, rng: inout SeededGenerator) throws -> PathfinderImage {
        var canvas = PathfinderCanvas(size: options.size, clearance: options.clearance)
        let pathLength = options.dashes * (options.dashLength + 1)
        guard let first = canvas.placeContour(length: pathLength, options: options, rng: &rng) else { throw Retry() }
        // The markers go on first's two ends (joined) or on one end of first and one of second (not joined);
        // they are reserved before the second contour so that it keeps its distance from them too.
        let markerA = first[0]
        canvas.reserve(marker: markerA, owner: 1)
        if label == 1 { canvas.reserve(marker: first[first.count - 1], owner: 1) }
        guard let second = canvas.placeContour(length: pathLength, options: options, rng: &rng) else { throw Retry() }
        let markerB = label == 1 ? first[first.count - 1] : second[second.count - 1]
        if label == 0 {
            guard canvas.markerFits(markerB, for: 2) else { throw Retry() }   // its disc must not come near the first contour
            canvas.reserve(marker: markerB, owner: 2)
        }
        for _ in 0..<options.distractors {
            _ = canvas.placeContour(length: options.distractorDashes * (options.dashLength + 1), options: options, rng: &rng)
        }
        var pixels = [UInt8](repeating: 0, count: options.size * options.size)
        for path in canvas.contours {
            for (i, p) in path.enumerated() where (i + 1) % (options.dashLength + 1) != 0 {
                pixels[p.y * options.size + p.x] = dashInk
            }
        }
        for marker in [markerA, markerB] {
            for p in PathfinderCanvas.disc(around: marker, size: options.size) { pixels[p.y * options.size + p.x] = markerInk }
        }
        return PathfinderImage(size: options.size, pixels: pixels, label: label, markers: [markerA, markerB])
    }

    private struct Retry: Error {}
}

/// The shape of Pathfinder images.
public struct PathfinderOptions: Equatable, Sendable {
    /// Width and height in pixels (LRA: 32).
    public var size = 32
    /// Dashes per contour: the difficulty (LRA's hard setting is 14; the easier ones 6 and 9).
    public var dashes = 14
    /// Pixels per dash (LRA: 2); dashes are separated by one-pixel gaps.
    public var dashLength = 2
    /// Dashes per distractor contour (LRA: a third of `dashes`, at least 1).
    public var distractorDashes = 4
    /// Distractor contours, placed where they fit (LRA: 20 distractor dashes in all, `20 / distractorDashes`).
    public var distractors = 5
    /// The largest turn of a contour's direction per pixel, in radians (its curvature).
    public var maxTurn = Double.pi / 8
    /// The least Chebyshev distance between pixels of different contours, markers included (≥ 3: a gap
    /// of one pixel is bridged at distance 2, another contour must be farther).
    public var clearance = 3

    /// LRA's shapes for contours of `dashes` dashes: the distractors follow from it (14 dashes: 5
    /// distractors of 4; 9: 6 of 3; 6: 10 of 2).
    public init(dashes: Int = 14) {
        self.dashes = dashes
        distractorDashes = max(dashes / 3, 1)
        distractors = min(20 / distractorDashes, 32)
    }

    /// Refuses shapes that cannot be drawn, naming the field.
    public func validate() throws {
        guard (8...256).contains(size) else { throw SparseFactorError.invalidArgument("a Pathfinder image is 8…256 pixels wide, got \(size)") }
        guard (1...64).contains(dashes) else { throw SparseFactorError.invalidArgument("a Pathfinder contour has 1…64 dashes, got \(dashes)") }
        guard (1...8).contains(dashLength) else { throw SparseFactorError.invalidArgument("a Pathfinder dash is 1…8 pixels long, got \(dashLength)") }
        guard (0...32).contains(distractors) else { throw SparseFactorError.invalidArgument("Pathfinder takes 0…32 distractors, got \(distractors)") }
        guard (1...64).contains(distractorDashes) else {
            throw SparseFactorError.invalidArgument("a Pathfinder distractor has 1…64 dashes, got \(distractorDashes)")
        }
        guard maxTurn.isFinite, maxTurn >= 0, maxTurn <= Double.pi else {
            throw SparseFactorError.invalidArgument("a Pathfinder contour's turn per pixel must be in [0, π], got \(maxTurn)")
        }
        guard (3...16).contains(clearance) else { throw SparseFactorError.invalidArgument("the Pathfinder clearance must be 3…16 pixels, got \(clearance)") }
    }
}

/// One Pathfinder image.
public struct PathfinderImage: Equatable, Sendable {
    /// Width and height.
    public var size: Int
    /// `size²` pixel values (0 background, ``Pathfinder/dashInk`` dashes, ``Pathfinder/markerInk`` markers), row by row.
    public var pixels: [UInt8]
    /// 1: the markers are on the same contour; 0: on different ones.
    public var label: Int
    /// The two markers' centres (x = column, y = row).
    public var markers: [PathfinderPoint]
}

/// A pixel position: x is the column, y the row.
public struct PathfinderPoint: Equatable, Hashable, Sendable {
    public var x: Int
    public var y: Int
    public init(x: Int, y: Int) { self.x = x; self.y = y }
}
