import SparseFactorCore
import Foundation

extension MatrixReader {
    /// The square matrix `transform` makes of the file, in sparse form, for matrix-free fits: Matrix
    /// Market files, edge lists and meshes are read without ever making an N×N array (their adjacency
    /// and Laplacian transforms too); other files and transforms are dense by nature and are converted.
    /// Throws unless the result is N×N with N ≥ 2 and at least one non-zero.
    ///
    /// ```swift
    /// let a = try MatrixReader.readOperator(url: URL(fileURLWithPath: "roads.edges"))
    /// print(a.size, a.nonzeros)
    /// ```
    public static func readOperator(url: URL, format: MatrixFileFormat? = nil, transform: MatrixTransform = .identity) throws -> SparseMatrix {
        let data = try FileInput.bytes(url)
        let format = try format ?? MatrixFileFormat.guess(url: url, content: data)
        let name = url.path
        let laplacian = transform == .meshLaplacian
        let sparse: SparseMatrix?
        switch (format, transform) {
        case (.matrixMarket, .identity), (.matrixMarket, .networkAdjacency), (.matrixMarket, .meshLaplacian):
            sparse = try MatrixMarketReader.readSparse(data: data, name: name)
        case (.edgeList, .identity), (.edgeList, .networkAdjacency), (.edgeList, .meshLaplacian),
             (.directedEdgeList, .identity), (.directedEdgeList, .networkAdjacency), (.directedEdgeList, .meshLaplacian),
             (.roget, .identity), (.roget, .networkAdjacency), (.roget, .meshLaplacian):
            guard case .graph(let graph) = try load(data: data, format: format, name: name) else { sparse = nil; break }
            sparse = try graph.sparseAdjacency()
        case (.off, .identity), (.off, .meshAdjacency), (.off, .meshLaplacian), (.ply, .identity), (.ply, .meshAdjacency), (.ply, .meshLaplacian):
            guard case .mesh(let mesh) = try load(data: data, format: format, name: name) else { sparse = nil; break }
            sparse = try mesh.sparseVertexAdjacency()
        default:
            sparse = nil
        }
        let a: SparseMatrix
        if let sparse {
            a = laplacian ? try sparse.laplacian() : sparse
        } else {
            a = try SparseMatrix(dense: transform.apply(to: load(data: data, format: format, name: name)))
        }
        guard a.size >= 2 else { throw SparseFactorError.invalidArgument("\(name): N must be at least 2, got a \(a.size)×\(a.size) matrix") }
        guard a.values.contains(where: { $0 != 0 }) else {
            throw SparseFactorError.invalidArgument("\(name): the \(a.size)×\(a.size) matrix is all zeros: its relative error would be undefined")
        }
        return a
    }
}
