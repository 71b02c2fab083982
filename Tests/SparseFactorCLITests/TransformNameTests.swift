@testable import SparseFactorCLI
import SparseFactor
import SparseFactorTestSupport
import Testing

/// The command line's transform names: each parses to its case and prints back to a name that parses the same.
@Suite struct TransformNameTests {
    @Test func namesParseAndPrintBack() throws {
        let expectations: [(String, MatrixTransform)] = [
            ("none", .identity), ("image", .squareImage), ("gradient", .gradientImage),
            ("distance", .denseGraph(.distance)), ("similarity", .denseGraph(.gaussianSimilarity(bandwidth: nil))),
            ("adjacency", .networkAdjacency), ("mesh-adjacency", .meshAdjacency), ("mesh-laplacian", .meshLaplacian),
            ("covariance", .covariance), ("kernel", .gaussianKernel()),
            ("kernel:bandwidth=2.5,max-rows=100,seed=7", .gaussianKernel(bandwidth: 2.5, sampling: try RowSampling(maxRows: 100, seed: 7))),
            ("distance:max-rows=64", .denseGraph(.distance, sampling: try RowSampling(maxRows: 64, seed: 0))),
            ("similarity:bandwidth=300", .denseGraph(.gaussianSimilarity(bandwidth: 300))),
            ("Gradient-Image", .gradientImage), ("laplacian", .meshLaplacian), ("network", .networkAdjacency),
        ]
        for (name, transform) in expectations {
            #expect(try MatrixTransform(name: name) == transform, "\(name)")
            #expect(try MatrixTransform(name: transform.name) == transform, "\(transform.name)")
        }
        #expect(errorMessage { try MatrixTransform(name: "blur") }.contains("unknown transform"))
        #expect(errorMessage { try MatrixTransform(name: "image:bandwidth=2") }.contains("takes no parameters"))
        #expect(errorMessage { try MatrixTransform(name: "kernel:bandwidth=-1") }.contains("positive"))
        #expect(errorMessage { try MatrixTransform(name: "kernel:max-rows=1") }.contains("at least 2"))
        #expect(errorMessage { try MatrixTransform(name: "kernel:bandwidth") }.contains("key=value"))
        #expect(errorMessage { try MatrixTransform(name: "distance:seed=3") }.contains("only matters with max-rows"))
    }
}
