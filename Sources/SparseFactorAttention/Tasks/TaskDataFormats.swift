import SparseFactorCore
import SparseFactorIO
import Foundation

// Each task's generator and file format behind TaskData.
extension TaskData {
    /// LRA's ListOps at N ≥ 2000 (lengths 500…2000); for a shorter N, lengths N/4…N.
    static func generateListOps(length: Int, count: Int, seed: UInt64) throws -> LabelledSequences {
        var options = ListOpsOptions()
        options.maxLength = min(options.maxLength, length)
        options.minLength = min(options.minLength, max(options.maxLength / 4, 1))
        return try ListOps.sequences(ListOps.generate(count: count, seed: seed, options: options), length: length)
    }

    /// Pathfinder images of LRA's hard setting (14 dashes), N = size² pixels.
    static func generatePathfinder(length: Int, count: Int, seed: UInt64) throws -> LabelledSequences {
        let size = Int(Double(length).squareRoot().rounded())
        guard size * size == length else {
            throw SparseFactorError.invalidArgument("Pathfinder images are square: N must be a square number of pixels (1024 for 32×32), got \(length)")
        }
        var options = PathfinderOptions()
        options.size = size
        return try Pathfinder.generate(count: count, seed: seed, options: options)
    }

    static func readListOps(url: URL, length: Int, truncate: Bool) throws -> LabelledSequences {
        let rows = try ListOpsTSV.read(url: url)
        return try ListOps.sequences(rows.map(\.example), length: length, truncate: truncate) { "\(url.path) line \(rows[$0].line)" }
    }

    static func writeListOps(_ data: LabelledSequences, to url: URL) throws {
        guard data.vocabulary == ListOps.vocabulary, data.classCount == 10 else {
            throw SparseFactorError.shapeMismatch(expected: "ListOps sequences (vocabulary \(ListOps.vocabulary), 10 classes)",
                                                  got: "vocabulary \(data.vocabulary), \(data.classCount) classes")
        }
        let examples = (0..<data.count).map { i in
            ListOps.Example(tokens: data.sequence(i).filter { $0 != ListOps.paddingID }, label: Int(data.labels[i]))
        }
        try ListOpsTSV.write(examples, to: url)
    }

    /// Every image of `data` (square, pixel tokens) as DIR/NNNNNN-labelL.png.
    public static func writePNGs(_ data: LabelledSequences, to directory: URL) throws {
        let size = Int(Double(data.length).squareRoot().rounded())
        guard size * size == data.length, data.vocabulary == 256 else {
            throw SparseFactorError.invalidArgument("only square pixel images (vocabulary 256) can be written as PNG, got N = \(data.length), vocabulary \(data.vocabulary)")
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for i in 0..<data.count {
            let name = String(format: "%06d-label%d.png", i, Int(data.labels[i]))
            try Pathfinder.writePNG(pixels: data.sequence(i).map { UInt8($0) }, size: size, to: directory.appendingPathComponent(name))
        }
    }
}
