import Foundation
import SparseFactorIO
import SparseFactorCore
import SparseFactorTestSupport
import Testing

/// `readOperator` (sparse, never N×N) against the dense reader and transform on the same files.
@Suite struct IOSparseReaderTests {
    let scratch: IOScratch
    init() throws { scratch = try IOScratch() }

    func expectSameAsDense(_ url: URL, _ transform: MatrixTransform, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let sparse = try MatrixReader.readOperator(url: url, transform: transform)
        let dense = try MatrixReader.read(url: url, transform: transform)
        #expect(try sparse.dense() == dense, "\(url.lastPathComponent) \(transform)", sourceLocation: sourceLocation)
        #expect(sparse.nonzeros <= dense.values.filter { $0 != 0 }.count + sparse.size, sourceLocation: sourceLocation)
    }

    @Test func sparsePathsMatchTheDenseReader() throws {
        let general = try scratch.file("g.mtx", "%%MatrixMarket matrix coordinate real general\n4 4 5\n1 2 1.5\n2 1 -2\n4 4 3\n1 2 0.5\n3 1 1\n")
        let symmetric = try scratch.file("s.mtx", "%%MatrixMarket matrix coordinate real symmetric\n3 3 3\n1 1 2\n2 1 -1\n3 2 4\n")
        let pattern = try scratch.file("p.mtx", "%%MatrixMarket matrix coordinate pattern general\n3 3 2\n1 3\n2 2\n")
        let edges = try scratch.file("e.edges", "# a graph\n0 1\n1 2\n2 0\n3 1\n1 0\n")
        let mesh = try scratch.file("m.off", "OFF\n4 2 0\n0 0 0\n1 0 0\n0 1 0\n1 1 0\n3 0 1 2\n3 1 3 2\n")
        for url in [general, symmetric, pattern] {
            try expectSameAsDense(url, .identity)
            try expectSameAsDense(url, .meshLaplacian)
        }
        try expectSameAsDense(edges, .identity)
        try expectSameAsDense(edges, .networkAdjacency)
        try expectSameAsDense(mesh, .meshAdjacency)
        try expectSameAsDense(mesh, .meshLaplacian)
        #expect(try MatrixReader.readOperator(url: general)[0, 1] == 2)        // duplicates add up, as in scipy's mmread
    }

    @Test func badFilesAreRefused() throws {
        let zeros = try scratch.file("z.mtx", "%%MatrixMarket matrix coordinate real general\n3 3 1\n1 1 0\n")
        expectMessage("all zeros", contains: "all zeros") { try MatrixReader.readOperator(url: zeros) }
        let outside = try scratch.file("o.mtx", "%%MatrixMarket matrix coordinate real general\n3 3 1\n4 1 1\n")
        expectMessage("an entry outside", contains: "4") { try MatrixReader.readOperator(url: outside) }
        let wide = try scratch.file("w.mtx", "%%MatrixMarket matrix coordinate real general\n3 4 1\n1 1 1\n")
        expectMessage("not square", contains: "3") { try MatrixReader.readOperator(url: wide) }
    }
}
