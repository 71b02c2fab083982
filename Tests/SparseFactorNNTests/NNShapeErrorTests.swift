import SparseFactorNN
import SparseFactorCore
import SparseFactorTestSupport
import Testing

/// Wrong shapes and bad values are refused with a `SparseFactorError`, never a crash.
@Suite struct NNShapeErrorTests {
    @Test func tensorConstruction() throws {
        nnExpectError("count mismatch") { _ = try Tensor(shape: [2, 3], values: [1, 2]) }
        nnExpectError("negative dimension") { _ = try Tensor(shape: [-1, 3], values: []) }
        nnExpectError("reshape to another count") { _ = try Tensor(shape: [2, 3]).reshaped([4]) }
        #expect(try Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6]).reshaped([3, 2])[2, 1] == 6)
        #expect(try Tensor(shape: [2, 3], values: [0, 5, 1, 9, 2, 9]).argmaxLastDimension() == [1, 0])
    }

    @Test func layerShapes() throws {
        var rng = SeededGenerator(seed: 1)
        let linear = try Linear(inputs: 3, outputs: 2, rng: &rng)
        nnExpectError("Linear backward before forward") { _ = try linear.backward(Tensor(shape: [1, 2])) }
        nnExpectError("Linear wrong features") { _ = try linear(Tensor(shape: [4, 5])) }
        nnExpectError("Linear rank 0") { _ = try linear(Tensor(shape: [])) }
        var broken = Tensor(shape: [2, 3])
        broken.values.removeLast()
        nnExpectError("inconsistent tensor") { _ = try linear(broken) }
        _ = try linear(Tensor(shape: [4, 3]))
        nnExpectError("Linear wrong output gradient") { _ = try linear.backward(Tensor(shape: [4, 3])) }
        nnExpectError("Linear zero size") { _ = try Linear(inputs: 0, outputs: 2, rng: &rng) }

        let norm = try LayerNorm(dimension: 4)
        nnExpectError("LayerNorm wrong features") { _ = try norm(Tensor(shape: [2, 3])) }
        let positions = try PositionalEmbedding(length: 4, dimension: 2, rng: &rng)
        nnExpectError("sequence longer than the table") { _ = try positions(Tensor(shape: [1, 5, 2])) }
        nnExpectError("PositionalEmbedding rank 1") { _ = try positions(Tensor(shape: [2])) }
        nnExpectError("dropout rate 1") { _ = try Dropout(rate: 1, seed: 0) }
        let gelu = GELU()
        nnExpectError("GELU backward before forward") { _ = try gelu.backward(Tensor(shape: [1])) }
    }

    @Test func embeddingIds() throws {
        var rng = SeededGenerator(seed: 2)
        let embedding = try Embedding(vocabulary: 4, dimension: 3, rng: &rng)
        nnExpectError("id out of range") { _ = try embedding(try Tensor(shape: [2], values: [1, 4])) }
        nnExpectError("negative id") { _ = try embedding(try Tensor(shape: [2], values: [-1, 0])) }
        nnExpectError("fractional id") { _ = try embedding(try Tensor(shape: [2], values: [1.5, 0])) }
        nnExpectError("NaN id") { _ = try embedding(try Tensor(shape: [1], values: [.nan])) }
        let y = try embedding(try Tensor(shape: [2], values: [3, 0]))
        #expect(Array(y.values[0..<3]) == Array(embedding.weight.value.values[9..<12]))
    }

    @Test func lossShapes() throws {
        nnExpectError("MSE mismatch") { _ = try MSELoss()(Tensor(shape: [3, 1]), Tensor(shape: [2])) }
        nnExpectError("MSE empty") { _ = try MSELoss()(Tensor(shape: [0]), Tensor(shape: [0])) }
        nnExpectError("CE target shape") { _ = try CrossEntropyLoss()(Tensor(shape: [3, 4]), Tensor(shape: [4])) }
        nnExpectError("CE class out of range") {
            _ = try CrossEntropyLoss()(Tensor(shape: [1, 4]), try Tensor(shape: [1], values: [4]))
        }
        nnExpectError("CE fractional class") {
            _ = try CrossEntropyLoss()(Tensor(shape: [1, 4]), try Tensor(shape: [1], values: [0.5]))
        }
    }

    @Test func mlpConfigs() throws {
        #expect(try MLP.parseConfig("[32, GELU]") == [.linear(32), .activation(.gelu)])
        #expect(try MLP.parseConfig(" 16 , gelu , 8 ") == [.linear(16), .activation(.gelu), .linear(8)])
        #expect(try MLP.parseConfig("[]") == [])
        nnExpectError("unknown activation") { _ = try MLP.parseConfig("[32, ReLU6]") }
        nnExpectError("activation first") { _ = try MLP.parseConfig("[GELU, 32]") }
        nnExpectError("zero width") { _ = try MLP.parseConfig("[0, GELU]") }
        nnExpectError("empty entry") { _ = try MLP.parseConfig("[32,, GELU]") }
        var rng = SeededGenerator(seed: 3)
        let single = try MLP(config: "[]", inputs: 3, outputs: 2, rng: &rng)
        #expect(single.parameters.map(\.count) == [6, 2])
    }
}
