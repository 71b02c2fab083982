import Foundation
import SparseFactorIO
import SparseFactorCore
import SparseFactorTestSupport
import Testing

@Suite struct TransformTests {
    func matrix(_ rows: Int, _ columns: Int, _ values: [Double]) throws -> Matrix<Double> {
        try Matrix(rows: rows, columns: columns, values: values)
    }

    @Test func squareImageCropsTheCentre() throws {
        // 3×6: (6 − 3) / 2 = 1 column is cut on the left, 2 on the right.
        let wide = try matrix(3, 6, (0..<18).map(Double.init))
        #expect(try MatrixTransform.squareImage.apply(to: wide).values == [1, 2, 3, 7, 8, 9, 13, 14, 15])
        let tall = try matrix(4, 2, (0..<8).map(Double.init))
        #expect(try MatrixTransform.squareImage.apply(to: tall).values == [2, 3, 4, 5])
        let square = try matrix(2, 2, [1, 2, 3, 4])
        #expect(try MatrixTransform.squareImage.apply(to: square) == square)
    }

    @Test func gradientImageTakesHorizontalDifferencesWithAZeroLastColumn() throws {
        let x = try matrix(3, 3, [1, 4, 9,
                                  0, 0, 5,
                                  2, 1, 1])
        #expect(try MatrixTransform.gradientImage.apply(to: x).values == [3, 5, 0,
                                                                          0, 5, 0,
                                                                          -1, 0, 0])
        // Non-square input is cropped first.
        let wide = try matrix(2, 4, [0, 1, 3, 6,
                                     5, 5, 5, 9])
        #expect(try MatrixTransform.gradientImage.apply(to: wide).values == [2, 0, 0, 0])
    }

    @Test func distancesAndGaussianSimilarityOfRows() throws {
        // Points (0,0), (3,0), (0,4): distances 3, 4, 5.
        let points = try matrix(3, 2, [0, 0, 3, 0, 0, 4])
        let d = try MatrixTransform.denseGraph(.distance).apply(to: points)
        #expect(d.values == [0, 3, 4, 3, 0, 5, 4, 5, 0])
        let s = try MatrixTransform.denseGraph(.gaussianSimilarity(bandwidth: 2)).apply(to: points)
        let expected = [0.0, 3, 4, 3, 0, 5, 4, 5, 0].map { exp(-$0 * $0 / 8) }
        for (a, b) in zip(s.values, expected) { #expect(abs(a - b) <= 1e-15) }
        // Median heuristic: off-diagonal distances 3, 3, 4, 4, 5, 5 → median 4.
        #expect(try MatrixTransform.medianBandwidth(distances: d) == 4)
        let k = try MatrixTransform.gaussianKernel().apply(to: points)
        #expect(abs(k[0, 2] - exp(-16.0 / 32)) <= 1e-15 && k[1, 1] == 1)
        let table = try DataTable(columnNames: ["x", "y"], values: points)
        #expect(try MatrixTransform.denseGraph(.distance).apply(to: .table(table)) == d)
    }

    @Test func covarianceOfColumnsMatchesTheDefinition() throws {
        // 4 samples × 3 features, checked by hand: column means 2, 5, 0.
        let x = try matrix(4, 3, [1, 4, 1,
                                  2, 6, -1,
                                  3, 5, 2,
                                  2, 5, -2])
        let c = try MatrixTransform.covariance.apply(to: x)
        // Centred rows: [-1, -1, 1], [0, 1, -1], [1, 0, 2], [0, 0, -2]; sums of products over n − 1 = 3:
        // var0 = 2/3, cov01 = 1/3, cov02 = 1/3, var1 = 2/3, cov12 = −2/3, var2 = 10/3.
        #expect(c.rows == 3)
        let expected: [Double] = [2, 1, 1, 1, 2, -2, 1, -2, 10].map { $0 / 3 }
        for (a, b) in zip(c.values, expected) {
            #expect(abs(a - b) <= 1e-14)
        }
        #expect(c[0, 2] == c[2, 0])
        #expect(errorMessage { try MatrixTransform.covariance.apply(to: matrix(1, 3, [1, 2, 3])) }.contains("at least 2 rows"))
        let graph = try NetworkGraph(labels: ["a", "b"], edges: [.init(source: 0, target: 1)], isDirected: false)
        #expect(errorMessage { try MatrixTransform.covariance.apply(to: .graph(graph)) }.contains("needs a data table"))
    }

    @Test func rowSamplingIsSeededAndKeepsOrder() throws {
        let x = try matrix(50, 1, (0..<50).map(Double.init))
        let t = MatrixTransform.denseGraph(.distance, sampling: try RowSampling(maxRows: 8, seed: 11))
        let a = try t.apply(to: x), b = try t.apply(to: x)
        #expect(a == b && a.rows == 8)
        let keep = try RowSampling(maxRows: 8, seed: 11).indices(count: 50)
        #expect(keep == keep.sorted() && Set(keep).count == 8)
        // The distance between kept rows i < j is |keep[i] − keep[j]| since row r holds the value r.
        #expect(a[0, 7] == Double(keep[7] - keep[0]))
        #expect(try RowSampling(maxRows: 8, seed: 12).indices(count: 50) != keep)
        #expect(try RowSampling(maxRows: 100).indices(count: 5) == [0, 1, 2, 3, 4])
    }

    @Test func laplacianOfAdjacency() throws {
        // Path 0 – 1 – 2 with weights 2 and 3, plus a self-loop on 0 (cancels).
        let a = try matrix(3, 3, [1, 2, 0,
                                  2, 0, 3,
                                  0, 3, 0])
        #expect(try MatrixTransform.meshLaplacian.apply(to: a).values == [2, -2, 0,
                                                                          -2, 5, -3,
                                                                          0, -3, 3])
        // A directed graph is symmetrized first.
        let g = try NetworkGraph(labels: ["a", "b"], edges: [.init(source: 0, target: 1, weight: 4)], isDirected: true)
        #expect(try MatrixTransform.meshLaplacian.apply(to: .graph(g)).values == [2, -2, -2, 2])
        #expect(try MatrixTransform.networkAdjacency.apply(to: .graph(g)).values == [0, 4, 0, 0])
    }

    @Test func citiesAndMeshSources() throws {
        let miles = try matrix(3, 3, [0, 10, 20, 10, 0, 30, 20, 30, 0])
        let cities = try CityDistances(names: ["a", "b", "c"], latitudes: [0, 0, 0], longitudes: [0, 0, 0], populations: [1, 1, 1], miles: miles)
        #expect(try MatrixTransform.denseGraph(.distance).apply(to: .cities(cities)) == miles)
        let sim = try MatrixTransform.denseGraph(.gaussianSimilarity(bandwidth: 10)).apply(to: .cities(cities))
        #expect(abs(sim[0, 1] - exp(-0.5)) <= 1e-15)
        let mesh = try Mesh(vertices: [SIMD3(0, 0, 0), SIMD3(3, 0, 0), SIMD3(0, 4, 0)], faces: [[0, 1, 2]])
        #expect(try MatrixTransform.meshAdjacency.apply(to: .mesh(mesh)).values == [0, 1, 1, 1, 0, 1, 1, 1, 0])
        #expect(try MatrixTransform.meshLaplacian.apply(to: .mesh(mesh)).values == [2, -1, -1, -1, 2, -1, -1, -1, 2])
        #expect(try MatrixTransform.denseGraph(.distance).apply(to: .mesh(mesh)).values == [0, 3, 4, 3, 0, 5, 4, 5, 0])
        let g = try NetworkGraph(labels: ["a", "b"], edges: [], isDirected: false)
        #expect(errorMessage { try MatrixTransform.denseGraph(.distance).apply(to: .graph(g)) }.contains("got a network"))
    }

    @Test func categories() {
        #expect(MatrixTransform.gradientImage.category == .gradientImage)
        #expect(MatrixTransform.gaussianKernel().category == .covariance)
        #expect(MatrixTransform.meshLaplacian.category == .surfaceMesh)
        #expect(MatrixTransform.identity.category == nil)
    }
}
