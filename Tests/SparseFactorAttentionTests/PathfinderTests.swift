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

    @Test(arguments: [6, 9, 14])
    func everyLabelMatchesTheConnectivityOfItsPixels(dashes: Int) throws {
        var positives = 0
        for i in 0..<150 {
            let image = try Pathfinder.image(index: i, seed: 5, options: PathfinderOptions(dashes: dashes))
            #expect(image.pixels.count == 1024 && image.size == 32)
            #expect(image.pixels[image.markers[0].y * 32 + image.markers[0].x] == 255)
            #expect(image.pixels[image.markers[1].y * 32 + image.markers[1].x] == 255)
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
        #expect(inkCount > 2 * 14 * 3 && inkCount < 1024 / 2)
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
