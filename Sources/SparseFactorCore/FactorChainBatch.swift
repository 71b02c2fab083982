/// A batch of factor chains that share a topology but each have their own values, as in
/// the parametric model where every sequence gets its own factors.
///
/// This is the general, row-major path (`sf_chain_*` kernels with a per-item value stride), for
/// callers who hold per-sequence factors as matrices. PSF-Attn does not use it: its mixing layers
/// apply Chord factors in diagonal form on channel-major blocks (the `sf_shift_factor_*` kernels),
/// which is the fast path for that layout.
///
/// Values are stored item after item, each in ``FactorChain``'s order: item `b`, factor `m`,
/// row `i`, link `k` is `values[((b * M + m) * N + i) * K + k]`.
///
/// ```swift
/// let t = try ChordTopology(size: 128)
/// let chains = try FactorChainBatch<Float>(topology: t, count: 4, values: .init(repeating: 0.1, count: 4 * 7 * 128 * 8))
/// let tape = try chains.forward(MatrixBatch(count: 4, rows: 128, columns: 8, repeating: 1))
/// ```
public struct FactorChainBatch<Scalar: KernelScalar>: Equatable, Sendable {
    /// The pattern every factor shares.
    public let topology: ChordTopology
    /// M, the number of factors of each chain.
    public let factorCount: Int
    /// B, the number of chains.
    public let count: Int
    /// All values, `B · M · N · K` of them.
    public private(set) var values: [Scalar]

    /// One value by its index in ``values`` (for finite-difference checks and hand edits);
    /// like `Array`, an index out of range traps.
    public subscript(valueAt index: Int) -> Scalar {
        get { values[index] }
        set { values[index] = newValue }
    }

    /// Replaces all values; throws unless there are exactly as many as before, all finite.
    public mutating func setValues(_ newValues: [Scalar]) throws {
        self = try FactorChainBatch(topology: topology, factorCount: factorCount, count: count, values: newValues)
    }

    /// A batch of chains with the given values.
    public init(topology: ChordTopology, factorCount: Int? = nil, count: Int, values: [Scalar]) throws {
        let m = factorCount ?? topology.defaultFactorCount
        guard m >= 1, count >= 1 else {
            throw SparseFactorError.invalidArgument("need at least one chain of at least one factor, got \(count) chains of \(m)")
        }
        let expected = count * m * topology.nonzerosPerFactor
        guard values.count == expected else {
            throw SparseFactorError.shapeMismatch(
                expected: "\(expected) values (\(count) chains × \(m) factors × \(topology.size) rows × \(topology.linksPerRow) links)",
                got: "\(values.count) values")
        }
        guard values.allSatisfy({ $0.isFinite }) else { throw SparseFactorError.nonFinite("factor values must be finite") }
        self.topology = topology
        self.factorCount = m
        self.count = count
        self.values = values
    }

    package var kernels: ChainKernels<Scalar> {
        ChainKernels(topology: topology, factorCount: factorCount, values: values,
                     valuesBatchStride: factorCount * topology.nonzerosPerFactor)
    }

    /// Item b of the batch as a standalone chain.
    public func chain(_ b: Int) throws -> FactorChain<Scalar> {
        guard (0..<count).contains(b) else {
            throw SparseFactorError.invalidArgument("chain index must be in 0..<\(count), got \(b)")
        }
        let size = factorCount * topology.nonzerosPerFactor
        return try FactorChain(topology: topology, factorCount: factorCount, values: Array(values[(b * size)..<((b + 1) * size)]))
    }

    /// `W_1^(b) ⋯ W_M^(b) · x_b` for every item, keeping what backward needs.
    public func forward(_ x: MatrixBatch<Scalar>) throws -> ChainTape<Scalar> {
        try checkInput(x)
        let (y, acts) = try kernels.forward(x, keepActivations: true)
        return ChainTape(input: x, output: y, activations: acts)
    }

    /// `W_1^(b) ⋯ W_M^(b) · x_b` for every item.
    public func callAsFunction(_ x: MatrixBatch<Scalar>) throws -> MatrixBatch<Scalar> {
        try checkInput(x)
        return try kernels.forward(x, keepActivations: false).output
    }

    /// `(W_1^(b) ⋯ W_M^(b))ᵀ · x_b` for every item.
    public func applyTransposed(_ x: MatrixBatch<Scalar>) throws -> MatrixBatch<Scalar> {
        try checkInput(x)
        return try kernels.transposeForward(x)
    }

    /// Gradients given `dL/dY`: `dL/dX` and `dL/dvalues` per item (the values' layout).
    public func backward(_ tape: ChainTape<Scalar>, outputGradient: MatrixBatch<Scalar>) throws -> ChainGradients<Scalar> {
        try outputGradient.checkStorage()
        guard outputGradient.count == tape.output.count, outputGradient.rows == tape.output.rows,
              outputGradient.columns == tape.output.columns else {
            throw SparseFactorError.shapeMismatch(
                expected: "a gradient of shape \(tape.output.count)×\(tape.output.rows)×\(tape.output.columns)",
                got: "\(outputGradient.count)×\(outputGradient.rows)×\(outputGradient.columns)")
        }
        let (dx, dw) = try kernels.backward(input: tape.input, activations: tape.activations,
                                           outputGradient: outputGradient, wantInputGradient: true)
        return ChainGradients(input: dx!, values: dw)
    }

    private func checkInput(_ x: MatrixBatch<Scalar>) throws {
        try x.checkStorage()
        guard x.count == count, x.rows == topology.size else {
            throw SparseFactorError.shapeMismatch(expected: "a batch of \(count) blocks of \(topology.size) rows",
                                                  got: "\(x.count) blocks of \(x.rows) rows")
        }
    }
}
