import Foundation
import SparseFactor

/// What a run fuzzes (SF_FUZZ_TARGET names it): a matrix file format (`MatrixFileFormat`'s names:
/// png, npy, mtx, csv, edgelist, directed-edgelist, off, ply, knuth-miles, roget), or gzip,
/// factorfile, checkpoint, or a task's data file: idx, images (labelled-image .npy), documents (the
/// Text task's TSV), listops (LRA's TSV). The regression test of every finding (Tests/SparseFactorCLITests/
/// FuzzRegressionTests.swift) reads its input the same way.
enum FuzzTarget {
    case matrix(MatrixFileFormat)
    case gzip, factorFile, checkpoint, idx, images, documents, listops

    init?(name: String) {
        switch name {
        case "gzip": self = .gzip
        case "factorfile": self = .factorFile
        case "checkpoint": self = .checkpoint
        case "idx": self = .idx
        case "images": self = .images
        case "documents": self = .documents
        case "listops": self = .listops
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
        case .idx: _ = try IDXReader.read(data: data, name: "fuzz input")
        case .images: _ = try LabelledSequences(images: LabelledImageFile.read(data: data, name: "fuzz input"), classCount: 10)
        case .documents: _ = try LabelledSequences(documents: LabelledDocumentFile.read(data: data, name: "fuzz input"), length: 256)
        case .listops: _ = try ListOps.sequences(ListOpsTSV.read(data: data, name: "fuzz input").map(\.example), length: 2000)
        }
    }
}
