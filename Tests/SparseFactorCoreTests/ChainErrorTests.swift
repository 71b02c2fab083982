@testable import SparseFactorCore
import SparseFactorTestSupport
import Testing

/// Bad input to the chain API throws the specific SparseFactorError.
@Suite struct ChainErrorTests {
    let topology = try! ChordTopology(size: 8)     // K = 4, M = 3, 32 non-zeros per factor

    @Test func chainRefusesWrongValueCounts() {
        expectError("too few values", matches: \.isShapeMismatch) {
            try FactorChain<Float>(topology: topology, values: [Float](repeating: 1, count: 95))
        }
        expectError("values for 3 factors given 2", matches: \.isShapeMismatch) {
            try FactorChain<Float>(topology: topology, factorCount: 2, values: [Float](repeating: 1, count: 96))
        }
        expectError("zero factors", matches: \.isInvalidArgument) {
            try FactorChain<Double>(topology: topology, factorCount: 0, values: [])
        }
        expectError("NaN value", matches: \.isNonFinite) {
            try FactorChain<Double>(topology: topology, values: [Double](repeating: 1, count: 95) + [.nan])
        }
        #expect(throws: Never.self) { try FactorChain<Float>(topology: topology, values: [Float](repeating: 1, count: 96)) }
    }

    @Test func batchRefusesWrongValueCounts() {
        expectError("batch: too few values", matches: \.isShapeMismatch) {
            try FactorChainBatch<Float>(topology: topology, count: 2, values: [Float](repeating: 1, count: 191))
        }
        expectError("batch: zero chains", matches: \.isInvalidArgument) {
            try FactorChainBatch<Float>(topology: topology, count: 0, values: [])
        }
        expectError("batch: zero factors", matches: \.isInvalidArgument) {
            try FactorChainBatch<Float>(topology: topology, factorCount: 0, count: 2, values: [])
        }
        expectError("batch: infinite value", matches: \.isNonFinite) {
            try FactorChainBatch<Double>(topology: topology, count: 2, values: [Double](repeating: 1, count: 191) + [.infinity])
        }
    }

    @Test func productsRefuseBlocksWithWrongRows() throws {
        let chain = try FactorChain<Float>(topology: topology, values: [Float](repeating: 0.5, count: 96))
        let wrong = try Matrix<Float>(rows: 7, columns: 2)
        let wrongBatch = try MatrixBatch<Float>(count: 2, rows: 9, columns: 2)
        expectError("apply, 7 rows", matches: \.isShapeMismatch) { try chain.apply(wrong) }
        expectError("applyTransposed, 7 rows", matches: \.isShapeMismatch) { try chain.applyTransposed(wrong) }
        expectError("apply batch, 9 rows", matches: \.isShapeMismatch) { try chain.apply(wrongBatch) }
        expectError("applyTransposed batch, 9 rows", matches: \.isShapeMismatch) { try chain.applyTransposed(wrongBatch) }
        expectError("forward, 9 rows", matches: \.isShapeMismatch) { try chain.forward(wrongBatch) }

        let chains = try FactorChainBatch<Float>(topology: topology, count: 2, values: [Float](repeating: 0.5, count: 192))
        expectError("batch forward, 9 rows", matches: \.isShapeMismatch) { try chains.forward(wrongBatch) }
        expectError("batch apply, 9 rows", matches: \.isShapeMismatch) { try chains(wrongBatch) }
        expectError("batch applyTransposed, 9 rows", matches: \.isShapeMismatch) { try chains.applyTransposed(wrongBatch) }
        // Per-item chains need exactly one block per chain.
        let threeBlocks = try MatrixBatch<Float>(count: 3, rows: 8, columns: 2)
        expectError("batch forward, 3 blocks for 2 chains", matches: \.isShapeMismatch) { try chains.forward(threeBlocks) }
        expectError("batch apply, 3 blocks for 2 chains", matches: \.isShapeMismatch) { try chains(threeBlocks) }
    }

    @Test func backwardRefusesMismatchedGradient() throws {
        let chain = try FactorChain<Double>(topology: topology, values: [Double](repeating: 0.5, count: 96))
        let x = try MatrixBatch<Double>(count: 2, rows: 8, columns: 3, repeating: 1)
        let tape = try chain.forward(x)
        for (b, n, c) in [(1, 8, 3), (2, 8, 4), (2, 16, 3)] {
            let g = try MatrixBatch<Double>(count: b, rows: n, columns: c)
            expectError("gradient \(b)×\(n)×\(c) for 2×8×3", matches: \.isShapeMismatch) { try chain.backward(tape, outputGradient: g) }
        }
        let chains = try FactorChainBatch<Double>(topology: topology, count: 2, values: [Double](repeating: 0.5, count: 192))
        let batchTape = try chains.forward(x)
        let g = try MatrixBatch<Double>(count: 2, rows: 8, columns: 2)
        expectError("batch gradient 2×8×2 for 2×8×3", matches: \.isShapeMismatch) { try chains.backward(batchTape, outputGradient: g) }
    }

    @Test func denseMatrixRespectsTheMemoryLimit() throws {
        // N = 64 in Double with 4 N×N buffers: 4 · 64 · 64 · 8 = 131072 bytes.
        let t = try ChordTopology(size: 64)
        let chain = try FactorChain<Double>.rowNormalized(topology: t)
        expectError("dense 64×64 over a 131071-byte limit", matches: \.isTooLarge) { try chain.denseMatrix(memoryLimit: 131_071) }
        #expect(try chain.denseMatrix(memoryLimit: 131_072).rows == 64)
        // Float halves it: 65536 bytes.
        let chainF = try FactorChain<Float>.rowNormalized(topology: t)
        expectError("dense Float 64×64 over a 65535-byte limit", matches: \.isTooLarge) { try chainF.denseMatrix(memoryLimit: 65_535) }
        #expect(try chainF.denseMatrix(memoryLimit: 65_536).rows == 64)
    }
}
