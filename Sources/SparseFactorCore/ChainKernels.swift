/// The thin layer between the Swift types and the C chain kernels: every pointer lives
/// only inside its `withUnsafe…` closure, and every status code becomes a thrown error.
package struct ChainKernels<Scalar: KernelScalar> {
    package let topology: ChordTopology
    package let factorCount: Int
    /// Values of all factors; batch item b starts at `b * valuesBatchStride` (0 = shared).
    package let values: [Scalar]
    package let valuesBatchStride: Int

    /// Kernels over `values` (not checked: the C kernels read exactly M·N·K values per batch item).
    package init(topology: ChordTopology, factorCount: Int, values: [Scalar], valuesBatchStride: Int) {
        self.topology = topology
        self.factorCount = factorCount
        self.values = values
        self.valuesBatchStride = valuesBatchStride
    }

    private var sizes: (n: Int64, k: Int64, m: Int64) {
        (Int64(topology.size), Int64(topology.linksPerRow), Int64(factorCount))
    }

    /// y = W_1 … W_M x, with the intermediate blocks kept when `keepActivations`.
    package func forward(_ x: MatrixBatch<Scalar>, keepActivations: Bool) throws -> (output: MatrixBatch<Scalar>, activations: [Scalar]) {
        var y = try MatrixBatch<Scalar>.overwritten(count: x.count, rows: x.rows, columns: x.columns)
        let acts = try forward(x, into: &y, keepActivations: keepActivations)
        return (y, acts)
    }

    /// Writes y = W_1 … W_M x into `y` (same shape as x); returns the kept activations.
    package func forward(_ x: MatrixBatch<Scalar>, into y: inout MatrixBatch<Scalar>, keepActivations: Bool) throws -> [Scalar] {
        // The kernel writes every activation (Z_1 … Z_{M-1}): no zero fill, after the memory check.
        let actCount = keepActivations ? (factorCount - 1) * x.values.count : 0
        if actCount > 0 {
            try MemoryBudget.check("the chain's \(factorCount - 1) activation blocks of \(x.values.count) values",
                                   counts: [factorCount - 1, x.values.count], scalarBytes: MemoryLayout<Scalar>.size)
        }
        var acts: [Scalar] = overwrittenScalars(actCount)
        let (n, k, m) = sizes
        let status = values.withUnsafeBufferPointer { w in
            x.values.withUnsafeBufferPointer { xp in
                topology.columnIndex.withUnsafeBufferPointer { cols in
                    y.values.withUnsafeMutableBufferPointer { yp in
                        acts.withUnsafeMutableBufferPointer { ap in
                            Scalar.kernels.chainForward(yp.baseAddress, keepActivations && m > 1 ? ap.baseAddress : nil,
                                                        w.baseAddress, xp.baseAddress, cols.baseAddress,
                                                        Int64(x.count), m, n, k, Int64(x.columns), Int64(valuesBatchStride))
                        }
                    }
                }
            }
        }
        try checkKernel(status, "chain forward")
        return acts
    }

    /// y = (W_1 … W_M)ᵀ x.
    package func transposeForward(_ x: MatrixBatch<Scalar>) throws -> MatrixBatch<Scalar> {
        var y = try MatrixBatch<Scalar>.overwritten(count: x.count, rows: x.rows, columns: x.columns)
        let (n, k, m) = sizes
        let status = values.withUnsafeBufferPointer { w in
            x.values.withUnsafeBufferPointer { xp in
                topology.transposedStart.withUnsafeBufferPointer { tptr in
                    topology.transposedLinks.withUnsafeBufferPointer { tlink in
                        y.values.withUnsafeMutableBufferPointer { yp in
                            Scalar.kernels.chainTransposeForward(yp.baseAddress, w.baseAddress, xp.baseAddress,
                                                                 tptr.baseAddress, tlink.baseAddress,
                                                                 Int64(x.count), m, n, k, Int64(x.columns), Int64(valuesBatchStride))
                        }
                    }
                }
            }
        }
        try checkKernel(status, "chain transpose")
        return y
    }

    /// Gradients of a forward pass: (dL/dx, dL/dvalues) for dL/dy = `outputGradient`.
    package func backward(input x: MatrixBatch<Scalar>, activations: [Scalar], outputGradient dy: MatrixBatch<Scalar>,
                  wantInputGradient: Bool) throws -> (input: MatrixBatch<Scalar>?, values: [Scalar]) {
        var dw = [Scalar](repeating: 0, count: values.count)
        let dx = try backward(input: x, activations: activations, outputGradient: dy, wantInputGradient: wantInputGradient,
                              accumulatingInto: &dw)
        return (dx, dw)
    }

    /// The same backward pass, adding dL/dvalues into `dw` (values' count) instead of a new array:
    /// a caller summing the gradients of many blocks allocates it once, and the sum runs block by block.
    package func backward(input x: MatrixBatch<Scalar>, activations: [Scalar], outputGradient dy: MatrixBatch<Scalar>,
                  wantInputGradient: Bool, accumulatingInto dw: inout [Scalar]) throws -> MatrixBatch<Scalar>? {
        guard dw.count == values.count else {
            throw SparseFactorError.shapeMismatch(expected: "a gradient of \(values.count) values", got: "\(dw.count)")
        }
        var dx = try MatrixBatch<Scalar>(count: wantInputGradient ? x.count : 1, rows: wantInputGradient ? x.rows : 1,
                                         columns: wantInputGradient ? x.columns : 1)
        let (n, k, m) = sizes
        let status = values.withUnsafeBufferPointer { w in
            x.values.withUnsafeBufferPointer { xp in
                dy.values.withUnsafeBufferPointer { dyp in
                    activations.withUnsafeBufferPointer { ap in
                        topology.columnIndex.withUnsafeBufferPointer { cols in
                            topology.transposedStart.withUnsafeBufferPointer { tptr in
                                topology.transposedLinks.withUnsafeBufferPointer { tlink in
                                    dx.values.withUnsafeMutableBufferPointer { dxp in
                                        dw.withUnsafeMutableBufferPointer { dwp in
                                            Scalar.kernels.chainBackward(
                                                wantInputGradient ? dxp.baseAddress : nil, dwp.baseAddress,
                                                dyp.baseAddress, m > 1 ? ap.baseAddress : nil, w.baseAddress, xp.baseAddress,
                                                cols.baseAddress, tptr.baseAddress, tlink.baseAddress,
                                                Int64(x.count), m, n, k, Int64(x.columns), Int64(valuesBatchStride))
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        try checkKernel(status, "chain backward")
        return wantInputGradient ? dx : nil
    }
}
