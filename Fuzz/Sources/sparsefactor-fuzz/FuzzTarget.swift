import Foundation
import SparseFactor

/// What a run fuzzes (SF_FUZZ_TARGET names it): a matrix file format (`MatrixFileFormat`'s names:
/// png, npy, mtx, csv, edgelist, directed-edgelist, off, ply, knuth-miles, roget), or gzip,
/// factorfile, checkpoint. The regression test of every finding (Tests/SparseFactorCLITests/
/// FuzzRegressionTests.swift) reads its input the same way.
enum FuzzTarget {
    case matrix(MatrixFileFormat)
    case gzip, factorFile, checkpoint

    init?(name: String) {
        switch name {
        case "gzip": self = .gzip
        case "factorfile": self = .factorFile
        case "checkpoint": self = .checkpoint
        default:
            guard let format = MatrixFileFormat(rawValue: name) else { return nil }
            self = .matrix(format)
        }
    }

    /// Reads `data`. Throwing is the expected outcome for most inputs; a crash, a trap, a leak, a
    /// hang or an allocation past the limits is a finding.
    func read(_ data: Data) throws {
        switch self {
        case .matrix(let format): _ = try MatrixReader.load(data: data, format: format, name: "fuzz input").defaultMatrix()
        case .gzip: _ = try Gzip.decompress(data, name: "fuzz input", limit: 1 << 24)
        case .factorFile: _ = try FactorFile.decode(data, name: "fuzz input", as: Double.self)
        case .checkpoint: _ = try TrainingCheckpoint(decoding: data, source: "fuzz input")
        }
    }
}
