import SparseFactorCore
import Foundation

/// The paper's six categories of test matrices.
public enum MatrixCategory: String, CaseIterable, Sendable {
    case squareImage = "square image"
    case gradientImage = "gradient image"
    case denseGraph = "dense graph"
    case network = "network"
    case surfaceMesh = "surface mesh"
    case covariance = "covariance"
}

/// Keep at most `maxRows` rows of a table, chosen by a seeded random draw (kept in their original order),
/// so an N×N matrix built from the rows stays affordable.
public struct RowSampling: Equatable, Sendable {
    public var maxRows: Int
    public var seed: UInt64

    public init(maxRows: Int, seed: UInt64 = 0) throws {
        guard maxRows >= 2 else { throw SparseFactorError.invalidArgument("max-rows must be at least 2, got \(maxRows)") }
        self.maxRows = maxRows
        self.seed = seed
    }

    /// The row indices kept out of `count`, increasing.
    public func indices(count: Int) -> [Int] {
        guard count > maxRows else { return Array(0..<count) }
        var rng = SeededGenerator(seed: seed)
        var all = Array(0..<count)
        all.shuffle(using: &rng)
        return all.prefix(maxRows).sorted()
    }
}

/// How a dense graph weighs a pair of points at distance d.
public enum DenseGraphMeasure: Equatable, Sendable {
    /// The distance d itself.
    case distance
    /// `exp(−d² / (2h²))`; `bandwidth` nil means h = the median off-diagonal distance.
    case gaussianSimilarity(bandwidth: Double?)
}

/// What a file holds before a transform turns it into the square matrix to factorize
/// (see ``MatrixReader/load(url:format:)``).
public enum MatrixSource: Equatable, Sendable {
    /// An image or a stored matrix (PNG, `.npy`, Matrix Market).
    case matrix(Matrix<Double>)
    /// A data table (CSV): rows are samples, columns features.
    case table(DataTable)
    /// A network (edge lists, Roget's thesaurus).
    case graph(NetworkGraph)
    /// A surface mesh (`.off`, `.ply`).
    case mesh(Mesh)
    /// Cities with road distances (`knuth_miles`).
    case cities(CityDistances)

    /// The matrix the file stands for with no transform: the matrix or table itself, a network's
    /// adjacency, a mesh's vertex adjacency, the cities' distance matrix.
    public func defaultMatrix() throws -> Matrix<Double> {
        switch self {
        case .matrix(let m): return m
        case .table(let t): return t.values
        case .graph(let g): return try g.adjacencyMatrix()
        case .mesh(let mesh): return try mesh.vertexAdjacency()
        case .cities(let c): return c.miles
        }
    }

    var kind: String {
        switch self {
        case .matrix: return "a matrix"
        case .table: return "a data table"
        case .graph: return "a network"
        case .mesh: return "a mesh"
        case .cities: return "city distances"
        }
    }
}

/// Turns what a file holds into the square matrix to factorize, one transform per category of the
/// paper (square images, gradient images, dense graphs, networks, surface meshes, covariance matrices).
///
/// | CLI name | case | result |
/// |---|---|---|
/// | `none` | ``identity`` | the file's matrix as it is (see ``MatrixSource/defaultMatrix()``) |
/// | `image` | ``squareImage`` | the largest centred square of the image (rows and columns cropped evenly, the odd one from the end) |
/// | `gradient` | ``gradientImage`` | of that square, `G[i, j] = X[i, j+1] − X[i, j]`, and `G[i, N−1] = 0` (zero padding keeps it N×N) |
/// | `distance` | ``denseGraph(_:sampling:)`` | Euclidean distances between the rows of a table (or mesh vertices); a city file's road distances |
/// | `similarity` | ``denseGraph(_:sampling:)`` with ``DenseGraphMeasure/gaussianSimilarity(bandwidth:)`` | `exp(−d²/(2h²))` of those distances |
/// | `adjacency` | ``networkAdjacency`` | a network's adjacency (or any square matrix as it is) |
/// | `mesh-adjacency` | ``meshAdjacency`` | a mesh's vertex adjacency |
/// | `mesh-laplacian` | ``meshLaplacian`` | `D − A` of a mesh's (or network's, or square matrix's) adjacency |
/// | `covariance` | ``covariance`` | the sample covariance of a table's columns (N = number of features; divides by n − 1) |
/// | `kernel` | ``gaussianKernel(bandwidth:sampling:)`` | `exp(−‖xᵢ − xⱼ‖²/(2h²))` over a table's rows (N = number of samples) |
///
/// Parameters follow the name after a colon: `kernel:bandwidth=2.5,max-rows=1000,seed=3`,
/// `distance:max-rows=500`, `similarity:bandwidth=300`. Without a bandwidth, h is the median of the
/// off-diagonal distances (the median heuristic). `max-rows` keeps a seeded random subset of the rows.
///
/// The command line's `--transform` takes the names in the first column (`sparsefactor factorize --help`).
///
/// ```swift
/// let g = try MatrixTransform.gradientImage.apply(to: PNGReader.read(url: URL(fileURLWithPath: "camera.png")))   // 512×512
/// let k = MatrixTransform.gaussianKernel(sampling: try RowSampling(maxRows: 1024, seed: 1))
/// ```
public enum MatrixTransform: Equatable, Sendable {
    case identity
    case squareImage
    case gradientImage
    case denseGraph(DenseGraphMeasure = .distance, sampling: RowSampling? = nil)
    case networkAdjacency
    case meshAdjacency
    case meshLaplacian
    case covariance
    case gaussianKernel(bandwidth: Double? = nil, sampling: RowSampling? = nil)

    /// The paper's category the result belongs to (nil for ``identity``).
    public var category: MatrixCategory? {
        switch self {
        case .identity: return nil
        case .squareImage: return .squareImage
        case .gradientImage: return .gradientImage
        case .denseGraph: return .denseGraph
        case .networkAdjacency: return .network
        case .meshAdjacency, .meshLaplacian: return .surfaceMesh
        case .covariance, .gaussianKernel: return .covariance
        }
    }

    /// The square matrix this transform makes of `matrix` (a PNG image, a `.npy` or Matrix Market matrix).
    public func apply(to matrix: Matrix<Double>) throws -> Matrix<Double> {
        try apply(to: .matrix(matrix))
    }

    /// The matrix this transform makes of what a file holds (see the type's table).
    public func apply(to source: MatrixSource) throws -> Matrix<Double> {
        switch self {
        case .identity, .networkAdjacency, .meshAdjacency:
            return try source.defaultMatrix()
        case .squareImage:
            return try MatrixTransform.centerCropped(source.defaultMatrix())
        case .gradientImage:
            return try MatrixTransform.horizontalDifferences(MatrixTransform.centerCropped(source.defaultMatrix()))
        case .meshLaplacian:
            switch source {
            case .mesh(let mesh): return try mesh.laplacian()
            case .graph(let graph): return try graph.laplacianMatrix()
            default: return try source.defaultMatrix().laplacian()
            }
        case .covariance:
            switch source {
            case .matrix(let m): return try MatrixTransform.covariance(ofColumns: m)
            case .table(let t): return try MatrixTransform.covariance(ofColumns: t.values)
            default: throw SparseFactorError.invalidArgument("the covariance transform needs a data table (CSV, .npy), got \(source.kind)")
            }
        case .denseGraph(let measure, let sampling):
            let distances = try MatrixTransform.distances(of: source, sampling: sampling, transform: "distance")
            switch measure {
            case .distance: return distances
            case .gaussianSimilarity(let h): return try MatrixTransform.gaussianSimilarity(distances: distances, bandwidth: h)
            }
        case .gaussianKernel(let h, let sampling):
            let distances = try MatrixTransform.distances(of: source, sampling: sampling, transform: "kernel")
            return try MatrixTransform.gaussianSimilarity(distances: distances, bandwidth: h)
        }
    }

    static func distances(of source: MatrixSource, sampling: RowSampling?, transform: String) throws -> Matrix<Double> {
        switch source {
        case .matrix(let m): return try pairwiseDistances(ofRows: rows(of: m, sampling))
        case .table(let t): return try pairwiseDistances(ofRows: rows(of: t.values, sampling))
        case .mesh(let mesh):
            let points = try Matrix(rows: mesh.vertices.count, columns: 3, values: mesh.vertices.flatMap { [$0.x, $0.y, $0.z] })
            return try pairwiseDistances(ofRows: rows(of: points, sampling))
        case .cities(let c):
            guard let sampling else { return c.miles }
            let keep = sampling.indices(count: c.miles.rows)
            var out = try Matrix<Double>(rows: keep.count, columns: keep.count)
            for (a, i) in keep.enumerated() { for (b, j) in keep.enumerated() { out[a, b] = c.miles[i, j] } }
            return out
        case .graph:
            throw SparseFactorError.invalidArgument("the \(transform) transform needs a data table, mesh or city distances, got a network (use \"adjacency\")")
        }
    }

    static func rows(of m: Matrix<Double>, _ sampling: RowSampling?) throws -> Matrix<Double> {
        guard let sampling, m.rows > sampling.maxRows else { return m }
        let keep = sampling.indices(count: m.rows)
        var values: [Double] = []
        values.reserveCapacity(keep.count * m.columns)
        for r in keep { values += m.values[(r * m.columns)..<((r + 1) * m.columns)] }
        return try Matrix(rows: keep.count, columns: m.columns, values: values)
    }
}
