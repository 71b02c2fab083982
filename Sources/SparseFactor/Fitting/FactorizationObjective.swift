/// The fitting objective `L(W) = ½‖A − W₁·W₂⋯W_M‖²_F` and its gradient with respect to every
/// factor value, computed with the chain kernels.
///
/// One evaluation is the chain forward on the N×N identity (which gives the product P = W₁⋯W_M
/// and every intermediate `W_{m+1}⋯W_M`), the residual `P − A` = dL/dP, and the chain backward.
/// That is O(M·N²·K) work: no dense O(N³) product of factors is ever formed. The first step of
/// the forward pass, `W_M · I`, is W_M itself, so it is scattered into a dense block instead of
/// computed, and the gradient of W_M is read off dL/d(W_M·I) on the pattern; that saves two of the
/// 3M − 1 sparse-times-dense passes. Every buffer lives in the objective and is reused by every
/// evaluation, so a fit allocates them once.
///
/// ```swift
/// let topology = try ChordTopology(size: 512)
/// let objective = try FactorizationObjective(target: a, topology: topology)
/// let chain = try FactorChain<Double>.rowNormalized(topology: topology, seed: 1)
/// var gradient = [Double](repeating: 0, count: chain.values.count)
/// let loss = try objective.evaluate(chain.values, gradient: &gradient)
/// ```
public final class FactorizationObjective {
    /// The matrix A being approximated.
    public let target: Matrix<Double>
    /// The pattern of every factor.
    public let topology: ChordTopology
    /// M, the number of factors.
    public let factorCount: Int
    /// ‖A‖_F.
    public let targetNorm: Double
    /// The number of factor values, `M · N · K`.
    public var parameterCount: Int { factorCount * topology.nonzerosPerFactor }

    /// W_M as a dense N×N block (= W_M · I), the input of the chain W₁⋯W_{M−1}. Only the
    /// pattern's entries are ever written, so the zeros elsewhere are set once.
    private var lastFactor: [Double]
    /// The product P, then (in place) the residual P − A.
    private var residual: [Double]
    /// Z_m = W_{m+1} ⋯ W_M for m = 1 … M−2, kept by the forward pass for the backward pass.
    private var activations: [Double]
    /// dL/d(W_M · I), from the backward pass of W₁⋯W_{M−1}.
    private var lastFactorGradient: [Double]

    /// An objective for `target` (square, N×N with N = `topology.size`, finite).
    /// - Parameters:
    ///   - factorCount: M; `nil` means `⌈log2 N⌉`.
    ///   - memoryLimit: bytes the dense N×N buffers may take (M + 1 of them here and 2 scratch
    ///     blocks in the kernels); `nil` means half the machine's memory.
    public init(target: Matrix<Double>, topology: ChordTopology, factorCount: Int? = nil, memoryLimit: Int? = nil) throws {
        let n = topology.size
        guard target.rows == n, target.columns == n else {
            throw SparseFactorError.shapeMismatch(expected: "an \(n)×\(n) matrix (the topology's N)", got: "\(target.rows)×\(target.columns)")
        }
        let m = factorCount ?? topology.defaultFactorCount
        guard m >= 1 else { throw SparseFactorError.invalidArgument("a chain needs at least one factor, got \(m)") }
        try checkDenseFits(n: n, blocks: m + 3, scalarBytes: MemoryLayout<Double>.size, memoryLimit: memoryLimit)
        guard target.isFinite else { throw SparseFactorError.nonFinite("the matrix to factorize has NaN or infinite entries") }
        self.target = target
        self.topology = topology
        self.factorCount = m
        self.targetNorm = target.frobeniusNorm
        self.lastFactor = [Double](repeating: 0, count: n * n)
        self.residual = [Double](repeating: 0, count: n * n)
        self.activations = [Double](repeating: 0, count: max(m - 2, 0) * n * n)
        self.lastFactorGradient = [Double](repeating: 0, count: m > 1 ? n * n : 0)
    }

    /// The loss `½‖A − W₁⋯W_M‖²_F` for the given factor values (in ``FactorChain``'s layout),
    /// with its gradient written into `gradient` (resized to the values' count if needed).
    @discardableResult
    public func evaluate(_ values: [Double], gradient: inout [Double]) throws -> Double {
        try checkValues(values)
        if gradient.count != values.count { gradient = [Double](repeating: 0, count: values.count) }
        let loss = try forwardResidual(values, keepActivations: true)
        try backward(values, into: &gradient)
        return loss
    }

    /// The loss alone (a forward pass, no gradient).
    public func loss(_ values: [Double]) throws -> Double {
        try checkValues(values)
        return try forwardResidual(values, keepActivations: false)
    }

    /// The relative Frobenius error `‖A − P‖_F / ‖A‖_F` that goes with a loss value.
    public func relativeError(loss: Double) -> Double {
        (2 * max(loss, 0)).squareRoot() / targetNorm
    }

    private func checkValues(_ values: [Double]) throws {
        guard values.count == parameterCount else {
            throw SparseFactorError.shapeMismatch(
                expected: "\(parameterCount) factor values (\(factorCount) factors × \(topology.size) rows × \(topology.linksPerRow) links)",
                got: "\(values.count) values")
        }
    }

    private var sizes: (n: Int, k: Int, m: Int) { (topology.size, topology.linksPerRow, factorCount) }

    /// P = W₁⋯W_{M−1} · (W_M scattered), turned into the residual P − A in place; returns
    /// ½‖P − A‖² (summed in Double, in a fixed order).
    private func forwardResidual(_ values: [Double], keepActivations: Bool) throws -> Double {
        let (n, k, m) = sizes
        let lastOffset = (m - 1) * n * k
        /// Writes W_M's values at their places in a dense row-major N×N block.
        func scatterLastFactor(into dense: inout [Double]) {
            topology.columnIndex.withUnsafeBufferPointer { cols in
                values.withUnsafeBufferPointer { w in
                    dense.withUnsafeMutableBufferPointer { d in
                        for l in 0..<(n * k) { d[(l / k) * n + Int(cols[l])] = w[lastOffset + l] }
                    }
                }
            }
        }
        if m == 1 {
            // The product is W_1 itself, scattered straight into the output.
            residual.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
            scatterLastFactor(into: &residual)
        } else {
            scatterLastFactor(into: &lastFactor)
            let status = values.withUnsafeBufferPointer { w in
                lastFactor.withUnsafeBufferPointer { x in
                    topology.columnIndex.withUnsafeBufferPointer { cols in
                        residual.withUnsafeMutableBufferPointer { y in
                            activations.withUnsafeMutableBufferPointer { acts in
                                Double.kernels.chainForward(y.baseAddress, keepActivations && m > 2 ? acts.baseAddress : nil,
                                                            w.baseAddress, x.baseAddress, cols.baseAddress,
                                                            1, Int64(m - 1), Int64(n), Int64(k), Int64(n), 0)
                            }
                        }
                    }
                }
            }
            try checkKernel(status, "objective forward")
        }
        return residual.withUnsafeMutableBufferPointer { r in
            target.values.withUnsafeBufferPointer { a in
                // Four partial sums: a fixed order (so the result is reproducible) that still pipelines.
                var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
                let count = r.count
                var i = 0
                while i + 4 <= count {
                    let d0 = r[i] - a[i], d1 = r[i + 1] - a[i + 1], d2 = r[i + 2] - a[i + 2], d3 = r[i + 3] - a[i + 3]
                    r[i] = d0; r[i + 1] = d1; r[i + 2] = d2; r[i + 3] = d3
                    s0 += d0 * d0; s1 += d1 * d1; s2 += d2 * d2; s3 += d3 * d3
                    i += 4
                }
                while i < count {
                    let d = r[i] - a[i]
                    r[i] = d
                    s0 += d * d
                    i += 1
                }
                return 0.5 * ((s0 + s1) + (s2 + s3))
            }
        }
    }

    /// dL/dvalues for dL/dP = the residual: the backward pass of W₁⋯W_{M−1} gives the gradients of
    /// those factors and dL/d(W_M·I), whose entries on the pattern are the gradient of W_M.
    private func backward(_ values: [Double], into gradient: inout [Double]) throws {
        let (n, k, m) = sizes
        let lastOffset = (m - 1) * n * k
        if m > 1 {
            lastFactorGradient.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }   // the kernel accumulates
            let status = gradient.withUnsafeMutableBufferPointer { dw in
                dw.update(repeating: 0)                                                     // the kernel accumulates
                return values.withUnsafeBufferPointer { w in
                    lastFactor.withUnsafeBufferPointer { x in
                        residual.withUnsafeBufferPointer { dy in
                            activations.withUnsafeBufferPointer { acts in
                                lastFactorGradient.withUnsafeMutableBufferPointer { dx in
                                    topology.columnIndex.withUnsafeBufferPointer { cols in
                                        topology.transposedStart.withUnsafeBufferPointer { tptr in
                                            topology.transposedLinks.withUnsafeBufferPointer { tlink in
                                                Double.kernels.chainBackward(dx.baseAddress, dw.baseAddress, dy.baseAddress,
                                                                             m > 2 ? acts.baseAddress : nil, w.baseAddress, x.baseAddress,
                                                                             cols.baseAddress, tptr.baseAddress, tlink.baseAddress,
                                                                             1, Int64(m - 1), Int64(n), Int64(k), Int64(n), 0)
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            try checkKernel(status, "objective backward")
        }
        // dL/dW_M[i, k] = (dL/d(W_M·I))[i, cols[i, k]]; with M = 1 that block is the residual itself.
        let block = m == 1 ? residual : lastFactorGradient      // shares storage: no copy
        block.withUnsafeBufferPointer { g in
            topology.columnIndex.withUnsafeBufferPointer { cols in
                gradient.withUnsafeMutableBufferPointer { dw in
                    for l in 0..<(n * k) { dw[lastOffset + l] = g[(l / k) * n + Int(cols[l])] }
                }
            }
        }
    }
}
