import Foundation
@testable import SparseFactorAttention
import SparseFactorCore
import SparseFactorIO
import Testing

/// Pathfinder's generator against a connectivity check written here from the pixels alone: ink pixels
/// within Chebyshev distance 2 are linked (one-pixel gaps between dashes are bridged), and an image is
/// positive exactly when linked pixels lead from one marker to the other.
@Suite struct PathfinderTests {
    /// Whether ink pixels link marker `a` to marker `b` (breadth-first search, radius 2).
    func joined(_ image: PathfinderImage) -> Bool {
        let n = image.size
        var seen = [Bool](repeating: false, count: n * n)
        let (a, b) = (image.markers[0], image.markers[1])
        var queue = [a.y * n + a.x]
        seen[queue[0]] = true
        var head = 0
        while head < queue.count {
            let (x, y) = (queue[head] % n, queue[head] / n)
            head += 1
            if x == b.x && y == b.y { return true }
            for dy in -2...2 {
                for dx in -2...2 {
                    let (u, v) = (x + dx, y + dy)
                    guard (0..<n).contains(u), (0..<n).contains(v), image.pixels[v * n + u] > 0, !seen[v * n + u] else { continue }
                    seen[v * n + u] = true
                    queue.append(v * n + u)
                }
            }
        }
        return false
    }

    /// The centres of the plus-shaped discs of pixels at 255, and nil if some 255 pixel belongs to no such disc.
    func markerCentres(_ image: PathfinderImage) -> Set<PathfinderPoint>? {
        let n = image.size
        func bright(_ x: Int, _ y: Int) -> Bool { (0..<n).contains(x) && (0..<n).contains(y) && image.pixels[y * n + x] == 255 }
        let plus = [(0, 0), (1, 0), (-1, 0), (0, 1), (0, -1)]
        var centres = Set<PathfinderPoint>()
        for y in 0..<n { for x in 0..<n where plus.allSatisfy({ bright(x + $0.0, y + $0.1) }) { centres.insert(PathfinderPoint(x: x, y: y)) } }
        var covered = Set<PathfinderPoint>()
        for c in centres { for d in plus { covered.insert(PathfinderPoint(x: c.x + d.0, y: c.y + d.1)) } }
        for y in 0..<n { for x in 0..<n where bright(x, y) && !covered.contains(PathfinderPoint(x: x, y: y)) { return nil } }
        return centres
    }

    /// LRA's 32×32 parameters (its TFDS builder's docstring): 2-pixel dashes, distractors of
    /// `dashes / 3` dashes, `20 / (dashes / 3)` of them; counted here from the drawn dash pixels.
    @Test(arguments: [6, 9, 14])
    func theDashInkIsTheContoursAndDistractorsOfLRAsShapes(dashes: Int) throws {
        let perDistractor = dashes / 3
        let most = 2 * dashes * 2 + (20 / perDistractor) * perDistractor * 2
        var total = 0
        for i in 0..<40 {
            let image = try Pathfinder.image(index: i, seed: 8, options: PathfinderOptions(dashes: dashes))
            let dashInk = image.pixels.filter { $0 == 191 }.count
            // The markers' discs cover at most 3 pixels of each contour's end; distractors that do not fit are left out.
            #expect(dashInk >= 2 * dashes * 2 - 6 && dashInk <= most, "image \(i): \(dashInk) dash pixels")
            total += dashInk
        }
        #expect(total > 40 * (2 * dashes * 2 + perDistractor * 2 * (20 / perDistractor) / 2))   // most distractors fit
    }

    @Test(arguments: [6, 9, 14])
    func everyLabelMatchesTheConnectivityOfItsPixels(dashes: Int) throws {
        var positives = 0
        for i in 0..<150 {
            let image = try Pathfinder.image(index: i, seed: 5, options: PathfinderOptions(dashes: dashes))
            #expect(image.pixels.count == 1024 && image.size == 32)
            // The markers are found from the pixels: the only full-intensity pixels are their two discs.
            #expect(markerCentres(image) == Set(image.markers), "image \(i) with \(dashes) dashes")
            #expect(image.pixels.allSatisfy { [0, 191, 255].contains($0) })
            #expect(joined(image) == (image.label == 1), "image \(i) with \(dashes) dashes: label \(image.label)")
            positives += image.label
        }
        #expect((55...95).contains(positives), "\(positives) positives of 150")   // about half (binomial, ±3.3σ)
    }

    @Test func theImagesHaveGapsAndMoreInkForLongerContours() throws {
        func ink(_ dashes: Int) throws -> Int {
            try (0..<40).map { try Pathfinder.image(index: $0, seed: 2, options: PathfinderOptions(dashes: dashes)).pixels.filter { $0 > 0 }.count }
                .reduce(0, +)
        }
        #expect(try ink(14) > ink(6))
        // Dashes are not one solid stroke: some ink pixel has no ink among its 8 neighbours on one side of a gap.
        let image = try Pathfinder.image(index: 3, seed: 2)
        let inkCount = image.pixels.filter { $0 > 0 }.count
        #expect(inkCount > 2 * 14 * 2 && inkCount < 1024 / 4)
    }

    @Test func sameSeedSameImagesWhateverTheCount() throws {
        let a = try Pathfinder.generate(count: 6, seed: 9)
        let b = try Pathfinder.generate(count: 3, seed: 9)
        #expect(Array(a.tokens.prefix(3 * 1024)) == b.tokens && Array(a.labels.prefix(3)) == b.labels)
        #expect(a.length == 1024 && a.vocabulary == 256 && a.classCount == 2)
        #expect(try Pathfinder.generate(count: 3, seed: 10).tokens != b.tokens)
    }

    @Test func pngOutputDecodesToTheSamePixels() throws {
        let image = try Pathfinder.image(index: 1, seed: 4)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("pathfinder-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).png")
        defer { try? FileManager.default.removeItem(at: url) }
        try Pathfinder.writePNG(image, to: url)
        let decoded = try PNGReader.read(url: url)
        #expect(decoded.rows == 32 && decoded.columns == 32)
        #expect(decoded.values.map { UInt8(($0 * 255).rounded()) } == image.pixels)
    }

    @Test func badShapesAreRefused() {
        var options = PathfinderOptions(dashes: 0)
        #expect(throws: SparseFactorError.self) { try Pathfinder.image(index: 0, seed: 1, options: options) }
        options = PathfinderOptions(dashes: 64)
        options.size = 8
        #expect(throws: SparseFactorError.self) { try Pathfinder.image(index: 0, seed: 1, options: options) }   // cannot fit
        options = PathfinderOptions()
        options.clearance = 2   // one-pixel gaps are bridged at 2: contours would merge
        #expect(throws: SparseFactorError.self) { try options.validate() }
    }
}
