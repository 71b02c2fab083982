import SparseFactorCore
import Foundation

/// Where Pathfinder's contours go: every placed pixel remembers its contour (owner), and a new contour
/// may only pass where no other contour's pixel is closer than the clearance (Chebyshev distance).
struct PathfinderCanvas {
    let size: Int
    let clearance: Int
    /// 0: free; k: the k-th placed contour (or its marker).
    private var owner: [Int]
    /// The placed contours' paths (8-connected pixel sequences), in order.
    private(set) var contours: [[PathfinderPoint]] = []

    init(size: Int, clearance: Int) {
        self.size = size
        self.clearance = clearance
        owner = [Int](repeating: 0, count: size * size)
    }

    /// A marker: the pixel and its 4 neighbours (a disc of radius 1).
    static func disc(around p: PathfinderPoint, size: Int) -> [PathfinderPoint] {
        [(0, 0), (1, 0), (-1, 0), (0, 1), (0, -1)].map { PathfinderPoint(x: p.x + $0.0, y: p.y + $0.1) }
            .filter { (0..<size).contains($0.x) && (0..<size).contains($0.y) }
    }

    /// Marks a marker's pixels as belonging to contour `owner` (1-based).
    mutating func reserve(marker: PathfinderPoint, owner id: Int) {
        for p in Self.disc(around: marker, size: size) { owner[p.y * size + p.x] = id }
    }

    /// Places a contour of `length` pixels by a random walk of bounded turning, keeping the clearance
    /// from everything placed; nil when 32 starts all ran into something.
    mutating func placeContour(length: Int, options: PathfinderOptions, rng: inout SeededGenerator) -> [PathfinderPoint]? {
        let id = contours.count + 1
        for _ in 0..<32 {
            if let path = walk(length: length, maxTurn: options.maxTurn, id: id, rng: &rng) {
                for p in path { owner[p.y * size + p.x] = id }
                contours.append(path)
                return path
            }
        }
        return nil
    }

    /// One random walk from a random free start; nil if it gets stuck.
    private func walk(length: Int, maxTurn: Double, id: Int, rng: inout SeededGenerator) -> [PathfinderPoint]? {
        let margin = 2   // a marker's disc must fit inside the image
        let span = size - 2 * margin
        let start = PathfinderPoint(x: margin + uniformInt(below: span, &rng), y: margin + uniformInt(below: span, &rng))
        guard isFree(start, for: id) else { return nil }
        var path = [start]
        var (x, y) = (Double(start.x), Double(start.y))
        var angle = rng.nextUnit() * 2 * Double.pi
        while path.count < length {
            var moved = false
            // A blocked step (a wall, another contour) tries wider and wider turns before the walk gives up.
            for attempt in 0..<12 {
                let spread = min(maxTurn * Double(1 + attempt), Double.pi)
                let turn = angle + (rng.nextUnit() * 2 - 1) * spread
                let (nx, ny) = (x + cos(turn), y + sin(turn))
                let p = PathfinderPoint(x: Int((nx).rounded()), y: Int((ny).rounded()))
                guard (margin..<(size - margin)).contains(p.x), (margin..<(size - margin)).contains(p.y), isFree(p, for: id) else { continue }
                (x, y, angle) = (nx, ny, turn)
                if p != path[path.count - 1] { path.append(p) }   // a unit step moves at most one pixel each way
                moved = true
                break
            }
            if !moved { return nil }
        }
        return path
    }

    /// Whether a marker at `p` (its disc) keeps the clearance from every contour but `id`.
    func markerFits(_ p: PathfinderPoint, for id: Int) -> Bool {
        Self.disc(around: p, size: size).allSatisfy { isFree($0, for: id) }
    }

    /// Whether no pixel of another contour lies within Chebyshev distance clearance − 1 of `p`.
    private func isFree(_ p: PathfinderPoint, for id: Int) -> Bool {
        let r = clearance - 1
        for y in max(p.y - r, 0)...min(p.y + r, size - 1) {
            for x in max(p.x - r, 0)...min(p.x + r, size - 1) {
                let o = owner[y * size + x]
                if o != 0 && o != id { return false }
            }
        }
        return true
    }
}
