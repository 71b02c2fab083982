import Foundation

/// M sparse factors sharing one ``ChordTopology``, and their product
/// `W = W_1 · W_2 · … · W_M` (so `W_M` is applied to a block first).
///
/// Values are stored factor after factor, row after row: link `k` of row `i` of factor `m`
/// (0-based) is `values[(m * N + i) * K + k]`.
///
/// ```swift
/// let topology = try ChordTopology(size: 1024)
/// let chain = try FactorChain<Float>.rowNormalized(topology: topology, seed: 7)
/// let x = try Matrix<Float>(rows: 1024, columns: 8, repeating: 1)
/// let y = try chain(x)                                   // W_1 ⋯ W_M · x
/// let tape = try chain.forward(MatrixBatch(count: 1, rows: 1024, columns: 8, values: x.values))
/// let grads = try chain.backward(tape, outputGradient: tape.output)   // d(½‖y‖²)
/// ```
public struct FactorChain<Scalar: KernelScalar>: Equatable, Sendable {
    /// The pattern every factor shares.
    public let topology: ChordTopology
    /// M, the number of factors.
    public let factorCount: Int
    /// The non-zero values, `M · N · K` of them (see the type's documentation for the order).
    public private(set) var values: [Scalar]

    /// One value by its index in ``values`` (for finite-difference checks and hand edits);
    /// like `Array`, an index out of range traps.
    public subscript(valueAt index: Int) -> Scalar {
        get { values[index] }
        set { values[index] = newValue }
    }

    /// Replaces all values; throws unless there are exactly as many as before, all finite.
    public mutating func setValues(_ newValues: [Scalar]) throws {
        self = try FactorChain(topology: topology, factorCount: factorCount, values: newValues)
    }

    /// A chain with the given values.
    /// - Parameter factorCount: M; `nil` means `⌈log2 N⌉`.
    public init(topology: ChordTopology, factorCount: Int? = nil, values: [Scalar]) throws {
        let m = factorCount ?? topology.defaultFactorCount
        guard m >= 1 else { throw SparseFactorError.invalidArgument("a chain needs at least one factor, got \(m)") }
        let (expected, overflow) = m.multipliedReportingOverflow(by: topology.nonzerosPerFactor)
        guard !overflow, values.count == expected else {
            throw SparseFactorError.shapeMismatch(
                expected: "\(overflow ? "more" : "\(expected)") values (\(m) factors × \(topology.size) rows × \(topology.linksPerRow) links)",
                got: "\(values.count) values")
        }
        guard values.allSatisfy({ $0.isFinite }) else { throw SparseFactorError.nonFinite("factor values must be finite") }
        self.topology = topology
        self.factorCount = m
        self.values = values
    }

    /// The paper's initialization: every factor is its pattern with each row normalized to sum 1,
    /// plus seeded uniform noise (also row-normalized) scaled by `noise`.
    public static func rowNormalized(topology: ChordTopology, factorCount: Int? = nil, noise: Double = 1e-2,
                                     seed: UInt64 = 0) throws -> FactorChain {
        let m = factorCount ?? topology.defaultFactorCount
        guard m >= 1 else { throw SparseFactorError.invalidArgument("a chain needs at least one factor, got \(m)") }
        let k = topology.linksPerRow
        try MemoryBudget.check("a chain of \(m) factors of N = \(topology.size), K = \(k)", counts: [m, topology.size, k],
                               scalarBytes: MemoryLayout<Scalar>.size)
        var rng = SeededGenerator(seed: seed)
        var values = [Scalar](repeating: 0, count: m * topology.nonzerosPerFactor)
        for row in 0..<(m * topology.size) {
            let draws = (0..<k).map { _ in rng.nextUnit() }
            let drawSum = draws.reduce(0, +)
            for link in 0..<k {
                values[row * k + link] = Scalar(1.0 / Double(k) + noise * draws[link] / max(drawSum, .leastNormalMagnitude))
            }
        }
        return try FactorChain(topology: topology, factorCount: m, values: values)
    }

    /// The value of link `link` of row `row` of factor `factor` (all 0-based).
    public func value(factor: Int, row: Int, link: Int) -> Scalar {
        values[(factor * topology.size + row) * topology.linksPerRow + link]
    }

    package var kernels: ChainKernels<Scalar> {
        ChainKernels(topology: topology, factorCount: factorCount, values: values, valuesBatchStride: 0)
    }

    // MARK: products

    /// `W_1 ⋯ W_M · x` for an N×C block.
    public func callAsFunction(_ x: Matrix<Scalar>) throws -> Matrix<Scalar> { try apply(x) }

    /// `W_1 ⋯ W_M · x` for an N×C block.
    public func apply(_ x: Matrix<Scalar>) throws -> Matrix<Scalar> {
        try apply(MatrixBatch(single: x))[0]
    }

    /// `W_1 ⋯ W_M · x_b` for every item of a B×N×C batch.
    public func apply(_ x: MatrixBatch<Scalar>) throws -> MatrixBatch<Scalar> {
        try checkInput(x)
        return try kernels.forward(x, keepActivations: false).output
    }

    /// `W_1 ⋯ W_M · x_b` written into `output`, which must have x's shape; no allocation of the
    /// result, for loops that apply the chain many times.
    public func apply(_ x: MatrixBatch<Scalar>, into output: inout MatrixBatch<Scalar>) throws {
        try checkInput(x)
        guard output.count == x.count, output.rows == x.rows, output.columns == x.columns else {
            throw SparseFactorError.shapeMismatch(expected: "an output of shape \(x.count)×\(x.rows)×\(x.columns)",
                                                  got: "\(output.count)×\(output.rows)×\(output.columns)")
        }
        _ = try kernels.forward(x, into: &output, keepActivations: false)
    }

    /// `(W_1 ⋯ W_M)ᵀ · x` for an N×C block.
    public func applyTransposed(_ x: Matrix<Scalar>) throws -> Matrix<Scalar> {
        try applyTransposed(MatrixBatch(single: x))[0]
    }

    /// `(W_1 ⋯ W_M)ᵀ · x_b` for every item of a batch.
    public func applyTransposed(_ x: MatrixBatch<Scalar>) throws -> MatrixBatch<Scalar> {
        try checkInput(x)
        return try kernels.transposeForward(x)
    }

    // MARK: training

    /// The product, keeping what ``backward(_:outputGradient:)`` needs.
    public func forward(_ x: MatrixBatch<Scalar>) throws -> ChainTape<Scalar> {
        try checkInput(x)
        let (y, acts) = try kernels.forward(x, keepActivations: true)
        return ChainTape(input: x, output: y, activations: acts)
    }

    /// Gradients of a loss L given `dL/dY`: `dL/dX` and `dL/dvalues` (the values' layout,
    /// summed over the batch).
    public func backward(_ tape: ChainTape<Scalar>, outputGradient: MatrixBatch<Scalar>) throws -> ChainGradients<Scalar> {
        try checkGradient(outputGradient, like: tape.output)
        let (dx, dw) = try kernels.backward(input: tape.input, activations: tape.activations,
                                           outputGradient: outputGradient, wantInputGradient: true)
        return ChainGradients(input: dx!, values: dw)
    }

    // MARK: dense

    /// The dense N×N product `W_1 ⋯ W_M`, computed as the chain applied to the identity.
    /// - Parameter memoryLimit: bytes the computation may use; `nil` means half the machine's memory.
    ///   Sizes that would exceed it are refused with ``SparseFactorError/tooLarge(_:)``.
    public func denseMatrix(memoryLimit: Int? = nil) throws -> Matrix<Scalar> {
        let n = topology.size
        try checkDenseFits(n: n, blocks: 4, scalarBytes: MemoryLayout<Scalar>.size, memoryLimit: memoryLimit)
        return try apply(Matrix<Scalar>.identity(n))
    }

    package func checkInput(_ x: MatrixBatch<Scalar>) throws {
        try x.checkStorage()
        guard x.rows == topology.size else {
            throw SparseFactorError.shapeMismatch(expected: "blocks of \(topology.size) rows (N)", got: "\(x.rows) rows")
        }
    }

    package func checkGradient(_ g: MatrixBatch<Scalar>, like y: MatrixBatch<Scalar>) throws {
        try g.checkStorage()
        guard g.count == y.count, g.rows == y.rows, g.columns == y.columns else {
            throw SparseFactorError.shapeMismatch(expected: "a gradient of shape \(y.count)×\(y.rows)×\(y.columns)",
                                                  got: "\(g.count)×\(g.rows)×\(g.columns)")
        }
    }
}

/// What ``FactorChain/forward(_:)`` keeps for the backward pass.
public struct ChainTape<Scalar: KernelScalar>: Sendable {
    /// The block the chain was applied to.
    public let input: MatrixBatch<Scalar>
    /// The product `W_1 ⋯ W_M · input`.
    public let output: MatrixBatch<Scalar>
    package let activations: [Scalar]
}

/// Gradients of a chain product.
public struct ChainGradients<Scalar: KernelScalar>: Sendable {
    /// `dL/dX`, the input block's gradient.
    public let input: MatrixBatch<Scalar>
    /// `dL/dvalues`, in the values' layout.
    public let values: [Scalar]
}

extension MatrixBatch {
    /// A batch of one matrix.
    public init(single m: Matrix<Scalar>) throws {
        try self.init(count: 1, rows: m.rows, columns: m.columns, values: m.values)
    }
}

/// Refuses an N×N dense computation needing `blocks` N×N buffers beyond the memory limit.
package func checkDenseFits(n: Int, blocks: Int, scalarBytes: Int, memoryLimit: Int?) throws {
    try MemoryBudget.check("a dense \(n)×\(n) product", counts: [n, n, blocks], scalarBytes: scalarBytes, limit: memoryLimit)
}
